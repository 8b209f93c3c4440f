package sim

import (
	"encoding/json"
	"errors"
	"math"
	"strings"
	"testing"

	"github.com/mfn-io/mfn-operator/internal/golden"
)

type invalidCase struct {
	API       string          `json:"api"`
	Overrides json.RawMessage `json:"config_overrides"`
	RaisedAt  string          `json:"raised_at"`
	Exception string          `json:"exception"`
	Message   string          `json:"message"`
}

// decodeOverrides reads the override object, turning the string "nan" into
// NaN (JSON has no NaN literal).
func decodeOverrides(t *testing.T, raw json.RawMessage) map[string]json.RawMessage {
	t.Helper()
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatal(err)
	}
	for k, v := range m {
		if string(v) == `"nan"` {
			m[k] = json.RawMessage(`"NaN"`)
		}
	}
	return m
}

// applyOverrides sets the overrides on dst (a pointer to a config struct)
// through its JSON tags; "NaN" strings become NaN.
func applyOverrides(t *testing.T, dst any, m map[string]json.RawMessage) {
	t.Helper()
	nans := map[string]bool{}
	plain := map[string]json.RawMessage{}
	for k, v := range m {
		if string(v) == `"NaN"` {
			nans[k] = true
			continue
		}
		plain[k] = v
	}
	b, err := json.Marshal(plain)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, dst); err != nil {
		t.Fatal(err)
	}
	for k := range nans {
		switch c := dst.(type) {
		case *SimulationConfig:
			setNaN(t, k, map[string]*float64{"alpha": &c.Alpha, "jitter_var": &c.JitterVar,
				"spike_probability": &c.SpikeProbability, "turing_threshold": &c.TuringThreshold})
		case *EngineConfig:
			setNaN(t, k, map[string]*float64{"alpha": &c.Alpha, "jitter_var": &c.JitterVar,
				"d_activator": &c.DActivator, "d_inhibitor": &c.DInhibitor, "r_activator": &c.RActivator,
				"r_inhibitor": &c.RInhibitor, "spike_probability": &c.SpikeProbability,
				"turing_threshold": &c.TuringThreshold})
		}
	}
}

func setNaN(t *testing.T, key string, fields map[string]*float64) {
	t.Helper()
	p, ok := fields[key]
	if !ok {
		t.Fatalf("no float field %q", key)
	}
	*p = math.NaN()
}

// referenceParameter extracts the parameter a reference message names:
// "(parameter='x', ...)", "x=<v> exceeds CFL ...", "x must be ...", or the
// seed for numpy's "expected non-negative integer" (the engine's
// random_seed, which the user-level seed is copied into).
func referenceParameter(msg string) string {
	if _, rest, ok := strings.Cut(msg, "(parameter='"); ok {
		p, _, _ := strings.Cut(rest, "'")
		return p
	}
	if p, _, ok := strings.Cut(msg, "="); ok && strings.Contains(msg, "exceeds CFL") {
		return p
	}
	if msg == "expected non-negative integer" {
		return "random_seed"
	}
	p, _, _ := strings.Cut(msg, " ")
	return p
}

// runRejected runs a case through the same stages as the reference: the
// user config check, the engine config check, engine creation and a
// two-step run (simulation API: steps = 2 unless overridden).
func runRejected(t *testing.T, c invalidCase) error {
	t.Helper()
	m := decodeOverrides(t, c.Overrides)
	switch c.API {
	case "simulation":
		sc := DefaultSimulationConfig()
		sc.Steps = 2
		applyOverrides(t, &sc, m)
		if err := sc.Validate(); err != nil {
			return err
		}
		e, err := NewEngine(sc.EngineConfig())
		if err != nil {
			return err
		}
		_, err = e.Simulate(sc.Steps, sc.TuringEnabled, nil)
		return err
	case "engine":
		ec := DefaultEngineConfig()
		applyOverrides(t, &ec, m)
		e, err := NewEngine(ec)
		if err != nil {
			return err
		}
		_, err = e.Simulate(2, true, nil)
		return err
	}
	t.Fatalf("unknown api %q", c.API)
	return nil
}

// parameterOf returns the parameter a configuration error names.
func parameterOf(err error) string {
	var ce *ConfigError
	var vr *ValueOutOfRangeError
	var se *StabilityError
	switch {
	case errors.As(err, &ce):
		return ce.Parameter
	case errors.As(err, &vr):
		return vr.Parameter
	case errors.As(err, &se):
		return se.Parameter
	}
	return ""
}

// TestInvalidConfigsGolden checks that every configuration the reference
// rejects is rejected here with the same exception kind, the same
// parameter and the same message text.
func TestInvalidConfigsGolden(t *testing.T) {
	var f struct {
		Cases []invalidCase `json:"cases"`
	}
	golden.Load(t, "invalid_configs.json", &f)
	if len(f.Cases) != 34 {
		t.Fatalf("invalid_configs.json: want 34 cases, got %d", len(f.Cases))
	}
	checked := 0
	for _, c := range f.Cases {
		if len(c.Overrides) == 0 || c.Overrides[0] != '{' {
			// "not a SimulationConfig": a TypeError of the dynamically
			// typed run function; Go's static types rule it out.
			if c.Exception != "TypeError" {
				t.Fatalf("unexpected non-object override case %+v", c)
			}
			continue
		}
		checked++
		t.Run(c.API+"/"+string(c.Overrides), func(t *testing.T) {
			err := runRejected(t, c)
			if err == nil {
				t.Fatalf("accepted; reference raised %s: %s", c.Exception, c.Message)
			}
			if err.Error() != c.Message {
				t.Errorf("message\n got %q\nwant %q", err.Error(), c.Message)
			}
			checkErrorKind(t, err, c.Exception)
			if c.Exception == "NumericalInstabilityError" {
				var ni *NumericalInstabilityError
				errors.As(err, &ni)
				if !strings.Contains(c.Message, "'"+ni.Field+"'") || ni.GridSize != 4 || ni.Step != 0 {
					t.Errorf("instability error fields %+v", ni)
				}
				return
			}
			if got, param := parameterOf(err), referenceParameter(c.Message); got != param {
				t.Errorf("error names parameter %q, want %q", got, param)
			}
			if !errors.Is(err, ErrInvalidConfig) {
				t.Errorf("errors.Is(%v, ErrInvalidConfig) = false", err)
			}
		})
	}
	if checked != 33 {
		t.Fatalf("checked %d cases, want 33", checked)
	}
}

func checkErrorKind(t *testing.T, err error, exception string) {
	t.Helper()
	var ok bool
	switch exception {
	case "ValueError":
		var e *ConfigError
		ok = errors.As(err, &e)
	case "ValueOutOfRangeError":
		var e *ValueOutOfRangeError
		ok = errors.As(err, &e)
	case "StabilityError":
		var e *StabilityError
		ok = errors.As(err, &e) && errors.Is(err, ErrStability)
	case "NumericalInstabilityError":
		var e *NumericalInstabilityError
		ok = errors.As(err, &e) && errors.Is(err, ErrStability)
	default:
		t.Fatalf("unknown exception %q", exception)
	}
	if !ok {
		t.Errorf("error %T does not correspond to %s", err, exception)
	}
}

func TestDefaultsAreValid(t *testing.T) {
	if err := DefaultSimulationConfig().Validate(); err != nil {
		t.Fatal(err)
	}
	if err := DefaultEngineConfig().Validate(); err != nil {
		t.Fatal(err)
	}
	if err := DefaultSimulationConfig().EngineConfig().Validate(); err != nil {
		t.Fatal(err)
	}
}

func TestSimulationToEngineConfig(t *testing.T) {
	seed := int64(99)
	sc := SimulationConfig{GridSize: 32, Steps: 10, Alpha: 0.2, SpikeProbability: 0.5, TuringEnabled: false,
		TuringThreshold: 0.6, QuantumJitter: true, JitterVar: 0.001, Seed: &seed}
	ec := sc.EngineConfig()
	want := DefaultEngineConfig()
	want.GridSize, want.Alpha, want.SpikeProbability = 32, 0.2, 0.5
	want.TuringThreshold, want.QuantumJitter, want.JitterVar = 0.6, true, 0.001
	if ec.RandomSeed == nil || *ec.RandomSeed != 99 || ec.RandomSeed == sc.Seed {
		t.Fatalf("seed not copied into a new pointer: %v", ec.RandomSeed)
	}
	ec.RandomSeed = nil
	if ec != want {
		t.Fatalf("EngineConfig() = %+v, want %+v", ec, want)
	}
}

func TestEngineConfigBoundaryCondition(t *testing.T) {
	for _, bc := range []string{BoundaryPeriodic, BoundaryNeumann, BoundaryDirichlet} {
		c := DefaultEngineConfig()
		c.BoundaryCondition = bc
		if err := c.Validate(); err != nil {
			t.Errorf("%s: %v", bc, err)
		}
	}
	c := DefaultEngineConfig()
	c.BoundaryCondition = "toroidal"
	err := c.Validate()
	if err == nil || parameterOf(err) != "boundary_condition" || !strings.Contains(err.Error(), `"toroidal"`) {
		t.Fatalf("Validate = %v", err)
	}
}

// TestEngineConfigBounds probes each engine range just inside and just
// outside its bounds.
func TestEngineConfigBounds(t *testing.T) {
	below := func(x float64) float64 { return math.Nextafter(x, math.Inf(-1)) }
	above := func(x float64) float64 { return math.Nextafter(x, math.Inf(1)) }
	cases := []struct {
		param string
		set   func(*EngineConfig, float64)
		ok    []float64
		bad   []float64
	}{
		{"d_activator", func(c *EngineConfig, v float64) { c.DActivator = v }, []float64{0.01, below(0.25), math.NaN()}, []float64{below(0.01), 0.25}},
		{"d_inhibitor", func(c *EngineConfig, v float64) { c.DInhibitor = v }, []float64{0.01, below(0.25)}, []float64{below(0.01), 0.25}},
		{"alpha", func(c *EngineConfig, v float64) { c.Alpha = v }, []float64{0.05, below(0.25)}, []float64{below(0.05), 0.25, math.Inf(1)}},
		{"r_activator", func(c *EngineConfig, v float64) { c.RActivator = v }, []float64{0.001, 0.1}, []float64{below(0.001), above(0.1), math.NaN()}},
		{"r_inhibitor", func(c *EngineConfig, v float64) { c.RInhibitor = v }, []float64{0.001, 0.1}, []float64{below(0.001), above(0.1)}},
		{"turing_threshold", func(c *EngineConfig, v float64) { c.TuringThreshold = v }, []float64{0.5, 0.95}, []float64{below(0.5), above(0.95), math.NaN()}},
		{"spike_probability", func(c *EngineConfig, v float64) { c.SpikeProbability = v }, []float64{0, 1}, []float64{-0.0001, above(1), math.NaN()}},
		{"jitter_var", func(c *EngineConfig, v float64) { c.JitterVar = v }, []float64{0, 0.01}, []float64{-1e-300, above(0.01), math.NaN()}},
		{"grid_size", func(c *EngineConfig, v float64) { c.GridSize = int(v) }, []float64{4, 1024}, []float64{3, 1025, -1}},
	}
	for _, tc := range cases {
		for _, v := range tc.ok {
			c := DefaultEngineConfig()
			tc.set(&c, v)
			if err := c.Validate(); err != nil {
				t.Errorf("%s=%v rejected: %v", tc.param, v, err)
			}
		}
		for _, v := range tc.bad {
			c := DefaultEngineConfig()
			tc.set(&c, v)
			err := c.Validate()
			if err == nil {
				t.Errorf("%s=%v accepted", tc.param, v)
				continue
			}
			if parameterOf(err) != tc.param || !strings.Contains(err.Error(), tc.param) && tc.param != "grid_size" && tc.param != "spike_probability" {
				t.Errorf("%s=%v: error %q names %q", tc.param, v, err, parameterOf(err))
			}
		}
	}
}

func TestFormatPyFloat(t *testing.T) {
	a, b := 0.1, 0.2
	pointThree := a + b // rounded at run time, unlike the constant 0.1 + 0.2
	cases := []struct {
		v    float64
		want string
	}{
		{2, "2.0"}, {0.0005, "0.0005"}, {1024, "1024.0"}, {0.25, "0.25"}, {1e-05, "1e-05"},
		{1e16, "1e+16"}, {1234567890123456, "1234567890123456.0"}, {0.0001, "0.0001"},
		{1.5e-7, "1.5e-07"}, {-0.01, "-0.01"}, {0, "0.0"}, {math.Copysign(0, -1), "-0.0"},
		{math.NaN(), "nan"}, {math.Inf(1), "inf"}, {math.Inf(-1), "-inf"}, {pointThree, "0.30000000000000004"},
		{1.7976931348623157e308, "1.7976931348623157e+308"}, {5e-324, "5e-324"}, {123.456, "123.456"},
		{-2.5e100, "-2.5e+100"}, {0.049, "0.049"},
	}
	for _, c := range cases {
		if got := FormatPyFloat(c.v); got != c.want {
			t.Errorf("FormatPyFloat(%v) = %q, want %q", c.v, got, c.want)
		}
	}
}

func TestStabilityErrorText(t *testing.T) {
	cases := []struct {
		err  *StabilityError
		want string
	}{
		{&StabilityError{Message: "m"}, "m"},
		{&StabilityError{Message: "m", Step: 3, HasStep: true}, "m (step=3)"},
		{&StabilityError{Message: "m", Value: 0.5, HasValue: true}, "m (value=0.5)"},
		{&StabilityError{Message: "m", Step: 0, HasStep: true, Value: 2, HasValue: true}, "m (step=0, value=2.0)"},
	}
	for _, c := range cases {
		if got := c.err.Error(); got != c.want {
			t.Errorf("%+v: %q, want %q", c.err, got, c.want)
		}
		if errors.Is(c.err, ErrInvalidConfig) {
			t.Errorf("runtime StabilityError matches ErrInvalidConfig")
		}
	}
	inf := &NumericalInstabilityError{Field: "inhibitor", InfCount: 2, Step: 7, GridSize: 8}
	if got, want := inf.Error(), "Inf values detected in inhibitor [field='inhibitor', inf_count=2] (step=7)"; got != want {
		t.Errorf("%q, want %q", got, want)
	}
}

// FuzzEngineConfigValidate checks that Validate never panics and that an
// accepted configuration lies inside the documented ranges (NaN allowed
// only for D_a, D_i and alpha).
func FuzzEngineConfigValidate(f *testing.F) {
	f.Add(64, 0.1, 0.05, 0.01, 0.02, 0.75, 0.18, "periodic", 0.0005, 0.25)
	f.Add(3, 0.3, 0.005, 0.2, 0.0005, 0.3, 0.25, "neumann", 0.02, 1.5)
	f.Add(1024, math.NaN(), 0.01, 0.1, 0.1, 0.95, 0.05, "dirichlet", 0.01, 0.0)
	f.Fuzz(func(t *testing.T, grid int, da, di, ra, ri, theta, alpha float64, bc string, jv, p float64) {
		c := EngineConfig{GridSize: grid, DActivator: da, DInhibitor: di, RActivator: ra, RInhibitor: ri,
			TuringThreshold: theta, Alpha: alpha, BoundaryCondition: bc, JitterVar: jv, SpikeProbability: p}
		err := c.Validate()
		if err != nil {
			if parameterOf(err) == "" || err.Error() == "" {
				t.Fatalf("error %v names no parameter", err)
			}
			return
		}
		nanOr := func(v, lo, hi float64) bool { return math.IsNaN(v) || (v >= lo && v < hi) }
		if grid < 4 || grid > 1024 || !nanOr(da, 0.01, 0.25) || !nanOr(di, 0.01, 0.25) || !nanOr(alpha, 0.05, 0.25) ||
			!(ra >= 0.001 && ra <= 0.1) || !(ri >= 0.001 && ri <= 0.1) || !(theta >= 0.5 && theta <= 0.95) ||
			!(p >= 0 && p <= 1) || !(jv >= 0 && jv <= 0.01) {
			t.Fatalf("accepted out-of-range config %+v", c)
		}
	})
}
