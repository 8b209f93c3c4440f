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

// producer writes runs of records with kafka-go Writers sharing one
// Transport (connections). Each lane is a Writer with its own record,
// header and key buffers, used by one run at a time: its BatchSize is set
// to the run's length, so the run is one full batch per partition and is
// written at once instead of after BatchTimeout, and the buffers are
// reused, so a run allocates nothing per message. There are as many lanes
// as runs the engine may keep in flight (MaxInFlight). The writers' own
// retries are off (MaxAttempts 1): the publisher's retry loop is the only
// one.
type producer struct {
	opts    *PublisherOptions
	timeout time.Duration

	lanes chan *lane
	all   []*lane

	closeOnce sync.Once
	closeErr  error
}

// lane is one Writer and the buffers of the run it writes.
type lane struct {
	w    *kafkago.Writer
	recs []kafkago.Message
	hdrs []kafkago.Header
	keys []byte // keys and event ids of the run, back to back
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
	n := opts.inFlight()
	p := &producer{opts: opts, timeout: cfg.Timeout, lanes: make(chan *lane, n)}
	for range n {
		l := &lane{w: &kafkago.Writer{
			Addr:                   kafkago.TCP(opts.BootstrapServers.normalized()...),
			Topic:                  opts.Topic,
			Balancer:               &kafkago.Murmur2Balancer{},
			MaxAttempts:            1,
			BatchSize:              cfg.BatchSize,
			BatchBytes:             maxBatchBytes,
			BatchTimeout:           time.Millisecond,
			ReadTimeout:            cfg.Timeout,
			WriteTimeout:           cfg.Timeout,
			RequiredAcks:           requiredAcks(cfg.DeliveryGuarantee),
			Compression:            comp,
			AllowAutoTopicCreation: opts.AllowAutoTopicCreation,
			Transport:              tr,
		}}
		p.all = append(p.all, l)
		p.lanes <- l
	}
	return p, nil
}

// writer is the configuration every lane shares (address, transport, acks).
func (p *producer) writer() *kafkago.Writer { return p.all[0].w }

// probe asks a broker for the topic's metadata (the cheap reachability
// check of §1.1).
func (p *producer) probe(ctx context.Context) error {
	actx, cancel := publisherAttemptContext(ctx, p.timeout)
	defer cancel()
	client := &kafkago.Client{Addr: p.writer().Addr, Timeout: p.timeout, Transport: p.writer().Transport}
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

// fill converts msgs into the lane's records: key = simulation id (nil
// when empty, so the partition is random), value = the body (not copied),
// headers content-type and mfn-event-id. Keys and event ids are copied
// into one buffer and the headers share one array, both reused.
func (l *lane) fill(msgs []integration.Outgoing) []kafkago.Message {
	size := 0
	for i := range msgs {
		size += len(msgs[i].Key) + len(msgs[i].EventID)
	}
	if cap(l.keys) < size {
		l.keys = make([]byte, 0, size)
	}
	keys := l.keys[:0]
	l.recs = grow(l.recs, len(msgs))
	l.hdrs = grow(l.hdrs, 2*len(msgs))
	for i := range msgs {
		m := &msgs[i]
		h := l.hdrs[2*i : 2*i+1 : 2*i+2]
		h[0] = kafkago.Header{Key: HeaderContentType, Value: jsonContentType}
		if m.EventID != "" {
			at := len(keys)
			keys = append(keys, m.EventID...)
			h = append(h, kafkago.Header{Key: HeaderEventID, Value: keys[at:len(keys):len(keys)]})
		}
		var key []byte
		if m.Key != "" {
			at := len(keys)
			keys = append(keys, m.Key...)
			key = keys[at:len(keys):len(keys)]
		}
		l.recs[i] = kafkago.Message{Key: key, Value: m.Body, Headers: h}
	}
	l.keys = keys
	return l.recs
}

// release drops the references to the bodies of the last run.
func (l *lane) release() {
	clear(l.recs)
	l.recs = l.recs[:0]
}

// abandon gives up the lane's buffers after a write that failed:
// WriteMessages returns when its context ends, or when a batch's round trip
// gives up, while kafka-go's connection goroutine may still be encoding the
// request from the records, their headers and keys. The next run allocates
// new buffers instead of overwriting those.
func (l *lane) abandon() {
	l.recs, l.hdrs, l.keys = nil, nil, nil
}

// grow returns s resized to n, reusing its array when large enough.
func grow[T any](s []T, n int) []T {
	if cap(s) >= n {
		return s[:n]
	}
	return make([]T, n)
}

func (p *producer) checkSize(msg integration.Outgoing) error {
	if n := len(msg.Body); n > p.opts.maxBody() {
		return integration.Invalid(fmt.Errorf("kafka: body of %d bytes exceeds max_body_bytes (%d)", n, p.opts.maxBody()))
	}
	return nil
}

// send writes one record and waits for its acknowledgement.
func (p *producer) send(ctx context.Context, msg integration.Outgoing) error {
	_, err := p.sendBatch(ctx, []integration.Outgoing{msg})
	return err
}

// sendBatch writes msgs with one lane in one call (one produce request per
// partition) and waits for every acknowledgement. It returns how many
// leading messages were acknowledged and, when not all, the error of the
// first one that was not. An oversized message ends the run before it.
// Calls may run concurrently, up to the number of lanes.
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
	actx, cancel := publisherAttemptContext(ctx, p.timeout)
	defer cancel()
	var l *lane
	select {
	case l = <-p.lanes:
	case <-actx.Done():
		return 0, p.classify(ctx, actx, actx.Err())
	}
	defer func() {
		l.release()
		p.lanes <- l
	}()
	recs := l.fill(msgs[:n])
	// kafka-go reads BatchSize only inside WriteMessages, and a lane is
	// used by one run at a time.
	l.w.BatchSize = n
	err := l.w.WriteMessages(actx, recs...)
	if err == nil {
		return n, stop
	}
	// The request may still be in progress: a timeout or a cancellation
	// returns at once, and so does a batch whose round trip gave up while
	// the connection goroutine was still writing it (WriteErrors then
	// carries the timeout for every record).
	l.abandon()
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
	p.closeOnce.Do(func() {
		errs := make([]error, 0, len(p.all))
		for _, l := range p.all {
			errs = append(errs, l.w.Close())
		}
		p.closeErr = errors.Join(errs...)
	})
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
