package stages

import (
	"context"
	"fmt"
	"math"

	"github.com/eigenlab/eigenlab/ndarray"
	"github.com/eigenlab/eigenlab/stages/decomp"
)

// reduce lowers the dimension of activations: sparse random projection
// over the full, channel or spatial axes, PCA fitted on training rows,
// global average/max pooling, or flattening (METHODS.md §2).
type reduce struct{}

func init() { Register(reduce{}) }

func (reduce) Kind() string    { return "reduce" }
func (reduce) Version() string { return "3" }

func (reduce) Doc() string {
	return `Dimensionality reduction (METHODS §2).
srp: sparse random projection, entries ±1/sqrt(density·k) with probability
density/2 each (default density 1/sqrt(D)); axes full (flatten, D = C·H·W),
channel (one C×k matrix at every location: N×k×H×W) or spatial (one L×k
matrix for every channel: N×C×k). k is given, or the Johnson–Lindenstrauss
bound for jl_eps (n = 1000, eps = 0.1 gives 5920), or derived from
features, the number of output features to keep whatever the axes (full:
k = features; channel: k = round(features/(H·W)); spatial: k =
round(features/C); at least 1), so that channel-only and spatial-only
projections can be compared at matched size. When D ≤ k the input
passes unchanged unless allow_expansion. The matrix is kept sparse (CSR by
input feature) and regenerated from seed; rows are projected in batches.
pca: k components fitted on training rows (the optional train_idx input,
else a seeded random fraction split of the rows, default all), centered by
their mean, sign rule of §0.1; outputs the scores of every row, components
(k×F), explained_variance and the train_idx used. gap / gmp: mean / max
over H, W of N×C×H×W (over tokens of N×T×C). flatten: N×(rest), C order.
Types: srp, gap, gmp and flatten keep float32 input float32 (float64
accumulation); pca and every other input give float64.`
}

func (reduce) Params() []ParamSpec {
	return []ParamSpec{
		{Name: "method", Type: String, Choices: []string{"srp", "pca", "gap", "gmp", "flatten"}, Doc: "what to do"},
		{Name: "k", Type: Int, Optional: true, Min: Bound(1), Doc: "output dimension (srp, pca)"},
		{Name: "features", Type: Int, Optional: true, Min: Bound(1), Doc: "srp: output features to keep (k derived from the axes; matched sizes across axes)"},
		{Name: "jl_eps", Type: Float, Optional: true, Min: Bound(1e-3), Max: Bound(0.999), Doc: "srp: size k by the Johnson–Lindenstrauss bound for this distortion"},
		{Name: "density", Type: Float, Optional: true, Min: Bound(1e-9), Max: Bound(1), Doc: "srp: fraction of nonzeros (default 1/sqrt(D))"},
		{Name: "axes", Type: String, Default: "full", Choices: []string{"full", "channel", "spatial"}, Doc: "srp: which axes are projected (§2.3)"},
		{Name: "allow_expansion", Type: Bool, Default: false, Doc: "srp: project even when D ≤ k"},
		{Name: "split", Type: Float, Default: 1.0, Min: Bound(1e-9), Max: Bound(1), Doc: "pca: fraction of rows (seeded random) to fit on, when no train_idx input"},
		{Name: "seed", Type: Int, Default: 0, Doc: "srp: the projection; pca: the split"},
	}
}

// Validate checks that srp and pca are told their size.
func (reduce) Validate(p Params) error {
	switch m := p.String("method"); {
	case m == "srp" && countSet(p, "k", "jl_eps", "features") != 1:
		return fmt.Errorf("method srp needs exactly one of k, jl_eps or features")
	case m == "pca" && !p.Has("k"):
		return fmt.Errorf("method pca needs k")
	case m != "srp" && m != "pca" && countSet(p, "k", "jl_eps", "features") > 0:
		return fmt.Errorf("method %s takes no k, jl_eps or features", m)
	case m == "pca" && countSet(p, "jl_eps", "features") > 0:
		return fmt.Errorf("method pca takes k, not jl_eps or features")
	}
	return nil
}

// countSet counts how many of the named params are set.
func countSet(p Params, names ...string) int {
	n := 0
	for _, name := range names {
		if p.Has(name) {
			n++
		}
	}
	return n
}

func (reduce) Inputs() []InputSpec {
	return []InputSpec{
		{Name: "x", Doc: "N×F matrix or N×C×H×W activations (N×T×C tokens for gap/gmp)"},
		{Name: "train_idx", Doc: "pca: int64 row indices to fit on", Optional: true},
	}
}

func (reduce) Outputs(p Params) []string {
	if p.String("method") == "pca" {
		return []string{"x", "components", "explained_variance", "train_idx", "info"}
	}
	return []string{"x", "info"}
}

func (reduce) Resources(Params) Resources { return Resources{Threads: 2} }

func (reduce) Run(ctx context.Context, _ *ndarray.Scratch, in Inputs, p Params) (Outputs, error) {
	x, err := in.Array("x")
	if err != nil {
		return nil, err
	}
	if p.String("method") != "srp" { // srp checks as it projects
		if err := x.CheckFinite(); err != nil {
			return nil, fmt.Errorf("input \"x\": %w", err)
		}
	}
	if x.DType() == ndarray.Int64 {
		x = &ndarray.Array{Shape: x.Shape, F64: x.Float64s()}
	}
	info := ndarray.Record{"method": p.String("method"), "input_shape": x.Shape, "dtype": string(x.DType())}
	out := Outputs{"info": info}
	switch p.String("method") {
	case "flatten":
		out["x"] = &ndarray.Array{Shape: []int{x.Rows(), x.Cols()}, F32: x.F32, F64: x.F64}
	case "gap", "gmp":
		out["x"], err = pool(x, p.String("method") == "gmp")
	case "srp":
		out["x"], err = projectSRP(x, p, info)
	case "pca":
		err = runPCA(x, in, p, out)
	}
	if err != nil {
		return nil, err
	}
	info["output_shape"] = out["x"].(*ndarray.Array).Shape
	return out, nil
}

// pool takes the mean or max over H, W of N×C×H×W activations, or over
// the tokens of N×T×C ones (§2.3).
func pool(x *ndarray.Array, useMax bool) (*ndarray.Array, error) {
	var n, c, l, cStride, lStride int
	switch len(x.Shape) {
	case 4:
		n, c, l = x.Shape[0], x.Shape[1], x.Shape[2]*x.Shape[3]
		cStride, lStride = l, 1
	case 3:
		n, l, c = x.Shape[0], x.Shape[1], x.Shape[2]
		cStride, lStride = 1, c
	default:
		return nil, fmt.Errorf("input \"x\": pooling needs N×C×H×W activations or N×T×C tokens, got %s", x.Describe())
	}
	if x.F32 != nil {
		out := ndarray.NewF32(n, c)
		poolInto(out.F32, x.F32, n, c, l, cStride, lStride, useMax)
		return out, nil
	}
	out := ndarray.NewF64(n, c)
	poolInto(out.F64, x.F64, n, c, l, cStride, lStride, useMax)
	return out, nil
}

func poolInto[T decomp.Float](out, x []T, n, c, l, cStride, lStride int, useMax bool) {
	for i := 0; i < n; i++ {
		row := x[i*c*l : (i+1)*c*l]
		for ch := 0; ch < c; ch++ {
			acc := 0.0
			if useMax {
				acc = math.Inf(-1)
			}
			for pos := 0; pos < l; pos++ {
				v := float64(row[ch*cStride+pos*lStride])
				if useMax {
					acc = math.Max(acc, v)
				} else {
					acc += v
				}
			}
			if !useMax {
				acc /= float64(l)
			}
			out[i*c+ch] = T(acc)
		}
	}
}

// projectSRP applies one shared sparse projection over the chosen axes
// (§2.2, §2.3).
func projectSRP(x *ndarray.Array, p Params, info ndarray.Record) (*ndarray.Array, error) {
	lay, d := decomp.Layout{Groups: 1, Inner: 1}, x.Cols()
	if axes := p.String("axes"); axes != "full" {
		if len(x.Shape) != 4 {
			return nil, fmt.Errorf("input \"x\": axes %s needs N×C×H×W activations, got %s", axes, x.Describe())
		}
		c, l := x.Shape[1], x.Shape[2]*x.Shape[3]
		if axes == "channel" {
			lay, d = decomp.Layout{Groups: 1, Inner: l}, c
		} else {
			lay, d = decomp.Layout{Groups: c, Inner: 1}, l
		}
	}
	k := 0
	switch {
	case p.Has("k"):
		k = p.Int("k")
	case p.Has("features"):
		k = max(1, int(math.Round(float64(p.Int("features"))*float64(d)/float64(x.Cols()))))
		info["output_features"] = x.Cols() / d * k // the axes not projected are kept
	default:
		k = decomp.JLDim(x.Rows(), p.Float("jl_eps"))
	}
	info["k"], info["d"], info["axes"] = k, d, p.String("axes")
	if d <= k && !p.Bool("allow_expansion") {
		info["identity"] = true // §2.2: no expansion
		if err := x.CheckFinite(); err != nil {
			return nil, fmt.Errorf("input \"x\": %w", err)
		}
		return x, nil
	}
	density := decomp.DefaultDensity(d)
	if p.Has("density") {
		density = p.Float("density")
	}
	r := decomp.NewSRP(RNG("reduce", p.Int("seed")), d, k, density)
	info["density"], info["nnz"] = density, r.NNZ()
	shape := []int{x.Rows(), k}
	switch p.String("axes") {
	case "channel": // N × k × H × W
		shape = []int{x.Rows(), k, x.Shape[2], x.Shape[3]}
	case "spatial": // N × C × k
		shape = []int{x.Rows(), x.Shape[1], k}
	}
	var out *ndarray.Array
	var bad int
	if x.F32 != nil {
		out = ndarray.NewF32(shape...)
		bad = decomp.Apply(r, x.F32, out.F32, x.Rows(), lay, 0)
	} else {
		out = ndarray.NewF64(shape...)
		bad = decomp.Apply(r, x.F64, out.F64, x.Rows(), lay, 0)
	}
	if bad >= 0 {
		return nil, fmt.Errorf("input \"x\": element %d (row %d) is %v: data must be finite (NaN/Inf are rejected; see METHODS.md §0.1)",
			bad, bad/x.Cols(), x.Value(bad))
	}
	return out, nil
}
