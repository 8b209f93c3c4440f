package component

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/mfn-io/mfn-operator/pkg/integration"
	"github.com/mfn-io/mfn-operator/pkg/integration/breaker"
	"github.com/mfn-io/mfn-operator/pkg/integration/clock"
	"github.com/mfn-io/mfn-operator/pkg/status"
)

var epoch = time.Date(2025, 12, 4, 12, 0, 0, 0, time.UTC)

// logSink collects JSON log records.
type logSink struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (s *logSink) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.buf.Write(p)
}

func (s *logSink) records(t *testing.T) []map[string]any {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []map[string]any
	for _, line := range strings.Split(strings.TrimSpace(s.buf.String()), "\n") {
		if line == "" {
			continue
		}
		var m map[string]any
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Fatal(err)
		}
		out = append(out, m)
	}
	return out
}

func (s *logSink) find(t *testing.T, msg string) map[string]any {
	for _, r := range s.records(t) {
		if r["msg"] == msg {
			return r
		}
	}
	t.Fatalf("no log record %q in %s", msg, s.buf.String())
	return nil
}

func immediate(maxRetries, threshold int) integration.RetryConfig {
	return integration.RetryConfig{RetryStrategy: integration.RetryImmediate, MaxRetries: maxRetries,
		CircuitBreakerThreshold: threshold}
}

func newConnector(t *testing.T, cfg integration.RetryConfig, level slog.Level) (*ConnectorBase, *clock.Fake, *logSink, *prometheus.Registry) {
	t.Helper()
	fake := clock.NewFake(epoch)
	sink := &logSink{}
	reg := prometheus.NewRegistry()
	c, err := NewConnectorBase(integration.ConnectorConfig{RetryConfig: cfg}, Options{
		ID: "rest-/v1/simulation-configs", Kind: "rest", Clock: fake, Registerer: reg,
		Logger: slog.New(slog.NewJSONHandler(sink, &slog.HandlerOptions{Level: level})),
	})
	if err != nil {
		t.Fatal(err)
	}
	return c, fake, sink, reg
}

func TestConnectorLifecycleAndMetrics(t *testing.T) {
	c, fake, sink, reg := newConnector(t, immediate(3, 10), slog.LevelDebug)
	if c.Status() != integration.StatusDisconnected {
		t.Fatal(c.Status())
	}
	if err := c.Connect(t.Context(), func(context.Context) error { return nil }); err != nil {
		t.Fatal(err)
	}
	if c.Status() != integration.StatusConnected {
		t.Fatal(c.Status())
	}
	// Two failures then success: retry_count 2, no connection error.
	n := 0
	err := c.Do(t.Context(), "poll", func(context.Context) error {
		n++
		if n <= 2 {
			return errors.New("Network error")
		}
		return nil
	})
	if err != nil || c.Metrics.RetryCount.Load() != 2 || c.Metrics.ConnectionErrors.Load() != 0 {
		t.Fatalf("err=%v %+v", err, c.Metrics.Snapshot())
	}
	// Always failing: 4 attempts, exhaustion counted once, last error kept, status error.
	errNet := errors.New("Network error")
	if err := c.Do(t.Context(), "poll", func(context.Context) error { return errNet }); err != errNet {
		t.Fatalf("last underlying error must be returned unchanged: %v", err)
	}
	snap := c.Snapshot()
	if snap.Connector.RetryCount != 6 || snap.Connector.ConnectionErrors != 1 || snap.LastError != "Network error" ||
		snap.Status != "error" || snap.LastErrorTime == nil || !snap.LastErrorTime.Equal(epoch) {
		t.Fatalf("%+v %+v", snap, snap.Connector)
	}
	fake.Advance(time.Minute)
	c.Received(42)
	c.Received(8)
	c.Failed(integration.DecodeError(errors.New("invalid character 'x'")))
	snap = c.Snapshot()
	m := snap.Connector
	if m.MessagesReceived != 2 || m.BytesReceived != 50 || m.MessagesFailed != 1 || m.LastSuccessTime == nil ||
		!m.LastSuccessTime.Equal(epoch.Add(time.Minute)) || snap.Status != "connected" ||
		snap.LastError != "JSON decode error: invalid character 'x'" {
		t.Fatalf("%+v %+v", snap, m)
	}
	if got := testutil.ToFloat64(mustCollector(t, c.collector, "mfn_connector_messages_received_total")); got != 2 {
		t.Fatalf("prometheus messages_received = %v", got)
	}
	if _, err := reg.Gather(); err != nil {
		t.Fatal(err)
	}
	exp := `
# HELP mfn_connector_bytes_received_total Raw payload bytes received.
# TYPE mfn_connector_bytes_received_total counter
mfn_connector_bytes_received_total{component_id="rest-/v1/simulation-configs",kind="rest"} 50
# HELP mfn_connector_messages_failed_total Input units that could not become a message.
# TYPE mfn_connector_messages_failed_total counter
mfn_connector_messages_failed_total{component_id="rest-/v1/simulation-configs",kind="rest"} 1
`
	if err := testutil.GatherAndCompare(reg, strings.NewReader(exp), "mfn_connector_bytes_received_total", "mfn_connector_messages_failed_total"); err != nil {
		t.Fatal(err)
	}
	c.Disconnected()
	if c.Status() != integration.StatusDisconnected {
		t.Fatal(c.Status())
	}
	// Structured logs carry the §6 fields.
	r := sink.find(t, "Retry scheduled")
	for _, k := range []string{"component_id", "component_kind", "role", "operation", "attempt", "max_retries", "delay_seconds", "error"} {
		if _, ok := r[k]; !ok {
			t.Errorf("retry log lacks %q: %v", k, r)
		}
	}
	if r["level"] != "WARN" || r["component_id"] != "rest-/v1/simulation-configs" || r["role"] != "connector" {
		t.Fatal(r)
	}
	st := sink.find(t, "Status changed")
	if st["status_from"] != "disconnected" || st["status_to"] != "connecting" {
		t.Fatal(st)
	}
	if sink.find(t, "Operation failed")["level"] != "ERROR" {
		t.Fatal("exhaustion must log at error level")
	}
}

func mustCollector(t *testing.T, c prometheus.Collector, name string) prometheus.Collector {
	t.Helper()
	col := c.(*collector)
	for _, m := range col.metrics {
		if strings.Contains(m.desc.String(), `"`+name+`"`) {
			return &collector{metrics: []metric{m}}
		}
	}
	t.Fatalf("no metric %s", name)
	return nil
}

func TestBreakerOpenSetsCircuitOpenAndGauge(t *testing.T) {
	c, fake, sink, reg := newConnector(t, immediate(5, 2), slog.LevelInfo)
	if err := c.Connect(t.Context(), func(context.Context) error { return nil }); err != nil {
		t.Fatal(err)
	}
	err := c.Do(t.Context(), "poll", func(context.Context) error { return errors.New("down") })
	if !errors.Is(err, breaker.ErrCircuitOpen) || err.Error() != "Circuit breaker is open" {
		t.Fatalf("err = %v", err)
	}
	snap := c.Snapshot()
	if snap.Status != "circuit_open" || snap.Breaker.State != "open" || snap.Breaker.Rejections != 1 ||
		snap.Connector.ConnectionErrors != 0 || snap.LastError != "down" || snap.Breaker.LastTransitionTime == nil {
		t.Fatalf("%+v", snap)
	}
	exp := `
# HELP mfn_circuit_breaker_state Circuit breaker state: 0 closed, 1 half_open, 2 open.
# TYPE mfn_circuit_breaker_state gauge
mfn_circuit_breaker_state{component_id="rest-/v1/simulation-configs",role="connector"} 2
# HELP mfn_circuit_breaker_rejections_total Operations refused by the open circuit breaker.
# TYPE mfn_circuit_breaker_rejections_total counter
mfn_circuit_breaker_rejections_total{component_id="rest-/v1/simulation-configs",role="connector"} 1
`
	if err := testutil.GatherAndCompare(reg, strings.NewReader(exp), "mfn_circuit_breaker_state", "mfn_circuit_breaker_rejections_total"); err != nil {
		t.Fatal(err)
	}
	if sink.find(t, "Circuit breaker opened")["level"] != "WARN" {
		t.Fatal("breaker open must warn")
	}
	fake.Advance(time.Minute)
	if c.Snapshot().Breaker.State != "half_open" {
		t.Fatal("half_open after the timeout without traffic")
	}
	if err := c.Do(t.Context(), "poll", func(context.Context) error { return nil }); err != nil {
		t.Fatal(err)
	}
	if s := c.Snapshot(); s.Status != "connected" || s.Breaker.State != "closed" {
		t.Fatalf("%+v", s)
	}
	for _, r := range sink.records(t) {
		if r["level"] == "DEBUG" {
			t.Fatal("debug record emitted at info level")
		}
	}
}

func TestConnectFailures(t *testing.T) {
	c, _, _, _ := newConnector(t, immediate(1, 10), slog.LevelInfo)
	err := c.Connect(t.Context(), func(context.Context) error { return errors.New("dial tcp: refused") })
	if err == nil || c.Status() != integration.StatusError || c.Metrics.ConnectionErrors.Load() != 1 || c.Metrics.RetryCount.Load() != 2 {
		t.Fatalf("%v %v %+v", err, c.Status(), c.Metrics.Snapshot())
	}
	c.ConnectError(errors.New("directory not found: /nope"))
	if c.Metrics.ConnectionErrors.Load() != 2 {
		t.Fatal("ConnectError must count")
	}
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if err := c.Connect(ctx, func(context.Context) error { return nil }); !errors.Is(err, context.Canceled) {
		t.Fatal(err)
	}
	if c.Status() != integration.StatusDisconnected || c.Metrics.ConnectionErrors.Load() != 2 {
		t.Fatal("cancellation must not count")
	}
	// Breaker refusal at connect counts a connection error.
	c.Breaker().RecordFailure()
	for !c.Breaker().IsOpen() {
		c.Breaker().RecordFailure()
	}
	if err := c.Connect(t.Context(), func(context.Context) error { return nil }); !errors.Is(err, breaker.ErrCircuitOpen) {
		t.Fatal(err)
	}
	if c.Metrics.ConnectionErrors.Load() != 3 || c.Status() != integration.StatusCircuitOpen {
		t.Fatalf("%v %+v", c.Status(), c.Metrics.Snapshot())
	}
}

func TestMetricsDisabledRegistersNothing(t *testing.T) {
	reg := prometheus.NewRegistry()
	c, err := NewConnectorBase(integration.ConnectorConfig{RetryConfig: integration.RetryConfig{DisableMetrics: true}},
		Options{ID: "file-/data", Kind: "file", Registerer: reg})
	if err != nil {
		t.Fatal(err)
	}
	c.Received(3)
	mfs, err := reg.Gather()
	if err != nil || len(mfs) != 0 {
		t.Fatalf("series registered with enable_metrics=false: %v %v", len(mfs), err)
	}
	if c.Snapshot().Connector.MessagesReceived != 1 {
		t.Fatal("in-memory counters must still work")
	}
	// Duplicate IDs on one registry are reported, Unregister frees the ID.
	a, err := NewConnectorBase(integration.ConnectorConfig{}, Options{ID: "x", Kind: "file", Registerer: reg})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := NewConnectorBase(integration.ConnectorConfig{}, Options{ID: "x", Kind: "file", Registerer: reg}); err == nil ||
		!strings.Contains(err.Error(), `connector "x": register metrics`) {
		t.Fatal(err)
	}
	a.Unregister()
	if _, err := NewConnectorBase(integration.ConnectorConfig{}, Options{ID: "x", Kind: "file", Registerer: reg}); err != nil {
		t.Fatal(err)
	}
}

func TestOptionsAndConfigValidation(t *testing.T) {
	if _, err := NewConnectorBase(integration.ConnectorConfig{}, Options{Kind: "file"}); err == nil {
		t.Fatal("empty id accepted")
	}
	if _, err := NewConnectorBase(integration.ConnectorConfig{RetryConfig: integration.RetryConfig{MaxRetries: -1}}, Options{ID: "a", Kind: "file"}); err == nil ||
		!strings.Contains(err.Error(), "max_retries") {
		t.Fatal(err)
	}
	if _, err := NewPublisherBase(integration.PublisherConfig{DeliveryGuarantee: integration.ExactlyOnce}, Options{ID: "w", Kind: "webhook"}); err == nil ||
		!strings.Contains(err.Error(), "exactly_once") {
		t.Fatal(err)
	}
	p, err := NewPublisherBase(integration.PublisherConfig{}, Options{ID: "webhook-https://u:pw@hooks.example.com/x?token=abc", Kind: "webhook", Secrets: []string{"s3cr3t"}})
	if err != nil {
		t.Fatal(err)
	}
	if p.ID() != "webhook-https://hooks.example.com/x" || p.Name() != p.ID() {
		t.Fatalf("id not scrubbed: %q", p.ID())
	}
	p.RecordError(errors.New("auth s3cr3t failed for amqp://guest:guest@h/"))
	if msg, _ := p.LastError(); strings.Contains(msg, "s3cr3t") || strings.Contains(msg, "guest:guest") {
		t.Fatalf("secret in last error: %q", msg)
	}
	d, _ := NewConnectorBase(integration.ConnectorConfig{RetryConfig: integration.RetryConfig{Disabled: true}}, Options{ID: "d", Kind: "file"})
	if !errors.Is(d.CheckEnabled(), integration.ErrConnectorDisabled) {
		t.Fatal("disabled connector")
	}
	pd, _ := NewPublisherBase(integration.PublisherConfig{RetryConfig: integration.RetryConfig{Disabled: true}}, Options{ID: "d", Kind: "redis"})
	if pd.CheckEnabled().Error() != "Publisher is disabled" {
		t.Fatal("disabled publisher")
	}
}

func TestPublisherCounting(t *testing.T) {
	fake := clock.NewFake(epoch)
	reg := prometheus.NewRegistry()
	p, err := NewPublisherBase(integration.PublisherConfig{RetryConfig: integration.RetryConfig{
		RetryStrategy: integration.RetryNone, CircuitBreakerThreshold: 2}},
		Options{ID: "redis-mfn:results", Kind: "redis", Clock: fake, Registerer: reg})
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Connect(t.Context(), func(context.Context) error { return nil }); err != nil || p.Status() != integration.StatusConnected {
		t.Fatal(err, p.Status())
	}
	// max_retries 0 (no_retry), failure → publish_errors 1 (R66 test).
	_ = p.Do(t.Context(), "publish", func(context.Context) error { return errors.New("Network error") })
	if p.Metrics.PublishErrors.Load() != 1 || p.Metrics.RetryCount.Load() != 1 || p.Status() != integration.StatusError {
		t.Fatalf("%+v %v", p.Metrics.Snapshot(), p.Status())
	}
	_ = p.Do(t.Context(), "publish", func(context.Context) error { return errors.New("Network error") })
	// Open breaker: refusal counts publish_errors too.
	err = p.Do(t.Context(), "publish", func(context.Context) error { return nil })
	if !errors.Is(err, breaker.ErrCircuitOpen) || p.Metrics.PublishErrors.Load() != 3 || p.Status() != integration.StatusCircuitOpen {
		t.Fatalf("%v %+v %v", err, p.Metrics.Snapshot(), p.Status())
	}
	if msg, _ := p.LastError(); msg != "Circuit breaker is open" {
		t.Fatalf("last error after refusal = %q", msg)
	}
	p.Sent(81)
	p.Dropped(errors.New("gone"))
	p.Metrics.Buffered.Store(4)
	s := p.Snapshot()
	if s.Publisher.MessagesSent != 1 || s.Publisher.BytesSent != 81 || s.Publisher.MessagesFailed != 1 ||
		s.Publisher.Buffered != 4 || s.Connector != nil || s.Kind != "redis" {
		t.Fatalf("%+v", s.Publisher)
	}
	exp := `
# HELP mfn_publisher_buffered_messages Messages waiting in the publisher buffer.
# TYPE mfn_publisher_buffered_messages gauge
mfn_publisher_buffered_messages{component_id="redis-mfn:results",kind="redis"} 4
# HELP mfn_publisher_publish_errors_total Failed send operations, including circuit breaker refusals.
# TYPE mfn_publisher_publish_errors_total counter
mfn_publisher_publish_errors_total{component_id="redis-mfn:results",kind="redis"} 3
`
	if err := testutil.GatherAndCompare(reg, strings.NewReader(exp), "mfn_publisher_buffered_messages", "mfn_publisher_publish_errors_total"); err != nil {
		t.Fatal(err)
	}
	// A fresh publisher: all counters 0, times null.
	q, _ := NewPublisherBase(integration.PublisherConfig{}, Options{ID: "q", Kind: "kafka"})
	if m := q.Snapshot().Publisher; *m != (status.PublisherMetrics{}) {
		t.Fatalf("%+v", m)
	}
}
