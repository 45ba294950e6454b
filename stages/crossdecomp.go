package stages

import (
	"context"
	"fmt"
	"maps"
	"math"
	"sort"

	"gonum.org/v1/gonum/floats"
	"gonum.org/v1/gonum/mat"
	"gonum.org/v1/gonum/stat/distuv"

	"github.com/eigenlab/eigenlab/ndarray"
	"github.com/eigenlab/eigenlab/stages/decomp"
)

// crossdecomp is the cross-validated cross-decomposition spectrum of
// Gauthaman, Ménard & Bonner (METHODS.md §3).
type crossdecomp struct{}

func init() { Register(crossdecomp{}) }

func (crossdecomp) Kind() string    { return "crossdecomp" }
func (crossdecomp) Version() string { return "7" }

func (crossdecomp) Doc() string {
	return `Cross-validated cross-decomposition spectrum of x and y (rows are the same
stimuli; METHODS §3). For each fold: center by the train means, SVD of the
train cross-covariance (PCA if x and y are the same data; the exact Gram
route when a side has several times more features than samples), project
the held-out rows x̃, ỹ, and take per component k the test statistic:
covariance (sum of x̃_k·ỹ_k over n_te-1, uncentered as the paper code;
recenter_test centers it, normalize divides by sqrt(dX·dY)); correlation,
the Pearson r of x̃_k and ỹ_k (centered on the test means, in [-1, 1]); or
correlation-uncentered, the scale-free-visual-cortex code's form (the
uncentered product over the centered sds, kept for parity; it is not a
correlation and exceeds 1 when the test mean shifts from the train mean,
e.g. with grouped folds).
Folds: random (the reference's labels, remainder to fold 0, shuffled by
Go's seeded generator), supplied (the folds input), or grouped (the groups
input: group k-fold, no group on both sides of a fold, exactly as sklearn
1.2 GroupKFold: groups by size, largest first, each to the lightest fold;
seed does not change them). Give groups whenever rows share a source (patches
or crops of one photo, trials of one subject): random folds then leak and
inflate the held-out statistic. info.folds says which ("random",
"supplied" or "grouped"; with "grouped" also info.n_groups).
Resampling recomputes the chosen statistic (means and sds included) on
redrawn test rows, fold by fold, each draw from its own seeded stream.
Without groups the permutation null permutes y's test rows and the
bootstrap resamples test rows with replacement (info.null "rows permuted",
info.bootstrap "rows"). With groups both redraw whole groups, since rows of
one group are near-duplicates and a row-level null is far too narrow (its
variance ~1/n_te where the statistic's is ~1/groups per fold), inflating
dims_above_null: the null permutes each fold's groups, pairing x's rows of
group a with y's rows of group π(a), row t of a with row t mod |π(a)| of
π(a) (n_te unchanged; unequal groups cycle) (info.null "groups permuted
within folds"); the bootstrap is a cluster bootstrap, drawing the fold's
groups with replacement and taking all rows of each, the same for x and y
(info.bootstrap "groups"). With few groups per fold the grouped null is
coarse (m groups give only m! distinct permutations per fold, and the
fold mean of F folds at most their product): that is the honest
resolution of such data, not a defect; add groups, not rows, to sharpen it.
Either null permutes held-out projections without refitting, so it misses
the dependence between folds that share training rows and is somewhat
liberal: on pure noise (10×10 features, 800 rows or 80 groups, 8 folds)
about 8% of bins exceed their 99% null and dims_above_null is ≥ 1 in
10–20% of runs, with rows or with groups alike.
Outputs: spectrum (mean over folds), total (its sum),
total_folds (each fold's summed spectrum, n_folds), total_ci (95%
t-interval of the mean over folds: mean ± t(0.975, F-1)·sd/√F),
spectrum_folds (n_folds×K), binned (per geometric bin: centre, mean and sd
over folds), null_quantiles (per bin: centre and the 68.3/95.5/99.7/99%
quantiles of the fold-mean permuted spectra), bootstrap_ci (per bin:
centre, sd, 2.5% and 97.5% of the fold-mean bootstrapped spectra),
train_sigma (mean over folds of the train singular values/(n-1)),
dims_above_null (with permutations: how many leading components exceed the
99% quantile of their own permutation null), info.
Cross-trial (§3.7), with param repeats [r1, r2]: y is input y_repeats
(stimuli × repeats × units, e.g. load hdf5 with axes) and x is input
x_repeats (another recording of the same stimuli) or input x (a model,
the same in every repeat). Both pairings, fitted on (x repeat r1, y repeat
r2) and on (x repeat r2, y repeat r1), use one fold plan, and the spectrum
per fold is the mean of the two pairings' test covariances, so noise
independent across repeats adds no expected covariance; the permutation
null and the bootstrap redraw the same rows in both pairings and average
likewise; train_sigma averages both pairings' fits. Only metric covariance
(the average is of covariances; a correlation would be formed after it).
info.cross_trial is true and info.repeats the pair.`
}

// Validate refuses a correlation metric in the cross-trial mode, and
// covariance_total where there is no second statistic to give.
func (crossdecomp) Validate(p Params) error {
	if p.Bool("covariance_total") && (p.String("metric") == "covariance" || p.Has("repeats")) {
		return fmt.Errorf("param \"covariance_total\": the covariance spectrum beside a correlation metric, same-trial only; drop it with metric covariance or param repeats")
	}
	if p.Has("repeats") && p.String("metric") != "covariance" {
		return fmt.Errorf("param \"metric\": %s with param \"repeats\": the cross-trial spectrum averages the two pairings' covariances before any ratio; use metric: covariance", p.String("metric"))
	}
	return nil
}

func (crossdecomp) Params() []ParamSpec {
	return []ParamSpec{
		{Name: "n_folds", Type: Int, Default: 8, Min: Bound(2), Doc: "cross-validation folds, random or grouped (ignored when the folds input is given)"},
		{Name: "n_components", Type: Int, Optional: true, Min: Bound(1), Doc: "components (default min(n_train-1, dX, dY) over folds)"},
		{Name: "metric", Type: String, Default: "covariance", Choices: []string{"covariance", "correlation", "correlation-uncentered"}, Doc: "per-component test statistic: covariance, Pearson correlation, or the paper code's uncentered correlation (parity only; can exceed 1)"},
		{Name: "normalize", Type: Bool, Default: true, Doc: "covariance: divide by sqrt(dX·dY)"},
		{Name: "recenter_test", Type: Bool, Default: false, Doc: "covariance: re-center test projections on their own means (np.cov); correlation is always centered"},
		{Name: "covariance_total", Type: Bool, Default: false, Doc: "with a correlation metric: also the covariance spectrum of the same fit (spectrum_covariance, total_covariance, total_covariance_folds, total_covariance_ci; normalize and recenter_test apply), instead of fitting the same data twice"},
		{Name: "n_permutations", Type: Int, Default: 0, Min: Bound(0), Doc: "permutation null draws (y's test rows permuted; with groups, whole groups permuted within each fold)"},
		{Name: "n_bootstraps", Type: Int, Default: 0, Min: Bound(0), Doc: "bootstrap draws (test rows resampled; with groups, a cluster bootstrap of whole groups)"},
		{Name: "bins_per_decade", Type: Int, Default: 3, Min: Bound(1), Max: Bound(100), Doc: "geometric bins per decade of rank (§3.6)"},
		{Name: "route", Type: String, Default: decomp.RouteAuto, Choices: []string{decomp.RouteAuto, decomp.RouteDirect, decomp.RouteGram}, Doc: "SVD of the dX×dY cross-product, the exact Gram route (§3.9), or auto by size"},
		{Name: "seed", Type: Int, Default: 0, Doc: "random folds, permutations and bootstraps"},
		{Name: "repeats", Type: IntList, Optional: true, Len: 2, Min: Bound(0), Doc: "cross-trial spectrum (§3.7) of these two repeats (0-based) of inputs y_repeats and x_repeats"},
	}
}

func (crossdecomp) Inputs() []InputSpec {
	return []InputSpec{
		{Name: "x", Doc: "N×dX (further axes are flattened); with param repeats, the same features in both pairings (not with x_repeats)", Optional: true},
		{Name: "y", Doc: "N×dY, rows aligned with x (not with param repeats)", Optional: true},
		{Name: "y_repeats", Doc: "with param repeats: stimuli × repeats × units", Optional: true},
		{Name: "x_repeats", Doc: "with param repeats: stimuli × repeats × units of the x side (instead of x)", Optional: true},
		{Name: "folds", Doc: "int64 fold label 0..F-1 per row (overrides n_folds; not with groups)", Optional: true},
		{Name: "groups", Doc: "integer group label per row (int64, or floats with integer values, e.g. photos.photo): group k-fold over n_folds folds (not with folds)", Optional: true},
	}
}

func (crossdecomp) Outputs(p Params) []string {
	out := []string{"spectrum", "spectrum_folds", "binned", "train_sigma", "total", "total_folds", "total_ci", "info"}
	if p.Int("n_permutations") > 0 {
		out = append(out, "null_quantiles", "dims_above_null")
	}
	if p.Int("n_bootstraps") > 0 {
		out = append(out, "bootstrap_ci")
	}
	if p.Bool("covariance_total") {
		out = append(out, "spectrum_covariance", "total_covariance", "total_covariance_folds", "total_covariance_ci")
	}
	return out
}

func (crossdecomp) Resources(Params) Resources { return Resources{Threads: 2} }

func (crossdecomp) Run(ctx context.Context, _ *ndarray.Scratch, in Inputs, p Params) (Outputs, error) {
	var fit *crossFit
	var err error
	if p.Has("repeats") {
		fit, err = fitCrossTrialStage(ctx, in, p)
	} else {
		fit, err = fitSameTrial(ctx, in, p)
	}
	if err != nil {
		return nil, err
	}
	bins := decomp.NewBins(p.Int("bins_per_decade"))
	binned, used := binFolds(bins, fit.perFold)
	mean := meanRows(fit.perFold)
	out := Outputs{
		"spectrum": mean, "total": ndarray.Scalar(floats.Sum(mean.F64)), "total_folds": fit.totals, "total_ci": foldCI(fit.totals.F64),
		"spectrum_folds": fit.perFold, "train_sigma": fit.sigma, "binned": binned,
		"info": fit.plan.recordResampling(fit.plan.record(fit.info), p.Int("n_permutations") > 0, p.Int("n_bootstraps") > 0),
	}
	maps.Copy(out, fit.extra)
	rng := RNG("crossdecomp", p.Int("seed"))
	permSeed, bootSeed := rng.Uint64(), rng.Uint64()
	if np := p.Int("n_permutations"); np > 0 {
		draws, err := fit.resample(decomp.Permute, np, permSeed)
		if err != nil {
			return nil, err
		}
		out["null_quantiles"] = binnedQuantiles(bins, used, draws, nullLevels, false)
		out["dims_above_null"] = ndarray.Scalar(float64(dimsAboveNull(mean.F64, draws, dimsLevel)))
	}
	if nb := p.Int("n_bootstraps"); nb > 0 {
		draws, err := fit.resample(decomp.Bootstrap, nb, bootSeed)
		if err != nil {
			return nil, err
		}
		out["bootstrap_ci"] = binnedQuantiles(bins, used, draws, []float64{0.025, 0.975}, true)
	}
	return out, nil
}

// crossFit is what crossdecomp reports of its fitted folds, same-trial or
// cross-trial alike: the test spectrum per fold (folds × K) and each
// fold's sum, the mean train singular values, the info record so far, the
// fold plan, and how to redraw the held-out rows.
type crossFit struct {
	perFold, totals, sigma *ndarray.Array
	info                   ndarray.Record
	plan                   foldPlan
	extra                  Outputs // covariance_total's outputs
	resample               func(kind decomp.Resampling, n int, seed uint64) (*mat.Dense, error)
}

// fitSameTrial fits x against y (§3.1–3.4).
func fitSameTrial(ctx context.Context, in Inputs, p Params) (*crossFit, error) {
	x, y, plan, err := crossInputs(in, p)
	if err != nil {
		return nil, err
	}
	n, dx := x.Dims()
	_, dy := y.Dims()
	metric, err := crossMetric(p, dx, dy)
	if err != nil {
		return nil, err
	}
	same := in["x"].Digest() == in["y"].Digest()
	folds, err := fitFolds(ctx, x, y, plan, p, same)
	if err != nil {
		return nil, err
	}
	spectra := make([][]float64, len(folds.Fits))
	for f := range folds.Fits {
		spectra[f] = decomp.Spectrum(folds.Held[f], nil, nil, metric)
	}
	fit := newCrossFit(spectra, folds.K, plan, folds)
	if p.Bool("covariance_total") {
		fit.extra = covarianceOutputs(folds, p, dx, dy)
	}
	fit.info = ndarray.Record{"n_samples": n, "dx": dx, "dy": dy, "n_folds": len(folds.Fits), "n_components": folds.K,
		"numerical_rank": minRank(folds.K, folds), "pca_case": same, "metric": p.String("metric"), "normalize_by": metric.Normalize,
		"route": folds.Fits[0].Route}
	fit.resample = func(kind decomp.Resampling, n int, seed uint64) (*mat.Dense, error) {
		return decomp.Resample(folds.Held, kind, metric, n, seed, 0), nil
	}
	return fit, nil
}

// covarianceOutputs is the covariance spectrum of the fitted folds
// (covariance_total): its fold mean, total, per-fold totals and their
// t-interval, named as the main outputs with the suffix _covariance.
func covarianceOutputs(folds *decomp.Folds, p Params, dx, dy int) Outputs {
	m := covarianceMetric(p, dx, dy)
	spectra := make([][]float64, len(folds.Fits))
	for f := range folds.Fits {
		spectra[f] = decomp.Spectrum(folds.Held[f], nil, nil, m)
	}
	cov := newCrossFit(spectra, folds.K, foldPlan{}, folds)
	mean := meanRows(cov.perFold)
	return Outputs{"spectrum_covariance": mean, "total_covariance": ndarray.Scalar(floats.Sum(mean.F64)),
		"total_covariance_folds": cov.totals, "total_covariance_ci": foldCI(cov.totals.F64)}
}

// newCrossFit collects the per-fold spectra (folds × k) and their sums,
// and the train singular values averaged over the folds of every fitting
// given (one for same-trial, both pairings for cross-trial).
func newCrossFit(spectra [][]float64, k int, plan foldPlan, fits ...*decomp.Folds) *crossFit {
	perFold, totals, sigma := ndarray.NewF64(len(spectra), k), ndarray.NewF64(len(spectra)), ndarray.NewF64(k)
	for f, spec := range spectra {
		copy(perFold.F64[f*k:], spec)
		totals.F64[f] = floats.Sum(spec)
	}
	for _, folds := range fits {
		for _, fd := range folds.Fits {
			addScaled(sigma.F64, fd.Sigma[:k], 1/float64(len(folds.Fits)*len(fits)))
		}
	}
	return &crossFit{perFold: perFold, totals: totals, sigma: sigma, plan: plan}
}

// minRank is the least numerical rank over the folds of every fitting,
// at most k.
func minRank(k int, fits ...*decomp.Folds) int {
	for _, folds := range fits {
		for _, fd := range folds.Fits {
			k = min(k, fd.Rank)
		}
	}
	return k
}

// crossInputs validates x and y and makes their folds.
func crossInputs(in Inputs, p Params) (x, y *mat.Dense, plan foldPlan, err error) {
	xa, err := in.Array("x")
	if err != nil {
		return nil, nil, plan, err
	}
	ya, err := in.Array("y")
	if err != nil {
		return nil, nil, plan, err
	}
	for _, c := range []struct {
		name string
		a    *ndarray.Array
	}{{"x", xa}, {"y", ya}} {
		if len(c.a.Shape) < 2 {
			return nil, nil, plan, fmt.Errorf("input %q: want N×d (samples × features), got %s", c.name, c.a.Describe())
		}
		if err := c.a.CheckFinite(); err != nil {
			return nil, nil, plan, fmt.Errorf("input %q: %w", c.name, err)
		}
	}
	n := xa.Rows()
	if ya.Rows() != n {
		return nil, nil, plan, fmt.Errorf("inputs \"x\" and \"y\" must have one row per stimulus in the same order: x has %d rows, y has %d", n, ya.Rows())
	}
	if plan, err = planFolds(in, p, n); err != nil {
		return nil, nil, plan, err
	}
	return matrix(xa), matrix(ya), plan, nil
}

// crossMetric is the test statistic the metric params ask for (§3.3).
func crossMetric(p Params, dx, dy int) (decomp.Metric, error) {
	switch p.String("metric") {
	case "correlation":
		return decomp.Metric{Correlation: true, Recenter: true}, nil
	case "correlation-uncentered":
		if p.Bool("recenter_test") {
			return decomp.Metric{}, fmt.Errorf("param \"recenter_test\": true would turn metric correlation-uncentered into the centered Pearson r; use metric: correlation for that, or drop recenter_test")
		}
		return decomp.Metric{Correlation: true}, nil
	}
	return covarianceMetric(p, dx, dy), nil
}

// covarianceMetric is the covariance statistic with the normalize and
// recenter_test params.
func covarianceMetric(p Params, dx, dy int) decomp.Metric {
	m := decomp.Metric{Recenter: p.Bool("recenter_test")}
	if p.Bool("normalize") {
		m.Normalize = math.Sqrt(float64(dx) * float64(dy))
	}
	return m
}

// foldCI is the 95% t-interval of the mean of per-fold values v:
// mean ± t(0.975, F−1)·sd/√F, sd with ddof 1 (float64 [2]: low, high).
func foldCI(v []float64) *ndarray.Array {
	m, sd := meanSD(v)
	half := distuv.StudentsT{Mu: 0, Sigma: 1, Nu: float64(len(v) - 1)}.Quantile(0.975) * sd / math.Sqrt(float64(len(v)))
	return &ndarray.Array{Shape: []int{2}, F64: []float64{m - half, m + half}}
}

func addScaled(acc, v []float64, s float64) {
	for i, x := range v {
		acc[i] += x * s
	}
}

// nullLevels are the quantiles reported for the permutation null: the
// 1/2/3-sigma lines of the paper's figure and plot_spectra's 0.99.
var nullLevels = []float64{0.683, 0.955, 0.997, 0.99}

// binFolds bins each fold's spectrum and returns per used bin its centre,
// the mean over folds and the sd over folds (ddof 1), as §3.5 plots, and
// the indices of the used bins.
func binFolds(b decomp.Bins, perFold *ndarray.Array) (*ndarray.Array, []int) {
	nf, k := perFold.Shape[0], perFold.Shape[1]
	var used []int
	var binned [][]float64
	for f := 0; f < nf; f++ {
		idx, means, _ := b.Mean(perFold.F64[f*k : (f+1)*k])
		used, binned = idx, append(binned, means)
	}
	out := ndarray.NewF64(len(used), 3)
	for i, bin := range used {
		col := make([]float64, nf)
		for f := range binned {
			col[f] = binned[f][i]
		}
		m, sd := meanSD(col)
		out.F64[i*3], out.F64[i*3+1], out.F64[i*3+2] = b.Centres[bin], m, sd
	}
	return out, used
}

// meanSD returns the mean and the sample sd (ddof 1) of v.
func meanSD(v []float64) (mean, sd float64) {
	for _, x := range v {
		mean += x / float64(len(v))
	}
	for _, x := range v {
		sd += (x - mean) * (x - mean) / float64(len(v)-1)
	}
	return mean, math.Sqrt(sd)
}

// binnedQuantiles bins every draw (a row of fold-mean spectra) and returns
// per used bin its centre, optionally the sd over draws (ddof 1), and the
// quantiles over draws at the given levels.
func binnedQuantiles(b decomp.Bins, used []int, draws *mat.Dense, levels []float64, withSD bool) *ndarray.Array {
	n, _ := draws.Dims()
	cols := make([][]float64, len(used)) // per bin: one value per draw
	for d := 0; d < n; d++ {
		_, means, _ := b.Mean(draws.RawRowView(d))
		for i, v := range means {
			cols[i] = append(cols[i], v)
		}
	}
	width := 1 + len(levels)
	if withSD {
		width++
	}
	out := ndarray.NewF64(len(used), width)
	for i, col := range cols {
		row := out.F64[i*width : (i+1)*width]
		row[0] = b.Centres[used[i]]
		if withSD {
			_, row[1] = meanSD(col)
		}
		sort.Float64s(col)
		for j, q := range levels {
			row[width-len(levels)+j] = decomp.Quantile(col, q)
		}
	}
	return out
}

// dimsLevel is the permutation-null quantile a component must exceed to
// count in dims_above_null.
const dimsLevel = 0.99

// dimsAboveNull counts the leading components, from rank 1 on, whose
// fold-mean spectrum exceeds the level quantile of the same component's
// permuted fold-mean spectra: the number of dimensions the two
// representations share beyond chance (a one-number summary for layer ×
// target tables; the binned null is what the figures draw). It stops at
// the first component that does not, so a chance excess deep in the tail
// is not counted.
func dimsAboveNull(spec []float64, draws *mat.Dense, level float64) int {
	n, _ := draws.Dims()
	col := make([]float64, n)
	for k, v := range spec {
		for d := range col {
			col[d] = draws.At(d, k)
		}
		sort.Float64s(col)
		if !(v > decomp.Quantile(col, level)) {
			return k
		}
	}
	return len(spec)
}

func meanRows(a *ndarray.Array) *ndarray.Array {
	r, c := a.Shape[0], a.Shape[1]
	out := ndarray.NewF64(c)
	for i := 0; i < r; i++ {
		addScaled(out.F64, a.F64[i*c:(i+1)*c], 1/float64(r))
	}
	return out
}
