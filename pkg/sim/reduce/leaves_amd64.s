//go:build amd64 && !purego

#include "textflag.h"

// Batched pairwise leaves (see leaves_amd64.go). Four leaves of 128 doubles
// (1024 bytes each) are summed together: leaf i's partial sums p0..p3 are
// in Y(2i) and p4..p7 in Y(2i+1). Go operand order: VOP src2, src1, dst
// computes dst = src1 OP src2. VHADDPD b, a, t gives
// t = [a0+a1, b0+b1, a2+a3, b2+b3].

// COMBINE stores ((p0+p1)+(p2+p3))+((p4+p5)+(p6+p7)) of the leaf in YA/YB
// (low halves XA) to DST; clobbers Y8 and YA.
#define COMBINE(YA, YB, XA, DST) \
	VHADDPD      YB, YA, Y8 \
	VEXTRACTF128 $1, Y8, XA \
	VADDPD       XA, X8, X8 \
	VPERMILPD    $1, X8, XA \
	VADDSD       XA, X8, X8 \
	VMOVSD       X8, DST

#define COMBINE4 \
	COMBINE(Y0, Y1, X0, 0(DI)) \
	COMBINE(Y2, Y3, X2, 8(DI)) \
	COMBINE(Y4, Y5, X4, 16(DI)) \
	COMBINE(Y6, Y7, X6, 24(DI))

// Plain values.
#define INIT_SUM(OFF, Y) VMOVUPD OFF(SI), Y
#define ADD_SUM(OFF, Y) VADDPD OFF(SI)(AX*1), Y, Y

// Squared deviations: d = x - mu (mu in Y15), v = d*d.
#define INIT_DEV(OFF, Y) VMOVUPD OFF(SI), Y; VSUBPD Y15, Y, Y; VMULPD Y, Y, Y
#define ADD_DEV(OFF, Y) VMOVUPD OFF(SI)(AX*1), Y9; VSUBPD Y15, Y9, Y9; VMULPD Y9, Y9, Y9; VADDPD Y9, Y, Y

// Each function: SI = x, DI = out, CX = number of groups of 4 leaves; AX
// is the byte offset inside the leaves (the first group of eight is the
// INIT, then 15 ADDs).

// func leavesSumAVX2(x []float64, out []float64)
TEXT ·leavesSumAVX2(SB), NOSPLIT, $0-48
	MOVQ x_base+0(FP), SI
	MOVQ out_base+24(FP), DI
	MOVQ out_len+32(FP), CX
	SHRQ $2, CX

group:
	TESTQ CX, CX
	JZ    end
	INIT_SUM(0, Y0); INIT_SUM(32, Y1); INIT_SUM(1024, Y2); INIT_SUM(1056, Y3)
	INIT_SUM(2048, Y4); INIT_SUM(2080, Y5); INIT_SUM(3072, Y6); INIT_SUM(3104, Y7)
	MOVQ  $64, AX

inner:
	ADD_SUM(0, Y0); ADD_SUM(32, Y1); ADD_SUM(1024, Y2); ADD_SUM(1056, Y3)
	ADD_SUM(2048, Y4); ADD_SUM(2080, Y5); ADD_SUM(3072, Y6); ADD_SUM(3104, Y7)
	ADDQ  $64, AX
	CMPQ  AX, $1024
	JLT   inner
	COMBINE4
	ADDQ  $4096, SI
	ADDQ  $32, DI
	DECQ  CX
	JMP   group

end:
	VZEROUPPER
	RET

// func leavesSqDevAVX2(x []float64, mu float64, out []float64)
TEXT ·leavesSqDevAVX2(SB), NOSPLIT, $0-56
	MOVQ x_base+0(FP), SI
	VBROADCASTSD mu+24(FP), Y15
	MOVQ out_base+32(FP), DI
	MOVQ out_len+40(FP), CX
	SHRQ $2, CX

group:
	TESTQ CX, CX
	JZ    end
	INIT_DEV(0, Y0); INIT_DEV(32, Y1); INIT_DEV(1024, Y2); INIT_DEV(1056, Y3)
	INIT_DEV(2048, Y4); INIT_DEV(2080, Y5); INIT_DEV(3072, Y6); INIT_DEV(3104, Y7)
	MOVQ  $64, AX

inner:
	ADD_DEV(0, Y0); ADD_DEV(32, Y1); ADD_DEV(1024, Y2); ADD_DEV(1056, Y3)
	ADD_DEV(2048, Y4); ADD_DEV(2080, Y5); ADD_DEV(3072, Y6); ADD_DEV(3104, Y7)
	ADDQ  $64, AX
	CMPQ  AX, $1024
	JLT   inner
	COMBINE4
	ADDQ  $4096, SI
	ADDQ  $32, DI
	DECQ  CX
	JMP   group

end:
	VZEROUPPER
	RET
