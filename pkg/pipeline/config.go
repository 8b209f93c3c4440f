package pipeline

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime"
	"time"

	"github.com/mfn-io/mfn-operator/pkg/integration"
)

// Default values of [Config].
const (
	DefaultShutdownGrace  = 30 * time.Second
	DefaultPauseInterval  = 100 * time.Millisecond
	DefaultConnectBackoff = time.Second
	maxConnectBackoff     = 30 * time.Second
	maxWorkers            = 1024
	maxInFlightLimit      = 1 << 16
	// DefaultInFlightPerWorker × Workers is the default MaxInFlight. A
	// message keeps its slot until its publishers confirmed it (an fsync, a
	// broker round trip) and its source acknowledged it, and the publishers
	// are flushed every half window (Runtime.groupCommit), so half the
	// window must cover a flush and the settling after it while the
	// workers go on. With simulations of a third of a millisecond a window
	// of 2 × Workers left the workers waiting for slots (about 45 % of the
	// engine bound at grid 32), and 16 × Workers still did whenever an
	// fsync took a few milliseconds (file → JSON Lines at 61–65 % of the
	// bound, 73 % with 32 × Workers; docs/BENCHMARKS.md). It also bounds
	// the duplicates after a crash.
	DefaultInFlightPerWorker = 32
)

// Result is what a [Processor] produces for one message: the routing key,
// the idempotency key and the serialised envelope handed to publishers.
type Result struct {
	Key     string
	EventID string
	Body    []byte
}

// Processor turns the payload of one message into a result envelope.
//
// Process returns an error when the message cannot be simulated (invalid
// parameters, engine error); the error is permanent for that message. Failure
// builds the failure envelope (error + original payload) sent to the
// dead-letter publisher for such a message, or for a result a publisher gave
// up. Both must be safe for concurrent use.
type Processor interface {
	Process(ctx context.Context, msg *integration.Message) (Result, error)
	Failure(msg *integration.Message, err error) Result
}

// Connector is the pipeline's source together with its configured name (the
// CR name in a cluster), reported on /status.
type Connector struct {
	Name string
	integration.Connector
}

// Publisher is a sink together with its configured name.
type Publisher struct {
	Name string
	integration.Publisher
}

// Config configures a [Runtime]. Zero values mean the documented defaults.
type Config struct {
	// Name is the pipeline name reported on /status.
	Name string
	// Worker identifies the process on /status (pod name or host name).
	Worker string
	// Connector is the source of messages. Required.
	Connector Connector
	// Publishers receive every result, in this order. At least one.
	Publishers []Publisher
	// DeadLetter, when its Publisher is not nil, receives failure envelopes.
	DeadLetter Publisher
	// Processor simulates messages. Required.
	Processor Processor
	// Workers is the number of concurrent simulations (default GOMAXPROCS, 1 … 1024).
	Workers int
	// MaxInFlight bounds the messages taken from the connector and not yet
	// settled (default DefaultInFlightPerWorker × Workers, at least
	// Workers, at most 65536).
	MaxInFlight int
	// ShutdownGrace bounds the shutdown after the context ends (default 30s).
	ShutdownGrace time.Duration
	// PauseInterval is how often breaker states are sampled (default 100ms).
	PauseInterval time.Duration
	// ConnectBackoff is the first delay between connection attempts; it
	// doubles up to 30s (default 1s). Zero ConnectAttempts retries forever.
	ConnectBackoff time.Duration
	// ConnectAttempts bounds connection attempts per component (0 = until the context ends).
	ConnectAttempts int
	// Logger receives the runtime's logs (default slog.Default()).
	Logger *slog.Logger
}

func (c *Config) applyDefaults() {
	if c.Workers == 0 {
		c.Workers = runtime.GOMAXPROCS(0)
	}
	if c.MaxInFlight == 0 {
		c.MaxInFlight = DefaultInFlightPerWorker * c.Workers
	}
	if c.ShutdownGrace == 0 {
		c.ShutdownGrace = DefaultShutdownGrace
	}
	if c.PauseInterval == 0 {
		c.PauseInterval = DefaultPauseInterval
	}
	if c.ConnectBackoff == 0 {
		c.ConnectBackoff = DefaultConnectBackoff
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
}

// Validate reports the first field that is missing or out of range.
func (c Config) Validate() error {
	switch {
	case c.Connector.Connector == nil:
		return errors.New("pipeline: Connector is required")
	case len(c.Publishers) == 0:
		return errors.New("pipeline: Publishers must name at least one publisher")
	case c.Processor == nil:
		return errors.New("pipeline: Processor is required")
	case c.Workers < 0 || c.Workers > maxWorkers:
		return fmt.Errorf("pipeline: Workers must be between 1 and %d (0 means GOMAXPROCS), got %d", maxWorkers, c.Workers)
	case c.MaxInFlight < 0 || c.MaxInFlight > maxInFlightLimit:
		return fmt.Errorf("pipeline: MaxInFlight must be between 1 and %d (0 means %d × Workers), got %d", maxInFlightLimit, DefaultInFlightPerWorker, c.MaxInFlight)
	case c.MaxInFlight > 0 && c.Workers > 0 && c.MaxInFlight < c.Workers:
		return fmt.Errorf("pipeline: MaxInFlight (%d) must be at least Workers (%d)", c.MaxInFlight, c.Workers)
	case c.ShutdownGrace < 0:
		return fmt.Errorf("pipeline: ShutdownGrace must not be negative, got %s", c.ShutdownGrace)
	case c.PauseInterval < 0:
		return fmt.Errorf("pipeline: PauseInterval must not be negative, got %s", c.PauseInterval)
	case c.ConnectBackoff < 0:
		return fmt.Errorf("pipeline: ConnectBackoff must not be negative, got %s", c.ConnectBackoff)
	case c.ConnectAttempts < 0:
		return fmt.Errorf("pipeline: ConnectAttempts must not be negative, got %d", c.ConnectAttempts)
	}
	for i, p := range c.Publishers {
		if p.Publisher == nil {
			return fmt.Errorf("pipeline: Publishers[%d] is nil", i)
		}
	}
	return nil
}
