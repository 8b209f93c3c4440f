package batch

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/mfn-io/mfn-operator/pkg/integration"
	"github.com/mfn-io/mfn-operator/pkg/integration/clock"
	"github.com/mfn-io/mfn-operator/pkg/integration/component"
)

// Sink is the protocol-specific part of a publisher.
type Sink interface {
	// Open opens the client (PING, metadata request, AMQP handshake). It is
	// called through the retry loop by Connect, and lazily before the first
	// send. It is never called concurrently with Send.
	Open(ctx context.Context) error
	// Send delivers one message and returns nil once the destination has
	// acknowledged it. Classify errors with integration.Permanent, Invalid,
	// NotSent or RetryAfter; unclassified errors are retried. The engine
	// calls Send for the messages of a run one after the other within one
	// attempt, so ctx carries no per-request deadline: Send bounds each
	// request by the configured timeout itself.
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

// ConcurrentSender is a BatchSender whose SendBatch may run for several
// runs at the same time (a connection pool, a client that multiplexes).
// Under at_least_once the engine then keeps up to MaxInFlight runs of
// batch_size in flight at once; the messages are still accepted in buffer
// order (a run's messages are reported only after every run before it was
// accepted whole). Two consequences, documented by the publishers that opt
// in: runs in flight together may reach the destination in any order, and
// when a run fails, the runs after it are sent again with it even if they
// were accepted (duplicates, as at_least_once allows). Under at_most_once a
// ConcurrentSender is used one run at a time.
type ConcurrentSender interface {
	BatchSender
	// MaxInFlight is how many runs may be sent at the same time (≥ 1).
	MaxInFlight() int
}

// memoryWarningFraction is the buffer fill level that logs "Memory usage increasing".
const memoryWarningFraction = 0.8

type flushRequest struct {
	ctx  context.Context
	done chan error
}

// Publisher is a complete integration.Publisher built from a Sink: bounded
// buffer, flush goroutine, retry and breaker per run of messages, delivery
// guarantees and the §5.2 metrics.
type Publisher struct {
	base  *component.PublisherBase
	sink  Sink
	cfg   integration.PublisherConfig
	clock clock.Clock
	// epoch is the origin of the entries' enqueue times; with the real
	// clock they are read from the monotonic clock alone (time.Since),
	// half the cost of time.Now on every Publish.
	epoch     time.Time
	realClock bool

	// life ends the flush goroutine's own operations at Disconnect.
	life     context.Context
	stopLife context.CancelFunc
	kick     chan struct{}
	requests chan flushRequest
	finished chan struct{}

	bs     BatchSender // sink as a BatchSender, or nil
	syncer Syncer      // sink as a Syncer, or nil
	warnAt int         // buffer length above which "Memory usage increasing" is logged
	// lowWater is the buffer length at which blocked publishers are woken
	// during a flush: half the buffer free, or batch_size if more.
	lowWater int

	mu       sync.Mutex
	buf      ring
	closed   bool
	closedCh chan struct{}
	space    chan struct{} // closed and replaced when space frees up and waiters > 0
	waiters  int           // Publish calls blocked on a full buffer
	warned   bool          // the 80 % warning was logged for this episode

	connMu sync.Mutex // guards open and serialises Open
	open   bool

	// owned by the flush goroutine
	failedFlushes int
	retryAt       time.Time
	run           []entry // the run being sent through Send (copied from the head)
	sent          int     // leading messages of run already accepted
	unsynced      []entry // accepted, waiting for Sync (Syncer sinks)
	sendOne       func(context.Context) error
	runs          []*run // SendBatch runs, up to the in-flight window
	inflight      sync.WaitGroup
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
	p.epoch, p.realClock = p.clock.Now(), p.clock == clock.Real
	p.bs, _ = sink.(BatchSender)
	p.syncer, _ = sink.(Syncer)
	p.warnAt = int(memoryWarningFraction * float64(p.cfg.MaxBufferedMessages))
	p.lowWater = p.cfg.MaxBufferedMessages - max(p.cfg.BatchSize, p.cfg.MaxBufferedMessages/2)
	p.sendOne = p.sendEach
	window := 1
	if cs, ok := sink.(ConcurrentSender); ok && p.cfg.DeliveryGuarantee == integration.AtLeastOnce {
		window = max(cs.MaxInFlight(), 1)
	}
	if p.bs != nil {
		p.runs = make([]*run, window)
		for i := range p.runs {
			p.runs[i] = newRun(p)
		}
	}
	go p.loop()
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
	return p.buf.len()
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
	for !p.closed && p.buf.len() >= p.cfg.MaxBufferedMessages {
		if !p.cfg.BlockOnFull() {
			p.mu.Unlock()
			p.base.Dropped(integration.ErrBufferFull, "buffer_len", p.cfg.MaxBufferedMessages)
			return integration.ErrBufferFull
		}
		space := p.space
		p.waiters++
		p.mu.Unlock()
		select {
		case <-ctx.Done():
			p.mu.Lock()
			p.waiters--
			p.mu.Unlock()
			return ctx.Err()
		case <-p.closedCh:
		case <-space:
		}
		p.mu.Lock()
		p.waiters--
	}
	if p.closed {
		p.mu.Unlock()
		return integration.ErrClosed
	}
	// The time is taken under the lock so the buffer stays in time order.
	p.buf.push(entry{msg: msg, at: p.elapsed()}, p.cfg.MaxBufferedMessages)
	n := p.buf.len()
	p.base.Metrics.Buffered.Store(int64(n))
	warn := !p.warned && n > p.warnAt
	if warn {
		p.warned = true
	}
	p.mu.Unlock()
	if warn {
		p.base.Logger().Warn("Memory usage increasing", "operation", "publish",
			"buffer_len", n, "capacity", p.cfg.MaxBufferedMessages)
	}
	// The flush goroutine re-checks the size after every flush, so it only
	// needs waking when the first message arrives or the size is reached.
	if n == 1 || n == p.cfg.BatchSize {
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

// elapsed is the time since p.epoch.
func (p *Publisher) elapsed() time.Duration {
	if p.realClock {
		return time.Since(p.epoch)
	}
	return p.clock.Now().Sub(p.epoch)
}

func (p *Publisher) wake() {
	select {
	case p.kick <- struct{}{}:
	default:
	}
}
