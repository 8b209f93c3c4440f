package redis

import (
	"errors"
	"fmt"
	"log/slog"
	"strings"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/mfn-io/mfn-operator/pkg/integration"
	"github.com/mfn-io/mfn-operator/pkg/integration/clock"
)

// Mode selects the Redis command used per message.
type Mode string

// Modes.
const (
	// ModePubSub (default) runs PUBLISH <channel> <body>. Pub/sub keeps
	// nothing: a message published while nobody is subscribed is gone,
	// although the publish itself succeeded (see RequireSubscribers).
	ModePubSub Mode = "pubsub"
	// ModeStream runs XADD <channel> [MAXLEN ~ N] * payload <body>
	// event_id <id> key <key>: durable, consumers read at their own pace.
	ModeStream Mode = "stream"
)

// Options configure a Redis publisher. Zero values mean the documented defaults.
type Options struct {
	// ID overrides the component identifier (default "redis-" + Channel).
	ID string
	// Name is the configured (CR) name; default ID.
	Name string
	// URL is redis://[user:password@]host:port[/db] or rediss:// for TLS. Required.
	URL string
	// Channel is the pub/sub channel, or the stream key in ModeStream. Required.
	Channel string
	// Mode is pubsub (default) or stream.
	Mode Mode
	// StreamMaxLen, when > 0, trims the stream with MAXLEN ~ N on every XADD.
	StreamMaxLen int64
	// RequireSubscribers turns a PUBLISH that reached 0 subscribers into a
	// retryable failure (ErrNoSubscribers). Pub/sub mode only.
	RequireSubscribers bool
	// MaxBodyBytes rejects larger bodies as invalid; 0 means 1 MiB.
	MaxBodyBytes int
	// PoolSize is the connection pool size; 0 means the go-redis default.
	PoolSize int
	// MaxInFlight is how many pipelines of batch_size may be in flight at
	// once (each on its own pooled connection) under at_least_once; 0
	// means 1. Above 1, pipelines sent together may be executed in any
	// order, and a failed pipeline makes those sent with it go again
	// (duplicates); at_most_once always sends one pipeline at a time.
	MaxInFlight int
	// Config holds retry, breaker, batching and delivery settings.
	// exactly_once is rejected; compression is not supported by Redis and
	// is ignored with a warning. Timeout is the per-command deadline.
	Config integration.PublisherConfig
	// Clock times retries, the breaker and batching (default real time).
	Clock clock.Clock
	// Logger receives structured logs (default slog.Default()).
	Logger *slog.Logger
	// Registerer receives the Prometheus collectors (nil: none), including
	// mfn_publisher_redis_zero_receivers_total.
	Registerer prometheus.Registerer
}

// maxInFlight bounds Options.MaxInFlight.
const maxInFlight = 64

// withDefaults fills in the defaults.
func (o Options) withDefaults() Options {
	if o.Mode == "" {
		o.Mode = ModePubSub
	}
	if o.MaxBodyBytes == 0 {
		o.MaxBodyBytes = integration.DefaultMaxMessageBytes
	}
	if o.ID == "" {
		o.ID = "redis-" + o.Channel
	}
	o.MaxInFlight = max(o.MaxInFlight, 1)
	o.Config = o.Config.WithDefaults()
	return o
}

// Validate reports every option that breaks its rule, naming the field.
func (o Options) Validate() error {
	errs := []error{o.Config.ValidateFor("redis")}
	switch {
	case o.URL == "":
		errs = append(errs, errors.New("redis_url: required"))
	case !strings.HasPrefix(o.URL, "redis://") && !strings.HasPrefix(o.URL, "rediss://") &&
		!strings.HasPrefix(o.URL, "unix://"):
		errs = append(errs, fmt.Errorf("redis_url = %q: must start with redis://, rediss:// or unix://",
			integration.RedactURL(o.URL)))
	}
	if o.Channel == "" {
		errs = append(errs, errors.New("channel: required"))
	}
	if o.Mode != "" && o.Mode != ModePubSub && o.Mode != ModeStream {
		errs = append(errs, fmt.Errorf("mode = %q: must be pubsub or stream", o.Mode))
	}
	if o.StreamMaxLen < 0 {
		errs = append(errs, fmt.Errorf("stream_max_len = %d: must be ≥ 0", o.StreamMaxLen))
	}
	if o.StreamMaxLen > 0 && o.Mode != ModeStream {
		errs = append(errs, fmt.Errorf("stream_max_len = %d: only valid with mode stream", o.StreamMaxLen))
	}
	if o.RequireSubscribers && o.Mode == ModeStream {
		errs = append(errs, errors.New("require_subscribers: only valid with mode pubsub"))
	}
	if o.MaxBodyBytes < 0 {
		errs = append(errs, fmt.Errorf("max_body_bytes = %d: must be ≥ 0", o.MaxBodyBytes))
	}
	if o.MaxInFlight < 0 || o.MaxInFlight > maxInFlight {
		errs = append(errs, fmt.Errorf("max_in_flight = %d: must be in [0, %d]", o.MaxInFlight, maxInFlight))
	}
	if o.PoolSize < 0 {
		errs = append(errs, fmt.Errorf("pool_size = %d: must be ≥ 0", o.PoolSize))
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("invalid redis publisher options: %w", err)
	}
	return nil
}
