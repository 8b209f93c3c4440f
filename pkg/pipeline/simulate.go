package pipeline

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/mfn-io/mfn-operator/pkg/integration"
	"github.com/mfn-io/mfn-operator/pkg/integration/schema"
	"github.com/mfn-io/mfn-operator/pkg/sim"
)

// SimConfig configures the processor returned by [NewSimProcessor].
type SimConfig struct {
	// Params are the defaults every message is decoded over (the
	// pipeline's spec.simulation); zero means sim.DefaultParams().
	Params sim.Params
	// Limits cap grid_size and steps of a message before anything is
	// allocated; zero means sim.DefaultLimits().
	Limits sim.Limits
	// Run tunes sim.Run. Without EngineOptions each simulation runs on one
	// goroutine: the runtime's parallelism is across messages.
	Run sim.RunOptions
	// Now is the clock of the envelope timestamps; nil means time.Now.
	Now func() time.Time
}

// SimProcessor decodes a parameter message (envelope or flat form), runs
// the simulation with streaming features and encodes the §9.2 result
// envelope. It is safe for concurrent use.
type SimProcessor struct {
	cfg SimConfig
}

// NewSimProcessor returns the processor of the MFN pipeline.
func NewSimProcessor(cfg SimConfig) *SimProcessor {
	if cfg.Params == (sim.Params{}) {
		cfg.Params = sim.DefaultParams()
	}
	if cfg.Limits == (sim.Limits{}) {
		cfg.Limits = sim.DefaultLimits()
	}
	if cfg.Run.EngineOptions == nil {
		cfg.Run.EngineOptions = []sim.Option{sim.WithWorkers(1)}
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &SimProcessor{cfg: cfg}
}

// Process implements [Processor]. Invalid input fails before anything is
// allocated for the run, with an error (matching sim.ErrInvalidParams) that
// names the key and the rule.
func (s *SimProcessor) Process(ctx context.Context, msg *integration.Message) (Result, error) {
	if bad := msg.Metadata[integration.MetadataError]; bad != "" {
		// The connector already found the input unusable (oversize, not
		// JSON, not an object): never simulate it.
		return Result{}, fmt.Errorf("%w: %s", sim.ErrInvalidParams, bad)
	}
	id, p, err := sim.DecodeMessage(msg.Payload, s.cfg.Params, s.cfg.Limits)
	if err != nil {
		return Result{}, err
	}
	opt := s.cfg.Run
	if y := yielderFrom(ctx); y != nil && opt.BetweenSteps == nil {
		opt.BetweenSteps = y.step
	}
	res, err := sim.Run(ctx, p, opt)
	if err != nil {
		return Result{}, fmt.Errorf("simulation failed: %w", err)
	}
	src := schema.Source{ConnectorID: msg.ConnectorID, Position: msg.Position}
	id = schema.SimulationIDFor(id, src)
	env := schema.Success(src, id, res.Params, res.Features, s.cfg.Now()) // sets EventID from src
	body, err := env.MarshalShared()                                      // each publisher applies its payload_format and nonfinite (schema.Formatter)
	if err != nil {
		return Result{}, fmt.Errorf("encode result: %w", err)
	}
	return Result{Key: id, EventID: env.EventID, Body: body}, nil
}

// Failure implements [Processor]: the failure envelope carries the error and,
// in params, the original payload (as JSON when it is JSON, else as a string).
func (s *SimProcessor) Failure(msg *integration.Message, cause error) Result {
	src := schema.Source{ConnectorID: msg.ConnectorID, Position: msg.Position}
	var original any = string(msg.Payload)
	id := ""
	if json.Valid(msg.Payload) {
		original = json.RawMessage(msg.Payload)
		if in, err := schema.DecodeInput(msg.Payload, 0); err == nil {
			id = in.SimulationID
		}
	}
	id = schema.SimulationIDFor(id, src)
	env := schema.Failure(src, id, original, integration.RedactError(cause), s.cfg.Now()) // sets EventID from src
	body, err := env.Marshal()
	if err != nil {
		// A payload the encoder refuses (NaN inside valid-looking JSON is
		// not valid JSON, so this is rare): fall back to its text.
		env.Params = string(msg.Payload)
		if body, err = env.Marshal(); err != nil {
			env.Params = nil
			body, _ = env.Marshal()
		}
	}
	return Result{Key: id, EventID: env.EventID, Body: body}
}
