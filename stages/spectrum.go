package stages

import (
	"cmp"
	"context"
	"fmt"
	"gonum.org/v1/gonum/floats"
	"io"
	"math"
	"slices"

	"github.com/eigenlab/eigenlab/ndarray"
	"github.com/eigenlab/eigenlab/stages/decomp"
	"github.com/eigenlab/eigenlab/stages/spectral"
)

// spectrum computes covariance eigenspectra, the power-law exponent α and
// the effective dimension (METHODS.md §1).
type spectrum struct{}

func init() { Register(spectrum{}) }

func (spectrum) Kind() string    { return "spectrum" }
func (spectrum) Version() string { return "7" }

// defaultBootstraps is the default n_bootstraps. Measured in-process on
// 2 shared cores: channel view, N = 2000 float32 images of 192×28×28,
// 7–9 s without draws, 14 s with 100 (15 s with 200); full view, N = 2000
// × 100k float32 features (Gram route), 50–52 s without, 95 s with 100
// (~0.3 s per draw: one eigenvalue problem of the ~1264 distinct stimuli).
// 100 keeps both within 2× of a run without draws.
const defaultBootstraps = 100

func (spectrum) Doc() string {
	return `Covariance eigenspectrum of x (rows are samples; METHODS §1), its power-law
exponent alpha with its uncertainty, and the effective dimension
(participation ratio).
x is an N×F matrix or N×C×H×W activations (float32 is read block by block).
Views: full (flattened in C order; Gram trick when features > samples),
channel (positions as samples, C×C covariance), spatial (one C×C covariance
per location: alpha per location in alpha_per_location, their median, mean
and the centre location's in info, and the headline alpha of the rank-wise
mean spectrum).
Estimators (§1.2): stringer (WLS, weights 1/n), ols-range, elmoznino-logspaced,
elmoznino-tail (these two choose their own ranks), logbinned (per geometric
bin, bins_per_decade: ln of the mean λ of its members against their mean
ln rank, the reference of §1.2/§3.6) and logbinned-geometric (the mean ln λ
per bin instead). Default ranks [11, min(500, R-2)], R the last usable rank.
Fit acceptance (§1.2, §8.1): values <= 0 or <= 1e-12·λmax are dropped
before the range is applied; a fit needs >= 10 points (bins for logbinned)
whose ranks span >= 1 decade (last/first >= 10). Otherwise the stage still
succeeds and reports "no fit": alpha, r2, alpha_ci and alpha_ranges are NaN
and info.fit gives the reason (info.fit is "ok" for a fit). Spatial-view
locations follow the same rule (NaN in alpha_per_location, counted in
info.locations_unfit, the first reason in info.location_no_fit).
alpha_ci: the 2.5% and 97.5% percentiles of alpha refitted (same estimator,
same fitted ranks) on the spectra of n_bootstraps resamples of the stimuli
(rows / images drawn with replacement, seeded by seed in a stream of their
own; with the groups input, whole groups drawn with replacement: a cluster
bootstrap for dependent stimuli such as overlapping patches of one photo;
info.bootstrap says which). A draw that gives no fit, or whose spectrum
does not reach the fitted range's last rank (a resample holds only ~0.63·N
distinct stimuli), is left out and counted in info.bootstrap_no_fit. Resampling spreads a spectrum's
eigenvalues (duplicated stimuli), so where the range reaches a flat,
noise-dominated tail the interval is biased upward, and full-view (Gram)
intervals of network activations were seen to sit below alpha:
info.alpha_in_ci is false when the interval misses alpha itself. Cost per draw: full view, Gram route
(features > samples): one eigenvalue problem on the drawn stimuli from the
one N×N Gram; direct route: one F×F covariance (as much as the run itself);
channel view: per-image moments combined with the draws' counts in one pass
over the images (~N·C² flops per draw); spatial view: only the headline
(rank-wise mean) spectrum is bootstrapped, every location recomputed per
draw, so a draw costs about one run without draws (lower n_bootstraps
there); cvPCA: both repeats resampled with the same indices and the nshuff
shuffles redone per draw (a draw costs about one estimate).
alpha_ranges: alpha on the two neighbouring ranges of the fitted [lo, hi],
shifted down and up in log-rank by a quarter of its log-width and rounded
outward: lo' = floor(lo·(hi/lo)^(∓1/4)), hi' = ceil(hi·(hi/lo)^(∓1/4)),
clipped to [1, R] (the project's convention; a one-decade range keeps
one-decade neighbours; the ranges in info.neighbour_ranges). NaN where a
neighbour gives no fit, and for the elmoznino estimators, which choose
their own ranks.
With a second repeat x2 the spectrum is cross-validated PCA (§1.4, full
view): axes from x, cv_k = Σ_i c1·c2/(N−1), averaged over nshuff repeat
swaps; ed is then NaN (ED is for PCA eigenvalues only).
With param repeats [r1, r2] the input is responses instead of x (stimuli ×
repeats × units, e.g. load hdf5 with axes) and the spectrum is cvPCA of
repeats r1 and r2 within each unit group (the unit_groups input: an area or
ROI label per unit; without it, one group of every unit), each group fitted
as above with its alpha_ci from bootstraps of the stimuli (the groups input
still makes them cluster bootstraps). Every output then has one entry per
group, in the order of group_labels (the sorted distinct labels): alpha,
r2, n_points (G), alpha_ci and fit_range (G×2), eigenvalues (G×K, NaN past
a group's own K = min(stimuli, its units)); info.groups holds each group's
label, units, fit, alpha_in_ci and bootstrap_no_fit.
Outputs: eigenvalues, alpha, r2, ed, fit_range (first and last rank fitted,
[0 0] if none), n_points (points fitted: ranks, or bins for logbinned),
alpha_ci [2.5%, 97.5%], alpha_ranges [down, up], info; spatial view also
alpha_per_location (H×W), alpha_center (the centre location's, NaN if it
cannot be fitted) and alpha_median (over the locations that can).`
}

func (spectrum) Params() []ParamSpec {
	return []ParamSpec{
		{Name: "view", Type: String, Default: "full", Choices: []string{"full", "channel", "spatial"}, Doc: "which covariance (§1.1)"},
		{Name: "estimator", Type: String, Default: "stringer", Choices: spectral.Estimators, Doc: "α estimator (§1.2)"},
		{Name: "ranks", Type: IntList, Optional: true, Len: 2, Min: Bound(1), Doc: "1-based inclusive rank range [lo, hi] of the fit (default [11, min(500, R-2)])"},
		{Name: "bins_per_decade", Type: Int, Default: 10, Min: Bound(1), Doc: "rank bins per decade (logbinned estimators only)"},
		{Name: "center", Type: Bool, Default: true, Doc: "channel view: center (false: uncentered second moment SᵀS/(NL), Rainbow parity)"},
		{Name: "drop_nonfinite", Type: Bool, Default: false, Doc: "drop feature columns (channels in the channel and spatial views) holding NaN/Inf instead of failing"},
		{Name: "nshuff", Type: Int, Default: 10, Min: Bound(0), Doc: "cvPCA: repeat-swap shuffles to average (0: the unshuffled estimate)"},
		{Name: "n_bootstraps", Type: Int, Default: defaultBootstraps, Min: Bound(0), Doc: "bootstrap resamples of the stimuli behind alpha_ci (0: alpha_ci is NaN)"},
		{Name: "seed", Type: Int, Default: 0, Doc: "seed of the cvPCA shuffles and of the bootstrap draws (separate streams)"},
		{Name: "repeats", Type: IntList, Optional: true, Len: 2, Min: Bound(0), Doc: "cvPCA per unit group of these two repeats (0-based) of input responses"},
	}
}

// Validate checks the rank range against the estimator.
func (spectrum) Validate(p Params) error {
	r := p.Ints("ranks")
	switch {
	case p.Has("repeats") && (p.String("view") != "full" || p.Bool("drop_nonfinite")):
		return fmt.Errorf("param \"repeats\": cvPCA of responses is computed in the full view without dropping columns; set view: full and drop_nonfinite: false")
	case r == nil:
		return nil
	case !spectral.RangedEstimator(p.String("estimator")):
		return fmt.Errorf("param \"ranks\": estimator %s chooses its own ranks; remove ranks or pick stringer, ols-range or a logbinned estimator", p.String("estimator"))
	case r[0] >= r[1]:
		return fmt.Errorf("param \"ranks\": [%d, %d]: want lo < hi", r[0], r[1])
	}
	return nil
}

func (spectrum) Inputs() []InputSpec {
	return []InputSpec{
		{Name: "x", Doc: "N×F matrix or N×C×H×W activations (not with param repeats)", Optional: true},
		{Name: "x2", Doc: "a second repeat of x (same stimuli, same order): the spectrum is then cvPCA (§1.4, full view)", Optional: true},
		{Name: "groups", Doc: "one integer group label per stimulus (e.g. load photos' photo): alpha_ci then resamples whole groups (a cluster bootstrap)", Optional: true},
		{Name: "responses", Doc: "with param repeats: stimuli × repeats × units (instead of x)", Optional: true},
		{Name: "unit_groups", Doc: "with param repeats: one integer label per unit (area, ROI); one spectrum per label", Optional: true},
	}
}

func (spectrum) Outputs(p Params) []string {
	if p.Has("repeats") {
		return groupOutputs
	}
	out := []string{"eigenvalues", "alpha", "r2", "ed", "fit_range", "n_points", "alpha_ci", "alpha_ranges", "info"}
	if p.String("view") == "spatial" {
		out = append(out, "alpha_per_location", "alpha_center", "alpha_median")
	}
	return out
}

func (spectrum) Resources(Params) Resources { return Resources{Threads: 2} }

func (spectrum) Run(_ context.Context, _ *ndarray.Scratch, in Inputs, p Params) (Outputs, error) {
	if p.Has("repeats") {
		return groupSpectra(in, p)
	}
	if _, ok := in["responses"]; ok {
		return nil, fmt.Errorf("input \"responses\" needs param \"repeats\" (the two repeats whose cvPCA is taken per unit group)")
	}
	var files closers
	defer files.close()
	x, x2, info, err := spectrumInputs(in, p, &files)
	if err != nil {
		return nil, err
	}
	out := Outputs{"info": info}
	boot, err := newBootstrap(in, p, x.N(), info)
	if err != nil {
		return nil, err
	}
	lam, draws, err := viewSpectra(x, x2, p, boot, out)
	if err != nil {
		return nil, fmt.Errorf("input \"x\": %w", err)
	}
	fit, err := fitSpectrum(lam, p, info)
	if err != nil {
		return nil, err
	}
	ed := spectral.EffectiveDim(lam)
	if x2.Shape != nil {
		ed = math.NaN() // ED is defined for PCA eigenvalues only (§1.3)
	}
	out["eigenvalues"] = &ndarray.Array{Shape: []int{len(lam)}, F64: lam}
	out["alpha"], out["r2"], out["ed"] = ndarray.Scalar(fit.Alpha), ndarray.Scalar(fit.R2), ndarray.Scalar(ed)
	out["fit_range"], out["n_points"] = ndarray.Ints(fit.Lo, fit.Hi), ndarray.Scalar(float64(fit.Points))
	out["alpha_ci"] = bootstrapCI(fit, draws, p, info)
	out["alpha_ranges"] = rangeSensitivity(lam, fit, p, info)
	return out, nil
}

// newBootstrap draws the resamples behind alpha_ci (nil with n_bootstraps
// 0): of the stimuli one by one, or, with the groups input, of whole
// groups (a cluster bootstrap: patches of one photo overlap, so they are
// resampled together or the CI is too narrow).
func newBootstrap(in Inputs, p Params, n int, info ndarray.Record) (*spectral.Bootstrap, error) {
	nb := p.Int("n_bootstraps")
	g, grouped := in["groups"]
	if nb == 0 {
		return nil, nil
	}
	rng := RNG("spectrum-bootstrap", p.Int("seed"))
	if !grouped {
		info["bootstrap"] = "stimuli"
		return spectral.NewBootstrap(rng, n, nb), nil
	}
	labels, err := groupLabels(g, n)
	if err != nil {
		return nil, err
	}
	ints, seen := make([]int, n), map[int64]bool{}
	for i, l := range labels {
		ints[i], seen[l] = int(l), true
	}
	if len(seen) < 2 {
		return nil, fmt.Errorf("input \"groups\": %d distinct group(s); a bootstrap over groups needs at least 2 (remove groups to resample the stimuli)", len(seen))
	}
	info["bootstrap"], info["n_groups"] = "groups", len(seen)
	return spectral.NewGroupBootstrap(rng, ints, nb), nil
}

// viewSpectra computes the spectrum of the view (or cvPCA with x2) and,
// with boot, the same spectrum of every bootstrap draw.
func viewSpectra(x, x2 spectral.Tensor, p Params, boot *spectral.Bootstrap, out Outputs) (lam []float64, draws [][]float64, err error) {
	info := out["info"].(ndarray.Record)
	switch view := p.String("view"); {
	case x2.Shape != nil:
		info["cvpca"], info["nshuff"] = true, p.Int("nshuff")
		return spectral.CvPCA(RNG("spectrum", p.Int("seed")), x, x2, p.Int("nshuff"), boot)
	case view == "full":
		info["route"] = spectral.FullRoute(x.N(), x.Features())
		return spectral.FullSpectra(x, boot)
	case view == "channel":
		return spectral.ChannelSpectra(x, p.Bool("center"), boot)
	default:
		return spatialSpectrum(x, p, boot, out)
	}
}

// spectrumInputs checks x (and x2) against the view, applies the NaN
// policy (METHODS.md §0.1) and starts the info record. An input held in an
// ArrayFile is read in place (its file added to files), except with x2:
// cvPCA takes its repeats in memory.
func spectrumInputs(in Inputs, p Params, files *closers) (x, x2 spectral.Tensor, info ndarray.Record, err error) {
	view := p.String("view")
	_, cv := in["x2"]
	if x, err = viewTensor(in, "x", view, !cv, files); err != nil {
		return x, x2, nil, err
	}
	if cv {
		if view != "full" {
			return x, x2, nil, fmt.Errorf("input \"x2\": cvPCA is computed in the full view only, but param view is %s; set view: full or remove x2", view)
		}
		if x2, err = viewTensor(in, "x2", view, false, files); err != nil {
			return x, x2, nil, err
		}
		if !slices.Equal(x.Shape, x2.Shape) {
			return x, x2, nil, fmt.Errorf("input \"x2\": shape %v differs from input \"x\" %v; the two repeats must hold the same stimuli and features", x2.Shape, x.Shape)
		}
	}
	dropped := 0
	if x, x2, dropped, err = dropNonfinite(x, x2, view != "full", p.Bool("drop_nonfinite")); err != nil {
		return x, x2, nil, err
	}
	info = ndarray.Record{"view": view, "n_samples": x.N(), "n_features": x.Features(), "dropped_columns": dropped}
	return x, x2, info, nil
}

// dropNonfinite applies the NaN policy of METHODS.md §0.1: an error
// naming the first NaN/Inf, or (allow) x and x2 without every feature
// column (byChannel: channel) that holds one in either.
func dropNonfinite(x, x2 spectral.Tensor, byChannel, allow bool) (_, _ spectral.Tensor, dropped int, err error) {
	unit := "feature columns"
	if byChannel {
		unit = "channels"
	}
	var drop []bool
	for _, in := range []struct {
		name string
		t    spectral.Tensor
	}{{"x", x}, {"x2", x2}} {
		if in.t.Shape == nil {
			continue
		}
		i, v, err := in.t.FirstNonfinite()
		if err != nil {
			return x, x2, 0, fmt.Errorf("input %q: %w", in.name, err)
		}
		if i < 0 {
			continue
		}
		if !allow {
			return x, x2, 0, fmt.Errorf("input %q: element %v is %v; data must be finite, or set drop_nonfinite: true to drop the %s holding NaN/Inf",
				in.name, unravel(in.t.Shape, i), v, unit)
		}
		bad, err := in.t.NonfiniteFeatures(byChannel)
		if err != nil {
			return x, x2, 0, fmt.Errorf("input %q: %w", in.name, err)
		}
		for j := range drop {
			bad[j] = bad[j] || drop[j]
		}
		drop = bad
	}
	for _, b := range drop {
		if b {
			dropped++
		}
	}
	switch {
	case dropped == 0:
		return x, x2, 0, nil
	case dropped == len(drop):
		return x, x2, 0, fmt.Errorf("input \"x\": every one of the %d %s holds NaN/Inf; nothing is left after drop_nonfinite", dropped, unit)
	}
	if x, err = x.DropFeatures(drop, byChannel); err != nil {
		return x, x2, 0, fmt.Errorf("input \"x\": %w", err)
	}
	if x2.Shape != nil {
		if x2, err = x2.DropFeatures(drop, byChannel); err != nil {
			return x, x2, 0, fmt.Errorf("input \"x2\": %w", err)
		}
	}
	return x, x2, dropped, nil
}

// viewTensor returns input name as a tensor of the form the view needs.
// With stream, a float32 or float64 ArrayFile is read in place and its
// open file added to files; any other input is an array in memory.
func viewTensor(in Inputs, name, view string, stream bool, files *closers) (spectral.Tensor, error) {
	var t spectral.Tensor
	var desc string
	if f, ok := in[name].(*ndarray.ArrayFile); ok && stream && f.DType != ndarray.Int64 {
		pl, err := f.OpenPayload()
		if err != nil {
			return t, fmt.Errorf("input %q: %w", name, err)
		}
		*files = append(*files, pl)
		t = spectral.Tensor{Shape: f.Shape, File: &spectral.File{Name: fmt.Sprintf("input %q (%s)", name, f.Path), R: pl, F32: f.DType == ndarray.Float32}}
		desc = f.Describe()
	} else {
		a, err := in.Array(name)
		if err != nil {
			return t, err
		}
		t = spectral.Tensor{Shape: a.Shape, F64: a.F64, F32: a.F32}
		if a.DType() == ndarray.Int64 {
			t.F64 = a.Float64s()
		}
		desc = a.Describe()
	}
	switch {
	case len(t.Shape) != 2 && len(t.Shape) != 4:
		return t, fmt.Errorf("input %q: got %s; want an N×F matrix or N×C×H×W activations", name, desc)
	case view != "full" && len(t.Shape) != 4:
		return t, fmt.Errorf("input %q: param view=%s needs N×C×H×W activations, got %s", name, view, desc)
	case t.Shape[0] < 2:
		return t, fmt.Errorf("input %q: %d sample(s) in %s; want at least 2 rows (samples)", name, t.Shape[0], desc)
	case ndarray.Numel(t.Shape) == 0:
		return t, fmt.Errorf("input %q: %s holds no values", name, desc)
	}
	return t, nil
}

// closers are files a stage opened for reading in place.
type closers []io.Closer

// close closes them all (read-only files: nothing to report).
func (c closers) close() {
	for _, f := range c {
		f.Close()
	}
}

// unravel turns flat index i into a C-order multi-index of shape.
func unravel(shape []int, i int) []int {
	idx := make([]int, len(shape))
	for d := len(shape) - 1; d >= 0; d-- {
		idx[d], i = i%shape[d], i/shape[d]
	}
	return idx
}

// fitSpectrum fits α with the params' estimator and range, and records
// the fit in info: "fit" is "ok" or why there is no fit, "estimator", and
// for the ranged estimators "ranks", the range asked for.
func fitSpectrum(lam []float64, p Params, info ndarray.Record) (spectral.Fit, error) {
	fit, lo, hi, err := fitRange(lam, p)
	if err != nil {
		return fit, err
	}
	info["fit"], info["estimator"] = cmp.Or(fit.NoFit, "ok"), fit.Estimator
	if spectral.RangedEstimator(fit.Estimator) {
		info["ranks"] = []int{lo, hi}
	}
	return fit, nil
}

// fitRange fits lam with the params' estimator over the params' ranks
// (default: the default range of lam), which it returns.
func fitRange(lam []float64, p Params) (fit spectral.Fit, lo, hi int, err error) {
	lo, hi = spectral.DefaultRange(lam)
	if r := p.Ints("ranks"); r != nil {
		lo, hi = r[0], r[1]
	}
	fit, err = spectral.FitPowerLaw(lam, p.String("estimator"), lo, hi, p.Int("bins_per_decade"))
	if err != nil {
		return fit, lo, hi, fmt.Errorf("param \"estimator\": %w", err)
	}
	return fit, lo, hi, nil
}

// bootstrapCI is alpha_ci: the 2.5% and 97.5% percentiles (numpy's linear
// interpolation) of α refitted on every draw's spectrum with the main
// fit's estimator and fitted ranks [Lo, Hi]. A draw is left out, and
// counted in info, when it gives no fit or, for a ranged estimator, when
// its usable spectrum ends before Hi (a resample holds about 0.63·N
// distinct stimuli, so its spectrum can: a fit on fewer ranks would be
// another estimate); all are left out when the main fit is no fit.
// info["alpha_in_ci"] flags an interval that misses α itself (null
// without one): the resamples' spectra are then biased, as where the
// range reaches the flat, noise-dominated end of a spectrum.
func bootstrapCI(fit spectral.Fit, draws [][]float64, p Params, info ndarray.Record) *ndarray.Array {
	info["n_bootstraps"] = p.Int("n_bootstraps")
	var alphas []float64
	if fit.NoFit == "" {
		ranged := spectral.RangedEstimator(fit.Estimator)
		for _, lam := range draws {
			f, err := spectral.FitPowerLaw(lam, fit.Estimator, fit.Lo, fit.Hi, p.Int("bins_per_decade"))
			if err == nil && f.NoFit == "" && (!ranged || f.R >= fit.Hi) {
				alphas = append(alphas, f.Alpha)
			}
		}
	}
	info["bootstrap_no_fit"] = len(draws) - len(alphas)
	slices.Sort(alphas)
	lo, hi := decomp.Quantile(alphas, 0.025), decomp.Quantile(alphas, 0.975)
	info["alpha_in_ci"] = nil
	if len(alphas) > 0 {
		info["alpha_in_ci"] = lo <= fit.Alpha && fit.Alpha <= hi
	}
	return &ndarray.Array{Shape: []int{2}, F64: []float64{lo, hi}}
}

// rangeSensitivity is alpha_ranges: α on the two neighbouring ranges of
// the fitted one (spectral.NeighbourRanges: a quarter of the log-width
// down and up; METHODS.md §1.2, §8.1), NaN where a neighbour gives no fit.
// The ranges go to info["neighbour_ranges"] (null when there are none: no
// fit, or an estimator that chooses its own ranks).
func rangeSensitivity(lam []float64, fit spectral.Fit, p Params, info ndarray.Record) *ndarray.Array {
	alphas := []float64{math.NaN(), math.NaN()}
	info["neighbour_ranges"] = nil
	if fit.NoFit != "" || !spectral.RangedEstimator(fit.Estimator) {
		return &ndarray.Array{Shape: []int{2}, F64: alphas}
	}
	nr := spectral.NeighbourRanges(lam, fit.Lo, fit.Hi)
	for i, r := range nr {
		if f, err := spectral.FitPowerLaw(lam, fit.Estimator, r[0], r[1], p.Int("bins_per_decade")); err == nil {
			alphas[i] = f.Alpha // NaN for no fit
		}
	}
	info["neighbour_ranges"] = [][]int{nr[0][:], nr[1][:]}
	return &ndarray.Array{Shape: []int{2}, F64: alphas}
}

// spatialSpectrum is the spatial view (§1.1c): it fits α at every location
// (NaN where a location's spectrum gives no fit), writes them to
// out["alpha_per_location"] with their median, mean and the centre
// location's α (H/2, W/2) in the info record, and returns the rank-wise
// mean spectrum, whose α is the headline, with the mean spectrum of every
// bootstrap draw.
func spatialSpectrum(x spectral.Tensor, p Params, boot *spectral.Bootstrap, out Outputs) ([]float64, [][]float64, error) {
	spectra, draws, err := spectral.LocationSpectra(x, boot)
	if err != nil {
		return nil, nil, err
	}
	info := out["info"].(ndarray.Record)
	alphas := make([]float64, len(spectra))
	var fitted []float64
	for l, s := range spectra {
		fit, _, _, err := fitRange(s, p)
		if err != nil {
			return nil, nil, err
		}
		alphas[l] = fit.Alpha
		if fit.NoFit == "" {
			fitted = append(fitted, fit.Alpha)
		} else if _, seen := info["location_no_fit"]; !seen {
			info["location_no_fit"] = fmt.Sprintf("location %d: %s", l, fit.NoFit)
		}
	}
	h, w := x.Shape[2], x.Shape[3]
	info["locations_unfit"] = len(spectra) - len(fitted)
	center := alphas[(h/2)*w+w/2]
	median, mean := math.NaN(), math.NaN()
	if k := len(fitted); k > 0 {
		slices.Sort(fitted)
		median, mean = (fitted[(k-1)/2]+fitted[k/2])/2, floats.Sum(fitted)/float64(k)
	}
	info["alpha_center_location"] = finiteOrNil(center)
	info["alpha_median_location"], info["alpha_mean_location"] = finiteOrNil(median), finiteOrNil(mean)
	out["alpha_per_location"] = &ndarray.Array{Shape: []int{h, w}, F64: alphas}
	out["alpha_center"], out["alpha_median"] = ndarray.Scalar(center), ndarray.Scalar(median)
	return spectral.MeanSpectrum(spectra), draws, nil
}

// finiteOrNil keeps NaN out of JSON records (null instead).
func finiteOrNil(v float64) any {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return nil
	}
	return v
}
