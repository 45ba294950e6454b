package nn

import (
	"fmt"
	"hash/fnv"
	"maps"
	"math"
	"math/rand/v2"
	"slices"
	"strings"

	"gonum.org/v1/gonum/mat"
)

// HeTrace is g² = tr Σ_w for ReLU networks: Kaiming fan-in init gives
// E‖w‖² = D·(2/D) = 2, so α = 0 has He-normal's expected covariance 2/D·I
// (METHODS.md §4). Only the sampled construction at α = 0 is He-normal;
// the exact one is a scaled orthogonal matrix (all singular values equal).
const HeTrace = 2.0

// PowerLawSpectrum returns λ_n = n^−α, n = 1…k, scaled so that Σλ = trace.
func PowerLawSpectrum(alpha float64, k int, trace float64) []float64 {
	l := make([]float64, k)
	sum := 0.0
	for n := range l {
		l[n] = math.Pow(float64(n+1), -alpha)
		sum += l[n]
	}
	for n := range l {
		l[n] *= trace / sum
	}
	return l
}

// PowerLawWeights returns a C_out×D weight matrix (C order: D = C_in·k·k
// for a conv kernel) whose filter covariance Σ_w = WᵀW/C_out follows
// λ_n ∝ n^−α with tr Σ_w = HeTrace (METHODS.md §4):
//
//	sampled: W = Z·diag(√λ)·Uᵀ, Z_ij ~ N(0,1), U Haar on O(D); the rows are
//	         N(0, Σ_w) and the empirical spectrum follows λ only for C_out ≫ D.
//	         At α = 0, W has iid N(0, 2/D) entries: He-normal.
//	exact:   r = min(C_out, D), W = Q·diag(√(C_out·λ'))·U_{:,1:r}ᵀ with Q (C_out×r)
//	         and U_{:,1:r} orthonormal, λ' the first r terms rescaled to the
//	         same trace: Σ_w has eigenvalues λ' exactly, then zeros. At
//	         α = 0 every singular value is √(2·C_out/r): scaled orthogonal,
//	         not He-normal.
//
// U is drawn before Q or Z, from rng alone, so the result is a pure
// function of the stream.
func PowerLawWeights(rng *rand.Rand, cout, d int, alpha float64, exact bool) []float64 {
	var w mat.Dense
	if exact {
		r := min(cout, d)
		lambda := PowerLawSpectrum(alpha, r, HeTrace)
		u := haar(rng, d, r)
		q := haar(rng, cout, r)
		q.Apply(func(_, j int, v float64) float64 { return v * math.Sqrt(float64(cout)*lambda[j]) }, q)
		w.Mul(q, u.T())
	} else {
		lambda := PowerLawSpectrum(alpha, d, HeTrace)
		u := haar(rng, d, d)
		z := make([]float64, cout*d)
		for i := range z {
			z[i] = rng.NormFloat64() * math.Sqrt(lambda[i%d])
		}
		w.Mul(mat.NewDense(cout, d, z), u.T())
	}
	return w.RawMatrix().Data
}

// haar returns the first k columns of an n×n Haar-distributed orthogonal
// matrix: the QR of an n×k standard Gaussian matrix with the sign of each
// diagonal entry of R moved into Q (without it Q is not Haar).
func haar(rng *rand.Rand, n, k int) *mat.Dense {
	g := mat.NewDense(n, k, nil)
	raw := g.RawMatrix().Data
	for i := range raw {
		raw[i] = rng.NormFloat64()
	}
	var qr mat.QR
	qr.Factorize(g)
	var q, r mat.Dense
	qr.QTo(&q)
	qr.RTo(&r)
	out := mat.DenseCopyOf(q.Slice(0, n, 0, k))
	out.Apply(func(_, j int, v float64) float64 {
		if r.At(j, j) < 0 {
			return -v
		}
		return v
	}, out)
	return out
}

// LayerRNG is the random stream of one layer's initialisation: seeded by
// seed and the layer's name, so a layer's weights do not change when other
// layers are added, removed or reordered.
func LayerRNG(seed uint64, layer string) *rand.Rand {
	h := fnv.New64a()
	h.Write([]byte("powerlaw_init\x00" + layer))
	return rand.New(rand.NewPCG(seed, h.Sum64()))
}

// InitPowerLaw returns weights for every parameter of a: each kernel from
// PowerLawWeights with its own LayerRNG stream (fan-in D = all axes but the
// first), biases 0, and batch norms the identity of inference mode at
// initialisation (γ = 1, β = 0, mean 0, var 1: y = x/√(1+ε)).
func InitPowerLaw(a *Arch, seed uint64, alpha float64, exact bool) (map[string]Tensor, error) {
	shapes, err := a.Infer(0, 0)
	if err != nil {
		return nil, err
	}
	want := a.WeightShapes(shapes)
	ws := make(map[string]Tensor, len(want))
	for _, name := range slices.Sorted(maps.Keys(want)) {
		shape := want[name]
		node, param, _ := strings.Cut(name, "/")
		size := Shape(shape).Size()
		if size == 0 {
			return nil, fmt.Errorf("arch %q: weight %q has shape %v: set the input node's height and width", a.Name, name, shape)
		}
		t := Tensor{Shape: shape, Data: make([]float64, size)}
		switch param {
		case "kernel":
			t.Data = PowerLawWeights(LayerRNG(seed, node), shape[0], size/shape[0], alpha, exact)
		case "gamma", "var":
			for i := range t.Data {
				t.Data[i] = 1
			}
		}
		ws[name] = t
	}
	return ws, nil
}
