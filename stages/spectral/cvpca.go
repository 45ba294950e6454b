package spectral

import (
	"fmt"
	"math/rand/v2"

	"gonum.org/v1/gonum/mat"

	"github.com/eigenlab/eigenlab/stages/linalg"
)

// CvPCA is cross-validated PCA (Stringer et al. 2019; METHODS.md §1.4, the
// spec variant) of two repeats x1, x2 (N×P, same stimuli in the same
// order): principal axes u_k from repeat 1, both repeats centered by the
// repeat-1 mean and projected, cv_k = Σ_i c1[i,k]·c2[i,k]/(N−1), for
// k = 1..min(N−1, P). With nshuff > 0 the result is the average over
// nshuff draws in which each stimulus's two repeats are swapped with
// probability ½ (shuffledSpectrum.m; nshuff = 0 is the unshuffled
// estimate). Values can be negative; pure noise gives 0 in expectation.
//
// For every draw of b (nil: none) draws holds the same estimate on the
// resampled stimuli (both repeats resampled with the same indices; the
// swaps of its nshuff shuffles drawn from b.Rng, one per resampled row).
// A draw costs what the estimate costs, less the Gram below.
//
// When P > N it works in stimulus space, as shuffledSpectrum.m does: one
// Gram of the stacked repeats serves every shuffle and draw, and with a_k
// the eigenvectors of the centered repeat-1 Gram, cv_k = a_kᵀ C21 a_k/(N−1)
// (C21 the centered cross-Gram). Otherwise cv_k = u_kᵀ c1ᵀc2 u_k/(N−1)
// with u_k the eigenvectors of the P×P covariance.
func CvPCA(rng *rand.Rand, x1, x2 Tensor, nshuff int, b *Bootstrap) (cv []float64, draws [][]float64, err error) {
	n, p := x1.N(), x1.Features()
	if x2.N() != n || x2.Features() != p {
		return nil, nil, fmt.Errorf("the two repeats differ in shape: %v and %v", x1.Shape, x2.Shape)
	}
	if n < 2 {
		return nil, nil, fmt.Errorf("need at least 2 samples, got %d", n)
	}
	once := directCv(x1, x2)
	if FullRoute(n, p) == "gram" {
		once = gramCv(x1, x2)
	}
	if cv, err = shuffled(rng, once, identity(n), nshuff); err != nil || b == nil {
		return cv, nil, err
	}
	draws = make([][]float64, len(b.Idx))
	for d, idx := range b.Idx {
		if draws[d], err = shuffled(b.Rng, once, idx, nshuff); err != nil {
			return nil, nil, err
		}
	}
	return cv, draws, nil
}

// identity is the rows 0..n−1: the stimuli as given.
func identity(n int) []int {
	rows := make([]int, n)
	for i := range rows {
		rows[i] = i
	}
	return rows
}

// cvOnce is one cvPCA estimate of the stimuli rows (row i of the estimate
// is stimulus rows[i]) with the repeats of row i swapped where swaps[i].
type cvOnce func(rows []int, swaps []bool) ([]float64, error)

// shuffled is the cvPCA of rows averaged over nshuff swap patterns drawn
// from rng (nshuff = 0: the unshuffled estimate).
func shuffled(rng *rand.Rand, once cvOnce, rows []int, nshuff int) ([]float64, error) {
	swaps := make([]bool, len(rows))
	if nshuff == 0 {
		return once(rows, swaps)
	}
	var mean []float64
	for s := 0; s < nshuff; s++ {
		for i := range swaps {
			swaps[i] = rng.IntN(2) == 1
		}
		cv, err := once(rows, swaps)
		if err != nil {
			return nil, err
		}
		if mean == nil {
			mean = make([]float64, len(cv))
		}
		for k, v := range cv {
			mean[k] += v / float64(nshuff)
		}
	}
	return mean, nil
}

// gramCv returns the stimulus-space cvPCA. Row i of repeat r is row
// i + r·N of the stacked Gram F = [X1; X2][X1; X2]ᵀ.
func gramCv(x1, x2 Tensor) cvOnce {
	n, p := x1.N(), x1.Features()
	f := mat.NewSymDense(2*n, nil)
	b := blockLen(p, 2*n, 256)
	buf := make([]float64, 2*n*b)
	for j0 := 0; j0 < p; j0 += b {
		w := min(p, j0+b) - j0
		for i := 0; i < n; i++ {
			x1.seg(i*p+j0, buf[i*w:(i+1)*w])
			x2.seg(i*p+j0, buf[(i+n)*w:(i+n+1)*w])
		}
		f.SymRankK(f, 1, mat.NewDense(2*n, w, buf[:2*n*w]))
	}
	return func(rows []int, swaps []bool) ([]float64, error) {
		r1, r2 := make([]int, n), make([]int, n)
		for i, s := range swaps {
			r1[i], r2[i] = rows[i], rows[i]+n
			if s {
				r1[i], r2[i] = r2[i], r1[i]
			}
		}
		g11 := mat.NewSymDense(n, nil)
		g21 := mat.NewDense(n, n, nil)
		for i := 0; i < n; i++ {
			for j := 0; j < n; j++ {
				g21.Set(i, j, f.At(r2[i], r1[j]))
				if j >= i {
					g11.SetSym(i, j, f.At(r1[i], r1[j]))
				}
			}
		}
		centerByRepeat1(g11, g21)
		_, a, err := linalg.SymEig(g11, true)
		if err != nil {
			return nil, err
		}
		return quadForms(g21, a, n, min(n-1, p)), nil
	}
}

// centerByRepeat1 turns the uncentered Grams G11 = X1X1ᵀ and G21 = X2X1ᵀ
// into those of the rows centered by the repeat-1 mean μ:
// (x_i−μ)·(x1_j−μ) = G_ij − x_i·μ − x1_j·μ + μ·μ, where x·μ is a row mean
// of G11 or G21 and μ·μ the grand mean of G11 (the double centering of
// §1.1a, extended to the cross block).
func centerByRepeat1(g11 *mat.SymDense, g21 *mat.Dense) {
	n := g11.SymmetricDim()
	s1, s2 := make([]float64, n), make([]float64, n)
	t := 0.0
	for i := 0; i < n; i++ {
		for j := 0; j < n; j++ {
			s1[i] += g11.At(i, j)
			s2[i] += g21.At(i, j)
		}
		t += s1[i]
		s1[i] /= float64(n)
		s2[i] /= float64(n)
	}
	t /= float64(n) * float64(n)
	for i := 0; i < n; i++ {
		for j := 0; j < n; j++ {
			g21.Set(i, j, g21.At(i, j)-s2[i]-s1[j]+t)
			if j >= i {
				g11.SetSym(i, j, g11.At(i, j)-s1[i]-s1[j]+t)
			}
		}
	}
}

// directCv returns the feature-space cvPCA.
func directCv(x1, x2 Tensor) cvOnce {
	n, p := x1.N(), x1.Features()
	return func(rows []int, swaps []bool) ([]float64, error) {
		c1, c2 := mat.NewDense(n, p, nil), mat.NewDense(n, p, nil)
		for i, s := range swaps {
			a, b := c1.RawRowView(i), c2.RawRowView(i)
			if s {
				a, b = b, a
			}
			x1.seg(rows[i]*p, a)
			x2.seg(rows[i]*p, b)
		}
		mu := linalg.ColMeans(c1)
		c1, c2 = linalg.Centered(c1, mu), linalg.Centered(c2, mu)
		cov := mat.NewSymDense(p, nil)
		cov.SymOuterK(1, c1.T())
		_, u, err := linalg.SymEig(cov, true)
		if err != nil {
			return nil, err
		}
		return quadForms(linalg.CrossProd(c1, c2), u, n, min(n-1, p)), nil
	}
}

// quadForms returns v_kᵀ M v_k/(n−1) for the first k columns v_k of v.
func quadForms(m, v *mat.Dense, n, k int) []float64 {
	var mv mat.Dense
	mv.Mul(m, v.Slice(0, v.RawMatrix().Rows, 0, k))
	cv := make([]float64, k)
	r, _ := v.Dims()
	for i := 0; i < r; i++ {
		vr, mr := v.RawRowView(i), mv.RawRowView(i)
		for j := range cv {
			cv[j] += vr[j] * mr[j]
		}
	}
	for j := range cv {
		cv[j] /= float64(n - 1)
	}
	return cv
}
