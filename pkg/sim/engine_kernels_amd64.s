//go:build amd64 && !purego

#include "textflag.h"

// AVX2 row kernels for engine_kernels.go. Every lane performs exactly the
// IEEE-754 double operations of the Go loops, in the same order (VADDPD,
// VSUBPD, VMULPD round to nearest; there is no fused multiply-add), so the
// results are bit-identical. Comparisons use ordered predicates so that NaN
// behaves as in numpy:
//   LE_OQ = 0x12, GE_OQ = 0x1D, GT_OQ = 0x1E, NEQ_UQ = 0x04, UNORD_Q = 0x03.
// Which NaN a NaN result carries (sign, payload) is not specified: it
// depends on operand order, which neither Go nor C compilers preserve for
// commutative operations. Only the NaN-ness is part of the contract.
// Go operand order: VOP src2, src1, dst computes dst = src1 OP src2;
// VCMPPD $p, src2, src1, dst computes dst = (src1 p src2);
// VBLENDVPD mask, a, b, dst computes dst = mask ? a : b.

// kernelConsts offsets (each field is [4]float64 = 32 bytes).
#define K_ALPHA 0
#define K_DA 32
#define K_DI 64
#define K_RA 96
#define K_RI 128
#define K_THETA 160
#define K_INC 192
#define K_ONE 224
#define K_ZERO 256
#define K_LO 288
#define K_HI 320
#define K_SIGMA 352
#define K_FOUR 384

// HSUM sums the int64 lanes of Y (whose low half is X) into R; clobbers X1.
#define HSUM(Y, X, R) \
	VEXTRACTI128 $1, Y, X1 \
	VPADDQ       X1, X, X \
	VPSHUFD      $0x4E, X, X1 \
	VPADDQ       X1, X, X \
	VMOVQ        X, R

// Horizontal sum of the int64 lanes of Y14 into R, and NaN flag of Y15 into B.
#define REDUCE(R, B) \
	HSUM(Y14, X14, R) \
	VPTEST       Y15, Y15 \
	SETNE        B

// func lapInteriorAVX2(dst, up, down, cur *float64, m int, rl bool)
// dst[j] = (((up[j] + down[j]) + cur[j-1]) + cur[j+1]) - 4*cur[j] for
// j = 1..m (rl: cur[j+1] before cur[j-1]).
TEXT ·lapInteriorAVX2(SB), NOSPLIT, $0-41
	MOVQ dst+0(FP), DI
	MOVQ up+8(FP), SI
	MOVQ down+16(FP), DX
	MOVQ cur+24(FP), BX
	MOVQ m+32(FP), CX
	MOVBLZX rl+40(FP), R9
	MOVQ $0x4010000000000000, AX // 4.0
	MOVQ AX, X15
	VBROADCASTSD X15, Y15
	MOVQ $1, AX
	INCQ CX                      // end = m + 1
	TESTQ R9, R9
	JNZ  rl_loop

lr_loop:
	CMPQ    AX, CX
	JGE     lap_done
	VMOVUPD (SI)(AX*8), Y0
	VADDPD  (DX)(AX*8), Y0, Y0
	VADDPD  -8(BX)(AX*8), Y0, Y0
	VADDPD  8(BX)(AX*8), Y0, Y0
	VMULPD  (BX)(AX*8), Y15, Y1
	VSUBPD  Y1, Y0, Y0
	VMOVUPD Y0, (DI)(AX*8)
	ADDQ    $4, AX
	JMP     lr_loop

rl_loop:
	CMPQ    AX, CX
	JGE     lap_done
	VMOVUPD (SI)(AX*8), Y0
	VADDPD  (DX)(AX*8), Y0, Y0
	VADDPD  8(BX)(AX*8), Y0, Y0
	VADDPD  -8(BX)(AX*8), Y0, Y0
	VMULPD  (BX)(AX*8), Y15, Y1
	VSUBPD  Y1, Y0, Y0
	VMOVUPD Y0, (DI)(AX*8)
	ADDQ    $4, AX
	JMP     rl_loop

lap_done:
	VZEROUPPER
	RET

// CLAMP clamps Y0 (numpy clip to [lo, hi]) into Y1, counts the changed
// lanes in ACC and ORs the NaN lanes into Y15.
#define CLAMP(ACC) \
	VCMPPD    $0x12, K_LO(BX), Y0, Y9 \
	VBLENDVPD Y9, K_LO(BX), Y0, Y1 \
	VCMPPD    $0x1D, K_HI(BX), Y1, Y9 \
	VBLENDVPD Y9, K_HI(BX), Y1, Y1 \
	VCMPPD    $0x04, Y0, Y1, Y9 \
	VPSUBQ    Y9, ACC, ACC \
	VCMPPD    $0x03, Y1, Y1, Y9 \
	VORPD     Y9, Y15, Y15

// TURING computes, for the 4 cells at index AX, x = V + alpha*LV plus the
// Turing increment into Y0 and stores the clipped a' and b'; the Turing
// count goes to Y14 and the NaN lanes of a', b' to Y15.
#define TURING \
	VMOVUPD   (DX)(AX*8), Y0 \
	VMULPD    K_ALPHA(BX), Y0, Y0 \
	VADDPD    (SI)(AX*8), Y0, Y0 \
	VMOVUPD   (R9)(AX*8), Y1 \
	VMOVUPD   (R12)(AX*8), Y2 \
	VMOVUPD   K_ONE(BX), Y3 \
	VSUBPD    Y1, Y3, Y3 \
	VMULPD    Y1, Y3, Y3 \
	VSUBPD    Y2, Y3, Y3 \
	VMULPD    K_RA(BX), Y3, Y3 \
	VMOVUPD   (R10)(AX*8), Y4 \
	VMULPD    K_DA(BX), Y4, Y4 \
	VADDPD    Y3, Y4, Y4 \
	VADDPD    Y1, Y4, Y4 \
	VSUBPD    Y2, Y1, Y5 \
	VMULPD    K_RI(BX), Y5, Y5 \
	VMOVUPD   (R13)(AX*8), Y6 \
	VMULPD    K_DI(BX), Y6, Y6 \
	VADDPD    Y5, Y6, Y6 \
	VADDPD    Y2, Y6, Y6 \
	VCMPPD    $0x1E, K_THETA(BX), Y4, Y7 \
	VPSUBQ    Y7, Y14, Y14 \
	VADDPD    K_INC(BX), Y0, Y8 \
	VBLENDVPD Y7, Y8, Y0, Y0 \
	VCMPPD    $0x12, K_ZERO(BX), Y4, Y9 \
	VBLENDVPD Y9, K_ZERO(BX), Y4, Y4 \
	VCMPPD    $0x1D, K_ONE(BX), Y4, Y9 \
	VBLENDVPD Y9, K_ONE(BX), Y4, Y4 \
	VCMPPD    $0x12, K_ZERO(BX), Y6, Y9 \
	VBLENDVPD Y9, K_ZERO(BX), Y6, Y6 \
	VCMPPD    $0x1D, K_ONE(BX), Y6, Y9 \
	VBLENDVPD Y9, K_ONE(BX), Y6, Y6 \
	VCMPPD    $0x03, Y4, Y4, Y9 \
	VORPD     Y9, Y15, Y15 \
	VCMPPD    $0x03, Y6, Y6, Y9 \
	VORPD     Y9, Y15, Y15 \
	VMOVUPD   Y4, (R8)(AX*8) \
	VMOVUPD   Y6, (R11)(AX*8)

// func turingAVX2(nv, v, lv, na, a, la, nb, b, lb *float64, m int, k *kernelConsts, clamp bool) (turing, changed int, nan bool)
// Per cell (see turingRow):
//   x = V + alpha*LV
//   a' = a + (D_a*La + r_a*((a*(1-a)) - b)),  b' = b + (D_i*Lb + r_i*(a - b))
//   x += 0.005 where a' > theta; a', b' clipped to [0, 1]
//   with clamp: x clipped to [lo, hi] (changed lanes counted)
TEXT ·turingAVX2(SB), NOSPLIT, $0-113
	MOVQ nv+0(FP), DI
	MOVQ v+8(FP), SI
	MOVQ lv+16(FP), DX
	MOVQ na+24(FP), R8
	MOVQ a+32(FP), R9
	MOVQ la+40(FP), R10
	MOVQ nb+48(FP), R11
	MOVQ b+56(FP), R12
	MOVQ lb+64(FP), R13
	MOVQ m+72(FP), CX
	MOVQ k+80(FP), BX
	VPXOR Y13, Y13, Y13 // clamp count
	VPXOR Y14, Y14, Y14 // Turing count (int64 lanes)
	VPXOR Y15, Y15, Y15 // NaN flags
	MOVBLZX clamp+88(FP), AX
	TESTQ AX, AX
	JNZ   turing_clamp_setup
	XORQ  AX, AX

turing_loop:
	CMPQ    AX, CX
	JGE     turing_done
	TURING
	VMOVUPD Y0, (DI)(AX*8)
	ADDQ    $4, AX
	JMP     turing_loop

turing_clamp_setup:
	XORQ AX, AX

turing_clamp_loop:
	CMPQ    AX, CX
	JGE     turing_done
	TURING
	CLAMP(Y13)
	VMOVUPD Y1, (DI)(AX*8)
	ADDQ    $4, AX
	JMP     turing_clamp_loop

turing_done:
	HSUM(Y13, X13, R8)
	MOVQ R8, changed+104(FP)
	REDUCE(R8, R9B)
	MOVQ R8, turing+96(FP)
	MOVB R9B, nan+112(FP)
	VZEROUPPER
	RET

// func diffuseAVX2(nv, v, lv *float64, m int, k *kernelConsts)
TEXT ·diffuseAVX2(SB), NOSPLIT, $0-40
	MOVQ nv+0(FP), DI
	MOVQ v+8(FP), SI
	MOVQ lv+16(FP), DX
	MOVQ m+24(FP), CX
	MOVQ k+32(FP), BX
	XORQ AX, AX

diffuse_loop:
	CMPQ    AX, CX
	JGE     diffuse_done
	VMOVUPD (DX)(AX*8), Y0
	VMULPD  K_ALPHA(BX), Y0, Y0
	VADDPD  (SI)(AX*8), Y0, Y0
	VMOVUPD Y0, (DI)(AX*8)
	ADDQ    $4, AX
	JMP     diffuse_loop

diffuse_done:
	VZEROUPPER
	RET

// func jitterClampAVX2(v, z *float64, m int, k *kernelConsts) (changed int, nan bool)
// v[j] = clip(v[j] + (0 + sigma*z[j]), lo, hi)
TEXT ·jitterClampAVX2(SB), NOSPLIT, $0-41
	MOVQ v+0(FP), DI
	MOVQ z+8(FP), SI
	MOVQ m+16(FP), CX
	MOVQ k+24(FP), BX
	VPXOR Y14, Y14, Y14
	VPXOR Y15, Y15, Y15
	XORQ AX, AX

jitter_loop:
	CMPQ    AX, CX
	JGE     jitter_done
	VMOVUPD (SI)(AX*8), Y2
	VMULPD  K_SIGMA(BX), Y2, Y2
	VADDPD  K_ZERO(BX), Y2, Y2
	VMOVUPD (DI)(AX*8), Y0
	VADDPD  Y2, Y0, Y0
	CLAMP(Y14)
	VMOVUPD Y1, (DI)(AX*8)
	ADDQ    $4, AX
	JMP     jitter_loop

jitter_done:
	REDUCE(R8, R9B)
	MOVQ R8, changed+32(FP)
	MOVB R9B, nan+40(FP)
	VZEROUPPER
	RET

// func clampAVX2(v *float64, m int, k *kernelConsts) (changed int, nan bool)
TEXT ·clampAVX2(SB), NOSPLIT, $0-33
	MOVQ v+0(FP), DI
	MOVQ m+8(FP), CX
	MOVQ k+16(FP), BX
	VPXOR Y14, Y14, Y14
	VPXOR Y15, Y15, Y15
	XORQ AX, AX

clamp_loop:
	CMPQ    AX, CX
	JGE     clamp_done
	VMOVUPD (DI)(AX*8), Y0
	CLAMP(Y14)
	VMOVUPD Y1, (DI)(AX*8)
	ADDQ    $4, AX
	JMP     clamp_loop

clamp_done:
	REDUCE(R8, R9B)
	MOVQ R8, changed+24(FP)
	MOVB R9B, nan+32(FP)
	VZEROUPPER
	RET
