package kafka

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	kafkago "github.com/segmentio/kafka-go"

	"github.com/mfn-io/mfn-operator/pkg/integration"
)

var jsonContentType = []byte("application/json")

// producer wraps two kafka-go Writers sharing one Transport: one writes
// single messages at once (a batch of one), the other pipelines a run of
// messages (up to batch_size records per produce request and partition).
// The engine never uses both at the same time, so the order of records is
// kept. The writers' own retries are off (MaxAttempts 1): the publisher's
// retry loop is the only one.
type producer struct {
	opts    *PublisherOptions
	timeout time.Duration

	one  *kafkago.Writer
	many *kafkago.Writer

	closeOnce sync.Once
	closeErr  error
}

// maxBatchBytes bounds one produce request per partition: the client
// default, just below the broker's default message.max.bytes (1048588).
const maxBatchBytes = 1 << 20

func newProducer(opts *PublisherOptions, cfg integration.PublisherConfig) (*producer, error) {
	mech, err := opts.SASL.mechanism()
	if err != nil {
		return nil, err
	}
	comp, err := codec(cfg)
	if err != nil {
		return nil, err
	}
	tr := &kafkago.Transport{SASL: mech, TLS: opts.TLS, DialTimeout: cfg.Timeout,
		ClientID: "mfn-" + opts.id()}
	writer := func(batchSize int) *kafkago.Writer {
		return &kafkago.Writer{
			Addr:                   kafkago.TCP(opts.BootstrapServers.normalized()...),
			Topic:                  opts.Topic,
			Balancer:               &kafkago.Murmur2Balancer{},
			MaxAttempts:            1,
			BatchSize:              batchSize,
			BatchBytes:             maxBatchBytes,
			BatchTimeout:           time.Millisecond,
			ReadTimeout:            cfg.Timeout,
			WriteTimeout:           cfg.Timeout,
			RequiredAcks:           requiredAcks(cfg.DeliveryGuarantee),
			Compression:            comp,
			AllowAutoTopicCreation: opts.AllowAutoTopicCreation,
			Transport:              tr,
		}
	}
	return &producer{opts: opts, timeout: cfg.Timeout, one: writer(1), many: writer(cfg.BatchSize)}, nil
}

// probe asks a broker for the topic's metadata (the cheap reachability
// check of §1.1).
func (p *producer) probe(ctx context.Context) error {
	actx, cancel := publisherAttemptContext(ctx, p.timeout)
	defer cancel()
	client := &kafkago.Client{Addr: p.one.Addr, Timeout: p.timeout, Transport: p.one.Transport}
	meta, err := client.Metadata(actx, &kafkago.MetadataRequest{Topics: []string{p.opts.Topic}})
	if err != nil {
		return p.classify(ctx, actx, err)
	}
	for _, t := range meta.Topics {
		if t.Name != p.opts.Topic {
			continue
		}
		switch {
		case t.Error == nil:
			return nil
		case errors.Is(t.Error, kafkago.UnknownTopicOrPartition):
			if p.opts.AllowAutoTopicCreation {
				return nil // created by the first produce
			}
			// Retriable for Kafka, but with auto-creation off no retry helps (§3.3).
			return integration.Permanent(fmt.Errorf("kafka: topic %q (auto-creation off): %w", p.opts.Topic, t.Error))
		}
		return classify(fmt.Errorf("kafka: topic %q: %w", p.opts.Topic, t.Error))
	}
	if p.opts.AllowAutoTopicCreation {
		return nil
	}
	return integration.Permanent(fmt.Errorf("kafka: topic %q: %w", p.opts.Topic, kafkago.UnknownTopicOrPartition))
}

// record converts one message: key = simulation id (nil when empty, so
// the partition is random), headers content-type and mfn-event-id.
func record(msg integration.Outgoing) kafkago.Message {
	m := kafkago.Message{Value: msg.Body, Headers: make([]kafkago.Header, 1, 2)}
	m.Headers[0] = kafkago.Header{Key: HeaderContentType, Value: jsonContentType}
	if msg.EventID != "" {
		m.Headers = append(m.Headers, kafkago.Header{Key: HeaderEventID, Value: []byte(msg.EventID)})
	}
	if msg.Key != "" {
		m.Key = []byte(msg.Key)
	}
	return m
}

func (p *producer) checkSize(msg integration.Outgoing) error {
	if n := len(msg.Body); n > p.opts.maxBody() {
		return integration.Invalid(fmt.Errorf("kafka: body of %d bytes exceeds max_body_bytes (%d)", n, p.opts.maxBody()))
	}
	return nil
}

// send writes one record and waits for its acknowledgement.
func (p *producer) send(ctx context.Context, msg integration.Outgoing) error {
	if err := p.checkSize(msg); err != nil {
		return err
	}
	actx, cancel := publisherAttemptContext(ctx, p.timeout)
	defer cancel()
	if err := p.one.WriteMessages(actx, record(msg)); err != nil {
		var we kafkago.WriteErrors
		if errors.As(err, &we) && len(we) == 1 && we[0] != nil {
			err = we[0]
		}
		return p.classify(ctx, actx, err)
	}
	return nil
}

// sendBatch writes msgs in one call (one produce request per partition and
// batch_size records) and waits for every acknowledgement. It returns how
// many leading messages were acknowledged and, when not all, the error of
// the first one that was not. An oversized message ends the run before it.
func (p *producer) sendBatch(ctx context.Context, msgs []integration.Outgoing) (int, error) {
	n, stop := len(msgs), error(nil)
	for i, m := range msgs {
		if err := p.checkSize(m); err != nil {
			n, stop = i, err
			break
		}
	}
	if n == 0 {
		return 0, stop
	}
	recs := make([]kafkago.Message, n)
	for i, m := range msgs[:n] {
		recs[i] = record(m)
	}
	actx, cancel := publisherAttemptContext(ctx, p.timeout)
	defer cancel()
	// A batch as large as the run is full once the run is appended, so it
	// is written at once instead of after BatchTimeout (records spread over
	// several partitions still wait for it, once per flush). kafka-go reads
	// BatchSize only inside WriteMessages, and the engine never calls the
	// sink concurrently.
	p.many.BatchSize = n
	err := p.many.WriteMessages(actx, recs...)
	if err == nil {
		return n, stop
	}
	var we kafkago.WriteErrors
	if !errors.As(err, &we) || len(we) != n {
		return 0, p.classify(ctx, actx, err)
	}
	for i, e := range we {
		if e != nil {
			return i, p.classify(ctx, actx, e)
		}
	}
	return n, stop
}

// classify maps a kafka-go error to the contract's classes (§3.3).
func (p *producer) classify(ctx, actx context.Context, err error) error {
	switch {
	case ctx.Err() != nil:
		return ctx.Err()
	case errors.Is(actx.Err(), context.DeadlineExceeded) || errors.Is(err, context.DeadlineExceeded):
		return integration.TimeoutError(p.timeout)
	}
	var tooLarge kafkago.MessageTooLargeError
	if errors.As(err, &tooLarge) {
		return integration.Invalid(fmt.Errorf("kafka: topic %q: %w", p.opts.Topic, err))
	}
	var ke kafkago.Error
	if errors.As(err, &ke) {
		switch {
		case errors.Is(ke, kafkago.MessageSizeTooLarge), errors.Is(ke, kafkago.InvalidMessage),
			errors.Is(ke, kafkago.InvalidRecord):
			return integration.Invalid(fmt.Errorf("kafka: topic %q: %w", p.opts.Topic, err))
		case !ke.Temporary():
			return integration.Permanent(fmt.Errorf("kafka: topic %q: %w", p.opts.Topic, err))
		}
		return integration.Temporary(fmt.Errorf("kafka: topic %q: %w", p.opts.Topic, err))
	}
	wrapped := fmt.Errorf("kafka: produce to %q: %w", p.opts.Topic, err)
	if integration.SafeToResend(err) {
		return integration.NotSent(wrapped)
	}
	return integration.Temporary(wrapped)
}

// close flushes and closes the writer; later sends fail.
func (p *producer) close() error {
	p.closeOnce.Do(func() { p.closeErr = errors.Join(p.one.Close(), p.many.Close()) })
	return p.closeErr
}

// publisherAttemptContext bounds one attempt by timeout unless the caller
// (the publisher's retry loop) already set a deadline.
func publisherAttemptContext(ctx context.Context, timeout time.Duration) (context.Context, context.CancelFunc) {
	if _, ok := ctx.Deadline(); ok {
		return ctx, func() {}
	}
	return context.WithTimeout(ctx, timeout)
}
