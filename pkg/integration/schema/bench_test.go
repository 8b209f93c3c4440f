package schema

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/mfn-io/mfn-operator/pkg/sim"
	"github.com/mfn-io/mfn-operator/pkg/sim/features"
)

func BenchmarkDecodeInput(b *testing.B) {
	for name, msg := range map[string][]byte{
		"envelope": []byte(`{"simulation_id":"sim-456","simulation_params":{"grid_size":64,"steps":100,"alpha":0.18,"seed":42},"timestamp":"2025-12-04T12:00:00Z"}`),
		"flat":     []byte(`{"simulation_id":"sim-456","grid_size":64,"steps":100,"alpha":0.18,"seed":42}`),
	} {
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(msg)))
			for b.Loop() {
				if _, err := DecodeInput(msg, 1<<20); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkResultMarshal: "sim.Params" is the pipeline's envelope (the
// reflection-free path of appendResult), "sim.Params-reflect" the same
// through encoding/json, "raw" one with json.RawMessage params
// (encoding/json).
func BenchmarkResultMarshal(b *testing.B) {
	src := Source{ConnectorID: "kafka-mfn-simulation-params", Position: "mfn-simulation-params/3/1042"}
	f := features.Vector{DBox: 1.584, DR2: 0.97, VMin: -82.1, VMax: -41, VMean: -67.5, VStd: 9.8, TStable: 50, FActive: 0.42}
	seed := int64(42)
	p := sim.DefaultParams()
	p.Seed = &seed
	at := time.Date(2025, 12, 4, 12, 0, 0, 0, time.UTC)
	for name, params := range map[string]any{
		"sim.Params": p,
		"raw":        json.RawMessage(`{"grid_size":64,"steps":100,"alpha":0.18,"seed":42}`),
	} {
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := Success(src, "sim-456", params, f, at).MarshalShared(); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
	b.Run("sim.Params-reflect", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := Marshal(Success(src, "sim-456", p, f, at)); err != nil {
				b.Fatal(err)
			}
		}
	})
}
