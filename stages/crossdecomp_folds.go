package stages

import (
	"context"
	"fmt"

	"gonum.org/v1/gonum/mat"

	"github.com/eigenlab/eigenlab/stages/decomp"
)

// foldSet is every fold's fit and held-out projections, cut to the k
// components that all folds have (folds differ in n_train by the
// remainder that goes to fold 0).
type foldSet struct {
	fits []*decomp.CrossFit
	held []decomp.HeldOut
	k    int
}

// fitFolds fits one cross-decomposition per fold on the rows whose label
// differs from the fold's and projects the fold's own rows (§3.1–3.4).
func fitFolds(ctx context.Context, x, y *mat.Dense, labels []int, p Params, same bool) (*foldSet, error) {
	nFolds := 0
	for _, l := range labels {
		nFolds = max(nFolds, l+1)
	}
	_, dx := x.Dims()
	_, dy := y.Dims()
	fs := &foldSet{k: min(dx, dy)}
	for f := 0; f < nFolds; f++ {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		var train, test []int
		for i, l := range labels {
			if l == f {
				test = append(test, i)
			} else {
				train = append(train, i)
			}
		}
		if len(test) < 2 || len(train) < 2 {
			return nil, fmt.Errorf("input \"folds\": fold %d has %d test and %d train rows; want at least 2 of each in every fold 0..%d", f, len(test), len(train), nFolds-1)
		}
		o := decomp.CrossOptions{Same: same, Route: p.String("route")}
		if p.Has("n_components") {
			o.K = p.Int("n_components")
			if bound := min(len(train)-1, dx, dy); o.K > bound {
				return nil, fmt.Errorf("param \"n_components\": %d exceeds min(n_train-1, dX, dY) = min(%d, %d, %d) in fold %d", o.K, len(train)-1, dx, dy, f)
			}
		}
		fit, err := decomp.FitCross(rows(x, train), rows(y, train), o)
		if err != nil {
			return nil, fmt.Errorf("fold %d: %w", f, err)
		}
		xt, yt := fit.Project(rows(x, test), rows(y, test))
		fs.fits, fs.held = append(fs.fits, fit), append(fs.held, decomp.HeldOut{X: xt, Y: yt})
		fs.k = min(fs.k, len(fit.Sigma))
	}
	for i, h := range fs.held {
		nte, _ := h.X.Dims()
		fs.held[i] = decomp.HeldOut{X: h.X.Slice(0, nte, 0, fs.k).(*mat.Dense), Y: h.Y.Slice(0, nte, 0, fs.k).(*mat.Dense)}
	}
	return fs, nil
}

// rows copies the given rows of m.
func rows(m *mat.Dense, idx []int) *mat.Dense {
	_, c := m.Dims()
	out := mat.NewDense(len(idx), c, nil)
	for i, r := range idx {
		copy(out.RawRowView(i), m.RawRowView(r))
	}
	return out
}
