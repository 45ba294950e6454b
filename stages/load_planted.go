package stages

import (
	"context"
	"fmt"

	"gonum.org/v1/gonum/mat"

	"github.com/eigenlab/eigenlab/ndarray"
	"github.com/eigenlab/eigenlab/stages/spectral"
)

func init() {
	common := []ParamSpec{
		{Name: "n", Type: Int, Min: Bound(3), Doc: "samples (rows)"},
		{Name: "alpha", Type: Float, Min: Bound(0), Doc: "exponent: the planted spectrum is λ_k = k^-alpha"},
		{Name: "rank", Type: Int, Optional: true, Min: Bound(1), Doc: "nonzero eigenvalues (default min(n-1, features))"},
		{Name: "seed", Type: Int, Default: 0, Doc: "random seed of the orthonormal bases"},
	}
	RegisterSource(Source{
		Name:      "planted",
		Doc:       "n×p data whose covariance spectrum is exactly k^-alpha (METHODS §1.1)",
		Params:    append([]ParamSpec{{Name: "p", Type: Int, Min: Bound(1), Doc: "features (columns)"}}, common...),
		Outputs:   []string{"x"},
		Run:       loadPlanted,
		Validate:  func(p Params) error { return checkRank(p, p.Int("p")) },
		Resources: plantedResources,
	})
	RegisterSource(Source{
		Name: "planted-pair",
		Doc:  "X (n×dx), Y (n×dy) whose cross-covariance has singular values exactly k^-alpha (METHODS §3.10)",
		Params: append([]ParamSpec{
			{Name: "dx", Type: Int, Min: Bound(1), Doc: "features of x"},
			{Name: "dy", Type: Int, Min: Bound(1), Doc: "features of y"},
		}, common...),
		Outputs:   []string{"x", "y"},
		Run:       loadPlantedPair,
		Validate:  func(p Params) error { return checkRank(p, min(p.Int("dx"), p.Int("dy"))) },
		Resources: plantedPairResources,
	})
}

// plantedRank is the rank param or its default min(n−1, features).
func plantedRank(p Params, features int) int {
	if p.Has("rank") {
		return p.Int("rank")
	}
	return min(p.Int("n")-1, features)
}

// orthonormalBytes bounds the allocations of spectral.Orthonormal(n, k):
// the n×k draw, QR's copy of it and the thin n×k result, plus the full
// n×n Q that gonum's QTo builds and copies.
func orthonormalBytes(n, k int) int64 {
	return SumBytes(ArrayBytes(8, 2, n, n), ArrayBytes(8, 3, n, k))
}

// plantedResources bounds what loadPlanted allocates: both orthonormal
// bases, the n×p product and its copy into the output array, and 1 MB.
func plantedResources(p Params) Resources {
	n, f := p.Int("n"), p.Int("p")
	k := plantedRank(p, f)
	return Resources{Threads: 1, MemBytes: SumBytes(orthonormalBytes(n, k), orthonormalBytes(f, k),
		ArrayBytes(8, 2, n, f), 1<<20)}
}

// plantedPairResources bounds what loadPlantedPair allocates: three
// orthonormal bases, x and y and their copies into the output arrays, and
// 1 MB.
func plantedPairResources(p Params) Resources {
	n, dx, dy := p.Int("n"), p.Int("dx"), p.Int("dy")
	k := plantedRank(p, min(dx, dy))
	return Resources{Threads: 1, MemBytes: SumBytes(orthonormalBytes(n, k), orthonormalBytes(dx, k), orthonormalBytes(dy, k),
		ArrayBytes(8, 2, n, dx), ArrayBytes(8, 2, n, dy), 1<<20)}
}

func checkRank(p Params, features int) error {
	if k := plantedRank(p, features); k > p.Int("n")-1 || k > features {
		return fmt.Errorf("param \"rank\": %d exceeds min(n-1, features) = %d", k, min(p.Int("n")-1, features))
	}
	return nil
}

func loadPlanted(_ context.Context, p Params) (Outputs, error) {
	lam := spectral.PowerLaw(p.Float("alpha"), plantedRank(p, p.Int("p")))
	x := spectral.PlantedData(RNG("load", p.Int("seed")), p.Int("n"), p.Int("p"), lam)
	return Outputs{"x": fromDense(x)}, nil
}

func loadPlantedPair(_ context.Context, p Params) (Outputs, error) {
	lam := spectral.PowerLaw(p.Float("alpha"), plantedRank(p, min(p.Int("dx"), p.Int("dy"))))
	x, y := spectral.PlantedPair(RNG("load", p.Int("seed")), p.Int("n"), p.Int("dx"), p.Int("dy"), lam)
	return Outputs{"x": fromDense(x), "y": fromDense(y)}, nil
}

// fromDense copies a gonum matrix into a float64 array.
func fromDense(m *mat.Dense) *ndarray.Array {
	r, c := m.Dims()
	a := ndarray.NewF64(r, c)
	for i := 0; i < r; i++ {
		copy(a.F64[i*c:(i+1)*c], m.RawRowView(i))
	}
	return a
}

// matrix views an array as an n×(rest) float64 matrix (rows = samples,
// METHODS §0.1), converting float32 to float64 (a copy) as needed.
func matrix(a *ndarray.Array) *mat.Dense {
	return mat.NewDense(a.Rows(), a.Cols(), a.Float64s())
}
