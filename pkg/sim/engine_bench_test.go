package sim

import (
	"fmt"
	"testing"
)

// benchConfig is the workload of shared/perf/python-baseline.md:
// SimulationConfig(grid_size=N, steps=S, seed=42, alpha=0.18,
// spike_probability=0.25, turing_threshold=0.75, quantum_jitter=J), Turing
// on.
func benchConfig(n int, jitter bool) EngineConfig {
	sc := DefaultSimulationConfig()
	sc.GridSize, sc.QuantumJitter, sc.Seed = n, jitter, seeded(42)
	return sc.EngineConfig()
}

// BenchmarkSimulate times one full run (re-seeding, initial draws and all
// steps; no history) per iteration with the default worker count.
func BenchmarkSimulate(b *testing.B) {
	for _, n := range []int{32, 64, 128, 256} {
		for _, steps := range []int{64, 200} {
			for _, jitter := range []bool{false, true} {
				b.Run(fmt.Sprintf("grid=%d/steps=%d/jitter=%v", n, steps, jitter), func(b *testing.B) {
					benchSimulate(b, benchConfig(n, jitter), steps)
				})
			}
		}
	}
}

// BenchmarkSimulateWorkers compares worker counts on the large grids.
func BenchmarkSimulateWorkers(b *testing.B) {
	for _, n := range []int{128, 256, 512} {
		for _, jitter := range []bool{false, true} {
			for _, w := range []int{1, 2} {
				b.Run(fmt.Sprintf("grid=%d/steps=200/jitter=%v/workers=%d", n, jitter, w), func(b *testing.B) {
					benchSimulate(b, benchConfig(n, jitter), 200, WithWorkers(w))
				})
			}
		}
	}
}

func benchSimulate(b *testing.B, cfg EngineConfig, steps int, opts ...Option) {
	e, err := NewEngine(cfg, opts...)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	cpu0, ok := processCPUTime()
	for b.Loop() {
		if _, err := e.Simulate(steps, true, nil); err != nil {
			b.Fatal(err)
		}
	}
	if cpu1, ok1 := processCPUTime(); ok && ok1 {
		// CPU time of all goroutines: equals the wall time of a
		// sequential run on an otherwise idle core.
		b.ReportMetric(float64(cpu1-cpu0)/1e6/float64(b.N), "cpu-ms/op")
	}
}
