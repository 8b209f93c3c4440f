package sim

import (
	"fmt"
	"math"

	"github.com/mfn-io/mfn-operator/pkg/sim/reduce"
	"github.com/mfn-io/mfn-operator/pkg/sim/rng"
)

// Metrics are the counters and final-state statistics of one run
// (ENGINE.md §4.4). Means and standard deviations follow numpy's summation
// order bit for bit.
type Metrics struct {
	GrowthEvents      int     `json:"growth_events"`
	TuringActivations int     `json:"turing_activations"`
	ClampingEvents    int     `json:"clamping_events"`
	StepsComputed     int     `json:"steps_computed"`
	FieldMinV         float64 `json:"field_min_v"`
	FieldMaxV         float64 `json:"field_max_v"`
	FieldMeanV        float64 `json:"field_mean_v"`
	FieldStdV         float64 `json:"field_std_v"`
	ActivatorMean     float64 `json:"activator_mean"`
	InhibitorMean     float64 `json:"inhibitor_mean"`
}

// Observer receives the field after every step (after clamping) as a flat
// row-major slice of N*N values. The slice is only valid during the call
// and must not be modified. A non-nil error aborts the run and is returned
// by Simulate.
type Observer func(step int, field []float64) error

// Engine is the MFN reaction-diffusion engine (the reference
// ReactionDiffusionEngine): a membrane-potential field V driven by random
// growth spikes, 5-point diffusion, an activator/inhibitor Turing system
// and optional Gaussian jitter, clamped to [FieldMinV, FieldMaxV] after
// every step.
//
// All state is preallocated by NewEngine; Simulate allocates nothing per
// step. An Engine is not safe for concurrent use.
type Engine struct {
	cfg   EngineConfig
	n     int
	sigma float64 // jitter standard deviation sqrt(jitter_var)
	bc    boundary

	gen rng.Generator
	k   kernelConsts

	// Current and next arrays, swapped after every step.
	v, a, b    []float64
	v2, a2, b2 []float64
	zero       []float64 // a row of zeros (Dirichlet outside rows)
	lap        rowBuffers

	workers *workerPool // row-parallel stencil for large grids, or nil

	trace func(stepTrace) // test hook, called after every step

	m Metrics
}

// boundary is the boundary condition as a small integer for the row loops.
type boundary uint8

const (
	bcPeriodic boundary = iota
	bcNeumann
	bcDirichlet
)

// rowBuffers hold the Laplacians of one row of V, a and b, and the row's
// jitter variates.
type rowBuffers struct {
	v, a, b, z []float64
}

func newRowBuffers(n int) rowBuffers {
	buf := make([]float64, 4*n)
	return rowBuffers{v: buf[:n:n], a: buf[n : 2*n : 2*n], b: buf[2*n : 3*n : 3*n], z: buf[3*n:]}
}

// NewEngine validates cfg (EngineConfig.Validate) and allocates the
// engine's arrays. A negative RandomSeed is rejected with the reference's
// "expected non-negative integer" (*ConfigError, parameter random_seed).
func NewEngine(cfg EngineConfig, opts ...Option) (*Engine, error) {
	if err := validateForEngine(cfg); err != nil {
		return nil, err
	}
	o := resolveOptions(cfg, opts)
	e := newEngineArrays(cfg.GridSize)
	e.configure(cfg)
	if o.workers > 1 {
		e.workers = newWorkerPool(e, o.workers)
	}
	return e, nil
}

// validateForEngine is NewEngine's check of cfg.
func validateForEngine(cfg EngineConfig) error {
	if err := cfg.Validate(); err != nil {
		return err
	}
	if cfg.RandomSeed != nil && *cfg.RandomSeed < 0 {
		return &ConfigError{"random_seed", float64(*cfg.RandomSeed), "expected non-negative integer"}
	}
	return nil
}

// newEngineArrays allocates the arrays of an n x n engine, not yet
// configured.
func newEngineArrays(n int) *Engine {
	cells := n * n
	buf := make([]float64, 6*cells+n)
	return &Engine{
		n:    n,
		v:    buf[0*cells : 1*cells : 1*cells],
		a:    buf[1*cells : 2*cells : 2*cells],
		b:    buf[2*cells : 3*cells : 3*cells],
		v2:   buf[3*cells : 4*cells : 4*cells],
		a2:   buf[4*cells : 5*cells : 5*cells],
		b2:   buf[5*cells : 6*cells : 6*cells],
		zero: buf[6*cells:],
		lap:  newRowBuffers(n),
	}
}

// configure sets the configuration of a validated cfg whose grid size is
// e's. Everything else the configuration drives is redrawn by Simulate.
func (e *Engine) configure(cfg EngineConfig) {
	e.cfg = cfg
	e.sigma = math.Sqrt(cfg.JitterVar)
	e.k = newKernelConsts(cfg, e.sigma)
	e.bc = bcPeriodic
	switch cfg.BoundaryCondition {
	case BoundaryNeumann:
		e.bc = bcNeumann
	case BoundaryDirichlet:
		e.bc = bcDirichlet
	}
}

// Config returns the engine configuration.
func (e *Engine) Config() EngineConfig { return e.cfg }

// GridSize returns N.
func (e *Engine) GridSize() int { return e.n }

// Field returns the current field V (volts), row-major, N*N values. The
// slice is the engine's own buffer: it is overwritten by the next
// Simulate call.
func (e *Engine) Field() []float64 { return e.v }

// Activator returns the current activator array (row-major, N*N).
func (e *Engine) Activator() []float64 { return e.a }

// Inhibitor returns the current inhibitor array (row-major, N*N).
func (e *Engine) Inhibitor() []float64 { return e.b }

// Metrics returns the metrics of the last completed Simulate call.
func (e *Engine) Metrics() Metrics { return e.m }

// Simulate resets the engine, re-seeds the generator from RandomSeed (OS
// entropy when nil; so repeated calls with a seed give identical runs),
// draws the initial state and runs steps steps (ENGINE.md §4). observe,
// if not nil, is called after every step with the clamped field.
//
// steps = 0 returns the metrics of the initial state. Errors: steps < 0;
// a *NumericalInstabilityError when the stability check finds NaN or
// infinite values (possible only through NaN diffusion coefficients or
// alpha, which the configuration accepts as the reference does); an
// error returned by observe.
func (e *Engine) Simulate(steps int, turingEnabled bool, observe Observer) (Metrics, error) {
	if steps < 0 {
		return Metrics{}, &ConfigError{"steps", float64(steps), fmt.Sprintf("steps must be non-negative, got %d", steps)}
	}
	if err := e.reset(); err != nil {
		return Metrics{}, err
	}
	if e.workers != nil {
		e.workers.start()
		defer e.workers.stop()
	}
	for s := range steps {
		if err := e.step(s, turingEnabled); err != nil {
			return Metrics{}, err
		}
		e.m.StepsComputed++
		if observe != nil {
			if err := observe(s, e.v); err != nil {
				return Metrics{}, err
			}
		}
	}
	e.finishMetrics()
	return e.m, nil
}

// reset re-seeds the generator and draws the initial arrays (§4.1):
// V ~ normal(-0.07, 0.005), then a ~ uniform(0, 0.1), then b ~ uniform(0,
// 0.1), each in row-major order. The activator and inhibitor are drawn
// even when Turing is disabled.
func (e *Engine) reset() error {
	e.m = Metrics{}
	if e.cfg.RandomSeed != nil {
		e.gen.Seed(uint64(*e.cfg.RandomSeed))
	} else if err := e.gen.SeedFromOS(); err != nil {
		return err
	}
	// normal(-0.07, 0.005) = fl(-0.07 + fl(0.005*z)), z drawn in bulk.
	e.gen.FillStandardNormal(e.v)
	for k, z := range e.v {
		e.v[k] = InitialFieldV + float64(InitialFieldStd*z)
	}
	for k := range e.a {
		e.a[k] = e.gen.Uniform(0, InitialChemMax)
	}
	for k := range e.b {
		e.b[k] = e.gen.Uniform(0, InitialChemMax)
	}
	return nil
}

// finishMetrics computes the final-state statistics.
func (e *Engine) finishMetrics() {
	lo, hi := e.v[0], e.v[0]
	for _, x := range e.v {
		// numpy's min/max propagate NaN; a NaN field only survives with
		// check_stability off.
		if x != x {
			lo, hi = x, x
			break
		}
		lo = min(lo, x)
		hi = max(hi, x)
	}
	e.m.FieldMinV, e.m.FieldMaxV = lo, hi
	e.m.FieldMeanV = reduce.Mean(e.v)
	e.m.FieldStdV = reduce.Std(e.v)
	e.m.ActivatorMean = reduce.Mean(e.a)
	e.m.InhibitorMean = reduce.Mean(e.b)
}
