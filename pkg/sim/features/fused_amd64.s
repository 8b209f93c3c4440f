//go:build amd64 && !purego

#include "textflag.h"

// func fusedAVX2(field, next, cur, prev, d []float64, scale float64, m *float64)
// For k in 0..len(field)-1 (a multiple of 4):
//   next[k] = field[k]; cur[k] = field[k]*scale; d[k] = |cur[k] - prev[k]|
// and *m = max(*m, max_k d[k]). Go operand order: VOP src2, src1, dst
// computes dst = src1 OP src2. No fused multiply-add: each VMULPD/VSUBPD
// rounds on its own, exactly as the Go loop.
TEXT ·fusedAVX2(SB), NOSPLIT, $0-136
	MOVQ field_base+0(FP), SI
	MOVQ field_len+8(FP), CX
	MOVQ next_base+24(FP), R8
	MOVQ cur_base+48(FP), R9
	MOVQ prev_base+72(FP), R10
	MOVQ d_base+96(FP), R11
	VBROADCASTSD scale+120(FP), Y15
	MOVQ m+128(FP), DI
	VBROADCASTSD (DI), Y14
	MOVQ $0x7fffffffffffffff, AX
	MOVQ AX, X13
	VPBROADCASTQ X13, Y13
	XORQ BX, BX
	SHRQ $2, CX

loop:
	TESTQ CX, CX
	JZ    done
	VMOVUPD (SI)(BX*8), Y0
	VMOVUPD Y0, (R8)(BX*8)
	VMULPD  Y15, Y0, Y1
	VMOVUPD Y1, (R9)(BX*8)
	VSUBPD  (R10)(BX*8), Y1, Y2
	VANDPD  Y13, Y2, Y2
	VMOVUPD Y2, (R11)(BX*8)
	VMAXPD  Y2, Y14, Y14
	ADDQ    $4, BX
	DECQ    CX
	JMP     loop

done:
	VEXTRACTF128 $1, Y14, X0
	VMAXPD       X0, X14, X14
	VPERMILPD    $1, X14, X0
	VMAXPD       X0, X14, X14
	VMOVSD       X14, (DI)
	VZEROUPPER
	RET
