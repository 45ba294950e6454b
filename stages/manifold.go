package stages

import (
	"context"
	"fmt"
	"github.com/eigenlab/eigenlab/ndarray"
	"maps"
	"math/rand/v2"
	"slices"

	"gonum.org/v1/gonum/mat"

	"github.com/eigenlab/eigenlab/stages/manifold"
)

// manifoldStage is the mean-field manifold capacity analysis of labelled
// point clouds (package manifold).
type manifoldStage struct{}

func init() { Register(manifoldStage{}) }

func (manifoldStage) Kind() string    { return "manifold" }
func (manifoldStage) Version() string { return "1" }

func (manifoldStage) Doc() string {
	return `Mean-field manifold capacity (Chung, Lee & Sompolinsky 2018; Cohen et al.
2020) of the class manifolds in x: the rows of x with the same label form one
manifold (at least 2 manifolds of at least 2 points). As the reference
(schung039/neural_manifolds_replicaMFT) each manifold is shifted by the mean
of all points, centred on its centre and scaled by the centre's norm, reduced
to its span, and n_t Gaussian samples (seeded) give the anchor points from an
exact QP. Outputs: capacity = 1/mean(1/α_i) (α_M: manifolds per dimension
separable at margin kappa), radius and dimension (means of the anchor radius
R_M and dimension D_M), center_correlation (mean |cos| between centres minus
their mean), per-manifold capacities, radii, dimensions in the order of
manifold_labels (sorted), and info. The reference's low-rank centre removal
(Stiefel optimisation) is not done. Cost: one m×m Gram per manifold and a
small active-set QP per sample (50 manifolds × 100 points in 2,000
dimensions, n_t = 200: ~10 s of CPU).`
}

func (manifoldStage) Params() []ParamSpec {
	return []ParamSpec{
		{Name: "n_t", Type: Int, Default: 200, Min: Bound(1), Doc: "Gaussian samples per manifold (Monte-Carlo error ∝ 1/√n_t)"},
		{Name: "kappa", Type: Float, Default: 0.0, Min: Bound(0), Doc: "margin κ, in units of the manifold's centre norm"},
		{Name: "seed", Type: Int, Default: 0, Min: Bound(0), Doc: "random seed of the samples and of the point subsampling"},
		{Name: "max_points_per_manifold", Type: Int, Default: 0, Min: Bound(0), Doc: "keep at most this many points per manifold, drawn without replacement (0: all)"},
	}
}

func (manifoldStage) Inputs() []InputSpec {
	return []InputSpec{
		{Name: "x", Doc: "activations, one point per row (further axes are flattened)"},
		{Name: "labels", Doc: "one integer manifold (class) label per row of x"},
	}
}

func (manifoldStage) Outputs(Params) []string {
	return []string{"capacity", "radius", "dimension", "center_correlation",
		"capacities", "radii", "dimensions", "manifold_labels", "info"}
}

func (manifoldStage) Resources(Params) Resources { return Resources{Threads: 2} }

func (s manifoldStage) Run(ctx context.Context, _ *ndarray.Scratch, in Inputs, p Params) (Outputs, error) {
	x, err := in.Array("x")
	if err != nil {
		return nil, err
	}
	if err := x.CheckFinite(); err != nil {
		return nil, fmt.Errorf("input \"x\": %w", err)
	}
	labels, err := integerLabels("labels", "manifold", in["labels"], x.Rows())
	if err != nil {
		return nil, err
	}
	rng := RNG(s.Kind(), p.Int("seed"))
	ids, manifolds := groupRows(x, labels, p.Int("max_points_per_manifold"), rng)
	res, err := manifold.Analyze(manifolds, manifold.Options{
		Kappa: p.Float("kappa"), NT: p.Int("n_t"), Seed: rng.Uint64(), Workers: 2})
	if err != nil {
		return nil, fmt.Errorf("inputs \"x\" and \"labels\": %w", err)
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	per := [3][]float64{}
	for _, g := range res.Manifolds {
		per[0] = append(per[0], g.Capacity)
		per[1] = append(per[1], g.Radius)
		per[2] = append(per[2], g.Dimension)
	}
	return Outputs{
		"capacity":           ndarray.Scalar(res.Capacity),
		"radius":             ndarray.Scalar(res.Radius),
		"dimension":          ndarray.Scalar(res.Dimension),
		"center_correlation": ndarray.Scalar(res.CenterCorrelation),
		"capacities":         &ndarray.Array{Shape: []int{len(ids)}, F64: per[0]},
		"radii":              &ndarray.Array{Shape: []int{len(ids)}, F64: per[1]},
		"dimensions":         &ndarray.Array{Shape: []int{len(ids)}, F64: per[2]},
		"manifold_labels":    &ndarray.Array{Shape: []int{len(ids)}, I64: ids},
		"info": ndarray.Record{"manifolds": len(ids), "features": x.Cols(), "n_t": p.Int("n_t"), "kappa": p.Float("kappa"),
			"capacity_average": "1/mean(1/α_i)", "center_removal": "none (the reference's low-rank centre search is not done)"},
	}, nil
}

// groupRows returns the sorted distinct labels and, for each, the rows of
// x with that label as a matrix (points in row order; at most maxPoints of
// them, drawn without replacement from rng, if maxPoints > 0).
func groupRows(x *ndarray.Array, labels []int64, maxPoints int, rng *rand.Rand) ([]int64, []*mat.Dense) {
	byLabel := map[int64][]int{}
	for r, l := range labels {
		byLabel[l] = append(byLabel[l], r)
	}
	ids := slices.Sorted(maps.Keys(byLabel))
	vals, cols := x.Float64s(), x.Cols()
	out := make([]*mat.Dense, len(ids))
	for i, l := range ids {
		rows := byLabel[l]
		if maxPoints > 0 && len(rows) > maxPoints {
			perm := rng.Perm(len(rows))[:maxPoints]
			slices.Sort(perm)
			for j, k := range perm {
				perm[j] = rows[k]
			}
			rows = perm
		}
		m := mat.NewDense(len(rows), cols, nil)
		for j, r := range rows {
			copy(m.RawRowView(j), vals[r*cols:(r+1)*cols])
		}
		out[i] = m
	}
	return ids, out
}
