package redis

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/mfn-io/mfn-operator/pkg/integration"
	"github.com/mfn-io/mfn-operator/pkg/integration/batch"
	"github.com/mfn-io/mfn-operator/pkg/integration/component"
)

// Publisher is the Redis publisher: a [batch.Publisher] whose sink runs one
// PUBLISH (or XADD in stream mode) per message, pipelining the messages of
// a flush in one round trip.
type Publisher struct {
	*batch.Publisher
	sink       *sink
	registerer prometheus.Registerer
	zeroMetric prometheus.Collector
}

var _ integration.Publisher = (*Publisher)(nil)

// New validates o and returns a publisher. Connect PINGs the server;
// publishing without Connect connects lazily.
func New(o Options) (*Publisher, error) {
	if err := o.Validate(); err != nil {
		return nil, err
	}
	o = o.withDefaults()
	s := &sink{sender: &sender{opts: o, logURL: integration.RedactURL(o.URL), timeout: o.Config.Timeout}}
	bp, err := batch.New(o.Config, s, component.Options{ID: o.ID, Name: o.Name, Kind: "redis",
		Logger: o.Logger, Clock: o.Clock, Registerer: o.Registerer, Secrets: []string{o.URL}})
	if err != nil {
		return nil, err
	}
	p := &Publisher{Publisher: bp, sink: s}
	s.log = bp.Base().Logger()
	if o.Config.EnableCompression {
		s.log.Warn("Compression is not supported by the redis publisher and is ignored", "operation", "connect")
	}
	if o.Config.MetricsEnabled() && o.Registerer != nil {
		c := prometheus.NewCounterFunc(prometheus.CounterOpts{
			Name:        "mfn_publisher_redis_zero_receivers_total",
			Help:        "PUBLISH commands that reached no subscriber (the message is gone).",
			ConstLabels: prometheus.Labels{"component_id": bp.ID(), "kind": "redis"},
		}, func() float64 { return float64(s.zeroReceivers.Load()) })
		if err := o.Registerer.Register(c); err != nil {
			bp.Base().Unregister()
			_ = bp.Disconnect(context.Background())
			return nil, fmt.Errorf("redis publisher %q: register metrics: %w", bp.ID(), err)
		}
		p.registerer, p.zeroMetric = o.Registerer, c
	}
	return p, nil
}

// ZeroReceivers returns how many PUBLISH commands reached no subscriber.
func (p *Publisher) ZeroReceivers() int64 { return p.sink.zeroReceivers.Load() }

// Unregister removes every Prometheus collector of the publisher.
func (p *Publisher) Unregister() {
	p.Base().Unregister()
	if p.zeroMetric != nil {
		p.registerer.Unregister(p.zeroMetric)
	}
}

var _ batch.ConcurrentSender = (*sink)(nil)

// sink adapts the sender to batch.Sink and batch.BatchSender.
type sink struct {
	*sender
	log *slog.Logger
}

// Open builds the client and PINGs the server.
func (s *sink) Open(ctx context.Context) error { return s.connect(ctx) }

// Send runs one PUBLISH or XADD.
func (s *sink) Send(ctx context.Context, msg integration.Outgoing) error {
	err := s.send(ctx, msg)
	if err == nil && s.opts.Mode == ModePubSub && s.log.Enabled(ctx, slog.LevelDebug) {
		s.log.Debug("Published", "operation", "publish", "event_id", msg.EventID,
			"receivers", s.lastReceivers.Load())
	}
	return err
}

// SendBatch pipelines a run of messages in one round trip (batch.BatchSender).
func (s *sink) SendBatch(ctx context.Context, msgs []integration.Outgoing) (int, error) {
	n, err := s.sendBatch(ctx, msgs)
	if n > 0 && s.opts.Mode == ModePubSub && s.log.Enabled(ctx, slog.LevelDebug) {
		s.log.Debug("Published", "operation", "publish", "batch_len", n, "receivers", s.lastReceivers.Load())
	}
	return n, err
}

// MaxInFlight is Options.MaxInFlight (batch.ConcurrentSender): the
// go-redis client runs concurrent pipelines on separate pooled connections.
func (s *sink) MaxInFlight() int { return s.opts.MaxInFlight }

// Close closes the client.
func (s *sink) Close(context.Context) error { return s.close() }
