// Package snap is the spectral theory of neural prediction (Canatar, Feather,
// Wakhloo & Chung 2023, "SNAP"; METHODS.md §6.4): a model's kernel
// eigenspectrum and a target's alignment weights predict the generalisation
// error of kernel ridge regression at every training-set size p through the
// self-consistent κ equation. The package computes the spectrum and weights
// (KernelSpectrum), the theoretical curve with its per-mode breakdown
// (Theory), SNAP's spectral-bias and alignment summaries (Summarize), and
// the empirical ridge learning curve on seeded subsamples (LearningCurve)
// that the theory is checked against.
//
// Conventions follow github.com/chung-neuroai-lab/SNAP (snap/metrics.py,
// snap/regression_utils.py, snap/data_utils.py): λ_i are the eigenvalues of
// K/P with K = XXᵀ, the eigenfunctions φ_i are scaled so that ‖φ_i‖² = P,
// w_i = φ_iᵀy/P, and the ridge penalty on the un-normalised kernel at
// sample size p is p·reg.
package snap

import (
	"fmt"
	"math"

	"gonum.org/v1/gonum/mat"

	"github.com/eigenlab/eigenlab/stages/linalg"
)

// Jitter is SNAP's ε: K/P + εI is decomposed, so that every eigenvalue is
// positive and the κ equation is regular on the null space.
const Jitter = 1e-14

// Spectrum is a model's kernel eigenspectrum on P samples with the
// alignment weights of one or more targets.
type Spectrum struct {
	// Eigs are the P eigenvalues of K/P + εI, descending.
	Eigs []float64
	// Weights is P×targets: w[i][t] = φ_iᵀ y_t / P, the coefficient of
	// target t on eigenfunction i. Σ_i w[i][t]² = mean of y_t² (Parseval),
	// so rows past Rank carry the part of y outside the model's span.
	Weights *mat.Dense
	// Rank is min(P, N), the number of eigenvalues not set by the jitter.
	Rank int
}

// KernelSpectrum returns the spectrum of the linear kernel of x (P×N, rows
// are samples) and the weights of y (P×targets). With center, the columns
// of x and y are centered first (SNAP's "cent" variant). The cost is one
// P×P Gram and one P×P eigendecomposition.
func KernelSpectrum(x, y *mat.Dense, center bool) (*Spectrum, error) {
	p, n := x.Dims()
	if py, _ := y.Dims(); py != p {
		return nil, fmt.Errorf("kernel spectrum: features have %d samples and targets %d, want the same rows", p, py)
	}
	if center {
		x = linalg.Centered(x, linalg.ColMeans(x))
		y = linalg.Centered(y, linalg.ColMeans(y))
	}
	k := linalg.Gram(x)
	k.ScaleSym(1/float64(p), k)
	for i := 0; i < p; i++ {
		k.SetSym(i, i, k.At(i, i)+Jitter)
	}
	eigs, vecs, err := linalg.SymEig(k, true)
	if err != nil {
		return nil, fmt.Errorf("kernel spectrum: %w", err)
	}
	var w mat.Dense
	w.Mul(vecs.T(), y)
	w.Scale(math.Sqrt(float64(p))/float64(p), &w) // φ = √P·vec, w = φᵀy/P
	return &Spectrum{Eigs: eigs, Weights: &w, Rank: min(p, n)}, nil
}

// OutOfSpanPower is SNAP's orkhs_power for target t: the fraction of its
// power on eigenfunctions past Rank, which no ridge fit on x can learn.
func (s *Spectrum) OutOfSpanPower(t int) float64 {
	var out, all float64
	for i := range s.Eigs {
		w2 := s.Weights.At(i, t) * s.Weights.At(i, t)
		all += w2
		if i >= s.Rank {
			out += w2
		}
	}
	return out / all
}
