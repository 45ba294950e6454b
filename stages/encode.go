package stages

import (
	"cmp"
	"context"
	"fmt"
	"math"
	"slices"

	"gonum.org/v1/gonum/mat"

	"github.com/eigenlab/eigenlab/ndarray"
	"github.com/eigenlab/eigenlab/stages/decomp"
	"github.com/eigenlab/eigenlab/stages/linalg"
)

// encode is the cross-validated ridge encoding score (METHODS.md §6.2).
type encode struct{}

func init() { Register(encode{}) }

func (encode) Kind() string    { return "encode" }
func (encode) Version() string { return "2" }

func (encode) Doc() string {
	return `Cross-validated ridge encoding model of targets y (N×T, e.g. voxels) from
features x (N×F), METHODS §6.2: outer K folds, random (seeded), supplied
(the folds input) or grouped (the groups input: group k-fold as sklearn 1.2
GroupKFold, no group on both sides of a fold; give it whenever rows share a
source, e.g. patches of one photo, or the score is inflated by leakage);
info.folds says which ("random", "supplied", "grouped", and info.n_groups
when grouped). In each training fold features are standardised (train mean
and sd; sd 0 → 1) and y centered; a penalty per target is chosen from alphas
by exact leave-one-out (Pearson r of the LOO predictions, or their MSE); the
fold's test rows are predicted and scored by Pearson r and R² per target.
Outputs: r (per target, mean over folds), r_folds (folds×T), r2, alpha
(chosen, folds×T), mean_r (mean over targets of r), median_r (median over
targets of r), mean_r_folds and median_r_folds (each fold's mean and median
over targets, n_folds), mean_r_ci and median_r_ci (95% t-interval over folds
of those: mean ± t(0.975, F-1)·sd/√F; mean_r is the centre of mean_r_ci,
while median_r, a median of fold means, need not be the centre of
median_r_ci), info.
With the responses input (stimuli × repeats × units, instead of y) the
targets are the responses averaged over all R repeats, and param ceiling
adds noise ceilings: ncsnr (NSD's noise-ceiling SNR per unit: σ_S/σ_N with
σ_N² the variance over repeats), ceiling (per unit, as a fraction of the
variance of the R-repeat mean: ncsnr → NSD's ncsnr²/(ncsnr² + 1/R);
splithalf → the Spearman–Brown corrected Pearson r of the even- and
odd-repeat means), r2_normalised (r2/ceiling, NaN where the ceiling is not
positive) and mean_r2_normalised (its mean over the units where finite).
Param theory adds the spectral theory of prediction (METHODS §6.4; Canatar
et al. 2023, SNAP conventions): on all rows, x and y centered (raw
features, not standardised), the eigenvalues of the linear kernel XXᵀ/P and
y's weights on its eigenfunctions give, through the self-consistent κ
equation, the generalisation error E_g(p) of kernel ridge regression with
penalty p·theory_reg at each p of theory_ps (eg_theory, normalised by the
targets' power, so 1 is predicting 0), compared with eg_empirical, the
mean over theory_trials draws of p training rows (with replacement when
iid, as the theory assumes) of the measured error on every row; kappa is
κ(p); learning_curve is the table of p, eg_theory and eg_empirical (one
row per p, for report figures); theory_ed and theory_tad are the summary's
ed and tad as numbers; theory_summary holds SNAP's spectral bias and alignment (ed: the
eigenvalues' participation ratio; tad: the weights'; cum_ed, cum_tad,
feat_dim, task_dim; rank_eig and rank_weight: modes to 99% of the
eigenvalue and the weight power; out_of_span: the target power no ridge on
x can learn) and the error-mode radius and dimension per p. Small ed with
small tad: the target lies on the few modes learned first.`
}

func (encode) Params() []ParamSpec {
	return []ParamSpec{
		{Name: "n_folds", Type: Int, Default: 5, Min: Bound(2), Doc: "outer cross-validation folds, random or grouped (ignored when the folds input is given)"},
		{Name: "alphas", Type: FloatList, Default: []float64{0.1, 1, 10, 100, 1000, 1e4, 1e5}, Min: Bound(0), Doc: "ridge penalty grid (default logspace(-1, 5, 7), Conwell et al.)"},
		{Name: "selection", Type: String, Default: "pearson", Choices: []string{"pearson", "mse"}, Doc: "how LOO picks each target's penalty"},
		{Name: "seed", Type: Int, Default: 0, Doc: "random fold assignment and the theory's empirical draws"},
		{Name: "ceiling", Type: String, Default: "none", Choices: []string{"none", "ncsnr", "splithalf"}, Doc: "noise ceiling of the responses input per unit, and R² normalised by it"},
		{Name: "theory", Type: Bool, Default: false, Doc: "add the spectral theory of prediction (SNAP) with its empirical learning curve"},
		{Name: "theory_ps", Type: IntList, Optional: true, Min: Bound(1), Doc: "training-set sizes p of the theory (required with theory; each < N)"},
		{Name: "theory_reg", Type: Float, Default: 1e-3, Min: Bound(0), Doc: "ridge per training sample of the theory and its empirical curve (SNAP reg)"},
		{Name: "theory_trials", Type: Int, Default: 10, Min: Bound(1), Doc: "draws per p of the empirical learning curve"},
		{Name: "iid", Type: Bool, Default: true, Doc: "empirical draws with replacement (the theory's i.i.d. samples; false: subsets)"},
	}
}

// Validate requires theory_ps with theory.
func (encode) Validate(p Params) error {
	if theoryOn(p) && !p.Has("theory_ps") {
		return fmt.Errorf("param \"theory\": true needs param \"theory_ps\", the training-set sizes (e.g. [10, 30, 100])")
	}
	return nil
}

func (encode) Inputs() []InputSpec {
	return []InputSpec{
		{Name: "x", Doc: "N×F features"},
		{Name: "y", Doc: "N×T targets, rows aligned with x (or responses)", Optional: true},
		{Name: "responses", Doc: "stimuli × repeats × units: targets averaged over the repeats, with noise ceilings (instead of y)", Optional: true},
		{Name: "folds", Doc: "int fold label per row (overrides n_folds; not with groups)", Optional: true},
		{Name: "groups", Doc: "integer group label per row (int64, or floats with integer values, e.g. photos.photo): group k-fold over n_folds folds (not with folds)", Optional: true},
	}
}

func (encode) Outputs(p Params) []string {
	out := []string{"r", "r_folds", "r2", "alpha", "mean_r", "median_r", "mean_r_folds", "mean_r_ci", "median_r_folds", "median_r_ci", "info"}
	if ceilingOf(p) != "none" {
		out = append(out, ceilingOutputs...)
	}
	if theoryOn(p) {
		out = append(out, theoryOutputs...)
	}
	return out
}

func (encode) Resources(Params) Resources { return Resources{Threads: 2} }

func (encode) Run(ctx context.Context, _ *ndarray.Scratch, in Inputs, p Params) (Outputs, error) {
	in, resp, err := encodeTargets(in, p)
	if err != nil {
		return nil, err
	}
	x, y, plan, err := crossInputs(in, p)
	if err != nil {
		return nil, err
	}
	_, targets := y.Dims()
	rFolds, r2Folds, alphas := ndarray.NewF64(plan.n, targets), ndarray.NewF64(plan.n, targets), ndarray.NewF64(plan.n, targets)
	meanFolds, medianFolds := ndarray.NewF64(plan.n), ndarray.NewF64(plan.n)
	err = plan.eachFold(ctx, 3, func(f int, train, test []int) error {
		r, r2, chosen, err := encodeFold(rows(x, train), rows(y, train), rows(x, test), rows(y, test), p)
		if err != nil {
			return fmt.Errorf("fold %d: %w", f, err)
		}
		copy(rFolds.F64[f*targets:], r)
		copy(r2Folds.F64[f*targets:], r2)
		copy(alphas.F64[f*targets:], chosen)
		meanFolds.F64[f], medianFolds.F64[f] = meanMedian(r)
		return nil
	})
	if err != nil {
		return nil, err
	}
	r := meanRows(rFolds)
	mean, median := meanMedian(r.F64)
	out := Outputs{
		"r": r, "r_folds": rFolds, "r2": meanRows(r2Folds), "alpha": alphas,
		"mean_r": ndarray.Scalar(mean), "median_r": ndarray.Scalar(median),
		"mean_r_folds": meanFolds, "mean_r_ci": foldCI(meanFolds.F64),
		"median_r_folds": medianFolds, "median_r_ci": foldCI(medianFolds.F64),
		"info": plan.record(ndarray.Record{"n_folds": plan.n, "targets": targets, "selection": p.String("selection")}),
	}
	if resp != nil && ceilingOf(p) != "none" {
		if err := noiseCeiling(out, resp, out["r2"].(*ndarray.Array).F64, ceilingOf(p)); err != nil {
			return nil, err
		}
	}
	if theoryOn(p) {
		if err := spectralTheory(out, x, y, p); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// ceilingOf is param ceiling, "none" when unset (callers that build
// params by hand).
func ceilingOf(p Params) string { return cmp.Or(p.String("ceiling"), "none") }

// theoryOn is param theory, false when unset.
func theoryOn(p Params) bool { b, _ := p["theory"].(bool); return b }

// meanMedian returns the mean and the median of v.
func meanMedian(v []float64) (mean, median float64) {
	sorted := slices.Sorted(slices.Values(v))
	for _, x := range sorted {
		mean += x / float64(len(sorted))
	}
	return mean, (sorted[(len(sorted)-1)/2] + sorted[len(sorted)/2]) / 2
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
				score = linalg.Pearson(yt, loo)
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
		r[t] = linalg.Pearson(obs, pr)
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
