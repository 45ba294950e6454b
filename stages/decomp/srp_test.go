package decomp_test

import (
	"math"
	"math/rand/v2"
	"os"
	"testing"

	"gonum.org/v1/gonum/mat"

	"github.com/eigenlab/eigenlab/stages/decomp"
	"github.com/eigenlab/eigenlab/stages/internal/golden"
	"github.com/eigenlab/eigenlab/stages/spectral"
)

func TestJLDimMatchesSklearn(t *testing.T) {
	want := golden.Read(t, "testdata", "jl").I64
	for i, n := range []int{1000, 10000} {
		if got := decomp.JLDim(n, 0.1); int64(got) != want[i] {
			t.Errorf("JLDim(%d) = %d, sklearn %d", n, got, want[i])
		}
	}
	if decomp.JLDim(1000, 0.1) != 5920 || decomp.JLDim(10000, 0.1) != 7894 {
		t.Error("JLDim does not give METHODS.md §2.2's 5920 and 7894")
	}
}

func gaussian(rng *rand.Rand, n, d int) *mat.Dense {
	x := mat.NewDense(n, d, nil)
	raw := x.RawMatrix().Data
	for i := range raw {
		raw[i] = rng.NormFloat64()
	}
	return x
}

// project applies r to every row of x (full layout) with w workers.
func project(r *decomp.Projection, x *mat.Dense, w int) *mat.Dense {
	n, _ := x.Dims()
	y := mat.NewDense(n, r.K, nil)
	decomp.Apply(r, x.RawMatrix().Data, y.RawMatrix().Data, n, decomp.Layout{Groups: 1, Inner: 1}, w)
	return y
}

// Entry distribution and norm preservation of §2.2, at its checked size
// D = 20000, k = 2000: nonzero fraction 1/√D, entries ±√(√D/k) = ±0.265915
// with equal frequency, and E‖xR‖²/‖x‖² = 1.
func TestSRPDistribution(t *testing.T) {
	const d, k = 20000, 2000
	r := decomp.NewSRP(rand.New(rand.NewPCG(1, 1)), d, k, decomp.DefaultDensity(d))
	want := 1 / math.Sqrt(d)
	sd := math.Sqrt(want * (1 - want) / (d * k))
	if frac := float64(r.NNZ()) / (d * k); math.Abs(frac-want) > 4*sd {
		t.Errorf("nonzero fraction %.6f, want %.6f ± %.6f", frac, want, 4*sd)
	}
	var pos, neg int
	for f := 0; f < d; f += 50 { // every 50th input feature: 400 × k entries
		for j := 0; j < k; j++ {
			switch v := r.At(f, j); {
			case v == 0:
			case math.Abs(math.Abs(v)-0.265915) > 1e-6:
				t.Fatalf("R[%d,%d] = %g, want ±0.265915 = ±sqrt(sqrt(D)/k)", f, j, v)
			case v > 0:
				pos++
			default:
				neg++
			}
		}
	}
	if nz := float64(pos + neg); math.Abs(float64(pos)-nz/2) > 4*math.Sqrt(nz/4) {
		t.Errorf("%d positive and %d negative entries, want half each", pos, neg)
	}
	x := gaussian(rand.New(rand.NewPCG(2, 2)), 50, d)
	y := project(r, x, 2)
	ratio := 0.0
	for i := 0; i < 50; i++ {
		ratio += mat.Norm(y.RowView(i), 2) * mat.Norm(y.RowView(i), 2) /
			(mat.Norm(x.RowView(i), 2) * mat.Norm(x.RowView(i), 2)) / 50
	}
	if math.Abs(ratio-1) > 0.02 {
		t.Errorf("mean ‖xR‖²/‖x‖² = %.4f, want 1 ± 0.02", ratio)
	}
}

// §2.3: any SRP approximately preserves the Gram matrix, with relative
// error O(1/√k): e·√k is the same constant at k = 100 and k = 2000 (for
// n = 20 Gaussian rows it is about √n).
func TestSRPPreservesGram(t *testing.T) {
	const n, d = 20, 5000
	x := gaussian(rand.New(rand.NewPCG(3, 3)), n, d)
	var g mat.Dense
	g.Mul(x, x.T())
	errAt := func(k int) float64 {
		y := project(decomp.NewSRP(rand.New(rand.NewPCG(uint64(k), 9)), d, k, decomp.DefaultDensity(d)), x, 2)
		var gy, diff mat.Dense
		gy.Mul(y, y.T())
		diff.Sub(&gy, &g)
		return mat.Norm(&diff, 2) / mat.Norm(&g, 2)
	}
	c100, c2000 := errAt(100)*math.Sqrt(100), errAt(2000)*math.Sqrt(2000)
	if c100 > 2*math.Sqrt(n) || c2000 > 2*math.Sqrt(n) || math.Abs(c100/c2000-1) > 0.3 {
		t.Errorf("relative Gram error × √k = %.3f at k=100, %.3f at k=2000; want equal within 30%% and ≤ 2√n", c100, c2000)
	}
}

// Apply equals the dense product for every layout of §2.3 and for float32
// storage, and gives the same bytes for 1 and 3 workers.
func TestApplyLayouts(t *testing.T) {
	const n, c, l, k = 11, 6, 5, 4
	rng := rand.New(rand.NewPCG(4, 4))
	x := gaussian(rng, n, c*l).RawMatrix().Data
	for _, tc := range []struct {
		name   string
		lay    decomp.Layout
		d      int
		in, at func(i, g, f, o int) int // index of x[i, g, f, o] and of y[i, g, j, o]
	}{
		{"full", decomp.Layout{Groups: 1, Inner: 1}, c * l, nil, nil},
		{"channel", decomp.Layout{Groups: 1, Inner: l}, c, nil, nil},
		{"spatial", decomp.Layout{Groups: c, Inner: 1}, l, nil, nil},
	} {
		r := decomp.NewSRP(rng, tc.d, k, 0.5)
		groups, inner := tc.lay.Groups, tc.lay.Inner
		y1 := make([]float64, n*groups*k*inner)
		y3 := make([]float64, len(y1))
		decomp.Apply(r, x, y1, n, tc.lay, 1)
		decomp.Apply(r, x, y3, n, tc.lay, 3)
		x32 := make([]float32, len(x))
		for i, v := range x {
			x32[i] = float32(v)
		}
		y32 := make([]float32, len(y1))
		decomp.Apply(r, x32, y32, n, tc.lay, 2)
		for i := 0; i < n; i++ {
			for g := 0; g < groups; g++ {
				for j := 0; j < k; j++ {
					for o := 0; o < inner; o++ {
						want, want32 := 0.0, 0.0
						for f := 0; f < tc.d; f++ {
							xi := i*groups*tc.d*inner + g*tc.d*inner + f*inner + o
							want += x[xi] * r.At(f, j)
							want32 += float64(x32[xi]) * r.At(f, j)
						}
						yi := i*groups*k*inner + g*k*inner + j*inner + o
						if math.Abs(y1[yi]-want) > 1e-12 || y3[yi] != y1[yi] ||
							math.Abs(float64(y32[yi])-want32) > 1e-6*(1+math.Abs(want32)) {
							t.Fatalf("%s: y[%d,%d,%d,%d] = %g (3 workers %g, float32 %g), want %g (float32 %g)",
								tc.name, i, g, j, o, y1[yi], y3[yi], y32[yi], want, float32(want32))
						}
					}
				}
			}
		}
	}
}

// §2.3 validation: channel SRP with k_c = C and an orthogonal R leaves the
// channel spectrum unchanged.
func TestChannelProjectionOrthogonalKeepsSpectrum(t *testing.T) {
	const n, c, h, w = 30, 8, 3, 4
	rng := rand.New(rand.NewPCG(5, 5))
	x := gaussian(rng, n, c*h*w)
	// Give the channels unequal variances so the spectrum is not flat.
	for i := 0; i < n; i++ {
		row := x.RawRowView(i)
		for j := range row {
			row[j] *= float64(1 + j/(h*w))
		}
	}
	q := spectral.Orthonormal(rng, c, c, false)
	y := make([]float64, n*c*h*w)
	decomp.Apply(decomp.NewProjection(q), x.RawMatrix().Data, y, n, decomp.Layout{Groups: 1, Inner: h * w}, 2)
	before, err := spectral.ChannelEigenvalues(spectral.Tensor{Shape: []int{n, c, h, w}, F64: x.RawMatrix().Data}, true)
	if err != nil {
		t.Fatal(err)
	}
	after, err := spectral.ChannelEigenvalues(spectral.Tensor{Shape: []int{n, c, h, w}, F64: y}, true)
	if err != nil {
		t.Fatal(err)
	}
	golden.CloseRel(t, "channel spectrum after an orthogonal channel map", after, before, 1e-12)
}

func BenchmarkSRP10000x100000to8000(b *testing.B) {
	if os.Getenv("EIGENLAB_LONG") == "" {
		b.Skip("set EIGENLAB_LONG=1: needs 4 GB of float32 input")
	}
	const n, d, k = 10000, 100000, 8000
	x := benchInput(n, d)
	y := make([]float32, n*k)
	b.ResetTimer()
	for b.Loop() {
		r := decomp.NewSRP(rand.New(rand.NewPCG(5, 5)), d, k, decomp.DefaultDensity(d))
		decomp.Apply(r, x, y, n, decomp.Layout{Groups: 1, Inner: 1}, 0)
	}
}

// benchInput is the float32 input of the SRP benchmarks: the LCG that
// bench/sklearn_srp.py regenerates, uniform in [−1, 1).
func benchInput(n, d int) []float32 {
	x := make([]float32, n*d)
	s := uint64(1)
	for i := range x {
		s = s*6364136223846793005 + 1442695040888963407
		x[i] = float32(s>>11)/float32(1<<53)*2 - 1
	}
	return x
}
