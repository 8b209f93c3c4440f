package features

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

// jitterField returns an n x n field like a jitter run's: about 80 % of
// the cells above -60 mV in irregular clusters, values within the clamp
// bounds.
func jitterField(r *rand.Rand, n int) []float64 {
	f := make([]float64, n*n)
	for k := range f {
		f[k] = min(max(-0.045+0.022*r.NormFloat64(), -0.095), 0.040)
	}
	return f
}

// BenchmarkFeatures measures the three parts of feature extraction on
// jitter-like fields (the expensive case: many clusters to label):
// Stream.Add per snapshot (temporal statistics), Stream.Features on a
// finished stream (static features of the final field: box counting and
// cluster labelling at three thresholds) and FromHistory on 64 snapshots.
func BenchmarkFeatures(b *testing.B) {
	for _, n := range []int{32, 64, 128, 256, 512} {
		r := rand.New(rand.NewPCG(42, uint64(n)))
		fields := [][]float64{jitterField(r, n), jitterField(r, n)}
		b.Run(fmt.Sprintf("stream_add/grid=%d", n), func(b *testing.B) {
			st, err := NewStream(n, DefaultConfig())
			if err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			b.SetBytes(int64(8 * n * n))
			i := 0
			for b.Loop() {
				if err := st.Add(fields[i&1]); err != nil {
					b.Fatal(err)
				}
				i++
			}
		})
		b.Run(fmt.Sprintf("final/grid=%d", n), func(b *testing.B) {
			st, err := NewStream(n, DefaultConfig())
			if err != nil {
				b.Fatal(err)
			}
			for _, f := range fields {
				if err := st.Add(f); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportAllocs()
			for b.Loop() {
				if _, err := st.Features(); err != nil {
					b.Fatal(err)
				}
			}
		})
		if n > 128 {
			continue
		}
		const steps = 64
		h := make([]float64, 0, steps*n*n)
		for s := range steps {
			h = append(h, fields[s&1]...)
		}
		b.Run(fmt.Sprintf("history/grid=%d/steps=%d", n, steps), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := FromHistory(h, steps, n, DefaultConfig()); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
