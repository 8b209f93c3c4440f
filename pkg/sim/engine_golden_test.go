package sim

import (
	"encoding/json"
	"fmt"
	"math"
	"testing"

	"github.com/mfn-io/mfn-operator/internal/golden"
	"github.com/mfn-io/mfn-operator/pkg/sim/reduce"
)

// engineCase is one case of shared/golden/engine_cases.json (the engine
// part; features are checked in package features).
type engineCase struct {
	ID            string          `json:"id"`
	API           string          `json:"api"`
	Config        json.RawMessage `json:"config"`
	Steps         int             `json:"steps"`
	TuringEnabled *bool           `json:"turing_enabled"`
	Metrics       Metrics         `json:"metrics"`
	FinalField    [][]float64     `json:"final_field"`
	PerStepMean   []float64       `json:"per_step_field_mean"`
	InitialState  struct {
		Field4    []float64 `json:"field_first4_row0"`
		FieldMean float64   `json:"field_mean"`
		Act4      []float64 `json:"activator_first4_row0"`
		ActMean   float64   `json:"activator_mean"`
		Inh4      []float64 `json:"inhibitor_first4_row0"`
		InhMean   float64   `json:"inhibitor_mean"`
	} `json:"initial_state"`
	TraceFirst []struct {
		Step  int     `json:"step"`
		U     float64 `json:"u"`
		Spike *struct {
			I, J      int
			Magnitude float64
		} `json:"spike"`
		Turing  int `json:"turing_activations"`
		Clamped int `json:"clamped"`
	} `json:"trace_first_steps"`
	Spikes        [][4]float64 `json:"trace_spikes_all"`
	TuringPerStep []int        `json:"turing_activations_per_step"`
	ClampPerStep  []int        `json:"clamped_per_step"`
}

func loadEngineCases(t *testing.T) []engineCase {
	t.Helper()
	var f struct {
		Cases []engineCase `json:"cases"`
	}
	golden.Load(t, "engine_cases.json", &f)
	if len(f.Cases) != 27 {
		t.Fatalf("engine_cases.json: want 27 cases, got %d", len(f.Cases))
	}
	return f.Cases
}

// engineSetup returns the engine configuration, step count and Turing
// switch of a golden case, going through SimulationConfig for the
// simulation API exactly as the reference's run function does.
func (c *engineCase) engineSetup(t *testing.T) (EngineConfig, int, bool) {
	t.Helper()
	switch c.API {
	case "simulation":
		sc := DefaultSimulationConfig()
		if err := json.Unmarshal(c.Config, &sc); err != nil {
			t.Fatal(err)
		}
		if err := sc.Validate(); err != nil {
			t.Fatalf("SimulationConfig.Validate: %v", err)
		}
		return sc.EngineConfig(), sc.Steps, sc.TuringEnabled
	case "engine":
		ec := DefaultEngineConfig()
		if err := json.Unmarshal(c.Config, &ec); err != nil {
			t.Fatal(err)
		}
		if c.TuringEnabled == nil || c.Steps <= 0 {
			t.Fatal("engine case without steps/turing_enabled")
		}
		return ec, c.Steps, *c.TuringEnabled
	}
	t.Fatalf("unknown api %q", c.API)
	return EngineConfig{}, 0, false
}

func bitsEqual(a, b float64) bool { return math.Float64bits(a) == math.Float64bits(b) }

// metricsDiff lists the fields in which got and want differ (floats by
// bit pattern).
func metricsDiff(got, want Metrics) []string {
	var d []string
	ints := []struct {
		name string
		g, w int
	}{
		{"growth_events", got.GrowthEvents, want.GrowthEvents},
		{"turing_activations", got.TuringActivations, want.TuringActivations},
		{"clamping_events", got.ClampingEvents, want.ClampingEvents},
		{"steps_computed", got.StepsComputed, want.StepsComputed},
	}
	for _, f := range ints {
		if f.g != f.w {
			d = append(d, fmt.Sprintf("%s = %d, want %d", f.name, f.g, f.w))
		}
	}
	floats := []struct {
		name string
		g, w float64
	}{
		{"field_min_v", got.FieldMinV, want.FieldMinV},
		{"field_max_v", got.FieldMaxV, want.FieldMaxV},
		{"field_mean_v", got.FieldMeanV, want.FieldMeanV},
		{"field_std_v", got.FieldStdV, want.FieldStdV},
		{"activator_mean", got.ActivatorMean, want.ActivatorMean},
		{"inhibitor_mean", got.InhibitorMean, want.InhibitorMean},
	}
	for _, f := range floats {
		if !bitsEqual(f.g, f.w) {
			d = append(d, fmt.Sprintf("%s = %v, want %v", f.name, f.g, f.w))
		}
	}
	return d
}

// TestEngineGolden runs every golden case sequentially and with the
// row-parallel stencil and demands bit-identical metrics, per-step field
// means, traces and final fields.
func TestEngineGolden(t *testing.T) {
	for _, c := range loadEngineCases(t) {
		for _, workers := range []int{1, 3} {
			t.Run(fmt.Sprintf("%s/workers=%d", c.ID, workers), func(t *testing.T) {
				runGoldenCase(t, &c, workers)
			})
		}
	}
}

func runGoldenCase(t *testing.T, c *engineCase, workers int) {
	cfg, steps, turing := c.engineSetup(t)
	e, err := NewEngine(cfg, WithWorkers(workers))
	if err != nil {
		t.Fatalf("NewEngine: %v", err)
	}
	checkInitialState(t, c, e)

	var traces []stepTrace
	e.trace = func(st stepTrace) { traces = append(traces, st) }
	firstDiverging := -1
	m, err := e.Simulate(steps, turing, func(step int, field []float64) error {
		if len(field) != cfg.GridSize*cfg.GridSize {
			return fmt.Errorf("observer got %d values", len(field))
		}
		if step >= len(c.PerStepMean) {
			return fmt.Errorf("step %d beyond the %d golden steps", step, len(c.PerStepMean))
		}
		if firstDiverging < 0 && !bitsEqual(reduce.Mean(field), c.PerStepMean[step]) {
			firstDiverging = step
		}
		return nil
	})
	if err != nil {
		t.Fatalf("Simulate: %v", err)
	}
	if firstDiverging >= 0 {
		t.Errorf("field mean first diverges at step %d of %d", firstDiverging, steps)
	}
	if d := metricsDiff(m, c.Metrics); len(d) > 0 {
		t.Errorf("metrics differ: %v", d)
	}
	if e.Metrics() != m {
		t.Errorf("Engine.Metrics() = %+v, Simulate returned %+v", e.Metrics(), m)
	}
	checkTraces(t, c, traces)
	if c.FinalField != nil {
		checkField(t, "final field", e.Field(), c.FinalField)
	}
}

func checkInitialState(t *testing.T, c *engineCase, e *Engine) {
	t.Helper()
	m, err := e.Simulate(0, true, nil)
	if err != nil {
		t.Fatalf("Simulate(0): %v", err)
	}
	if m.StepsComputed != 0 {
		t.Errorf("Simulate(0) computed %d steps", m.StepsComputed)
	}
	is := c.InitialState
	for _, arr := range []struct {
		name  string
		got   []float64
		first []float64
		mean  float64
	}{
		{"field", e.Field(), is.Field4, is.FieldMean},
		{"activator", e.Activator(), is.Act4, is.ActMean},
		{"inhibitor", e.Inhibitor(), is.Inh4, is.InhMean},
	} {
		if len(arr.first) != 4 {
			t.Fatalf("initial %s: golden has %d values", arr.name, len(arr.first))
		}
		for k, w := range arr.first {
			if !bitsEqual(arr.got[k], w) {
				t.Errorf("initial %s[%d] = %v, want %v", arr.name, k, arr.got[k], w)
			}
		}
		if got := reduce.Mean(arr.got); !bitsEqual(got, arr.mean) {
			t.Errorf("initial %s mean = %v, want %v", arr.name, got, arr.mean)
		}
	}
}

func checkTraces(t *testing.T, c *engineCase, traces []stepTrace) {
	t.Helper()
	if len(traces) != len(c.TuringPerStep) || len(traces) != len(c.ClampPerStep) {
		t.Fatalf("%d traced steps, golden has %d/%d", len(traces), len(c.TuringPerStep), len(c.ClampPerStep))
	}
	for k, w := range c.TraceFirst {
		g := traces[w.Step]
		if !bitsEqual(g.u, w.U) || g.turing != w.Turing || g.clamped != w.Clamped || g.spike.ok != (w.Spike != nil) {
			t.Errorf("trace %d (step %d): got u=%v spike=%v turing=%d clamped=%d, want %+v",
				k, w.Step, g.u, g.spike.ok, g.turing, g.clamped, w)
		}
	}
	var spikes [][4]float64
	for _, tr := range traces {
		if tr.spike.ok {
			spikes = append(spikes, [4]float64{float64(tr.step), float64(tr.spike.i), float64(tr.spike.j), tr.spike.magnitude})
		}
	}
	if len(spikes) != len(c.Spikes) {
		t.Errorf("%d spikes, want %d", len(spikes), len(c.Spikes))
	}
	for k := range min(len(spikes), len(c.Spikes)) {
		g, w := spikes[k], c.Spikes[k]
		if g[0] != w[0] || g[1] != w[1] || g[2] != w[2] || !bitsEqual(g[3], w[3]) {
			t.Errorf("spike %d = %v, want %v", k, g, w)
			break
		}
	}
	for s, tr := range traces {
		if tr.turing != c.TuringPerStep[s] || tr.clamped != c.ClampPerStep[s] {
			t.Errorf("step %d: turing %d clamped %d, want %d %d", s, tr.turing, tr.clamped, c.TuringPerStep[s], c.ClampPerStep[s])
			break
		}
	}
}

func checkField(t *testing.T, name string, got []float64, want [][]float64) {
	t.Helper()
	n := len(want)
	if len(got) != n*n {
		t.Fatalf("%s: %d values, want %d", name, len(got), n*n)
	}
	for i, row := range want {
		for j, w := range row {
			if g := got[i*n+j]; !bitsEqual(g, w) {
				t.Errorf("%s[%d,%d] = %v, want %v", name, i, j, g, w)
				return
			}
		}
	}
}
