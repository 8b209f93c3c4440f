package batch

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/mfn-io/mfn-operator/pkg/integration"
	"github.com/mfn-io/mfn-operator/pkg/integration/clock"
	"github.com/mfn-io/mfn-operator/pkg/integration/retry"
)

// loop is the flush goroutine: it flushes when the buffer reaches
// batch_size, when the oldest message is batch_timeout old, on Flush
// requests, and retries failed flushes with backoff.
func (p *Publisher) loop() {
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
			_ = p.flush(p.life, true)
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
			err := p.flush(ctx, false)
			stop()
			cancel()
			req.done <- err
		case <-p.kick:
		case <-timerC:
			_ = p.flush(p.life, false)
		}
	}
}

// nextDeadline is the wait until the next automatic flush: the oldest
// message becomes batch_timeout old, or the backoff after a failed flush ends.
func (p *Publisher) nextDeadline() (time.Duration, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.buf.len() == 0 {
		return 0, false
	}
	if !p.retryAt.IsZero() {
		// the kept remainder is due when the backoff ends
		return max(p.retryAt.Sub(p.clock.Now()), 0), true
	}
	return max(p.buf.front().at+p.cfg.BatchTimeout-p.elapsed(), 0), true
}

// dueBySize reports whether the buffer reached batch_size and no backoff is pending.
func (p *Publisher) dueBySize() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.buf.len() >= p.cfg.BatchSize && !p.retryAt.After(p.clock.Now())
}

// flush sends the messages buffered when it starts, in order, in runs of
// at most batch_size; a flush triggered by the size (whole) sends only
// whole batches and leaves the rest to the next trigger (the size again,
// batch_timeout, Flush or Disconnect), so that batches are batch_size
// long. Flush requests bypass the backoff of failed flushes.
func (p *Publisher) flush(ctx context.Context, whole bool) error {
	p.expire()
	n := p.Buffered()
	if whole {
		n -= n % p.cfg.BatchSize
	}
	if n == 0 {
		return nil
	}
	if p.base.Logger().Enabled(ctx, slog.LevelDebug) {
		p.base.Logger().Debug("Flushing", "operation", "flush", "batch_len", n)
	}
	defer p.release()
	failed := 0
	var lastErr error
	for settled := 0; settled < n; {
		k, err := p.sendRun(ctx, n-settled)
		settled += k
		switch {
		case err == nil && k == 0:
			settled = n // the buffer ran out before n (nothing left to send)
			continue
		case err == nil:
			continue
		case ctx.Err() != nil:
			_ = p.commit(ctx)
			return fmt.Errorf("flush interrupted with %d message(s) buffered: %w", p.Buffered(), ctx.Err())
		}
		lastErr = err
		if p.keep(err) {
			_ = p.commit(ctx)
			p.backoff()
			return fmt.Errorf("%d message(s) not delivered, kept for retry: %w", p.Buffered(), err)
		}
		e, ok := p.popHead()
		if !ok {
			break
		}
		p.giveUp(e, err)
		failed++
		settled++
	}
	if k := len(p.unsynced); k > 0 {
		if err := p.commit(ctx); err != nil {
			p.backoff()
			return fmt.Errorf("%d message(s) not made durable: %w", k, err)
		}
	}
	p.failedFlushes, p.retryAt = 0, time.Time{}
	if failed > 0 {
		return fmt.Errorf("%d of %d message(s) not delivered: %w", failed, n, lastErr)
	}
	p.base.Metrics.BatchesSent.Add(1)
	return nil
}

// release drops the flush goroutine's references to sent messages (the
// scratch slices are kept for the next flush).
func (p *Publisher) release() {
	p.mu.Lock()
	p.wakeWaitersLocked()
	p.mu.Unlock()
	clear(p.run)
	p.run, p.sent = p.run[:0], 0
	for _, r := range p.runs {
		r.release()
	}
}

// accepted takes the leading entries the destination accepted (already
// removed from the buffer): delivered at once, or after Sync for a Syncer.
func (p *Publisher) accepted(es []entry) {
	if p.syncer != nil {
		p.unsynced = append(p.unsynced, es...)
		return
	}
	p.delivered(es)
}

// delivered accounts accepted messages: one update of each counter for the
// run, then every Done callback in order.
func (p *Publisher) delivered(es []entry) {
	var bytes int64
	for i := range es {
		bytes += int64(len(es[i].msg.Body))
	}
	p.base.SentMany(len(es), bytes)
	if log := p.base.Logger(); log.Enabled(p.life, slog.LevelDebug) {
		for i := range es {
			log.Debug("Message sent", "operation", "publish", "bytes", len(es[i].msg.Body),
				"event_id", es[i].msg.EventID)
		}
	}
	for i := range es {
		done(&es[i], nil)
	}
}

// commit syncs the sink (when it is a Syncer) and then reports the sent
// messages as delivered; on failure they go back to the head of the buffer
// (at_least_once) or are given up (at_most_once).
func (p *Publisher) commit(ctx context.Context) error {
	sent := p.unsynced
	if p.syncer == nil || len(sent) == 0 {
		return nil
	}
	defer func() {
		clear(sent)
		p.unsynced = sent[:0]
	}()
	err := p.base.Do(ctx, "flush", p.syncer.Sync)
	if err == nil {
		p.delivered(sent)
		return nil
	}
	if p.cfg.DeliveryGuarantee == integration.AtMostOnce {
		for i := range sent {
			p.giveUp(sent[i], err)
		}
		return err
	}
	p.mu.Lock()
	p.buf.pushFront(sent, p.cfg.MaxBufferedMessages)
	p.base.Metrics.Buffered.Store(int64(p.buf.len()))
	p.mu.Unlock()
	return err
}

// keep reports whether a failed message stays at the head of the buffer
// (at_least_once / exactly_once and a failure a later retry can fix).
func (p *Publisher) keep(err error) bool {
	return p.cfg.DeliveryGuarantee != integration.AtMostOnce && !integration.IsPermanent(err)
}

// sendRun connects lazily and sends up to limit messages from the head of
// the buffer in runs of at most batch_size, each run as one retried
// operation (one breaker permit per attempt; a retry resumes after the
// messages already accepted). A plain Sink gets one run, message after
// message through Send (each request bounded by the sink itself); a
// BatchSender gets the run through SendBatch (with the per-attempt
// deadline), and a ConcurrentSender up to its in-flight window of runs at
// once. A run of one message always goes through Send. Accepted messages
// leave the buffer, in order, and go to accepted.
// It returns how many were accepted and the error of the message at the
// head when it stopped.
func (p *Publisher) sendRun(ctx context.Context, limit int) (int, error) {
	if err := p.Connect(ctx); err != nil {
		return 0, err
	}
	if p.bs != nil && limit > 1 && p.cfg.BatchSize > 1 {
		return p.sendRuns(ctx, limit)
	}
	p.mu.Lock()
	k := min(limit, p.cfg.BatchSize, p.buf.len())
	p.run = grow(p.run, k)
	p.buf.copyTo(p.run, k)
	p.mu.Unlock()
	if k == 0 {
		return 0, nil
	}
	p.sent = 0
	err := p.base.DoSelfTimed(ctx, "publish", p.sendOne)
	return p.sent, err
}

// sendEach is one attempt of sending the part of the run not yet accepted
// through Send, in order; it stops at the first failure.
func (p *Publisher) sendEach(ctx context.Context) error {
	from := p.sent
	var err error
	for p.sent < len(p.run) {
		if err = p.sink.Send(ctx, p.run[p.sent].msg); err != nil {
			break
		}
		p.sent++
	}
	if p.sent > from {
		p.take(p.run[from:p.sent])
	}
	return err
}

// run is one SendBatch run of the in-flight window.
type run struct {
	p       *Publisher
	entries []entry                // copied from the buffer
	msgs    []integration.Outgoing // the messages of entries, as handed to SendBatch
	head    bool                   // the run starts at the head of the buffer
	sent    int                    // leading messages accepted
	taken   int                    // of those, already removed from the buffer
	err     error
	attempt func(context.Context) error
	send    func() // runs the retried operation (for a goroutine of the window)
	ctx     context.Context
}

func newRun(p *Publisher) *run {
	r := &run{p: p}
	r.attempt = r.sendAttempt
	r.send = func() { r.err = p.base.Do(r.ctx, "publish", r.attempt) }
	return r
}

// fill copies k entries from offset from of the buffer (p.mu held).
func (r *run) fill(from, k int, head bool) {
	r.entries = grow(r.entries, k)
	r.p.buf.copyRange(r.entries, from, k)
	r.msgs = grow(r.msgs, k)
	for i := range r.entries {
		r.msgs[i] = r.entries[i].msg
	}
	r.head, r.sent, r.taken, r.err = head, 0, 0, nil
}

// release drops the run's references to messages.
func (r *run) release() {
	clear(r.entries)
	clear(r.msgs)
	r.entries, r.msgs, r.ctx = r.entries[:0], r.msgs[:0], nil
}

// sendAttempt is one attempt of SendBatch on the part of the run not yet
// accepted. The run at the head of the buffer hands its accepted messages
// over at once; the others wait until every run before them was accepted.
func (r *run) sendAttempt(ctx context.Context) error {
	rest := r.msgs[r.sent:]
	if len(rest) == 0 {
		return nil
	}
	k, err := r.p.bs.SendBatch(ctx, rest)
	k = min(max(k, 0), len(rest))
	r.sent += k
	if r.head && r.sent > r.taken {
		r.p.take(r.entries[r.taken:r.sent])
		r.taken = r.sent
	}
	if err == nil && k < len(rest) {
		err = fmt.Errorf("batch sink accepted %d of %d messages without an error", k, len(rest))
	}
	return err
}

// sendRuns sends up to limit messages as up to len(p.runs) runs of
// batch_size at the same time (the first on this goroutine) and waits for
// all of them; then it accepts, in order, every run accepted whole and the
// accepted prefix of the first one that was not. Runs after that one are
// sent again by the next attempt.
func (p *Publisher) sendRuns(ctx context.Context, limit int) (int, error) {
	p.mu.Lock()
	avail := min(limit, p.buf.len())
	nr := 0
	for from := 0; from < avail && nr < len(p.runs); nr++ {
		k := min(p.cfg.BatchSize, avail-from)
		p.runs[nr].fill(from, k, nr == 0)
		from += k
	}
	p.mu.Unlock()
	if nr == 0 {
		return 0, nil
	}
	for _, r := range p.runs[:nr] {
		r.ctx = ctx
	}
	for _, r := range p.runs[1:nr] {
		p.inflight.Go(r.send)
	}
	p.runs[0].send()
	p.inflight.Wait()
	total := 0
	for _, r := range p.runs[:nr] {
		if r.sent > r.taken {
			p.take(r.entries[r.taken:r.sent])
			r.taken = r.sent
		}
		total += r.sent
		if r.sent < len(r.entries) {
			if r.err == nil {
				return total, fmt.Errorf("run accepted %d of %d messages without an error", r.sent, len(r.entries))
			}
			return total, r.err
		}
	}
	return total, nil
}

// take removes the accepted leading entries es from the buffer (one lock,
// one wake-up of blocked publishers) and hands them to accepted.
func (p *Publisher) take(es []entry) {
	p.mu.Lock()
	p.buf.drop(len(es))
	p.changedLocked()
	p.mu.Unlock()
	p.accepted(es)
}

// grow returns s resized to n, reusing its array when large enough.
func grow[T any](s []T, n int) []T {
	if cap(s) >= n {
		return s[:n]
	}
	return make([]T, n, max(n, 2*cap(s)))
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

// expire gives up buffered messages older than max_message_age. The
// buffer is in time order, so only its head is examined.
func (p *Publisher) expire() {
	now := p.elapsed()
	var old []entry
	p.mu.Lock()
	for p.buf.len() > 0 && now-p.buf.front().at > p.cfg.MaxMessageAge {
		old = append(old, *p.buf.front())
		p.buf.drop(1)
	}
	if len(old) > 0 {
		p.changedLocked()
	}
	p.mu.Unlock()
	for _, e := range old {
		p.giveUp(e, integration.ErrMessageExpired)
	}
}

// popHead removes and returns the head entry.
func (p *Publisher) popHead() (entry, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.buf.len() == 0 {
		return entry{}, false
	}
	e := *p.buf.front()
	p.buf.drop(1)
	p.changedLocked()
	return e, true
}

func (p *Publisher) takeAll() []entry {
	p.mu.Lock()
	defer p.mu.Unlock()
	all := make([]entry, p.buf.len())
	p.buf.copyTo(all, len(all))
	p.buf.drop(len(all))
	p.changedLocked()
	return all
}

// changedLocked updates the gauge and wakes blocked publishers once the
// buffer is down to its low-water mark (a wake-up costs the flush
// goroutine a system call, so it is not paid for every run; the end of a
// flush wakes them in any case); p.mu held.
func (p *Publisher) changedLocked() {
	n := p.buf.len()
	p.base.Metrics.Buffered.Store(int64(n))
	if n <= p.warnAt {
		p.warned = false
	}
	if n <= p.lowWater {
		p.wakeWaitersLocked()
	}
}

// wakeWaitersLocked wakes the Publish calls blocked on a full buffer, if
// there is room; p.mu held.
func (p *Publisher) wakeWaitersLocked() {
	if p.waiters > 0 && p.buf.len() < p.cfg.MaxBufferedMessages {
		close(p.space)
		p.space = make(chan struct{})
	}
}

func (p *Publisher) giveUp(e entry, err error) {
	p.base.Dropped(err, "event_id", e.msg.EventID)
	done(&e, err)
}

func done(e *entry, err error) {
	if e.msg.Done != nil {
		e.msg.Done(err)
	}
}
