package spectral_test

import (
	"fmt"
	"testing"

	"github.com/eigenlab/eigenlab/ndarray"
	"github.com/eigenlab/eigenlab/stages/internal/golden"
	"github.com/eigenlab/eigenlab/stages/spectral"
)

func tensor(a *ndarray.Array) spectral.Tensor {
	return spectral.Tensor{Shape: a.Shape, F64: a.F64, F32: a.F32}
}

func read(t *testing.T, name string) *ndarray.Array { return golden.Read(t, "testdata", name) }

// Gram-trick (p ≫ n) and direct (n ≫ p) eigenvalues equal
// numpy svd(X_c)²/(N−1) = sklearn PCA().explained_variance_ (asserted
// equal in make_goldens.py) to 1e-10 relative (METHODS.md §1.1), from
// float32 and float64 data, in one block and in many.
func TestFullEigenvaluesMatchSklearnPCA(t *testing.T) {
	for _, c := range []string{"wide", "tall", "offset"} {
		for _, block := range []int{1 << 22, 700} {
			t.Run(fmt.Sprintf("%s/block%d", c, block), func(t *testing.T) {
				defer spectral.SetBlockElems(block)()
				got, err := spectral.FullEigenvalues(tensor(read(t, "pca_"+c+"_x")))
				if err != nil {
					t.Fatal(err)
				}
				golden.CloseRel(t, c, got, read(t, "pca_"+c+"_ev").F64, 1e-10)
			})
		}
	}
}

// The three views of §1.1 equal their textbook numpy forms: flatten + svd,
// np.cov of positions-as-samples (and the uncentered SᵀS/(NL)), and one
// covariance per location (Gram route in the "wide" case, C > N).
func TestViewsMatchNumpy(t *testing.T) {
	for _, c := range []string{"acts", "wide"} {
		for _, block := range []int{1 << 22, 50} {
			t.Run(fmt.Sprintf("%s/block%d", c, block), func(t *testing.T) {
				defer spectral.SetBlockElems(block)()
				x := tensor(read(t, "views_"+c+"_x"))
				full, err := spectral.FullEigenvalues(x)
				if err != nil {
					t.Fatal(err)
				}
				golden.CloseRel(t, "full", full, read(t, "views_"+c+"_full").F64, 1e-10)
				for name, center := range map[string]bool{"channel": true, "channel_unc": false} {
					ch, err := spectral.ChannelEigenvalues(x, center)
					if err != nil {
						t.Fatal(err)
					}
					golden.CloseRel(t, name, ch, read(t, "views_"+c+"_"+name).F64, 1e-10)
				}
				loc, err := spectral.LocationEigenvalues(x)
				if err != nil {
					t.Fatal(err)
				}
				want := read(t, "views_"+c+"_loc")
				for l, s := range loc {
					k := want.Shape[1]
					golden.CloseRel(t, fmt.Sprintf("location %d", l), s, want.F64[l*k:(l+1)*k], 1e-10)
				}
			})
		}
	}
}

// Each estimator matches its numpy/sklearn rendering of the reference code
// (make_goldens.py; logbinned after METHODS §1.2/§3.6) to 1e-12, α and r²,
// on a noisy spectrum, on a cvPCA-like one with scattered negative values
// and a zero tail (the exclusions of §1.2), and on a noiseless spectrum
// with a roll-off and a bump (not a power law, so the logbinned
// arithmetic and geometric bin means differ).
func TestEstimatorsMatchNumpy(t *testing.T) {
	for _, c := range []string{"noisy", "cvlike", "rolloff"} {
		lam := read(t, "fit_"+c+"_lambda").F64
		alpha, r2 := read(t, "fit_"+c+"_alpha").F64, read(t, "fit_"+c+"_r2").F64
		lo, hi := spectral.DefaultRange(lam)
		for i, est := range spectral.Estimators {
			f, err := spectral.FitPowerLaw(lam, est, lo, hi, 10)
			if err != nil {
				t.Fatalf("%s %s: %v", c, est, err)
			}
			golden.CloseRel(t, c+" "+est+" α", []float64{f.Alpha}, alpha[i:i+1], 1e-12)
			golden.CloseRel(t, c+" "+est+" r²", []float64{f.R2}, r2[i:i+1], 1e-12)
		}
	}
}

// cvPCA for a given swap pattern equals the §1.4 spec written with sklearn
// PCA components (make_goldens.py), through both routes on both shapes.
func TestCvPCAMatchesNumpy(t *testing.T) {
	for _, c := range []string{"direct", "gram"} {
		x1, x2 := tensor(read(t, "cv_"+c+"_x1")), tensor(read(t, "cv_"+c+"_x2"))
		var swaps []bool
		for _, s := range read(t, "cv_"+c+"_swaps").F64 {
			swaps = append(swaps, s == 1)
		}
		for _, gram := range []bool{false, true} {
			got, err := spectral.CvSwaps(x1, x2, swaps, gram)
			if err != nil {
				t.Fatal(err)
			}
			golden.CloseRel(t, fmt.Sprintf("%s data, gram route %v", c, gram), got, read(t, "cv_"+c+"_cv").F64, 1e-10)
		}
	}
}
