package decomp

import (
	"fmt"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas64"
	"gonum.org/v1/gonum/mat"

	"github.com/eigenlab/eigenlab/stages/linalg"
)

// The routes of CrossOptions.Route (§3.9).
const (
	RouteAuto   = "auto"   // Gram on each side whose width is several times n
	RouteDirect = "direct" // SVD of the dX×dY cross-product
	RouteGram   = "gram"   // Gram on both sides
)

// CrossOptions control FitCross.
type CrossOptions struct {
	// K is the number of components; 0 keeps all the route can give,
	// min(n−1, dX, dY) or the numerical rank of the Gram route.
	K int
	// Same says Y is X (the same data): the fit is then PCA (§3.1 step 3).
	Same bool
	// Route is RouteAuto (the default when empty), RouteDirect or RouteGram.
	Route string
}

// CrossFit is a cross-decomposition fitted on training rows (§3.1): the
// SVD of the train cross-covariance X_cᵀY_c = U S Vᵀ, sign rule of §0.1.
type CrossFit struct {
	Sigma []float64 // s/(n−1), or s²/(n−1) in the PCA case
	// Rank counts the components with s above rankTol·s₁ (relative to the
	// largest): the ones beyond it are numerically arbitrary (§3.1 step 2).
	Rank  int
	Route string // "direct", "gram" (x side), "gram-y" or "gram-xy"
	x, y  side
	same  bool
}

// side is one data set's part of a fit. Without train, held-out rows
// project as (Z − μ)·coef, coef being the d×K singular vectors; with
// train (the Gram route, §3.9) as ((Z − μ)·X_cᵀ)·coef with coef n×K
// (X_cᵀ·coef are the singular vectors), so no d-sized singular vector is
// ever stored. chol and piv hold the Gram's pivoted Cholesky factor
// between factor and basis.
type side struct {
	mean  []float64
	train *mat.Dense
	coef  *mat.Dense
	chol  *mat.Dense
	piv   []int
}

// FitCross fits the cross-decomposition of the training rows x, y (§3.1,
// §3.9). The Gram route is exact: it factors X_c = L_x B_xᵀ through the
// pivoted Cholesky of the n×n Gram, X_c X_cᵀ = L_x L_xᵀ, and takes the SVD
// of the small L_xᵀ Y_c (or of L_xᵀ L_y when both sides are wide), so
// X_cᵀY_c is never formed.
func FitCross(x, y *mat.Dense, o CrossOptions) (*CrossFit, error) {
	return fitRows(x, y, nil, o, nil)
}

// fitRows is FitCross on the given rows of x and y (nil: all), centered
// as they are copied: no uncentered copy of the rows is made. With bufs
// (nil: fresh memory) the centered rows are written into its storage.
func fitRows(x, y *mat.Dense, rows []int, o CrossOptions, bufs *trainBufs) (*CrossFit, error) {
	n, dx := x.Dims()
	_, dy := y.Dims()
	if rows != nil {
		n = len(rows)
	}
	gx, gy, err := routeSides(o.Route, n, dx, dy)
	if err != nil {
		return nil, err
	}
	if o.Same {
		gy = false // one decomposition, of X_c
	}
	f := &CrossFit{same: o.Same, Route: routeName(gx, gy)}
	f.x.mean, f.y.mean = rowMeans(x, rows), rowMeans(y, rows)
	bx, by := bufs.slots()
	xc, yc := shiftedRows(x, rows, f.x.mean, bx), shiftedRows(y, rows, f.y.mean, by)
	var s []float64
	if o.Same {
		s, err = f.fitPCA(xc, gx)
		f.y = f.x
	} else {
		s, err = f.fitCross(xc, yc, gx, gy)
	}
	if err != nil {
		return nil, fmt.Errorf("cross-decomposition of %d×%d and %d×%d (%s route): %w", n, dx, n, dy, f.Route, err)
	}
	if err := f.finish(s, n, o.K); err != nil {
		return nil, err
	}
	return f, nil
}

// finish keeps k components of the fit (all available when k is 0),
// applies the sign rule and sets Sigma and Rank from the singular values
// s of the n-row train cross-product.
func (f *CrossFit) finish(s []float64, n, k int) error {
	avail := min(len(s), n-1)
	if k > avail {
		return fmt.Errorf("n_components = %d exceeds the %d components available (min(n-1, dX, dY) and the numerical rank of the %s route)", k, avail, f.Route)
	}
	if k == 0 {
		k = avail
	}
	f.x.coef, f.y.coef = firstCols(f.x.coef, k), firstCols(f.y.coef, k)
	if f.same {
		f.y = f.x
	}
	f.flip(f.same)
	f.Sigma = make([]float64, k)
	for i := range f.Sigma {
		f.Sigma[i] = s[i] / float64(n-1)
		if s[i] > rankTol*s[0] {
			f.Rank++
		}
	}
	return nil
}

func rowsOf(m *mat.Dense) int { r, _ := m.Dims(); return r }

// routeSides says which sides take the Gram route.
func routeSides(route string, n, dx, dy int) (gx, gy bool, err error) {
	switch route {
	case RouteAuto, "":
		return gramCheaper(n, dx), gramCheaper(n, dy), nil
	case RouteDirect:
		return false, false, nil
	case RouteGram:
		return true, true, nil
	}
	return false, false, fmt.Errorf("route %q is not one of auto, direct, gram", route)
}

func routeName(gx, gy bool) string {
	switch {
	case gx && gy:
		return "gram-xy"
	case gx:
		return "gram"
	case gy:
		return "gram-y"
	}
	return "direct"
}

// fitPCA is the X = Y case: U = V are the right singular vectors of X_c
// and s are its squared singular values.
func (f *CrossFit) fitPCA(xc *mat.Dense, gram bool) ([]float64, error) {
	if gram {
		u, s, err := gramSVD(xc)
		if err != nil {
			return nil, err
		}
		f.x = side{mean: f.x.mean, train: xc, coef: scaleCols(u, s, -1)}
		return squares(s), nil
	}
	_, s, vt, err := linalg.SVD(xc)
	if err != nil {
		return nil, err
	}
	f.x.coef = mat.DenseCopyOf(vt.T())
	return squares(s), nil
}

// fitCross factors each side as X_c = L Bᵀ (L = X_c with B = I, or on
// the Gram route L = Πᵀ R from the pivoted Cholesky X_c X_cᵀ = L Lᵀ, with
// B = X_cᵀ L (LᵀL)⁻¹), takes the SVD of M = L_xᵀ L_y = P Σ Qᵀ, which has
// the singular values of X_cᵀY_c, and stores the projections B_x P and
// B_y Q in the form side.project applies. M's SVD is LAPACK's dgesdd on
// every route: an eigendecomposition of M Mᵀ would halve its cost at one
// thread but square its condition number (tail components lose ~1.5
// digits against sklearn), and at two threads the two cost the same.
func (f *CrossFit) fitCross(xc, yc *mat.Dense, gx, gy bool) ([]float64, error) {
	if gx && gy {
		f.x.train, f.y.train = xc, yc
		return f.fitGrams(linalg.Gram(xc), linalg.Gram(yc))
	}
	lx, err := f.x.factor(xc, gx)
	if err != nil {
		return nil, err
	}
	ly, err := f.y.factor(yc, gy)
	if err != nil {
		return nil, err
	}
	return f.fitFactors(lx, ly)
}

// fitFactors takes the SVD of M = L_xᵀ L_y = P Σ Qᵀ and stores the
// projections B_x P and B_y Q; it returns Σ.
func (f *CrossFit) fitFactors(lx, ly *mat.Dense) ([]float64, error) {
	return f.fitProduct(linalg.CrossProd(lx, ly))
}

// fitProduct takes the SVD of M = L_xᵀ L_y = P Σ Qᵀ and stores the
// projections B_x P and B_y Q; it returns Σ. M is destroyed (P may take
// its storage).
func (f *CrossFit) fitProduct(m *mat.Dense) ([]float64, error) {
	p, s, qt, err := linalg.SVDInPlace(m)
	if err != nil {
		return nil, err
	}
	f.x.coef, f.y.coef = f.x.basis(p), f.y.basis(mat.DenseCopyOf(qt.T()))
	return s, nil
}

// fitGrams is the gram-xy route from the centered train Grams of both
// sides.
func (f *CrossFit) fitGrams(gx, gy *mat.SymDense) ([]float64, error) {
	lx, err := f.x.factorGram(gx)
	if err != nil {
		return nil, err
	}
	ly, err := f.y.factorGram(gy)
	if err != nil {
		return nil, err
	}
	return f.fitFactors(lx, ly)
}

// factor returns L with X_c = L Bᵀ; on the Gram route it keeps X_c for
// the projection and factors its Gram.
func (sd *side) factor(xc *mat.Dense, gram bool) (*mat.Dense, error) {
	if !gram {
		return xc, nil
	}
	sd.train = xc
	return sd.factorGram(linalg.Gram(xc))
}

// factorGram returns L = Πᵀ R from the pivoted Cholesky of the centered
// Gram g = L Lᵀ and keeps R and Π for basis.
func (sd *side) factorGram(g *mat.SymDense) (*mat.Dense, error) {
	r, piv, err := linalg.PivotedCholesky(g, rankTol)
	if err != nil {
		return nil, err
	}
	sd.chol, sd.piv = r, piv
	n, k := r.Dims()
	l := mat.NewDense(n, k, nil) // row piv[i] of L is row i of R
	for i, row := range piv {
		copy(l.RawRowView(row), r.RawRowView(i))
	}
	return l, nil
}

// basis maps the SVD factor P (rows index L's columns) to the side's
// projection coefficients. On the Gram route the projection is
// X_cᵀ a = B P for any a with Lᵀ a = P; with L = Πᵀ R the one zero off the
// r pivot rows solves R₁₁ᵀ a_piv = P, one triangular solve.
func (sd *side) basis(p *mat.Dense) *mat.Dense {
	if sd.chol == nil {
		return p
	}
	n, r := sd.chol.Dims()
	c := mat.DenseCopyOf(p)
	r11 := sd.chol.RawMatrix()
	blas64.Trsm(blas.Left, blas.Trans, 1, blas64.Triangular{Uplo: blas.Lower, Diag: blas.NonUnit, N: r, Stride: r11.Stride, Data: r11.Data}, c.RawMatrix())
	_, k := c.Dims()
	coef := mat.NewDense(n, k, nil)
	for i, row := range sd.piv[:r] {
		copy(coef.RawRowView(row), c.RawRowView(i))
	}
	sd.chol, sd.piv = nil, nil
	return coef
}

// scaleCols returns u·diag(s^pow) for pow = ±1.
func scaleCols(u *mat.Dense, s []float64, pow int) *mat.Dense {
	out := mat.DenseCopyOf(u)
	r, _ := out.Dims()
	for i := 0; i < r; i++ {
		row := out.RawRowView(i)
		for j, sj := range s {
			if pow < 0 {
				row[j] /= sj
			} else {
				row[j] *= sj
			}
		}
	}
	return out
}

func squares(s []float64) []float64 {
	out := make([]float64, len(s))
	for i, v := range s {
		out[i] = v * v
	}
	return out
}

// Project returns the held-out projections x̃ = (X − μX)U, ỹ = (Y − μY)V
// (§3.2), centered by the training means. In the PCA case ỹ is x̃.
func (f *CrossFit) Project(x, y *mat.Dense) (xt, yt *mat.Dense) {
	return f.projectRows(x, y, nil, nil)
}

// projectRows is Project of the given rows of x and y (nil: all),
// centered as they are copied (into bufs' storage unless bufs is nil).
func (f *CrossFit) projectRows(x, y *mat.Dense, rows []int, bufs *trainBufs) (xt, yt *mat.Dense) {
	bx, by := bufs.slots()
	xt = f.x.project(shiftedRows(x, rows, f.x.mean, bx))
	if f.same {
		return xt, xt
	}
	return xt, f.y.project(shiftedRows(y, rows, f.y.mean, by))
}

// project projects zc, rows already centered by the train means.
func (sd *side) project(zc *mat.Dense) *mat.Dense {
	var out mat.Dense
	if sd.train == nil {
		out.Mul(zc, sd.coef)
		return &out
	}
	var kernel mat.Dense // K_{te,tr} = (Z − μ) X_cᵀ
	kernel.Mul(zc, sd.train.T())
	out.Mul(&kernel, sd.coef)
	return &out
}

// flip applies the sign rule of §0.1 to the fitted components: the entry
// of u_k (the dX-sized singular vector) with the largest |value| becomes
// positive, and v_k takes the same sign.
func (f *CrossFit) flip(same bool) {
	signs := f.x.signs()
	for _, c := range []*mat.Dense{f.x.coef, f.y.coef} {
		r, _ := c.Dims()
		for i := 0; i < r; i++ {
			row := c.RawRowView(i)
			for j, sg := range signs {
				row[j] *= sg
			}
		}
		if same {
			return
		}
	}
}

// signBlock bounds the dX-block of U formed at once on the Gram route.
const signBlock = 1 << 22

// signs returns per component the sign of the largest-|value| entry of
// u_k (the first one on ties, as numpy's argmax). On the Gram route
// U = X_cᵀ·coef is formed a block of features at a time.
func (sd *side) signs() []float64 {
	_, k := sd.coef.Dims()
	best, sign := make([]float64, k), make([]float64, k)
	for j := range best {
		best[j], sign[j] = -1, 1
	}
	visit := func(u *mat.Dense) {
		r, _ := u.Dims()
		for i := 0; i < r; i++ {
			for j, v := range u.RawRowView(i) {
				if a := max(v, -v); a > best[j] {
					best[j] = a
					sign[j] = 1
					if v < 0 {
						sign[j] = -1
					}
				}
			}
		}
	}
	if sd.train == nil {
		visit(sd.coef)
		return sign
	}
	n, d := sd.train.Dims()
	step := max(1, signBlock/k)
	for f0 := 0; f0 < d; f0 += step {
		var u mat.Dense
		u.Mul(sd.train.Slice(0, n, f0, min(f0+step, d)).T(), sd.coef)
		visit(&u)
	}
	return sign
}
