package train

import (
	"fmt"
	"math"
	"slices"

	"gonum.org/v1/gonum/mat"
)

// Spectral is the eigenspectrum regulariser of METHODS.md §4 ("Related
// regulariser"), with the conventions of the reference code
// (josuenassar/power_law, ModelDefs/utils.py eigen_val_regulate and
// trainers.py EigenvalueRegularization) where the spec leaves them open:
//
//   - the basis V (D × D, eigenvectors as columns) is recomputed at the
//     start of every epoch from the hidden layer's activations on the whole
//     training set, centred, with covariance divided by N (Fit, via
//     hiddenSpectrum), and held fixed (no gradient) during the epoch;
//   - a batch of n rows H gives λ_k = v_kᵀ Σ_batch v_k with Σ_batch the
//     centred covariance divided by n − 1, i.e. λ_k = ‖H_c v_k‖²/(n−1);
//   - λ is sorted in descending order; β = λ_(Start)·(Start+1)^Slope (0-based
//     rank Start, the reference's eig_start = 10) is a constant (no
//     gradient flows through it);
//   - for every rank r = Start+1, …, D−1 with λ_(r) > 0, γ_r = β/(r+1)^Slope
//     and the penalty adds (λ_(r)/γ_r − 1)² + ReLU(λ_(r)/γ_r − 1); the sum is
//     divided by D and enters the loss times Weight (alpha_spectra);
//   - the regularised layer is the last hidden layer (the reference's
//     only_last, used by all its experiments).
//
// Slope is the target exponent α of λ_n ∝ n^−α (1 in the paper).
type Spectral struct {
	Weight float64
	Slope  float64
	Start  int
}

// centred returns h (n × d) minus its column means (summed in row order).
func centred[T Float](h []T, n, d int) []T {
	mean := make([]T, d)
	for i := 0; i < n; i++ {
		for j, v := range h[i*d : (i+1)*d] {
			mean[j] += v
		}
	}
	hc := make([]T, n*d)
	for i := 0; i < n; i++ {
		for j, v := range h[i*d : (i+1)*d] {
			hc[i*d+j] = v - mean[j]/T(n)
		}
	}
	return hc
}

// Penalty returns s's unweighted penalty of the n × d batch activations h
// in the basis v (d × d, row-major, eigenvectors as columns; see Basis),
// with the batch eigenvalues (summed in float64) sorted in descending order,
// and, when dh is not nil, adds Weight times its gradient wrt h to dh:
// dλ_k/dH = 2/(n−1)·H_c v_k v_kᵀ (centring adds nothing, as the rows of
// H_c sum to zero), so dH = 2/(n−1)·(H_c V ⊙ g) Vᵀ with g_k = ∂penalty/∂λ_k.
func Penalty[T Float](s Spectral, h []T, n, d int, v []T, dh []T) (float64, []float64) {
	if s.Start < 0 || s.Start >= d {
		panic(fmt.Sprintf("train: spectral start %d outside [0, %d)", s.Start, d))
	}
	if len(v) != d*d {
		panic(fmt.Sprintf("train: basis of %d values, want %d×%d", len(v), d, d))
	}
	p := centred(h, n, d)
	proj := make([]T, n*d)
	gemm(false, false, n, d, d, 1, p, v, 0, proj)
	lambda := make([]float64, d)
	for i := 0; i < n; i++ {
		for k, x := range proj[i*d : (i+1)*d] {
			lambda[k] += float64(x) * float64(x)
		}
	}
	for k := range lambda {
		lambda[k] /= float64(n - 1)
	}
	order := make([]int, d)
	for k := range order {
		order[k] = k
	}
	slices.SortStableFunc(order, func(a, b int) int { return -cmpFloat(lambda[a], lambda[b]) })
	beta := lambda[order[s.Start]] * math.Pow(float64(s.Start+1), s.Slope)
	g := make([]float64, d)
	pen := 0.0
	for r := s.Start + 1; r < d; r++ {
		k := order[r]
		if !(lambda[k] > 0) {
			continue
		}
		gamma := beta / math.Pow(float64(r+1), s.Slope)
		q := lambda[k]/gamma - 1
		pen += q*q + max(q, 0)
		g[k] = 2 * q / gamma
		if q > 0 {
			g[k] += 1 / gamma
		}
	}
	sorted := make([]float64, d)
	for r, k := range order {
		sorted[r] = lambda[k]
	}
	if dh != nil {
		for i := 0; i < n; i++ {
			for k := range g {
				proj[i*d+k] *= T(g[k])
			}
		}
		gemm(false, true, n, d, d, T(2*s.Weight/float64(d*(n-1))), proj, v, 1, dh)
	}
	return pen / float64(d), sorted
}

func cmpFloat(a, b float64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// Basis returns the d × d eigenvectors v (columns) as Penalty takes them,
// in T: v's own values for float64, a rounded copy for float32.
func Basis[T Float](v *mat.Dense) []T {
	r := v.RawMatrix()
	if r.Stride != r.Cols {
		panic(fmt.Sprintf("train: basis with stride %d, want %d", r.Stride, r.Cols))
	}
	if t, ok := any(r.Data).([]T); ok {
		return t
	}
	return convert[T](r.Data)
}
