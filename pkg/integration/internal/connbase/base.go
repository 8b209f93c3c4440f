package connbase

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"time"

	"github.com/mfn-io/mfn-operator/pkg/integration"
	"github.com/mfn-io/mfn-operator/pkg/integration/breaker"
	"github.com/mfn-io/mfn-operator/pkg/integration/clock"
	"github.com/mfn-io/mfn-operator/pkg/integration/retry"
	"github.com/mfn-io/mfn-operator/pkg/status"
)

// Base holds one connector's status, breaker and metrics. It is safe for
// concurrent use.
type Base struct {
	id, kind string
	cfg      integration.ConnectorConfig
	clock    clock.Clock
	log      *slog.Logger
	secrets  []string
	breaker  *breaker.Breaker
	retrier  retry.Retrier

	mu      sync.Mutex
	status  string
	m       status.ConnectorMetrics
	lastErr string
	errTime *time.Time
}

// New returns a disconnected base. cfg must have its defaults applied.
// secrets are scrubbed from every recorded error text.
func New(id, kind string, cfg integration.ConnectorConfig, clk clock.Clock, log *slog.Logger, secrets ...string) *Base {
	if log == nil {
		log = slog.Default()
	}
	b := &Base{id: id, kind: kind, cfg: cfg, clock: clock.Or(clk), status: status.ComponentDisconnected,
		secrets: secrets}
	b.log = log.With("component_id", id, "component_kind", kind, "role", "connector")
	b.breaker = breaker.New(breaker.Config{Threshold: cfg.CircuitBreakerThreshold,
		Timeout: cfg.CircuitBreakerTimeout, Clock: b.clock, OnStateChange: b.breakerChanged})
	b.retrier = retry.Retrier{Policy: retry.FromConfig(cfg.RetryConfig), Breaker: b.breaker, Clock: b.clock,
		Hooks: retry.Hooks{
			OnAttemptFailure: func(attempt int, err error) {
				b.mu.Lock()
				b.m.RetryCount++
				b.mu.Unlock()
				b.log.Debug("Attempt failed", "attempt", attempt, "max_retries", cfg.MaxRetries, "error", b.Redact(err))
			},
			OnRetry: func(attempt int, delay time.Duration, err error) {
				b.log.Warn("Retry scheduled", "attempt", attempt, "delay_seconds", delay.Seconds(), "error", b.Redact(err))
			},
		}}
	return b
}

// Logger returns the component's logger.
func (b *Base) Logger() *slog.Logger { return b.log }

// Clock returns the component's clock.
func (b *Base) Clock() clock.Clock { return b.clock }

// Breaker returns the component's circuit breaker.
func (b *Base) Breaker() *breaker.Breaker { return b.breaker }

// Redact scrubs an error text of credentials.
func (b *Base) Redact(err error) string { return integration.RedactError(err, b.secrets...) }

func (b *Base) breakerChanged(from, to breaker.State) {
	switch to {
	case breaker.Open:
		b.log.Warn("Circuit breaker opened", "breaker_state", to.String())
		b.setStatus(status.ComponentCircuitOpen)
	case breaker.Closed:
		b.log.Info("Circuit breaker closed", "breaker_state", to.String())
		b.mu.Lock()
		if b.status == status.ComponentCircuitOpen {
			b.mu.Unlock()
			b.setStatus(status.ComponentConnected)
			return
		}
		b.mu.Unlock()
	default:
		b.log.Debug("Circuit breaker half-open", "breaker_state", to.String())
	}
}

func (b *Base) setStatus(s string) {
	b.mu.Lock()
	from := b.status
	b.status = s
	b.mu.Unlock()
	if from != s {
		b.log.Info("Status changed", "status_from", from, "status_to", s)
	}
}

// Status returns the current status string.
func (b *Base) Status() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.status
}

// Connecting marks the start of Connect.
func (b *Base) Connecting() { b.setStatus(status.ComponentConnecting) }

// Connected marks a successful Connect.
func (b *Base) Connected() { b.setStatus(status.ComponentConnected) }

// Disconnected marks Disconnect.
func (b *Base) Disconnected() { b.setStatus(status.ComponentDisconnected) }

// ConnectFailed records a failed Connect: status error, connection_errors+1
// (unless the retry loop already counted the exhaustion).
func (b *Base) ConnectFailed(err error, counted bool) {
	b.mu.Lock()
	if !counted {
		b.m.ConnectionErrors++
	}
	b.mu.Unlock()
	b.recordError(err)
	b.setStatus(status.ComponentError)
	b.log.Error("Connect failed", "operation", "connect", "error", b.Redact(err))
}

// Do runs op through the retry loop and breaker. connection_errors grows
// by one when the attempts are exhausted or a permanent error stops them;
// the last error is recorded. A failure leaves status error; the next
// success restores connected.
func (b *Base) Do(ctx context.Context, op string, fn func(ctx context.Context) error) error {
	if !b.cfg.Enabled() {
		return integration.ErrConnectorDisabled
	}
	res := b.retrier.Do(ctx, fn)
	switch res.Reason {
	case retry.Succeeded:
		b.mu.Lock()
		if b.status == status.ComponentError {
			b.status = status.ComponentConnected
		}
		b.mu.Unlock()
		return nil
	case retry.Cancelled:
		return res.Err
	case retry.BreakerOpen:
		if res.LastErr != nil {
			b.recordError(res.LastErr)
		} else {
			b.recordError(res.Err)
		}
		return res.Err
	}
	b.mu.Lock()
	if integration.Classify(nil, res.Err) != integration.ClassInvalid {
		b.m.ConnectionErrors++
	}
	b.mu.Unlock()
	b.recordError(res.Err)
	if !errors.Is(res.Err, breaker.ErrCircuitOpen) && b.Status() == status.ComponentConnected {
		b.setStatus(status.ComponentError)
	}
	b.log.Error("Retries exhausted", "operation", op, "attempts", res.Attempts, "error", b.Redact(res.Err))
	return res.Err
}

// Failed records a consume failure that ends the stream: status error.
func (b *Base) Failed(err error) {
	b.recordError(err)
	b.setStatus(status.ComponentError)
}

// RecordError records err as last_error without changing counters.
func (b *Base) RecordError(err error) { b.recordError(err) }

func (b *Base) recordError(err error) {
	now := b.clock.Now().UTC()
	b.mu.Lock()
	b.lastErr = b.Redact(err)
	b.errTime = &now
	b.mu.Unlock()
}

// InputFailed counts one input unit that could not become a message
// (messages_failed) and records the error.
func (b *Base) InputFailed(err error) {
	b.mu.Lock()
	b.m.MessagesFailed++
	b.mu.Unlock()
	b.recordError(err)
}

// Received counts one message handed to the caller with n payload bytes.
func (b *Base) Received(n int) {
	now := b.clock.Now().UTC()
	b.mu.Lock()
	b.m.MessagesReceived++
	b.m.BytesReceived += int64(n)
	b.m.LastSuccessTime = &now
	b.mu.Unlock()
}

// AddBytes adds n to bytes_received.
func (b *Base) AddBytes(n int) {
	b.mu.Lock()
	b.m.BytesReceived += int64(n)
	b.mu.Unlock()
}

// Snapshot returns status, breaker and metrics.
func (b *Base) Snapshot() integration.ComponentSnapshot {
	counts := b.breaker.Counts()
	br := status.BreakerReport{State: b.breaker.State().String(), ConsecutiveFailures: counts.ConsecutiveFailures,
		Rejections: counts.Rejections}
	if t := b.breaker.LastTransition(); !t.IsZero() {
		u := t.UTC()
		br.LastTransitionTime = &u
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	m := b.m
	if m.LastSuccessTime != nil {
		t := *m.LastSuccessTime
		m.LastSuccessTime = &t
	}
	rep := integration.ComponentSnapshot{Name: b.id, ID: b.id, Kind: b.kind, Status: b.status, Breaker: br,
		LastError: b.lastErr, Connector: &m}
	if b.errTime != nil {
		t := *b.errTime
		rep.LastErrorTime = &t
	}
	return rep
}
