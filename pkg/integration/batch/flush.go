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
	if p.buf.len() == 0 {
		return 0, false
	}
	at := p.buf.front().at.Add(p.cfg.BatchTimeout)
	if !p.retryAt.IsZero() {
		at = p.retryAt // the kept remainder is due when the backoff ends
	}
	return max(at.Sub(p.clock.Now()), 0), true
}

// dueBySize reports whether the buffer reached batch_size and no backoff is pending.
func (p *Publisher) dueBySize() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.buf.len() >= p.cfg.BatchSize && !p.retryAt.After(p.clock.Now())
}

// flush sends the messages buffered when it starts, in order, in runs of
// at most batch_size. Flush requests bypass the backoff of failed flushes.
func (p *Publisher) flush(ctx context.Context) error {
	p.expire()
	n := p.Buffered()
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
	clear(p.run)
	clear(p.msgs)
	p.run, p.msgs, p.sent = p.run[:0], p.msgs[:0], 0
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

// sendRun connects lazily and sends a run of up to min(limit, batch_size)
// messages from the head of the buffer as one retried operation (one
// breaker permit per attempt): through SendBatch for a BatchSender
// (several messages, with the per-attempt deadline), otherwise through
// Send, one message after the other (each request bounded by the sink
// itself). A retry resumes after the messages already accepted. Accepted
// messages leave the buffer and go to accepted. It returns how many were
// accepted and the error of the message at the head when it stopped.
func (p *Publisher) sendRun(ctx context.Context, limit int) (int, error) {
	if err := p.Connect(ctx); err != nil {
		return 0, err
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
	if p.bs == nil || k == 1 {
		err := p.base.DoSelfTimed(ctx, "publish", p.sendOne)
		return p.sent, err
	}
	p.msgs = grow(p.msgs, k)
	for i := range p.run {
		p.msgs[i] = p.run[i].msg
	}
	err := p.base.Do(ctx, "publish", p.sendMany)
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

// sendRunAttempt is one attempt of SendBatch on the part of the run not
// yet accepted.
func (p *Publisher) sendRunAttempt(ctx context.Context) error {
	rest := p.msgs[p.sent:]
	if len(rest) == 0 {
		return nil
	}
	k, err := p.bs.SendBatch(ctx, rest)
	k = min(max(k, 0), len(rest))
	if k > 0 {
		p.take(p.run[p.sent : p.sent+k])
		p.sent += k
	}
	if err == nil && k < len(rest) {
		err = fmt.Errorf("batch sink accepted %d of %d messages without an error", k, len(rest))
	}
	return err
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
	now := p.clock.Now()
	var old []entry
	p.mu.Lock()
	for p.buf.len() > 0 && now.Sub(p.buf.front().at) > p.cfg.MaxMessageAge {
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

// changedLocked updates the gauge and wakes blocked publishers; p.mu held.
func (p *Publisher) changedLocked() {
	n := p.buf.len()
	p.base.Metrics.Buffered.Store(int64(n))
	if n <= p.warnAt {
		p.warned = false
	}
	if p.waiters > 0 && n < p.cfg.MaxBufferedMessages {
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
