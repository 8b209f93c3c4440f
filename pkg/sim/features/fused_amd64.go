//go:build amd64 && !purego

package features

import "golang.org/x/sys/cpu"

// haveAVX2 selects the AVX2 kernel; tests switch it off to compare.
var haveAVX2 = cpu.X86.HasAVX2

// fusedAVX2 is fusedGo on 4 lanes for len(field) a multiple of 4; the max
// of d is folded into *m.
//
//go:noescape
func fusedAVX2(field, next, cur, prev, d []float64, scale float64, m *float64)

// fused runs fusedGo's pass with AVX2 when available: VMULPD, VSUBPD and a
// sign-bit mask compute exactly the same doubles as the Go loop (no fused
// multiply-add), and the max is exact whatever the lane order.
func fused(field, next, cur, prev, d []float64, m float64) float64 {
	if !haveAVX2 || len(field) < 4 {
		return fusedGo(field, next, cur, prev, d, m)
	}
	n := len(field)
	n4 := n &^ 3
	_, _, _, _ = next[n-1], cur[n-1], prev[n-1], d[n-1] // same lengths
	fusedAVX2(field[:n4], next[:n4], cur[:n4], prev[:n4], d[:n4], mvScale, &m)
	return fusedGo(field[n4:], next[n4:n], cur[n4:n], prev[n4:n], d[n4:n], m)
}
