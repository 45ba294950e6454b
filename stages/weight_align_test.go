package stages

import (
	"context"
	"maps"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"gonum.org/v1/gonum/mat"
	"gonum.org/v1/gonum/stat"

	"github.com/eigenlab/eigenlab/ndarray"
)

func randArray(rng *rand.Rand, shape ...int) *ndarray.Array {
	a := ndarray.NewF64(shape...)
	for i := range a.F64 {
		a.F64[i] = rng.NormFloat64()
	}
	return a
}

var alignDefaults = Params{"center": false, "standardize": false, "tau": 0.5, "p_value": 0.001, "top": 50, "n_null": 200, "seed": 0}

// The same weights on the same input (A = I) share every eigenvector;
// independent random weights share none beyond chance.
func TestWeightAlignSameAndRandom(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	w := randArray(rng, 64, 3, 3, 3)
	out, err := weightAlign{}.Run(context.Background(), nil, Inputs{"w1": w, "w2": w}, alignDefaults)
	if err != nil {
		t.Fatal(err)
	}
	if n := out["n_shared_diag"].(*ndarray.Array).F64[0]; n != 27 {
		t.Errorf("identical weights share %v eigenvectors, want all 27", n)
	}
	out, err = weightAlign{}.Run(context.Background(), nil, Inputs{"w1": w, "w2": randArray(rng, 64, 3, 3, 3)}, alignDefaults)
	if err != nil {
		t.Fatal(err)
	}
	if n := out["n_shared_diag_ustar"].(*ndarray.Array).F64[0]; n > 2 {
		t.Errorf("independent weights share %v eigenvectors at u*", n)
	}
}

func TestWeightAlignBadInput(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	tests := []struct {
		in   Inputs
		want string
	}{
		{Inputs{"w1": randArray(rng, 8, 3, 3, 3), "w2": randArray(rng, 8, 4, 3, 3)}, "without phi and psi the alignment is the identity, which needs equal input channels; w1 has 3, w2 has 4"},
		{Inputs{"w1": randArray(rng, 8, 3, 3, 3), "w2": randArray(rng, 8, 3, 1, 1)}, `inputs "w1" and "w2" have 9 and 1 spatial taps per channel`},
		{Inputs{"w1": randArray(rng, 8, 3, 3, 3), "w2": randArray(rng, 8, 3, 3, 3), "phi": randArray(rng, 5, 4, 2, 2), "psi": randArray(rng, 5, 3, 2, 2)}, `input "phi": want N×3[×H×W] activations`},
		{Inputs{"w1": randArray(rng, 8, 3, 3), "w2": randArray(rng, 8, 3, 3)}, `input "w1": want C_out×C_in×k×k or C_out×D weights, got float64[8 3 3]`},
	}
	for _, tc := range tests {
		_, err := weightAlign{}.Run(context.Background(), nil, tc.in, alignDefaults)
		if err == nil || !strings.HasPrefix(err.Error(), tc.want) {
			t.Errorf("err = %v\nwant %s", err, tc.want)
		}
	}
}

// alignParams is alignDefaults with changes.
func alignParams(changes Params) Params {
	p := maps.Clone(alignDefaults)
	maps.Copy(p, changes)
	return p
}

func runAlign(t *testing.T, in Inputs, p Params) Outputs {
	t.Helper()
	out, err := weightAlign{}.Run(context.Background(), nil, in, p)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// rotateInputs returns w (C_out×C_in×k×k) with its input space rotated by a
// Haar-random orthogonal matrix (QR of a Gaussian, signs of R's diagonal
// moved into Q): the eigenvectors of its covariance are those of w rotated.
func rotateInputs(rng *rand.Rand, w *ndarray.Array) *ndarray.Array {
	cout, d := w.Shape[0], w.Len()/w.Shape[0]
	var qr mat.QR
	qr.Factorize(matrix(randArray(rng, d, d)))
	var q, r mat.Dense
	qr.QTo(&q)
	qr.RTo(&r)
	q.Apply(func(_, j int, v float64) float64 { return v * math.Copysign(1, r.At(j, j)) }, &q)
	var out mat.Dense
	out.Mul(matrix(w), q.T())
	return &ndarray.Array{Shape: slices.Clone(w.Shape), F64: out.RawMatrix().Data[:cout*d]}
}

// TestWeightAlignNullPlanted: identical networks (diag(M) = 1) share every
// compared eigenvector, and no null draw reaches that: every count's p-value
// is the smallest possible, 1/(1 + n_null), and its null sits far below.
func TestWeightAlignNullPlanted(t *testing.T) {
	w := randArray(rand.New(rand.NewPCG(7, 7)), 64, 3, 3, 3)
	out := runAlign(t, Inputs{"w1": w, "w2": w}, alignParams(Params{"n_null": 500}))
	for _, c := range countNames {
		if got := out[c].(*ndarray.Array).F64[0]; got != 27 {
			t.Errorf("%s = %v, want 27", c, got)
		}
		if got := out[c+"_p"].(*ndarray.Array).F64[0]; got != 1.0/501 {
			t.Errorf("%s_p = %v, want 1/501", c, got)
		}
		if null := out[c+"_null"].(*ndarray.Array); !slices.Equal(null.Shape, []int{3}) || null.F64[2] >= 27 {
			t.Errorf("%s_null = %v %v, want [mean, q95, q99] below 27", c, null.Shape, null.F64)
		}
		if mean := out[c+"_null_mean"].(*ndarray.Array).F64[0]; mean != out[c+"_null"].(*ndarray.Array).F64[0] {
			t.Errorf("%s_null_mean = %v, want the mean of %s_null", c, mean, c)
		}
	}
}

// TestWeightAlignNullRandomRotations: with top = D (a full orthogonal
// block), network 2 = network 1 with its input space rotated at random is a
// draw from the null itself. Then the best-match count's null mean is large
// (≈ D/4 at τ = u*(27, 0.01) = 0.479; numpy's brute force gives 7.07, see
// align/testdata/make_goldens.py) and the p-values are not small: over 40
// rotations the match count's p-values average ≈ ½, few fall below 0.05,
// and the diagonal counts (0 observed) have p = 1.
func TestWeightAlignNullRandomRotations(t *testing.T) {
	rng := rand.New(rand.NewPCG(8, 8))
	p := alignParams(Params{"tau": 0.4785111604036777, "p_value": 0.01, "n_null": 200})
	var ps []float64
	for r := 0; r < 40; r++ {
		w1 := randArray(rng, 64, 3, 3, 3)
		p["seed"] = r
		out := runAlign(t, Inputs{"w1": w1, "w2": rotateInputs(rng, w1)}, p)
		ps = append(ps, out["n_shared_match_p"].(*ndarray.Array).F64[0])
		if mean := out["n_shared_match_null"].(*ndarray.Array).F64[0]; math.Abs(mean-7.07) > 4*2.36/math.Sqrt(200) {
			t.Errorf("rotation %d: best-match null mean %.3f, brute force 7.07 ± %.3f", r, mean, 2.36/math.Sqrt(200))
		}
		if d := out["n_shared_diag_p"].(*ndarray.Array).F64[0]; out["n_shared_diag"].(*ndarray.Array).F64[0] == 0 && d != 1 {
			t.Errorf("rotation %d: n_shared_diag 0 has p = %v, want 1", r, d)
		}
	}
	small := 0
	for _, v := range ps {
		if v <= 0.05 {
			small++
		}
	}
	if mean := stat.Mean(ps, nil); mean < 0.35 || mean > 0.65 || small > 6 {
		t.Errorf("match p-values under the null: mean %.3f (want ≈ 0.5), %d of 40 ≤ 0.05 (want ≈ 2)", mean, small)
	}
}

// TestWeightAlignNullOutputs: n_null = 0 drops the _null and _p outputs;
// overlap_chance is k/D2; the null is a pure function of the seed.
func TestWeightAlignNullOutputs(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 9))
	in := Inputs{"w1": randArray(rng, 16, 4, 3, 3), "w2": randArray(rng, 16, 4, 3, 3)}
	none := alignParams(Params{"n_null": 0})
	out := runAlign(t, in, none)
	if names := (weightAlign{}).Outputs(none); len(names) != len(out) || slices.ContainsFunc(names, func(n string) bool { return strings.HasSuffix(n, "_p") || strings.Contains(n, "_null") }) {
		t.Errorf("n_null 0: outputs %v (ran %d)", names, len(out))
	}
	for _, c := range countNames {
		if _, ok := out[c+"_p"]; ok {
			t.Errorf("n_null 0 still gives %s_p", c)
		}
	}
	if oc := out["overlap_chance"].(*ndarray.Array).F64; len(oc) != 16 || oc[0] != 1.0/36 || oc[15] != 16.0/36 {
		t.Errorf("overlap_chance %v, want k/36 for k = 1..16", oc)
	}
	with := alignParams(Params{"n_null": 200, "tau": 0.3})
	if names := (weightAlign{}).Outputs(with); len(names) != len(runAlign(t, in, with)) {
		t.Errorf("declared outputs %v differ from the run's", names)
	}
	a, b := runAlign(t, in, with), runAlign(t, in, with)
	c := runAlign(t, in, alignParams(Params{"n_null": 200, "tau": 0.3, "seed": 1}))
	for _, name := range countNames {
		if !slices.Equal(a[name+"_null"].(*ndarray.Array).F64, b[name+"_null"].(*ndarray.Array).F64) {
			t.Errorf("%s_null differs between runs with the same seed", name)
		}
	}
	if slices.Equal(a["n_shared_match_null"].(*ndarray.Array).F64, c["n_shared_match_null"].(*ndarray.Array).F64) {
		t.Error("seeds 0 and 1 gave the same best-match null")
	}
}
