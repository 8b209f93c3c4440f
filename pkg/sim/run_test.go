package sim

import (
	"context"
	"errors"
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
