package stages

import (
	"context"
	"fmt"
	"math"
	"sort"

	"gonum.org/v1/gonum/mat"

	"github.com/eigenlab/eigenlab/stages/decomp"
)

// crossdecomp is the cross-validated cross-decomposition spectrum of
// Gauthaman, Ménard & Bonner (METHODS.md §3).
type crossdecomp struct{}

func init() { Register(crossdecomp{}) }

func (crossdecomp) Kind() string    { return "crossdecomp" }
func (crossdecomp) Version() string { return "1" }

func (crossdecomp) Doc() string {
	return `Cross-validated cross-decomposition spectrum of x and y (rows are the same
stimuli; METHODS §3). For each fold: center by the train means, SVD of the
train cross-covariance (PCA if x and y are the same data; the exact Gram
route when x has many more features than samples), project the held-out
rows, and take the per-component test covariance (uncentered, as the paper
code) or correlation. Folds as the reference (remainder to fold 0), or
given by the optional folds input. Permutation null permutes y's test rows;
bootstrap resamples test rows. Outputs: spectrum (mean over folds),
spectrum_folds, binned (centre, mean, sd over folds per geometric bin),
null_quantiles (per bin: 68.3/95.5/99.7/99% of the fold-mean permuted
binned spectra), bootstrap_ci (2.5/97.5% per component), train_sigma, info.`
}

func (crossdecomp) Params() []ParamSpec {
	return []ParamSpec{
		{Name: "n_folds", Type: Int, Default: 8, Min: Bound(2), Doc: "cross-validation folds"},
		{Name: "n_components", Type: Int, Optional: true, Min: Bound(1), Doc: "components (default min(n_train-1, dX, dY))"},
		{Name: "metric", Type: String, Default: "covariance", Choices: []string{"covariance", "correlation"}, Doc: "per-component test statistic"},
		{Name: "normalize", Type: Bool, Default: true, Doc: "divide covariances by sqrt(dX·dY)"},
		{Name: "recenter_test", Type: Bool, Default: false, Doc: "re-center test projections on their own means (np.cov)"},
		{Name: "n_permutations", Type: Int, Default: 0, Min: Bound(0), Doc: "permutation null draws"},
		{Name: "n_bootstraps", Type: Int, Default: 0, Min: Bound(0), Doc: "bootstrap draws"},
		{Name: "bins_per_decade", Type: Int, Default: 3, Min: Bound(1), Doc: "geometric bins per decade of rank (§3.6)"},
		{Name: "seed", Type: Int, Default: 0, Doc: "folds, permutations and bootstraps"},
	}
}

func (crossdecomp) Inputs() []InputSpec {
	return []InputSpec{
		{Name: "x", Doc: "N×dX"},
		{Name: "y", Doc: "N×dY, rows aligned with x"},
		{Name: "folds", Doc: "int fold label per row (overrides n_folds)", Optional: true},
	}
}

func (crossdecomp) Outputs(p Params) []string {
	out := []string{"spectrum", "spectrum_folds", "binned", "train_sigma", "info"}
	if p.Int("n_permutations") > 0 {
		out = append(out, "null_quantiles")
	}
	if p.Int("n_bootstraps") > 0 {
		out = append(out, "bootstrap_ci")
	}
	return out
}

func (crossdecomp) Resources(Params) Resources { return Resources{Threads: 2} }

func (c crossdecomp) Run(ctx context.Context, in Inputs, p Params) (Outputs, error) {
	x, y, labels, err := crossInputs(in, p)
	if err != nil {
		return nil, err
	}
	n, dx := x.Dims()
	_, dy := y.Dims()
	nFolds := 0
	for _, l := range labels {
		nFolds = max(nFolds, l+1)
	}
	same := in["x"].Digest() == in["y"].Digest()
	metric := decomp.Metric{Correlation: p.String("metric") == "correlation", Recenter: p.Bool("recenter_test")}
	if p.Bool("normalize") {
		metric.Normalize = math.Sqrt(float64(dx) * float64(dy))
	}
	folds, err := fitFolds(ctx, x, y, labels, nFolds, p, same)
	if err != nil {
		return nil, err
	}
	k := len(folds[0].fit.Sigma)
	perFold := NewF64(nFolds, k)
	sigma := NewF64(k)
	for f, fd := range folds {
		copy(perFold.F64[f*k:], decomp.TestSpectrum(fd.xt, fd.yt, nil, metric))
		for i, s := range fd.fit.Sigma {
			sigma.F64[i] += s / float64(nFolds)
		}
	}
	out := Outputs{
		"spectrum":       meanRows(perFold),
		"spectrum_folds": perFold,
		"train_sigma":    sigma,
		"info": Record{"n_samples": n, "dx": dx, "dy": dy, "n_folds": nFolds, "n_components": k,
			"pca_case": same, "metric": p.String("metric")},
	}
	bins := decomp.NewBins(p.Int("bins_per_decade"), math.Max(10000, float64(k)))
	out["binned"] = binFolds(bins, perFold)
	rng := RNG("crossdecomp", p.Int("seed"))
	if np := p.Int("n_permutations"); np > 0 {
		out["null_quantiles"] = permutationNull(rng, folds, bins, metric, np)
	}
	if nb := p.Int("n_bootstraps"); nb > 0 {
		out["bootstrap_ci"] = bootstrapCI(rng, folds, metric, nb, k)
	}
	return out, nil
}

// crossInputs validates x, y and the fold labels.
func crossInputs(in Inputs, p Params) (*mat.Dense, *mat.Dense, []int, error) {
	xa, err := in.Array("x")
	if err != nil {
		return nil, nil, nil, err
	}
	ya, err := in.Array("y")
	if err != nil {
		return nil, nil, nil, err
	}
	for name, a := range map[string]*Array{"x": xa, "y": ya} {
		if err := a.CheckFinite(); err != nil {
			return nil, nil, nil, fmt.Errorf("input %q: %w", name, err)
		}
	}
	n := xa.Rows()
	if ya.Rows() != n {
		return nil, nil, nil, fmt.Errorf("inputs \"x\" and \"y\" must have one row per stimulus in the same order: x has %d rows, y has %d", n, ya.Rows())
	}
	var labels []int
	if fa, err := in.Array("folds"); err == nil {
		if fa.Len() != n {
			return nil, nil, nil, fmt.Errorf("input \"folds\": %d labels for %d rows", fa.Len(), n)
		}
		for i := 0; i < n; i++ {
			l := fa.Value(i)
			if l < 0 || l != math.Trunc(l) {
				return nil, nil, nil, fmt.Errorf("input \"folds\": label %v at row %d; want integers 0..n_folds-1", l, i)
			}
			labels = append(labels, int(l))
		}
	} else {
		if k := p.Int("n_folds"); n < 2*k {
			return nil, nil, nil, fmt.Errorf("param \"n_folds\": %d folds need at least %d samples (2 per test fold), x has %d", k, 2*k, n)
		}
		labels = decomp.FoldLabels(RNG("crossdecomp-folds", p.Int("seed")), n, p.Int("n_folds"))
	}
	return xa.Matrix(), ya.Matrix(), labels, nil
}

// fold is one fitted fold and its held-out projections.
type fold struct {
	fit    *decomp.CrossFit
	xt, yt *mat.Dense
}

func fitFolds(ctx context.Context, x, y *mat.Dense, labels []int, nFolds int, p Params, same bool) ([]fold, error) {
	folds := make([]fold, nFolds)
	for f := range folds {
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
		if len(test) < 2 || len(train) < 2 {
			return nil, fmt.Errorf("fold %d has %d test and %d train rows; each needs at least 2", f, len(test), len(train))
		}
		_, dx := x.Dims()
		_, dy := y.Dims()
		k := min(len(train)-1, dx, dy)
		if p.Has("n_components") {
			if p.Int("n_components") > k {
				return nil, fmt.Errorf("param \"n_components\": %d exceeds min(n_train-1, dX, dY) = %d", p.Int("n_components"), k)
			}
			k = p.Int("n_components")
		}
		fit, err := decomp.FitCross(rows(x, train), rows(y, train), k, same)
		if err != nil {
			return nil, fmt.Errorf("fold %d: %w", f, err)
		}
		xt, yt := fit.Project(rows(x, test), rows(y, test))
		folds[f] = fold{fit, xt, yt}
	}
	return folds, nil
}

func rows(m *mat.Dense, idx []int) *mat.Dense {
	_, c := m.Dims()
	out := mat.NewDense(len(idx), c, nil)
	for i, r := range idx {
		copy(out.RawRowView(i), m.RawRowView(r))
	}
	return out
}

func meanRows(a *Array) *Array {
	r, c := a.Shape[0], a.Shape[1]
	out := NewF64(c)
	for i := 0; i < r; i++ {
		for j := 0; j < c; j++ {
			out.F64[j] += a.F64[i*c+j] / float64(r)
		}
	}
	return out
}

// binFolds bins each fold's spectrum and returns per used bin its centre,
// the mean over folds and the sd over folds (ddof 1), as §3.5 plots.
func binFolds(b decomp.Bins, perFold *Array) *Array {
	nf, k := perFold.Shape[0], perFold.Shape[1]
	var used []int
	var binned [][]float64
	for f := 0; f < nf; f++ {
		idx, means, _ := b.Mean(perFold.F64[f*k : (f+1)*k])
		used, binned = idx, append(binned, means)
	}
	out := NewF64(len(used), 3)
	for i, bin := range used {
		var m, s float64
		for f := range binned {
			m += binned[f][i] / float64(nf)
		}
		for f := range binned {
			s += (binned[f][i] - m) * (binned[f][i] - m) / float64(nf-1)
		}
		out.F64[i*3], out.F64[i*3+1], out.F64[i*3+2] = b.Centres[bin], m, math.Sqrt(s)
	}
	return out
}

// nullQuantiles are the levels reported for the permutation null.
var nullQuantiles = []float64{0.683, 0.955, 0.997, 0.99}

// permutationNull permutes y's test rows in every fold, bins, averages
// over folds and takes quantiles per bin over permutations (§3.5).
func permutationNull(rng interface{ Perm(int) []int }, folds []fold, b decomp.Bins, m decomp.Metric, n int) *Array {
	var draws [][]float64 // per permutation: fold-mean binned spectrum
	for p := 0; p < n; p++ {
		var mean []float64
		for _, fd := range folds {
			nt, _ := fd.xt.Dims()
			_, means, _ := b.Mean(decomp.TestSpectrum(fd.xt, fd.yt, rng.Perm(nt), m))
			if mean == nil {
				mean = make([]float64, len(means))
			}
			for i, v := range means {
				mean[i] += v / float64(len(folds))
			}
		}
		draws = append(draws, mean)
	}
	nb := len(draws[0])
	out := NewF64(nb, len(nullQuantiles))
	col := make([]float64, n)
	for i := 0; i < nb; i++ {
		for p := range draws {
			col[p] = draws[p][i]
		}
		sort.Float64s(col)
		for j, q := range nullQuantiles {
			out.F64[i*len(nullQuantiles)+j] = decomp.Quantile(col, q)
		}
	}
	return out
}

// bootstrapCI resamples test rows with replacement (the same rows for x̃
// and ỹ), averages over folds and returns the 2.5% and 97.5% quantiles
// per component.
func bootstrapCI(rng interface{ IntN(int) int }, folds []fold, m decomp.Metric, n, k int) *Array {
	draws := make([][]float64, k)
	for d := 0; d < n; d++ {
		mean := make([]float64, k)
		for _, fd := range folds {
			nt, _ := fd.xt.Dims()
			idx := make([]int, nt)
			for i := range idx {
				idx[i] = rng.IntN(nt)
			}
			for i, v := range decomp.TestSpectrum(rows(fd.xt, idx), rows(fd.yt, idx), nil, m) {
				mean[i] += v / float64(len(folds))
			}
		}
		for i, v := range mean {
			draws[i] = append(draws[i], v)
		}
	}
	out := NewF64(k, 2)
	for i, col := range draws {
		sort.Float64s(col)
		out.F64[2*i], out.F64[2*i+1] = decomp.Quantile(col, 0.025), decomp.Quantile(col, 0.975)
	}
	return out
}
