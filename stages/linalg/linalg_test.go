package linalg_test

import (
	"math"
	"os"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

	"gonum.org/v1/gonum/mat"

	"github.com/eigenlab/eigenlab/stages/internal/golden"
	"github.com/eigenlab/eigenlab/stages/linalg"
)

// cases are the shapes of testdata/make_goldens.py: small, tall enough for
// dgesdd's QR-first path, wide, square, and past LAPACK's block size.
var cases = []string{"tall", "wide", "square", "tallblock", "block"}

func read(t *testing.T, name string) *mat.Dense {
	return golden.Matrix(golden.Read(t, "testdata", name))
}

func data(m mat.Matrix) []float64 { return mat.DenseCopyOf(m).RawMatrix().Data }

func TestGramAndCrossProdAgainstNumpy(t *testing.T) {
	for _, c := range cases {
		x := read(t, c+"_x")
		golden.CloseRel(t, c+" Gram X Xᵀ", data(linalg.Gram(x)), data(read(t, c+"_gram")), 1e-12)
		// CrossProd(a, a) = aᵀa, the full-rank Gram the goldens hold as sym.
		a := x
		if m, n := x.Dims(); m < n {
			a = mat.DenseCopyOf(x.T())
		}
		golden.CloseRel(t, c+" CrossProd aᵀa", data(linalg.CrossProd(a, a)), data(read(t, c+"_sym")), 1e-12)
	}
}

func TestSVDAgainstNumpy(t *testing.T) {
	for _, c := range cases {
		x := read(t, c+"_x")
		u, s, vt, err := linalg.SVD(x)
		if err != nil {
			t.Fatalf("%s: %v", c, err)
		}
		m, n := x.Dims()
		k := min(m, n)
		if r, cu := u.Dims(); r != m || cu != k {
			t.Fatalf("%s: U is %d×%d, want %d×%d", c, r, cu, m, k)
		}
		if r, cv := vt.Dims(); r != k || cv != n {
			t.Fatalf("%s: Vt is %d×%d, want %d×%d", c, r, cv, k, n)
		}
		linalg.SVDFlip(u, vt)
		wantS := data(read(t, c+"_svals"))
		golden.CloseRel(t, c+" singular values", s, wantS, 1e-12)
		golden.CloseRel(t, c+" U", u.RawMatrix().Data, data(read(t, c+"_u")), 1e-10)
		golden.CloseRel(t, c+" Vt", vt.RawMatrix().Data, data(read(t, c+"_vt")), 1e-10)
		sv, err := linalg.SingularValues(x)
		if err != nil {
			t.Fatalf("%s: %v", c, err)
		}
		golden.CloseRel(t, c+" values-only SVD", sv, wantS, 1e-12)
		// Xᵀ U = V diag(s): a non-symmetric CrossProd against the goldens.
		xu := linalg.CrossProd(x, u)
		vs := mat.DenseCopyOf(vt.T())
		for j, sj := range s {
			for i := 0; i < n; i++ {
				vs.Set(i, j, vs.At(i, j)*sj)
			}
		}
		golden.CloseRel(t, c+" Xᵀ U", data(xu), data(vs), 1e-10)
	}
}

func TestSymEigAgainstNumpy(t *testing.T) {
	for _, c := range cases {
		a := read(t, c+"_sym")
		n, _ := a.Dims()
		sym := mat.NewSymDense(n, a.RawMatrix().Data)
		wantVals := data(read(t, c+"_eigvals"))
		vals, vecs, err := linalg.SymEig(sym, true)
		if err != nil {
			t.Fatalf("%s: %v", c, err)
		}
		golden.CloseRel(t, c+" eigenvalues", vals, wantVals, 1e-10)
		// Eigenvectors are unique up to sign: the same §0.1 rule as the goldens.
		linalg.SVDFlip(vecs, nil)
		golden.CloseRel(t, c+" eigenvectors", vecs.RawMatrix().Data, data(read(t, c+"_eigvecs")), 1e-10)
		checkEigenpairs(t, c, sym, vals, vecs)
		only, none, err := linalg.SymEig(sym, false)
		if err != nil || none != nil {
			t.Fatalf("%s values only: vectors %v, error %v", c, none, err)
		}
		golden.CloseRel(t, c+" values-only eigenvalues", only, wantVals, 1e-10)
		checkInPlace(t, c, sym, vals, vecs, only)
	}
}

// checkInPlace checks that SymEigInPlace, which decomposes a's own storage
// (a copy of sym here, its lower triangle garbage as gonum may leave it),
// gives bit for bit what SymEig gave: vals and vecs, and only without vectors.
func checkInPlace(t *testing.T, c string, sym *mat.SymDense, vals []float64, vecs *mat.Dense, only []float64) {
	t.Helper()
	for _, vectors := range []bool{true, false} {
		n := sym.SymmetricDim()
		a := mat.NewSymDense(n, nil)
		a.CopySym(sym)
		raw := a.RawSymmetric().Data
		for i := 1; i < n; i++ {
			for j := 0; j < i; j++ {
				raw[i*n+j] = math.NaN()
			}
		}
		v, vv, err := linalg.SymEigInPlace(a, vectors)
		if err != nil {
			t.Fatalf("%s in place: %v", c, err)
		}
		want := only
		if vectors {
			want = vals
			linalg.SVDFlip(vv, nil)
			if !mat.Equal(vv, vecs) {
				t.Errorf("%s in place: eigenvectors differ from SymEig's", c)
			}
		}
		if !slices.Equal(v, want) {
			t.Errorf("%s in place (vectors %v): eigenvalues differ from SymEig's", c, vectors)
		}
	}
}

// checkEigenpairs checks A V = V Λ and descending order.
func checkEigenpairs(t *testing.T, c string, a *mat.SymDense, vals []float64, vecs *mat.Dense) {
	t.Helper()
	if !slices.IsSortedFunc(vals, func(p, q float64) int { return -cmpFloat(p, q) }) {
		t.Fatalf("%s: eigenvalues not descending: %v", c, vals)
	}
	var av mat.Dense
	av.Mul(a, vecs)
	for j, l := range vals {
		for i := range vals {
			if d := av.At(i, j) - l*vecs.At(i, j); math.Abs(d) > 1e-10*vals[0] {
				t.Fatalf("%s: (AV − VΛ)[%d,%d] = %g", c, i, j, d)
			}
		}
	}
}

func cmpFloat(p, q float64) int {
	switch {
	case p < q:
		return -1
	case p > q:
		return 1
	}
	return 0
}

// The largest |value| of each column of U decides its sign, the first one
// on ties (numpy's argmax: column 3 has −0.5 before 0.5), and row k of Vt
// follows column k.
func TestSVDFlip(t *testing.T) {
	u := mat.NewDense(3, 3, []float64{0.1, -0.2, -0.5, -0.9, 0.3, 0.5, 0.4, -0.1, 0.1})
	vt := mat.NewDense(3, 2, []float64{1, 2, 3, 4, 5, 6})
	linalg.SVDFlip(u, vt)
	want := []float64{-0.1, -0.2, 0.5, 0.9, 0.3, -0.5, -0.4, -0.1, -0.1}
	golden.CloseRel(t, "flipped U", u.RawMatrix().Data, want, 0)
	golden.CloseRel(t, "flipped Vt", vt.RawMatrix().Data, []float64{-1, -2, 3, 4, -5, -6}, 0)
}

func TestEmptyAndBadShapes(t *testing.T) {
	if _, _, _, err := linalg.SVD(&mat.Dense{}); err == nil {
		t.Fatal("SVD of an empty matrix: no error")
	}
	if _, err := linalg.SingularValues(&mat.Dense{}); err == nil {
		t.Fatal("singular values of an empty matrix: no error")
	}
}

// Results are bit-identical on repeated calls and from concurrent
// goroutines (what eigenlab -j does), at sizes where OpenBLAS uses threads.
func TestDeterministic(t *testing.T) {
	x := randDense(300, 200)
	var s mat.SymDense
	s.SymOuterK(1, randDense(250, 300))
	ops := []struct {
		name string
		run  func() []float64
	}{
		{"Gram", func() []float64 { return data(linalg.Gram(x)) }},
		{"CrossProd", func() []float64 { return data(linalg.CrossProd(x, x)) }},
		{"SVD", func() []float64 {
			u, sv, vt, err := linalg.SVD(x)
			if err != nil {
				t.Error(err)
			}
			return slices.Concat(u.RawMatrix().Data, sv, vt.RawMatrix().Data)
		}},
		{"SymEig", func() []float64 {
			vals, vecs, err := linalg.SymEig(&s, true)
			if err != nil {
				t.Error(err)
			}
			return slices.Concat(vals, vecs.RawMatrix().Data)
		}},
	}
	for _, op := range ops {
		ref := op.run()
		if again := op.run(); !slices.Equal(again, ref) {
			t.Errorf("%s: a repeated call differs", op.name)
		}
		var wg sync.WaitGroup
		got := make([][]float64, 2)
		for g := range got {
			wg.Go(func() { got[g] = op.run() })
		}
		wg.Wait()
		for g := range got {
			if !slices.Equal(got[g], ref) {
				t.Errorf("%s: goroutine %d of 2 differs from the sequential call", op.name, g)
			}
		}
	}
}

func TestPreferredEnv(t *testing.T) {
	t.Setenv("OPENBLAS_NUM_THREADS", "")
	t.Setenv("OPENBLAS_CORETYPE", "")
	t.Setenv("OPENBLAS_THREAD_TIMEOUT", "")
	got := linalg.PreferredEnv()
	if linalg.Backend() != "openblas" {
		if got != nil {
			t.Fatalf("backend %s: PreferredEnv = %v, want nil", linalg.Backend(), got)
		}
		return
	}
	want := []string{"OPENBLAS_NUM_THREADS=" + strconv.Itoa(runtime.NumCPU())}
	if info, err := os.ReadFile("/proc/cpuinfo"); err == nil && strings.Contains(string(info), " avx512f ") {
		want = append(want, "OPENBLAS_CORETYPE=SkylakeX")
	}
	want = append(want, "OPENBLAS_THREAD_TIMEOUT=20")
	if !slices.Equal(got, want) {
		t.Fatalf("PreferredEnv() = %v, want %v", got, want)
	}
	t.Setenv("OPENBLAS_NUM_THREADS", "1")
	t.Setenv("OPENBLAS_CORETYPE", "Haswell")
	t.Setenv("OPENBLAS_THREAD_TIMEOUT", "28")
	if got := linalg.PreferredEnv(); got != nil {
		t.Fatalf("with all set, PreferredEnv() = %v, want nil", got)
	}
}

// viewCopy returns a copy of x that is a view into a larger matrix (row
// stride > columns).
func viewCopy(x *mat.Dense) *mat.Dense {
	m, n := x.Dims()
	view := randDense(m+3, n+5).Slice(2, 2+m, 3, 3+n).(*mat.Dense)
	view.Copy(x)
	return view
}

// A view into a larger matrix (row stride > columns) decomposes exactly
// like its compact copy, on both SVD paths.
func TestSVDOfView(t *testing.T) {
	for _, c := range []string{"tallblock", "wide"} {
		x := read(t, c+"_x")
		view := viewCopy(x)
		u1, s1, vt1, err1 := linalg.SVD(x)
		u2, s2, vt2, err2 := linalg.SVD(view)
		if err1 != nil || err2 != nil {
			t.Fatalf("%s: %v, %v", c, err1, err2)
		}
		if !slices.Equal(s1, s2) || !mat.Equal(u1, u2) || !mat.Equal(vt1, vt2) {
			t.Fatalf("%s: the SVD of a view differs from that of its copy", c)
		}
	}
}

// A planted rank-r PSD matrix G = B Bᵀ (n×n): the pivoted Cholesky finds
// the rank r exactly and its factor reproduces G under the pivot to 1e-12
// relative; a full-rank G gives rank n.
func TestPivotedCholesky(t *testing.T) {
	for _, c := range []struct{ n, r int }{{1, 1}, {7, 3}, {60, 60}, {150, 40}, {300, 299}} {
		b := randDense(c.n, c.r)
		g := mat.NewSymDense(c.n, nil)
		g.SymOuterK(1, b)
		r, piv, err := linalg.PivotedCholesky(g, 1e-12)
		if err != nil {
			t.Fatal(err)
		}
		if _, k := r.Dims(); k != c.r {
			t.Fatalf("n=%d: rank %d, want the planted %d", c.n, k, c.r)
		}
		var rrt mat.Dense
		rrt.Mul(r, r.T())
		want := make([]float64, 0, c.n*c.n)
		for i := 0; i < c.n; i++ {
			for j := 0; j < c.n; j++ {
				want = append(want, g.At(piv[i], piv[j]))
			}
			for j := i + 1; j < c.r; j++ {
				if r.At(i, j) != 0 {
					t.Fatalf("n=%d: R[%d][%d] = %g above the diagonal", c.n, i, j, r.At(i, j))
				}
			}
		}
		golden.CloseRel(t, "R Rᵀ = Π G Πᵀ", rrt.RawMatrix().Data, want, 1e-12)
	}
	if _, _, err := linalg.PivotedCholesky(mat.NewSymDense(3, nil), 1e-12); err == nil || !strings.Contains(err.Error(), "rank 0") {
		t.Errorf("zero matrix: err %v, want numerical rank 0", err)
	}
}

// CenteredSVD shifts in the copy LAPACK works on: on both SVD paths, and
// on a view, it gives bit for bit the SVD of the centered copy.
func TestCenteredSVD(t *testing.T) {
	for _, c := range []string{"tallblock", "wide"} {
		x := read(t, c+"_x")
		view := viewCopy(x)
		mean := linalg.ColMeans(x)
		u1, s1, vt1, err1 := linalg.SVD(linalg.Centered(x, mean))
		u2, s2, vt2, err2 := linalg.CenteredSVD(view, mean)
		if err1 != nil || err2 != nil {
			t.Fatalf("%s: %v, %v", c, err1, err2)
		}
		if !slices.Equal(s1, s2) || !mat.Equal(u1, u2) || !mat.Equal(vt1, vt2) {
			t.Fatalf("%s: CenteredSVD differs from SVD of the centered copy", c)
		}
	}
}

// SVDInPlace gives bit for bit the SVD, and a tall matrix's U takes its
// storage (no m×n Go allocation).
func TestSVDInPlace(t *testing.T) {
	for _, c := range []string{"tall", "tallblock", "wide"} {
		x := read(t, c+"_x")
		u1, s1, vt1, err1 := linalg.SVD(x)
		a := mat.DenseCopyOf(x)
		u2, s2, vt2, err2 := linalg.SVDInPlace(a)
		if err1 != nil || err2 != nil {
			t.Fatalf("%s: %v, %v", c, err1, err2)
		}
		if !slices.Equal(s1, s2) || !mat.Equal(u1, u2) || !mat.Equal(vt1, vt2) {
			t.Fatalf("%s: SVDInPlace differs from SVD", c)
		}
		if m, n := x.Dims(); m >= n && linalg.Backend() == "openblas" && &u2.RawMatrix().Data[0] != &a.RawMatrix().Data[0] {
			t.Errorf("%s: U does not take the storage of the tall input", c)
		}
	}
}

// PSDEigenvalues gives a positive semidefinite matrix's eigenvalues, full
// rank or not: up to 64 rows (smallPSD) those of SymEig to rounding, and
// at rounding level as magnitudes, never negative; above, SymEig's own.
func TestPSDEigenvalues(t *testing.T) {
	for _, tc := range []struct{ rows, n int }{
		{3, 1}, {40, 8}, {200, 64}, {200, 65}, {300, 100}, // full rank
		{10, 48}, {20, 64}, {20, 80}, // rank 10 and 20: a tail of rounding-level values
	} {
		x := randDense(tc.rows, tc.n)
		var g mat.SymDense
		g.SymOuterK(1, x.T())
		want, _, err := linalg.SymEig(&g, false)
		if err != nil {
			t.Fatal(err)
		}
		got, err := linalg.PSDEigenvalues(mat.NewSymDense(tc.n, slices.Clone(g.RawSymmetric().Data)))
		if err != nil {
			t.Fatalf("%d×%d of rank %d: %v", tc.n, tc.n, min(tc.rows, tc.n), err)
		}
		if len(got) != tc.n {
			t.Fatalf("%d×%d: %d values", tc.n, tc.n, len(got))
		}
		if tc.n > 64 {
			if !slices.Equal(got, want) {
				t.Errorf("%d×%d: %v, want SymEig's %v", tc.n, tc.n, got, want)
			}
			continue
		}
		for i := range got {
			if math.Abs(got[i]-want[i]) > 1e-12*want[0] || got[i] < 0 || (i > 0 && got[i] > got[i-1]) {
				t.Errorf("%d×%d of rank %d: value %d is %g, want %g (SymEig) to 1e-12 of the largest, ≥ 0, descending", tc.n, tc.n, min(tc.rows, tc.n), i, got[i], want[i])
			}
		}
	}
}
