package stages

import (
	"context"
	"fmt"
	"math"
	"sort"

	"gonum.org/v1/gonum/mat"

	"github.com/eigenlab/eigenlab/stages/linalg"
	"github.com/eigenlab/eigenlab/stages/spectral"
)

// spectrum computes covariance eigenspectra, the power-law exponent α and
// the effective dimension (METHODS.md §1).
type spectrum struct{}

func init() { Register(spectrum{}) }

func (spectrum) Kind() string    { return "spectrum" }
func (spectrum) Version() string { return "2" }

func (spectrum) Doc() string {
	return `Covariance eigenspectrum of x (rows are samples; METHODS §1), its power-law
exponent alpha and effective dimension (participation ratio).
Views: full (flatten, Gram trick when features > samples), channel (N×C×H×W:
positions as samples, C×C covariance), spatial (one C×C covariance per
location; alpha per location, their median, and alpha of the rank-wise mean
spectrum, which is the headline).
With a second repeat x2 the spectrum is cross-validated PCA (§1.4): axes
from x, cv_k = Σ_i c1·c2/(N−1), averaged over nshuff repeat swaps; ed is
then NaN (ED is for PCA eigenvalues only).
Outputs: eigenvalues, alpha, r2, ed, fit_range, info (estimator, ranks, sizes).`
}

func (spectrum) Params() []ParamSpec {
	return []ParamSpec{
		{Name: "view", Type: String, Default: "full", Choices: []string{"full", "channel", "spatial"}, Doc: "which covariance (§1.1)"},
		{Name: "estimator", Type: String, Default: "stringer", Choices: spectral.Estimators, Doc: "α estimator (§1.2)"},
		{Name: "ranks", Type: IntList, Optional: true, Len: 2, Min: Bound(1), Doc: "1-based inclusive rank range [lo, hi] of the fit (default [11, min(500, R-2)])"},
		{Name: "bins_per_decade", Type: Int, Default: 10, Min: Bound(1), Doc: "rank bins per decade (logbinned only)"},
		{Name: "center", Type: Bool, Default: true, Doc: "center the channel view (false: uncentered second moment, Rainbow parity)"},
		{Name: "drop_nonfinite", Type: Bool, Default: false, Doc: "drop feature columns holding NaN/Inf instead of failing (full view)"},
		{Name: "nshuff", Type: Int, Default: 10, Min: Bound(0), Doc: "cvPCA: repeat-swap shuffles to average (0: none)"},
		{Name: "seed", Type: Int, Default: 0, Doc: "cvPCA: seed of the shuffles"},
	}
}

// Validate checks the rank range.
func (spectrum) Validate(p Params) error {
	if r := p.Ints("ranks"); r != nil && r[0] >= r[1] {
		return fmt.Errorf("param \"ranks\": [%d, %d]: want lo < hi", r[0], r[1])
	}
	return nil
}

func (spectrum) Inputs() []InputSpec {
	return []InputSpec{
		{Name: "x", Doc: "N×F matrix or N×C×H×W activations"},
		{Name: "x2", Doc: "a second repeat of x (same stimuli, same order): the spectrum is then cvPCA (§1.4, full view)", Optional: true},
	}
}

func (spectrum) Outputs(Params) []string {
	return []string{"eigenvalues", "alpha", "r2", "ed", "fit_range", "info"}
}

func (spectrum) Resources(Params) Resources { return Resources{Threads: 2} }

func (s spectrum) Run(ctx context.Context, in Inputs, p Params) (Outputs, error) {
	x, err := in.Array("x")
	if err != nil {
		return nil, err
	}
	info := Record{"view": p.String("view"), "n_samples": x.Rows(), "n_features": x.Cols()}
	if x.Rows() < 3 {
		return nil, fmt.Errorf("input \"x\": %d samples; want at least 3 rows", x.Rows())
	}
	if x, err = finiteColumns(x, p.Bool("drop_nonfinite"), info); err != nil {
		return nil, err
	}
	var lam []float64
	_, cv := in["x2"]
	switch {
	case cv:
		lam, err = cvSpectrum(x, in, p, info)
	case p.String("view") == "full":
		lam, err = spectral.CovEigenvalues(x.Matrix())
	case p.String("view") == "channel":
		lam, err = channelEigenvalues(x, p.Bool("center"))
	default:
		lam, err = spatialEigenvalues(x, p, info)
	}
	if err != nil {
		return nil, fmt.Errorf("input \"x\": %w", err)
	}
	fit, err := fitSpectrum(lam, p)
	if err != nil {
		return nil, err
	}
	info["estimator"], info["ranks"], info["n_points"] = fit.Estimator, []int{fit.Lo, fit.Hi}, fit.Points
	ed := spectral.EffectiveDim(lam)
	if cv {
		ed = math.NaN() // ED is defined for PCA eigenvalues only (§1.3)
	}
	return Outputs{
		"eigenvalues": &Array{Shape: []int{len(lam)}, F64: lam},
		"alpha":       Scalar(fit.Alpha),
		"r2":          Scalar(fit.R2),
		"ed":          Scalar(ed),
		"fit_range":   Ints(fit.Lo, fit.Hi),
		"info":        info,
	}, nil
}

// fitSpectrum fits α with the params' estimator and range.
func fitSpectrum(lam []float64, p Params) (spectral.Fit, error) {
	lo, hi := spectral.DefaultRange(lam)
	if r := p.Ints("ranks"); r != nil {
		lo, hi = r[0], r[1]
	}
	fit, err := spectral.FitPowerLaw(lam, p.String("estimator"), lo, hi, p.Int("bins_per_decade"))
	if err != nil {
		return fit, fmt.Errorf("param \"ranks\": %w", err)
	}
	return fit, nil
}

// finiteColumns rejects NaN/Inf, or drops the columns holding them and
// records how many (METHODS.md §0.1 NaN policy).
func finiteColumns(x *Array, drop bool, info Record) (*Array, error) {
	n, f := x.Rows(), x.Cols()
	bad := map[int]bool{}
	for i := 0; i < x.Len(); i++ {
		if v := x.Value(i); math.IsNaN(v) || math.IsInf(v, 0) {
			if !drop {
				return nil, fmt.Errorf("input \"x\": element (row %d, column %d) is %v; data must be finite, or set drop_nonfinite: true to drop such columns", i/f, i%f, v)
			}
			bad[i%f] = true
		}
	}
	info["dropped_columns"] = len(bad)
	if len(bad) == 0 {
		return x, nil
	}
	if len(x.Shape) != 2 {
		return nil, fmt.Errorf("input \"x\": drop_nonfinite needs a 2-d N×F input, got %s", x.Describe())
	}
	keep := f - len(bad)
	out := NewF64(n, keep)
	for i := 0; i < n; i++ {
		k := 0
		for j := 0; j < f; j++ {
			if !bad[j] {
				out.F64[i*keep+k] = x.Value(i*f + j)
				k++
			}
		}
	}
	return out, nil
}

// dims4 checks for an N×C×H×W input.
func dims4(x *Array) (n, c, l int, err error) {
	if len(x.Shape) != 4 {
		return 0, 0, 0, fmt.Errorf("channel and spatial views need N×C×H×W activations, got %s", x.Describe())
	}
	return x.Shape[0], x.Shape[1], x.Shape[2] * x.Shape[3], nil
}

// channelEigenvalues is §1.1b: positions as samples, a C×C covariance over
// all N·L samples (centered by default), divided by N·L − 1.
func channelEigenvalues(x *Array, center bool) ([]float64, error) {
	n, c, l, err := dims4(x)
	if err != nil {
		return nil, err
	}
	s := mat.NewDense(n*l, c, nil)
	for i := 0; i < n; i++ {
		for ch := 0; ch < c; ch++ {
			for pos := 0; pos < l; pos++ {
				s.Set(i*l+pos, ch, x.Value((i*c+ch)*l+pos))
			}
		}
	}
	if center {
		s = spectral.Center(s)
	}
	cov := mat.NewSymDense(c, nil)
	cov.SymOuterK(1/float64(n*l-1), s.T())
	vals, _, err := linalg.SymEig(cov, false)
	return vals, err
}

// spatialEigenvalues is §1.1c: one covariance per location. It returns the
// rank-wise mean spectrum, whose α is the stage's headline, and records α
// per location, their median and mean and the centre location's α in info.
func spatialEigenvalues(x *Array, p Params, info Record) ([]float64, error) {
	n, c, l, err := dims4(x)
	if err != nil {
		return nil, err
	}
	mean := make([]float64, min(n-1, c))
	alphas := make([]float64, l)
	for pos := 0; pos < l; pos++ {
		xl := mat.NewDense(n, c, nil)
		for i := 0; i < n; i++ {
			for ch := 0; ch < c; ch++ {
				xl.Set(i, ch, x.Value((i*c+ch)*l+pos))
			}
		}
		lam, err := spectral.CovEigenvalues(xl)
		if err != nil {
			return nil, err
		}
		for k := range mean {
			mean[k] += lam[k] / float64(l)
		}
		fit, err := fitSpectrum(lam, p)
		if err != nil {
			return nil, fmt.Errorf("location %d: %w", pos, err)
		}
		alphas[pos] = fit.Alpha
	}
	h, w := x.Shape[2], x.Shape[3]
	info["alpha_per_location"] = alphas
	info["alpha_center_location"] = alphas[(h/2)*w+w/2]
	sorted := append([]float64{}, alphas...)
	sort.Float64s(sorted)
	info["alpha_median_location"] = (sorted[(l-1)/2] + sorted[l/2]) / 2
	sum := 0.0
	for _, a := range alphas {
		sum += a
	}
	info["alpha_mean_location"] = sum / float64(l)
	return mean, nil
}

// cvSpectrum is cvPCA of x against its second repeat x2 (§1.4).
func cvSpectrum(x *Array, in Inputs, p Params, info Record) ([]float64, error) {
	x2, err := in.Array("x2")
	if err != nil {
		return nil, err
	}
	if p.String("view") != "full" {
		return nil, fmt.Errorf("cvPCA (input x2) is computed in the full view only")
	}
	if err := x2.CheckFinite(); err != nil {
		return nil, fmt.Errorf("input \"x2\": %w", err)
	}
	info["cvpca"], info["nshuff"] = true, p.Int("nshuff")
	return spectral.CvPCA(RNG("spectrum", p.Int("seed")), spectral.DenseTensor(x.Matrix()), spectral.DenseTensor(x2.Matrix()), p.Int("nshuff"))
}
