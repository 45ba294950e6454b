package stages

import (
	"context"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"gonum.org/v1/gonum/mat"

	"github.com/eigenlab/eigenlab/ndarray"
	"github.com/eigenlab/eigenlab/stages/neural"
	"github.com/eigenlab/eigenlab/stages/snap"
)

// runEncode validates and runs encode with its defaults overridden by p.
func runEncode(t *testing.T, in Inputs, p Params) (Outputs, error) {
	t.Helper()
	full := withDefaults(encode{}, p)
	if err := (encode{}).Validate(full); err != nil {
		return nil, err
	}
	return encode{}.Run(context.Background(), nil, in, full)
}

// featureRecording is x (S×F Gaussian features) and a recording whose unit
// u responds x·w_u (unit signal variance 1) plus N(0, sigma_u²) noise per
// repeat, sigma_u growing with u: a unit's ceiling is
// 1/(1 + sigma_u²/R) of the repeat mean's variance.
func featureRecording(stimuli, features, repeats, units int) (x, resp *ndarray.Array) {
	rng := rand.New(rand.NewPCG(3, 3))
	x, resp = ndarray.NewF64(stimuli, features), ndarray.NewF64(stimuli, repeats, units)
	w := make([]float64, features*units)
	for i := range w {
		w[i] = rng.NormFloat64() / math.Sqrt(float64(features))
	}
	for s := 0; s < stimuli; s++ {
		for f := 0; f < features; f++ {
			x.F64[s*features+f] = rng.NormFloat64()
		}
		for u := 0; u < units; u++ {
			signal := 0.0
			for f := 0; f < features; f++ {
				signal += x.F64[s*features+f] * w[f*units+u]
			}
			for r := 0; r < repeats; r++ {
				resp.F64[(s*repeats+r)*units+u] = signal + (0.5+float64(u)/2)*rng.NormFloat64()
			}
		}
	}
	return x, resp
}

// With features that explain the whole signal, the held-out R² of the
// repeat mean reaches the noise ceiling, so r2_normalised ≈ 1 for every
// unit and either ceiling, though the raw R² falls with the noise; the
// outputs are the neural package's ceilings and r2/ceiling exactly.
func TestEncodeCeilingNormalises(t *testing.T) {
	x, resp := featureRecording(1500, 5, 4, 5)
	rec, _ := neural.NewResponses(resp.F64, 1500, 4, 5)
	for _, how := range []string{"ncsnr", "splithalf"} {
		t.Run(how, func(t *testing.T) {
			out, err := runEncode(t, Inputs{"x": x, "responses": resp}, Params{"ceiling": how})
			if err != nil {
				t.Fatal(err)
			}
			r2, ceiling, norm := f64(out, "r2"), f64(out, "ceiling"), f64(out, "r2_normalised")
			want := neural.NoiseCeiling(neural.NCSNR(rec), 4)
			if how == "splithalf" {
				want, _ = neural.SplitHalf(rec, 0, 0)
			} else {
				for u := range want {
					want[u] /= 100
				}
			}
			for u := range r2 {
				if ceiling[u] != want[u] || norm[u] != r2[u]/ceiling[u] {
					t.Fatalf("unit %d: ceiling %v (neural %v), r2_normalised %v (r2/ceiling %v)", u, ceiling[u], want[u], norm[u], r2[u]/ceiling[u])
				}
				if math.Abs(norm[u]-1) > 0.1 {
					t.Errorf("unit %d: r2 %.3f, ceiling %.3f, normalised %.3f; want ≈ 1", u, r2[u], ceiling[u], norm[u])
				}
			}
			if r2[4] > 0.8*r2[0] {
				t.Errorf("raw r2 %v does not fall with the noise", r2)
			}
		})
	}
}

// The theory outputs are snap's curve on the centered data, and on
// planted data it predicts the stage's own empirical curve within 10%.
func TestEncodeTheory(t *testing.T) {
	x, resp := featureRecording(400, 40, 2, 3)
	ps := []int{20, 60, 200}
	out, err := runEncode(t, Inputs{"x": x, "responses": resp}, Params{"theory": true, "theory_ps": ps, "theory_reg": 1e-2, "theory_trials": 6})
	if err != nil {
		t.Fatal(err)
	}
	y := out["r"] // present: the ordinary outputs stay
	if y == nil {
		t.Fatal("no r")
	}
	rec, _ := neural.NewResponses(resp.F64, 400, 2, 3)
	ym := mat.NewDense(400, 3, rec.MeanOver([]int{0, 1}))
	s, err := snap.KernelSpectrum(matrix(x), ym, true)
	if err != nil {
		t.Fatal(err)
	}
	curve, err := snap.Theory(s.Eigs, s.Weights, 1e-2, []float64{20, 60, 200})
	if err != nil {
		t.Fatal(err)
	}
	th, emp, kappa := f64(out, "eg_theory"), f64(out, "eg_empirical"), f64(out, "kappa")
	for k := range ps {
		if th[k] != curve.Total(k) || kappa[k] != curve.Kappa[k] {
			t.Errorf("p %d: eg_theory %v kappa %v; snap %v %v", ps[k], th[k], kappa[k], curve.Total(k), curve.Kappa[k])
		}
		if rel := math.Abs(th[k]-emp[k]) / emp[k]; rel > 0.1 {
			t.Errorf("p %d: theory %.4f vs empirical %.4f (relative gap %.3f)", ps[k], th[k], emp[k], rel)
		}
	}
	lc := f64(out, "learning_curve")
	for k, p := range ps {
		if lc[3*k] != float64(p) || lc[3*k+1] != th[k] || lc[3*k+2] != emp[k] {
			t.Errorf("learning_curve row %d = %v, want p, theory, empirical", k, lc[3*k:3*k+3])
		}
	}
	sum := out["theory_summary"].(ndarray.Record)
	if f64(out, "theory_ed")[0] != sum["ed"] || f64(out, "theory_tad")[0] != sum["tad"] {
		t.Errorf("theory_ed %v theory_tad %v; summary %v", f64(out, "theory_ed"), f64(out, "theory_tad"), sum)
	}
	if sum["rank"] != 40 || sum["ed"].(float64) <= 1 {
		t.Errorf("summary %v: want rank 40 and ed > 1", sum)
	}
}

// Refusals name the param or input.
func TestEncodeBrainErrors(t *testing.T) {
	x, resp := featureRecording(30, 3, 2, 2)
	cases := []struct {
		in   Inputs
		p    Params
		want string
	}{
		{Inputs{"x": x, "y": ndarray.NewF64(30, 2)}, Params{"ceiling": "ncsnr"}, `param "ceiling": ncsnr needs input "responses"`},
		{Inputs{"x": x, "y": ndarray.NewF64(30, 2), "responses": resp}, Params{}, `inputs "y" and "responses" are both given`},
		{Inputs{"x": x, "responses": resp}, Params{"theory": true}, `param "theory": true needs param "theory_ps"`},
		{Inputs{"x": x, "responses": resp}, Params{"theory": true, "theory_ps": []int{30}}, `param "theory_ps"`},
	}
	for _, c := range cases {
		_, err := runEncode(t, c.in, c.p)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("error %v, want it to say %q", err, c.want)
		}
	}
}
