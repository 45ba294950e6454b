package train

import (
	"math"
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/mat"
)

// InitOrthogonal gives kernels with orthonormal rows (wide: out < fan_in)
// or columns (tall) to 1e-12, and zero biases; InitHe gives kernel
// entries of variance 2/fan_in (within 5% on ≥ 20,000 draws) and zero
// biases.
func TestInits(t *testing.T) {
	m := NewMLP[float64](300, []int{100}, 400) // dense0 wide (100×300), dense1 tall (400×100)
	m.InitOrthogonal(rand.New(rand.NewPCG(1, 1)))
	for _, p := range m.Params() {
		if !p.isKernel() {
			if mat.Norm(mat.NewVecDense(len(p.Value), p.Value), 2) != 0 {
				t.Errorf("%s: orthogonal init left a nonzero bias", p.Name)
			}
			continue
		}
		w := mat.NewDense(p.Shape[0], p.fanIn, p.Value)
		var g mat.Dense
		if p.Shape[0] < p.fanIn {
			g.Mul(w, w.T())
		} else {
			g.Mul(w.T(), w)
		}
		r, _ := g.Dims()
		for i := range r {
			for j := range r {
				if want := b2f(i == j); math.Abs(g.At(i, j)-want) > 1e-12 {
					t.Fatalf("%s: Gram[%d,%d] = %v, want %v", p.Name, i, j, g.At(i, j), want)
				}
			}
		}
	}
	m.InitHe(rand.New(rand.NewPCG(1, 1)))
	for _, p := range m.Params() {
		ss := 0.0
		for _, v := range p.Value {
			ss += v * v
		}
		want := 0.0
		if p.isKernel() {
			want = 2 / float64(p.fanIn)
		}
		if got := ss / float64(len(p.Value)); math.Abs(got-want) > 0.05*want {
			t.Errorf("%s: He init mean square %v, want %v", p.Name, got, want)
		}
	}
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}
