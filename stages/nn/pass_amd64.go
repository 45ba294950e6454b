//go:build amd64 && !purego

package nn

import "golang.org/x/sys/cpu"

// useSIMD selects pass's AVX2 kernel. AVX2 is checked at run time with
// golang.org/x/sys/cpu (the CPUID bits and the OS's saving of the YMM
// registers). When the compiler fuses passGo's v·a+b into one FMA
// (GOAMD64=v3 and up), the kernel must fuse it too, so it then needs FMA.
var useSIMD = cpu.X86.HasAVX2 && (!goFusesMulAdd || cpu.X86.HasFMA)

// Mode bits of passAVX2.
const (
	passAffine = 1 << iota
	passAdd
	passClamp
	passFMA
)

// passAVX2 is passGo on n = len(d) values from d, src and s (nil unless
// passAdd), 8 at a time with the same float32 operations, in the same
// order and operand order, as the scalar code the compiler emits for
// passGo: VMULPS then VADDPS for v·a+b (one VFMADD when passFMA), and for
// min(max(x, 0), cap) the exact equivalent of the compiler's MINSS/POR
// sequences (see pass_amd64.s), so that NaN payloads and signed zeros come
// out the same.
//
//go:noescape
func passAVX2(d, src, s *float32, n int, a, b, cap float32, mode int)

func pass(d, src, s []float32, a, b, cap float32, affine, clamp bool) {
	if !useSIMD || len(d) == 0 {
		passGo(d, src, s, a, b, cap, affine, clamp)
		return
	}
	src = src[:len(d)]
	mode, sp := 0, (*float32)(nil)
	if affine {
		mode |= passAffine
		if goFusesMulAdd {
			// Which NaN a fused v·a+b returns when several of v, a, b
			// are NaN depends on the operand order the compiler chose
			// for each loop of passGo; with a and b not NaN it does not.
			if a != a || b != b {
				passGo(d, src, s, a, b, cap, affine, clamp)
				return
			}
			mode |= passFMA
		}
	}
	if s != nil {
		s = s[:len(d)]
		mode, sp = mode|passAdd, &s[0]
	}
	if clamp {
		mode |= passClamp
	}
	if mode == 0 {
		copy(d, src)
		return
	}
	passAVX2(&d[0], &src[0], sp, len(d), a, b, cap, mode)
}
