package pipeline

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/mfn-io/mfn-operator/pkg/integration"
	"github.com/mfn-io/mfn-operator/pkg/status"
)

const statusBreakerOpen = status.BreakerOpen

// maxLoggedPayload bounds the payload bytes copied into an error log.
const maxLoggedPayload = 4096

// stage says what a flight's outstanding publishes carry.
type stage uint8

const (
	// stageResult: the result envelope, sent to every publisher.
	stageResult stage = iota
	// stageFailure: the failure envelope of a message that could not be simulated.
	stageFailure
	// stageUndelivered: the failure envelope of a result a publisher gave up.
	stageUndelivered
)

// flight is one message between the connector and its acknowledgement.
type flight struct {
	msg     *integration.Message
	stage   stage
	res     Result
	pending atomic.Int32

	mu   sync.Mutex
	errs []error

	once sync.Once
}

func (r *Runtime) track(m *integration.Message) *flight {
	f := &flight{msg: m}
	r.mu.Lock()
	r.flights[f] = struct{}{}
	r.mu.Unlock()
	r.inFlight.Add(1)
	return f
}

// handle simulates one message and hands the outcome to the publishers.
func (r *Runtime) handle(ctx context.Context, f *flight) {
	t0 := time.Now()
	res, err := r.process(ctx, f.msg)
	r.latency.Observe(time.Since(t0).Seconds())
	if err != nil && ctx.Err() != nil {
		// Interrupted by the end of the grace period: not the message's fault.
		r.finish(ctx, f, ErrShutdown)
		return
	}
	r.simulated.Add(1)
	if err != nil {
		r.failed.Add(1)
		r.log.Warn("Message failed", "connector", f.msg.ConnectorID, "position", f.msg.Position, "err", err)
		if r.cfg.DeadLetter.Publisher == nil {
			r.log.Error("Failed message dropped: no dead-letter publisher", "connector", f.msg.ConnectorID,
				"position", f.msg.Position, "err", err, "payload", clip(f.msg.Payload))
			r.finish(ctx, f, nil)
			return
		}
		f.stage, f.res = stageFailure, r.failure(f.msg, err)
		r.send(ctx, f, []Publisher{r.cfg.DeadLetter})
		r.groupCommit(ctx)
		return
	}
	f.stage, f.res = stageResult, res
	r.send(ctx, f, r.cfg.Publishers)
	r.groupCommit(ctx)
}

// process runs the processor, turning a panic into an error.
func (r *Runtime) process(ctx context.Context, msg *integration.Message) (res Result, err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("internal error while processing the message: %v", p)
		}
	}()
	return r.cfg.Processor.Process(ctx, msg)
}

// failure builds a failure envelope; a panicking Processor.Failure yields a
// minimal envelope so that the message can still be dead-lettered.
func (r *Runtime) failure(msg *integration.Message, cause error) (res Result) {
	defer func() {
		if p := recover(); p != nil {
			res = Result{Key: msg.Position, Body: msg.Payload}
			r.log.Error("Failure envelope could not be built", "panic", p)
		}
	}()
	return r.cfg.Processor.Failure(msg, cause)
}

// send publishes f.res to every publisher of ps; the last answer queues f
// for settling.
func (r *Runtime) send(ctx context.Context, f *flight, ps []Publisher) {
	f.mu.Lock()
	f.errs = f.errs[:0]
	f.mu.Unlock()
	f.pending.Store(int32(len(ps)))
	for _, p := range ps {
		done := r.doneFunc(f, p.ID())
		out := integration.Outgoing{Key: f.res.Key, EventID: f.res.EventID, Body: f.res.Body, Done: done}
		if err := p.Publish(ctx, out); err != nil {
			done(err)
		}
	}
}

func (r *Runtime) doneFunc(f *flight, publisherID string) func(error) {
	var called atomic.Bool
	return func(err error) {
		if !called.CompareAndSwap(false, true) {
			return
		}
		if err != nil {
			f.mu.Lock()
			f.errs = append(f.errs, fmt.Errorf("publisher %s: %w", publisherID, err))
			f.mu.Unlock()
		}
		if f.pending.Add(-1) == 0 {
			r.settleq <- f // capacity MaxInFlight: never blocks
		}
	}
}

// settleGoroutines settle flights concurrently: an acknowledgement may wait
// in the kernel or on the network (a file feed's rename or unlink behind a
// journal commit, a broker round trip), and one slow acknowledgement must
// not hold up the slots of the flights behind it. Connectors accept
// concurrent Ack/Nack calls (workers and the shutdown already make them),
// and order-sensitive sources track acknowledgements themselves (the Kafka
// connector commits the contiguous watermark).
const settleGoroutines = 4

// settleLoop settles flights whose publishers all answered until stop is closed.
func (r *Runtime) settleLoop(ctx context.Context, stop <-chan struct{}) {
	for {
		select {
		case f := <-r.settleq:
			r.settle(ctx, f)
		case <-stop:
			return
		}
	}
}

func (r *Runtime) settle(ctx context.Context, f *flight) {
	f.mu.Lock()
	err := errors.Join(f.errs...)
	f.mu.Unlock()
	switch {
	case f.stage == stageResult && err == nil:
		r.processed.Add(1)
		r.lastProcessed.Store(time.Now().UnixNano())
		r.finish(ctx, f, nil)
	case f.stage == stageResult:
		r.undelivered.Add(1)
		if r.cfg.DeadLetter.Publisher == nil {
			r.log.Warn("Result not delivered, message handed back to the source", "position", f.msg.Position, "err", err)
			r.finish(ctx, f, err)
			return
		}
		r.log.Warn("Result not delivered, dead-lettering it", "position", f.msg.Position, "err", err)
		f.stage, f.res = stageUndelivered, r.failure(f.msg, err)
		go r.send(ctx, f, []Publisher{r.cfg.DeadLetter})
	case err == nil:
		r.deadLettered.Add(1)
		r.finish(ctx, f, nil)
	case f.stage == stageFailure:
		// The input is permanently bad: redelivering it cannot help.
		r.deadLetterErrors.Add(1)
		r.log.Error("Dead-letter publisher gave up a failed message", "position", f.msg.Position,
			"err", err, "failure", clip(f.res.Body))
		r.finish(ctx, f, nil)
	default:
		r.deadLetterErrors.Add(1)
		r.log.Error("Dead-letter publisher gave up an undelivered result, handing it back to the source",
			"position", f.msg.Position, "err", err)
		r.finish(ctx, f, err)
	}
}

// finish acknowledges (reason nil) or nacks the message once, and frees its slot.
func (r *Runtime) finish(ctx context.Context, f *flight, reason error) {
	f.once.Do(func() {
		var err error
		if reason == nil {
			err = f.msg.Ack(ctx)
		} else {
			r.nacked.Add(1)
			err = f.msg.Nack(ctx, reason)
		}
		if err != nil {
			r.log.Error("Settling the message with the source failed", "position", f.msg.Position, "ack", reason == nil, "err", err)
		}
		r.mu.Lock()
		delete(r.flights, f)
		r.mu.Unlock()
		<-r.sem
		if r.inFlight.Add(-1) == 0 {
			select {
			case r.idle <- struct{}{}:
			default:
			}
		}
	})
}

func clip(b []byte) string {
	if len(b) > maxLoggedPayload {
		return string(b[:maxLoggedPayload]) + "…"
	}
	return string(b)
}
