// Package spectral holds the numerics of covariance spectra: planted
// constructions, eigenvalues of the views of METHODS.md §1.1, power-law
// fits (§1.2), effective dimensionality (§1.3) and cross-validated PCA
// (§1.4). Data come in as a Tensor (float64 or float32, read block by block).
package spectral

import (
	"math"
	"math/rand/v2"

	"gonum.org/v1/gonum/mat"
)

// PowerLaw returns λ_k = k^-alpha for k = 1..n.
func PowerLaw(alpha float64, n int) []float64 {
	l := make([]float64, n)
	for k := range l {
		l[k] = math.Pow(float64(k+1), -alpha)
	}
	return l
}

// Orthonormal returns an n×k matrix with orthonormal columns from the QR
// of a Gaussian matrix; with centered, its columns are also orthogonal to
// the all-ones vector (so they have zero mean).
func Orthonormal(rng *rand.Rand, n, k int, centered bool) *mat.Dense {
	g := mat.NewDense(n, k, nil)
	raw := g.RawMatrix().Data
	for i := range raw {
		raw[i] = rng.NormFloat64()
	}
	if centered {
		for j := 0; j < k; j++ {
			mean := 0.0
			for i := 0; i < n; i++ {
				mean += raw[i*k+j]
			}
			mean /= float64(n)
			for i := 0; i < n; i++ {
				raw[i*k+j] -= mean
			}
		}
	}
	var qr mat.QR
	qr.Factorize(g)
	var q mat.Dense
	qr.QTo(&q)
	return mat.DenseCopyOf(q.Slice(0, n, 0, k))
}

// PlantedData returns an n×p matrix X whose sample covariance (centered,
// divided by n−1) has eigenvalues exactly lambda followed by zeros
// (METHODS.md §1.1 "exact planted spectrum"):
// X = √(n−1)·Q_n·diag(√λ)·Q_pᵀ with Q_n orthonormal and orthogonal to 1.
// len(lambda) must be at most min(n−1, p).
func PlantedData(rng *rand.Rand, n, p int, lambda []float64) *mat.Dense {
	k := len(lambda)
	if k > n-1 || k > p {
		panic("spectral: planted rank exceeds min(n-1, p)")
	}
	qn := Orthonormal(rng, n, k, true)
	qp := Orthonormal(rng, p, k, false)
	scaleColumns(qn, lambda, math.Sqrt(float64(n-1)))
	var x mat.Dense
	x.Mul(qn, qp.T())
	return &x
}

// PlantedPair returns X (n×dx) and Y (n×dy) that share one latent
// Z = √(n−1)·Q_n·diag(√λ) (METHODS.md §3.10): X = Z·Q_xᵀ, Y = Z·Q_yᵀ, so the
// cross-covariance XᵀY/(n−1) has singular values exactly lambda.
func PlantedPair(rng *rand.Rand, n, dx, dy int, lambda []float64) (x, y *mat.Dense) {
	k := len(lambda)
	if k > n-1 || k > dx || k > dy {
		panic("spectral: planted rank exceeds min(n-1, dx, dy)")
	}
	z := Orthonormal(rng, n, k, true)
	scaleColumns(z, lambda, math.Sqrt(float64(n-1)))
	qx := Orthonormal(rng, dx, k, false)
	qy := Orthonormal(rng, dy, k, false)
	x, y = new(mat.Dense), new(mat.Dense)
	x.Mul(z, qx.T())
	y.Mul(z, qy.T())
	return x, y
}

// scaleColumns multiplies column j of m by c·√lambda[j].
func scaleColumns(m *mat.Dense, lambda []float64, c float64) {
	r, k := m.Dims()
	for i := 0; i < r; i++ {
		row := m.RawRowView(i)
		for j := 0; j < k; j++ {
			row[j] *= c * math.Sqrt(lambda[j])
		}
	}
}
