// Package align compares two networks' weights after aligning their
// activations (Guth, Ménard, Rochette & Mallat; METHODS.md §5).
package align

import (
	"math"

	"gonum.org/v1/gonum/mat"
	"gonum.org/v1/gonum/mathext"

	"github.com/eigenlab/eigenlab/stages/linalg"
)

// Moments selects the cross second moment of §5.1 step 2.
type Moments struct {
	Center      bool // subtract the means (off in the reference: uncentered)
	Standardize bool // Rainbow's per-channel standardisation, ε = 1e-5
}

// Alignment returns A (C2×C1), the orthogonal map with Aφ ≈ ψ that
// minimises E‖Aφ − ψ‖² (§5.1): C = E[φψᵀ] = U S Vᵀ, A = V Uᵀ. Rows of
// phi and psi are samples (positions already moved into samples).
func Alignment(phi, psi *mat.Dense, m Moments) (*mat.Dense, error) {
	n, c1 := phi.Dims()
	_, c2 := psi.Dims()
	var c mat.Dense
	c.Mul(phi.T(), psi)
	c.Scale(1/float64(n), &c)
	if m.Center || m.Standardize {
		mp, mq := linalg.ColMeans(phi), linalg.ColMeans(psi)
		for i := 0; i < c1; i++ {
			for j := 0; j < c2; j++ {
				c.Set(i, j, c.At(i, j)-mp[i]*mq[j])
			}
		}
		if m.Standardize {
			vp, vq := colVar(phi, mp), colVar(psi, mq)
			for i := 0; i < c1; i++ {
				for j := 0; j < c2; j++ {
					c.Set(i, j, c.At(i, j)/math.Sqrt((vp[i]+1e-5)*(vq[j]+1e-5)))
				}
			}
		}
	}
	u, _, vt, err := linalg.SVD(&c)
	if err != nil {
		return nil, err
	}
	var a mat.Dense
	a.Mul(vt.T(), u.T())
	return &a, nil
}

func colVar(x *mat.Dense, mean []float64) []float64 {
	n, p := x.Dims()
	v := make([]float64, p)
	for i := 0; i < n; i++ {
		for j, x := range x.RawRowView(i) {
			v[j] += (x - mean[j]) * (x - mean[j]) / float64(n)
		}
	}
	return v
}

// WeightEigen returns the eigenvalues (descending) and eigenvectors (as
// rows) of Σ_w = WᵀW/C_out for W ∈ R^{C_out×D} (§5.2), via the SVD of W:
// eigenvectors are the rows of Vᵀ, eigenvalues s²/C_out.
func WeightEigen(w *mat.Dense) ([]float64, *mat.Dense, error) {
	cout, _ := w.Dims()
	_, s, vt, err := linalg.SVD(w)
	if err != nil {
		return nil, nil, err
	}
	for i := range s {
		s[i] *= s[i] / float64(cout)
	}
	return s, vt, nil
}

// MapEigenvectors applies T = A ⊗ I_taps (§5.3: the alignment acts on the
// input-channel axis only, C-order flattening c·taps + t) to each row of e
// (k×(C1·taps)) and returns k×(C2·taps).
func MapEigenvectors(a, e *mat.Dense, taps int) *mat.Dense {
	k, _ := e.Dims()
	c2, c1 := a.Dims()
	out := mat.NewDense(k, c2*taps, nil)
	for r := 0; r < k; r++ {
		src := mat.NewDense(c1, taps, e.RawRowView(r))
		dst := mat.NewDense(c2, taps, out.RawRowView(r))
		dst.Mul(a, src)
	}
	return out
}

// Cosines is M_ij = |⟨T e_i, f_j⟩|/(‖T e_i‖‖f_j‖) for the first top rows of
// te and f (§5.3).
func Cosines(te, f *mat.Dense, top int) *mat.Dense {
	m := mat.NewDense(top, top, nil)
	for i := 0; i < top; i++ {
		a := te.RawRowView(i)
		for j := 0; j < top; j++ {
			b := f.RawRowView(j)
			var ab, aa, bb float64
			for t := range a {
				ab += a[t] * b[t]
				aa += a[t] * a[t]
				bb += b[t] * b[t]
			}
			m.Set(i, j, math.Abs(ab)/math.Sqrt(aa*bb))
		}
	}
	return m
}

// Threshold is u*(d, p) of §5.4: the |cos| between independent random unit
// vectors in dimension d exceeds it with probability p,
// u* = √(I⁻¹_{1−p}(½, (d−1)/2)).
func Threshold(d int, p float64) float64 {
	return math.Sqrt(mathext.InvRegIncBeta(0.5, float64(d-1)/2, 1-p))
}

// Shared summarises a cosine matrix (§5.4 [proposal]): the number of
// leading ranks whose diagonal cosine is at least tau before the first
// failure, and the number of rows whose best match is at least tau.
func Shared(m *mat.Dense, tau float64) (diag, match int) {
	n, _ := m.Dims()
	for diag < n && m.At(diag, diag) >= tau {
		diag++
	}
	for i := 0; i < n; i++ {
		if mat.Max(m.RowView(i)) >= tau {
			match++
		}
	}
	return diag, match
}

// Overlap is o(k) = ‖Ê_kᵀ F_k‖_F²/k for k = 1..top, with Ê the mapped
// eigenvectors of net 1 each scaled to unit length (the §5.4 decision) and F
// those of net 2 (rows, unit length). Chance is exactly k/D2, D2 = the
// columns of f, also when T is not an isometry (C1 ≠ C2).
func Overlap(te, f *mat.Dense, top int) []float64 {
	_, d := f.Dims()
	var g mat.Dense // top×top inner products
	g.Mul(unitRows(te, top), f.Slice(0, top, 0, d).T())
	out := make([]float64, top)
	for k := 1; k <= top; k++ {
		ss := 0.0
		for i := 0; i < k; i++ {
			for j := 0; j < k; j++ {
				ss += g.At(i, j) * g.At(i, j)
			}
		}
		out[k-1] = ss / float64(k)
	}
	return out
}

// OverlapChance is the chance level k/D2 of o(k), k = 1..top: the expected
// overlap of k unit vectors with a random k-dimensional subspace of R^D2.
func OverlapChance(d2, top int) []float64 {
	out := make([]float64, top)
	for k := range out {
		out[k] = float64(k+1) / float64(d2)
	}
	return out
}
