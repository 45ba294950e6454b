package decomp

import (
	"fmt"

	"gonum.org/v1/gonum/mat"

	"github.com/eigenlab/eigenlab/stages/linalg"
)

// allGram is one side's Gram over all N rows, centered on the all-row
// mean: Ḡ = X̄ X̄ᵀ with X̄ = X − 1μᵀ. Every fold's train Gram, centered on
// the train mean, and its test×train kernel follow from Ḡ by O(N²) double
// centering (§3.9), so the folds of the gram-xy route cost one N×N×d
// product per side instead of one Gram and one kernel per fold (5 folds:
// 4.8× fewer flops). Centering on μ first keeps the correction small: the
// train mean differs from μ by a fold's sampling shift only.
type allGram struct{ g *mat.Dense }

func newAllGram(x *mat.Dense) allGram {
	return allGram{mat.DenseCopyOf(linalg.Gram(linalg.Centered(x, linalg.ColMeans(x))))}
}

// fold returns the train Gram (X_tr − 1μ_trᵀ)(X_tr − 1μ_trᵀ)ᵀ and the test
// kernel (X_te − 1μ_trᵀ)(X_tr − 1μ_trᵀ)ᵀ: with δ = μ_tr − μ and
// m_i = x̄_iᵀδ (the mean of row i of Ḡ over the train columns), entry
// (i, j) is Ḡ_ij − m_i − m_j + δᵀδ.
func (a allGram) fold(train, test []int) (*mat.SymDense, *mat.Dense) {
	n, _ := a.g.Dims()
	m := make([]float64, n)
	for i := range m {
		row := a.g.RawRowView(i)
		for _, j := range train {
			m[i] += row[j]
		}
		m[i] /= float64(len(train))
	}
	dd := 0.0
	for _, j := range train {
		dd += m[j] / float64(len(train))
	}
	entry := func(i, j int) float64 { return a.g.At(i, j) - m[i] - m[j] + dd }
	gtr := mat.NewSymDense(len(train), nil)
	for r, i := range train {
		for c := r; c < len(train); c++ {
			gtr.SetSym(r, c, entry(i, train[c]))
		}
	}
	kte := mat.NewDense(len(test), len(train), nil)
	for r, i := range test {
		row := kte.RawRowView(r)
		for c, j := range train {
			row[c] = entry(i, j)
		}
	}
	return gtr, kte
}

// foldGrams are both sides' allGram, for FitFolds on the gram-xy route.
type foldGrams struct{ x, y allGram }

// fit is FitCross with the gram-xy route on the train rows, and
// Project on the test rows, from the all-row Grams: only x's train rows
// are centered, for the sign rule.
func (fg *foldGrams) fit(x *mat.Dense, train, test []int, k int) (*CrossFit, *mat.Dense, *mat.Dense, error) {
	gx, kx := fg.x.fold(train, test)
	gy, ky := fg.y.fold(train, test)
	f := &CrossFit{Route: routeName(true, true)}
	f.x.mean = rowMeans(x, train)
	f.x.train = shiftedRows(x, train, f.x.mean, nil)
	s, err := f.fitGrams(gx, gy)
	if err == nil {
		err = f.finish(s, len(train), k)
	}
	if err != nil {
		return nil, nil, nil, fmt.Errorf("cross-decomposition of %d train rows from the all-row Grams (gram-xy route): %w", len(train), err)
	}
	var xt, yt mat.Dense
	xt.Mul(kx, f.x.coef)
	yt.Mul(ky, f.y.coef)
	return f, &xt, &yt, nil
}
