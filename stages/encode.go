package stages

import (
	"context"
	"fmt"
	"math"
	"sort"

	"gonum.org/v1/gonum/mat"

	"github.com/eigenlab/eigenlab/stages/decomp"
)

// encode is the cross-validated ridge encoding score (METHODS.md §6.2).
type encode struct{}

func init() { Register(encode{}) }

func (encode) Kind() string    { return "encode" }
func (encode) Version() string { return "1" }

func (encode) Doc() string {
	return `Cross-validated ridge encoding model of targets y (N×T, e.g. voxels) from
features x (N×F), METHODS §6.2: outer K folds (seeded, or supplied); in each
training fold features are standardised (train mean and sd; sd 0 → 1) and y
centered; a penalty per target is chosen from alphas by exact leave-one-out
(Pearson r of the LOO predictions, or their MSE); the fold's test rows are
predicted and scored by Pearson r and R² per target.
Outputs: r (per target, mean over folds), r_folds, r2, alpha (chosen, folds×T),
mean_r, median_r, info.`
}

func (encode) Params() []ParamSpec {
	return []ParamSpec{
		{Name: "n_folds", Type: Int, Default: 5, Min: Bound(2), Doc: "outer cross-validation folds"},
		{Name: "alphas", Type: FloatList, Default: []float64{0.1, 1, 10, 100, 1000, 1e4, 1e5}, Min: Bound(0), Doc: "ridge penalty grid (default logspace(-1, 5, 7), Conwell et al.)"},
		{Name: "selection", Type: String, Default: "pearson", Choices: []string{"pearson", "mse"}, Doc: "how LOO picks each target's penalty"},
		{Name: "seed", Type: Int, Default: 0, Doc: "fold assignment"},
	}
}

func (encode) Inputs() []InputSpec {
	return []InputSpec{
		{Name: "x", Doc: "N×F features"},
		{Name: "y", Doc: "N×T targets, rows aligned with x"},
		{Name: "folds", Doc: "int fold label per row (overrides n_folds)", Optional: true},
	}
}

func (encode) Outputs(Params) []string {
	return []string{"r", "r_folds", "r2", "alpha", "mean_r", "median_r", "info"}
}

func (encode) Resources(Params) Resources { return Resources{Threads: 2} }

func (encode) Run(ctx context.Context, in Inputs, p Params) (Outputs, error) {
	p2 := Params{"n_folds": p.Int("n_folds"), "seed": p.Int("seed")}
	x, y, labels, err := crossInputs(in, p2)
	if err != nil {
		return nil, err
	}
	nFolds := 0
	for _, l := range labels {
		nFolds = max(nFolds, l+1)
	}
	_, targets := y.Dims()
	rFolds, r2Folds, alphas := NewF64(nFolds, targets), NewF64(nFolds, targets), NewF64(nFolds, targets)
	for f := 0; f < nFolds; f++ {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		var train, test []int
		for i, l := range labels {
			if l == f {
				test = append(test, i)
			} else {
				train = append(train, i)
			}
		}
		if len(test) < 3 || len(train) < 3 {
			return nil, fmt.Errorf("fold %d has %d test and %d train rows; each needs at least 3", f, len(test), len(train))
		}
		r, r2, chosen, err := encodeFold(rows(x, train), rows(y, train), rows(x, test), rows(y, test), p)
		if err != nil {
			return nil, fmt.Errorf("fold %d: %w", f, err)
		}
		copy(rFolds.F64[f*targets:], r)
		copy(r2Folds.F64[f*targets:], r2)
		copy(alphas.F64[f*targets:], chosen)
	}
	r := meanRows(rFolds)
	sorted := append([]float64{}, r.F64...)
	sort.Float64s(sorted)
	mean := 0.0
	for _, v := range sorted {
		mean += v / float64(targets)
	}
	return Outputs{
		"r": r, "r_folds": rFolds, "r2": meanRows(r2Folds), "alpha": alphas,
		"mean_r": Scalar(mean), "median_r": Scalar((sorted[(targets-1)/2] + sorted[targets/2]) / 2),
		"info": Record{"n_folds": nFolds, "targets": targets, "selection": p.String("selection")},
	}, nil
}

// encodeFold fits on one training fold and scores its test rows.
func encodeFold(xtr, ytr, xte, yte *mat.Dense, p Params) (r, r2, chosen []float64, err error) {
	mean, sd := decomp.Standardize(xtr)
	model, err := decomp.FitRidge(decomp.Scale(xtr, mean, sd), ytr)
	if err != nil {
		return nil, nil, nil, err
	}
	_, targets := ytr.Dims()
	chosen = make([]float64, targets)
	for t := 0; t < targets; t++ {
		yt := mat.Col(nil, t, ytr)
		best := math.Inf(-1)
		for _, a := range p.Floats("alphas") {
			loo := model.LOO(ytr, t, a)
			var score float64
			if p.String("selection") == "pearson" {
				score = decomp.Pearson(yt, loo)
			} else {
				for i := range yt {
					score -= (yt[i] - loo[i]) * (yt[i] - loo[i])
				}
			}
			if score > best {
				best, chosen[t] = score, a
			}
		}
	}
	pred := model.Predict(decomp.Scale(xte, mean, sd), chosen)
	r, r2 = make([]float64, targets), make([]float64, targets)
	for t := 0; t < targets; t++ {
		obs, pr := mat.Col(nil, t, yte), mat.Col(nil, t, pred)
		r[t] = decomp.Pearson(obs, pr)
		var ss, st, m float64
		for _, v := range obs {
			m += v / float64(len(obs))
		}
		for i := range obs {
			ss += (obs[i] - pr[i]) * (obs[i] - pr[i])
			st += (obs[i] - m) * (obs[i] - m)
		}
		r2[t] = 1 - ss/st
	}
	return r, r2, chosen, nil
}
