package stages

import (
	"context"
	"fmt"
	"runtime"
	"strings"

	"gonum.org/v1/gonum/mat"

	"github.com/eigenlab/eigenlab/ndarray"
	"github.com/eigenlab/eigenlab/stages/nn/train"
)

// weightProject measures accuracy after projecting one layer's weights
// onto the top eigenvectors of their weight covariance, for a list of
// ranks: Guth et al.'s test that a trained layer's function lives in a
// low-dimensional subspace of its weight space.
type weightProject struct{}

func init() { Register(weightProject{}) }

func (weightProject) Kind() string    { return "weight_project" }
func (weightProject) Version() string { return "1" }

func (weightProject) Doc() string {
	return `Accuracy of a model (from train) on x, y after projecting the kernel of one
layer onto the top-r eigenvectors of its weight covariance, for each r in
ranks (METHODS.md §5.2 conventions: the kernel flattened to W (C_out × D,
D = C_in·k·k), Σ_w = WᵀW/C_out uncentred, eigenvectors = right singular
vectors of W, in descending eigenvalue order). The projection is
W_r = W·V_r·V_rᵀ; the bias and every other layer are unchanged, so
r ≥ rank(W) gives the unprojected accuracy and r = 0 a zero kernel.
Outputs: accuracy (float64 [len(ranks)]), clean_accuracy, spectrum (the
eigenvalues of Σ_w, descending), info.`
}

func (weightProject) Params() []ParamSpec {
	return []ParamSpec{
		{Name: "layer", Type: String, Doc: "the dense or conv node whose kernel is projected (dense0, conv1, …)"},
		{Name: "ranks", Type: IntList, Min: Bound(0), Doc: "numbers r of top eigenvectors kept, one accuracy each"},
		{Name: "batch_size", Type: Int, Default: 256, Min: Bound(1), Doc: "samples per forward pass (memory only)"},
	}
}

func (weightProject) Inputs() []InputSpec {
	return []InputSpec{{Name: "model", Doc: "the network (train)"}, {Name: "x", Doc: "held-out samples"}, {Name: "y", Doc: "their int64 labels"}}
}

func (weightProject) Outputs(Params) []string {
	return []string{"accuracy", "clean_accuracy", "spectrum", "info"}
}

func (weightProject) Resources(Params) Resources {
	return Resources{Threads: runtime.NumCPU(), MemBytes: 512 << 20}
}

func (weightProject) Run(ctx context.Context, _ *ndarray.Scratch, in Inputs, p Params) (Outputs, error) {
	m, d, err := evalInputs(in)
	if err != nil {
		return nil, err
	}
	kernel := kernelOf(m, p.String("layer"))
	if kernel == nil {
		return nil, fmt.Errorf("param \"layer\": the model has no dense or conv node %q; want one of %v", p.String("layer"), kernelLayers(m))
	}
	cout := kernel.Shape[0]
	dim := len(kernel.Value) / cout
	var svd mat.SVD
	if !svd.Factorize(mat.NewDense(cout, dim, append([]float64(nil), kernel.Value...)), mat.SVDThinV) {
		return nil, fmt.Errorf("layer %q: the SVD of its %d×%d kernel did not converge", p.String("layer"), cout, dim)
	}
	var v mat.Dense
	svd.VTo(&v)
	orig := append([]float64(nil), kernel.Value...)
	bs := p.Int("batch_size")
	ranks := p.Ints("ranks")
	acc := ndarray.NewF64(len(ranks))
	for k, r := range ranks {
		if r > dim {
			return nil, fmt.Errorf("param \"ranks\": %d, but layer %q has D = %d inputs per unit", r, p.String("layer"), dim)
		}
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		projectRows(kernel.Value, orig, cout, dim, &v, r)
		acc.F64[k] = train.Accuracy(m, d, bs)
	}
	copy(kernel.Value, orig)
	spec := ndarray.NewF64(dim)
	for i, s := range svd.Values(nil) {
		spec.F64[i] = s * s / float64(cout)
	}
	info := ndarray.Record{"layer": p.String("layer"), "c_out": cout, "d": dim, "ranks": ranks, "n": d.N(),
		"covariance": "W^T W / C_out, uncentred (METHODS.md §5.2)"}
	return Outputs{"accuracy": acc, "clean_accuracy": ndarray.Scalar(train.Accuracy(m, d, bs)), "spectrum": spec, "info": info}, nil
}

// projectRows sets dst (cout × dim) to w·V_r·V_rᵀ, V_r the first r of the
// orthonormal columns of v (all of them when r exceeds their number).
func projectRows(dst, w []float64, cout, dim int, v *mat.Dense, r int) {
	_, cols := v.Dims()
	if r = min(r, cols); r == 0 {
		clear(dst)
		return
	}
	vr := v.Slice(0, dim, 0, r)
	var coef mat.Dense
	coef.Mul(mat.NewDense(cout, dim, w), vr)
	mat.NewDense(cout, dim, dst).Mul(&coef, vr.T())
}

// kernelOf is the kernel of node layer, nil if m has none.
func kernelOf(m *train.Model[float64], layer string) *train.Param[float64] {
	for _, p := range m.Params() {
		if p.Name == layer+"/kernel" {
			return p
		}
	}
	return nil
}

// kernelLayers names the nodes with a kernel.
func kernelLayers(m *train.Model[float64]) []string {
	var names []string
	for _, p := range m.Params() {
		if name, ok := strings.CutSuffix(p.Name, "/kernel"); ok {
			names = append(names, name)
		}
	}
	return names
}
