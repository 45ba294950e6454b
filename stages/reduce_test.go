package stages

import (
	"context"
	"math"
	"reflect"
	"testing"

	"gonum.org/v1/gonum/mat"

	"github.com/eigenlab/eigenlab/stages/decomp"
	"github.com/eigenlab/eigenlab/stages/spectral"
)

func runReduce(t *testing.T, x *Array, p Params) Outputs {
	t.Helper()
	full := Params{"axes": "full", "allow_expansion": false, "seed": 0}
	for k, v := range p {
		full[k] = v
	}
	if err := (reduce{}).Validate(full); err != nil {
		t.Fatal(err)
	}
	out, err := reduce{}.Run(context.Background(), Inputs{"x": x}, full)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// cov returns X_cᵀX_c/(n−1).
func cov(x *mat.Dense) *mat.Dense {
	n, _ := x.Dims()
	var c mat.Dense
	xc := spectral.Center(x)
	c.Mul(xc.T(), xc)
	c.Scale(1/float64(n-1), &c)
	return &c
}

// METHODS.md §1.1: Cov(GAP) = (1/L²) Σ_{l,l'} Σ_full[l,l'] (C×C blocks at
// rows c·L+l, columns c'·L+l').
func TestGAPCovarianceIdentity(t *testing.T) {
	const n, c, h, w = 25, 3, 2, 3
	l := h * w
	x := randomActs(n, c, h, w)
	gap := runReduce(t, x, Params{"method": "gap"})["x"].(*Array)
	got := cov(gap.Matrix())
	full := cov(x.Matrix())
	for a := 0; a < c; a++ {
		for b := 0; b < c; b++ {
			want := 0.0
			for p := 0; p < l; p++ {
				for q := 0; q < l; q++ {
					want += full.At(a*l+p, b*l+q) / float64(l*l)
				}
			}
			if math.Abs(got.At(a, b)-want) > 1e-12 {
				t.Errorf("Cov(GAP)[%d,%d] = %.15g, want %.15g", a, b, got.At(a, b), want)
			}
		}
	}
}

// Channel-SRP applies one projection at every location; spatial-SRP one
// at every channel (§2.3). Both are checked against the projection matrix.
func TestSRPAxes(t *testing.T) {
	const n, c, h, w = 4, 6, 2, 2
	l := h * w
	x := randomActs(n, c, h, w)
	for _, tc := range []struct {
		axes  string
		d, k  int
		shape []int
	}{{"channel", c, 3, []int{n, 3, h, w}}, {"spatial", l, 2, []int{n, c, 2}}} {
		out := runReduce(t, x, Params{"method": "srp", "axes": tc.axes, "k": tc.k, "density": 0.5})["x"].(*Array)
		if !reflect.DeepEqual(out.Shape, tc.shape) {
			t.Fatalf("%s: shape %v, want %v", tc.axes, out.Shape, tc.shape)
		}
		r := decomp.NewSRP(RNG("reduce", 0), tc.d, tc.k, 0.5)
		for i := 0; i < n; i++ {
			for j := 0; j < tc.k; j++ {
				for o := 0; o < map[string]int{"channel": l, "spatial": c}[tc.axes]; o++ {
					want, got := 0.0, 0.0
					for d := 0; d < tc.d; d++ {
						if tc.axes == "channel" { // o is the location
							want += x.F64[(i*c+d)*l+o] * r.Entry(d, j)
						} else { // o is the channel
							want += x.F64[(i*c+o)*l+d] * r.Entry(d, j)
						}
					}
					if tc.axes == "channel" {
						got = out.F64[(i*tc.k+j)*l+o]
					} else {
						got = out.F64[(i*c+o)*tc.k+j]
					}
					if math.Abs(got-want) > 1e-12 {
						t.Fatalf("%s: out[%d,%d,%d] = %g, want %g", tc.axes, i, j, o, got, want)
					}
				}
			}
		}
	}
}

func TestSRPIdentityWithoutExpansion(t *testing.T) {
	x := randomActs(5, 2, 2, 2)
	out := runReduce(t, x, Params{"method": "srp", "k": 100})
	if out["x"].(*Array) != x || out["info"].(Record)["identity"] != true {
		t.Error("D ≤ k without allow_expansion did not pass the input through")
	}
}

func TestReduceValidate(t *testing.T) {
	for _, tc := range []struct {
		p    Params
		want string
	}{
		{Params{"method": "srp"}, "method srp needs exactly one of k or jl_eps"},
		{Params{"method": "srp", "k": 5, "jl_eps": 0.1}, "method srp needs exactly one of k or jl_eps"},
		{Params{"method": "pca"}, "method pca needs k"},
		{Params{"method": "gap", "k": 3}, "method gap takes no k or jl_eps"},
	} {
		if err := (reduce{}).Validate(tc.p); err == nil || err.Error() != tc.want {
			t.Errorf("%v: %v, want %q", tc.p, err, tc.want)
		}
	}
}
