package stages

import (
	"context"
	"math"
	"reflect"
	"runtime"
	"strings"
	"testing"

	"gonum.org/v1/gonum/mat"

	"github.com/eigenlab/eigenlab/ndarray"
	"github.com/eigenlab/eigenlab/stages/decomp"
	"github.com/eigenlab/eigenlab/stages/spectral"
)

// reduceParams fills the schema defaults under p and validates.
func reduceParams(t testing.TB, p Params) Params {
	t.Helper()
	full := withDefaults(reduce{}, p)
	if err := (reduce{}).Validate(full); err != nil {
		t.Fatal(err)
	}
	return full
}

func runReduceIn(t testing.TB, in Inputs, p Params) (Outputs, error) {
	t.Helper()
	return reduce{}.Run(context.Background(), nil, in, reduceParams(t, p))
}

func runReduce(t testing.TB, x *ndarray.Array, p Params) Outputs {
	t.Helper()
	out, err := runReduceIn(t, Inputs{"x": x}, p)
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
	got := cov(matrix(runReduce(t, x, Params{"method": "gap"})["x"].(*ndarray.Array)))
	full := cov(matrix(x))
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

// GMP is the max over H, W; on N×T×C tokens pooling runs over T (§2.3);
// float32 stays float32.
func TestPooling(t *testing.T) {
	x := &ndarray.Array{Shape: []int{1, 2, 2, 2}, F32: []float32{1, -2, 5, 0, -1, -3, -2, -4}}
	if got := runReduce(t, x, Params{"method": "gmp"})["x"].(*ndarray.Array); !reflect.DeepEqual(got.F32, []float32{5, -1}) {
		t.Errorf("gmp = %v, want [5 -1]", got.F32)
	}
	if got := runReduce(t, x, Params{"method": "gap"})["x"].(*ndarray.Array); !reflect.DeepEqual(got.F32, []float32{1, -2.5}) {
		t.Errorf("gap = %v, want [1 -2.5]", got.F32)
	}
	tokens := &ndarray.Array{Shape: []int{1, 3, 2}, F64: []float64{1, 10, 2, 20, 6, 60}}
	if got := runReduce(t, tokens, Params{"method": "gap"})["x"].(*ndarray.Array); !reflect.DeepEqual(got.F64, []float64{3, 30}) {
		t.Errorf("gap over tokens = %v, want [3 30]", got.F64)
	}
	flat := runReduce(t, x, Params{"method": "flatten"})["x"].(*ndarray.Array)
	if !reflect.DeepEqual(flat.Shape, []int{1, 8}) || flat.F32[5] != -3 {
		t.Errorf("flatten: %v %v", flat.Shape, flat.F32)
	}
}

// Full, channel and spatial SRP apply the seed's projection to the right
// axes (§2.3): checked element by element against R, for float64 and
// float32 input (float32 output), and the same bytes whatever GOMAXPROCS.
func TestSRPAxes(t *testing.T) {
	const n, c, h, w = 4, 6, 2, 2
	l := h * w
	x := randomActs(n, c, h, w)
	x32 := &ndarray.Array{Shape: x.Shape, F32: make([]float32, len(x.F64))}
	for i, v := range x.F64 {
		x32.F32[i] = float32(v)
	}
	for _, tc := range []struct {
		axes  string
		d, k  int
		shape []int
		in    func(i, j, o int) int // x index of feature j at offset o (location or channel)
		out   func(i, j, o int) int
		outer int
	}{
		{"full", c * l, 5, []int{n, 5}, func(i, d, _ int) int { return i*c*l + d }, func(i, j, _ int) int { return i*5 + j }, 1},
		{"channel", c, 3, []int{n, 3, h, w}, func(i, d, o int) int { return (i*c+d)*l + o }, func(i, j, o int) int { return (i*3+j)*l + o }, l},
		{"spatial", l, 2, []int{n, c, 2}, func(i, d, o int) int { return (i*c+o)*l + d }, func(i, j, o int) int { return (i*c+o)*2 + j }, c},
	} {
		p := Params{"method": "srp", "axes": tc.axes, "k": tc.k, "density": 0.5, "seed": 3}
		var digests []string
		for _, procs := range []int{1, 2} {
			old := runtime.GOMAXPROCS(procs)
			digests = append(digests, runReduce(t, x, p)["x"].Digest().String())
			runtime.GOMAXPROCS(old)
		}
		out := runReduce(t, x, p)["x"].(*ndarray.Array)
		out32 := runReduce(t, x32, p)["x"].(*ndarray.Array)
		if !reflect.DeepEqual(out.Shape, tc.shape) || out32.DType() != ndarray.Float32 || digests[0] != digests[1] {
			t.Fatalf("%s: shape %v (want %v), float32 input gives %s, digests %v", tc.axes, out.Shape, tc.shape, out32.DType(), digests)
		}
		r := decomp.NewSRP(RNG("reduce", 3), tc.d, tc.k, 0.5)
		for i := 0; i < n; i++ {
			for j := 0; j < tc.k; j++ {
				for o := 0; o < tc.outer; o++ {
					want := 0.0
					for d := 0; d < tc.d; d++ {
						want += x.F64[tc.in(i, d, o)] * r.At(d, j)
					}
					got, got32 := out.F64[tc.out(i, j, o)], float64(out32.F32[tc.out(i, j, o)])
					if math.Abs(got-want) > 1e-12 || math.Abs(got32-want) > 1e-5*(1+math.Abs(want)) {
						t.Fatalf("%s: out[%d,%d,%d] = %g (float32 %g), want %g", tc.axes, i, j, o, got, got32, want)
					}
				}
			}
		}
	}
}

// D ≤ k without allow_expansion passes the input through (§2.2); the
// Johnson–Lindenstrauss size for 1000 rows at eps 0.1 is 5920.
func TestSRPSizing(t *testing.T) {
	x := randomActs(1000, 2, 1, 1)
	out := runReduce(t, x, Params{"method": "srp", "jl_eps": 0.1})
	info := out["info"].(ndarray.Record)
	if out["x"].(*ndarray.Array) != x || info["identity"] != true || info["k"] != 5920 {
		t.Errorf("D = 2, jl_eps 0.1, n = 1000: info %v, want identity with k = 5920", info)
	}
	grown := runReduce(t, randomActs(5, 2, 2, 2), Params{"method": "srp", "k": 20, "allow_expansion": true})["x"].(*ndarray.Array)
	if !reflect.DeepEqual(grown.Shape, []int{5, 20}) {
		t.Errorf("allow_expansion: shape %v, want [5 20]", grown.Shape)
	}
}

// features keeps about the same number of output features whatever the
// axes: channel and spatial projections are then compared at matched size.
func TestSRPFeatures(t *testing.T) {
	x := randomActs(3, 12, 7, 4) // C = 12, L = 28, C·L = 336
	for _, tc := range []struct {
		axes      string
		features  int
		wantShape []int
	}{
		{"full", 100, []int{3, 100}},
		{"channel", 112, []int{3, 4, 7, 4}}, // k = 112/28
		{"spatial", 112, []int{3, 12, 9}},   // k = round(112/12) = 9: 108 features
		{"channel", 5, []int{3, 1, 7, 4}},   // at least one
	} {
		out := runReduce(t, x, Params{"method": "srp", "axes": tc.axes, "features": tc.features, "allow_expansion": true})
		got := out["x"].(*ndarray.Array)
		if !reflect.DeepEqual(got.Shape, tc.wantShape) {
			t.Errorf("axes %s, features %d: shape %v, want %v", tc.axes, tc.features, got.Shape, tc.wantShape)
		}
		if f := out["info"].(ndarray.Record)["output_features"]; f != got.Cols() {
			t.Errorf("axes %s: info output_features %v, want %d", tc.axes, f, got.Cols())
		}
	}
}

// PCA through the stage equals sklearn (the decomp goldens), fits on the
// rows it reports in train_idx, and a given train_idx is honoured.
func TestReducePCA(t *testing.T) {
	for _, c := range []string{"tall", "wide"} {
		out := runReduce(t, decompGolden(t, "pca_"+c+"_x"), Params{"method": "pca", "k": 5})
		closeRel(t, c+" explained_variance", out["explained_variance"].(*ndarray.Array).F64, decompGolden(t, "pca_"+c+"_var").F64, 1e-10)
		closeRel(t, c+" components", out["components"].(*ndarray.Array).F64, decompGolden(t, "pca_"+c+"_comp").F64, 1e-10)
		closeRel(t, c+" scores", out["x"].(*ndarray.Array).F64, decompGolden(t, "pca_"+c+"_z").F64, 1e-10)
	}
	x := decompGolden(t, "pca_wide_x")

	split := runReduce(t, x, Params{"method": "pca", "k": 3, "split": 0.75, "seed": 2})
	idx := split["train_idx"].(*ndarray.Array)
	if idx.Len() != 15 || !sortedUnique(idx.I64) {
		t.Fatalf("split 0.75 of 20 rows: train_idx %v, want 15 distinct sorted rows", idx.I64)
	}
	given, err := runReduceIn(t, Inputs{"x": x, "train_idx": idx}, Params{"method": "pca", "k": 3})
	if err != nil {
		t.Fatal(err)
	}
	sub := make([]int, idx.Len())
	for i, v := range idx.I64 {
		sub[i] = int(v)
	}
	model, err := decomp.FitPCA(rows(matrix(x), sub), 3)
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range []Outputs{split, given} {
		closeRel(t, "variance of the train rows", o["explained_variance"].(*ndarray.Array).F64, model.Variance, 1e-12)
		closeRel(t, "scores of every row", o["x"].(*ndarray.Array).F64, fromDense(model.Transform(matrix(x))).F64, 1e-12)
	}
}

func sortedUnique(v []int64) bool {
	for i := 1; i < len(v); i++ {
		if v[i] <= v[i-1] {
			return false
		}
	}
	return true
}

func TestReduceBadInput(t *testing.T) {
	x := decompGolden(t, "pca_tall_x") // 60×20
	for _, tc := range []struct {
		in   Inputs
		p    Params
		want string
	}{
		{Inputs{"x": x}, Params{"method": "pca", "k": 21}, `param "k": k = 21 exceeds min(samples, features) = min(60, 20)`},
		{Inputs{"x": x}, Params{"method": "pca", "k": 5, "split": 0.01}, `param "split": 0.01 of 60 rows leaves 1 to fit on`},
		{Inputs{"x": x, "train_idx": ndarray.Ints(1, 60)}, Params{"method": "pca", "k": 1}, `input "train_idx": index 60 outside 0..59`},
		{Inputs{"x": x, "train_idx": ndarray.Ints(4, 1, 4)}, Params{"method": "pca", "k": 1}, `input "train_idx": row 4 appears twice; want distinct row indices`},
		{Inputs{"x": x, "train_idx": ndarray.Ints(1, 2)}, Params{"method": "pca", "k": 1, "split": 0.5}, `param "split": give either split or the train_idx input`},
		{Inputs{"x": x}, Params{"method": "srp", "axes": "channel", "k": 2}, `input "x": axes channel needs N×C×H×W activations, got float64[60 20]`},
		{Inputs{"x": x}, Params{"method": "gap"}, `input "x": pooling needs N×C×H×W activations or N×T×C tokens, got float64[60 20]`},
		{Inputs{"x": &ndarray.Array{Shape: []int{1, 2}, F64: []float64{1, math.Inf(1)}}}, Params{"method": "flatten"}, `input "x": element 1 (row 0, column 1) is +Inf`},
		{Inputs{"x": nanAt(20, 300, 2345)}, Params{"method": "srp", "k": 10}, `input "x": element 2345 (row 7) is NaN`},
		{Inputs{"x": nanAt(20, 3, 31)}, Params{"method": "srp", "k": 10}, `input "x": element 31 (row 10, column 1) is NaN`},
	} {
		_, err := runReduceIn(t, tc.in, tc.p)
		if err == nil || !strings.HasPrefix(err.Error(), tc.want) {
			t.Errorf("%v: err = %v\nwant %s", tc.p, err, tc.want)
		}
	}
}

// nanAt is an n×d float32 array of ones with a NaN at flat index i.
func nanAt(n, d, i int) *ndarray.Array {
	a := ndarray.NewF32(n, d)
	for j := range a.F32 {
		a.F32[j] = 1
	}
	a.F32[i] = float32(math.NaN())
	return a
}

func TestReduceValidate(t *testing.T) {
	for _, tc := range []struct {
		p    Params
		want string
	}{
		{Params{"method": "srp"}, "method srp needs exactly one of k, jl_eps or features"},
		{Params{"method": "srp", "k": 5, "jl_eps": 0.1}, "method srp needs exactly one of k, jl_eps or features"},
		{Params{"method": "srp", "k": 5, "features": 10}, "method srp needs exactly one of k, jl_eps or features"},
		{Params{"method": "pca"}, "method pca needs k"},
		{Params{"method": "pca", "k": 2, "jl_eps": 0.1}, "method pca takes k, not jl_eps or features"},
		{Params{"method": "pca", "k": 2, "features": 4}, "method pca takes k, not jl_eps or features"},
		{Params{"method": "gap", "k": 3}, "method gap takes no k, jl_eps or features"},
	} {
		if err := (reduce{}).Validate(tc.p); err == nil || err.Error() != tc.want {
			t.Errorf("%v: %v, want %q", tc.p, err, tc.want)
		}
	}
}

// BenchmarkReducePCA5000x1000 is PCA through the stage, fitted on every
// row, all 1000 components and every row's scores: what
// bench/sklearn_pca.py times sklearn's fit_transform doing.
func BenchmarkReducePCA5000x1000(b *testing.B) {
	x := lcgArray(5000, 1000, 1)
	p := Params{"method": "pca", "k": 1000}
	for b.Loop() {
		if _, err := runReduceIn(b, Inputs{"x": x}, p); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkReduceSRP is full SRP of float32 activations through the stage
// (matrix generation included): 2000×100000 → 8000, the size
// bench/sklearn_srp.py compares with sklearn.
func BenchmarkReduceSRP2000x100000to8000(b *testing.B) {
	x := &ndarray.Array{Shape: []int{2000, 100000}, F32: make([]float32, 2000*100000)}
	s := uint64(1)
	for i := range x.F32 {
		s = s*6364136223846793005 + 1442695040888963407
		x.F32[i] = float32(s>>11)/float32(1<<53)*2 - 1
	}
	p := Params{"method": "srp", "k": 8000}
	for b.Loop() {
		if _, err := runReduceIn(b, Inputs{"x": x}, p); err != nil {
			b.Fatal(err)
		}
	}
}
