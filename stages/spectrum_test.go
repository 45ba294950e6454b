package stages

import (
	"context"
	"math"
	"math/rand/v2"
	"strings"
	"testing"
)

func runSpectrum(t *testing.T, x *Array, p Params) (Outputs, error) {
	t.Helper()
	full := Params{"view": "full", "estimator": "stringer", "bins_per_decade": 10, "center": true, "drop_nonfinite": false}
	for k, v := range p {
		full[k] = v
	}
	return spectrum{}.Run(context.Background(), Inputs{"x": x}, full)
}

func randomActs(n, c, h, w int) *Array {
	rng := rand.New(rand.NewPCG(3, 4))
	a := NewF64(n, c, h, w)
	for i := range a.F64 {
		// Location-dependent means make the between-location term nonzero.
		a.F64[i] = rng.NormFloat64() + float64(i%(h*w))*0.3
	}
	return a
}

func sum(v []float64) float64 {
	s := 0.0
	for _, x := range v {
		s += x
	}
	return s
}

// The trace identities of METHODS.md §1.1 hold between the three views.
func TestViewIdentities(t *testing.T) {
	const n, c, h, w = 30, 12, 3, 4
	l := h * w
	x := randomActs(n, c, h, w)
	eig := func(view string) []float64 {
		out, err := runSpectrum(t, x, Params{"view": view, "estimator": "ols-range", "ranks": []int{1, 12}})
		if err != nil {
			t.Fatal(err)
		}
		return out["eigenvalues"].(*Array).F64
	}
	trFull, trSpatial := sum(eig("full")), sum(eig("spatial"))*float64(l)
	if math.Abs(trFull-trSpatial) > 1e-10*trFull {
		t.Errorf("tr Σ_full = %.15g, Σ_l tr Σ_l = %.15g", trFull, trSpatial)
	}
	// (NL−1) tr Σ_chan = (N−1) Σ_l tr Σ_l + N Σ_l ‖m_l − m̄‖².
	between := 0.0
	grand := make([]float64, c)
	means := make([][]float64, l)
	for pos := 0; pos < l; pos++ {
		means[pos] = make([]float64, c)
		for i := 0; i < n; i++ {
			for ch := 0; ch < c; ch++ {
				v := x.F64[(i*c+ch)*l+pos] / n
				means[pos][ch] += v
				grand[ch] += v / float64(l)
			}
		}
	}
	for pos := range means {
		for ch := range grand {
			between += (means[pos][ch] - grand[ch]) * (means[pos][ch] - grand[ch])
		}
	}
	lhs := float64(n*l-1) * sum(eig("channel"))
	rhs := float64(n-1)*trSpatial + n*between
	if math.Abs(lhs-rhs) > 1e-10*lhs {
		t.Errorf("channel decomposition: %.15g vs %.15g", lhs, rhs)
	}
}

func TestSpectrumBadInput(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	nan := NewF64(20, 30)
	for i := range nan.F64 {
		nan.F64[i] = rng.NormFloat64()
	}
	nan.F64[3*30+4] = math.NaN()
	tests := []struct {
		name string
		x    *Array
		p    Params
		want string
	}{
		{"nan", nan, nil, `input "x": element (row 3, column 4) is NaN; data must be finite, or set drop_nonfinite: true to drop such columns`},
		{"channel needs 4-d", NewF64(20, 30), Params{"view": "channel"}, `input "x": channel and spatial views need N×C×H×W activations, got float64[20 30]`},
		{"too few samples", NewF64(2, 10), nil, `input "x": 2 samples; want at least 3 rows`},
		{"range too short", NewF64(20, 30), Params{"ranks": []int{11, 15}}, `param "ranks": estimator stringer: only`},
	}
	for _, tc := range tests {
		_, err := runSpectrum(t, tc.x, tc.p)
		if err == nil || !strings.HasPrefix(err.Error(), tc.want) {
			t.Errorf("%s: err = %v\nwant %s", tc.name, err, tc.want)
		}
	}
	out, err := runSpectrum(t, nan, Params{"drop_nonfinite": true, "ranks": []int{1, 12}, "estimator": "ols-range"})
	if err != nil {
		t.Fatal(err)
	}
	if got := out["info"].(Record)["dropped_columns"]; got != 1 {
		t.Errorf("dropped_columns = %v, want 1", got)
	}
}
