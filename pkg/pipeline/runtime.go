package pipeline

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/mfn-io/mfn-operator/pkg/integration"
)

// ErrShutdown is the reason given to the connector for messages Nacked
// because the shutdown grace period ended before they were settled.
var ErrShutdown = errors.New("pipeline shut down before the message was settled")

// Runtime runs one pipeline. Create it with [New] and start it with
// [Runtime.Run]; Status, Ready, Counters and the prometheus.Collector
// methods may be called concurrently at any time.
type Runtime struct {
	cfg   Config
	log   *slog.Logger
	start time.Time

	sem     chan struct{} // one slot per in-flight message
	settleq chan *flight  // flights whose publishers all answered
	idle    chan struct{} // signalled when the in-flight count reaches 0

	mu      sync.Mutex
	flights map[*flight]struct{}

	running    atomic.Bool
	connected  atomic.Bool
	paused     atomic.Bool
	flushing   atomic.Bool
	flushAgain atomic.Bool
	// unflushed counts the outcomes handed to publishers since the last
	// flush began (see groupCommit).
	unflushed atomic.Int64

	processed        atomic.Int64
	simulated        atomic.Int64
	failed           atomic.Int64
	deadLettered     atomic.Int64
	deadLetterErrors atomic.Int64
	undelivered      atomic.Int64
	nacked           atomic.Int64
	pauses           atomic.Int64
	inFlight         atomic.Int64
	lastProcessed    atomic.Int64 // unix nanoseconds, 0 = never

	latency prometheus.Histogram
}

// New validates cfg and returns a runtime that is not started yet.
func New(cfg Config) (*Runtime, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg.applyDefaults()
	if cfg.MaxInFlight < cfg.Workers {
		return nil, fmt.Errorf("pipeline: MaxInFlight (%d) must be at least Workers (%d)", cfg.MaxInFlight, cfg.Workers)
	}
	r := &Runtime{
		cfg:     cfg,
		log:     cfg.Logger.With("pipeline", cfg.Name),
		start:   time.Now().UTC(),
		sem:     make(chan struct{}, cfg.MaxInFlight),
		settleq: make(chan *flight, cfg.MaxInFlight),
		idle:    make(chan struct{}, 1),
		flights: make(map[*flight]struct{}, cfg.MaxInFlight),
		latency: newLatencyHistogram(),
	}
	return r, nil
}

// Run connects every component, then processes messages until the
// connector is exhausted (a non-watching file feed, for instance) and every
// message is settled, or until ctx ends, after which it shuts down
// gracefully within Config.ShutdownGrace. It returns a terminal connector or
// connection error; a shutdown because ctx ended returns nil. Run may be
// called once.
func (r *Runtime) Run(ctx context.Context) error {
	if !r.running.CompareAndSwap(false, true) {
		return errors.New("pipeline: Run called twice")
	}
	if err := r.connectAll(ctx); err != nil {
		dctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		r.disconnectAll(dctx)
		if ctx.Err() != nil {
			return nil
		}
		return err
	}
	r.connected.Store(true)
	defer r.connected.Store(false)

	// workCtx outlives ctx by at most the grace period: simulations, publishes
	// and acknowledgements keep running while the pipeline drains.
	workCtx, cancelWork := context.WithCancel(context.WithoutCancel(ctx))
	defer cancelWork()
	drained := make(chan struct{})
	defer close(drained)
	go r.graceTimer(ctx, drained, cancelWork)
	r.sampleBreakers()
	go r.watchBreakers(workCtx)

	stopSettle := make(chan struct{})
	var settlers sync.WaitGroup
	for range settleGoroutines {
		settlers.Go(func() { r.settleLoop(workCtx, stopSettle) })
	}

	consumeErr := r.runPipeline(ctx, workCtx)

	if !r.waitSettled(workCtx) {
		r.nackAll(context.WithoutCancel(ctx))
	}
	close(stopSettle)
	settlers.Wait()
	dctx := workCtx
	if workCtx.Err() != nil {
		var cancel context.CancelFunc
		dctx, cancel = context.WithTimeout(context.WithoutCancel(ctx), 2*time.Second)
		defer cancel()
	}
	r.disconnectAll(dctx)
	if consumeErr != nil && !errors.Is(consumeErr, context.Canceled) {
		return fmt.Errorf("pipeline: connector %s: %w", r.cfg.Connector.ID(), consumeErr)
	}
	return nil
}

// runPipeline runs the connector and the workers until the connector is
// exhausted or ctx ends; it returns the connector's terminal error, if any.
//
// Workers read the connector's channel themselves (no dispatcher goroutine
// in between). The channel holds one message per worker: a worker that
// finishes a simulation takes the next message without waiting for the
// connector's goroutine, which refills the channel at the workers' next
// scheduling point. Without the buffer a worker whose partner had just
// taken the only ready message blocked until the connector got a CPU, then
// waited again while the connector prepared its following message.
// Messages still in the channel when the pipeline stops were never taken:
// they are handed back to the source (not counted as nacked).
func (r *Runtime) runPipeline(ctx, workCtx context.Context) error {
	consumeCtx, stopConsume := context.WithCancel(ctx)
	defer stopConsume()
	in := make(chan *integration.Message, r.cfg.Workers)
	consumed := make(chan error, 1)
	go func() {
		consumed <- r.cfg.Connector.Consume(consumeCtx, in)
		close(in) // Consume has returned: nothing more is sent
	}()
	var wg sync.WaitGroup
	for range r.cfg.Workers {
		wg.Go(func() { r.work(ctx, workCtx, in) })
	}
	wg.Wait()
	stopConsume()
	err := <-consumed
	for m := range in {
		if nerr := m.Nack(context.WithoutCancel(ctx), ErrShutdown); nerr != nil {
			r.log.Error("Handing back a message no worker took failed", "position", m.Position, "err", nerr)
		}
	}
	if ctx.Err() == nil && err == nil {
		r.log.Info("Connector exhausted, draining", "inFlight", r.inFlight.Load())
	}
	return err
}

// work takes messages from the connector while an in-flight slot is free and
// no breaker is open, and simulates them, until in is closed or ctx ends.
func (r *Runtime) work(ctx, workCtx context.Context, in <-chan *integration.Message) {
	tick := time.NewTicker(r.cfg.PauseInterval)
	defer tick.Stop()
	y := newYielder()
	defer y.close()
	workCtx = withYielder(workCtx, y)
	for {
		if r.paused.Load() {
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
				continue
			}
		}
		if !r.acquire(ctx, workCtx) {
			return
		}
		select {
		case m, ok := <-in:
			if !ok {
				<-r.sem
				return
			}
			r.handle(workCtx, r.track(m))
			// A scheduling point between simulations: the goroutines that
			// move messages along (connector, publisher flushes, settling,
			// network answers) were woken while every P simulated and
			// wait in a run queue or in the network poller; without it
			// they wait for the next blocked worker or for the 10 ms
			// preemption. See yielder.
			y.between()
		case <-ctx.Done():
			<-r.sem
			return
		}
	}
}

// acquire takes an in-flight slot. When every slot is taken, the messages
// in flight are waiting for their results to be published: the publishers are
// flushed at once instead of waiting for their batch timeouts, since no
// further message can arrive to fill a batch until one is settled.
func (r *Runtime) acquire(ctx, workCtx context.Context) bool {
	select {
	case r.sem <- struct{}{}:
		return true
	default:
	}
	r.kickFlush(workCtx)
	select {
	case r.sem <- struct{}{}:
		return true
	case <-ctx.Done():
		return false
	}
}

// groupCommit is called after an outcome was handed to the publishers. Once
// half the window's worth of outcomes has been handed over since the last
// flush began, it flushes the publishers at once instead of waiting for
// their batch timeouts: the other half of the window keeps the workers fed
// while the flush runs, and outcomes handed over during a flush go out
// together with the next one (group commit). Counting outcomes since the
// last flush, not slots taken, keeps every flush about half a window long:
// a window that stays full while a flush runs would otherwise start a new
// flush for every message (one write and one fsync each for a JSON Lines
// file, whose journal commits then take the CPU the simulations need).
func (r *Runtime) groupCommit(ctx context.Context) {
	if 2*r.unflushed.Add(1) >= int64(cap(r.sem)) {
		r.kickFlush(ctx)
	}
}

// kickFlush flushes every publisher in the background. Kicks that arrive
// during a flush cause one more flush, so a result published while a flush
// runs is not left waiting for its batch timeout.
func (r *Runtime) kickFlush(ctx context.Context) {
	r.flushAgain.Store(true)
	if !r.flushing.CompareAndSwap(false, true) {
		return
	}
	go func() {
		for {
			for r.flushAgain.Swap(false) {
				// Outcomes handed over from here on may miss this flush:
				// they count towards the next.
				r.unflushed.Store(0)
				r.flushAll(ctx)
			}
			r.flushing.Store(false)
			if !r.flushAgain.Load() || !r.flushing.CompareAndSwap(false, true) {
				return
			}
		}
	}()
}

// graceTimer cancels the work context ShutdownGrace after ctx ends, unless
// the pipeline finished before.
func (r *Runtime) graceTimer(ctx context.Context, drained <-chan struct{}, cancelWork context.CancelFunc) {
	select {
	case <-drained:
		return
	case <-ctx.Done():
	}
	r.log.Info("Shutting down", "grace", r.cfg.ShutdownGrace, "inFlight", r.inFlight.Load())
	t := time.NewTimer(r.cfg.ShutdownGrace)
	defer t.Stop()
	select {
	case <-drained:
	case <-t.C:
		r.log.Warn("Shutdown grace period over, giving up in-flight messages", "inFlight", r.inFlight.Load())
		cancelWork()
	}
}

// waitSettled flushes the publishers until every in-flight message is
// settled; false means ctx ended first.
func (r *Runtime) waitSettled(ctx context.Context) bool {
	flush := time.NewTicker(250 * time.Millisecond)
	defer flush.Stop()
	for r.inFlight.Load() > 0 {
		r.flushAll(ctx)
		select {
		case <-r.idle:
		case <-flush.C:
		case <-ctx.Done():
			return r.inFlight.Load() == 0
		}
	}
	return true
}

func (r *Runtime) flushAll(ctx context.Context) {
	for _, p := range r.allPublishers() {
		if err := p.Flush(ctx); err != nil && ctx.Err() == nil {
			r.log.Debug("Flush failed", "publisher", p.ID(), "err", err)
		}
	}
}

// nackAll gives every unsettled message back to its source.
func (r *Runtime) nackAll(ctx context.Context) {
	r.mu.Lock()
	pending := make([]*flight, 0, len(r.flights))
	for f := range r.flights {
		pending = append(pending, f)
	}
	r.mu.Unlock()
	for _, f := range pending {
		r.finish(ctx, f, ErrShutdown)
	}
}

func (r *Runtime) allPublishers() []Publisher {
	ps := r.cfg.Publishers
	if r.cfg.DeadLetter.Publisher != nil {
		ps = append(ps[:len(ps):len(ps)], r.cfg.DeadLetter)
	}
	return ps
}

// connectAll connects the publishers first (so that results have somewhere
// to go), then the connector.
func (r *Runtime) connectAll(ctx context.Context) error {
	for _, p := range r.allPublishers() {
		if err := r.connectOne(ctx, "publisher", p.ID(), p.Connect); err != nil {
			return err
		}
	}
	c := r.cfg.Connector
	return r.connectOne(ctx, "connector", c.ID(), c.Connect)
}

func (r *Runtime) connectOne(ctx context.Context, role, id string, connect func(context.Context) error) error {
	delay := r.cfg.ConnectBackoff
	for attempt := 1; ; attempt++ {
		err := connect(ctx)
		if err == nil {
			r.log.Info("Connected", "role", role, "id", id)
			return nil
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if r.cfg.ConnectAttempts > 0 && attempt >= r.cfg.ConnectAttempts {
			return fmt.Errorf("pipeline: connect %s %s: %w", role, id, err)
		}
		r.log.Warn("Connect failed, retrying", "role", role, "id", id, "attempt", attempt, "retryIn", delay, "err", err)
		t := time.NewTimer(delay)
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-t.C:
		}
		delay = min(2*delay, maxConnectBackoff)
	}
}

func (r *Runtime) disconnectAll(ctx context.Context) {
	for _, p := range r.allPublishers() {
		if err := p.Disconnect(ctx); err != nil {
			r.log.Error("Publisher disconnect reported undelivered messages", "publisher", p.ID(), "err", err)
		}
	}
	if err := r.cfg.Connector.Disconnect(ctx); err != nil {
		r.log.Error("Connector disconnect failed", "connector", r.cfg.Connector.ID(), "err", err)
	}
}

// watchBreakers samples the publishers' breakers and pauses consumption
// while any of them is open.
func (r *Runtime) watchBreakers(ctx context.Context) {
	t := time.NewTicker(r.cfg.PauseInterval)
	defer t.Stop()
	for {
		r.sampleBreakers()
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// sampleBreakers pauses consumption when a publisher's breaker is open and
// resumes it when none is. Run calls it once before the workers start, so
// a breaker that is already open stops the very first message.
func (r *Runtime) sampleBreakers() {
	open := ""
	for _, p := range r.allPublishers() {
		if p.Snapshot().Breaker.State == statusBreakerOpen {
			open = p.ID()
			break
		}
	}
	switch {
	case open != "" && !r.paused.Load():
		r.paused.Store(true)
		r.pauses.Add(1)
		r.log.Warn("Circuit breaker open, consumption paused", "publisher", open)
	case open == "" && r.paused.Load():
		r.paused.Store(false)
		r.log.Info("Circuit breakers closed, consumption resumed")
	}
}
