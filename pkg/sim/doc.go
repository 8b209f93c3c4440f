// Package sim is a bit-compatible Go port of the MFN (MyceliumFractalNet)
// reaction-diffusion simulation engine: a membrane-potential field driven
// by random growth spikes, 5-point diffusion, an activator/inhibitor
// Turing system and optional Gaussian jitter, seeded through numpy's
// Generator(PCG64) (package rng) so that a seeded run reproduces the
// reference's fields, counters and metrics bit for bit.
//
// # Configuration
//
// SimulationConfig is the user-level configuration (9 fields) and
// EngineConfig the engine-level one (13 fields, including the boundary
// condition and the reaction/diffusion constants). Both validate in the
// reference's order with the reference's messages:
//
//	sc := sim.DefaultSimulationConfig()
//	sc.GridSize, sc.Steps, sc.Seed = 128, 200, &seed
//	if err := sc.Validate(); err != nil { ... }     // *ConfigError
//	e, err := sim.NewEngine(sc.EngineConfig())      // *ValueOutOfRangeError, *StabilityError
//
// # Running
//
//	m, err := e.Simulate(sc.Steps, sc.TuringEnabled, func(step int, field []float64) error {
//		// field: N*N values, row-major (index i*N+j), after clamping;
//		// valid only during the call
//		return nil
//	})
//
// Simulate allocates nothing per step. On amd64 the row kernels run as
// AVX2 or AVX-512 assembly (4 or 8 cells per instruction, the same IEEE
// operations in the same order as the Go loops, which other architectures
// and the purego build tag use); WithWorkers splits the rows of a step
// across goroutines (the default for grids of 512 and more without
// jitter). Every path gives bit-identical results.
//
// # Floating point
//
// Every operation is rounded on its own in the reference's order; products
// that are added to something are wrapped in float64(...) conversions so
// that the compiler cannot fuse them into fused multiply-adds (arm64 and
// others). Means and standard deviations use numpy's summation order
// (package reduce).
package sim
