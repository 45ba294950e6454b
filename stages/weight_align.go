package stages

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sort"

	"gonum.org/v1/gonum/mat"
	"gonum.org/v1/gonum/stat"

	"github.com/eigenlab/eigenlab/ndarray"
	"github.com/eigenlab/eigenlab/stages/align"
	"github.com/eigenlab/eigenlab/stages/decomp"
)

// weightAlign compares the weight-covariance eigenvectors of two networks
// after aligning their input channels by their activations (METHODS.md §5).
type weightAlign struct{}

func init() { Register(weightAlign{}) }

func (weightAlign) Kind() string    { return "weight_align" }
func (weightAlign) Version() string { return "3" }

func (weightAlign) Doc() string {
	return `Aligns network 1 to network 2 by their activations at the input of the
compared layers (phi, psi: same images; positions become samples), A = V Uᵀ
from the SVD of E[φψᵀ] (uncentered as the reference, or center/standardize),
then compares the eigenvectors e_i of W1ᵀW1/C_out with those f_j of network
2 after mapping e_i by A ⊗ I over the input-channel axis (§5.3). Without
phi and psi, A = I (e.g. first layers on the same RGB input).
Outputs: alignment, cosines (top×top |cos|), eigenvalues1/2, u_star, info,
overlap o(k) = ‖Ê_kᵀF_k‖²/k with every mapped eigenvector T e_i scaled to
unit length first (§5.4 decision), so its chance level overlap_chance = k/D2
holds exactly also when C1 ≠ C2, and the counts (§5.4) n_shared_diag
(leading ranks with M_rr ≥ tau), n_shared_diag_ustar (the same at u*) and
n_shared_match (ranks whose best match is ≥ tau). A count alone means little
(with top = D a full orthogonal block matches by chance), so each count c
comes beside its own null: n_null draws replace network 2's compared
eigenvectors F by Q·F, Q Haar-random on O(D2) (seeded), and recount.
c_null = [mean, 95% quantile, 99% quantile] of the null counts (c_null_mean
its mean alone, a number for tables) and c_p =
(1 + #{null ≥ observed})/(1 + n_null), one-sided. With n_null = 0 the _null,
_null_mean and _p outputs are absent. A draw costs O(top³) whatever D2: it samples the
top×top cosines of Q·F directly, with exactly their law (about 0.5 s per
1000 draws at top = 50).`
}

func (weightAlign) Params() []ParamSpec {
	return []ParamSpec{
		{Name: "center", Type: Bool, Default: false, Doc: "center the cross moment (the reference does not)"},
		{Name: "standardize", Type: Bool, Default: false, Doc: "Rainbow's per-channel standardisation of the cross moment"},
		{Name: "tau", Type: Float, Default: 0.5, Min: Bound(0), Max: Bound(1), Doc: "cosine counted as shared"},
		{Name: "p_value", Type: Float, Default: 0.001, Min: Bound(1e-12), Max: Bound(0.5), Doc: "random-vector null level for u*"},
		{Name: "top", Type: Int, Default: 50, Min: Bound(1), Doc: "leading eigenvectors compared"},
		{Name: "n_null", Type: Int, Default: 1000, Min: Bound(0), Doc: "random-rotation null draws for every count (0: no _null and _p outputs)"},
		{Name: "seed", Type: Int, Default: 0, Min: Bound(0), Doc: "random seed of the null rotations"},
	}
}

func (weightAlign) Inputs() []InputSpec {
	return []InputSpec{
		{Name: "w1", Doc: "network 1 weights, C_out×C_in×k×k or C_out×D"},
		{Name: "w2", Doc: "network 2 weights, same taps"},
		{Name: "phi", Doc: "network 1 activations entering w1 (N×C_in[×H×W])", Optional: true},
		{Name: "psi", Doc: "network 2 activations entering w2, same images", Optional: true},
	}
}

// countNames are the §5.4 counts, in the order sharedCounts returns them.
var countNames = []string{"n_shared_diag", "n_shared_diag_ustar", "n_shared_match"}

func (weightAlign) Outputs(p Params) []string {
	out := []string{"cosines", "alignment", "eigenvalues1", "eigenvalues2", "overlap", "overlap_chance", "u_star", "info"}
	out = append(out, countNames...)
	if p.Int("n_null") > 0 {
		for _, c := range countNames {
			out = append(out, c+"_null", c+"_null_mean", c+"_p")
		}
	}
	return out
}

func (weightAlign) Resources(Params) Resources { return Resources{Threads: 2} }

func (weightAlign) Run(ctx context.Context, _ *ndarray.Scratch, in Inputs, p Params) (Outputs, error) {
	w1, c1, taps1, err := weightMatrix(in, "w1")
	if err != nil {
		return nil, err
	}
	w2, c2, taps2, err := weightMatrix(in, "w2")
	if err != nil {
		return nil, err
	}
	if taps1 != taps2 {
		return nil, fmt.Errorf("inputs \"w1\" and \"w2\" have %d and %d spatial taps per channel; want the same kernel size", taps1, taps2)
	}
	a, err := alignment(in, c1, c2, align.Moments{Center: p.Bool("center"), Standardize: p.Bool("standardize")})
	if err != nil {
		return nil, err
	}
	l1, e1, err := align.WeightEigen(w1)
	if err != nil {
		return nil, err
	}
	l2, e2, err := align.WeightEigen(w2)
	if err != nil {
		return nil, err
	}
	top := min(p.Int("top"), len(l1), len(l2))
	te := align.MapEigenvectors(a, e1, taps1)
	m := align.Cosines(te, e2, top)
	d2 := c2 * taps2
	ustar := align.Threshold(d2, p.Float("p_value"))
	out := Outputs{
		"cosines":        fromDense(m),
		"alignment":      fromDense(a),
		"eigenvalues1":   &ndarray.Array{Shape: []int{len(l1)}, F64: l1},
		"eigenvalues2":   &ndarray.Array{Shape: []int{len(l2)}, F64: l2},
		"overlap":        &ndarray.Array{Shape: []int{top}, F64: align.Overlap(te, e2, top)},
		"overlap_chance": &ndarray.Array{Shape: []int{top}, F64: align.OverlapChance(d2, top)},
		"u_star":         ndarray.Scalar(ustar),
		"info": ndarray.Record{"top": top, "tau": p.Float("tau"), "dimension": d2, "aligned_by_activations": in["phi"] != nil,
			"overlap": "each mapped eigenvector T e_i scaled to unit length; chance k/D2 (overlap_chance)",
			"n_null":  p.Int("n_null"), "null": "network 2's compared eigenvectors rotated by Haar-random Q on O(D2)"},
	}
	observed := sharedCounts(m, p.Float("tau"), ustar)
	for i, c := range countNames {
		out[c] = ndarray.Scalar(observed[i])
	}
	if p.Int("n_null") == 0 {
		return out, nil
	}
	return out, addNull(ctx, out, observed, align.NewNull(te, top), p, ustar)
}

// sharedCounts returns the counts of countNames for one cosine matrix.
func sharedCounts(m *mat.Dense, tau, ustar float64) []float64 {
	diag, match := align.Shared(m, tau)
	diagU, _ := align.Shared(m, ustar)
	return []float64{float64(diag), float64(diagU), float64(match)}
}

// addNull draws n_null null cosine matrices and adds, for every count c,
// c_null (mean, 95% and 99% quantiles of the null counts) and the one-sided
// p-value c_p = (1 + #{null ≥ observed})/(1 + n_null).
func addNull(ctx context.Context, out Outputs, observed []float64, null *align.Null, p Params, ustar float64) error {
	n := p.Int("n_null")
	rng := rand.New(rand.NewPCG(uint64(p.Int("seed")), 0x5e1a11))
	draws := make([][]float64, len(countNames))
	for d := 0; d < n; d++ {
		if d%64 == 0 && ctx.Err() != nil {
			return ctx.Err()
		}
		m, err := null.Draw(rng)
		if err != nil {
			return err
		}
		for i, v := range sharedCounts(m, p.Float("tau"), ustar) {
			draws[i] = append(draws[i], v)
		}
	}
	for i, c := range countNames {
		exceed := 0
		for _, v := range draws[i] {
			if v >= observed[i] {
				exceed++
			}
		}
		sort.Float64s(draws[i])
		out[c+"_null"] = &ndarray.Array{Shape: []int{3}, F64: []float64{stat.Mean(draws[i], nil), decomp.Quantile(draws[i], 0.95), decomp.Quantile(draws[i], 0.99)}}
		out[c+"_null_mean"] = ndarray.Scalar(stat.Mean(draws[i], nil)) // 0-d, for tables beside the count
		out[c+"_p"] = ndarray.Scalar(float64(1+exceed) / float64(1+n))
	}
	return nil
}

// weightMatrix flattens a weight array to C_out×(C_in·taps) in C order.
func weightMatrix(in Inputs, name string) (*mat.Dense, int, int, error) {
	w, err := in.Array(name)
	if err != nil {
		return nil, 0, 0, err
	}
	if err := w.CheckFinite(); err != nil {
		return nil, 0, 0, fmt.Errorf("input %q: %w", name, err)
	}
	switch len(w.Shape) {
	case 2:
		return matrix(w), w.Shape[1], 1, nil
	case 4:
		return matrix(w), w.Shape[1], w.Shape[2] * w.Shape[3], nil
	}
	return nil, 0, 0, fmt.Errorf("input %q: want C_out×C_in×k×k or C_out×D weights, got %s", name, w.Describe())
}

// alignment is A from the activations, or I when none are given.
func alignment(in Inputs, c1, c2 int, m align.Moments) (*mat.Dense, error) {
	_, hasPhi := in["phi"]
	_, hasPsi := in["psi"]
	if !hasPhi && !hasPsi {
		if c1 != c2 {
			return nil, fmt.Errorf("without phi and psi the alignment is the identity, which needs equal input channels; w1 has %d, w2 has %d", c1, c2)
		}
		id := mat.NewDense(c1, c1, nil)
		for i := 0; i < c1; i++ {
			id.Set(i, i, 1)
		}
		return id, nil
	}
	phi, err := positionsAsSamples(in, "phi", c1)
	if err != nil {
		return nil, err
	}
	psi, err := positionsAsSamples(in, "psi", c2)
	if err != nil {
		return nil, err
	}
	if r1, r2 := phi.RawMatrix().Rows, psi.RawMatrix().Rows; r1 != r2 {
		return nil, fmt.Errorf("inputs \"phi\" and \"psi\" give %d and %d samples (images × positions); want the same images and spatial size", r1, r2)
	}
	return align.Alignment(phi, psi, m)
}

// positionsAsSamples is Guth's space_to_batch: N×C×H×W → (N·H·W)×C.
func positionsAsSamples(in Inputs, name string, channels int) (*mat.Dense, error) {
	a, err := in.Array(name)
	if err != nil {
		return nil, err
	}
	if err := a.CheckFinite(); err != nil {
		return nil, fmt.Errorf("input %q: %w", name, err)
	}
	if len(a.Shape) < 2 || a.Shape[1] != channels {
		return nil, fmt.Errorf("input %q: want N×%d[×H×W] activations (the weights' input channels), got %s", name, channels, a.Describe())
	}
	n, l := a.Shape[0], a.Len()/(a.Shape[0]*channels)
	s := mat.NewDense(n*l, channels, nil)
	for i := 0; i < n; i++ {
		for c := 0; c < channels; c++ {
			for pos := 0; pos < l; pos++ {
				s.Set(i*l+pos, c, a.Value((i*channels+c)*l+pos))
			}
		}
	}
	return s, nil
}
