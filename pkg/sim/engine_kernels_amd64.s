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

// Horizontal sum of the int64 lanes of Y14 into R, and NaN flag of Y15 into B.
#define REDUCE(R, B) \
	VEXTRACTI128 $1, Y14, X1 \
	VPADDQ       X1, X14, X14 \
	VPSHUFD      $0x4E, X14, X1 \
	VPADDQ       X1, X14, X14 \
	VMOVQ        X14, R \
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

// func turingAVX2(nv, v, lv, na, a, la, nb, b, lb *float64, m int, k *kernelConsts) (turing int, nan bool)
TEXT ·turingAVX2(SB), NOSPLIT, $0-97
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
	VPXOR Y14, Y14, Y14 // Turing count (int64 lanes)
	VPXOR Y15, Y15, Y15 // NaN flags
	XORQ AX, AX

turing_loop:
	CMPQ    AX, CX
	JGE     turing_done
	// x = v + alpha*lv
	VMOVUPD (DX)(AX*8), Y0
	VMULPD  K_ALPHA(BX), Y0, Y0
	VADDPD  (SI)(AX*8), Y0, Y0
	// da = D_a*la + r_a*((a*(1-a)) - b); a' = a + da
	VMOVUPD (R9)(AX*8), Y1      // a
	VMOVUPD (R12)(AX*8), Y2     // b
	VMOVUPD K_ONE(BX), Y3
	VSUBPD  Y1, Y3, Y3          // 1 - a
	VMULPD  Y1, Y3, Y3          // a*(1-a)
	VSUBPD  Y2, Y3, Y3          // - b
	VMULPD  K_RA(BX), Y3, Y3    // r_a*(...)
	VMOVUPD (R10)(AX*8), Y4
	VMULPD  K_DA(BX), Y4, Y4    // D_a*La
	VADDPD  Y3, Y4, Y4          // da
	VADDPD  Y1, Y4, Y4          // a' = a + da
	// db = D_i*Lb + r_i*(a - b); b' = b + db
	VSUBPD  Y2, Y1, Y5          // a - b
	VMULPD  K_RI(BX), Y5, Y5
	VMOVUPD (R13)(AX*8), Y6
	VMULPD  K_DI(BX), Y6, Y6
	VADDPD  Y5, Y6, Y6          // db
	VADDPD  Y2, Y6, Y6          // b' = b + db
	// mask a' > theta: x += 0.005, count
	VCMPPD    $0x1E, K_THETA(BX), Y4, Y7
	VPSUBQ    Y7, Y14, Y14
	VADDPD    K_INC(BX), Y0, Y8
	VBLENDVPD Y7, Y8, Y0, Y0
	// clip a', b' to [0, 1]
	VCMPPD    $0x12, K_ZERO(BX), Y4, Y9
	VBLENDVPD Y9, K_ZERO(BX), Y4, Y4
	VCMPPD    $0x1D, K_ONE(BX), Y4, Y9
	VBLENDVPD Y9, K_ONE(BX), Y4, Y4
	VCMPPD    $0x12, K_ZERO(BX), Y6, Y9
	VBLENDVPD Y9, K_ZERO(BX), Y6, Y6
	VCMPPD    $0x1D, K_ONE(BX), Y6, Y9
	VBLENDVPD Y9, K_ONE(BX), Y6, Y6
	VCMPPD    $0x03, Y4, Y4, Y9
	VORPD     Y9, Y15, Y15
	VCMPPD    $0x03, Y6, Y6, Y9
	VORPD     Y9, Y15, Y15
	VMOVUPD   Y0, (DI)(AX*8)
	VMOVUPD   Y4, (R8)(AX*8)
	VMOVUPD   Y6, (R11)(AX*8)
	ADDQ      $4, AX
	JMP       turing_loop

turing_done:
	REDUCE(R8, R9B)
	MOVQ R8, turing+88(FP)
	MOVB R9B, nan+96(FP)
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

// CLAMP clamps Y0 (numpy clip to [lo, hi]) into Y1, counts the changed
// lanes in Y14 and ORs the NaN lanes into Y15.
#define CLAMP \
	VCMPPD    $0x12, K_LO(BX), Y0, Y9 \
	VBLENDVPD Y9, K_LO(BX), Y0, Y1 \
	VCMPPD    $0x1D, K_HI(BX), Y1, Y9 \
	VBLENDVPD Y9, K_HI(BX), Y1, Y1 \
	VCMPPD    $0x04, Y0, Y1, Y9 \
	VPSUBQ    Y9, Y14, Y14 \
	VCMPPD    $0x03, Y1, Y1, Y9 \
	VORPD     Y9, Y15, Y15

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
	CLAMP
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
	CLAMP
	VMOVUPD Y1, (DI)(AX*8)
	ADDQ    $4, AX
	JMP     clamp_loop

clamp_done:
	REDUCE(R8, R9B)
	MOVQ R8, changed+24(FP)
	MOVB R9B, nan+32(FP)
	VZEROUPPER
	RET
