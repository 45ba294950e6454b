package spectral

import (
	"fmt"
	"math/rand/v2"

	"gonum.org/v1/gonum/mat"

	"github.com/eigenlab/eigenlab/stages/linalg"
)

// CvPCA is cross-validated PCA (Stringer et al. 2019; METHODS.md §1.4, the
// spec variant): principal axes from repeat 1, both repeats centered by the
// repeat-1 mean and projected on them, cv_k = Σ_i c1[i,k]·c2[i,k]/(N−1).
// With nshuff > 0 the result is the average over nshuff draws in which
// each stimulus's two repeats are swapped with probability ½. Values can be
// negative; pure noise gives 0 in expectation.
func CvPCA(rng *rand.Rand, x1, x2 *mat.Dense, nshuff int) ([]float64, error) {
	n, p := x1.Dims()
	if n2, p2 := x2.Dims(); n2 != n || p2 != p {
		return nil, fmt.Errorf("the two repeats differ in shape: %d×%d and %d×%d", n, p, n2, p2)
	}
	if nshuff == 0 {
		return cvOnce(x1, x2)
	}
	mean := make([]float64, min(n-1, p))
	a, b := mat.NewDense(n, p, nil), mat.NewDense(n, p, nil)
	for s := 0; s < nshuff; s++ {
		for i := 0; i < n; i++ {
			r1, r2 := x1.RawRowView(i), x2.RawRowView(i)
			if rng.IntN(2) == 1 {
				r1, r2 = r2, r1
			}
			copy(a.RawRowView(i), r1)
			copy(b.RawRowView(i), r2)
		}
		cv, err := cvOnce(a, b)
		if err != nil {
			return nil, err
		}
		for k, v := range cv {
			mean[k] += v / float64(nshuff)
		}
	}
	return mean, nil
}

func cvOnce(x1, x2 *mat.Dense) ([]float64, error) {
	n, p := x1.Dims()
	k := min(n-1, p)
	mu := linalg.ColMeans(x1)
	c1, c2 := linalg.Centered(x1, mu), linalg.Centered(x2, mu)
	_, _, vt, err := linalg.SVD(c1)
	if err != nil {
		return nil, err
	}
	v := vt.Slice(0, k, 0, p).T()
	var a, b mat.Dense
	a.Mul(c1, v)
	b.Mul(c2, v)
	cv := make([]float64, k)
	for i := 0; i < n; i++ {
		ra, rb := a.RawRowView(i), b.RawRowView(i)
		for j := range cv {
			cv[j] += ra[j] * rb[j] / float64(n-1)
		}
	}
	return cv, nil
}
