package component

import (
	"context"

	"github.com/mfn-io/mfn-operator/pkg/integration"
	"github.com/mfn-io/mfn-operator/pkg/integration/retry"
)

// PublisherBase carries what every publisher shares. Most publishers do
// not use it directly: the batch package builds a complete Publisher from
// a Sink and a PublisherBase.
type PublisherBase struct {
	*Base
	// Metrics are the §5.2 counters.
	Metrics PublisherMetrics
	cfg     integration.PublisherConfig
	// retriers of the frequent operations, built once (a Retrier is
	// read-only while it runs, so one serves concurrent calls).
	retriers map[string]*retry.Retrier
}

// cachedOps are the operations whose retrier is built once.
var cachedOps = []string{"connect", "publish", "flush"}

// selfTimed names the retrier of DoSelfTimed in the cache.
const selfTimed = " self-timed"

// NewPublisherBase validates cfg for o.Kind (exactly_once only for kafka),
// builds the breaker and registers the collectors.
func NewPublisherBase(cfg integration.PublisherConfig, o Options) (*PublisherBase, error) {
	if err := cfg.ValidateFor(o.Kind); err != nil {
		return nil, err
	}
	b, err := newBase(RolePublisher, cfg.RetryConfig, o)
	if err != nil {
		return nil, err
	}
	p := &PublisherBase{Base: b, cfg: cfg.WithDefaults()}
	p.retriers = make(map[string]*retry.Retrier, len(cachedOps))
	for _, op := range cachedOps {
		p.retriers[op] = p.newRetrier(op)
	}
	r := p.newRetrier("publish")
	r.AttemptTimeout = 0
	p.retriers["publish"+selfTimed] = r
	if err := b.register(publisherCollector(p)); err != nil {
		return nil, err
	}
	return p, nil
}

// Config returns the configuration with defaults applied.
func (p *PublisherBase) Config() integration.PublisherConfig { return p.cfg }

// CheckEnabled returns ErrPublisherDisabled when the publisher is disabled.
func (p *PublisherBase) CheckEnabled() error {
	if p.cfg.Disabled {
		return integration.ErrPublisherDisabled
	}
	return nil
}

// Connect runs open through the retry loop with the status transitions of
// §1.3; a failed connect counts publish_errors + 1.
func (p *PublisherBase) Connect(ctx context.Context, open func(ctx context.Context) error) error {
	p.log.Info("Connecting", "operation", "connect")
	p.SetStatus(integration.StatusConnecting)
	res := p.DoResult(ctx, "connect", open)
	switch {
	case res.Err == nil:
		p.SetStatus(integration.StatusConnected)
	case res.Reason == retry.Cancelled:
		p.SetStatus(integration.StatusDisconnected)
	case p.breaker.IsOpen():
		p.SetStatus(integration.StatusCircuitOpen)
	default:
		p.SetStatus(integration.StatusError)
	}
	return res.Err
}

// Do runs one send (or connect) through the retry loop and breaker:
// retry_count + 1 per failed attempt; publish_errors + 1 and the last error
// recorded when it fails for any reason but cancellation, breaker refusals
// included. Under at_most_once only failures that are SafeToResend are
// retried.
func (p *PublisherBase) Do(ctx context.Context, op string, fn func(ctx context.Context) error) error {
	return p.DoResult(ctx, op, fn).Err
}

// DoSelfTimed is Do without the per-attempt deadline, for an attempt made
// of several requests that each bound themselves by the timeout (a run of
// single sends).
func (p *PublisherBase) DoSelfTimed(ctx context.Context, op string, fn func(ctx context.Context) error) error {
	r := p.retriers[op+selfTimed]
	if r == nil {
		r = p.newRetrier(op)
		r.AttemptTimeout = 0
	}
	return p.finish(op, r.Do(ctx, fn)).Err
}

// DoResult is Do returning the whole retry result.
func (p *PublisherBase) DoResult(ctx context.Context, op string, fn func(ctx context.Context) error) retry.Result {
	r := p.retriers[op]
	if r == nil {
		r = p.newRetrier(op)
	}
	return p.finish(op, r.Do(ctx, fn))
}

// finish accounts the end of a retried operation.
func (p *PublisherBase) finish(op string, res retry.Result) retry.Result {
	switch res.Reason {
	case retry.Succeeded:
		p.markHealthy()
	case retry.Cancelled:
	default:
		p.giveUp(op, res)
		p.Metrics.PublishErrors.Add(1)
	}
	return res
}

func (p *PublisherBase) newRetrier(op string) *retry.Retrier {
	r := p.retrier(op, func() { p.Metrics.RetryCount.Add(1) })
	if p.cfg.DeliveryGuarantee == integration.AtMostOnce {
		r.Retryable = integration.SafeToResend
	}
	return r
}

// SentMany accounts n accepted messages of bytes body bytes in total, with
// one update of each counter (no log line; see Sent).
func (p *PublisherBase) SentMany(n int, bytes int64) {
	p.Metrics.MessagesSent.Add(int64(n))
	p.Metrics.BytesSent.Add(bytes)
	p.Metrics.SetLastSuccess(p.clock.Now())
}

// Sent accounts one accepted message of n body bytes.
func (p *PublisherBase) Sent(n int, attrs ...any) {
	p.Metrics.MessagesSent.Add(1)
	p.Metrics.BytesSent.Add(int64(n))
	p.Metrics.SetLastSuccess(p.clock.Now())
	p.log.Debug("Message sent", append([]any{"operation", "publish", "bytes", n}, attrs...)...)
}

// Dropped accounts one message given up (messages_failed + 1).
func (p *PublisherBase) Dropped(err error, attrs ...any) {
	p.Metrics.MessagesFailed.Add(1)
	p.RecordError(err)
	p.log.Warn("Message given up", append([]any{"operation", "publish", "error", p.Redact(err.Error())}, attrs...)...)
}

// Disconnected sets status disconnected and logs it.
func (p *PublisherBase) Disconnected() {
	p.log.Info("Disconnected", "operation", "disconnect")
	p.SetStatus(integration.StatusDisconnected)
}

// Snapshot returns the /status report of the publisher.
func (p *PublisherBase) Snapshot() integration.ComponentSnapshot {
	r := p.snapshot()
	m := p.Metrics.Snapshot()
	r.Publisher = &m
	return r
}
