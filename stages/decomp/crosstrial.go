package decomp

import (
	"context"
	"errors"
	"fmt"

	"gonum.org/v1/gonum/mat"
)

// Repeats are two repeats (trials) of the same stimuli, rows aligned:
// X1, X2 of one system and Y1, Y2 of the other. For a model against a
// brain the model answers the same way every time: X1 = X2 = its features.
type Repeats struct{ X1, X2, Y1, Y2 *mat.Dense }

// CrossTrial are the folds of the two cross-trial pairings of §3.7, A
// fitted on (X₁, Y₂) and B on (X₂, Y₁), over the same fold labels and cut
// to the K components both have. Noise independent across trials then
// has no expected covariance between the two sides of either pairing, so
// the spectrum estimates the shared signal's, where a same-trial one
// (X₁, Y₁) also counts noise the two sides share within a trial (all of
// it when X and Y are one system).
type CrossTrial struct {
	A, B *Folds
	K    int
}

// FitCrossTrial fits both pairings fold by fold with FitFolds (labels and
// groups as there; o.Same says each pairing's two sides are the same data).
func FitCrossTrial(ctx context.Context, r Repeats, labels []int, groups []int64, o CrossOptions) (*CrossTrial, error) {
	n := rowsOf(r.X1)
	for _, m := range []*mat.Dense{r.X2, r.Y1, r.Y2} {
		if rowsOf(m) != n {
			return nil, fmt.Errorf("repeats must have one row per stimulus in the same order: x repeats have %d and %d rows, y repeats %d and %d", n, rowsOf(r.X2), rowsOf(r.Y1), rowsOf(r.Y2))
		}
	}
	a, err := FitFolds(ctx, r.X1, r.Y2, labels, groups, o)
	if err != nil {
		return nil, fmt.Errorf("cross-trial pairing (x repeat 1, y repeat 2): %w", err)
	}
	b, err := FitFolds(ctx, r.X2, r.Y1, labels, groups, o)
	if err != nil {
		return nil, fmt.Errorf("cross-trial pairing (x repeat 2, y repeat 1): %w", err)
	}
	k := min(a.K, b.K)
	a.cut(k)
	b.cut(k)
	return &CrossTrial{A: a, B: b, K: k}, nil
}

// errRatioMetric refuses a correlation metric: §3.7 averages the two
// pairings' covariances before any ratio is formed.
var errRatioMetric = errors.New("the cross-trial spectrum averages covariances of the two pairings before any ratio; use a covariance metric and form correlations from the averaged covariances")

// Spectra returns per fold and component ½[Σ̂(X₁,Y₂) + Σ̂(X₂,Y₁)] (folds ×
// K): the test covariances of the two pairings summed and halved fold by
// fold, before any binning or ratio. m must be a covariance metric
// (Recenter and Normalize as for Spectrum).
func (c *CrossTrial) Spectra(m Metric) ([][]float64, error) {
	if m.Correlation {
		return nil, errRatioMetric
	}
	out := c.A.Spectra(m)
	for f, s := range c.B.Spectra(m) {
		halve(out[f], s)
	}
	return out, nil
}

// Resample is Resample of the cross-trial statistic (n × K): both
// pairings share the fold labels, hence each fold's test rows and groups,
// so the same seed redraws the same rows in both and the draws are
// averaged as Spectra averages the spectra.
func (c *CrossTrial) Resample(kind Resampling, m Metric, n int, seed uint64, workers int) (*mat.Dense, error) {
	if m.Correlation {
		return nil, errRatioMetric
	}
	out := Resample(c.A.Held, kind, m, n, seed, workers)
	b := Resample(c.B.Held, kind, m, n, seed, workers)
	for d := 0; d < n; d++ {
		halve(out.RawRowView(d), b.RawRowView(d))
	}
	return out, nil
}

// halve sets a to ½(a + b).
func halve(a, b []float64) {
	for i, v := range b {
		a[i] = (a[i] + v) / 2
	}
}
