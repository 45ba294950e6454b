//go:build amd64 && !purego

#include "textflag.h"

// dwMask<>+32−4r is the VMASKMOVPS mask of the first r of 8 lanes.
DATA dwMask<>+0(SB)/4, $0xffffffff
DATA dwMask<>+4(SB)/4, $0xffffffff
DATA dwMask<>+8(SB)/4, $0xffffffff
DATA dwMask<>+12(SB)/4, $0xffffffff
DATA dwMask<>+16(SB)/4, $0xffffffff
DATA dwMask<>+20(SB)/4, $0xffffffff
DATA dwMask<>+24(SB)/4, $0xffffffff
DATA dwMask<>+28(SB)/4, $0xffffffff
DATA dwMask<>+32(SB)/4, $0
DATA dwMask<>+36(SB)/4, $0
DATA dwMask<>+40(SB)/4, $0
DATA dwMask<>+44(SB)/4, $0
DATA dwMask<>+48(SB)/4, $0
DATA dwMask<>+52(SB)/4, $0
DATA dwMask<>+56(SB)/4, $0
DATA dwMask<>+60(SB)/4, $0
GLOBL dwMask<>(SB), RODATA|NOPTR, $64

// func depthwiseAVX2(dst, src *float32, taps *dwTap, k, oh, ow, pw int)
//
// For each output row oy < oh and column ox < ow, in row order into dst:
// acc = +0, then for each of the k taps in order acc = (x·w) + acc with x =
// src[tap.off + oy·pw + ox], rounding after the product and after the sum,
// the product the first source of both (as in gonum's SSE saxpy, which
// this replaces). 32 outputs at a time (four independent sums), then 8,
// then the row's last ow mod 8 through masked loads and stores.
TEXT ·depthwiseAVX2(SB), NOSPLIT, $0-56
	MOVQ dst+0(FP), DI
	MOVQ src+8(FP), SI
	MOVQ taps+16(FP), R8
	MOVQ k+24(FP), R13
	MOVQ oh+32(FP), R10
	MOVQ ow+40(FP), R11
	MOVQ pw+48(FP), R12
	SHLQ $2, R12        // bytes per phase row
	SHLQ $4, R13
	ADDQ R8, R13        // end of the taps
	MOVQ R11, AX
	ANDQ $7, AX
	SHLQ $2, AX
	LEAQ dwMask<>+32(SB), BX
	SUBQ AX, BX
	VMOVDQU (BX), Y15   // mask of the first ow mod 8 lanes

row:
	TESTQ R10, R10
	JZ    ret
	MOVQ  R11, CX       // outputs left in the row
	MOVQ  SI, DX        // phase position of the next output

loop32:
	CMPQ   CX, $32
	JL     loop8
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	VXORPS Y2, Y2, Y2
	VXORPS Y3, Y3, Y3
	MOVQ   R8, BX

tap32:
	CMPQ         BX, R13
	JEQ          store32
	MOVQ         0(BX), AX
	VBROADCASTSS 8(BX), Y8
	VMOVUPS      (DX)(AX*4), Y4
	VMOVUPS      32(DX)(AX*4), Y5
	VMOVUPS      64(DX)(AX*4), Y6
	VMOVUPS      96(DX)(AX*4), Y7
	VMULPS       Y8, Y4, Y4
	VMULPS       Y8, Y5, Y5
	VMULPS       Y8, Y6, Y6
	VMULPS       Y8, Y7, Y7
	VADDPS       Y0, Y4, Y0
	VADDPS       Y1, Y5, Y1
	VADDPS       Y2, Y6, Y2
	VADDPS       Y3, Y7, Y3
	ADDQ         $16, BX
	JMP          tap32

store32:
	VMOVUPS Y0, 0(DI)
	VMOVUPS Y1, 32(DI)
	VMOVUPS Y2, 64(DI)
	VMOVUPS Y3, 96(DI)
	ADDQ    $128, DI
	ADDQ    $128, DX
	SUBQ    $32, CX
	JMP     loop32

loop8:
	CMPQ   CX, $8
	JL     tail
	VXORPS Y0, Y0, Y0
	MOVQ   R8, BX

tap8:
	CMPQ         BX, R13
	JEQ          store8
	MOVQ         0(BX), AX
	VBROADCASTSS 8(BX), Y8
	VMOVUPS      (DX)(AX*4), Y4
	VMULPS       Y8, Y4, Y4
	VADDPS       Y0, Y4, Y0
	ADDQ         $16, BX
	JMP          tap8

store8:
	VMOVUPS Y0, 0(DI)
	ADDQ    $32, DI
	ADDQ    $32, DX
	SUBQ    $8, CX
	JMP     loop8

tail:
	TESTQ  CX, CX
	JZ     next
	VXORPS Y0, Y0, Y0
	MOVQ   R8, BX

tapTail:
	CMPQ         BX, R13
	JEQ          storeTail
	MOVQ         0(BX), AX
	VBROADCASTSS 8(BX), Y8
	VMASKMOVPS   (DX)(AX*4), Y15, Y4
	VMULPS       Y8, Y4, Y4
	VADDPS       Y0, Y4, Y0
	ADDQ         $16, BX
	JMP          tapTail

storeTail:
	VMASKMOVPS Y0, Y15, (DI)
	LEAQ       (DI)(CX*4), DI

next:
	ADDQ R12, SI
	DECQ R10
	JMP  row

ret:
	VZEROUPPER
	RET
