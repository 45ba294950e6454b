package stages

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"sort"
	"strings"
	"testing"

	"gonum.org/v1/gonum/mat"

	"github.com/eigenlab/eigenlab/ndarray"
	"github.com/eigenlab/eigenlab/stages/linalg"
	"github.com/eigenlab/eigenlab/stages/spectral"
)

func initParams(arch string, alpha float64, seed int, variant string) Params {
	return Params{"arch": arch, "alpha": alpha, "seed": seed, "variant": variant, "in_channels": 3}
}

func runInit(t testing.TB, p Params) *Model {
	t.Helper()
	out, err := powerlawInit{}.Run(context.Background(), nil, nil, p)
	if err != nil {
		t.Fatal(err)
	}
	return out["model"].(*Model)
}

// TestPowerLawInitExactSpectra: every kernel of every built-in network has
// Σ_w = WᵀW/C_out with the requested α (OLS on log-log over the nonzero
// ranks, to 1e-8) and trace 2 (METHODS.md §4 validation).
func TestPowerLawInitExactSpectra(t *testing.T) {
	for _, arch := range []string{"convnet6", "resnet-small"} {
		for _, alpha := range []float64{0, 0.7, 2} {
			m := runInit(t, initParams(arch, alpha, 3, "exact"))
			kernels := 0
			for name, w := range m.Weights {
				if !strings.HasSuffix(name, "/kernel") {
					continue
				}
				kernels++
				t.Run(fmt.Sprintf("%s/alpha%v/%s", arch, alpha, name), func(t *testing.T) {
					checkSpectrum(t, w, alpha)
				})
			}
			if want := map[string]int{"convnet6": 6, "resnet-small": 15}[arch]; kernels != want {
				t.Errorf("%s: %d kernels, want %d", arch, kernels, want)
			}
		}
	}
}

func checkSpectrum(t *testing.T, w *ndarray.Array, alpha float64) {
	cout, d := w.Shape[0], w.Len()/w.Shape[0]
	var s mat.SymDense
	s.SymOuterK(1/float64(cout), matrix(w).T())
	l, _, err := linalg.SymEig(&s, false)
	if err != nil {
		t.Fatal(err)
	}
	r := min(cout, d)
	fit, err := spectral.FitPowerLaw(l, "ols-range", 1, r, 0)
	if err != nil {
		t.Fatal(err)
	}
	if math.Abs(fit.Alpha-alpha) > 1e-8 || fit.Hi != r {
		t.Errorf("fitted alpha %.12f over ranks 1..%d, want %v over 1..%d", fit.Alpha, fit.Hi, alpha, r)
	}
	tr := 0.0
	for _, v := range l {
		tr += v
	}
	if math.Abs(tr-2) > 1e-12 {
		t.Errorf("trace %.15f, want 2", tr)
	}
}

// TestPowerLawInitParams checks the non-kernel weights, determinism in the
// seed and the effect of seed and variant.
func TestPowerLawInitParams(t *testing.T) {
	m := runInit(t, initParams("resnet-small", 1, 0, "exact"))
	for name, w := range m.Weights {
		want := map[string]float64{"gamma": 1, "var": 1, "beta": 0, "mean": 0}[name[strings.LastIndex(name, "/")+1:]]
		if strings.HasSuffix(name, "/kernel") {
			continue
		}
		for _, v := range w.F64 {
			if v != want {
				t.Fatalf("%s has %v, want %v", name, v, want)
			}
		}
	}
	again := runInit(t, initParams("resnet-small", 1, 0, "exact"))
	if again.Digest() != m.Digest() {
		t.Error("same params gave different models")
	}
	for _, p := range []Params{initParams("resnet-small", 1, 1, "exact"), initParams("resnet-small", 1, 0, "sampled"), initParams("resnet-small", 1.5, 0, "exact")} {
		if runInit(t, p).Digest() == m.Digest() {
			t.Errorf("%v gave the same model as seed 0 exact alpha 1", p.Canonical())
		}
	}
	if m1 := runInit(t, Params{"arch": "convnet6", "alpha": 1.0, "seed": 0, "variant": "exact", "in_channels": 1}); m1.Weights["conv1/kernel"].Shape[1] != 1 {
		t.Errorf("in_channels 1: conv1 kernel %v", m1.Weights["conv1/kernel"].Shape)
	}
}

// TestPowerLawInitAlphaZeroBaselines pins what α = 0 is per variant
// (METHODS.md §4, Correction turn 2). exact: every nonzero singular value of
// each C_out×D kernel is equal (scaled orthogonal). sampled: the singular
// values spread like He-normal's, N(0, 2/D) entries: the normalised
// eigenvalues of the min(C_out, D)-side Gram matrix lie within the
// Marchenko–Pastur edges (1 ± √(p/n))², reach them, and their distribution
// matches a freshly drawn He-normal matrix of the same shape (two-sample KS;
// eigenvalues are rigid, so two independent draws differ by ≤ 0.16 at
// p ≥ 32, while the exact variant differs by ≥ 0.5).
func TestPowerLawInitAlphaZeroBaselines(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	for _, variant := range []string{"exact", "sampled"} {
		m := runInit(t, initParams("convnet6", 0, 5, variant))
		// conv1 (32×27) is near square: its MP edges fluctuate too much to test.
		for _, name := range []string{"conv2", "conv3", "conv4", "conv5", "conv6"} {
			w := m.Weights[name+"/kernel"]
			t.Run(variant+"/"+name, func(t *testing.T) {
				s := singularValues(t, matrix(w))
				he := heNormalSingularValues(t, rng, w.Shape[0], w.Len()/w.Shape[0])
				ks := ksStatistic(s, he)
				if variant == "exact" {
					if spread := (s[0] - s[len(s)-1]) / s[0]; spread > 1e-12 {
						t.Errorf("singular values %v…%v differ by %.3g relative, want all equal", s[0], s[len(s)-1], spread)
					}
					if ks < 0.4 {
						t.Errorf("KS distance to He-normal %.3f, want ≥ 0.4 (exact α = 0 is not He-normal)", ks)
					}
					return
				}
				checkMarchenkoPastur(t, s, w.Shape[0], w.Len()/w.Shape[0])
				if ks > 0.25 {
					t.Errorf("KS distance to a fresh He-normal draw %.3f, want ≤ 0.25", ks)
				}
			})
		}
	}
}

// checkMarchenkoPastur: for W (C_out×D) with iid N(0, 2/D) entries, n =
// max(C_out, D), p = min, the eigenvalues s²/(n·2/D) fill [(1−√y)², (1+√y)²],
// y = p/n. Both extremes must lie within a quarter of the bulk width of the
// edges (finite-size deviations at p ≥ 32 stay below a fifth).
func checkMarchenkoPastur(t *testing.T, s []float64, cout, d int) {
	t.Helper()
	n, p := max(cout, d), min(cout, d)
	y := float64(p) / float64(n)
	lo, hi := math.Pow(1-math.Sqrt(y), 2), math.Pow(1+math.Sqrt(y), 2)
	norm := func(v float64) float64 { return v * v / (float64(n) * 2 / float64(d)) }
	tol := (hi - lo) / 4
	if got := norm(s[len(s)-1]); math.Abs(got-lo) > tol {
		t.Errorf("smallest normalised eigenvalue %.3f, want the MP edge %.3f ± %.3f", got, lo, tol)
	}
	if got := norm(s[0]); math.Abs(got-hi) > tol {
		t.Errorf("largest normalised eigenvalue %.3f, want the MP edge %.3f ± %.3f", got, hi, tol)
	}
}

func singularValues(t *testing.T, w *mat.Dense) []float64 {
	t.Helper()
	s, err := linalg.SingularValues(w)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// heNormalSingularValues draws a fresh He-normal C_out×D matrix (entries
// N(0, 2/D)) and returns its singular values.
func heNormalSingularValues(t *testing.T, rng *rand.Rand, cout, d int) []float64 {
	w := mat.NewDense(cout, d, nil)
	raw := w.RawMatrix().Data
	for i := range raw {
		raw[i] = rng.NormFloat64() * math.Sqrt(2/float64(d))
	}
	return singularValues(t, w)
}

// ksStatistic is the two-sample Kolmogorov–Smirnov distance sup|F_a − F_b|.
func ksStatistic(a, b []float64) float64 {
	a, b = slices.Sorted(slices.Values(a)), slices.Sorted(slices.Values(b))
	d := 0.0
	for _, x := range append(slices.Clone(a), b...) {
		fa := float64(sort.SearchFloat64s(a, math.Nextafter(x, math.Inf(1)))) / float64(len(a))
		fb := float64(sort.SearchFloat64s(b, math.Nextafter(x, math.Inf(1)))) / float64(len(b))
		d = max(d, math.Abs(fa-fb))
	}
	return d
}
