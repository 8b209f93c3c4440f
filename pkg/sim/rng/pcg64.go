package rng

import "math/bits"

// PCG64 multiplier 0x2360ED051FC65DA44385DF649FCCF645.
const (
	mulHi = 0x2360ed051fc65da4
	mulLo = 0x4385df649fccf645
)

// Uint128 is an unsigned 128-bit integer.
type Uint128 struct {
	Hi, Lo uint64
}

// PCG64 is numpy's PCG64 bit generator (PCG XSL-RR 128/64) together with
// its buffered 32-bit output.
type PCG64 struct {
	state, inc Uint128
	has32      bool
	buf32      uint32
}

// seed seeds the generator from numpy's four SeedSequence state words
// (initstate = w0:w1, initseq = w2:w3) exactly like pcg64_set_seed.
func (p *PCG64) seed(w [4]uint64) {
	initstate := Uint128{w[0], w[1]}
	initseq := Uint128{w[2], w[3]}
	p.inc = Uint128{initseq.Hi<<1 | initseq.Lo>>63, initseq.Lo<<1 | 1}
	p.state = Uint128{}
	p.advance()
	var c uint64
	p.state.Lo, c = bits.Add64(p.state.Lo, initstate.Lo, 0)
	p.state.Hi, _ = bits.Add64(p.state.Hi, initstate.Hi, c)
	p.advance()
	p.has32 = false
	p.buf32 = 0
}

// State returns the 128-bit LCG state and increment.
func (p *PCG64) State() (state, inc Uint128) { return p.state, p.inc }

// advance steps the LCG: state = state*M + inc (mod 2^128).
func (p *PCG64) advance() {
	hi, lo := bits.Mul64(p.state.Lo, mulLo)
	hi += p.state.Hi*mulLo + p.state.Lo*mulHi
	lo, c := bits.Add64(lo, p.inc.Lo, 0)
	p.state = Uint128{hi + p.inc.Hi + c, lo}
}

// Uint64 advances the LCG and returns the XSL-RR output of the new state:
// (high XOR low) rotated right by the top 6 bits of the state.
func (p *PCG64) Uint64() uint64 {
	p.advance()
	hi, lo := p.state.Hi, p.state.Lo
	return bits.RotateLeft64(hi^lo, -int(hi>>58))
}

// Uint32 returns numpy's buffered 32-bit output: the low half of a fresh
// 64-bit output, whose high half is kept and returned by the next call.
// The buffer survives any number of intervening Uint64 calls.
func (p *PCG64) Uint32() uint32 {
	if p.has32 {
		p.has32 = false
		return p.buf32
	}
	x := p.Uint64()
	p.buf32 = uint32(x >> 32)
	p.has32 = true
	return uint32(x)
}

// Float64 returns (Uint64() >> 11) * 2^-53, a double in [0, 1).
func (p *PCG64) Float64() float64 {
	// The value is below 2^53, so the (faster) signed conversion is exact.
	return float64(int64(p.Uint64()>>11)) * (1.0 / (1 << 53))
}
