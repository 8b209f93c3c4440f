package rabbitmq

import (
	"context"
	"time"

	"github.com/mfn-io/mfn-operator/pkg/integration"
	"github.com/mfn-io/mfn-operator/pkg/integration/batch"
	"github.com/mfn-io/mfn-operator/pkg/integration/component"
)

// Publisher is the RabbitMQ publisher: a [batch.Publisher] whose sink
// publishes one persistent, mandatory message per result and waits for the
// broker's confirms, pipelining a run of batch_size messages (at most 256)
// before waiting.
type Publisher struct {
	*batch.Publisher
	sink *sink
}

var _ integration.Publisher = (*Publisher)(nil)

// New validates o and returns a publisher. Connect dials the broker, opens
// a confirming channel and declares the exchange; publishing without
// Connect connects lazily.
func New(o Options) (*Publisher, error) {
	if err := o.Validate(); err != nil {
		return nil, err
	}
	o = o.withDefaults()
	now := time.Now
	if o.Clock != nil {
		now = o.Clock.Now
	}
	s := &sink{sender: &sender{opts: o, logURL: integration.RedactURL(o.URL), timeout: o.Config.Timeout, now: now}}
	bp, err := batch.New(o.Config, s, component.Options{ID: o.ID, Name: o.Name, Kind: "rabbitmq",
		Logger: o.Logger, Clock: o.Clock, Registerer: o.Registerer, Secrets: []string{o.URL}})
	if err != nil {
		return nil, err
	}
	return &Publisher{Publisher: bp, sink: s}, nil
}

var _ batch.BatchSender = (*sink)(nil)

// sink adapts the sender to batch.Sink and batch.BatchSender.
type sink struct{ *sender }

// Open dials, enables confirms and declares the topology.
func (s *sink) Open(ctx context.Context) error { return s.connect(ctx) }

// Send publishes one message and waits for its confirm; a lost connection
// is re-dialled first.
func (s *sink) Send(ctx context.Context, msg integration.Outgoing) error { return s.send(ctx, msg) }

// SendBatch publishes a run of messages, then awaits their confirms
// (batch.BatchSender).
func (s *sink) SendBatch(ctx context.Context, msgs []integration.Outgoing) (int, error) {
	return s.sendBatch(ctx, msgs)
}

// Close closes the connection.
func (s *sink) Close(context.Context) error { return s.close() }
