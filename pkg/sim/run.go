package sim

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/mfn-io/mfn-operator/pkg/sim/features"
)

// FeatureSource selects what Run computes the features from.
type FeatureSource int

const (
	// FromStream (the default) feeds every step's field to a
	// features.Stream: the reference's history features in O(N^2) memory.
	FromStream FeatureSource = iota
	// FromHistory keeps the whole (steps, N, N) history and evaluates it
	// at the end, like run_mycelium_simulation_with_history followed by
	// compute_fractal_features. Same result as FromStream; needs
	// 16 * steps * N^2 bytes (see MaxHistoryValues).
	FromHistory
	// FromFinal evaluates the final field only, like compute_fractal_features
	// on a result without history: the temporal features are 0.
	FromFinal
)

var featureSourceNames = [...]string{FromStream: "stream", FromHistory: "history", FromFinal: "final"}

// String returns "stream", "history" or "final".
func (s FeatureSource) String() string {
	if s < 0 || int(s) >= len(featureSourceNames) {
		return fmt.Sprintf("FeatureSource(%d)", int(s))
	}
	return featureSourceNames[s]
}

// ParseFeatureSource parses "stream", "history" or "final".
func ParseFeatureSource(name string) (FeatureSource, error) {
	for i, n := range featureSourceNames {
		if n == name {
			return FeatureSource(i), nil
		}
	}
	return 0, fmt.Errorf("features-from must be one of stream, history, final, got %q", name)
}

// MaxHistoryValues caps steps * grid_size^2 for FromHistory (2^25 values:
// a 256 MiB history plus as much again for its changes). Larger runs must
// use FromStream, which gives the same features.
const MaxHistoryValues = 1 << 25

// RunOptions tune Run. The zero value streams the features with the
// default feature configuration and does not keep the field.
type RunOptions struct {
	// FeaturesFrom selects the feature source (default FromStream).
	FeaturesFrom FeatureSource
	// Features is the feature configuration; the zero value means
	// features.DefaultConfig().
	Features features.Config
	// KeepField copies the final field into Result.Field.
	KeepField bool
	// EngineOptions are passed to NewEngine (e.g. WithWorkers).
	EngineOptions []Option
	// BetweenSteps, if set, is called after every step. A caller that runs
	// simulations next to latency-sensitive goroutines uses it as a
	// scheduling point (pkg/pipeline polls the network there at most once
	// a millisecond); it must return at once when it has nothing to do.
	BetweenSteps func()
}

// Result is the outcome of one run.
type Result struct {
	// Params are the effective parameters of the run.
	Params Params
	// Features are the 18 features (see RunOptions.FeaturesFrom).
	Features features.Vector
	// Metrics are the engine's counters and final-state statistics.
	Metrics Metrics
	// Elapsed is the wall time of the simulation and feature extraction.
	Elapsed time.Duration
	// Field is the final field (volts, row-major N*N) if KeepField was set.
	Field []float64
}

// Run validates p (engine ranges, no Limits: cap untrusted input with
// DecodeParams first), runs the simulation and extracts the features. It
// checks ctx between steps and returns ctx's error, wrapped with the step,
// when it is cancelled. Errors: a *ParamError for invalid parameters (also
// ErrInvalidParams), a *NumericalInstabilityError from the engine, or a
// features error.
//
// Run is safe for concurrent use. Sequential runs on grids up to
// maxPooledGrid reuse the engine and stream buffers of earlier runs of the
// same grid size (a sync.Pool per size), so back-to-back runs allocate
// almost nothing and leave the collector little to do.
func Run(ctx context.Context, p Params, opt RunOptions) (Result, error) {
	start := time.Now()
	if err := p.Validate(Limits{}); err != nil {
		return Result{}, err
	}
	fcfg := opt.Features
	if fcfg == (features.Config{}) {
		fcfg = features.DefaultConfig()
	}
	if err := fcfg.Validate(); err != nil {
		return Result{}, err
	}
	n, nn := p.GridSize, p.GridSize*p.GridSize
	if opt.FeaturesFrom == FromHistory && p.Steps > MaxHistoryValues/nn {
		return Result{}, fmt.Errorf("sim: features from history need steps * grid_size^2 <= %d, got %d * %d^2; use the stream source", MaxHistoryValues, p.Steps, n)
	}
	ecfg := p.EngineConfig()
	sc, err := acquireScratch(ecfg, opt.EngineOptions, opt.FeaturesFrom, fcfg)
	if err != nil {
		return Result{}, err
	}
	defer releaseScratch(sc)
	eng := sc.eng
	acc, err := newFeatureAccumulator(opt.FeaturesFrom, n, p.Steps, fcfg, sc.stream)
	if err != nil {
		return Result{}, err
	}
	m, err := eng.Simulate(p.Steps, p.TuringEnabled, func(step int, field []float64) error {
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("sim: run stopped before step %d: %w", step+1, err)
		}
		if err := acc.add(field); err != nil {
			return err
		}
		if opt.BetweenSteps != nil {
			opt.BetweenSteps()
		}
		return nil
	})
	if err != nil {
		return Result{}, err
	}
	res := Result{Params: p, Metrics: m}
	if res.Features, err = acc.features(eng.Field()); err != nil {
		return Result{}, err
	}
	if opt.KeepField {
		res.Field = append([]float64(nil), eng.Field()...)
	}
	res.Elapsed = time.Since(start)
	return res, nil
}

// featureAccumulator collects what the chosen feature source needs.
type featureAccumulator struct {
	src     FeatureSource
	n       int
	cfg     features.Config
	stream  *features.Stream
	history []float64
}

// newFeatureAccumulator returns the accumulator of src. For FromStream it
// uses st, a Stream reset for c (see acquireScratch), when st is not nil.
func newFeatureAccumulator(src FeatureSource, n, steps int, c features.Config, st *features.Stream) (*featureAccumulator, error) {
	acc := &featureAccumulator{src: src, n: n, cfg: c}
	switch src {
	case FromStream:
		if st == nil {
			var err error
			if st, err = features.NewStream(n, c); err != nil {
				return nil, err
			}
		}
		acc.stream = st
	case FromHistory:
		acc.history = make([]float64, 0, steps*n*n)
	case FromFinal:
	default:
		return nil, fmt.Errorf("sim: unknown feature source %d", int(src))
	}
	return acc, nil
}

func (a *featureAccumulator) add(field []float64) error {
	switch a.src {
	case FromStream:
		return a.stream.Add(field)
	case FromHistory:
		a.history = append(a.history, field...)
	}
	return nil
}

func (a *featureAccumulator) features(final []float64) (features.Vector, error) {
	switch a.src {
	case FromStream:
		return a.stream.Features()
	case FromHistory:
		return features.FromHistory(a.history, len(a.history)/(a.n*a.n), a.n, a.cfg)
	}
	return features.FromField(final, a.n, a.cfg)
}

// maxPooledGrid is the largest grid whose buffers Run keeps for the next
// run. Below it the allocation and collection of the buffers (about
// 106 N^2 bytes and a 64 KiB summation block: 186 KB at 32 x 32) cost
// several percent of a run when every core runs simulations; above it a
// run costs so much more than its buffers that keeping them would only
// hold memory.
const maxPooledGrid = 256

// runScratch is the engine and feature stream of one run.
type runScratch struct {
	eng    *Engine
	stream *features.Stream // nil unless the run streams its features
	pool   *sync.Pool       // where the scratch returns, or nil
}

// scratchPools holds one *sync.Pool of *runScratch per grid size up to
// maxPooledGrid. Only sequential engines are pooled: a parallel engine's
// worker pool depends on more of the configuration, and parallel runs are
// on grids far above maxPooledGrid.
var scratchPools [maxPooledGrid + 1]sync.Pool

// acquireScratch returns an engine configured for cfg (validated by the
// caller through Params.Validate, and again here) and, for the stream
// source, a Stream reset for fcfg: reused from an earlier run of the same
// grid size when there is one.
func acquireScratch(cfg EngineConfig, opts []Option, src FeatureSource, fcfg features.Config) (*runScratch, error) {
	n := cfg.GridSize
	if n < 1 || n > maxPooledGrid || resolveOptions(cfg, opts).workers > 1 {
		eng, err := NewEngine(cfg, opts...)
		if err != nil {
			return nil, err
		}
		return &runScratch{eng: eng}, nil
	}
	if err := validateForEngine(cfg); err != nil {
		return nil, err
	}
	pool := &scratchPools[n]
	sc, _ := pool.Get().(*runScratch)
	if sc == nil {
		sc = &runScratch{eng: newEngineArrays(n), pool: pool}
	}
	sc.eng.configure(cfg)
	if src == FromStream {
		if sc.stream == nil {
			st, err := features.NewStream(n, fcfg)
			if err != nil {
				return nil, err
			}
			sc.stream = st
		} else if err := sc.stream.Reset(fcfg); err != nil {
			return nil, err
		}
	}
	return sc, nil
}

// releaseScratch returns sc to its pool. The run's result must not refer
// to its buffers any more.
func releaseScratch(sc *runScratch) {
	if sc.pool != nil {
		sc.pool.Put(sc)
	}
}
