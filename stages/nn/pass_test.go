package nn

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// specialBits are float32 values that SIMD code is apt to get wrong:
// NaNs of both signs (quiet, signalling, with payloads), infinities,
// signed zeros, denormals, the extremes and values at the relu6 cap.
var specialBits = []uint32{
	0x7fc00000, 0xffc00000, 0x7f800001, 0xff800001, 0x7fc12345, 0xffa54321,
	0x7f800000, 0xff800000, 0x00000000, 0x80000000,
	0x00000001, 0x80000001, 0x007fffff, 0x807fffff, 0x00800000, 0x80800000,
	0x7f7fffff, 0xff7fffff, 0x3f800000, 0xbf800000,
	0x40c00000, 0xc0c00000, 0x40bfffff, 0x40c00001, 0x3f000000,
}

// passValue is a random float32: a special value, random bits or a
// value of order 1.
func passValue(r *rand.Rand) float32 {
	switch r.IntN(4) {
	case 0:
		return math.Float32frombits(specialBits[r.IntN(len(specialBits))])
	case 1:
		return math.Float32frombits(r.Uint32())
	default:
		return float32(r.NormFloat64() * 4)
	}
}

func passValues(r *rand.Rand, n int) []float32 {
	x := make([]float32, n)
	for i := range x {
		x[i] = passValue(r)
	}
	return x
}

// withSIMD runs f with pass's SIMD path on or off.
func withSIMD(on bool, f func()) {
	old := useSIMD
	useSIMD = on && old
	defer func() { useSIMD = old }()
	f()
}

// samebits reports the first index where a and b differ in their bits.
func samebits(a, b []float32) int {
	if len(a) != len(b) {
		return 0
	}
	for i := range a {
		if math.Float32bits(a[i]) != math.Float32bits(b[i]) {
			return i
		}
	}
	return -1
}

// TestPassSIMDBitIdentical requires the SIMD pass to give passGo's bits
// for every combination of affine, add and clamp, on random lengths
// (0–1000, covering the 32-, 8- and masked-tail parts), unaligned
// offsets, in place or not, with special values in the data and in a, b
// and cap.
func TestPassSIMDBitIdentical(t *testing.T) {
	if !useSIMD {
		t.Skip("no SIMD pass on this build or CPU")
	}
	r := rand.New(rand.NewPCG(3, 4))
	lengths := []int{0, 1, 7, 8, 9, 31, 32, 33, 39, 40, 63, 64, 65, 112, 1000}
	for range 300 {
		lengths = append(lengths, r.IntN(1001))
	}
	caps := []float32{6, float32(math.Inf(1)), 0.5, 1e-45, float32(math.NaN())}
	checked := 0
	for _, n := range lengths {
		for mode := 1; mode < 8; mode++ {
			affine, add, clamp := mode&1 != 0, mode&2 != 0, mode&4 != 0
			a, b, cap := passValue(r), passValue(r), caps[r.IntN(len(caps))]
			if r.IntN(2) == 0 { // ordinary weights most of the time
				a, b = float32(r.NormFloat64()), float32(r.NormFloat64())
			}
			o1, o2, o3 := r.IntN(8), r.IntN(8), r.IntN(8)
			src := passValues(r, n+o1)[o1:]
			var s []float32
			if add {
				s = passValues(r, n+o3)[o3:]
			}
			inPlace := r.IntN(2) == 0
			want := make([]float32, n+o2)[o2:]
			got := make([]float32, n+o2)[o2:]
			var gotSrc []float32
			if inPlace {
				gotSrc = got
				copy(got, src)
			} else {
				gotSrc = append([]float32(nil), src...)
			}
			passGo(want, src, s, a, b, cap, affine, clamp)
			pass(got, gotSrc, s, a, b, cap, affine, clamp)
			if i := samebits(got, want); i >= 0 {
				t.Fatalf("n=%d affine=%v add=%v clamp=%v a=%#x b=%#x cap=%#x in place=%v: element %d is %#08x, want %#08x (src %#08x)",
					n, affine, add, clamp, math.Float32bits(a), math.Float32bits(b), math.Float32bits(cap), inPlace,
					i, math.Float32bits(got[i]), math.Float32bits(want[i]), math.Float32bits(src[i]))
			}
			checked += n
		}
	}
	t.Logf("%d values checked", checked)
}

// TestPassSIMDSpecials runs every pair of special values (as v and as the
// scale, shift, added value or cap) through each mode.
func TestPassSIMDSpecials(t *testing.T) {
	if !useSIMD {
		t.Skip("no SIMD pass on this build or CPU")
	}
	var sp []float32
	for _, u := range specialBits {
		sp = append(sp, math.Float32frombits(u))
	}
	k := len(sp)
	// every (v, w) pair, v in src and w in s, 8-aligned runs plus a tail
	src, s := make([]float32, k*k), make([]float32, k*k)
	for i := range k {
		for j := range k {
			src[i*k+j], s[i*k+j] = sp[i], sp[j]
		}
	}
	want, got := make([]float32, len(src)), make([]float32, len(src))
	for mode := 1; mode < 8; mode++ {
		affine, add, clamp := mode&1 != 0, mode&2 != 0, mode&4 != 0
		ss := s
		if !add {
			ss = nil
		}
		for _, a := range sp {
			for _, b := range sp {
				for _, cap := range []float32{6, float32(math.Inf(1)), sp[0], sp[10]} {
					passGo(want, src, ss, a, b, cap, affine, clamp)
					pass(got, src, ss, a, b, cap, affine, clamp)
					if i := samebits(got, want); i >= 0 {
						t.Errorf("%s a=%#x b=%#x cap=%#x v=%#x s=%#x: got %#08x, want %#08x", modeName(mode),
							math.Float32bits(a), math.Float32bits(b), math.Float32bits(cap), math.Float32bits(src[i]), math.Float32bits(s[i]),
							math.Float32bits(got[i]), math.Float32bits(want[i]))
						return
					}
				}
				if !affine {
					break
				}
			}
			if !affine {
				break
			}
		}
	}
}

func modeName(mode int) string {
	return fmt.Sprintf("affine=%v add=%v clamp=%v", mode&1 != 0, mode&2 != 0, mode&4 != 0)
}

// TestNetSIMDBitIdentical requires every layer of three nets (inverted
// residuals with relu6, a resnet, a plain convnet) to be the same bytes
// with and without the SIMD pass.
func TestNetSIMDBitIdentical(t *testing.T) {
	if !useSIMD {
		t.Skip("no SIMD pass on this build or CPU")
	}
	for _, net := range []*Net{invertedResidual(t, 17), builtinNet(t, "resnet-small", 16), builtinNet(t, "convnet6", 16)} {
		names := net.Arch().Names()
		var ref, simd [][]float32
		withSIMD(false, func() { ref = extractAll(t, net, 3, 2, names) })
		withSIMD(true, func() { simd = extractAll(t, net, 3, 2, names) })
		for k, name := range names {
			if i := samebits(simd[k], ref[k]); i >= 0 {
				t.Errorf("%s %s: element %d differs with SIMD", net.Arch().Name, name, i)
			}
		}
	}
}

// TestGoFusesMulAdd requires the goFusesMulAdd probe to predict every
// affine loop of passGo: on (1+2⁻¹²)·(1+2⁻¹²) − (1+2⁻¹¹) a loop gives 2⁻²⁴
// if the compiler fused it and 0 if not. The SIMD pass picks its fused or
// unfused kernel (and useSIMD its CPU requirement) from the probe, so a
// probe that disagrees with passGo makes the two paths differ in the last
// bit on every affine layer.
func TestGoFusesMulAdd(t *testing.T) {
	const v, a, b = 1 + 0x1p-12, 1 + 0x1p-12, -(1 + 0x1p-11)
	inf := float32(math.Inf(1))
	for mode := 1; mode < 8; mode += 2 { // affine, with and without add and clamp
		add, clamp := mode&2 != 0, mode&4 != 0
		var s []float32
		if add {
			s = []float32{0}
		}
		d := make([]float32, 1)
		passGo(d, []float32{v}, s, a, b, inf, true, clamp)
		if fused := d[0] != 0; fused != goFusesMulAdd {
			t.Errorf("%s: passGo gives %g (fused %v), but goFusesMulAdd = %v", modeName(mode), d[0], fused, goFusesMulAdd)
		}
	}
}

// TestDepthwiseSIMDBitIdentical requires the AVX2 depthwise kernel (all
// taps per output at once) to give the bits of the saxpy-per-tap path,
// with and without a batch norm + relu6 + add tail, on random geometries
// (kernels 1–5, strides 1–3, both paddings, multipliers 1–2, widths
// covering the 32-, 8- and masked parts) and data with special values,
// weights with zeros of both signs and NaNs.
func TestDepthwiseSIMDBitIdentical(t *testing.T) {
	if !useSIMD {
		t.Skip("no SIMD kernels on this build or CPU")
	}
	r := rand.New(rand.NewPCG(5, 6))
	special := func(n int) []float32 {
		x := make([]float32, n)
		for i := range x {
			if r.IntN(50) == 0 {
				x[i] = math.Float32frombits(specialBits[r.IntN(len(specialBits))])
			} else {
				x[i] = float32(r.NormFloat64())
			}
		}
		return x
	}
	for trial := range 150 {
		c, mult := 1+r.IntN(3), 1+r.IntN(2)
		k, s := 1+2*r.IntN(3), 1+r.IntN(3)
		if r.IntN(4) > 0 {
			s = 1 + r.IntN(2)
		}
		h, w := 1+r.IntN(40), 1+r.IntN(80)
		pad := []string{"same", "valid"}[r.IntN(2)]
		if pad == "valid" {
			h, w = max(h, k), max(w, k)
		}
		n := Node{Op: OpDepthwise, Multiplier: mult, Kernel: []int{k, k}, Stride: []int{s, s}, Padding: pad}
		g := geometry(t, n, c, h, w)
		x, wt := special(c*h*w), special(g.oc*k*k)
		for i := range wt {
			switch r.IntN(8) {
			case 0:
				wt[i] = 0
			case 1:
				wt[i] = float32(math.Copysign(0, -1))
			}
		}
		if trial%10 == 0 {
			clear(wt[:k*k]) // an output channel with no tap left
		}
		dw := &depthwise{window: g, mult: mult, weight: wt}
		for _, withTail := range []bool{false, true} {
			ref, got := make([]float32, g.oc*g.oh*g.ow), make([]float32, g.oc*g.oh*g.ow)
			tl := noTail(ref, g.oc)
			if withTail {
				tl.args = [][]float32{special(len(ref))}
				tl.ops = []postOp{{kind: postBN, scale: special(g.oc), shift: special(g.oc)}, {kind: postAdd, arg: 0}, {kind: postReLU, cap: 6}}
			}
			withSIMD(false, func() { dw.run([][]float32{x}, ref, tl, &scratch{}) })
			withSIMD(true, func() { dw.run([][]float32{x}, got, tl, &scratch{}) })
			if i := samebits(got, ref); i >= 0 {
				t.Fatalf("c=%d mult=%d %dx%d k=%d s=%d %s tail=%v: element %d is %#08x, want %#08x",
					c, mult, h, w, k, s, pad, withTail, i, math.Float32bits(got[i]), math.Float32bits(ref[i]))
			}
		}
	}
}
