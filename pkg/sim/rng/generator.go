package rng

import (
	"crypto/rand"
	"encoding/binary"
	"fmt"
	"math"
	"math/bits"
)

// Generator is numpy's random Generator over a PCG64 bit generator.
type Generator struct {
	PCG64
}

// New returns the generator of numpy.random.default_rng(seed).
func New(seed uint64) *Generator {
	g := new(Generator)
	g.Seed(seed)
	return g
}

// NewFromEntropy returns the generator of numpy.random.default_rng(e) for
// the non-negative entropy integer e given as base-2^32 words, least
// significant first (any length; words beyond the fourth are mixed in as
// numpy does).
func NewFromEntropy(words []uint32) *Generator {
	g := new(Generator)
	g.seedFrom(NewSeedSequence(words))
	return g
}

// NewFromOS returns a generator seeded like numpy.random.default_rng(None):
// 128 bits of operating-system entropy through SeedSequence.
func NewFromOS() (*Generator, error) {
	g := new(Generator)
	if err := g.SeedFromOS(); err != nil {
		return nil, err
	}
	return g, nil
}

// SeedFromOS re-seeds g in place from 128 bits of operating-system entropy
// (numpy.random.default_rng(None)).
func (g *Generator) SeedFromOS() error {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		return fmt.Errorf("rng: reading OS entropy: %w", err)
	}
	var words [4]uint32
	for i := range words {
		words[i] = binary.LittleEndian.Uint32(b[4*i:])
	}
	g.seedFrom(NewSeedSequence(words[:]))
	return nil
}

// Seed re-seeds g in place as numpy.random.default_rng(seed), clearing the
// 32-bit buffer. It does not allocate.
func (g *Generator) Seed(seed uint64) {
	g.seedFrom(SeedSequenceFromUint64(seed))
}

func (g *Generator) seedFrom(s SeedSequence) {
	var w [4]uint64
	s.GenerateState64(w[:])
	g.PCG64.seed(w)
}

// Random returns numpy's random(): a double in [0, 1).
func (g *Generator) Random() float64 {
	return g.Float64()
}

// Uniform returns numpy's uniform(lo, hi) = lo + (hi-lo)*u with the range
// computed first. The caller must ensure hi-lo is finite and >= 0 (numpy
// raises otherwise).
func (g *Generator) Uniform(lo, hi float64) float64 {
	r := hi - lo
	// Explicit float64 conversion: round the product before the addition
	// (no fused multiply-add), as numpy does.
	return lo + float64(r*g.Float64())
}

// Integers returns numpy's integers(0, high) with the default int64 dtype:
// a uniform integer in [0, high) drawn with Lemire's method. Ranges below
// 2^32-1 draw 32-bit halves through the shared buffer of Uint32, exactly
// like numpy, so the stream stays aligned with the reference. It panics if
// high < 1 (numpy raises "high <= 0").
func (g *Generator) Integers(high int64) int64 {
	if high < 1 {
		panic(fmt.Sprintf("rng: Integers high=%d must be >= 1", high))
	}
	rng := uint64(high) - 1
	switch {
	case rng == 0:
		return 0
	case rng < math.MaxUint32:
		return int64(g.lemire32(uint32(rng)))
	case rng == math.MaxUint32:
		return int64(g.Uint32())
	default:
		return int64(g.lemire64(rng))
	}
}

// lemire32 is numpy's buffered_bounded_lemire_uint32 for 0 < rng < 2^32-1.
func (g *Generator) lemire32(rng uint32) uint32 {
	e := rng + 1
	m := uint64(g.Uint32()) * uint64(e)
	l := uint32(m)
	if l < e {
		t := (math.MaxUint32 - rng) % e
		for l < t {
			m = uint64(g.Uint32()) * uint64(e)
			l = uint32(m)
		}
	}
	return uint32(m >> 32)
}

// lemire64 is numpy's bounded_lemire_uint64 for 2^32-1 < rng < 2^64-1.
func (g *Generator) lemire64(rng uint64) uint64 {
	e := rng + 1
	hi, lo := bits.Mul64(g.Uint64(), e)
	if lo < e {
		t := (math.MaxUint64 - rng) % e
		for lo < t {
			hi, lo = bits.Mul64(g.Uint64(), e)
		}
	}
	return hi
}

// Normal returns numpy's normal(loc, scale) = loc + scale*Z with Z from
// StandardNormal. scale 0 still consumes the draws.
func (g *Generator) Normal(loc, scale float64) float64 {
	// Rounded product, then the addition (no FMA), as numpy.
	return loc + float64(scale*g.StandardNormal())
}
