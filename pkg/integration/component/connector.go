package component

import (
	"context"

	"github.com/mfn-io/mfn-operator/pkg/integration"
	"github.com/mfn-io/mfn-operator/pkg/integration/retry"
)

// ConnectorBase carries what every connector shares: config, metrics,
// breaker, status and logs. Embed it (or hold a pointer) and call its
// helpers from Connect/Consume/Disconnect.
type ConnectorBase struct {
	*Base
	// Metrics are the §5.1 counters.
	Metrics ConnectorMetrics
	cfg     integration.ConnectorConfig
}

// NewConnectorBase validates cfg, builds the breaker and registers the
// Prometheus collectors (when cfg enables metrics and o.Registerer is set).
func NewConnectorBase(cfg integration.ConnectorConfig, o Options) (*ConnectorBase, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	b, err := newBase(RoleConnector, cfg.RetryConfig, o)
	if err != nil {
		return nil, err
	}
	c := &ConnectorBase{Base: b, cfg: cfg.WithDefaults()}
	if err := b.register(connectorCollector(c)); err != nil {
		return nil, err
	}
	return c, nil
}

// Config returns the configuration with defaults applied.
func (c *ConnectorBase) Config() integration.ConnectorConfig { return c.cfg }

// CheckEnabled returns ErrConnectorDisabled when the connector is disabled.
func (c *ConnectorBase) CheckEnabled() error {
	if c.cfg.Disabled {
		return integration.ErrConnectorDisabled
	}
	return nil
}

// Connect runs open through the retry loop and breaker, with the status
// transitions disconnected → connecting → connected, or → error (and
// connection_errors + 1) when it fails. Making Connect idempotent (not
// opening a second client) is the caller's job.
func (c *ConnectorBase) Connect(ctx context.Context, open func(ctx context.Context) error) error {
	c.Connecting()
	res := c.DoResult(ctx, "connect", open)
	if res.Err != nil {
		c.ConnectFailed(res)
		return res.Err
	}
	c.Connected()
	return nil
}

// Connecting sets status connecting and logs the connect.
func (c *ConnectorBase) Connecting() {
	c.log.Info("Connecting", "operation", "connect")
	c.SetStatus(integration.StatusConnecting)
}

// Connected sets status connected.
func (c *ConnectorBase) Connected() { c.SetStatus(integration.StatusConnected) }

// ConnectFailed accounts a failed connect whose retry loop ended with res:
// status error (circuit_open while the breaker is open, disconnected when
// cancelled), connection_errors + 1 unless DoResult already counted it.
func (c *ConnectorBase) ConnectFailed(res retry.Result) {
	switch res.Reason {
	case retry.Cancelled:
		c.SetStatus(integration.StatusDisconnected)
		return
	case retry.BreakerOpen:
		c.Metrics.ConnectionErrors.Add(1)
	}
	if c.breaker.IsOpen() {
		c.SetStatus(integration.StatusCircuitOpen)
	} else {
		c.SetStatus(integration.StatusError)
	}
}

// ConnectError accounts a connect that failed outside the retry loop
// (directory missing, bad URL): last error, connection_errors + 1, status error.
func (c *ConnectorBase) ConnectError(err error) {
	c.RecordError(err)
	c.Metrics.ConnectionErrors.Add(1)
	c.SetStatus(integration.StatusError)
	c.log.Error("Connect failed", "operation", "connect", "error", c.Redact(err.Error()))
}

// Do runs one logical operation (connect, poll, query) through the retry
// loop and breaker and returns its error: retry_count + 1 per failed
// attempt; on exhaustion or a permanent error connection_errors + 1, the
// last error recorded and status error. A breaker refusal returns
// ErrCircuitOpen and counts nothing else: the caller decides (a REST poll
// counts messages_failed).
func (c *ConnectorBase) Do(ctx context.Context, op string, fn func(ctx context.Context) error) error {
	return c.DoResult(ctx, op, fn).Err
}

// DoResult is Do returning the whole retry result.
func (c *ConnectorBase) DoResult(ctx context.Context, op string, fn func(ctx context.Context) error) retry.Result {
	r := c.retrier(op, func() { c.Metrics.RetryCount.Add(1) })
	res := r.Do(ctx, fn)
	if res.Reason == retry.Succeeded {
		c.markHealthy()
		return res
	}
	if c.giveUp(op, res) {
		c.Metrics.ConnectionErrors.Add(1)
	}
	return res
}

// Received accounts one message handed to the caller: messages_received + 1,
// bytes_received + n, last_success_time, debug log.
func (c *ConnectorBase) Received(n int, attrs ...any) {
	c.Metrics.MessagesReceived.Add(1)
	c.Metrics.BytesReceived.Add(int64(n))
	c.Metrics.SetLastSuccess(c.clock.Now())
	c.markHealthy()
	c.log.Debug("Message received", append([]any{"operation", "consume", "bytes", n}, attrs...)...)
}

// Failed accounts one input unit that could not become a message:
// messages_failed + 1, last error, warning log.
func (c *ConnectorBase) Failed(err error, attrs ...any) {
	c.Metrics.MessagesFailed.Add(1)
	c.RecordError(err)
	c.log.Warn("Message failed", append([]any{"operation", "consume", "error", c.Redact(err.Error())}, attrs...)...)
}

// ConsumeError accounts a consume loop ended by a terminal error: last
// error, status error, error log.
func (c *ConnectorBase) ConsumeError(err error) {
	c.RecordError(err)
	c.SetStatus(integration.StatusError)
	c.log.Error("Consume loop ended by error", "operation", "consume", "error", c.Redact(err.Error()))
}

// Disconnected sets status disconnected and logs it.
func (c *ConnectorBase) Disconnected() {
	c.log.Info("Disconnected", "operation", "disconnect")
	c.SetStatus(integration.StatusDisconnected)
}

// Snapshot returns the /status report of the connector.
func (c *ConnectorBase) Snapshot() integration.ComponentSnapshot {
	r := c.snapshot()
	m := c.Metrics.Snapshot()
	r.Connector = &m
	return r
}
