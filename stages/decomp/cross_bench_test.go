package decomp_test

import (
	"context"
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/mat"

	"github.com/eigenlab/eigenlab/stages/decomp"
)

// benchPair is x (n×dx) and y (n×dy) sharing a rank-64 signal under
// isotropic noise, so both Grams have full numerical rank as real
// activations do.
func benchPair(n, dx, dy int) (x, y *mat.Dense) {
	rng := rand.New(rand.NewPCG(1, 2))
	z := mat.NewDense(n, 64, nil)
	ax, ay := mat.NewDense(64, dx, nil), mat.NewDense(64, dy, nil)
	for _, m := range []*mat.Dense{z, ax, ay} {
		raw := m.RawMatrix().Data
		for i := range raw {
			raw[i] = rng.NormFloat64()
		}
	}
	x, y = new(mat.Dense), new(mat.Dense)
	x.Mul(z, ax)
	y.Mul(z, ay)
	for _, m := range []*mat.Dense{x, y} {
		raw := m.RawMatrix().Data
		for i := range raw {
			raw[i] += 3 * rng.NormFloat64()
		}
	}
	return x, y
}

// One fold of townley-powerlaw-init's crossdecomp at full size: the
// gram-xy fit on n_train = 1600 rows (x the 4000 SRP features, y the
// 12288 MobileNetV2 units) and the projection of the 400 held-out rows.
func BenchmarkFitCrossGramXY1600(b *testing.B) {
	x, y := benchPair(2000, 4000, 12288)
	xtr, ytr := x.Slice(0, 1600, 0, 4000).(*mat.Dense), y.Slice(0, 1600, 0, 12288).(*mat.Dense)
	xte, yte := x.Slice(1600, 2000, 0, 4000).(*mat.Dense), y.Slice(1600, 2000, 0, 12288).(*mat.Dense)
	for b.Loop() {
		fit, err := decomp.FitCross(xtr, ytr, decomp.CrossOptions{})
		if err != nil {
			b.Fatal(err)
		}
		fit.Project(xte, yte)
	}
}

// The five folds of one such crossdecomp stage (2000 rows).
func BenchmarkFitFoldsGramXY2000(b *testing.B) {
	x, y := benchPair(2000, 4000, 12288)
	labels := make([]int, 2000)
	for i := range labels {
		labels[i] = i % 5
	}
	for b.Loop() {
		if _, err := decomp.FitFolds(context.Background(), x, y, labels, nil, decomp.CrossOptions{}); err != nil {
			b.Fatal(err)
		}
	}
}
