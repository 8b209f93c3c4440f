package rng

// SeedSequence constants (numpy bit_generator.pyx).
const (
	initA = 0x43b0d7e5
	multA = 0x931e8875
	initB = 0x8b51f9dd
	multB = 0x58f38ded
	mixL  = 0xca01f9dd
	mixR  = 0x4973f715

	poolSize = 4
)

// SeedSequence is numpy's SeedSequence with a 4-word entropy pool, built
// from an entropy integer (no spawn key). Only the mixed pool is kept.
type SeedSequence struct {
	pool [poolSize]uint32
}

// NewSeedSequence mixes the entropy words (the entropy integer written in
// base 2^32, least significant word first; any number of words) into the
// pool as numpy's SeedSequence does. No words is the same as the single
// word 0.
func NewSeedSequence(entropy []uint32) SeedSequence {
	var s SeedSequence
	h := uint32(initA)
	hashmix := func(v uint32) uint32 {
		v ^= h
		h *= multA
		v *= h
		return v ^ v>>16
	}
	for w := range poolSize {
		var e uint32
		if w < len(entropy) {
			e = entropy[w]
		}
		s.pool[w] = hashmix(e)
	}
	for src := range poolSize {
		for dst := range poolSize {
			if dst != src {
				s.pool[dst] = mix(s.pool[dst], hashmix(s.pool[src]))
			}
		}
	}
	for w := poolSize; w < len(entropy); w++ {
		for dst := range poolSize {
			s.pool[dst] = mix(s.pool[dst], hashmix(entropy[w]))
		}
	}
	return s
}

// SeedSequenceFromUint64 is NewSeedSequence for the entropy integer seed.
func SeedSequenceFromUint64(seed uint64) SeedSequence {
	words := [2]uint32{uint32(seed), uint32(seed >> 32)}
	n := 1
	if words[1] != 0 {
		n = 2
	}
	return NewSeedSequence(words[:n])
}

func mix(x, y uint32) uint32 {
	r := mixL*x - mixR*y
	return r ^ r>>16
}

// Pool returns the mixed entropy pool.
func (s SeedSequence) Pool() [4]uint32 { return s.pool }

// GenerateState64 fills dst with numpy's generate_state(len(dst),
// dtype=uint64): 2*len(dst) 32-bit words, paired little-end first.
func (s SeedSequence) GenerateState64(dst []uint64) {
	g := uint32(initB)
	next := func(q int) uint32 {
		d := s.pool[q%poolSize]
		d ^= g
		g *= multB
		d *= g
		return d ^ d>>16
	}
	for k := range dst {
		lo := next(2 * k)
		hi := next(2*k + 1)
		dst[k] = uint64(lo) | uint64(hi)<<32
	}
}
