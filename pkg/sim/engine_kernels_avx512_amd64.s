//go:build amd64 && !purego

#include "textflag.h"

// AVX-512 versions of the row kernels of engine_kernels_amd64.s: the same
// per-lane operations on 8 lanes. Comparisons write mask registers; a
// masked move (VMOVAPD src, K, dst: dst = K ? src : dst) replaces the
// blends, and a masked add of ones counts lanes. See that file for the
// operand-order conventions and predicates.

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

// Count lanes in Z29 (int64), NaN mask in K3; ones in Z30. Clobbers AX.
#define INIT_ACC \
	VPXORQ       Z29, Z29, Z29 \
	MOVQ         $1, AX \
	VPBROADCASTQ AX, Z30 \
	KXORW        K3, K3, K3

// HSUM sums the int64 lanes of Y (whose low half is X) into R; clobbers X1.
#define HSUM(Y, X, R) \
	VEXTRACTI128 $1, Y, X1 \
	VPADDQ       X1, X, X \
	VPSHUFD      $0x4E, X, X1 \
	VPADDQ       X1, X, X \
	VMOVQ        X, R

// Horizontal sum of Z29 into R, NaN flag (K3 non-zero) into B.
#define REDUCE512(R, B) \
	VEXTRACTI64X4 $1, Z29, Y1 \
	VPADDQ        Y1, Y29, Y29 \
	VMOVDQU64     Y29, Y14 \
	HSUM(Y14, X14, R) \
	KORTESTW      K3, K3 \
	SETNE         B

// func lapInteriorAVX512(dst, up, down, cur *float64, m int, rl bool)
TEXT ·lapInteriorAVX512(SB), NOSPLIT, $0-41
	MOVQ    dst+0(FP), DI
	MOVQ    up+8(FP), SI
	MOVQ    down+16(FP), DX
	MOVQ    cur+24(FP), BX
	MOVQ    m+32(FP), CX
	MOVBLZX rl+40(FP), R9
	MOVQ    $0x4010000000000000, AX // 4.0
	VPBROADCASTQ AX, Z15
	MOVQ    $1, AX
	INCQ    CX
	TESTQ   R9, R9
	JNZ     rl512

lr512:
	CMPQ    AX, CX
	JGE     lap512_done
	VMOVUPD (SI)(AX*8), Z0
	VADDPD  (DX)(AX*8), Z0, Z0
	VADDPD  -8(BX)(AX*8), Z0, Z0
	VADDPD  8(BX)(AX*8), Z0, Z0
	VMULPD  (BX)(AX*8), Z15, Z1
	VSUBPD  Z1, Z0, Z0
	VMOVUPD Z0, (DI)(AX*8)
	ADDQ    $8, AX
	JMP     lr512

rl512:
	CMPQ    AX, CX
	JGE     lap512_done
	VMOVUPD (SI)(AX*8), Z0
	VADDPD  (DX)(AX*8), Z0, Z0
	VADDPD  8(BX)(AX*8), Z0, Z0
	VADDPD  -8(BX)(AX*8), Z0, Z0
	VMULPD  (BX)(AX*8), Z15, Z1
	VSUBPD  Z1, Z0, Z0
	VMOVUPD Z0, (DI)(AX*8)
	ADDQ    $8, AX
	JMP     rl512

lap512_done:
	VZEROUPPER
	RET

// CLAMP512(ACC) clamps Z0 into Z1 (numpy clip to [lo, hi] with lo in Z25,
// hi in Z26), counts changed lanes in ACC, ORs NaN lanes into K3.
#define CLAMP512(ACC) \
	VMOVAPD Z0, Z1 \
	VCMPPD  $0x12, Z25, Z0, K2 \
	VMOVAPD Z25, K2, Z1 \
	VCMPPD  $0x1D, Z26, Z1, K2 \
	VMOVAPD Z26, K2, Z1 \
	VCMPPD  $0x04, Z0, Z1, K2 \
	VPADDQ  Z30, ACC, K2, ACC \
	VCMPPD  $0x03, Z1, Z1, K2 \
	KORW    K2, K3, K3

// TURING512 computes x (with the Turing increment) into Z0 for the 8 cells
// at index AX and stores the clipped a', b'; Turing count in Z29, NaN
// lanes in K3.
#define TURING512 \
	VMOVUPD (DX)(AX*8), Z0 \
	VMULPD  Z16, Z0, Z0 \
	VADDPD  (SI)(AX*8), Z0, Z0 \
	VMOVUPD (R9)(AX*8), Z1 \
	VMOVUPD (R12)(AX*8), Z2 \
	VSUBPD  Z1, Z23, Z3 \
	VMULPD  Z1, Z3, Z3 \
	VSUBPD  Z2, Z3, Z3 \
	VMULPD  Z19, Z3, Z3 \
	VMOVUPD (R10)(AX*8), Z4 \
	VMULPD  Z17, Z4, Z4 \
	VADDPD  Z3, Z4, Z4 \
	VADDPD  Z1, Z4, Z4 \
	VSUBPD  Z2, Z1, Z5 \
	VMULPD  Z20, Z5, Z5 \
	VMOVUPD (R13)(AX*8), Z6 \
	VMULPD  Z18, Z6, Z6 \
	VADDPD  Z5, Z6, Z6 \
	VADDPD  Z2, Z6, Z6 \
	VCMPPD  $0x1E, Z21, Z4, K1 \
	VPADDQ  Z30, Z29, K1, Z29 \
	VADDPD  Z22, Z0, K1, Z0 \
	VCMPPD  $0x12, Z24, Z4, K2 \
	VMOVAPD Z24, K2, Z4 \
	VCMPPD  $0x1D, Z23, Z4, K2 \
	VMOVAPD Z23, K2, Z4 \
	VCMPPD  $0x12, Z24, Z6, K2 \
	VMOVAPD Z24, K2, Z6 \
	VCMPPD  $0x1D, Z23, Z6, K2 \
	VMOVAPD Z23, K2, Z6 \
	VCMPPD  $0x03, Z4, Z4, K2 \
	KORW    K2, K3, K3 \
	VCMPPD  $0x03, Z6, Z6, K2 \
	KORW    K2, K3, K3 \
	VMOVUPD Z4, (R8)(AX*8) \
	VMOVUPD Z6, (R11)(AX*8)

// func turingAVX512(nv, v, lv, na, a, la, nb, b, lb *float64, m int, k *kernelConsts, clamp bool) (turing, changed int, nan bool)
TEXT ·turingAVX512(SB), NOSPLIT, $0-113
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
	VBROADCASTSD K_ALPHA(BX), Z16
	VBROADCASTSD K_DA(BX), Z17
	VBROADCASTSD K_DI(BX), Z18
	VBROADCASTSD K_RA(BX), Z19
	VBROADCASTSD K_RI(BX), Z20
	VBROADCASTSD K_THETA(BX), Z21
	VBROADCASTSD K_INC(BX), Z22
	VBROADCASTSD K_ONE(BX), Z23
	VBROADCASTSD K_ZERO(BX), Z24
	VBROADCASTSD K_LO(BX), Z25
	VBROADCASTSD K_HI(BX), Z26
	VPXORQ       Z28, Z28, Z28 // clamp count
	INIT_ACC
	MOVBLZX clamp+88(FP), AX
	TESTQ   AX, AX
	JNZ     turing512_clamp_setup
	XORQ    AX, AX

turing512:
	CMPQ    AX, CX
	JGE     turing512_done
	TURING512
	VMOVUPD Z0, (DI)(AX*8)
	ADDQ    $8, AX
	JMP     turing512

turing512_clamp_setup:
	XORQ AX, AX

turing512_clamp:
	CMPQ    AX, CX
	JGE     turing512_done
	TURING512
	CLAMP512(Z28)
	VMOVUPD Z1, (DI)(AX*8)
	ADDQ    $8, AX
	JMP     turing512_clamp

turing512_done:
	VEXTRACTI64X4 $1, Z28, Y1
	VPADDQ        Y1, Y28, Y28
	VMOVDQU64     Y28, Y13
	HSUM(Y13, X13, R8)
	MOVQ R8, changed+104(FP)
	REDUCE512(R8, R9B)
	MOVQ R8, turing+96(FP)
	MOVB R9B, nan+112(FP)
	VZEROUPPER
	RET

// func jitterClampAVX512(v, z *float64, m int, k *kernelConsts) (changed int, nan bool)
TEXT ·jitterClampAVX512(SB), NOSPLIT, $0-41
	MOVQ v+0(FP), DI
	MOVQ z+8(FP), SI
	MOVQ m+16(FP), CX
	MOVQ k+24(FP), BX
	VBROADCASTSD K_ZERO(BX), Z24
	VBROADCASTSD K_LO(BX), Z25
	VBROADCASTSD K_HI(BX), Z26
	VBROADCASTSD K_SIGMA(BX), Z27
	INIT_ACC
	XORQ AX, AX

jitter512:
	CMPQ    AX, CX
	JGE     jitter512_done
	VMOVUPD (SI)(AX*8), Z2
	VMULPD  Z27, Z2, Z2         // sigma*z
	VADDPD  Z24, Z2, Z2         // 0 + sigma*z
	VMOVUPD (DI)(AX*8), Z0
	VADDPD  Z2, Z0, Z0          // V + noise
	CLAMP512(Z29)
	VMOVUPD Z1, (DI)(AX*8)
	ADDQ    $8, AX
	JMP     jitter512

jitter512_done:
	REDUCE512(R8, R9B)
	MOVQ R8, changed+32(FP)
	MOVB R9B, nan+40(FP)
	VZEROUPPER
	RET

// func clampAVX512(v *float64, m int, k *kernelConsts) (changed int, nan bool)
TEXT ·clampAVX512(SB), NOSPLIT, $0-33
	MOVQ v+0(FP), DI
	MOVQ m+8(FP), CX
	MOVQ k+16(FP), BX
	VBROADCASTSD K_LO(BX), Z25
	VBROADCASTSD K_HI(BX), Z26
	INIT_ACC
	XORQ AX, AX

clamp512:
	CMPQ    AX, CX
	JGE     clamp512_done
	VMOVUPD (DI)(AX*8), Z0
	CLAMP512(Z29)
	VMOVUPD Z1, (DI)(AX*8)
	ADDQ    $8, AX
	JMP     clamp512

clamp512_done:
	REDUCE512(R8, R9B)
	MOVQ R8, changed+24(FP)
	MOVB R9B, nan+32(FP)
	VZEROUPPER
	RET
