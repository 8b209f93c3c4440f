package sim

import (
	"fmt"
	"math"
)

// Physical and numerical constants of the reference engine (ENGINE.md §3).
const (
	FieldMinV        = -0.095 // lower clamp bound of the field (V)
	FieldMaxV        = 0.040  // upper clamp bound of the field (V)
	InitialFieldV    = -0.070 // mean of the initial field (V)
	InitialFieldStd  = 0.005  // standard deviation of the initial field (V)
	InitialChemMax   = 0.1    // activator/inhibitor start uniform on [0, 0.1)
	SpikeMeanV       = 0.02   // mean growth-event magnitude (V)
	SpikeStdV        = 0.005  // standard deviation of the growth event (V)
	TuringIncrementV = 0.005  // added where the activator exceeds the threshold (V)
	CFLLimit         = 0.25   // stability limit of alpha and the diffusion coefficients
)

// The boundary condition of EngineConfig is one of the names
// BoundaryPeriodic ("periodic": indices wrap around), BoundaryNeumann
// ("neumann": zero flux, an outside neighbour is the cell itself) and
// BoundaryDirichlet ("dirichlet": zero outside the grid), declared in
// params.go.

// SimulationConfig is the user-level configuration (the reference
// SimulationConfig). Seed nil means a non-reproducible seed from OS entropy.
type SimulationConfig struct {
	GridSize         int     `json:"grid_size"`
	Steps            int     `json:"steps"`
	Alpha            float64 `json:"alpha"`
	SpikeProbability float64 `json:"spike_probability"`
	TuringEnabled    bool    `json:"turing_enabled"`
	TuringThreshold  float64 `json:"turing_threshold"`
	QuantumJitter    bool    `json:"quantum_jitter"`
	JitterVar        float64 `json:"jitter_var"`
	Seed             *int64  `json:"seed"`
}

// DefaultSimulationConfig returns the reference defaults: grid 64, 64 steps,
// alpha 0.18, spike probability 0.25, Turing on with threshold 0.75, jitter
// off with variance 0.0005, no seed.
func DefaultSimulationConfig() SimulationConfig {
	return SimulationConfig{
		GridSize:         64,
		Steps:            64,
		Alpha:            0.18,
		SpikeProbability: 0.25,
		TuringEnabled:    true,
		TuringThreshold:  0.75,
		QuantumJitter:    false,
		JitterVar:        0.0005,
	}
}

// Validate runs the construction-time checks of the reference
// SimulationConfig in its order and returns the first failure as a
// *ConfigError. The comparisons are written so that NaN fails every range
// check except the jitter one (as in the reference, where the engine
// config then rejects it). The engine-level checks (EngineConfig.Validate)
// are stricter; a run needs both.
func (c SimulationConfig) Validate() error {
	switch {
	case c.GridSize < 2:
		return &ConfigError{"grid_size", float64(c.GridSize), "grid_size must be at least 2"}
	case c.Steps < 1:
		return &ConfigError{"steps", float64(c.Steps), "steps must be at least 1"}
	case !(0.0 < c.Alpha && c.Alpha <= CFLLimit):
		return &ConfigError{"alpha", c.Alpha, "alpha must be in (0, 0.25] for CFL stability"}
	case !(0.0 <= c.SpikeProbability && c.SpikeProbability <= 1.0):
		return &ConfigError{"spike_probability", c.SpikeProbability, "spike_probability must be in [0, 1]"}
	case !(0.0 <= c.TuringThreshold && c.TuringThreshold <= 1.0):
		return &ConfigError{"turing_threshold", c.TuringThreshold, "turing_threshold must be in [0, 1]"}
	case c.JitterVar < 0.0:
		return &ConfigError{"jitter_var", c.JitterVar, "jitter_var must be non-negative"}
	}
	return nil
}

// EngineConfig maps the user configuration onto the engine (ENGINE.md
// §2.3): grid size, alpha, Turing threshold, jitter switch and variance,
// spike probability and seed are copied; the diffusion and reaction
// constants and the periodic boundary are the engine defaults;
// stability checking is on.
func (c SimulationConfig) EngineConfig() EngineConfig {
	e := DefaultEngineConfig()
	e.GridSize = c.GridSize
	e.Alpha = c.Alpha
	e.TuringThreshold = c.TuringThreshold
	e.QuantumJitter = c.QuantumJitter
	e.JitterVar = c.JitterVar
	e.SpikeProbability = c.SpikeProbability
	e.CheckStability = true
	if c.Seed != nil {
		s := *c.Seed
		e.RandomSeed = &s
	}
	return e
}

// EngineConfig is the engine-level configuration (the reference
// ReactionDiffusionConfig). RandomSeed nil means OS entropy; a negative
// seed is accepted here and rejected by NewEngine, as in the reference.
type EngineConfig struct {
	GridSize          int     `json:"grid_size"`
	DActivator        float64 `json:"d_activator"`
	DInhibitor        float64 `json:"d_inhibitor"`
	RActivator        float64 `json:"r_activator"`
	RInhibitor        float64 `json:"r_inhibitor"`
	TuringThreshold   float64 `json:"turing_threshold"`
	Alpha             float64 `json:"alpha"`
	BoundaryCondition string  `json:"boundary_condition"`
	QuantumJitter     bool    `json:"quantum_jitter"`
	JitterVar         float64 `json:"jitter_var"`
	SpikeProbability  float64 `json:"spike_probability"`
	CheckStability    bool    `json:"check_stability"`
	RandomSeed        *int64  `json:"random_seed"`
}

// DefaultEngineConfig returns the reference ReactionDiffusionConfig
// defaults: grid 64, D_a 0.1, D_i 0.05, r_a 0.01, r_i 0.02, threshold 0.75,
// alpha 0.18, periodic boundary, jitter off (variance 0.0005), spike
// probability 0.25, stability checks on, no seed.
func DefaultEngineConfig() EngineConfig {
	return EngineConfig{
		GridSize:          64,
		DActivator:        0.1,
		DInhibitor:        0.05,
		RActivator:        0.01,
		RInhibitor:        0.02,
		TuringThreshold:   0.75,
		Alpha:             0.18,
		BoundaryCondition: BoundaryPeriodic,
		QuantumJitter:     false,
		JitterVar:         0.0005,
		SpikeProbability:  0.25,
		CheckStability:    true,
	}
}

// Validate runs the reference ReactionDiffusionConfig checks in order
// (ENGINE.md §2.2) and returns the first failure: a *ValueOutOfRangeError,
// or a *StabilityError when D_a, D_i or alpha reaches the CFL limit. As in
// the reference, NaN passes the D_a, D_i and alpha checks (the run then
// fails its stability check) but fails every other range. A boundary
// condition other than the three supported ones is rejected last.
func (c EngineConfig) Validate() error {
	if c.GridSize < 4 || c.GridSize > 1024 {
		return &ValueOutOfRangeError{"Grid size must be in [4, 1024]", "grid_size", float64(c.GridSize), 4, 1024}
	}
	cfl := []struct {
		name  string
		value float64
		min   float64
	}{{"d_activator", c.DActivator, 0.01}, {"d_inhibitor", c.DInhibitor, 0.01}, {"alpha", c.Alpha, 0.05}}
	for _, p := range cfl {
		if p.value >= CFLLimit {
			return &StabilityError{
				Message: fmt.Sprintf("%s=%s exceeds CFL stability limit of 0.25. Reduce to maintain numerical stability.",
					p.name, FormatPyFloat(p.value)),
				Parameter: p.name,
				Value:     p.value,
			}
		}
		if p.value < p.min {
			return &ValueOutOfRangeError{
				fmt.Sprintf("%s must be in [%s, 0.25)", p.name, FormatPyFloat(p.min)), p.name, p.value, p.min, CFLLimit,
			}
		}
	}
	ranges := []struct {
		name, msg       string
		value, min, max float64
	}{
		{"r_activator", "r_activator must be in [0.001, 0.1] for stable pattern formation", c.RActivator, 0.001, 0.1},
		{"r_inhibitor", "r_inhibitor must be in [0.001, 0.1] for stable damping", c.RInhibitor, 0.001, 0.1},
		{"turing_threshold", "turing_threshold must be in [0.5, 0.95] for meaningful pattern activation", c.TuringThreshold, 0.5, 0.95},
		{"spike_probability", "Spike probability must be in [0, 1]", c.SpikeProbability, 0, 1},
		{"jitter_var", "jitter_var must be in [0.0, 0.01] for stability", c.JitterVar, 0, 0.01},
	}
	for _, r := range ranges {
		if !(r.min <= r.value && r.value <= r.max) {
			return &ValueOutOfRangeError{r.msg, r.name, r.value, r.min, r.max}
		}
	}
	switch c.BoundaryCondition {
	case BoundaryPeriodic, BoundaryNeumann, BoundaryDirichlet:
	default:
		return &ConfigError{
			Parameter: "boundary_condition",
			Value:     math.NaN(),
			Message: fmt.Sprintf("boundary_condition must be one of periodic, neumann, dirichlet, got %q",
				c.BoundaryCondition),
		}
	}
	return nil
}
