package sim

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"testing"
)

func seeded(seed int64) *int64 { return &seed }

func mustEngine(t testing.TB, cfg EngineConfig, opts ...Option) *Engine {
	t.Helper()
	e, err := NewEngine(cfg, opts...)
	if err != nil {
		t.Fatalf("NewEngine: %v", err)
	}
	return e
}

func mustSimulate(t testing.TB, e *Engine, steps int, turing bool) Metrics {
	t.Helper()
	m, err := e.Simulate(steps, turing, nil)
	if err != nil {
		t.Fatalf("Simulate: %v", err)
	}
	return m
}

func sameBits(a, b []float64) bool {
	return slices.EqualFunc(a, b, func(x, y float64) bool { return math.Float64bits(x) == math.Float64bits(y) })
}

// TestDeterministic: the same seed gives bit-identical runs, on one engine
// run twice and on a fresh engine.
func TestDeterministic(t *testing.T) {
	cfg := DefaultEngineConfig()
	cfg.GridSize, cfg.QuantumJitter, cfg.RandomSeed = 24, true, seeded(5)
	e := mustEngine(t, cfg)
	m1 := mustSimulate(t, e, 30, true)
	f1 := slices.Clone(e.Field())
	m2 := mustSimulate(t, e, 30, true)
	if m1 != m2 || !sameBits(f1, e.Field()) {
		t.Fatal("second run on the same engine differs")
	}
	e2 := mustEngine(t, cfg)
	m3 := mustSimulate(t, e2, 30, true)
	if m1 != m3 || !sameBits(f1, e2.Field()) {
		t.Fatal("run on a new engine differs")
	}
	cfg.RandomSeed = seeded(6)
	if m4 := mustSimulate(t, mustEngine(t, cfg), 30, true); m4 == m1 {
		t.Fatal("a different seed gave the same metrics")
	}
}

func TestNilSeedUsesEntropy(t *testing.T) {
	cfg := DefaultEngineConfig()
	cfg.GridSize = 8
	e := mustEngine(t, cfg)
	mustSimulate(t, e, 1, true)
	f1 := slices.Clone(e.Field())
	mustSimulate(t, e, 1, true)
	if sameBits(f1, e.Field()) {
		t.Fatal("two OS-seeded runs gave the same field")
	}
}

// TestParallelBitIdentical compares the row-parallel stencil with the
// sequential one on grids whose rows do not split evenly, for every
// boundary condition, with jitter and Turing activations.
func TestParallelBitIdentical(t *testing.T) {
	for _, bc := range []string{BoundaryPeriodic, BoundaryNeumann, BoundaryDirichlet} {
		for _, jitter := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s/jitter=%v", bc, jitter), func(t *testing.T) {
				cfg := DefaultEngineConfig()
				cfg.GridSize, cfg.BoundaryCondition, cfg.QuantumJitter = 37, bc, jitter
				cfg.DActivator, cfg.RActivator, cfg.RInhibitor, cfg.TuringThreshold = 0.01, 0.1, 0.001, 0.5
				cfg.RandomSeed = seeded(11)
				seq := mustEngine(t, cfg, WithWorkers(1))
				ms := mustSimulate(t, seq, 40, true)
				if ms.TuringActivations == 0 {
					t.Fatal("test setup produced no Turing activations")
				}
				for _, w := range []int{2, 3, 5} {
					par := mustEngine(t, cfg, WithWorkers(w))
					var means []float64
					mp, err := par.Simulate(40, true, func(_ int, f []float64) error {
						means = append(means, f[0])
						return nil
					})
					if err != nil {
						t.Fatal(err)
					}
					if mp != ms || !sameBits(seq.Field(), par.Field()) || !sameBits(seq.Activator(), par.Activator()) ||
						!sameBits(seq.Inhibitor(), par.Inhibitor()) || len(means) != 40 {
						t.Fatalf("workers=%d differs from sequential: %+v vs %+v", w, mp, ms)
					}
				}
			})
		}
	}
}

func TestObserverErrorAborts(t *testing.T) {
	cfg := DefaultEngineConfig()
	cfg.GridSize, cfg.RandomSeed = 8, seeded(1)
	e := mustEngine(t, cfg)
	stop := errors.New("stop")
	calls := 0
	_, err := e.Simulate(10, true, func(step int, field []float64) error {
		calls++
		if step == 3 {
			return stop
		}
		return nil
	})
	if !errors.Is(err, stop) || calls != 4 {
		t.Fatalf("err = %v after %d calls, want stop after 4", err, calls)
	}
}

func TestObserverSeesClampedField(t *testing.T) {
	cfg := DefaultEngineConfig()
	cfg.GridSize, cfg.QuantumJitter, cfg.JitterVar, cfg.RandomSeed = 16, true, 0.01, seeded(2)
	e := mustEngine(t, cfg)
	m, err := e.Simulate(5, true, func(step int, field []float64) error {
		for _, x := range field {
			if !(x >= FieldMinV && x <= FieldMaxV) {
				return fmt.Errorf("step %d: unclamped value %v", step, x)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if m.ClampingEvents == 0 {
		t.Fatal("strong jitter produced no clamping")
	}
}

func TestSimulateRejectsNegativeSteps(t *testing.T) {
	e := mustEngine(t, DefaultEngineConfig())
	_, err := e.Simulate(-1, true, nil)
	var ce *ConfigError
	if !errors.As(err, &ce) || ce.Parameter != "steps" {
		t.Fatalf("err = %v", err)
	}
}

// TestNaNLoophole covers ENGINE.md §4.7: NaN D_a is harmless with Turing
// disabled; NaN alpha without the stability check runs on with a NaN
// field whose cells are all counted as clamped every step.
func TestNaNLoophole(t *testing.T) {
	cfg := DefaultEngineConfig()
	cfg.GridSize, cfg.DActivator, cfg.RandomSeed = 4, math.NaN(), seeded(3)
	if m := mustSimulate(t, mustEngine(t, cfg), 3, false); m.StepsComputed != 3 {
		t.Fatalf("Turing-disabled run with NaN D_a: %+v", m)
	}
	cfg = DefaultEngineConfig()
	cfg.GridSize, cfg.Alpha, cfg.CheckStability, cfg.RandomSeed = 4, math.NaN(), false, seeded(3)
	m := mustSimulate(t, mustEngine(t, cfg), 3, true)
	if m.ClampingEvents != 3*16 || !math.IsNaN(m.FieldMeanV) || !math.IsNaN(m.FieldMinV) {
		t.Fatalf("unchecked NaN run: %+v", m)
	}
	cfg.CheckStability = true
	_, err := mustEngine(t, cfg).Simulate(3, true, nil)
	var ni *NumericalInstabilityError
	if !errors.As(err, &ni) || ni.Field != "field" || ni.NaNCount != 16 || ni.Step != 0 || ni.GridSize != 4 {
		t.Fatalf("err = %v", err)
	}
}

// TestNoAllocationPerStep: a run of many steps allocates no more than a
// run of one step (only the per-call start of the helper goroutines
// allocates; the sequential engine allocates nothing at all).
func TestNoAllocationPerStep(t *testing.T) {
	for _, w := range []int{1, 2} {
		for _, jitter := range []bool{false, true} {
			cfg := DefaultEngineConfig()
			cfg.GridSize, cfg.QuantumJitter, cfg.RandomSeed = 32, jitter, seeded(1)
			e := mustEngine(t, cfg, WithWorkers(w))
			one := testing.AllocsPerRun(5, func() { mustSimulate(t, e, 1, true) })
			many := testing.AllocsPerRun(5, func() { mustSimulate(t, e, 50, true) })
			// Goroutine start-up may or may not allocate a new g, so the
			// parallel counts can differ by one in either direction; what
			// must not happen is growth with the number of steps.
			if many > one+1 {
				t.Errorf("workers=%d jitter=%v: %v allocations for 50 steps, %v for 1", w, jitter, many, one)
			}
			if w == 1 && one != 0 {
				t.Errorf("sequential Simulate allocates %v times", one)
			}
		}
	}
}

// TestZeroStepsIsInitialState: steps = 0 reports the initial arrays.
func TestZeroStepsIsInitialState(t *testing.T) {
	cfg := DefaultEngineConfig()
	cfg.GridSize, cfg.RandomSeed = 8, seeded(0)
	e := mustEngine(t, cfg)
	m := mustSimulate(t, e, 0, true)
	if m.StepsComputed != 0 || m.GrowthEvents != 0 || m.FieldMinV < -0.1 || m.FieldMaxV > -0.04 {
		t.Fatalf("initial metrics %+v", m)
	}
	for _, x := range e.Activator() {
		if x < 0 || x >= InitialChemMax {
			t.Fatalf("initial activator value %v outside [0, 0.1)", x)
		}
	}
}

func TestNegativeSeedRejected(t *testing.T) {
	cfg := DefaultEngineConfig()
	cfg.RandomSeed = seeded(-5)
	_, err := NewEngine(cfg)
	var ce *ConfigError
	if !errors.As(err, &ce) || ce.Parameter != "random_seed" || err.Error() != "expected non-negative integer" {
		t.Fatalf("err = %v", err)
	}
}
