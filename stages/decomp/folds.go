package decomp

import (
	"context"
	"fmt"

	"gonum.org/v1/gonum/floats"
	"gonum.org/v1/gonum/mat"

	"github.com/eigenlab/eigenlab/stages/linalg"
)

// Folds are every fold's cross-decomposition fit and held-out projections
// (§3.1–3.4), cut to the K components that all folds have (folds differ
// in n_train by the remainder that goes to fold 0). Fits keep only their
// Sigma, Rank and Route: their projection coefficients (and on the Gram
// routes their centered train rows) are dropped once the fold's test rows
// are projected into Held, so F folds do not hold F·(dX+dY)·K values
// (8 folds of 4000 + 1000 features × 1000 components: 320 MB).
type Folds struct {
	Fits []*CrossFit
	Held []HeldOut
	K    int
}

// Split returns fold f's train rows (label ≠ f) and test rows (label f).
func Split(labels []int, f int) (train, test []int) {
	for i, l := range labels {
		if l == f {
			test = append(test, i)
		} else {
			train = append(train, i)
		}
	}
	return train, test
}

// FitFolds fits, for each fold f = 0…F−1 (F = 1 + the largest label), a
// cross-decomposition on the rows of x, y labelled other than f and
// projects the rows labelled f. The labels come from FoldLabels (random),
// GroupFolds (grouped) or the caller (supplied); every fold needs at
// least 2 test and 2 train rows. groups (nil: rows are independent) is
// each row's group, from which HeldOut.Groups lists each test group's
// rows for the grouped resamplings.
func FitFolds(ctx context.Context, x, y *mat.Dense, labels []int, groups []int64, o CrossOptions) (*Folds, error) {
	nFolds := 0
	for _, l := range labels {
		nFolds = max(nFolds, l+1)
	}
	_, dx := x.Dims()
	_, dy := y.Dims()
	fs := &Folds{K: min(dx, dy)}
	var shared foldShared
	for f := 0; f < nFolds; f++ {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		train, test := Split(labels, f)
		if len(test) < 2 || len(train) < 2 {
			return nil, fmt.Errorf("fold %d has %d test and %d train rows; want at least 2 of each in every fold 0..%d", f, len(test), len(train), nFolds-1)
		}
		fit, xt, yt, err := fitFold(x, y, train, test, o, &shared)
		if err != nil {
			return nil, fmt.Errorf("fold %d: %w", f, err)
		}
		fit.x, fit.y = side{}, side{}
		fs.Fits, fs.Held = append(fs.Fits, fit), append(fs.Held, HeldOut{X: xt, Y: yt, Groups: testGroups(groups, test)})
		fs.K = min(fs.K, len(fit.Sigma))
	}
	fs.cut(fs.K)
	return fs, nil
}

// foldShared is what FitFolds computes once for all folds, on first use:
// the all-row Grams of the gram-xy route, the all-row cross product of the
// direct route (X ≠ Y), and the storage of a fold's centered train rows
// on the other routes (X = Y, or one Gram side), reused fold after fold:
// no fit keeps its train rows past its own projection (FitFolds drops
// them), so F folds allocate them once.
type foldShared struct {
	grams *foldGrams
	cross *allCross
	bufs  trainBufs
}

// trainBufs hold a fold's centered train rows of x and y.
type trainBufs struct{ x, y []float64 }

// slots returns where shiftedRows may write x's and y's rows: nil for a
// nil b (fresh memory).
func (b *trainBufs) slots() (x, y *[]float64) {
	if b == nil {
		return nil, nil
	}
	return &b.x, &b.y
}

// fitFold fits one fold and projects its test rows: on the gram-xy and
// direct routes from the all-row products in sh, else by FitCross on
// centered copies of the rows, in sh.bufs.
func fitFold(x, y *mat.Dense, train, test []int, o CrossOptions, sh *foldShared) (fit *CrossFit, xt, yt *mat.Dense, err error) {
	_, dx := x.Dims()
	_, dy := y.Dims()
	gx, gy, err := routeSides(o.Route, len(train), dx, dy)
	switch {
	case err != nil || o.Same:
	case gx && gy:
		if sh.grams == nil {
			sh.grams = &foldGrams{newAllGram(x), newAllGram(y)}
		}
		return sh.grams.fit(x, train, test, o.K)
	case !gx && !gy:
		if sh.cross == nil {
			sh.cross = newAllCross(x, y)
		}
		return sh.cross.fit(x, y, train, test, o.K)
	}
	if fit, err = fitRows(x, y, train, o, &sh.bufs); err != nil {
		return nil, nil, nil, err
	}
	xt, yt = fit.projectRows(x, y, test, nil)
	return fit, xt, yt, nil
}

// cut keeps the first k components of every fold's projections.
func (fs *Folds) cut(k int) {
	for i, h := range fs.Held {
		n, _ := h.X.Dims()
		fs.Held[i].X, fs.Held[i].Y = h.X.Slice(0, n, 0, k).(*mat.Dense), h.Y.Slice(0, n, 0, k).(*mat.Dense)
	}
	fs.K = k
}

// Spectra returns each fold's Spectrum over all its held-out rows
// (folds × K).
func (fs *Folds) Spectra(m Metric) [][]float64 {
	out := make([][]float64, len(fs.Held))
	for f, h := range fs.Held {
		out[f] = Spectrum(h, nil, nil, m)
	}
	return out
}

// testGroups is HeldOut.Groups for the test rows of a fold: the positions
// in test of each group's rows; nil when groups is nil.
func testGroups(groups []int64, test []int) [][]int {
	if groups == nil {
		return nil
	}
	labels := make([]int64, len(test))
	for i, r := range test {
		labels[i] = groups[r]
	}
	return GroupRows(labels)
}

// rowMeans returns the mean of each column of m over the given rows
// (nil: all rows; the same sums in the same order as linalg.ColMeans).
func rowMeans(m *mat.Dense, rows []int) []float64 {
	if rows == nil {
		return linalg.ColMeans(m)
	}
	_, c := m.Dims()
	mean := make([]float64, c)
	for _, r := range rows {
		floats.Add(mean, m.RawRowView(r))
	}
	for j := range mean {
		mean[j] /= float64(len(rows))
	}
	return mean
}

// shiftedRows copies the given rows of m (nil: all) minus shift (nil:
// unshifted), in one pass: a fold's centered train or test rows without
// an uncentered copy first. With buf (nil: fresh memory) the copy is
// written into *buf, grown as needed.
func shiftedRows(m *mat.Dense, rows []int, shift []float64, buf *[]float64) *mat.Dense {
	n, c := m.Dims()
	if rows != nil {
		n = len(rows)
	}
	var data []float64
	if buf != nil {
		if cap(*buf) < n*c {
			*buf = make([]float64, n*c)
		}
		data = (*buf)[:n*c]
	}
	out := mat.NewDense(n, c, data)
	for i := 0; i < n; i++ {
		r := i
		if rows != nil {
			r = rows[i]
		}
		dst, src := out.RawRowView(i), m.RawRowView(r)
		if shift == nil {
			copy(dst, src)
		} else {
			floats.SubTo(dst, src, shift)
		}
	}
	return out
}
