package component

import (
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/mfn-io/mfn-operator/pkg/integration"
	"github.com/mfn-io/mfn-operator/pkg/integration/breaker"
	"github.com/mfn-io/mfn-operator/pkg/integration/clock"
	"github.com/mfn-io/mfn-operator/pkg/integration/retry"
	"github.com/mfn-io/mfn-operator/pkg/status"
)

// Role is connector or publisher (the role label of the breaker metrics).
type Role string

// Roles.
const (
	RoleConnector Role = "connector"
	RolePublisher Role = "publisher"
)

// Options are the parts of a component that are not configuration.
type Options struct {
	// ID is the component identifier (§1.2). It is scrubbed of URL
	// credentials and query strings before use. Required.
	ID string
	// Name is the configured name (the CR name); default ID.
	Name string
	// Kind is kafka, file, rest, database, webhook, redis, rabbitmq or jsonl. Required.
	Kind string
	// Logger receives the structured logs; default slog.Default().
	Logger *slog.Logger
	// Clock is the time source of the breaker, the retry waits and the
	// timestamps; default the real clock.
	Clock clock.Clock
	// Registerer receives the Prometheus collectors when metrics are
	// enabled. Nil means no Prometheus export (in-memory counters only).
	Registerer prometheus.Registerer
	// Secrets are scrubbed from every recorded error text and log.
	Secrets []string
	// Rand is the jitter source of the retry loop; default math/rand.
	Rand func() float64
}

// Base is the part shared by connectors and publishers: identity, status
// with its transitions (§1.3), circuit breaker, last error and logging.
type Base struct {
	id, name, kind string
	role           Role
	log            *slog.Logger
	clock          clock.Clock
	breaker        *breaker.Breaker
	retryCfg       integration.RetryConfig
	secrets        []string
	rand           func() float64
	registerer     prometheus.Registerer
	collector      prometheus.Collector

	mu            sync.Mutex
	status        integration.Status
	lastError     string
	lastErrorTime time.Time
}

func newBase(role Role, cfg integration.RetryConfig, o Options) (*Base, error) {
	if o.ID == "" {
		return nil, fmt.Errorf("%s: component id must not be empty", role)
	}
	if o.Kind == "" {
		return nil, fmt.Errorf("%s %q: kind must not be empty", role, o.ID)
	}
	id := integration.Redact(o.ID, o.Secrets...)
	name := o.Name
	if name == "" {
		name = id
	}
	logger := o.Logger
	if logger == nil {
		logger = slog.Default()
	}
	b := &Base{id: id, name: name, kind: o.Kind, role: role, clock: clock.Or(o.Clock),
		retryCfg: cfg.WithDefaults(), secrets: o.Secrets, rand: o.Rand,
		status: integration.StatusDisconnected,
		log:    logger.With("component_id", id, "component_kind", o.Kind, "role", string(role))}
	if cfg.MetricsEnabled() {
		b.registerer = o.Registerer
	}
	b.breaker = breaker.New(breaker.Config{Threshold: b.retryCfg.CircuitBreakerThreshold,
		Timeout: b.retryCfg.CircuitBreakerTimeout, Clock: b.clock, OnStateChange: b.onBreakerChange})
	return b, nil
}

func (b *Base) register(c prometheus.Collector) error {
	if b.registerer == nil {
		return nil
	}
	if err := b.registerer.Register(c); err != nil {
		return fmt.Errorf("%s %q: register metrics: %w", b.role, b.id, err)
	}
	b.collector = c
	return nil
}

// Unregister removes the component's Prometheus collectors (if any).
func (b *Base) Unregister() {
	if b.collector != nil {
		b.registerer.Unregister(b.collector)
	}
}

// ID returns the (scrubbed) component identifier.
func (b *Base) ID() string { return b.id }

// Name returns the configured name.
func (b *Base) Name() string { return b.name }

// Kind returns the component kind.
func (b *Base) Kind() string { return b.kind }

// Logger returns the logger carrying component_id, component_kind and role.
func (b *Base) Logger() *slog.Logger { return b.log }

// Clock returns the component's clock.
func (b *Base) Clock() clock.Clock { return b.clock }

// Breaker returns the component's circuit breaker.
func (b *Base) Breaker() *breaker.Breaker { return b.breaker }

// Status returns the current status.
func (b *Base) Status() integration.Status {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.status
}

// SetStatus changes the status and logs the change at info level.
func (b *Base) SetStatus(to integration.Status) {
	b.mu.Lock()
	from := b.status
	b.status = to
	b.mu.Unlock()
	if from != to {
		b.log.Info("Status changed", "status_from", string(from), "status_to", string(to))
	}
}

// transition sets the status to `to` when the current one is in `from`.
func (b *Base) transition(to integration.Status, from ...integration.Status) {
	b.mu.Lock()
	cur := b.status
	ok := false
	for _, f := range from {
		ok = ok || cur == f
	}
	if ok {
		b.status = to
	}
	b.mu.Unlock()
	if ok && cur != to {
		b.log.Info("Status changed", "status_from", string(cur), "status_to", string(to))
	}
}

// markError sets status error unless the breaker holds it at circuit_open
// or the component is disconnected.
func (b *Base) markError() {
	b.transition(integration.StatusError, integration.StatusConnecting, integration.StatusConnected)
}

// markHealthy sets status connected after an error or breaker episode.
func (b *Base) markHealthy() {
	b.transition(integration.StatusConnected, integration.StatusError, integration.StatusCircuitOpen)
}

func (b *Base) onBreakerChange(from, to breaker.State) {
	attrs := []any{"breaker_state", to.String(), "breaker_from", from.String()}
	switch to {
	case breaker.Open:
		b.log.Warn("Circuit breaker opened", attrs...)
		b.transition(integration.StatusCircuitOpen, integration.StatusConnecting,
			integration.StatusConnected, integration.StatusError)
	case breaker.Closed:
		b.log.Info("Circuit breaker closed", attrs...)
		b.markHealthy()
	default:
		b.log.Debug("Circuit breaker half-open", attrs...)
	}
}

// RecordError stores err (scrubbed) as the last error, with the time.
func (b *Base) RecordError(err error) {
	if err == nil {
		return
	}
	msg := integration.RedactError(err, b.secrets...)
	b.mu.Lock()
	b.lastError, b.lastErrorTime = msg, b.clock.Now().UTC()
	b.mu.Unlock()
}

// LastError returns the last recorded error text and time ("" if none).
func (b *Base) LastError() (string, time.Time) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.lastError, b.lastErrorTime
}

// Redact scrubs a text with the component's secrets and the URL rules.
func (b *Base) Redact(text string) string { return integration.Redact(text, b.secrets...) }

// Retrier returns a retrier bound to the component's policy, breaker and
// clock, with retry_count counted by onFailedAttempt and retry logging.
func (b *Base) retrier(op string, onFailedAttempt func()) *retry.Retrier {
	maxRetries := b.retryCfg.MaxRetries
	return &retry.Retrier{
		Policy:         retry.FromConfig(b.retryCfg),
		Breaker:        b.breaker,
		Clock:          b.clock,
		Rand:           b.rand,
		AttemptTimeout: b.retryCfg.Timeout,
		Hooks: retry.Hooks{
			OnAttemptFailure: func(attempt int, err error) {
				onFailedAttempt()
				b.log.Debug("Attempt failed", "operation", op, "attempt", attempt,
					"max_retries", maxRetries, "error", b.Redact(err.Error()))
			},
			OnRetry: func(attempt int, delay time.Duration, err error) {
				b.log.Warn("Retry scheduled", "operation", op, "attempt", attempt,
					"max_retries", maxRetries, "delay_seconds", delay.Seconds(), "error", b.Redact(err.Error()))
			},
		},
	}
}

// snapshot builds the common part of the /status report.
func (b *Base) snapshot() status.ComponentReport {
	st := b.breaker.State()
	counts := b.breaker.Counts()
	br := status.BreakerReport{State: st.String(), ConsecutiveFailures: counts.ConsecutiveFailures,
		Rejections: counts.Rejections}
	if t := b.breaker.LastTransition(); !t.IsZero() {
		u := t.UTC()
		br.LastTransitionTime = &u
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	r := status.ComponentReport{Name: b.name, ID: b.id, Kind: b.kind, Status: string(b.status),
		Breaker: br, LastError: b.lastError}
	if !b.lastErrorTime.IsZero() {
		t := b.lastErrorTime
		r.LastErrorTime = &t
	}
	return r
}

// giveUp logs and records the end of a failed operation; it reports
// whether the exhaustion counter must be incremented.
func (b *Base) giveUp(op string, res retry.Result) bool {
	switch res.Reason {
	case retry.Exhausted, retry.Permanent:
		b.RecordError(res.Err)
		b.markError()
		b.log.Error("Operation failed", "operation", op, "attempt", res.Attempts,
			"max_retries", b.retryCfg.MaxRetries, "error", b.Redact(res.Err.Error()))
		return true
	case retry.BreakerOpen:
		if res.LastErr != nil {
			b.RecordError(res.LastErr)
		} else {
			b.RecordError(res.Err)
		}
		b.log.Warn("Operation refused by the circuit breaker", "operation", op,
			"breaker_state", b.breaker.State().String(), "attempt", res.Attempts)
	}
	return false
}
