package train

import (
	"fmt"
	"math"
	"math/rand/v2"

	"gonum.org/v1/gonum/mat"

	"github.com/eigenlab/eigenlab/stages/linalg"
	"github.com/eigenlab/eigenlab/stages/spectral"
)

// Data is a labelled set: N samples of the model's InSize values each,
// row-major, and their class labels.
type Data[T Float] struct {
	X []T
	Y []int
}

// N is the number of samples.
func (d Data[T]) N() int { return len(d.Y) }

// Config is one training run. Reg nil trains without the regulariser.
type Config[T Float] struct {
	Optimizer Optimizer[T]
	LR        float64
	Schedule  Schedule
	BatchSize int
	Epochs    int
	Seed      uint64
	Reg       *Spectral
	// FitFrom is the first 0-based rank of the per-epoch α fit; give the
	// regularised and unregularised runs of a sweep the same value (the
	// regulariser's Start+1 is the range it shapes).
	FitFrom int
}

// Epoch is one row of the training curve. Loss is the mean cross-entropy
// over the epoch's batches (weighted by batch size) and TrainAcc the
// accuracy of those same forward passes, as the batches were seen; Reg the
// mean unweighted penalty (0 without the regulariser); Alpha the power-law
// exponent of the hidden layer's full-training-set covariance spectrum
// after the epoch (ols-range over 0-based ranks Config.FitFrom…D−1; NaN
// when not fitted, spectral.MinPoints and MinDecades); ValAcc
// the accuracy on the validation set (NaN without one).
type Epoch struct {
	Loss, TrainAcc, ValAcc, Reg, Alpha float64
	LR                                 float64
}

// Fit trains m for cfg.Epochs epochs and returns the curve. Epoch e
// visits the training set in the order of a permutation drawn from
// PCG(Seed, e), in batches of BatchSize (the last one smaller), so an
// epoch depends only on the weights and optimiser state it starts from.
// With the regulariser the basis of each epoch is that of the hidden
// layer on the whole training set at its start (METHODS.md §4); a last
// batch of one sample has no batch covariance and is trained without it.
func Fit[T Float](m *Model[T], cfg Config[T], tr, val Data[T]) ([]Epoch, error) {
	return Resume(m, cfg, tr, val, nil, nil)
}

// Resume continues a Fit whose first len(done) epochs gave the curve done
// and left m's weights and cfg.Optimizer's state as they are, calling
// after with the curve so far once each further epoch ends (an error from
// after stops training and is returned). Everything an epoch depends on
// is in that state (the basis is recomputed from the weights, the batch
// order from Seed and the epoch index), so saving m.Params, the optimiser
// State and the curve in after and resuming from them gives the bytes of
// one uninterrupted Fit — with one exception: the cosine schedule's rate
// depends on cfg.Epochs, so its runs resume only runs of the same length.
func Resume[T Float](m *Model[T], cfg Config[T], tr, val Data[T], done []Epoch, after func([]Epoch) error) ([]Epoch, error) {
	if err := cfg.check(m, tr); err != nil {
		return nil, err
	}
	if len(done) > cfg.Epochs {
		return nil, fmt.Errorf("train: resuming after %d epochs of a %d-epoch run", len(done), cfg.Epochs)
	}
	var vecs *mat.Dense // the regulariser's basis for the next epoch
	var err error
	if cfg.Reg != nil && len(done) < cfg.Epochs {
		if vecs, _, err = hiddenSpectrum(m, tr.X, tr.N(), cfg.BatchSize); err != nil {
			return nil, err
		}
	}
	curve := append(make([]Epoch, 0, cfg.Epochs), done...)
	for e := len(done); e < cfg.Epochs; e++ {
		ep := runEpoch(m, cfg, tr, vecs, e)
		var vals []float64
		if vecs, vals, err = hiddenSpectrum(m, tr.X, tr.N(), cfg.BatchSize); err != nil {
			return nil, fmt.Errorf("epoch %d: %w", e, err)
		}
		ep.Alpha = cfg.alpha(vals)
		ep.ValAcc = Accuracy(m, val, cfg.BatchSize)
		curve = append(curve, ep)
		if after != nil {
			if err := after(curve); err != nil {
				return nil, err
			}
		}
	}
	return curve, nil
}

func (cfg Config[T]) check(m *Model[T], tr Data[T]) error {
	switch {
	case cfg.Optimizer == nil:
		return fmt.Errorf("train: no optimizer")
	case cfg.BatchSize < 2:
		return fmt.Errorf("train: batch_size %d, want ≥ 2", cfg.BatchSize)
	case tr.N() < 2 || len(tr.X) != tr.N()*m.InSize():
		return fmt.Errorf("train: %d training values for %d labels, want ≥ 2 samples of %d values", len(tr.X), tr.N(), m.InSize())
	case cfg.Reg != nil && (cfg.Reg.Start < 0 || cfg.Reg.Start >= m.HiddenSize()-1):
		return fmt.Errorf("train: reg_start %d, want 0 ≤ start < %d (the hidden width − 1)", cfg.Reg.Start, m.HiddenSize()-1)
	}
	for i, y := range tr.Y {
		if y < 0 || y >= m.Classes() {
			return fmt.Errorf("train: label %d of sample %d outside [0, %d)", y, i, m.Classes())
		}
	}
	return nil
}

// alpha fits the full-set spectrum from rank FitFrom on.
func (cfg Config[T]) alpha(vals []float64) float64 {
	f, err := spectral.FitPowerLaw(vals, "ols-range", cfg.FitFrom+1, len(vals), 0)
	if err != nil || f.NoFit != "" {
		return math.NaN()
	}
	return f.Alpha
}

// runEpoch trains one epoch in basis vecs.
func runEpoch[T Float](m *Model[T], cfg Config[T], tr Data[T], vecs *mat.Dense, e int) Epoch {
	lr := cfg.Schedule.LR(cfg.LR, e, cfg.Epochs)
	perm := rand.New(rand.NewPCG(cfg.Seed, uint64(e))).Perm(tr.N())
	in, k, d := m.InSize(), m.Classes(), m.HiddenSize()
	xb := make([]T, cfg.BatchSize*in)
	yb := make([]int, cfg.BatchSize)
	dl := make([]T, cfg.BatchSize*k)
	var dh, basis []T
	if cfg.Reg != nil {
		dh, basis = make([]T, cfg.BatchSize*d), Basis[T](vecs)
	}
	ep := Epoch{LR: lr}
	correct := 0
	for b0 := 0; b0 < tr.N(); b0 += cfg.BatchSize {
		n := min(cfg.BatchSize, tr.N()-b0)
		for i, j := range perm[b0 : b0+n] {
			copy(xb[i*in:(i+1)*in], tr.X[j*in:(j+1)*in])
			yb[i] = tr.Y[j]
		}
		logits := m.Forward(xb[:n*in], n)
		correct += Correct(logits, yb[:n], k)
		ep.Loss += CrossEntropy(logits, yb[:n], k, dl[:n*k]) * float64(n)
		var dhid []T
		if cfg.Reg != nil && n > 1 {
			dhid = dh[:n*d]
			clear(dhid)
			pen, _ := Penalty(*cfg.Reg, m.HiddenOutput(), n, d, basis, dhid)
			ep.Reg += pen * float64(n)
		}
		m.Backward(dl[:n*k], dhid, n, false)
		cfg.Optimizer.Step(m.Params(), lr)
	}
	ep.Loss /= float64(tr.N())
	ep.Reg /= float64(tr.N())
	ep.TrainAcc = float64(correct) / float64(tr.N())
	return ep
}

// Accuracy is the fraction of d that m classifies correctly, run in
// chunks of batch samples (NaN for an empty set).
func Accuracy[T Float](m *Model[T], d Data[T], batch int) float64 {
	if d.N() == 0 {
		return math.NaN()
	}
	in, c := m.InSize(), 0
	for b0 := 0; b0 < d.N(); b0 += batch {
		n := min(batch, d.N()-b0)
		c += Correct(m.Forward(d.X[b0*in:(b0+n)*in], n), d.Y[b0:b0+n], m.Classes())
	}
	return float64(c) / float64(d.N())
}

// hiddenSpectrum returns the eigenvectors (columns) and eigenvalues, in
// descending order, of the centred covariance (divided by N) of the hidden
// layer over the N samples x, run in chunks of batch samples: the moments
// Σh and ΣhhT are accumulated chunk by chunk in order and centred at the
// end, so the whole activation matrix is never held. They are float64
// whatever T is.
func hiddenSpectrum[T Float](m *Model[T], x []T, n, batch int) (*mat.Dense, []float64, error) {
	in, d := m.InSize(), m.HiddenSize()
	sum := make([]float64, d)
	var mom mat.SymDense
	mom.ReuseAsSym(d)
	var h64 []float64
	for b0 := 0; b0 < n; b0 += batch {
		c := min(batch, n-b0)
		m.Forward(x[b0*in:(b0+c)*in], c)
		h := asFloat64(m.HiddenOutput(), h64)
		h64 = h
		mom.SymRankK(&mom, 1, mat.NewDense(c, d, h).T())
		for i := 0; i < c; i++ {
			for j, v := range h[i*d : (i+1)*d] {
				sum[j] += v
			}
		}
	}
	mu := mat.NewVecDense(d, sum)
	mu.ScaleVec(1/float64(n), mu)
	mom.ScaleSym(1/float64(n), &mom)
	mom.SymRankOne(&mom, -1, mu)
	vals, vecs, err := linalg.SymEig(&mom, true)
	if err != nil {
		return nil, nil, fmt.Errorf("hidden-layer spectrum: %w", err)
	}
	return vecs, vals, nil
}

// asFloat64 returns v itself when T is float64, else v converted into buf
// (grown as needed).
func asFloat64[T Float](v []T, buf []float64) []float64 {
	if f, ok := any(v).([]float64); ok {
		return f
	}
	buf = grow(buf, len(v))
	for i, x := range v {
		buf[i] = float64(x)
	}
	return buf
}
