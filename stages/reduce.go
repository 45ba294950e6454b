package stages

import (
	"context"
	"fmt"
	"math"
	"runtime"
	"sync"

	"gonum.org/v1/gonum/mat"

	"github.com/eigenlab/eigenlab/stages/decomp"
)

// reduce lowers the dimension of activations: sparse random projection
// over the full, channel or spatial axes, PCA fitted on training rows,
// global average/max pooling, or flattening (METHODS.md §2).
type reduce struct{}

func init() { Register(reduce{}) }

func (reduce) Kind() string    { return "reduce" }
func (reduce) Version() string { return "1" }

func (reduce) Doc() string {
	return `Dimensionality reduction (METHODS §2).
srp: sparse random projection, entries ±1/sqrt(density·k) with probability
density/2 each (default density 1/sqrt(D)); axes full (flatten, D = C·H·W),
channel (one C×k matrix at every location: N×k×H×W) or spatial (one L×k
matrix for every channel: N×C×k). k is given, or from the Johnson–
Lindenstrauss bound with jl_eps. When D ≤ k the input passes unchanged
unless allow_expansion. Float32 in, float32 out (float64 accumulation).
pca: k components fitted on the rows named by the optional train_idx input
(default all rows), centered by their mean; outputs scores, components and
explained_variance. gap / gmp: mean / max over H, W. flatten: N×(rest).`
}

func (reduce) Params() []ParamSpec {
	return []ParamSpec{
		{Name: "method", Type: String, Choices: []string{"srp", "pca", "gap", "gmp", "flatten"}, Doc: "what to do"},
		{Name: "k", Type: Int, Optional: true, Min: Bound(1), Doc: "output dimension (srp, pca)"},
		{Name: "jl_eps", Type: Float, Optional: true, Min: Bound(1e-3), Max: Bound(0.999), Doc: "srp: size k by the Johnson–Lindenstrauss bound for this distortion"},
		{Name: "density", Type: Float, Optional: true, Min: Bound(1e-9), Max: Bound(1), Doc: "srp: fraction of nonzeros (default 1/sqrt(D))"},
		{Name: "axes", Type: String, Default: "full", Choices: []string{"full", "channel", "spatial"}, Doc: "srp: which axes are projected (§2.3)"},
		{Name: "allow_expansion", Type: Bool, Default: false, Doc: "srp: project even when D ≤ k"},
		{Name: "seed", Type: Int, Default: 0, Doc: "srp: random seed of the projection"},
	}
}

// Validate checks that srp and pca are told their size.
func (reduce) Validate(p Params) error {
	switch m := p.String("method"); {
	case m == "srp" && p.Has("k") == p.Has("jl_eps"):
		return fmt.Errorf("method srp needs exactly one of k or jl_eps")
	case m == "pca" && !p.Has("k"):
		return fmt.Errorf("method pca needs k")
	case m != "srp" && m != "pca" && (p.Has("k") || p.Has("jl_eps")):
		return fmt.Errorf("method %s takes no k or jl_eps", m)
	}
	return nil
}

func (reduce) Inputs() []InputSpec {
	return []InputSpec{
		{Name: "x", Doc: "N×F matrix or N×C×H×W activations"},
		{Name: "train_idx", Doc: "pca: int rows to fit on", Optional: true},
	}
}

func (reduce) Outputs(p Params) []string {
	if p.String("method") == "pca" {
		return []string{"x", "components", "explained_variance", "info"}
	}
	return []string{"x", "info"}
}

func (reduce) Resources(Params) Resources { return Resources{Threads: 2} }

func (reduce) Run(ctx context.Context, in Inputs, p Params) (Outputs, error) {
	x, err := in.Array("x")
	if err != nil {
		return nil, err
	}
	if err := x.CheckFinite(); err != nil {
		return nil, fmt.Errorf("input \"x\": %w", err)
	}
	info := Record{"method": p.String("method"), "input_shape": x.Shape}
	out := Outputs{"info": info}
	switch p.String("method") {
	case "flatten":
		out["x"] = &Array{Shape: []int{x.Rows(), x.Cols()}, F32: x.F32, F64: x.F64, I64: x.I64}
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
	info["output_shape"] = out["x"].(*Array).Shape
	return out, nil
}

// pool takes the mean or max over H, W of an N×C×H×W array (§2.3).
func pool(x *Array, useMax bool) (*Array, error) {
	if len(x.Shape) != 4 {
		return nil, fmt.Errorf("input \"x\": pooling needs N×C×H×W activations, got %s", x.Describe())
	}
	n, c, l := x.Shape[0], x.Shape[1], x.Shape[2]*x.Shape[3]
	out := newLike(x, n, c)
	for i := 0; i < n*c; i++ {
		acc := 0.0
		if useMax {
			acc = math.Inf(-1)
		}
		for pos := 0; pos < l; pos++ {
			v := x.Value(i*l + pos)
			if useMax {
				acc = math.Max(acc, v)
			} else {
				acc += v / float64(l)
			}
		}
		out.set(i, acc)
	}
	return out.Array, nil
}

// typed wraps an output array of the input's float type.
type typed struct{ *Array }

func newLike(x *Array, shape ...int) typed {
	if x.DType() == Float32 {
		return typed{NewF32(shape...)}
	}
	return typed{NewF64(shape...)}
}

func (t typed) set(i int, v float64) {
	if t.F32 != nil {
		t.F32[i] = float32(v)
	} else {
		t.F64[i] = v
	}
}

// projectSRP applies one shared projection over the chosen axes (§2.3).
func projectSRP(x *Array, p Params, info Record) (*Array, error) {
	var groups, d, stride, inner int // a row of x is groups × (d features at the given stride) × inner
	switch p.String("axes") {
	case "full":
		groups, d, stride, inner = 1, x.Cols(), 1, 1
	case "channel", "spatial":
		if len(x.Shape) != 4 {
			return nil, fmt.Errorf("input \"x\": axes %s needs N×C×H×W activations, got %s", p.String("axes"), x.Describe())
		}
		c, l := x.Shape[1], x.Shape[2]*x.Shape[3]
		if p.String("axes") == "channel" {
			groups, d, stride, inner = 1, c, l, l
		} else {
			groups, d, stride, inner = c, l, 1, 1
		}
	}
	k := 0
	if p.Has("k") {
		k = p.Int("k")
	} else {
		k = decomp.JLDim(x.Rows(), p.Float("jl_eps"))
	}
	info["k"], info["d"] = k, d
	if d <= k && !p.Bool("allow_expansion") {
		info["identity"] = true // §2.2: no expansion
		return x, nil
	}
	density := decomp.DefaultDensity(d)
	if p.Has("density") {
		density = p.Float("density")
	}
	info["density"] = density
	r := decomp.NewSRP(RNG("reduce", p.Int("seed")), d, k, density)
	return applySRP(x, r, groups, stride, inner), nil
}

// applySRP projects every (row, group, inner offset) vector of length d,
// spread over row workers; each output element is computed by one worker
// in a fixed order, so results do not depend on the thread count.
func applySRP(x *Array, r *decomp.SRP, groups, stride, inner int) *Array {
	n, cols := x.Rows(), x.Cols()
	shape := []int{n, r.K}
	switch {
	case inner > 1: // channel: N × k × H × W
		shape = []int{n, r.K, x.Shape[2], x.Shape[3]}
	case groups > 1: // spatial: N × C × k
		shape = []int{n, groups, r.K}
	}
	out := newLike(x, shape...)
	workers := min(runtime.GOMAXPROCS(0), n)
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			y := make([]float64, r.K)
			for i := w; i < n; i += workers {
				for g := 0; g < groups; g++ {
					for off := 0; off < inner; off++ {
						base := i*cols + g*r.D*stride + off
						r.ProjectRow(func(d int) float64 { return x.Value(base + d*stride) }, y)
						for j, v := range y {
							// channel: [i, j, off]; spatial: [i, g, j]; full: [i, j]
							out.set(i*r.K*groups*inner+g*r.K*inner+j*inner+off, v)
						}
					}
				}
			}
		}(w)
	}
	wg.Wait()
	return out.Array
}

// runPCA fits on the train rows and transforms every row.
func runPCA(x *Array, in Inputs, p Params, out Outputs) error {
	m := x.Matrix()
	train := m
	if idx, err := in.Array("train_idx"); err == nil {
		rows := make([]int, idx.Len())
		for i := range rows {
			rows[i] = int(idx.Value(i))
			if rows[i] < 0 || rows[i] >= x.Rows() {
				return fmt.Errorf("input \"train_idx\": index %d outside 0..%d", rows[i], x.Rows()-1)
			}
		}
		train = mat.NewDense(len(rows), x.Cols(), nil)
		for i, r := range rows {
			train.SetRow(i, m.RawRowView(r))
		}
	}
	model, err := decomp.FitPCA(train, p.Int("k"))
	if err != nil {
		return fmt.Errorf("param \"k\": %w", err)
	}
	out["x"] = fromDense(model.Transform(m))
	out["components"] = fromDense(model.Components)
	out["explained_variance"] = &Array{Shape: []int{len(model.Variance)}, F64: model.Variance}
	return nil
}
