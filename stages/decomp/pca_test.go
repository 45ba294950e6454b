package decomp_test

import (
	"testing"

	"gonum.org/v1/gonum/mat"

	"github.com/eigenlab/eigenlab/stages/decomp"
	"github.com/eigenlab/eigenlab/stages/internal/golden"
)

// explained_variance_, components_ (sklearn's svd_flip is the §0.1 rule,
// so signs are compared too), transform and the fitted rows' scores
// (fit_transform) equal sklearn PCA, for n > p
// (thin SVD) and p > n (the Gram route of §2.1).
func TestPCAMatchesSklearn(t *testing.T) {
	for c, route := range map[string]string{"tall": "svd", "wide": "gram"} {
		x := golden.Matrix(golden.Read(t, "testdata", "pca_"+c+"_x"))
		m, err := decomp.FitPCA(x, 5)
		if err != nil {
			t.Fatal(err)
		}
		if m.Route != route {
			t.Errorf("%s: route %s, want %s", c, m.Route, route)
		}
		golden.CloseRel(t, c+" explained_variance_", m.Variance, golden.Read(t, "testdata", "pca_"+c+"_var").F64, 1e-10)
		golden.CloseRel(t, c+" components_", m.Components.RawMatrix().Data, golden.Read(t, "testdata", "pca_"+c+"_comp").F64, 1e-10)
		z := golden.Read(t, "testdata", "pca_"+c+"_z").F64
		golden.CloseRel(t, c+" transform", m.Transform(x).RawMatrix().Data, z, 1e-10)
		golden.CloseRel(t, c+" scores U·S of the fitted rows", m.Scores.RawMatrix().Data, z, 1e-10)
	}
	if _, err := decomp.FitPCA(mat.NewDense(4, 3, nil), 4); err == nil || err.Error() != "k = 4 exceeds min(samples, features) = min(4, 3)" {
		t.Errorf("k too large: %v", err)
	}
}
