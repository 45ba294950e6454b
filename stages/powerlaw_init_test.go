package stages

import (
	"context"
	"fmt"
	"math"
	"strings"
	"testing"

	"gonum.org/v1/gonum/mat"

	"github.com/eigenlab/eigenlab/stages/linalg"
	"github.com/eigenlab/eigenlab/stages/spectral"
)

func initParams(arch string, alpha float64, seed int, variant string) Params {
	return Params{"arch": arch, "alpha": alpha, "seed": seed, "variant": variant, "in_channels": 3}
}

func runInit(t testing.TB, p Params) *Model {
	t.Helper()
	out, err := powerlawInit{}.Run(context.Background(), nil, p)
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

func checkSpectrum(t *testing.T, w *Array, alpha float64) {
	cout, d := w.Shape[0], w.Len()/w.Shape[0]
	var s mat.SymDense
	s.SymOuterK(1/float64(cout), w.Matrix().T())
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
