package nn

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"testing"
)

// naiveConv is the textbook grouped cross-correlation, one output at a
// time in float64, with explicit bounds checks instead of im2col. It also
// returns each output's sum of |x·w|, the scale of its rounding errors.
func naiveConv(x []float64, g window, groups int, w []float64) ([]float64, []float64) {
	cin, cout := g.c/groups, g.oc/groups
	out, mag := make([]float64, g.oc*g.oh*g.ow), make([]float64, g.oc*g.oh*g.ow)
	for o := 0; o < g.oc; o++ {
		grp := o / cout
		for oy := 0; oy < g.oh; oy++ {
			for ox := 0; ox < g.ow; ox++ {
				acc := 0.0
				for c := 0; c < cin; c++ {
					for i := 0; i < g.kh; i++ {
						for j := 0; j < g.kw; j++ {
							iy, ix := oy*g.sh+i-g.pt, ox*g.sw+j-g.pl
							if iy >= 0 && iy < g.h && ix >= 0 && ix < g.w {
								p := x[((grp*cin+c)*g.h+iy)*g.w+ix] * w[((o*cin+c)*g.kh+i)*g.kw+j]
								acc += p
								mag[(o*g.oh+oy)*g.ow+ox] += math.Abs(p)
							}
						}
					}
				}
				out[(o*g.oh+oy)*g.ow+ox] = acc
			}
		}
	}
	return out, mag
}

// f32 rounds to float32; f64 widens back.
func f32(x []float64) []float32 { return float32s(x) }

func f64(x []float32) []float64 {
	y := make([]float64, len(x))
	for i, v := range x {
		y[i] = float64(v)
	}
	return y
}

// checkF32 requires |got − want| ≤ 1e-5·mag elementwise (+ the last
// rounding to float32): float32 accumulation of at most a few hundred
// terms whose magnitudes sum to mag.
func checkF32(t *testing.T, what string, got []float32, want, mag []float64) {
	t.Helper()
	for i, v := range got {
		if d := math.Abs(float64(v) - want[i]); d > 1e-5*mag[i]+1e-7*math.Abs(want[i]) {
			t.Fatalf("%s[%d] = %g, want %g (|x·w| sum %g)", what, i, v, want[i], mag[i])
		}
	}
}

func randoms(rng *rand.Rand, n int) []float64 {
	v := make([]float64, n)
	for i := range v {
		v[i] = rng.NormFloat64()
	}
	return v
}

// geometry builds the window of a single conv/depthwise node on a c×h×w input.
func geometry(t testing.TB, n Node, c, h, w int) window {
	t.Helper()
	n.Name, n.Inputs = "layer", []string{"input"}
	out, err := n.infer([]Shape{{c, h, w}}, h, w)
	if err != nil {
		t.Fatal(err)
	}
	return newWindow(&n, Shape{c, h, w}, out)
}

// noTail is an empty tail for a c-channel output.
func noTail(out []float32, c int) tail { return tail{post: &post{c: c, l: len(out) / c}} }

// TestIm2colMatchesNaive compares the GEMM convolution with the direct
// float64 loops on random geometries, strides, paddings and groups, with
// its natural tiling and with one tile per output row or position.
func TestIm2colMatchesNaive(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for trial := 0; trial < 60; trial++ {
		groups := 1 + rng.IntN(3)
		c, cout := groups*(1+rng.IntN(4)), groups*(1+rng.IntN(4))
		kh, kw := 1+rng.IntN(5), 1+rng.IntN(5)
		h, w := kh+rng.IntN(9), kw+rng.IntN(9)
		n := Node{Op: OpConv, Channels: cout, Groups: groups, Kernel: []int{kh, kw},
			Stride: []int{1 + rng.IntN(3), 1 + rng.IntN(3)}, Padding: []string{"same", "valid"}[rng.IntN(2)]}
		t.Run(fmt.Sprintf("%d_%+v_%dx%dx%d", trial, n, c, h, w), func(t *testing.T) {
			g := geometry(t, n, c, h, w)
			x, wt := f32(randoms(rng, c*h*w)), f32(randoms(rng, cout*c/groups*kh*kw))
			want, mag := naiveConv(f64(x), g, groups, f64(wt))
			for _, tile := range []int{0, 1} {
				k := newConv(g, groups, wt)
				if tile > 0 {
					k.tile = 1
					if !k.pointwise() {
						k.tile = g.ow
					}
				}
				got := make([]float32, g.oc*g.oh*g.ow)
				k.run([][]float32{x}, got, noTail(got, g.oc), &scratch{})
				checkF32(t, fmt.Sprintf("tile %d", k.tile), got, want, mag)
			}
		})
	}
}

// TestDepthwiseMatchesGroupedConv checks the direct depthwise kernel
// against the im2col path with groups = C_in (the same operation).
func TestDepthwiseMatchesGroupedConv(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for _, tc := range []struct{ c, mult, h, w, k, s int }{
		{4, 1, 9, 9, 3, 1}, {3, 2, 10, 7, 3, 2}, {2, 3, 8, 8, 5, 2}, {5, 1, 6, 11, 1, 1},
	} {
		for _, pad := range []string{"same", "valid"} {
			n := Node{Op: OpDepthwise, Multiplier: tc.mult, Kernel: []int{tc.k, tc.k}, Stride: []int{tc.s, tc.s}, Padding: pad}
			g := geometry(t, n, tc.c, tc.h, tc.w)
			x, wt := f32(randoms(rng, tc.c*tc.h*tc.w)), f32(randoms(rng, g.oc*tc.k*tc.k))
			got, conv := make([]float32, g.oc*g.oh*g.ow), make([]float32, g.oc*g.oh*g.ow)
			(&depthwise{window: g, mult: tc.mult, weight: wt}).run([][]float32{x}, got, noTail(got, g.oc), &scratch{})
			newConv(g, tc.c, wt).run([][]float32{x}, conv, noTail(conv, g.oc), &scratch{})
			want, mag := naiveConv(f64(x), g, tc.c, f64(wt))
			checkF32(t, fmt.Sprintf("%+v %s: depthwise", tc, pad), got, want, mag)
			checkF32(t, fmt.Sprintf("%+v %s: grouped conv", tc, pad), conv, want, mag)
		}
	}
}

// TestInferErrors checks that bad graphs are refused with the node named.
func TestInferErrors(t *testing.T) {
	in := Node{Name: "input", Op: OpInput, Channels: 3}
	conv := func(mod func(*Node)) Node {
		n := Node{Name: "c", Op: OpConv, Inputs: []string{"input"}, Channels: 4, Kernel: []int{3, 3}, Stride: []int{1, 1}, Padding: "same"}
		mod(&n)
		return n
	}
	for _, tc := range []struct {
		name  string
		nodes []Node
		want  string
	}{
		{"no input", []Node{conv(func(*Node) {})}, "no input node"},
		{"forward reference", []Node{in, conv(func(n *Node) { n.Inputs = []string{"later"} })}, `reads "later"`},
		{"duplicate", []Node{in, conv(func(*Node) {}), conv(func(*Node) {})}, "duplicate"},
		{"slash", []Node{in, conv(func(n *Node) { n.Name = "a/b" })}, "slashed"},
		{"padding", []Node{in, conv(func(n *Node) { n.Padding = "full" })}, `padding "full"`},
		{"groups", []Node{in, conv(func(n *Node) { n.Groups = 2 })}, "groups dividing"},
		{"kernel too big", []Node{in, conv(func(n *Node) { n.Kernel = []int{9, 9}; n.Padding = "valid" })}, "smaller than the kernel"},
		{"activation", []Node{in, {Name: "p", Op: OpMaxPool, Inputs: []string{"input"}, Kernel: []int{2, 2}, Stride: []int{2, 2}, Padding: "valid", Activation: ActReLU}}, "only allowed"},
		{"dense on spatial", []Node{in, {Name: "d", Op: OpDense, Inputs: []string{"input"}, Channels: 2}}, "flat (D) tensor"},
		{"add shapes", []Node{in, conv(func(*Node) {}), {Name: "s", Op: OpAdd, Inputs: []string{"input", "c"}}}, "equal shapes"},
		{"unknown op", []Node{in, {Name: "x", Op: "lstm", Inputs: []string{"input"}}}, `unknown op "lstm"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a := &Arch{Format: Format, Name: "t", Nodes: tc.nodes}
			_, err := a.Infer(8, 8)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want one containing %q", err, tc.want)
			}
		})
	}
}

// BenchmarkConv measures the im2col + GEMM convolution of a 64-channel
// 32×32 image with 3×3 kernels to 128 channels (convnet6's conv4 shape).
func BenchmarkConv(b *testing.B) {
	n := Node{Op: OpConv, Channels: 128, Kernel: []int{3, 3}, Stride: []int{1, 1}, Padding: "same"}
	g := geometry(b, n, 64, 32, 32)
	rng := rand.New(rand.NewPCG(5, 6))
	c := newConv(g, 1, f32(randoms(rng, 128*64*9)))
	x, out, sc := f32(randoms(rng, 64*32*32)), make([]float32, 128*32*32), &scratch{}
	b.ResetTimer()
	for b.Loop() {
		c.run([][]float32{x}, out, noTail(out, 128), sc)
	}
	flops := 2.0 * 128 * 64 * 9 * 32 * 32
	b.ReportMetric(flops*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
}

// BenchmarkDepthwise measures the 3×3 depthwise convolution (with a batch
// norm + relu6 tail) at MobileNetV2's shapes, in ns per output.
func BenchmarkDepthwise(b *testing.B) {
	for _, tc := range []struct{ c, h, s int }{{32, 112, 1}, {96, 112, 2}, {144, 56, 1}, {192, 28, 1}, {576, 14, 1}, {960, 7, 1}} {
		b.Run(fmt.Sprintf("%dx%dx%d_s%d", tc.c, tc.h, tc.h, tc.s), func(b *testing.B) {
			n := Node{Op: OpDepthwise, Kernel: []int{3, 3}, Stride: []int{tc.s, tc.s}, Padding: "same"}
			g := geometry(b, n, tc.c, tc.h, tc.h)
			rng := rand.New(rand.NewPCG(1, 2))
			k := &depthwise{window: g, mult: 1, weight: f32(randoms(rng, tc.c*9))}
			x, out := f32(randoms(rng, tc.c*tc.h*tc.h)), make([]float32, g.oc*g.oh*g.ow)
			scale, shift := f32(randoms(rng, tc.c)), f32(randoms(rng, tc.c))
			t := noTail(out, g.oc)
			t.ops = []postOp{{kind: postBN, scale: scale, shift: shift}, {kind: postReLU, cap: 6}}
			sc := &scratch{}
			for b.Loop() {
				k.run([][]float32{x}, out, t, sc)
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(out)), "ns/output")
		})
	}
}
