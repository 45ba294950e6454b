package spectral_test

import (
	"math"
	"testing"

	"github.com/eigenlab/eigenlab/stages/internal/golden"
	"github.com/eigenlab/eigenlab/stages/spectral"
)

// Gram-trick (p > n) and direct (n > p) eigenvalues equal sklearn's
// PCA().explained_variance_ to 1e-10 relative (METHODS.md §1.1).
func TestCovEigenvaluesMatchSklearnPCA(t *testing.T) {
	for _, c := range []string{"wide", "tall"} {
		got, err := spectral.CovEigenvalues(golden.Read(t, "testdata", c+"_x").Matrix())
		if err != nil {
			t.Fatal(err)
		}
		want := golden.Read(t, "testdata", c+"_pca").F64
		if len(got) != len(want) {
			t.Fatalf("%s: %d eigenvalues, want %d", c, len(got), len(want))
		}
		for i := range want {
			if math.Abs(got[i]-want[i]) > 1e-10*want[0] {
				t.Errorf("%s: λ_%d = %.17g, sklearn %.17g", c, i+1, got[i], want[i])
			}
		}
	}
}

// Each estimator matches its numpy.polyfit formulation on a noisy spectrum.
func TestEstimatorsMatchNumpy(t *testing.T) {
	lam := golden.Read(t, "testdata", "fit_lambda").F64
	want := golden.Read(t, "testdata", "fit_alpha").F64
	for i, est := range spectral.Estimators {
		f, err := spectral.FitPowerLaw(lam, est, 11, 500, 10)
		if err != nil {
			t.Fatal(err)
		}
		if math.Abs(f.Alpha-want[i]) > 1e-10*math.Abs(want[i]) {
			t.Errorf("%s: α = %.15f, numpy %.15f", est, f.Alpha, want[i])
		}
	}
}
