package kafka

import (
	"context"

	"github.com/mfn-io/mfn-operator/pkg/integration"
	"github.com/mfn-io/mfn-operator/pkg/integration/batch"
	"github.com/mfn-io/mfn-operator/pkg/integration/component"
)

// Publisher is the Kafka publisher (INTEGRATION.md §8.4): a
// [batch.Publisher] whose sink writes the messages of a flush with
// segmentio/kafka-go Writers, a run of up to batch_size records per
// pipelined call (one produce request per partition), and reports how many
// leading messages were acknowledged; the engine retries the rest.
//
// Records: key = the simulation id (Outgoing.Key; no key when empty, then
// the partition is random), partition by the Java-compatible murmur2 hash of
// the key, value = the body unchanged, headers content-type:
// application/json and mfn-event-id: <event_id>. acks = 1 under
// at_most_once and all under at_least_once; exactly_once is refused
// ([ErrExactlyOnceUnsupported]). The writer's internal retries are off so
// the publisher's retry loop and breaker are the only ones.
//
// Ordering: by default one run of batch_size records is written at a time,
// so records of one key reach their partition in publish order.
// PublisherOptions.MaxInFlight > 1 (at_least_once only) writes that many
// runs at once: runs written together may land in any order, also for one
// key, and a failed run makes the runs written with it go again
// (duplicates, recognisable by the mfn-event-id header).
type Publisher struct {
	*batch.Publisher
	prod *producer
}

var _ integration.Publisher = (*Publisher)(nil)

// NewPublisher validates opts and returns a publisher. Connect sends a
// metadata request for the topic; publishing without Connect connects lazily.
func NewPublisher(opts PublisherOptions) (*Publisher, error) {
	if err := opts.Validate(); err != nil {
		return nil, err
	}
	cfg := opts.Config.WithDefaults()
	prod, err := newProducer(&opts, cfg)
	if err != nil {
		return nil, err
	}
	bp, err := batch.New(opts.Config, &publisherSink{prod}, component.Options{ID: opts.id(), Name: opts.Name,
		Kind: "kafka", Logger: opts.Logger, Clock: opts.Clock, Registerer: opts.Registerer, Secrets: saslSecrets(opts.SASL)})
	if err != nil {
		_ = prod.close()
		return nil, err
	}
	return &Publisher{Publisher: bp, prod: prod}, nil
}

func saslSecrets(s *SASL) []string {
	if s == nil || s.Password == "" {
		return nil
	}
	return []string{s.Password}
}

// RequiredAcks returns the producer acks in use: 1 (at_most_once) or -1 (all).
func (p *Publisher) RequiredAcks() int { return int(p.prod.writer().RequiredAcks) }

// publisherSink adapts the producer to batch.Sink and batch.BatchSender.
type publisherSink struct{ p *producer }

var _ batch.ConcurrentSender = (*publisherSink)(nil)

// Open asks a broker for the topic's metadata.
func (s *publisherSink) Open(ctx context.Context) error { return s.p.probe(ctx) }

// Send writes one record and waits for the acknowledgement.
func (s *publisherSink) Send(ctx context.Context, msg integration.Outgoing) error {
	return s.p.send(ctx, msg)
}

// SendBatch pipelines a run of messages (batch.BatchSender).
func (s *publisherSink) SendBatch(ctx context.Context, msgs []integration.Outgoing) (int, error) {
	return s.p.sendBatch(ctx, msgs)
}

// MaxInFlight is PublisherOptions.MaxInFlight (batch.ConcurrentSender):
// one Writer lane per run in flight.
func (s *publisherSink) MaxInFlight() int { return s.p.opts.inFlight() }

// Close flushes and closes the writer.
func (s *publisherSink) Close(context.Context) error { return s.p.close() }
