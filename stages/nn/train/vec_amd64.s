//go:build !purego

#include "textflag.h"

// Each loop does 8 values per iteration in two SSE2 registers, with the
// operations of vec.go's scalar loops in the same order: a product and a
// sum, each rounded (MULP, then ADDP; no FMA).

// func addScaled32(dst, x []float32, a float32, y []float32)
TEXT ·addScaled32(SB), NOSPLIT, $0-80
	MOVQ  dst_base+0(FP), DI
	MOVQ  dst_len+8(FP), CX
	MOVQ  x_base+24(FP), SI
	MOVSS a+48(FP), X0
	SHUFPS $0, X0, X0
	MOVQ  y_base+56(FP), DX
	SHRQ  $3, CX
	JZ    as32done
as32loop:
	MOVUPS (DX), X1
	MOVUPS 16(DX), X2
	MULPS  X0, X1
	MULPS  X0, X2
	MOVUPS (SI), X3
	MOVUPS 16(SI), X4
	ADDPS  X3, X1
	ADDPS  X4, X2
	MOVUPS X1, (DI)
	MOVUPS X2, 16(DI)
	ADDQ   $32, SI
	ADDQ   $32, DX
	ADDQ   $32, DI
	DECQ   CX
	JNZ    as32loop
as32done:
	RET

// func addScaled64(dst, x []float64, a float64, y []float64)
TEXT ·addScaled64(SB), NOSPLIT, $0-80
	MOVQ  dst_base+0(FP), DI
	MOVQ  dst_len+8(FP), CX
	MOVQ  x_base+24(FP), SI
	MOVSD a+48(FP), X0
	SHUFPD $0, X0, X0
	MOVQ  y_base+56(FP), DX
	SHRQ  $3, CX
	JZ    as64done
as64loop:
	MOVUPD (DX), X1
	MOVUPD 16(DX), X2
	MOVUPD 32(DX), X5
	MOVUPD 48(DX), X6
	MULPD  X0, X1
	MULPD  X0, X2
	MULPD  X0, X5
	MULPD  X0, X6
	MOVUPD (SI), X3
	MOVUPD 16(SI), X4
	MOVUPD 32(SI), X7
	MOVUPD 48(SI), X8
	ADDPD  X3, X1
	ADDPD  X4, X2
	ADDPD  X7, X5
	ADDPD  X8, X6
	MOVUPD X1, (DI)
	MOVUPD X2, 16(DI)
	MOVUPD X5, 32(DI)
	MOVUPD X6, 48(DI)
	ADDQ   $64, SI
	ADDQ   $64, DX
	ADDQ   $64, DI
	DECQ   CX
	JNZ    as64loop
as64done:
	RET

// func decay32(b []float32, m float32, g []float32, c float32)
TEXT ·decay32(SB), NOSPLIT, $0-60
	MOVQ  b_base+0(FP), DI
	MOVQ  b_len+8(FP), CX
	MOVSS m+24(FP), X0
	SHUFPS $0, X0, X0
	MOVQ  g_base+32(FP), SI
	MOVSS c+56(FP), X9
	SHUFPS $0, X9, X9
	SHRQ  $3, CX
	JZ    d32done
d32loop:
	MOVUPS (DI), X1
	MOVUPS 16(DI), X2
	MULPS  X0, X1
	MULPS  X0, X2
	MOVUPS (SI), X3
	MOVUPS 16(SI), X4
	MULPS  X9, X3
	MULPS  X9, X4
	ADDPS  X3, X1
	ADDPS  X4, X2
	MOVUPS X1, (DI)
	MOVUPS X2, 16(DI)
	ADDQ   $32, SI
	ADDQ   $32, DI
	DECQ   CX
	JNZ    d32loop
d32done:
	RET

// func decay64(b []float64, m float64, g []float64, c float64)
TEXT ·decay64(SB), NOSPLIT, $0-64
	MOVQ  b_base+0(FP), DI
	MOVQ  b_len+8(FP), CX
	MOVSD m+24(FP), X0
	SHUFPD $0, X0, X0
	MOVQ  g_base+32(FP), SI
	MOVSD c+56(FP), X9
	SHUFPD $0, X9, X9
	SHRQ  $3, CX
	JZ    d64done
d64loop:
	MOVUPD (DI), X1
	MOVUPD 16(DI), X2
	MOVUPD 32(DI), X5
	MOVUPD 48(DI), X6
	MULPD  X0, X1
	MULPD  X0, X2
	MULPD  X0, X5
	MULPD  X0, X6
	MOVUPD (SI), X3
	MOVUPD 16(SI), X4
	MOVUPD 32(SI), X7
	MOVUPD 48(SI), X8
	MULPD  X9, X3
	MULPD  X9, X4
	MULPD  X9, X7
	MULPD  X9, X8
	ADDPD  X3, X1
	ADDPD  X4, X2
	ADDPD  X7, X5
	ADDPD  X8, X6
	MOVUPD X1, (DI)
	MOVUPD X2, 16(DI)
	MOVUPD X5, 32(DI)
	MOVUPD X6, 48(DI)
	ADDQ   $64, SI
	ADDQ   $64, DI
	DECQ   CX
	JNZ    d64loop
d64done:
	RET
