package sim

import (
	"context"
	"fmt"
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
	eng, err := NewEngine(p.EngineConfig(), opt.EngineOptions...)
	if err != nil {
		return Result{}, err
	}
	acc, err := newFeatureAccumulator(opt.FeaturesFrom, n, p.Steps, fcfg)
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

func newFeatureAccumulator(src FeatureSource, n, steps int, c features.Config) (*featureAccumulator, error) {
	acc := &featureAccumulator{src: src, n: n, cfg: c}
	switch src {
	case FromStream:
		st, err := features.NewStream(n, c)
		if err != nil {
			return nil, err
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
