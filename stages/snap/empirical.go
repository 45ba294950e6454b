package snap

import (
	"fmt"
	"math/rand/v2"

	"gonum.org/v1/gonum/mat"

	"github.com/eigenlab/eigenlab/stages/linalg"
)

// Empirical is the ridge learning curve measured on seeded subsamples,
// with errors normalised as SNAP's regression does: the squared error
// summed over targets divided by the summed target variance.
type Empirical struct {
	P []int
	// Gen is len(P)×trials: the error over all samples (training ones
	// included), which the theory predicts (SNAP gen_errs).
	Gen *mat.Dense
	// Test is len(P)×trials: the error over the held-out samples only.
	Test *mat.Dense
}

// LearningCurve fits kernel ridge regression with the linear kernel
// K = XXᵀ and penalty p·reg on p samples drawn without replacement, trials
// times at each p, and predicts every sample: ŷ = K[:,tr](K[tr,tr] +
// p·reg·I)⁻¹y_tr (SNAP regression). With center, x and y are centered over
// all samples first. Draw t at the k-th size uses the PCG stream
// (seed, k·2³²+t), so the result does not depend on the order of work.
func LearningCurve(x, y *mat.Dense, center bool, reg float64, ps []int, trials int, seed uint64, iid bool) (*Empirical, error) {
	n, _ := x.Dims()
	if ny, _ := y.Dims(); ny != n {
		return nil, fmt.Errorf("learning curve: features have %d samples and targets %d, want the same rows", n, ny)
	}
	if trials < 1 {
		return nil, fmt.Errorf("learning curve: trials = %d, want ≥ 1", trials)
	}
	if center {
		x = linalg.Centered(x, linalg.ColMeans(x))
		y = linalg.Centered(y, linalg.ColMeans(y))
	}
	k := linalg.Gram(x)
	e := &Empirical{P: ps, Gen: mat.NewDense(len(ps), trials, nil), Test: mat.NewDense(len(ps), trials, nil)}
	for i, p := range ps {
		if p < 1 || p >= n {
			return nil, fmt.Errorf("learning curve: training-set size %d, want 1 ≤ p < %d samples", p, n)
		}
		for t := 0; t < trials; t++ {
			rng := rand.New(rand.NewPCG(seed, uint64(i)<<32|uint64(t)))
			train, test := draw(rng, n, p, iid)
			pred, err := ridgePredict(k, y, train, reg*float64(p))
			if err != nil {
				return nil, fmt.Errorf("learning curve at p = %d: %w", p, err)
			}
			e.Gen.Set(i, t, normalisedError(pred, y, all(n)))
			e.Test.Set(i, t, normalisedError(pred, y, test))
		}
	}
	return e, nil
}

// draw returns p training rows of n and the rows not drawn: with iid, p
// draws with replacement (i.i.d. from the uniform distribution on the
// samples, as the theory assumes); otherwise a random subset (SNAP's
// train_test_split).
func draw(rng *rand.Rand, n, p int, iid bool) (train, test []int) {
	if !iid {
		perm := rng.Perm(n)
		return perm[:p], perm[p:]
	}
	drawn := make([]bool, n)
	train = make([]int, p)
	for j := range train {
		train[j] = rng.IntN(n)
		drawn[train[j]] = true
	}
	for i, d := range drawn {
		if !d {
			test = append(test, i)
		}
	}
	return train, test
}

// all is the rows 0..n−1.
func all(n int) []int {
	rows := make([]int, n)
	for i := range rows {
		rows[i] = i
	}
	return rows
}

// ridgePredict returns K[:,tr]·(K[tr,tr] + ridge·I)⁺·y[tr] for every row,
// through the eigendecomposition of the training kernel (eigenvalues at or
// below 1e-13 of the largest are dropped, SNAP's pinv fallback).
func ridgePredict(k *mat.SymDense, y *mat.Dense, tr []int, ridge float64) (*mat.Dense, error) {
	n, targets := y.Dims()
	ktt := mat.NewSymDense(len(tr), nil)
	ytr := mat.NewDense(len(tr), targets, nil)
	for a, i := range tr {
		for b := a; b < len(tr); b++ {
			ktt.SetSym(a, b, k.At(i, tr[b]))
		}
		ytr.SetRow(a, y.RawRowView(i))
	}
	for a := range tr {
		ktt.SetSym(a, a, ktt.At(a, a)+ridge)
	}
	ev, v, err := linalg.SymEig(ktt, true)
	if err != nil {
		return nil, err
	}
	var coef mat.Dense
	coef.Mul(v.T(), ytr)
	for j, l := range ev {
		s := 0.0
		if l > 1e-13*ev[0] {
			s = 1 / l
		}
		row := coef.RawRowView(j)
		for c := range row {
			row[c] *= s
		}
	}
	coef.Mul(v, &coef)
	kxt := mat.NewDense(n, len(tr), nil)
	for i := 0; i < n; i++ {
		for a, j := range tr {
			kxt.Set(i, a, k.At(i, j))
		}
	}
	var pred mat.Dense
	pred.Mul(kxt, &coef)
	return &pred, nil
}

// normalisedError is Σ_t mean_rows (ŷ−y)² / Σ_t var_rows(y) over rows.
func normalisedError(pred, y *mat.Dense, rows []int) float64 {
	_, targets := y.Dims()
	var num, den float64
	for t := 0; t < targets; t++ {
		mean := 0.0
		for _, i := range rows {
			mean += y.At(i, t)
		}
		mean /= float64(len(rows))
		for _, i := range rows {
			d, c := pred.At(i, t)-y.At(i, t), y.At(i, t)-mean
			num += d * d
			den += c * c
		}
	}
	return num / den
}
