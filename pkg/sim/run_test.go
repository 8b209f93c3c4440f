package sim

import (
	"context"
	"errors"
	"runtime"
	"strings"
	"testing"

	"github.com/mfn-io/mfn-operator/pkg/sim/features"
)

func smallParams(seed int64) Params {
	p := DefaultParams()
	p.GridSize, p.Steps, p.QuantumJitter, p.Seed = 16, 30, true, &seed
	return p
}

func TestRunReproducible(t *testing.T) {
	a, err := Run(t.Context(), smallParams(5), RunOptions{KeepField: true})
	if err != nil {
		t.Fatal(err)
	}
	b, err := Run(t.Context(), smallParams(5), RunOptions{KeepField: true})
	if err != nil {
		t.Fatal(err)
	}
	if a.Features != b.Features || a.Metrics != b.Metrics || !slicesEqual(a.Field, b.Field) {
		t.Fatal("two runs with the same seed differ")
	}
	c, err := Run(t.Context(), smallParams(6), RunOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if c.Metrics == a.Metrics {
		t.Fatal("different seeds gave identical metrics")
	}
	if a.Metrics.StepsComputed != 30 || a.Elapsed <= 0 || a.Params.GridSize != 16 {
		t.Fatalf("result %+v", a)
	}
	if a.Features.TStable != 30 || a.Features.FActive == 0 {
		t.Fatalf("jitter run features look wrong: %+v", a.Features)
	}
}

func slicesEqual(a, b []float64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestRunWithoutSeed(t *testing.T) {
	p := smallParams(0)
	p.Seed = nil
	r, err := Run(t.Context(), p, RunOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if r.Params.Seed != nil || r.Metrics.StepsComputed != p.Steps {
		t.Fatalf("result %+v", r)
	}
}

func TestRunErrors(t *testing.T) {
	bad := smallParams(1)
	bad.Alpha = 0.3
	_, err := Run(t.Context(), bad, RunOptions{})
	var pe *ParamError
	if !errors.As(err, &pe) || pe.Key != "alpha" || !errors.Is(err, ErrInvalidParams) {
		t.Fatalf("alpha 0.3: %v", err)
	}

	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	_, err = Run(ctx, smallParams(1), RunOptions{})
	if !errors.Is(err, context.Canceled) || !strings.Contains(err.Error(), "before step 1") {
		t.Fatalf("cancelled context: %v", err)
	}

	big := smallParams(1)
	big.GridSize, big.Steps = 1024, 1000
	_, err = Run(t.Context(), big, RunOptions{FeaturesFrom: FromHistory})
	if err == nil || !strings.Contains(err.Error(), "use the stream source") {
		t.Fatalf("oversized history: %v", err)
	}

	fc := features.DefaultConfig()
	fc.Connectivity = 5
	if _, err = Run(t.Context(), smallParams(1), RunOptions{Features: fc}); err == nil || !strings.Contains(err.Error(), "connectivity") {
		t.Fatalf("bad feature config: %v", err)
	}
	if _, err = Run(t.Context(), smallParams(1), RunOptions{FeaturesFrom: FeatureSource(7)}); err == nil {
		t.Fatal("unknown feature source accepted")
	}
}

func TestRunFeatureConfig(t *testing.T) {
	fc := features.DefaultConfig()
	fc.Connectivity = 8
	fc.ThresholdLowMV = -100 // every cell is above -95 mV
	r, err := Run(t.Context(), smallParams(2), RunOptions{Features: fc})
	if err != nil {
		t.Fatal(err)
	}
	if r.Features.FActive != 1 || r.Features.NClustersLow != 1 || r.Features.MaxClusterSize != 256 {
		t.Fatalf("threshold -100 mV: %+v", r.Features)
	}
}

func TestFeatureSourceNames(t *testing.T) {
	for _, src := range []FeatureSource{FromStream, FromHistory, FromFinal} {
		got, err := ParseFeatureSource(src.String())
		if err != nil || got != src {
			t.Fatalf("round trip of %v: %v, %v", src, got, err)
		}
	}
	if _, err := ParseFeatureSource("all"); err == nil || !strings.Contains(err.Error(), "stream, history, final") {
		t.Fatalf("bad name: %v", err)
	}
	if s := FeatureSource(9).String(); s != "FeatureSource(9)" {
		t.Fatal(s)
	}
}

func TestParamsFromSimulationConfig(t *testing.T) {
	c := DefaultSimulationConfig()
	seed := int64(3)
	c.Seed, c.GridSize, c.QuantumJitter = &seed, 32, true
	p := ParamsFromSimulationConfig(c)
	if p.GridSize != 32 || !p.QuantumJitter || *p.Seed != 3 || p.BoundaryCondition != BoundaryPeriodic || p.DActivator != 0.1 {
		t.Fatalf("%+v", p)
	}
	e, se := p.EngineConfig(), c.EngineConfig()
	if *e.RandomSeed != *se.RandomSeed {
		t.Fatal("seed differs")
	}
	e.RandomSeed, se.RandomSeed = nil, nil
	if e != se {
		t.Fatalf("Params.EngineConfig %+v != SimulationConfig.EngineConfig %+v", e, se)
	}
}

func TestRunBetweenStepsCalledAfterEveryStep(t *testing.T) {
	plain, err := Run(t.Context(), smallParams(9), RunOptions{})
	if err != nil {
		t.Fatal(err)
	}
	calls := 0
	hooked, err := Run(t.Context(), smallParams(9), RunOptions{BetweenSteps: func() { calls++ }})
	if err != nil {
		t.Fatal(err)
	}
	if calls != 30 {
		t.Fatalf("BetweenSteps called %d times, want once per step (30)", calls)
	}
	if hooked.Features != plain.Features || hooked.Metrics != plain.Metrics {
		t.Fatal("the hook changed the result")
	}
}

// freshRun is Run without the scratch pool: a new engine and a new stream.
func freshRun(t *testing.T, p Params, fcfg features.Config) (features.Vector, Metrics) {
	t.Helper()
	eng, err := NewEngine(p.EngineConfig())
	if err != nil {
		t.Fatal(err)
	}
	st, err := features.NewStream(p.GridSize, fcfg)
	if err != nil {
		t.Fatal(err)
	}
	m, err := eng.Simulate(p.Steps, p.TuringEnabled, func(_ int, f []float64) error { return st.Add(f) })
	if err != nil {
		t.Fatal(err)
	}
	v, err := st.Features()
	if err != nil {
		t.Fatal(err)
	}
	return v, m
}

// TestRunReusesScratchWithoutCarryOver runs configurations that differ in
// everything the pooled engine and stream keep (boundary, jitter, Turing,
// steps, feature thresholds and window) back to back on one grid size, in
// two orders, and compares each with a run on fresh buffers.
func TestRunReusesScratchWithoutCarryOver(t *testing.T) {
	type variant struct {
		p    Params
		fcfg features.Config
	}
	var vs []variant
	for k, bc := range []string{BoundaryPeriodic, BoundaryNeumann, BoundaryDirichlet} {
		for _, jitter := range []bool{false, true} {
			seed := int64(7 + k)
			p := DefaultParams()
			p.GridSize, p.Steps, p.Seed = 24, 20+5*k, &seed
			p.BoundaryCondition, p.QuantumJitter, p.TuringEnabled = bc, jitter, k != 1
			fc := features.DefaultConfig()
			if jitter {
				fc.ThresholdLowMV, fc.StabilityWindow = -75, 3
			}
			vs = append(vs, variant{p, fc})
		}
	}
	want := make([]features.Vector, len(vs))
	wantM := make([]Metrics, len(vs))
	for i, v := range vs {
		want[i], wantM[i] = freshRun(t, v.p, v.fcfg)
	}
	for _, order := range [][]int{{0, 1, 2, 3, 4, 5}, {5, 3, 1, 4, 0, 2, 5, 0}} {
		for _, i := range order {
			r, err := Run(t.Context(), vs[i].p, RunOptions{Features: vs[i].fcfg})
			if err != nil {
				t.Fatal(err)
			}
			if r.Features != want[i] || r.Metrics != wantM[i] {
				t.Fatalf("variant %d after reuse:\n got %+v %+v\nwant %+v %+v", i, r.Features, r.Metrics, want[i], wantM[i])
			}
		}
	}
}

// TestRunKeepsBuffersBetweenRuns: a run at a pooled grid size allocates a
// small fraction of its buffers (186 KB at grid 32) once the pool holds
// them.
func TestRunKeepsBuffersBetweenRuns(t *testing.T) {
	if raceEnabled {
		t.Skip("under -race sync.Pool drops a quarter of its puts on purpose")
	}
	p := DefaultParams()
	p.GridSize, p.Steps = 32, 8
	if _, err := Run(t.Context(), p, RunOptions{}); err != nil {
		t.Fatal(err)
	}
	const runs = 50
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	for range runs {
		if _, err := Run(t.Context(), p, RunOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	runtime.ReadMemStats(&after)
	// A collection empties the pool at most twice in a row (victim cache),
	// which costs two sets of buffers over the 50 runs: ~7 KB a run.
	if per := (after.TotalAlloc - before.TotalAlloc) / runs; per > 16<<10 {
		t.Fatalf("a run at grid 32 allocates %d bytes with the pool, want < 16 KiB (its buffers are ~180 KiB)", per)
	}
}
