//go:build amd64 && !purego

#include "textflag.h"

// passMask<>+32−4r is the VMASKMOVPS mask of the first r of 8 lanes.
DATA passMask<>+0(SB)/4, $0xffffffff
DATA passMask<>+4(SB)/4, $0xffffffff
DATA passMask<>+8(SB)/4, $0xffffffff
DATA passMask<>+12(SB)/4, $0xffffffff
DATA passMask<>+16(SB)/4, $0xffffffff
DATA passMask<>+20(SB)/4, $0xffffffff
DATA passMask<>+24(SB)/4, $0xffffffff
DATA passMask<>+28(SB)/4, $0xffffffff
DATA passMask<>+32(SB)/4, $0
DATA passMask<>+36(SB)/4, $0
DATA passMask<>+40(SB)/4, $0
DATA passMask<>+44(SB)/4, $0
DATA passMask<>+48(SB)/4, $0
DATA passMask<>+52(SB)/4, $0
DATA passMask<>+56(SB)/4, $0
DATA passMask<>+60(SB)/4, $0
GLOBL passMask<>(SB), RODATA|NOPTR, $64

// Register use: Y11 = +0, Y12 = a, Y13 = b, Y14 = cap, Y15 = 0x7fffffff
// (all lanes); the value v of each lane stays in its register (Y0–Y3),
// which is the first source of every arithmetic op, as v is in the scalar
// MULSS/ADDSS code of passGo (so that when two operands are NaN the same
// one is returned).

// v·a + b as MULSS then ADDSS (rounding after each).
#define MULADD(v) VMULPS Y12, v, v; VADDPS Y13, v, v

// v·a + b rounded once, as the VFMADD231SS that GOAMD64=v3 emits for it
// (b its first source, then v, then a), with t as scratch.
#define FMADD(v, t) VMOVAPS Y13, t; VFMADD231PS Y12, v, t; VMOVAPS t, v

// min(max(v, 0), cap) with t as scratch. The compiler computes max(x, 0)
// as −min(−x, −0) and min(x, y) as t1 | MINSS(t1, x) with t1 = MINSS(x, y)
// (MINSS(p, q) = p < q ? p : q, so q when either is NaN or both are zero).
// For y = −0 that is, lane by lane: x when x > 0; +0 when x ≤ 0 (−0
// included); x with its sign cleared when x is NaN (payload kept): which
// is |MAXPS(+0, x)| (MAXPS(p, q) = p > q ? p : q). The min with cap is
// done as the compiler does it.
#define CLAMP(v, t) 	VMAXPS v, Y11, v; 	VANDPS Y15, v, v; 	VMINPS Y14, v, t; 	VMINPS v, t, v; 	VORPS t, v, v

// func passAVX2(d, src, s *float32, n int, a, b, cap float32, mode int)
TEXT ·passAVX2(SB), NOSPLIT, $0-56
	MOVQ d+0(FP), DI
	MOVQ src+8(FP), SI
	MOVQ s+16(FP), DX
	MOVQ n+24(FP), CX
	MOVQ mode+48(FP), R8
	VBROADCASTSS a+32(FP), Y12
	VBROADCASTSS b+36(FP), Y13
	VBROADCASTSS cap+40(FP), Y14
	VXORPS Y11, Y11, Y11
	VPCMPEQD Y15, Y15, Y15
	VPSRLD $1, Y15, Y15


	// 32 values at a time
loop32:
	CMPQ CX, $32
	JL   done32
	VMOVUPS 0(SI), Y0
	VMOVUPS 32(SI), Y1
	VMOVUPS 64(SI), Y2
	VMOVUPS 96(SI), Y3
	TESTQ $1, R8
	JZ    add32
	TESTQ $8, R8
	JNZ   fma32
	MULADD(Y0)
	MULADD(Y1)
	MULADD(Y2)
	MULADD(Y3)
	JMP add32

fma32:
	FMADD(Y0, Y4)
	FMADD(Y1, Y5)
	FMADD(Y2, Y6)
	FMADD(Y3, Y7)

add32:
	TESTQ $2, R8
	JZ    clamp32
	VADDPS 0(DX), Y0, Y0
	VADDPS 32(DX), Y1, Y1
	VADDPS 64(DX), Y2, Y2
	VADDPS 96(DX), Y3, Y3

clamp32:
	TESTQ $4, R8
	JZ    store32
	CLAMP(Y0, Y4)
	CLAMP(Y1, Y5)
	CLAMP(Y2, Y6)
	CLAMP(Y3, Y7)

store32:
	VMOVUPS Y0, 0(DI)
	VMOVUPS Y1, 32(DI)
	VMOVUPS Y2, 64(DI)
	VMOVUPS Y3, 96(DI)
	ADDQ $128, SI
	ADDQ $128, DI
	ADDQ $128, DX
	SUBQ $32, CX
	JMP  loop32

done32:

	// 8 values at a time
loop8:
	CMPQ CX, $8
	JL   done8
	VMOVUPS 0(SI), Y0
	TESTQ $1, R8
	JZ    add8
	TESTQ $8, R8
	JNZ   fma8
	MULADD(Y0)
	JMP add8

fma8:
	FMADD(Y0, Y4)

add8:
	TESTQ $2, R8
	JZ    clamp8
	VADDPS 0(DX), Y0, Y0

clamp8:
	TESTQ $4, R8
	JZ    store8
	CLAMP(Y0, Y4)

store8:
	VMOVUPS Y0, 0(DI)
	ADDQ $32, SI
	ADDQ $32, DI
	ADDQ $32, DX
	SUBQ $8, CX
	JMP  loop8

done8:
	// the last n < 8 values, through masked loads and stores
	TESTQ CX, CX
	JZ    ret
	LEAQ  passMask<>+32(SB), AX
	SHLQ  $2, CX
	SUBQ  CX, AX
	VMOVDQU (AX), Y10
	VMASKMOVPS (SI), Y10, Y0
	TESTQ $1, R8
	JZ    addTail
	TESTQ $8, R8
	JNZ   fmaTail
	MULADD(Y0)
	JMP   addTail

fmaTail:
	FMADD(Y0, Y4)

addTail:
	TESTQ $2, R8
	JZ    clampTail
	VMASKMOVPS (DX), Y10, Y5
	VADDPS Y5, Y0, Y0

clampTail:
	TESTQ $4, R8
	JZ    storeTail
	CLAMP(Y0, Y4)

storeTail:
	VMASKMOVPS Y0, Y10, (DI)

ret:
	VZEROUPPER
	RET
