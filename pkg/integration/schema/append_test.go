package schema

import (
	"encoding/json"
	"math"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/mfn-io/mfn-operator/pkg/sim"
	"github.com/mfn-io/mfn-operator/pkg/sim/features"
)

// marshalReflect is Marshal through encoding/json only, the reference the
// fast path must match byte for byte.
func marshalReflect(t *testing.T, r Result) []byte {
	t.Helper()
	b, err := Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// randomFloat draws from the values whose formatting differs: zero and
// negative zero, the %e thresholds 1e-6 and 1e21 and their neighbours,
// subnormals, integers, and plain decimals.
func randomFloat(rng *rand.Rand) float64 {
	special := []float64{0, math.Copysign(0, -1), 1e-6, math.Nextafter(1e-6, 0), 1e21, math.Nextafter(1e21, 0),
		5e-324, math.MaxFloat64, -1e-7, 1e-10, 123456789012345678, 0.1, 1, -70.5, 1e20, 1.5e-5}
	switch rng.IntN(4) {
	case 0:
		return special[rng.IntN(len(special))]
	case 1:
		return math.Float64frombits(rng.Uint64()) // any bit pattern; NaN and Inf are redrawn below
	case 2:
		return (rng.Float64() - 0.5) * math.Pow(10, float64(rng.IntN(60)-30))
	}
	return float64(rng.IntN(2000) - 1000)
}

func finite(rng *rand.Rand) float64 {
	for {
		if f := randomFloat(rng); !math.IsNaN(f) && !math.IsInf(f, 0) {
			return f
		}
	}
}

// TestAppendResultMatchesEncodingJSON: for 20 000 random envelopes the fast
// path writes exactly what encoding/json writes, and it is taken for every
// envelope of plain strings, sim.Params and finite numbers.
func TestAppendResultMatchesEncodingJSON(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	strs := []string{"", "kafka-in", "params/3/1042", "sim-0123456789abcdef", "a b~c{}[]<>&'"}
	for i := range 20000 {
		p := sim.DefaultParams()
		p.GridSize, p.Steps = rng.IntN(1<<20)-5, rng.IntN(1<<20)
		p.Alpha, p.SpikeProbability, p.TuringThreshold, p.JitterVar = finite(rng), finite(rng), finite(rng), finite(rng)
		p.DActivator, p.DInhibitor, p.RActivator, p.RInhibitor = finite(rng), finite(rng), finite(rng), finite(rng)
		p.TuringEnabled, p.QuantumJitter = rng.IntN(2) == 0, rng.IntN(2) == 0
		if rng.IntN(3) > 0 {
			seed := rng.Int64() - math.MaxInt64/2
			p.Seed = &seed
		}
		p.BoundaryCondition = []string{sim.BoundaryPeriodic, sim.BoundaryNeumann, sim.BoundaryDirichlet}[rng.IntN(3)]
		f := features.Vector{DBox: finite(rng), DR2: finite(rng), VMin: finite(rng), VMax: finite(rng), VMean: finite(rng),
			VStd: finite(rng), VSkew: finite(rng), VKurt: finite(rng), DVMean: finite(rng), DVMax: finite(rng),
			TStable: rng.IntN(10000), ETrend: finite(rng), FActive: finite(rng), NClustersLow: rng.IntN(500),
			NClustersMed: rng.IntN(500), NClustersHigh: rng.IntN(500), MaxClusterSize: rng.IntN(1 << 16), ClusterSizeStd: finite(rng)}
		at := time.Unix(rng.Int64N(1<<34), rng.Int64N(1e9)*int64(rng.IntN(2))).In(time.FixedZone("x", 3600))
		src := Source{ConnectorID: strs[rng.IntN(len(strs))], Position: strs[rng.IntN(len(strs))]}
		var r Result
		switch i % 3 {
		case 0:
			r = Success(src, strs[rng.IntN(len(strs))], p, f, at)
		case 1:
			r = Failure(src, strs[rng.IntN(len(strs))], nil, "grid_size = 9999: must be at most 1024", at)
		default:
			r = Success(src, "", p, f, at)
			r.Features = nil
		}
		fast, ok := appendResult(nil, r)
		if !ok {
			t.Fatalf("envelope %d: fast path not taken for %+v", i, r)
		}
		if want := marshalReflect(t, r); string(fast) != string(want) {
			t.Fatalf("envelope %d differs:\nfast %s\njson %s", i, fast, want)
		}
	}
}

// TestAppendResultFallsBack: what the fast path does not handle (escaping,
// other params types, non-finite numbers) goes to encoding/json, and the
// envelope methods still give encoding/json's bytes or errors.
func TestAppendResultFallsBack(t *testing.T) {
	at := time.Date(2025, 12, 4, 12, 0, 0, 0, time.UTC)
	src := Source{ConnectorID: "in", Position: "p-1.json"}
	p := sim.DefaultParams()
	cases := map[string]Result{
		"quote in id":         Success(src, `sim-"1"`, p, features.Vector{}, at),
		"backslash":           Success(Source{ConnectorID: `c:\in`, Position: "1"}, "s", p, features.Vector{}, at),
		"non-ASCII error":     Failure(src, "s", nil, "alpha = 0.3: must be ≤ 0.25", at),
		"control character":   Failure(src, "s", nil, "line\nbreak", at),
		"raw params":          Success(src, "s", json.RawMessage(`{"grid_size": 64}`), features.Vector{}, at),
		"map params":          Success(src, "s", map[string]any{"a": 1}, features.Vector{}, at),
		"NaN feature":         Success(src, "s", p, features.Vector{VSkew: math.NaN()}, at),
		"infinite param":      Success(src, "s", sim.Params{Alpha: math.Inf(1)}, features.Vector{}, at),
		"bad boundary string": Success(src, "s", sim.Params{BoundaryCondition: "é"}, features.Vector{}, at),
	}
	for name, r := range cases {
		if _, ok := appendResult(nil, r); ok {
			t.Errorf("%s: fast path taken", name)
		}
		got, gotErr := r.Marshal()
		want, wantErr := Marshal(r)
		if string(got) != string(want) || (gotErr == nil) != (wantErr == nil) {
			t.Errorf("%s: Result.Marshal = %s, %v; encoding/json %s, %v", name, got, gotErr, want, wantErr)
		}
	}
}
