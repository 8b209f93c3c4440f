package kafka

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"sync"
	"time"

	kafkago "github.com/segmentio/kafka-go"

	"github.com/mfn-io/mfn-operator/pkg/integration"
	"github.com/mfn-io/mfn-operator/pkg/integration/component"
	"github.com/mfn-io/mfn-operator/pkg/integration/schema"
)

// Connector consumes one topic as a member of a consumer group
// (INTEGRATION.md §7.1) and commits, per partition, only the contiguous
// watermark of acknowledged records.
//
// Acknowledgement: a record is committed once it and every record fetched
// before it from the same partition have been acknowledged. Commits happen
// every CommitInterval, when a rebalance revokes the partitions and on
// Disconnect.
//
// Nack: the record is handed out again by the same consumer (the
// watermark is held, so it stays uncommitted). If its partition was
// revoked in the meantime, the new owner reads it again from the committed
// offset. A crash therefore re-delivers every record after the last
// committed watermark to the next member of the group.
//
// Bad records (not JSON, not an input object, larger than
// max_message_bytes) are counted in messages_failed and still handed out,
// with Metadata["error"] set, so the pipeline sends them to its dead-letter
// publisher and acknowledges them; they never stop the stream.
type Connector struct {
	opts   ConnectorOptions
	cfg    integration.ConnectorConfig
	dialer *kafkago.Dialer
	log    *slog.Logger
	base   *component.ConnectorBase

	mu    sync.Mutex
	group *kafkago.ConsumerGroup
}

// compile-time check of the interface.
var _ integration.Connector = (*Connector)(nil)

// NewConnector validates opts and returns a disconnected connector.
func NewConnector(opts ConnectorOptions) (*Connector, error) {
	if err := opts.Validate(); err != nil {
		return nil, err
	}
	cfg := opts.Config.WithDefaults()
	mech, _ := opts.SASL.mechanism()
	secrets := []string{}
	if opts.SASL != nil {
		secrets = append(secrets, opts.SASL.Password)
	}
	c := &Connector{opts: opts, cfg: cfg,
		dialer: &kafkago.Dialer{Timeout: cfg.Timeout, DualStack: true, SASLMechanism: mech, TLS: opts.TLS}}
	base, err := component.NewConnectorBase(opts.Config, component.Options{ID: opts.id(), Name: opts.Name,
		Kind: "kafka", Logger: opts.Logger, Clock: opts.Clock, Registerer: opts.Registerer, Secrets: secrets})
	if err != nil {
		return nil, err
	}
	c.base, c.log = base, base.Logger()
	return c, nil
}

// ID returns the component identifier ("kafka-<topic>" unless overridden).
func (c *Connector) ID() string { return c.opts.id() }

// Kind returns "kafka".
func (c *Connector) Kind() string { return "kafka" }

// Connect checks that a broker answers and that the topic exists (through
// the retry loop and breaker), then joins the consumer group. Calling it
// again while connected does nothing.
func (c *Connector) Connect(ctx context.Context) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.group != nil {
		return nil
	}
	if err := c.base.Connect(ctx, c.probe); err != nil {
		return err
	}
	group, err := kafkago.NewConsumerGroup(kafkago.ConsumerGroupConfig{
		ID:                c.opts.GroupID,
		Brokers:           c.opts.BootstrapServers.normalized(),
		Dialer:            c.dialer,
		Topics:            []string{c.opts.Topic},
		StartOffset:       c.opts.startOffset(),
		SessionTimeout:    cmp.Or(c.opts.SessionTimeout, DefaultSessionTimeout),
		RebalanceTimeout:  cmp.Or(c.opts.RebalanceTimeout, DefaultRebalanceTimeout),
		HeartbeatInterval: cmp.Or(c.opts.HeartbeatInterval, DefaultHeartbeatInterval),
		JoinGroupBackoff:  time.Second,
		Timeout:           c.cfg.Timeout,
		ErrorLogger:       kafkago.LoggerFunc(func(f string, a ...any) { c.log.Debug("Kafka client: " + fmt.Sprintf(f, a...)) }),
	})
	if err != nil {
		err = integration.Permanent(err)
		c.base.ConnectError(err)
		return err
	}
	c.group = group
	return nil
}

// probe asks a broker for the topic's metadata.
func (c *Connector) probe(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, c.cfg.Timeout)
	defer cancel()
	tr := c.transport()
	defer tr.CloseIdleConnections()
	client := &kafkago.Client{Addr: kafkago.TCP(c.opts.BootstrapServers.normalized()...),
		Timeout: c.cfg.Timeout, Transport: tr}
	meta, err := client.Metadata(ctx, &kafkago.MetadataRequest{Topics: []string{c.opts.Topic}})
	if err != nil {
		if ctx.Err() != nil && errors.Is(err, context.DeadlineExceeded) {
			return integration.TimeoutError(c.cfg.Timeout)
		}
		return classify(err)
	}
	for _, t := range meta.Topics {
		if t.Name == c.opts.Topic {
			if t.Error != nil {
				return classify(fmt.Errorf("topic %q: %w", c.opts.Topic, t.Error))
			}
			return nil
		}
	}
	return integration.Permanent(fmt.Errorf("topic %q: %w", c.opts.Topic, kafkago.UnknownTopicOrPartition))
}

func (c *Connector) transport() *kafkago.Transport {
	return &kafkago.Transport{Dial: c.dialer.DialFunc, SASL: c.dialer.SASLMechanism, TLS: c.dialer.TLS,
		DialTimeout: c.dialer.Timeout}
}

// classify marks Kafka errors the broker calls non-retriable as permanent.
func classify(err error) error {
	var ke kafkago.Error
	if errors.As(err, &ke) && !ke.Temporary() {
		return integration.Permanent(err)
	}
	return err
}

// terminal reports client errors that no rejoin can fix.
func terminal(err error) bool {
	return errors.Is(err, kafkago.SASLAuthenticationFailed) || errors.Is(err, kafkago.GroupAuthorizationFailed) ||
		errors.Is(err, kafkago.TopicAuthorizationFailed) || errors.Is(err, kafkago.InvalidGroupId) ||
		errors.Is(err, kafkago.UnsupportedSASLMechanism) || errors.Is(err, kafkago.IllegalSASLState)
}

// Consume joins the group (connecting first if needed) and sends records
// to out until ctx ends (returns ctx.Err()), Disconnect is called (returns
// nil) or a non-recoverable client error occurs (status error).
func (c *Connector) Consume(ctx context.Context, out chan<- *integration.Message) error {
	if err := c.base.CheckEnabled(); err != nil {
		return err
	}
	if err := c.Connect(ctx); err != nil {
		return err
	}
	c.mu.Lock()
	group := c.group
	c.mu.Unlock()
	if group == nil {
		return nil // disconnected between Connect and here
	}
	for {
		gen, err := group.Next(ctx)
		switch {
		case ctx.Err() != nil:
			return ctx.Err()
		case errors.Is(err, kafkago.ErrGroupClosed):
			return nil
		case err != nil && terminal(err):
			c.base.ConsumeError(err)
			return err
		case err != nil:
			c.log.Warn("Consumer group error; rejoining", "operation", "consume", "error", c.base.Redact(err.Error()))
			c.base.RecordError(err)
			continue
		}
		c.runGeneration(ctx, gen, out)
	}
}

// runGeneration consumes the partitions assigned in gen until the
// generation ends (rebalance, Disconnect) or ctx ends.
func (c *Connector) runGeneration(ctx context.Context, gen *kafkago.Generation, out chan<- *integration.Message) {
	assigned := gen.Assignments[c.opts.Topic]
	trackers := make(map[int]*partitionTracker, len(assigned))
	var wg sync.WaitGroup
	parts := make([]int, 0, len(assigned))
	for _, a := range assigned {
		start := a.Offset
		if start < 0 {
			start = -1
		}
		trackers[a.ID] = newPartitionTracker(start)
		parts = append(parts, a.ID)
	}
	c.log.Info("Partitions assigned", "operation", "consume", "generation", gen.ID, "partitions", parts)
	for _, a := range assigned {
		p := &partitionConsumer{c: c, gen: gen, assignment: a, tracker: trackers[a.ID], out: out,
			wake: make(chan struct{}, 1)}
		wg.Add(1)
		gen.Start(func(gctx context.Context) {
			defer wg.Done()
			p.run(ctx, gctx)
		})
	}
	wg.Add(1)
	gen.Start(func(gctx context.Context) {
		defer wg.Done()
		c.commitLoop(ctx, gctx, gen, trackers)
	})
	wg.Wait()
	c.log.Info("Partitions revoked", "operation", "consume", "generation", gen.ID, "partitions", parts)
}

// commitLoop commits the watermarks every CommitInterval and once more when
// the generation ends.
func (c *Connector) commitLoop(ctx, gctx context.Context, gen *kafkago.Generation, trackers map[int]*partitionTracker) {
	t := time.NewTicker(c.opts.commitInterval())
	defer t.Stop()
	for {
		select {
		case <-t.C:
			c.commit(gen, trackers)
		case <-gctx.Done():
			c.commit(gen, trackers)
			return
		case <-ctx.Done():
			c.commit(gen, trackers)
			return
		}
	}
}

func (c *Connector) commit(gen *kafkago.Generation, trackers map[int]*partitionTracker) {
	offsets := map[int]int64{}
	for p, tr := range trackers {
		if off, ok := tr.ToCommit(); ok {
			offsets[p] = off
		}
	}
	if len(offsets) == 0 {
		return
	}
	if err := gen.CommitOffsets(map[string]map[int]int64{c.opts.Topic: offsets}); err != nil {
		c.log.Warn("Offset commit failed; will retry", "operation", "commit", "error", c.base.Redact(err.Error()))
		return
	}
	for p, off := range offsets {
		trackers[p].MarkCommitted(off)
		c.log.Debug("Offset committed", "operation", "commit", "partition", p, "offset", off)
	}
}

// Disconnect leaves the group after committing the acknowledged
// watermarks; an active Consume returns nil. It is idempotent.
func (c *Connector) Disconnect(ctx context.Context) error {
	c.mu.Lock()
	group := c.group
	c.group = nil
	c.mu.Unlock()
	var err error
	if group != nil {
		done := make(chan error, 1)
		go func() { done <- group.Close() }()
		select {
		case err = <-done:
		case <-ctx.Done():
			err = ctx.Err()
		}
	}
	c.base.Disconnected()
	return err
}

// Snapshot returns status, breaker and metrics.
func (c *Connector) Snapshot() integration.ComponentSnapshot { return c.base.Snapshot() }

// partitionConsumer reads one partition during one generation.
type partitionConsumer struct {
	c          *Connector
	gen        *kafkago.Generation
	assignment kafkago.PartitionAssignment
	tracker    *partitionTracker
	out        chan<- *integration.Message

	mu    sync.Mutex
	retry []kafkago.Message // nacked records, handed out again first
	wake  chan struct{}
	ended bool
}

func (p *partitionConsumer) run(ctx, gctx context.Context) {
	defer func() {
		p.mu.Lock()
		p.ended = true
		p.retry = nil
		p.mu.Unlock()
	}()
	c := p.c
	r := kafkago.NewReader(kafkago.ReaderConfig{
		Brokers:   c.opts.BootstrapServers.normalized(),
		Topic:     c.opts.Topic,
		Partition: p.assignment.ID,
		Dialer:    c.dialer,
		MinBytes:  1,
		MaxBytes:  max(10<<20, 2*c.cfg.MaxMessageBytes),
		MaxWait:   250 * time.Millisecond,
	})
	defer r.Close()
	if err := r.SetOffset(p.assignment.Offset); err != nil {
		c.log.Error("Cannot seek partition", "operation", "consume", "partition", p.assignment.ID, "error", err)
		return
	}
	fetched := make(chan kafkago.Message)
	fetchErr := make(chan error, 1)
	go func() {
		for {
			m, err := r.FetchMessage(gctx)
			if err != nil {
				fetchErr <- err
				return
			}
			select {
			case fetched <- m:
			case <-gctx.Done():
				fetchErr <- gctx.Err()
				return
			}
		}
	}()
	for {
		var m kafkago.Message
		redelivery := false
		if rm, ok := p.popRetry(); ok {
			m, redelivery = rm, true
		} else {
			select {
			case m = <-fetched:
			case <-p.wake:
				continue
			case err := <-fetchErr:
				if gctx.Err() == nil && ctx.Err() == nil {
					c.log.Warn("Partition fetch failed; rejoining", "operation", "consume",
						"partition", p.assignment.ID, "error", c.base.Redact(err.Error()))
					c.base.RecordError(err)
				}
				return
			case <-gctx.Done():
				return
			case <-ctx.Done():
				return
			}
		}
		if !redelivery {
			p.tracker.Add(m.Offset)
		}
		if !p.deliver(ctx, gctx, m, redelivery) {
			return
		}
	}
}

// deliver hands one record to out; false when the generation or ctx ended.
func (p *partitionConsumer) deliver(ctx, gctx context.Context, m kafkago.Message, redelivery bool) bool {
	c := p.c
	msg := integration.NewMessage(c.ID(), fmt.Sprintf("%s/%d/%d", m.Topic, m.Partition, m.Offset),
		m.Value, c.base.Clock().Now().UTC(), func(_ context.Context, reason error) error {
			if reason == nil {
				p.tracker.Ack(m.Offset)
				return nil
			}
			p.requeue(m, reason)
			return nil
		})
	msg.Metadata = map[string]string{"topic": m.Topic, "partition": strconv.Itoa(m.Partition),
		"offset": strconv.FormatInt(m.Offset, 10)}
	if len(m.Key) > 0 {
		msg.Metadata["key"] = string(m.Key)
	}
	bad := checkPayload(m.Value, c.cfg.MaxMessageBytes)
	if bad != nil {
		msg.Metadata[integration.MetadataError] = bad.Error()
	}
	if c.opts.EnableAutoCommit {
		p.tracker.Ack(m.Offset)
	}
	// Counted before the hand-over so that a reader sees the metric as soon
	// as it holds the message; a send abandoned at shutdown is redelivered.
	if bad != nil {
		c.base.Failed(bad, "partition", m.Partition, "offset", m.Offset, "note", "handed out for dead-lettering")
	} else if !redelivery {
		c.base.Received(len(m.Value), "partition", m.Partition, "offset", m.Offset)
	}
	select {
	case p.out <- msg:
	case <-gctx.Done():
		return false
	case <-ctx.Done():
		return false
	}
	return true
}

// requeue schedules a nacked record for redelivery in this generation.
func (p *partitionConsumer) requeue(m kafkago.Message, reason error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.ended {
		return // revoked: the next owner reads it from the committed offset
	}
	p.c.log.Debug("Record nacked; redelivering", "operation", "consume", "partition", m.Partition,
		"offset", m.Offset, "reason", reason)
	p.retry = append(p.retry, m)
	select {
	case p.wake <- struct{}{}:
	default:
	}
}

func (p *partitionConsumer) popRetry() (kafkago.Message, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.retry) == 0 {
		return kafkago.Message{}, false
	}
	m := p.retry[0]
	p.retry = p.retry[1:]
	return m, true
}

// checkPayload returns the per-message error of a record that cannot be a
// simulation input: larger than max bytes, not JSON ("JSON decode error:
// …"), not an object or a malformed envelope (schema.DecodeInput).
func checkPayload(b []byte, maxBytes int) error {
	_, err := schema.DecodeInput(b, maxBytes)
	return err
}
