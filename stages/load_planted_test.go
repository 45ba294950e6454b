package stages

import (
	"context"
	"math"
	"testing"

	"gonum.org/v1/gonum/mat"

	"github.com/eigenlab/eigenlab/ndarray"
	"github.com/eigenlab/eigenlab/stages/linalg"
	"github.com/eigenlab/eigenlab/stages/spectral"
)

// runLoad runs the load stage as the runner does: source defaults, then
// validation, then Run.
func runLoad(t testing.TB, p Params) (Outputs, error) {
	t.Helper()
	l := load{}
	l.Defaults(p)
	if err := l.Validate(p); err != nil {
		return nil, err
	}
	return l.Run(context.Background(), nil, nil, p)
}

// loadPlantedX returns the x of the planted source with params p.
func loadPlantedX(t testing.TB, p Params) *ndarray.Array {
	t.Helper()
	p["source"] = "planted"
	out, err := runLoad(t, p)
	if err != nil {
		t.Fatal(err)
	}
	return out["x"].(*ndarray.Array)
}

// The planted source's covariance spectrum is k^-alpha exactly, over the
// default rank min(n−1, p) or the given rank (zeros after it).
func TestPlantedSource(t *testing.T) {
	for _, tc := range []struct {
		p    Params
		rank int
	}{
		{Params{"n": 100, "p": 40, "alpha": 1.2}, 40},
		{Params{"n": 40, "p": 100, "alpha": 0.7, "seed": 3}, 39},
		{Params{"n": 100, "p": 40, "alpha": 2.0, "rank": 12}, 12},
	} {
		x := loadPlantedX(t, tc.p)
		if x.DType() != ndarray.Float64 || x.Rows() != tc.p.Int("n") || x.Cols() != tc.p.Int("p") {
			t.Fatalf("%v: got %s", tc.p, x.Describe())
		}
		got, err := spectral.FullEigenvalues(spectral.Tensor{Shape: x.Shape, F64: x.F64})
		if err != nil {
			t.Fatal(err)
		}
		lam := spectral.PowerLaw(tc.p.Float("alpha"), tc.rank)
		for i, v := range got {
			want := 0.0
			if i < tc.rank {
				want = lam[i]
			}
			if math.Abs(v-want) > 1e-10 {
				t.Fatalf("%v: λ_%d = %.15g, want %.15g", tc.p, i+1, v, want)
			}
		}
	}
}

// The planted pair's cross-covariance X_cᵀY_c/(n−1) has singular values
// k^-alpha exactly (METHODS.md §3.10), and each block has the planted
// covariance spectrum too.
func TestPlantedPairSource(t *testing.T) {
	out, err := runLoad(t, Params{"source": "planted-pair", "n": 80, "dx": 50, "dy": 30, "alpha": 1.1, "seed": 2})
	if err != nil {
		t.Fatal(err)
	}
	x, y := out["x"].(*ndarray.Array), out["y"].(*ndarray.Array)
	if x.Describe() != "float64[80 50]" || y.Describe() != "float64[80 30]" {
		t.Fatalf("got %s, %s", x.Describe(), y.Describe())
	}
	xc, yc := spectral.Center(matrix(x)), spectral.Center(matrix(y))
	c := linalg.CrossProd(xc, yc)
	c.Scale(1.0/79, c)
	s, err := linalg.SingularValues(c)
	if err != nil {
		t.Fatal(err)
	}
	lam := spectral.PowerLaw(1.1, 30)
	for i := range lam {
		if math.Abs(s[i]-lam[i]) > 1e-12 {
			t.Fatalf("σ_%d = %.15g, want %.15g", i+1, s[i], lam[i])
		}
	}
	ev, err := spectral.CovEigenvalues(mat.DenseCopyOf(xc))
	if err != nil {
		t.Fatal(err)
	}
	if math.Abs(ev[0]-1) > 1e-12 || math.Abs(ev[29]-lam[29]) > 1e-12 || ev[30] > 1e-12 {
		t.Errorf("x spectrum %v", ev[:31])
	}
}

// Same seed, same bytes; another seed, another basis (same spectrum).
func TestPlantedSeeds(t *testing.T) {
	digest := func(seed int) string {
		return loadPlantedX(t, Params{"n": 30, "p": 20, "alpha": 1.0, "seed": seed}).Digest().String()
	}
	if a, b, c := digest(5), digest(5), digest(6); a != b || a == c {
		t.Errorf("seed 5 twice: %s %s; seed 6: %s", a[:12], b[:12], c[:12])
	}
}

func TestPlantedBadParams(t *testing.T) {
	for _, tc := range []struct {
		p    Params
		want string
	}{
		{Params{"source": "planted", "n": 10, "p": 20, "alpha": 1.0, "rank": 10}, `param "rank": 10 exceeds min(n-1, features) = 9`},
		{Params{"source": "planted-pair", "n": 50, "dx": 8, "dy": 20, "alpha": 1.0, "rank": 9}, `param "rank": 9 exceeds min(n-1, features) = 8`},
		{Params{"source": "planted", "n": 10, "alpha": 1.0}, `source "planted" needs param(s) p`},
	} {
		if _, err := runLoad(t, tc.p); err == nil || err.Error() != tc.want {
			t.Errorf("%v: err = %v, want %s", tc.p, err, tc.want)
		}
	}
}
