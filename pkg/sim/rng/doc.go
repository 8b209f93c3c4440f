// Package rng reproduces, bit for bit, the parts of numpy's random
// Generator over the PCG64 bit generator that the MFN simulation engine
// uses: SeedSequence seeding from a non-negative integer, the PCG64 stream
// (128-bit LCG with XSL-RR output), random(), uniform(low, high),
// integers(0, n) with numpy's buffered 32-bit Lemire method, and
// standard_normal()/normal(loc, scale) through numpy's 256-layer ziggurat.
//
// # Usage
//
//	g := rng.New(42)      // numpy.random.default_rng(42)
//	u := g.Random()       // rng.random()
//	i := g.Integers(64)   // rng.integers(0, 64)
//	z := g.Normal(0, 1)   // rng.normal(0, 1)
//
// A Generator is not safe for concurrent use. It never allocates after
// construction.
//
// # Parity with numpy
//
// Every step is exact integer arithmetic or a single rounded operation, so
// the streams match numpy 1.24 bit for bit. The two library calls are
// handled as follows: the ziggurat tail (about 2.6e-4 of normal draws)
// uses log1p, reproduced exactly as the reference platform computes it
// (glibc 2.36's FMA build on x86-64, log1p.go; Go's math.Log1p differs by
// one ulp on about 0.07 % of inputs); the wedge test uses math.Exp, which
// may differ from glibc's exp by one ulp, but only in a comparison against
// an independent uniform variate, so a different outcome needs that
// variate within one ulp of the threshold (about 1e-14 per wedge test).
// Products that the reference adds to something are rounded explicitly
// with a float64 conversion so that the Go compiler never fuses them into
// a fused multiply-add (it does so on arm64, ppc64le, s390x, riscv64 and
// on amd64 with GOAMD64=v3).
//
// The ziggurat tables in ztables.go are numpy's data constants
// (numpy/random/src/distributions/ziggurat_constants.h, numpy 1.24.2,
// Copyright (c) 2005-2023 NumPy Developers, BSD-3-Clause; see NOTICE in this
// directory). They cannot be regenerated bit-exactly from their defining
// constants, so they are embedded.
package rng
