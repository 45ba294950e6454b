//go:build !purego

package serialblas

import (
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"sync"
	"testing"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/netlib/blas/netlib"

	// OpenBLAS's thread pool sized to the CPUs, as eigenlab runs it.
	_ "github.com/eigenlab/eigenlab/stages/linalg"
)

// shape is one product: m×k times k×n, with the row strides (0: dense).
type shape struct{ m, n, k, lda, ldb, ldc int }

func (s shape) String() string {
	return fmt.Sprintf("%d×%d×%d/%d,%d,%d", s.m, s.n, s.k, s.lda, s.ldb, s.ldc)
}

func (s shape) strides() (int, int, int) {
	return max(s.lda, s.k), max(s.ldb, s.n), max(s.ldc, s.n)
}

// operands returns random a, b and a c filled with NaN (beta = 0 must
// overwrite it, never scale it).
func (s shape) operands(seed uint64, ints bool) (a, b, c []float32) {
	lda, ldb, ldc := s.strides()
	rng := rand.New(rand.NewPCG(seed, 1))
	fill := func(n int) []float32 {
		v := make([]float32, n)
		for i := range v {
			if ints {
				v[i] = float32(rng.IntN(9) - 4)
			} else {
				v[i] = float32(rng.NormFloat64())
			}
		}
		return v
	}
	a, b = fill(lda*(s.m-1)+s.k), fill(ldb*(s.k-1)+s.n)
	c = make([]float32, ldc*(s.m-1)+s.n)
	for i := range c {
		c[i] = float32(nan())
	}
	return a, b, c
}

func nan() float64 { return math.NaN() }

// identical compares bit patterns (the gaps of strided c stay NaN).
func identical(x, y []float32) bool {
	if len(x) != len(y) {
		return false
	}
	for i := range x {
		if math.Float32bits(x[i]) != math.Float32bits(y[i]) {
			return false
		}
	}
	return true
}

func (s shape) run(a, b, c []float32) {
	lda, ldb, ldc := s.strides()
	Sgemm(s.m, s.n, s.k, a, lda, b, ldb, c, ldc)
}

func (s shape) reference(a, b []float32) []float32 {
	lda, ldb, ldc := s.strides()
	_, _, c := s.operands(0, true)
	netlib.Implementation{}.Sgemm(blas.NoTrans, blas.NoTrans, s.m, s.n, s.k, 1, a, lda, b, ldb, 0, c, ldc)
	return c
}

// TestAvailable requires the route on Debian's OpenBLAS, which eigenlab
// is built against: without it the forward pass falls back to sgemm_.
func TestAvailable(t *testing.T) {
	if !Available {
		t.Fatal("OpenBLAS's single-threaded SGEMM driver is not usable (symbols or parameter table not as expected)")
	}
}

// TestSgemmExact checks products of small integers, exact in any order,
// over shapes around OpenBLAS's blocking and unrolling and with strides.
func TestSgemmExact(t *testing.T) {
	for _, s := range []shape{{1, 1, 1, 0, 0, 0}, {3, 5, 7, 9, 6, 8}, {17, 33, 65, 0, 0, 0},
		{64, 1, 300, 0, 0, 0}, {1, 500, 40, 0, 0, 0}, {100, 60, 1100, 1111, 70, 61}, {1000, 49, 9, 0, 0, 0}} {
		a, b, c := s.operands(2, true)
		s.run(a, b, c)
		if want := s.reference(a, b); !identical(c, want) {
			t.Errorf("%v: differs from the exact product", s)
		}
	}
}

// TestSgemmMatchesThreadedOpenBLAS requires, on SkylakeX kernels (what
// eigenlab selects on AVX-512 CPUs), the bytes of OpenBLAS's sgemm_ on
// products large enough for it to use its thread pool, including depths
// that its threaded driver splits unevenly: the route changes who
// computes, not the values.
func TestSgemmMatchesThreadedOpenBLAS(t *testing.T) {
	if Core() != "SkylakeX" || runtime.NumCPU() < 2 {
		t.Skipf("OpenBLAS core %s on %d CPUs; the bytes are pinned for SkylakeX kernels on a thread pool", Core(), runtime.NumCPU())
	}
	for _, s := range []shape{{160, 49, 960, 0, 0, 0}, {96, 3136, 24, 0, 0, 0}, {32, 12544, 27, 0, 0, 0},
		{1280, 49, 320, 0, 0, 0}, {200, 333, 777, 800, 340, 350}, {70, 90, 300, 0, 0, 0},
		{64, 96, 1000, 0, 0, 0}, {33, 200, 1500, 0, 0, 0}} {
		a, b, c := s.operands(3, false)
		s.run(a, b, c)
		if want := s.reference(a, b); !identical(c, want) {
			t.Errorf("%v: differs from OpenBLAS's sgemm_", s)
		}
	}
}

// TestSgemmConcurrent runs the same product on several goroutines at once:
// each must get the sequential bytes (every call has its own buffer).
func TestSgemmConcurrent(t *testing.T) {
	s := shape{m: 144, n: 3136, k: 24}
	a, b, want := s.operands(4, false)
	s.run(a, b, want)
	var wg sync.WaitGroup
	got := make([][]float32, 4)
	for g := range got {
		_, _, got[g] = s.operands(4, false)
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 20 {
				s.run(a, b, got[g])
			}
		}()
	}
	wg.Wait()
	for g := range got {
		if !identical(got[g], want) {
			t.Errorf("goroutine %d of %d: differs from the sequential product", g, len(got))
		}
	}
}

// TestSgemmPanicsOnShortSlices guards the C call's bounds.
func TestSgemmPanicsOnShortSlices(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Fatal("no panic on a short c")
		}
	}()
	Sgemm(2, 3, 4, make([]float32, 8), 4, make([]float32, 12), 3, make([]float32, 5), 3)
}

// BenchmarkSgemm runs MobileNetV2's GEMM shapes (one 224×224 image: the
// first convolution's im2col product, an expansion, a projection at 7×7)
// on 1 and 2 goroutines at once, through Sgemm and through OpenBLAS's
// sgemm_ (its thread pool), in GFLOP/s over all goroutines.
func BenchmarkSgemm(b *testing.B) {
	routes := []struct {
		name string
		run  func(s shape, a, b, c []float32)
	}{
		{"serial", shape.run},
		{"sgemm_", func(s shape, a, b, c []float32) {
			lda, ldb, ldc := s.strides()
			netlib.Implementation{}.Sgemm(blas.NoTrans, blas.NoTrans, s.m, s.n, s.k, 1, a, lda, b, ldb, 0, c, ldc)
		}},
	}
	for _, s := range []shape{{m: 32, n: 12544, k: 27}, {m: 144, n: 3136, k: 24}, {m: 160, n: 49, k: 960}} {
		for _, r := range routes {
			for _, g := range []int{1, 2} {
				b.Run(fmt.Sprintf("%v/%s/goroutines=%d", s, r.name, g), func(b *testing.B) {
					ops := make([][3][]float32, g)
					for i := range ops {
						ops[i][0], ops[i][1], ops[i][2] = s.operands(uint64(i), false)
					}
					for b.Loop() {
						var wg sync.WaitGroup
						for _, op := range ops {
							wg.Go(func() { r.run(s, op[0], op[1], op[2]) })
						}
						wg.Wait()
					}
					flops := 2 * float64(s.m*s.n*s.k*g*b.N)
					b.ReportMetric(flops/b.Elapsed().Seconds()/1e9, "GFLOP/s")
				})
			}
		}
	}
}
