package sim

import (
	"fmt"
	"testing"
)

// BenchmarkRun is the workload of the Python baseline
// (shared/perf/python-baseline.md): a seed-42 simulation with the default
// parameters at each grid size, step count and jitter setting, followed by
// the 18 features of the whole history (here streamed, which gives the same
// values). hack/bench-sim.sh turns the output into the table of
// docs/BENCHMARKS.md.
func BenchmarkRun(b *testing.B) {
	for _, jitter := range []bool{false, true} {
		for _, n := range []int{32, 64, 128, 256} {
			for _, steps := range []int{64, 200} {
				p := DefaultParams()
				seed := int64(42)
				p.GridSize, p.Steps, p.QuantumJitter, p.Seed = n, steps, jitter, &seed
				b.Run(fmt.Sprintf("jitter=%t/grid=%d/steps=%d", jitter, n, steps), func(b *testing.B) {
					b.ReportAllocs()
					for b.Loop() {
						if _, err := Run(b.Context(), p, RunOptions{}); err != nil {
							b.Fatal(err)
						}
					}
				})
			}
		}
	}
}
