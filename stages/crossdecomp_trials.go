package stages

import (
	"context"
	"fmt"

	"gonum.org/v1/gonum/mat"

	"github.com/eigenlab/eigenlab/ndarray"
	"github.com/eigenlab/eigenlab/stages/decomp"
	"github.com/eigenlab/eigenlab/stages/neural"
)

// fitCrossTrialStage is crossdecomp with param repeats (METHODS §3.7): y
// from input y_repeats, x from x_repeats or, for a model that answers the
// same way every time, x itself in both pairings; both pairings (x repeat
// r1, y repeat r2) and (x repeat r2, y repeat r1) fitted fold by fold over
// one fold plan (decomp.FitCrossTrial), their test covariances averaged.
func fitCrossTrialStage(ctx context.Context, in Inputs, p Params) (*crossFit, error) {
	rep, plan, err := crossTrialInputs(in, p)
	if err != nil {
		return nil, err
	}
	n, dx := rep.X1.Dims()
	_, dy := rep.Y1.Dims()
	metric, err := crossMetric(p, dx, dy)
	if err != nil {
		return nil, err
	}
	o, err := foldOptions(ctx, plan, p, dx, dy, false)
	if err != nil {
		return nil, err
	}
	ct, err := decomp.FitCrossTrial(ctx, rep, plan.labels, plan.groups, o)
	if err != nil {
		return nil, err
	}
	spectra, err := ct.Spectra(metric)
	if err != nil {
		return nil, fmt.Errorf("param \"metric\": %w", err)
	}
	fit := newCrossFit(spectra, ct.K, plan, ct.A, ct.B)
	fit.info = ndarray.Record{"n_samples": n, "dx": dx, "dy": dy, "n_folds": len(spectra), "n_components": ct.K,
		"numerical_rank": minRank(ct.K, ct.A, ct.B), "pca_case": false, "metric": p.String("metric"), "normalize_by": metric.Normalize,
		"route": ct.A.Fits[0].Route, "cross_trial": true, "repeats": p.Ints("repeats")}
	fit.resample = func(kind decomp.Resampling, n int, seed uint64) (*mat.Dense, error) {
		return ct.Resample(kind, metric, n, seed, 0)
	}
	return fit, nil
}

// crossTrialInputs reads the two repeats of y (input y_repeats) and of x
// (input x_repeats, or input x for both) and makes the folds of their
// stimuli.
func crossTrialInputs(in Inputs, p Params) (rep decomp.Repeats, plan foldPlan, err error) {
	_, hasX := in["x"]
	_, hasXR := in["x_repeats"]
	switch {
	case in["y"] != nil:
		return rep, plan, fmt.Errorf("input \"y\" is given with param \"repeats\": the cross-trial spectrum reads y from input \"y_repeats\" (stimuli × repeats × units); remove y")
	case hasX == hasXR:
		return rep, plan, fmt.Errorf("param \"repeats\" needs exactly one of input \"x\" (features the same in every repeat, e.g. a model's) and input \"x_repeats\" (stimuli × repeats × units)")
	}
	ry, err := responsesInput(in, "y_repeats")
	if err != nil {
		return rep, plan, err
	}
	r1, r2, err := repeatPair(p, ry)
	if err != nil {
		return rep, plan, fmt.Errorf("input \"y_repeats\": %w", err)
	}
	rep.Y1, rep.Y2 = repeatMatrix(ry, r1), repeatMatrix(ry, r2)
	if hasXR {
		rx, err := responsesInput(in, "x_repeats")
		if err != nil {
			return rep, plan, err
		}
		if _, _, err := repeatPair(p, rx); err != nil {
			return rep, plan, fmt.Errorf("input \"x_repeats\": %w", err)
		}
		rep.X1, rep.X2 = repeatMatrix(rx, r1), repeatMatrix(rx, r2)
	} else {
		xa, err := in.Array("x")
		if err != nil {
			return rep, plan, err
		}
		if len(xa.Shape) < 2 {
			return rep, plan, fmt.Errorf("input \"x\": want N×d (stimuli × features), got %s", xa.Describe())
		}
		if err := xa.CheckFinite(); err != nil {
			return rep, plan, fmt.Errorf("input \"x\": %w", err)
		}
		rep.X1 = matrix(xa)
		rep.X2 = rep.X1
	}
	if rows, _ := rep.X1.Dims(); rows != ry.Stimuli {
		return rep, plan, fmt.Errorf("inputs \"x\"/\"x_repeats\" and \"y_repeats\" must have one row per stimulus in the same order: %d and %d stimuli", rows, ry.Stimuli)
	}
	plan, err = planFolds(in, p, ry.Stimuli)
	return rep, plan, err
}

// repeatMatrix is repeat r of every unit of x, stimuli × units.
func repeatMatrix(x neural.Responses, r int) *mat.Dense {
	out := mat.NewDense(x.Stimuli, x.Units, nil)
	for s := 0; s < x.Stimuli; s++ {
		copy(out.RawRowView(s), x.V[(s*x.Repeats+r)*x.Units:(s*x.Repeats+r+1)*x.Units])
	}
	return out
}
