package runner

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"strconv"
	"syscall"
	"testing"
	"time"

	"gonum.org/v1/gonum/mat"

	"github.com/eigenlab/eigenlab/ndarray"
	"github.com/eigenlab/eigenlab/stages"
	"github.com/eigenlab/eigenlab/stages/spectral"
)

// The long tests (EIGENLAB_LONG=1, make test-long) run a stage pipeline in
// a child process, the test binary itself, so that the child's peak RSS
// (getrusage of the child) measures the pipeline alone. Sizes default to
// the and can be scaled down with EIGENLAB_LONG_SAMPLES,
// EIGENLAB_LONG_FEATURES and EIGENLAB_LONG_IMAGE (see BENCHMARKS.md for
// measured costs).
const longChild = "EIGENLAB_LONG_CHILD"

// longInt reads a size from the environment.
func longInt(t *testing.T, name string, def int) int {
	s := os.Getenv(name)
	if s == "" {
		return def
	}
	v, err := strconv.Atoi(s)
	if err != nil || v < 1 {
		t.Fatalf("%s=%q: want a positive integer", name, s)
	}
	return v
}

// inChild runs test name in a child process with extra environment and
// returns the child's peak RSS in bytes and its wall time. It returns
// false in the child itself, which then does the work.
func inChild(t *testing.T, env ...string) (child bool, peak int64, wall time.Duration) {
	if os.Getenv("EIGENLAB_LONG") != "1" {
		t.Skip("long test: set EIGENLAB_LONG=1 (make test-long)")
	}
	if os.Getenv(longChild) != "" {
		return true, 0, 0
	}
	cmd := exec.Command(os.Args[0], "-test.run=^"+t.Name()+"$", "-test.v", "-test.timeout=0")
	cmd.Env = append(append(os.Environ(), longChild+"=1"), env...)
	cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
	start := time.Now()
	if err := cmd.Run(); err != nil {
		t.Fatalf("child %s: %v", t.Name(), err)
	}
	wall = time.Since(start)
	return false, cmd.ProcessState.SysUsage().(*syscall.Rusage).Maxrss * 1024, wall
}

// plantedStream writes an N×P float32 matrix of rank K whose covariance
// eigenvalues are exactly k^−α (k = 1..K, up to float32 rounding), one row
// at a time: X = U diag(s) Vᵀ with U (N×K) orthonormal and centered, and
// V (P×K) orthonormal with disjoint supports (column k holds ±1/√m_k on
// the m_k features j ≡ k mod K), so nothing P-sized but one row and the
// signs is ever in memory.
type plantedStream struct{}

func init() { stages.Register(plantedStream{}) }

func (plantedStream) Kind() string                             { return "test_planted_stream" }
func (plantedStream) Version() string                          { return "1" }
func (plantedStream) Doc() string                              { return "test stage writing a planted power-law matrix row by row" }
func (plantedStream) Inputs() []stages.InputSpec               { return nil }
func (plantedStream) Outputs(stages.Params) []string           { return []string{"x"} }
func (plantedStream) Resources(stages.Params) stages.Resources { return stages.Resources{Threads: 1} }

func (plantedStream) Params() []stages.ParamSpec {
	return []stages.ParamSpec{
		{Name: "n", Type: stages.Int}, {Name: "p", Type: stages.Int}, {Name: "k", Type: stages.Int},
		{Name: "alpha", Type: stages.Float}, {Name: "seed", Type: stages.Int, Default: 0},
	}
}

func (plantedStream) Run(_ context.Context, scratch *ndarray.Scratch, _ stages.Inputs, p stages.Params) (stages.Outputs, error) {
	n, cols, k := p.Int("n"), p.Int("p"), p.Int("k")
	rng := stages.RNG("test_planted_stream", p.Int("seed"))
	u := thinOrthonormal(rng, n, k)
	lam := spectral.PowerLaw(p.Float("alpha"), k)
	coef := make([]float64, k)
	for c := range coef {
		m := (cols - c + k - 1) / k // features j ≡ c (mod k)
		coef[c] = math.Sqrt(lam[c]*float64(n-1)) / math.Sqrt(float64(m))
	}
	sign := make([]bool, cols)
	for j := range sign {
		sign[j] = rng.IntN(2) == 1
	}
	w, err := scratch.CreateArray(ndarray.Float32, []int{n, cols})
	if err != nil {
		return nil, err
	}
	row := make([]float32, cols)
	for i := 0; i < n; i++ {
		ui := u.RawRowView(i)
		for j := range row {
			v := ui[j%k] * coef[j%k]
			if sign[j] {
				v = -v
			}
			row[j] = float32(v)
		}
		if err := w.WriteFloat32s(row); err != nil {
			return nil, err
		}
	}
	f, err := w.Close()
	if err != nil {
		return nil, err
	}
	return stages.Outputs{"x": f}, nil
}

// thinOrthonormal is an n×k matrix with orthonormal, zero-mean columns:
// centered Gaussian columns orthonormalised by Cholesky QR twice (Q = A R⁻¹
// with RᵀR = AᵀA), in O(nk) memory where spectral.Orthonormal forms the
// n×n Q of a Householder QR.
func thinOrthonormal(rng *rand.Rand, n, k int) *mat.Dense {
	a := mat.NewDense(n, k, nil)
	raw := a.RawMatrix().Data
	for i := range raw {
		raw[i] = rng.NormFloat64()
	}
	a = spectral.Center(a)
	for range 2 {
		var g mat.SymDense
		g.SymOuterK(1, a.T())
		var ch mat.Cholesky
		if !ch.Factorize(&g) {
			panic("thinOrthonormal: Gram not positive definite")
		}
		var r mat.TriDense
		ch.UTo(&r)
		var qt mat.Dense // Qᵀ = R⁻ᵀ Aᵀ
		if err := qt.Solve(r.T(), a.T()); err != nil {
			panic(err)
		}
		a = mat.DenseCopyOf(qt.T())
	}
	return a
}

// TestLongStreamedSpectrum: the full-view spectrum of N×P float32 (10,000
// × 800,000 by default, 32 GB on disk) streamed from the cache recovers
// the planted α (rank min(1000, N/4)) within 4 GiB of peak RSS.
func TestLongStreamedSpectrum(t *testing.T) {
	const limit = 4 << 30
	child, peak, wall := inChild(t)
	if !child {
		t.Logf("child: peak RSS %.2f GiB, wall %v", float64(peak)/(1<<30), wall.Round(time.Second))
		if peak > limit {
			t.Errorf("peak RSS %.2f GiB exceeds 4 GiB", float64(peak)/(1<<30))
		}
		return
	}
	n, p := longInt(t, "EIGENLAB_LONG_SAMPLES", 10_000), longInt(t, "EIGENLAB_LONG_FEATURES", 800_000)
	yaml := fmt.Sprintf(`
name: long-spectrum
stages:
  x:
    kind: test_planted_stream
    params: {n: %d, p: %d, k: %d, alpha: 1.0}
  spectrum:
    kind: spectrum
    inputs: {x: x}
    params: {view: full}
`, n, p, min(1000, n/4))
	r := newRunner(t)
	s := run(t, r, plan(t, yaml), 2)
	for _, nd := range s.nodes {
		t.Logf("%s: wall %v, cpu %v, process peak RSS so far %.2f GiB", nd.inst.Name,
			nd.usage.Wall.Round(time.Second), nd.usage.CPU.Round(time.Second), float64(nd.usage.PeakRSS)/(1<<30))
	}
	for _, nd := range s.nodes {
		for _, o := range saved(r, nd) {
			if o.Name == "x" {
				t.Logf("input blob %.2f GB, handed to spectrum as an ArrayFile: %v", float64(o.Size)/1e9, o.Size > DefaultStreamAbove)
			}
		}
	}
	alpha := s.Scalars()[0].Values["alpha"]
	t.Logf("%d×%d float32 (%.1f GB): alpha %.6f (planted 1)", n, p, float64(n)*float64(p)*4/1e9, alpha)
	if math.Abs(alpha-1) > 0.01 {
		t.Errorf("alpha %v, planted 1", alpha)
	}
}

// randomImages writes n uniform random 3×size×size float32 images a row
// at a time, so the image stack is in memory only if the runner decides
// to hand it to extract whole (below StreamAbove).
type randomImages struct{}

func init() { stages.Register(randomImages{}) }

func (randomImages) Kind() string                             { return "test_random_images" }
func (randomImages) Version() string                          { return "1" }
func (randomImages) Doc() string                              { return "test stage writing random images one by one" }
func (randomImages) Inputs() []stages.InputSpec               { return nil }
func (randomImages) Outputs(stages.Params) []string           { return []string{"x"} }
func (randomImages) Resources(stages.Params) stages.Resources { return stages.Resources{Threads: 1} }

func (randomImages) Params() []stages.ParamSpec {
	return []stages.ParamSpec{{Name: "n", Type: stages.Int}, {Name: "size", Type: stages.Int}}
}

func (randomImages) Run(_ context.Context, scratch *ndarray.Scratch, _ stages.Inputs, p stages.Params) (stages.Outputs, error) {
	n, size := p.Int("n"), p.Int("size")
	w, err := scratch.CreateArray(ndarray.Float32, []int{n, 3, size, size})
	if err != nil {
		return nil, err
	}
	rng := rand.New(rand.NewPCG(1, 2))
	img := make([]float32, 3*size*size)
	for i := 0; i < n; i++ {
		for j := range img {
			img[j] = rng.Float32()
		}
		if err := w.WriteFloat32s(img); err != nil {
			return nil, err
		}
	}
	f, err := w.Close()
	if err != nil {
		return nil, err
	}
	return stages.Outputs{"x": f}, nil
}

// TestLongExtractPeakRSS: extracting the largest layer of convnet6 (conv1,
// 32×S×S) from 10,000 random S×S images (S = 160 by default: 819,200
// features, 33 GB of activations) writes the activations to the cache as
// they are produced, so the peak RSS stays below a quarter of their size.
func TestLongExtractPeakRSS(t *testing.T) {
	child, peak, wall := inChild(t)
	size := longInt(t, "EIGENLAB_LONG_IMAGE", 160)
	n := longInt(t, "EIGENLAB_LONG_SAMPLES", 10_000)
	if !child {
		acts := int64(n) * 32 * int64(size*size) * 4
		t.Logf("child: peak RSS %.2f GiB for %.1f GB of activations, wall %v", float64(peak)/(1<<30), float64(acts)/1e9, wall.Round(time.Second))
		if peak > acts/4 {
			t.Errorf("peak RSS %.2f GiB is more than a quarter of the %.1f GB of activations", float64(peak)/(1<<30), float64(acts)/1e9)
		}
		return
	}
	yaml := fmt.Sprintf(`
name: long-extract
stages:
  images:
    kind: test_random_images
    params: {n: %d, size: %d}
  net:
    kind: powerlaw_init
    params: {arch: convnet6, alpha: 1.0}
  acts:
    kind: extract
    inputs: {model: net, images: images}
    params: {layers: [conv1]}
`, n, size)
	s := run(t, newRunner(t), plan(t, yaml), 2)
	for _, nd := range s.nodes {
		t.Logf("%s: wall %v, cpu %v, process peak RSS so far %.2f GiB", nd.inst.Name,
			nd.usage.Wall.Round(time.Second), nd.usage.CPU.Round(time.Second), float64(nd.usage.PeakRSS)/(1<<30))
	}
}
