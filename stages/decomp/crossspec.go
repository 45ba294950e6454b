package decomp

import (
	"math"
	"math/rand/v2"

	"gonum.org/v1/gonum/mat"
)

// FoldLabels assigns n samples to k folds as the reference does (§3.4):
// ⌊n/k⌋ copies of each fold id, the remainder to fold 0, then a seeded
// permutation (Go's generator: labels can be supplied to match numpy's).
func FoldLabels(rng *rand.Rand, n, k int) []int {
	labels := make([]int, 0, n)
	for f := 0; f < k; f++ {
		for i := 0; i < n/k; i++ {
			labels = append(labels, f)
		}
	}
	for len(labels) < n {
		labels = append(labels, 0)
	}
	rng.Shuffle(n, func(i, j int) { labels[i], labels[j] = labels[j], labels[i] })
	return labels
}

// Metric chooses the per-component test statistic (§3.3). With
// Correlation and Recenter it is the Pearson r of x̃_k and ỹ_k (in
// [−1, 1]); with Correlation alone it is the scale-free-visual-cortex
// code's uncentered product over centered sds, which exceeds 1 when the
// test means shift away from the train means.
type Metric struct {
	// Correlation divides each component by the sds (ddof 1, around the
	// test means) of x̃_k and ỹ_k; the product itself stays uncentered
	// unless Recenter.
	Correlation bool
	// Recenter subtracts the test means from the product (np.cov, the
	// ccn-tutorial); the default is uncentered, as the paper code.
	Recenter bool
	// Normalize divides covariances (not correlations) by this, √(dX·dY);
	// 0 means none.
	Normalize float64
}

// HeldOut are one fold's held-out projections x̃, ỹ (n_te×K, §3.2) and,
// when rows come in groups (near-duplicates of one source), the test rows
// of each group, which Resample then redraws as wholes.
type HeldOut struct {
	X, Y *mat.Dense
	// Groups lists, per group in the fold, the indices of its rows in X
	// and Y in their order (every row in exactly one group); nil: rows are
	// independent.
	Groups [][]int
}

// Spectrum is the per-component statistic Σ_i x̃_{a(i)k} ỹ_{b(i)k}/(n−1)
// of held-out projections (§3.3), over the rows a = xrows and b = yrows
// (nil: all rows in order; the two have equal lengths, which may differ
// from n_te as in a cluster bootstrap). A permutation null passes
// yrows = π (§3.5), a bootstrap the same resampled rows for both.
func Spectrum(h HeldOut, xrows, yrows []int, m Metric) []float64 {
	n, k := h.X.Dims()
	if xrows != nil {
		n = len(xrows)
	}
	row := func(z *mat.Dense, rows []int, i int) []float64 {
		if rows != nil {
			i = rows[i]
		}
		return z.RawRowView(i)
	}
	mx, my := make([]float64, k), make([]float64, k)
	if m.Recenter || m.Correlation {
		for i := 0; i < n; i++ {
			addTo(mx, row(h.X, xrows, i), 1/float64(n))
			addTo(my, row(h.Y, yrows, i), 1/float64(n))
		}
	}
	sxy, sxx, syy := make([]float64, k), make([]float64, k), make([]float64, k)
	for i := 0; i < n; i++ {
		a, b := row(h.X, xrows, i)[:k], row(h.Y, yrows, i)[:k]
		for c := range sxy {
			da, db := a[c]-mx[c], b[c]-my[c]
			if m.Recenter {
				sxy[c] += da * db
			} else {
				sxy[c] += a[c] * b[c]
			}
			if m.Correlation {
				sxx[c] += da * da
				syy[c] += db * db
			}
		}
	}
	for c := range sxy {
		sxy[c] /= float64(n - 1)
		switch {
		case m.Correlation:
			sxy[c] /= math.Sqrt(sxx[c]/float64(n-1)) * math.Sqrt(syy[c]/float64(n-1))
		case m.Normalize > 0:
			sxy[c] /= m.Normalize
		}
	}
	return sxy
}

func addTo(acc, v []float64, scale float64) {
	for i, x := range v[:len(acc)] {
		acc[i] += x * scale
	}
}
