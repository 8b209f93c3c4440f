package batch

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/mfn-io/mfn-operator/pkg/integration"
	"github.com/mfn-io/mfn-operator/pkg/integration/clock"
	"github.com/mfn-io/mfn-operator/pkg/integration/component"
	"github.com/mfn-io/mfn-operator/pkg/integration/retry"
)

// Sink is the protocol-specific part of a publisher.
type Sink interface {
	// Open opens the client (PING, metadata request, AMQP handshake). It is
	// called through the retry loop by Connect, and lazily before the first
	// send. It is never called concurrently with Send.
	Open(ctx context.Context) error
	// Send delivers one message and returns nil once the destination has
	// acknowledged it. Classify errors with integration.Permanent, Invalid,
	// NotSent or RetryAfter; unclassified errors are retried.
	Send(ctx context.Context, msg integration.Outgoing) error
	// Close releases the client. It is called once, by Disconnect, after
	// the final flush, and only if Open succeeded.
	Close(ctx context.Context) error
}

// Syncer is implemented by sinks that make sent messages durable in a
// separate step (the JSONL file publisher fsyncs). Sync is called once at
// the end of every flush that sent something; the messages of that flush
// count as delivered (messages_sent, Done(nil)) only after Sync succeeded.
// When Sync fails they are put back at the head of the buffer under
// at_least_once (they may be written twice) and given up under at_most_once.
type Syncer interface {
	Sync(ctx context.Context) error
}

// BatchSender is implemented by sinks that can pipeline several messages
// in one operation (send all, then await all acknowledgements). SendBatch
// sends msgs in order and returns how many leading messages the
// destination accepted; when that is less than len(msgs) the error is the
// failure of msgs[n]. The batching engine retries the remainder.
type BatchSender interface {
	SendBatch(ctx context.Context, msgs []integration.Outgoing) (int, error)
}

// memoryWarningFraction is the buffer fill level that logs "Memory usage increasing".
const memoryWarningFraction = 0.8

type entry struct {
	msg integration.Outgoing
	at  time.Time
}

type flushRequest struct {
	ctx  context.Context
	done chan error
}

// Publisher is a complete integration.Publisher built from a Sink: bounded
// buffer, flush goroutine, per-message retry and breaker, delivery
// guarantees and the §5.2 metrics.
type Publisher struct {
	base  *component.PublisherBase
	sink  Sink
	cfg   integration.PublisherConfig
	clock clock.Clock

	// life ends the flush goroutine's own operations at Disconnect.
	life     context.Context
	stopLife context.CancelFunc
	kick     chan struct{}
	requests chan flushRequest
	finished chan struct{}

	mu       sync.Mutex
	buf      []entry
	closed   bool
	closedCh chan struct{}
	space    chan struct{} // closed and replaced when space frees up
	warned   bool          // the 80 % warning was logged for this episode

	connMu sync.Mutex // guards open and serialises Open
	open   bool

	// owned by the flush goroutine
	failedFlushes int
	retryAt       time.Time
}

var _ integration.Publisher = (*Publisher)(nil)

// New validates cfg for o.Kind and starts the flush goroutine. Call
// Disconnect to stop it.
func New(cfg integration.PublisherConfig, sink Sink, o component.Options) (*Publisher, error) {
	if sink == nil {
		return nil, errors.New("batch: sink must not be nil")
	}
	base, err := component.NewPublisherBase(cfg, o)
	if err != nil {
		return nil, err
	}
	life, stop := context.WithCancel(context.Background())
	p := &Publisher{base: base, sink: sink, cfg: base.Config(), clock: base.Clock(),
		life: life, stopLife: stop, kick: make(chan struct{}, 1),
		requests: make(chan flushRequest), finished: make(chan struct{}),
		closedCh: make(chan struct{}), space: make(chan struct{})}
	go p.run()
	return p, nil
}

// Base returns the shared component part (metrics, breaker, logger).
func (p *Publisher) Base() *component.PublisherBase { return p.base }

// ID returns the component identifier.
func (p *Publisher) ID() string { return p.base.ID() }

// Kind returns the publisher kind.
func (p *Publisher) Kind() string { return p.base.Kind() }

// Snapshot returns the /status report.
func (p *Publisher) Snapshot() integration.ComponentSnapshot { return p.base.Snapshot() }

// Buffered returns the number of buffered messages.
func (p *Publisher) Buffered() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.buf)
}

// Capacity returns max_buffered_messages.
func (p *Publisher) Capacity() int { return p.cfg.MaxBufferedMessages }

// Connect opens the sink through the retry loop. Calling it again while
// connected does nothing.
func (p *Publisher) Connect(ctx context.Context) error {
	p.connMu.Lock()
	defer p.connMu.Unlock()
	if p.open {
		return nil
	}
	if err := p.base.Connect(ctx, p.sink.Open); err != nil {
		return err
	}
	p.open = true
	return nil
}

// Publish enqueues msg. It blocks while the buffer is full (until space,
// ctx end or Disconnect) or fails with ErrBufferFull when the config says
// not to block. Delivery is reported through msg.Done, the metrics and
// the error of Flush/Disconnect.
func (p *Publisher) Publish(ctx context.Context, msg integration.Outgoing) error {
	if err := p.base.CheckEnabled(); err != nil {
		return err
	}
	p.mu.Lock()
	for !p.closed && len(p.buf) >= p.cfg.MaxBufferedMessages {
		if !p.cfg.BlockOnFull() {
			p.mu.Unlock()
			p.base.Dropped(integration.ErrBufferFull, "buffer_len", p.cfg.MaxBufferedMessages)
			return integration.ErrBufferFull
		}
		space := p.space
		p.mu.Unlock()
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-p.closedCh:
		case <-space:
		}
		p.mu.Lock()
	}
	if p.closed {
		p.mu.Unlock()
		return integration.ErrClosed
	}
	p.buf = append(p.buf, entry{msg: msg, at: p.clock.Now()})
	n := len(p.buf)
	p.base.Metrics.Buffered.Store(int64(n))
	warn := !p.warned && float64(n) > memoryWarningFraction*float64(p.cfg.MaxBufferedMessages)
	if warn {
		p.warned = true
	}
	p.mu.Unlock()
	if warn {
		p.base.Logger().Warn("Memory usage increasing", "operation", "publish",
			"buffer_len", n, "capacity", p.cfg.MaxBufferedMessages)
	}
	if n == 1 || n >= p.cfg.BatchSize {
		p.wake()
	}
	return nil
}

// PublishSync enqueues msg and flushes: it returns nil once msg was
// delivered, or the error it was given up with, or the flush error when it
// stays buffered for a retry (at_least_once). It is the synchronous mode
// meant for batch_size = 1. msg.Done is still called.
func (p *Publisher) PublishSync(ctx context.Context, msg integration.Outgoing) error {
	result := make(chan error, 1)
	done := msg.Done
	msg.Done = func(err error) {
		if done != nil {
			done(err)
		}
		result <- err
	}
	if err := p.Publish(ctx, msg); err != nil {
		return err
	}
	flushErr := p.Flush(ctx)
	select {
	case err := <-result:
		return err
	default:
		return flushErr
	}
}

// Flush sends everything buffered at the time of the call and returns nil
// when all of it was delivered, or an error that says how many messages
// were not delivered and why. Under at_least_once the undelivered messages
// stay buffered; ctx bounds the flush.
func (p *Publisher) Flush(ctx context.Context) error {
	req := flushRequest{ctx: ctx, done: make(chan error, 1)}
	select {
	case p.requests <- req:
	case <-ctx.Done():
		return ctx.Err()
	case <-p.finished:
		return integration.ErrClosed
	}
	select {
	case err := <-req.done:
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Disconnect stops accepting messages, flushes within ctx, gives up what
// is still buffered (messages_failed, Done with the error), closes the
// sink and sets status disconnected. A second call does nothing.
func (p *Publisher) Disconnect(ctx context.Context) error {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return nil
	}
	p.closed = true
	close(p.closedCh)
	p.mu.Unlock()
	p.base.Logger().Info("Disconnecting", "operation", "disconnect", "batch_len", p.Buffered())

	flushErr := p.Flush(ctx)
	p.stopLife()
	<-p.finished
	left := p.takeAll()
	var errs []error
	if len(left) > 0 {
		reason := flushErr
		if reason == nil {
			reason = ctx.Err()
		}
		err := fmt.Errorf("%d message(s) not delivered before disconnect: %w", len(left), reason)
		for _, e := range left {
			p.giveUp(e, err)
		}
		errs = append(errs, err)
	} else if flushErr != nil && !errors.Is(flushErr, integration.ErrClosed) {
		errs = append(errs, flushErr)
	}
	p.connMu.Lock()
	if p.open {
		if err := p.sink.Close(ctx); err != nil {
			errs = append(errs, fmt.Errorf("close: %w", err))
		}
		p.open = false
	}
	p.connMu.Unlock()
	p.base.Disconnected()
	return errors.Join(errs...)
}

func (p *Publisher) wake() {
	select {
	case p.kick <- struct{}{}:
	default:
	}
}

// run is the flush goroutine: it flushes when the buffer reaches
// batch_size, when the oldest message is batch_timeout old, on Flush
// requests, and retries failed flushes with backoff.
func (p *Publisher) run() {
	defer close(p.finished)
	var timer clock.Timer
	defer func() {
		if timer != nil {
			timer.Stop()
		}
	}()
	for {
		if timer != nil {
			timer.Stop()
			timer = nil
		}
		if p.life.Err() != nil {
			return
		}
		if p.dueBySize() {
			_ = p.flush(p.life)
			continue
		}
		var timerC <-chan time.Time
		if d, ok := p.nextDeadline(); ok {
			timer = p.clock.NewTimer(d)
			timerC = timer.C()
		}
		select {
		case <-p.life.Done():
			return
		case req := <-p.requests:
			ctx, cancel := context.WithCancel(p.life)
			stop := context.AfterFunc(req.ctx, cancel)
			err := p.flush(ctx)
			stop()
			cancel()
			req.done <- err
		case <-p.kick:
		case <-timerC:
			_ = p.flush(p.life)
		}
	}
}

// nextDeadline is the wait until the next automatic flush: the oldest
// message becomes batch_timeout old, or the backoff after a failed flush ends.
func (p *Publisher) nextDeadline() (time.Duration, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.buf) == 0 {
		return 0, false
	}
	at := p.buf[0].at.Add(p.cfg.BatchTimeout)
	if !p.retryAt.IsZero() {
		at = p.retryAt // the kept remainder is due when the backoff ends
	}
	return max(at.Sub(p.clock.Now()), 0), true
}

// dueBySize reports whether the buffer reached batch_size and no backoff is pending.
func (p *Publisher) dueBySize() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.buf) >= p.cfg.BatchSize && !p.retryAt.After(p.clock.Now())
}

// flush sends the messages buffered when it starts, in order, one at a
// time. Flush requests bypass the backoff of failed flushes.
func (p *Publisher) flush(ctx context.Context) error {
	p.expire()
	n := p.Buffered()
	if n == 0 {
		return nil
	}
	p.base.Logger().Debug("Flushing", "operation", "flush", "batch_len", n)
	failed := 0
	var lastErr error
	var unsynced []entry
	syncer, _ := p.sink.(Syncer)
	accept := func(e entry) {
		if syncer != nil {
			unsynced = append(unsynced, e)
		} else {
			p.delivered(e)
		}
	}
	for settled := 0; settled < n; {
		k, err := p.sendRun(ctx, n-settled, accept)
		settled += k
		switch {
		case err == nil:
			continue
		case ctx.Err() != nil:
			_ = p.commit(ctx, syncer, unsynced)
			return fmt.Errorf("flush interrupted with %d message(s) buffered: %w", p.Buffered(), ctx.Err())
		}
		lastErr = err
		if p.keep(err) {
			_ = p.commit(ctx, syncer, unsynced)
			p.backoff()
			return fmt.Errorf("%d message(s) not delivered, kept for retry: %w", p.Buffered(), err)
		}
		e, ok := p.head()
		if !ok {
			break
		}
		p.pop()
		p.giveUp(e, err)
		failed++
		settled++
	}
	if err := p.commit(ctx, syncer, unsynced); err != nil {
		p.backoff()
		return fmt.Errorf("%d message(s) not made durable: %w", len(unsynced), err)
	}
	p.failedFlushes, p.retryAt = 0, time.Time{}
	if failed > 0 {
		return fmt.Errorf("%d of %d message(s) not delivered: %w", failed, n, lastErr)
	}
	p.base.Metrics.BatchesSent.Add(1)
	return nil
}

// delivered accounts one message the destination accepted.
func (p *Publisher) delivered(e entry) {
	p.base.Sent(len(e.msg.Body), "event_id", e.msg.EventID)
	done(e, nil)
}

// commit syncs the sink (when it is a Syncer) and then reports the sent
// messages as delivered; on failure they go back to the head of the buffer
// (at_least_once) or are given up (at_most_once).
func (p *Publisher) commit(ctx context.Context, syncer Syncer, sent []entry) error {
	if syncer == nil || len(sent) == 0 {
		return nil
	}
	err := p.base.Do(ctx, "flush", syncer.Sync)
	if err == nil {
		for _, e := range sent {
			p.delivered(e)
		}
		return nil
	}
	if p.cfg.DeliveryGuarantee == integration.AtMostOnce {
		for _, e := range sent {
			p.giveUp(e, err)
		}
		return err
	}
	p.mu.Lock()
	p.buf = append(append(make([]entry, 0, len(sent)+len(p.buf)), sent...), p.buf...)
	p.base.Metrics.Buffered.Store(int64(len(p.buf)))
	p.mu.Unlock()
	return err
}

// keep reports whether a failed message stays at the head of the buffer
// (at_least_once / exactly_once and a failure a later retry can fix).
func (p *Publisher) keep(err error) bool {
	return p.cfg.DeliveryGuarantee != integration.AtMostOnce && !integration.IsPermanent(err)
}

// sendRun connects lazily and sends up to limit messages from the head of
// the buffer as one retried operation: one message through Send, or, for a
// BatchSender, the whole run through SendBatch (each retry resumes after
// the messages already accepted). Accepted messages are popped and given to
// accept. It returns how many were accepted and the error of the message
// at the head when it stopped.
func (p *Publisher) sendRun(ctx context.Context, limit int, accept func(entry)) (int, error) {
	if err := p.Connect(ctx); err != nil {
		return 0, err
	}
	bs, isBatch := p.sink.(BatchSender)
	if !isBatch || limit == 1 {
		e, ok := p.head()
		if !ok {
			return 0, nil
		}
		err := p.base.Do(ctx, "publish", func(ctx context.Context) error { return p.sink.Send(ctx, e.msg) })
		if err != nil {
			return 0, err
		}
		p.pop()
		accept(e)
		return 1, nil
	}
	total := 0
	err := p.base.Do(ctx, "publish", func(ctx context.Context) error {
		run := p.peek(limit - total)
		if len(run) == 0 {
			return nil
		}
		msgs := make([]integration.Outgoing, len(run))
		for i, e := range run {
			msgs[i] = e.msg
		}
		k, err := bs.SendBatch(ctx, msgs)
		k = min(max(k, 0), len(run))
		for _, e := range run[:k] {
			p.pop()
			accept(e)
		}
		total += k
		if err == nil && k < len(run) {
			err = fmt.Errorf("batch sink accepted %d of %d messages without an error", k, len(run))
		}
		return err
	})
	return total, err
}

// peek returns up to n entries from the head of the buffer.
func (p *Publisher) peek(n int) []entry {
	p.mu.Lock()
	defer p.mu.Unlock()
	return slices.Clone(p.buf[:min(n, len(p.buf))])
}

// backoff schedules the next automatic flush after a failed one.
func (p *Publisher) backoff() {
	p.failedFlushes++
	d := retry.FromConfig(p.cfg.RetryConfig).Delay(p.failedFlushes)
	if d <= 0 {
		d = p.cfg.InitialRetryDelay
	}
	p.retryAt = p.clock.Now().Add(d)
}

// expire gives up buffered messages older than max_message_age.
func (p *Publisher) expire() {
	now := p.clock.Now()
	p.mu.Lock()
	var old []entry
	kept := p.buf[:0]
	for _, e := range p.buf {
		if now.Sub(e.at) > p.cfg.MaxMessageAge {
			old = append(old, e)
			continue
		}
		kept = append(kept, e)
	}
	clear(p.buf[len(kept):])
	p.buf = kept
	p.changedLocked()
	p.mu.Unlock()
	for _, e := range old {
		p.giveUp(e, integration.ErrMessageExpired)
	}
}

func (p *Publisher) head() (entry, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.buf) == 0 {
		return entry{}, false
	}
	return p.buf[0], true
}

func (p *Publisher) pop() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.buf[0] = entry{}
	p.buf = p.buf[1:]
	p.changedLocked()
}

func (p *Publisher) takeAll() []entry {
	p.mu.Lock()
	defer p.mu.Unlock()
	all := p.buf
	p.buf = nil
	p.changedLocked()
	return all
}

// changedLocked updates the gauge and wakes blocked publishers; p.mu held.
func (p *Publisher) changedLocked() {
	n := len(p.buf)
	p.base.Metrics.Buffered.Store(int64(n))
	if float64(n) <= memoryWarningFraction*float64(p.cfg.MaxBufferedMessages) {
		p.warned = false
	}
	if n < p.cfg.MaxBufferedMessages {
		close(p.space)
		p.space = make(chan struct{})
	}
}

func (p *Publisher) giveUp(e entry, err error) {
	p.base.Dropped(err, "event_id", e.msg.EventID)
	done(e, err)
}

func done(e entry, err error) {
	if e.msg.Done != nil {
		e.msg.Done(err)
	}
}
