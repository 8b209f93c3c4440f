package sim

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
)

// Params is the complete, effective parameter set of one simulation run:
// the 9 SimulationConfig fields plus the engine-level boundary condition and
// reaction/diffusion constants (which the reference's user API fixes at
// their defaults). JSON keys are the reference's snake_case names.
type Params struct {
	GridSize         int     `json:"grid_size"`
	Steps            int     `json:"steps"`
	Alpha            float64 `json:"alpha"`
	SpikeProbability float64 `json:"spike_probability"`
	TuringEnabled    bool    `json:"turing_enabled"`
	TuringThreshold  float64 `json:"turing_threshold"`
	QuantumJitter    bool    `json:"quantum_jitter"`
	JitterVar        float64 `json:"jitter_var"`
	// Seed is the numpy seed; nil (JSON null) seeds from the operating
	// system's entropy and the run is not reproducible.
	Seed              *int64  `json:"seed"`
	BoundaryCondition string  `json:"boundary_condition"`
	DActivator        float64 `json:"d_activator"`
	DInhibitor        float64 `json:"d_inhibitor"`
	RActivator        float64 `json:"r_activator"`
	RInhibitor        float64 `json:"r_inhibitor"`
}

// Boundary condition names accepted in Params.BoundaryCondition.
const (
	BoundaryPeriodic  = "periodic"
	BoundaryNeumann   = "neumann"
	BoundaryDirichlet = "dirichlet"
)

// DefaultParams returns the reference defaults: grid 64, 64 steps,
// alpha 0.18, spike probability 0.25, Turing on with threshold 0.75, jitter
// off with variance 0.0005, no seed, periodic boundary, D_a 0.1, D_i 0.05,
// r_a 0.01, r_i 0.02.
func DefaultParams() Params {
	return Params{
		GridSize:          64,
		Steps:             64,
		Alpha:             0.18,
		SpikeProbability:  0.25,
		TuringEnabled:     true,
		TuringThreshold:   0.75,
		QuantumJitter:     false,
		JitterVar:         0.0005,
		BoundaryCondition: BoundaryPeriodic,
		DActivator:        0.1,
		DInhibitor:        0.05,
		RActivator:        0.01,
		RInhibitor:        0.02,
	}
}

// Limits caps the size of a run accepted from a message, to protect the
// memory and CPU budget of the process. They are checked before anything
// is allocated for the run.
type Limits struct {
	// MaxGridSize is the largest grid_size (the engine's own limit, 1024,
	// applies as well).
	MaxGridSize int
	// MaxSteps is the largest steps.
	MaxSteps int
}

// DefaultLimits returns grid_size <= 512 and steps <= 10000: the bounds of
// the MFN data model (docs/MFN_DATA_MODEL.md and the reference's optional
// strict validator). A 512 x 512 run keeps about 20 MiB of state with
// streaming features; 10000 steps of it take minutes, not hours. The
// reference HTTP API's tighter bounds (INTEGRATION.md §9.1) are
// Limits{MaxGridSize: 256, MaxSteps: 1000}.
func DefaultLimits() Limits {
	return Limits{MaxGridSize: 512, MaxSteps: 10000}
}

// engineMaxGrid is the engine's own grid-size limit (ENGINE.md §2.2).
const engineMaxGrid = 1024

// ErrInvalidParams is matched (errors.Is) by every parameter or message
// validation error: the input is wrong and retrying cannot help.
var ErrInvalidParams = errors.New("invalid simulation parameters")

// ParamError reports one invalid key: Key is the JSON key (or "message" for
// the payload as a whole) and Rule says what it must be and what it was.
type ParamError struct {
	Key  string
	Rule string
}

func (e *ParamError) Error() string { return e.Key + ": " + e.Rule }

// Unwrap makes every ParamError match ErrInvalidParams.
func (e *ParamError) Unwrap() error { return ErrInvalidParams }

func paramErr(key, format string, args ...any) error {
	return &ParamError{Key: key, Rule: fmt.Sprintf(format, args...)}
}

// Validate checks every value against the engine's effective ranges
// (ENGINE.md §2.1-2.2) and lim, in key order, and returns a *ParamError
// for the first violation. A zero limit means no extra cap.
func (p Params) Validate(lim Limits) error {
	maxGrid := engineMaxGrid
	if lim.MaxGridSize > 0 {
		maxGrid = min(maxGrid, lim.MaxGridSize)
	}
	if p.GridSize < 4 || p.GridSize > maxGrid {
		return paramErr("grid_size", "must be an integer in [4, %d], got %d", maxGrid, p.GridSize)
	}
	if p.Steps < 1 || (lim.MaxSteps > 0 && p.Steps > lim.MaxSteps) {
		if lim.MaxSteps > 0 {
			return paramErr("steps", "must be an integer in [1, %d], got %d", lim.MaxSteps, p.Steps)
		}
		return paramErr("steps", "must be an integer >= 1, got %d", p.Steps)
	}
	for _, r := range []struct {
		key       string
		v, lo, hi float64
		openHi    bool
	}{
		{"alpha", p.Alpha, 0.05, 0.25, true},
		{"spike_probability", p.SpikeProbability, 0, 1, false},
		{"turing_threshold", p.TuringThreshold, 0.5, 0.95, false},
		{"jitter_var", p.JitterVar, 0, 0.01, false},
		{"d_activator", p.DActivator, 0.01, 0.25, true},
		{"d_inhibitor", p.DInhibitor, 0.01, 0.25, true},
		{"r_activator", p.RActivator, 0.001, 0.1, false},
		{"r_inhibitor", p.RInhibitor, 0.001, 0.1, false},
	} {
		if err := checkRange(r.key, r.v, r.lo, r.hi, r.openHi); err != nil {
			return err
		}
	}
	if p.Seed != nil && *p.Seed < 0 {
		return paramErr("seed", "must be a non-negative integer or null, got %d", *p.Seed)
	}
	switch p.BoundaryCondition {
	case BoundaryPeriodic, BoundaryNeumann, BoundaryDirichlet:
	default:
		return paramErr("boundary_condition", "must be one of periodic, neumann, dirichlet, got %q", p.BoundaryCondition)
	}
	// The checks above are the engine's effective ranges; its own Validate
	// is the backstop should the two ever diverge.
	if err := p.EngineConfig().Validate(); err != nil {
		return &ParamError{Key: engineErrorKey(err), Rule: err.Error()}
	}
	return nil
}

// engineErrorKey returns the parameter named by an engine configuration
// error.
func engineErrorKey(err error) string {
	var (
		vor *ValueOutOfRangeError
		se  *StabilityError
		ce  *ConfigError
	)
	switch {
	case errors.As(err, &vor):
		return vor.Parameter
	case errors.As(err, &se) && se.Parameter != "":
		return se.Parameter
	case errors.As(err, &ce):
		return ce.Parameter
	}
	return "params"
}

// EngineConfig returns the engine configuration of p, with the stability
// check on (as the reference's run functions always have it).
func (p Params) EngineConfig() EngineConfig {
	c := EngineConfig{
		GridSize:          p.GridSize,
		DActivator:        p.DActivator,
		DInhibitor:        p.DInhibitor,
		RActivator:        p.RActivator,
		RInhibitor:        p.RInhibitor,
		TuringThreshold:   p.TuringThreshold,
		Alpha:             p.Alpha,
		BoundaryCondition: p.BoundaryCondition,
		QuantumJitter:     p.QuantumJitter,
		JitterVar:         p.JitterVar,
		SpikeProbability:  p.SpikeProbability,
		CheckStability:    true,
	}
	if p.Seed != nil {
		s := *p.Seed
		c.RandomSeed = &s
	}
	return c
}

// ParamsFromSimulationConfig returns the parameters of a user-level
// configuration: its 9 fields, with the engine-level constants and the
// boundary condition at their defaults (ENGINE.md §2.3).
func ParamsFromSimulationConfig(c SimulationConfig) Params {
	p := DefaultParams()
	p.GridSize, p.Steps, p.Alpha, p.SpikeProbability = c.GridSize, c.Steps, c.Alpha, c.SpikeProbability
	p.TuringEnabled, p.TuringThreshold = c.TuringEnabled, c.TuringThreshold
	p.QuantumJitter, p.JitterVar = c.QuantumJitter, c.JitterVar
	if c.Seed != nil {
		s := *c.Seed
		p.Seed = &s
	}
	return p
}

// checkRange rejects NaN as well as values outside [lo, hi] (or [lo, hi)).
func checkRange(key string, v, lo, hi float64, openHi bool) error {
	closing, ok := "]", v <= hi
	if openHi {
		closing, ok = ")", v < hi
	}
	if !(v >= lo) || !ok {
		return paramErr(key, "must be a number in [%s, %s%s, got %s", fmtFloat(lo), fmtFloat(hi), closing, fmtFloat(v))
	}
	return nil
}

func fmtFloat(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }

// DecodeParams decodes a flat JSON object of parameters over base and
// validates the result against lim and the engine's ranges.
//
// Decoding is strict: grid_size, steps and seed must be JSON integers
// (64.0 and 1e2 are rejected), turing_enabled and quantum_jitter JSON
// booleans, the other numeric keys finite JSON numbers, boundary_condition
// a string, seed may be null; null is rejected for every other key.
// Absent keys keep base's value; keys that are not parameters are ignored
// (like the reference's dictionary loader, so envelopes can carry ids and
// timestamps). Errors are *ParamError values naming the key and the rule.
func DecodeParams(raw []byte, base Params, lim Limits) (Params, error) {
	obj, err := decodeObject(raw, "message")
	if err != nil {
		return Params{}, err
	}
	return paramsFromObject(obj, base, lim)
}

// DecodeMessage decodes a simulation request (INTEGRATION.md §9.1): either
// the envelope {"simulation_id"?: string, "simulation_params": {...},
// "timestamp"?: ...} or a flat parameter object with an optional
// "simulation_id". It returns the id ("" when absent) and the validated
// parameters (see DecodeParams). In an envelope, keys beside
// simulation_params other than simulation_id are ignored.
func DecodeMessage(raw []byte, base Params, lim Limits) (string, Params, error) {
	obj, err := decodeObject(raw, "message")
	if err != nil {
		return "", Params{}, err
	}
	var id string
	if v, ok := obj["simulation_id"]; ok {
		if err := json.Unmarshal(v, &id); err != nil || !isString(v) {
			return "", Params{}, paramErr("simulation_id", "must be a string, got %s", describe(v))
		}
	}
	if inner, ok := obj["simulation_params"]; ok {
		obj, err = decodeObject(inner, "simulation_params")
		if err != nil {
			return "", Params{}, err
		}
	}
	p, err := paramsFromObject(obj, base, lim)
	return id, p, err
}

// decodeObject parses raw as one JSON object into its raw members.
func decodeObject(raw []byte, key string) (map[string]json.RawMessage, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || raw[0] != '{' {
		return nil, paramErr(key, "must be a JSON object, got %s", describe(raw))
	}
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(raw, &obj); err != nil {
		return nil, paramErr(key, "must be a JSON object: %v", err)
	}
	return obj, nil
}

// paramsFromObject overlays the known keys of obj on base and validates.
func paramsFromObject(obj map[string]json.RawMessage, base Params, lim Limits) (Params, error) {
	p := base
	ints := []struct {
		key string
		dst *int
	}{{"grid_size", &p.GridSize}, {"steps", &p.Steps}}
	for _, f := range ints {
		if v, ok := obj[f.key]; ok {
			n, err := decodeInt(f.key, v)
			if err != nil {
				return Params{}, err
			}
			*f.dst = n
		}
	}
	// Cap the sizes first so that no later step can be tricked into
	// allocating for an oversized run.
	if err := (Params{GridSize: p.GridSize, Steps: p.Steps}).validateSize(lim); err != nil {
		return Params{}, err
	}
	floats := []struct {
		key string
		dst *float64
	}{
		{"alpha", &p.Alpha}, {"spike_probability", &p.SpikeProbability},
		{"turing_threshold", &p.TuringThreshold}, {"jitter_var", &p.JitterVar},
		{"d_activator", &p.DActivator}, {"d_inhibitor", &p.DInhibitor},
		{"r_activator", &p.RActivator}, {"r_inhibitor", &p.RInhibitor},
	}
	for _, f := range floats {
		if v, ok := obj[f.key]; ok {
			x, err := decodeFloat(f.key, v)
			if err != nil {
				return Params{}, err
			}
			*f.dst = x
		}
	}
	bools := []struct {
		key string
		dst *bool
	}{{"turing_enabled", &p.TuringEnabled}, {"quantum_jitter", &p.QuantumJitter}}
	for _, f := range bools {
		if v, ok := obj[f.key]; ok {
			switch string(v) {
			case "true":
				*f.dst = true
			case "false":
				*f.dst = false
			default:
				return Params{}, paramErr(f.key, "must be a JSON boolean (true or false), got %s", describe(v))
			}
		}
	}
	if v, ok := obj["seed"]; ok {
		if string(v) == "null" {
			p.Seed = nil
		} else {
			n, err := decodeInt("seed", v)
			if err != nil {
				return Params{}, err
			}
			s := int64(n)
			p.Seed = &s
		}
	}
	if v, ok := obj["boundary_condition"]; ok {
		if !isString(v) || json.Unmarshal(v, &p.BoundaryCondition) != nil {
			return Params{}, paramErr("boundary_condition", "must be a string (periodic, neumann or dirichlet), got %s", describe(v))
		}
	}
	if err := p.Validate(lim); err != nil {
		return Params{}, err
	}
	return p, nil
}

// validateSize checks only grid_size and steps.
func (p Params) validateSize(lim Limits) error {
	q := DefaultParams()
	q.GridSize, q.Steps = p.GridSize, p.Steps
	return q.Validate(lim)
}

// decodeInt accepts only a JSON integer literal (optional minus sign and
// digits) that fits in an int64.
func decodeInt(key string, v json.RawMessage) (int, error) {
	s := string(v)
	if !isIntLiteral(s) {
		return 0, paramErr(key, "must be a JSON integer, got %s", describe(v))
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return 0, paramErr(key, "must be an integer within 64 bits, got %s", describe(v))
	}
	return int(n), nil
}

func isIntLiteral(s string) bool {
	if len(s) > 0 && s[0] == '-' {
		s = s[1:]
	}
	if s == "" {
		return false
	}
	for i := range len(s) {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// decodeFloat accepts a finite JSON number.
func decodeFloat(key string, v json.RawMessage) (float64, error) {
	s := string(v)
	if s == "" || (s[0] != '-' && (s[0] < '0' || s[0] > '9')) {
		return 0, paramErr(key, "must be a JSON number, got %s", describe(v))
	}
	x, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsInf(x, 0) || math.IsNaN(x) {
		return 0, paramErr(key, "must be a finite number, got %s", describe(v))
	}
	return x, nil
}

func isString(v json.RawMessage) bool { return len(v) > 0 && v[0] == '"' }

// describe names the JSON type of v and, for short scalars, shows it (on
// one line: JSON scalars cannot contain raw newlines).
func describe(v []byte) string {
	v = bytes.TrimSpace(v)
	if len(v) == 0 {
		return "nothing"
	}
	kind := "invalid JSON"
	switch c := v[0]; {
	case c == '{':
		return "an object"
	case c == '[':
		return "an array"
	case c == 'n' && string(v) == "null":
		return "null"
	case c == '"':
		kind = "a string"
	case c == 't' || c == 'f':
		kind = "a boolean"
	case c == '-' || (c >= '0' && c <= '9'):
		kind = "a number"
	}
	if len(v) > 40 || bytes.ContainsAny(v, "\r\n") {
		return kind
	}
	return kind + " " + string(v)
}
