package batch

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mfn-io/mfn-operator/pkg/integration"
	"github.com/mfn-io/mfn-operator/pkg/integration/breaker"
	"github.com/mfn-io/mfn-operator/pkg/integration/clock"
	"github.com/mfn-io/mfn-operator/pkg/integration/component"
)

var epoch = time.Date(2025, 12, 4, 12, 0, 0, 0, time.UTC)

// fakeSink records delivered event IDs; fail decides per attempt.
type fakeSink struct {
	mu       sync.Mutex
	opens    int
	closes   int
	attempts map[string]int
	sent     []string
	fail     func(id string, attempt int) error
	changed  chan struct{}
}

func newSink(fail func(id string, attempt int) error) *fakeSink {
	return &fakeSink{attempts: map[string]int{}, fail: fail, changed: make(chan struct{}, 1000)}
}

func (s *fakeSink) Open(context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.opens++
	return nil
}

func (s *fakeSink) Send(_ context.Context, m integration.Outgoing) error {
	s.mu.Lock()
	defer func() { s.mu.Unlock(); s.changed <- struct{}{} }()
	s.attempts[m.EventID]++
	if s.fail != nil {
		if err := s.fail(m.EventID, s.attempts[m.EventID]); err != nil {
			return err
		}
	}
	s.sent = append(s.sent, m.EventID)
	return nil
}

func (s *fakeSink) Close(context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.closes++
	return nil
}

func (s *fakeSink) delivered() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.sent...)
}

// waitSent waits until n messages were delivered.
func (s *fakeSink) waitSent(t *testing.T, n int) {
	t.Helper()
	for len(s.delivered()) < n {
		select {
		case <-s.changed:
		case <-t.Context().Done():
			t.Fatalf("delivered %v, want %d messages", s.delivered(), n)
		}
	}
}

// results collects Done callbacks.
type results struct {
	mu      sync.Mutex
	got     map[string]error
	n       int
	changed chan struct{}
}

// wait waits until Done was called for id.
func (r *results) wait(t *testing.T, id string) error {
	t.Helper()
	for {
		if err, ok := r.get(id); ok {
			return err
		}
		select {
		case <-r.changed:
		case <-t.Context().Done():
			t.Fatalf("Done never called for %s", id)
		}
	}
}

func (r *results) done(id string) func(error) {
	return func(err error) {
		r.mu.Lock()
		defer r.mu.Unlock()
		if r.got == nil {
			r.got = map[string]error{}
		}
		if _, dup := r.got[id]; dup {
			panic("Done called twice for " + id)
		}
		r.got[id] = err
		r.n++
		if r.changed != nil {
			r.changed <- struct{}{}
		}
	}
}

func (r *results) get(id string) (error, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	err, ok := r.got[id]
	return err, ok
}

type harness struct {
	p    *Publisher
	sink *fakeSink
	fake *clock.Fake
	res  *results
	logs *lockedWriter
}

func newHarness(t *testing.T, cfg integration.PublisherConfig, fail func(string, int) error) *harness {
	t.Helper()
	h := &harness{sink: newSink(fail), fake: clock.NewFake(epoch), res: &results{changed: make(chan struct{}, 1000)}, logs: &lockedWriter{w: &bytes.Buffer{}}}
	if cfg.RetryStrategy == "" {
		cfg.RetryStrategy = integration.RetryImmediate
	}
	var err error
	h.p, err = New(cfg, h.sink, component.Options{ID: "webhook-test", Kind: "webhook", Clock: h.fake,
		Logger: slog.New(slog.NewTextHandler(h.logs, nil))})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = h.p.Disconnect(context.Background()) })
	return h
}

type lockedWriter struct {
	mu sync.Mutex
	w  *bytes.Buffer
}

func (l *lockedWriter) Write(b []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(b)
}

func (l *lockedWriter) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.String()
}

func (h *harness) publish(t *testing.T, ids ...string) {
	t.Helper()
	for _, id := range ids {
		if err := h.p.Publish(t.Context(), integration.Outgoing{EventID: id, Body: []byte(`{"id":"` + id + `"}`), Done: h.res.done(id)}); err != nil {
			t.Fatal(err)
		}
	}
}

func (h *harness) metrics() componentMetrics {
	s := h.p.Snapshot().Publisher
	return componentMetrics{s.MessagesSent, s.MessagesFailed, s.BatchesSent, s.PublishErrors, s.RetryCount, s.Buffered}
}

type componentMetrics struct{ sent, failed, batches, errors, retries, buffered int64 }

// waitTimer waits until the flush goroutine armed its timer.
func (h *harness) waitTimer(t *testing.T) {
	t.Helper()
	if err := h.fake.WaitForTimers(t.Context(), 1); err != nil {
		t.Fatal(err)
	}
}

func TestFlushOnBatchSize(t *testing.T) {
	h := newHarness(t, integration.PublisherConfig{BatchSize: 3}, nil)
	h.publish(t, "1", "2")
	h.waitTimer(t) // age timer armed, nothing sent
	if len(h.sink.delivered()) != 0 {
		t.Fatal("sent before batch_size")
	}
	h.publish(t, "3")
	h.sink.waitSent(t, 3)
	if got := h.sink.delivered(); strings.Join(got, ",") != "1,2,3" {
		t.Fatalf("order %v", got)
	}
	if err := h.p.Flush(t.Context()); err != nil {
		t.Fatal(err)
	}
	m := h.metrics()
	if m.sent != 3 || m.batches != 1 || m.buffered != 0 || h.p.Snapshot().Publisher.BytesSent != 3*int64(len(`{"id":"1"}`)) {
		t.Fatalf("%+v", m)
	}
	if h.sink.opens != 1 {
		t.Fatal("lazy connect must open once")
	}
	if err, ok := h.res.get("2"); !ok || err != nil {
		t.Fatal("Done(nil) expected for a delivered message")
	}
}

func TestFlushOnOldestMessageAge(t *testing.T) {
	h := newHarness(t, integration.PublisherConfig{BatchSize: 100}, nil)
	h.publish(t, "a")
	h.waitTimer(t)
	h.fake.Advance(3 * time.Second)
	h.publish(t, "b")
	h.fake.Advance(1999 * time.Millisecond)
	if n := len(h.sink.delivered()); n != 0 {
		t.Fatalf("flushed %d before the oldest message was batch_timeout old", n)
	}
	h.waitTimer(t)
	h.fake.Advance(time.Millisecond)
	h.sink.waitSent(t, 2)
	if err := h.p.Flush(t.Context()); err != nil {
		t.Fatal(err)
	}
	if m := h.metrics(); m.batches != 1 || m.sent != 2 {
		t.Fatalf("%+v", m)
	}
}

func TestDisconnectFlushes(t *testing.T) {
	h := newHarness(t, integration.PublisherConfig{BatchTimeout: 60 * time.Second}, nil)
	h.publish(t, "1", "2")
	if err := h.p.Disconnect(t.Context()); err != nil {
		t.Fatal(err)
	}
	if got := h.sink.delivered(); len(got) != 2 || h.sink.closes != 1 {
		t.Fatalf("sent %v closes %d", got, h.sink.closes)
	}
	if err := h.p.Disconnect(t.Context()); err != nil {
		t.Fatal("second Disconnect must be a no-op")
	}
	if err := h.p.Publish(t.Context(), integration.Outgoing{EventID: "late"}); !errors.Is(err, integration.ErrClosed) {
		t.Fatal(err)
	}
	if h.p.Snapshot().Status != "disconnected" {
		t.Fatal(h.p.Snapshot().Status)
	}
}

// Row 49: message 2 of 3 fails once → receiver sees 1, 2, 3 exactly once.
func TestAtLeastOnceRetriesWithinSend(t *testing.T) {
	h := newHarness(t, integration.PublisherConfig{BatchSize: 3}, func(id string, attempt int) error {
		if id == "2" && attempt == 1 {
			return errors.New("HTTP 503")
		}
		return nil
	})
	h.publish(t, "1", "2", "3")
	h.sink.waitSent(t, 3)
	_ = h.p.Flush(t.Context())
	if got := strings.Join(h.sink.delivered(), ","); got != "1,2,3" {
		t.Fatal(got)
	}
	if m := h.metrics(); m.sent != 3 || m.retries != 1 || m.errors != 0 || m.batches != 1 || m.failed != 0 {
		t.Fatalf("%+v", m)
	}
}

func TestAtLeastOnceKeepsOnlyUnsentRemainder(t *testing.T) {
	h := newHarness(t, integration.PublisherConfig{BatchSize: 3, RetryConfig: integration.RetryConfig{
		RetryStrategy: integration.RetryNone, CircuitBreakerThreshold: 10}}, func(id string, attempt int) error {
		if id == "2" && attempt == 1 {
			return errors.New("HTTP 503")
		}
		return nil
	})
	h.publish(t, "1", "2", "3")
	h.sink.waitSent(t, 1)
	h.waitTimer(t) // backoff armed after the failed flush
	if m := h.metrics(); m.sent != 1 || m.errors != 1 || m.buffered != 2 || m.batches != 0 {
		t.Fatalf("after failed flush %+v", m)
	}
	if _, ok := h.res.get("2"); ok {
		t.Fatal("kept message must not be reported done")
	}
	h.fake.Advance(time.Second) // initial_retry_delay
	h.sink.waitSent(t, 3)
	_ = h.p.Flush(t.Context())
	if got := strings.Join(h.sink.delivered(), ","); got != "1,2,3" {
		t.Fatalf("delivered %s: no duplicates, in order", got)
	}
	if m := h.metrics(); m.sent != 3 || m.batches != 1 || m.failed != 0 || m.buffered != 0 {
		t.Fatalf("%+v", m)
	}
}

// Row 50: server always failing → message dropped, counter 1, later messages still sent.
func TestAtMostOnceDrops(t *testing.T) {
	h := newHarness(t, integration.PublisherConfig{BatchSize: 2, DeliveryGuarantee: integration.AtMostOnce,
		RetryConfig: integration.RetryConfig{CircuitBreakerThreshold: 50}},
		func(id string, _ int) error {
			if id == "bad" {
				return errors.New("HTTP 500")
			}
			return nil
		})
	h.publish(t, "bad", "good")
	h.sink.waitSent(t, 1)
	err := h.p.Flush(t.Context())
	if err != nil {
		t.Fatalf("nothing left to flush: %v", err)
	}
	if got := h.sink.delivered(); len(got) != 1 || got[0] != "good" {
		t.Fatal(got)
	}
	if m := h.metrics(); m.failed != 1 || m.sent != 1 || m.errors != 1 || m.batches != 0 {
		t.Fatalf("%+v", m)
	}
	h.sink.mu.Lock()
	attempts := h.sink.attempts["bad"]
	h.sink.mu.Unlock()
	if attempts != 1 {
		t.Fatalf("ambiguous failure retried under at_most_once: %d attempts", attempts)
	}
	if err, _ := h.res.get("bad"); err == nil || err.Error() != "HTTP 500" {
		t.Fatal(err)
	}
}

func TestPermanentErrorDropsAndContinues(t *testing.T) {
	h := newHarness(t, integration.PublisherConfig{BatchSize: 100}, func(id string, _ int) error {
		if id == "nan" {
			return integration.Invalid(errors.New("json: unsupported value: NaN"))
		}
		return nil
	})
	h.publish(t, "a", "nan", "b")
	err := h.p.Flush(t.Context())
	if err == nil || !strings.Contains(err.Error(), "1 of 3 message(s) not delivered: json: unsupported value: NaN") {
		t.Fatal(err)
	}
	if got := strings.Join(h.sink.delivered(), ","); got != "a,b" {
		t.Fatal(got)
	}
	if m := h.metrics(); m.failed != 1 || m.sent != 2 || m.retries != 1 || m.batches != 0 {
		t.Fatalf("%+v", m)
	}
	if h.p.Base().Breaker().Counts().Failures != 0 {
		t.Fatal("a per-message error must not count for the breaker")
	}
}

func TestFlushReportsErrorAndBreakerRefusals(t *testing.T) {
	h := newHarness(t, integration.PublisherConfig{BatchSize: 100, RetryConfig: integration.RetryConfig{
		MaxRetries: 3, CircuitBreakerThreshold: 2}}, func(string, int) error { return errors.New("connection reset") })
	h.publish(t, "x")
	err := h.p.Flush(t.Context())
	if !errors.Is(err, breaker.ErrCircuitOpen) || !strings.Contains(err.Error(), "1 message(s) not delivered, kept for retry") {
		t.Fatal(err)
	}
	// 2 attempts opened the breaker; the re-check refused the third.
	if m := h.metrics(); m.retries != 2 || m.errors != 1 || m.buffered != 1 {
		t.Fatalf("%+v", m)
	}
	if s := h.p.Snapshot(); s.Status != "circuit_open" || s.Breaker.State != "open" {
		t.Fatalf("%+v", s)
	}
	err = h.p.Flush(t.Context())
	if err == nil || err.Error() != "1 message(s) not delivered, kept for retry: Circuit breaker is open" {
		t.Fatal(err)
	}
	if m := h.metrics(); m.errors != 2 || m.retries != 2 {
		t.Fatalf("refusal must count publish_errors only: %+v", m)
	}
}

func TestBufferFullBlocksOrFails(t *testing.T) {
	down := func(string, int) error { return errors.New("down") }
	cfg := integration.PublisherConfig{BatchSize: 2, MaxBufferedMessages: 2, BatchTimeout: time.Hour,
		RetryConfig: integration.RetryConfig{RetryStrategy: integration.RetryNone, CircuitBreakerThreshold: 100}}
	h := newHarness(t, cfg, down)
	h.publish(t, "1", "2")
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Millisecond)
	defer cancel()
	if err := h.p.Publish(ctx, integration.Outgoing{EventID: "3"}); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Publish on a full buffer must block until ctx ends: %v", err)
	}
	if !strings.Contains(h.logs.String(), "Memory usage increasing") || !strings.Contains(h.logs.String(), "capacity=2") {
		t.Fatalf("no memory warning: %s", h.logs.String())
	}
	// Space frees → a blocked Publish proceeds.
	blocked := make(chan error, 1)
	go func() { blocked <- h.p.Publish(t.Context(), integration.Outgoing{EventID: "3"}) }()
	h.sink.mu.Lock()
	h.sink.fail = nil
	h.sink.mu.Unlock()
	if err := h.p.Flush(t.Context()); err != nil {
		t.Fatal(err)
	}
	if err := <-blocked; err != nil {
		t.Fatal(err)
	}

	cfg.FailFastWhenFull = true
	h2 := newHarness(t, cfg, down)
	h2.publish(t, "1", "2")
	if err := h2.p.Publish(t.Context(), integration.Outgoing{EventID: "3"}); !errors.Is(err, integration.ErrBufferFull) {
		t.Fatal(err)
	}
	if h2.metrics().failed != 1 {
		t.Fatal("overflow counts messages_failed")
	}
}

func TestMaxMessageAgeExpires(t *testing.T) {
	h := newHarness(t, integration.PublisherConfig{BatchSize: 1, MaxMessageAge: 10 * time.Second,
		RetryConfig: integration.RetryConfig{RetryStrategy: integration.RetryNone, CircuitBreakerThreshold: 100}},
		func(string, int) error { return errors.New("down") })
	h.publish(t, "old")
	h.waitTimer(t) // backoff after the first failed flush
	h.fake.Advance(11 * time.Second)
	if err := h.res.wait(t, "old"); !errors.Is(err, integration.ErrMessageExpired) {
		t.Fatal(err)
	}
	if m := h.metrics(); m.failed != 1 || m.buffered != 0 {
		t.Fatalf("%+v", m)
	}
}

func TestDisconnectReportsLeftovers(t *testing.T) {
	h := newHarness(t, integration.PublisherConfig{BatchSize: 100, RetryConfig: integration.RetryConfig{
		RetryStrategy: integration.RetryNone, CircuitBreakerThreshold: 100}},
		func(string, int) error { return errors.New("503") })
	h.publish(t, "a", "b")
	err := h.p.Disconnect(t.Context())
	if err == nil || !strings.Contains(err.Error(), "2 message(s) not delivered before disconnect") || !strings.Contains(err.Error(), "503") {
		t.Fatal(err)
	}
	for _, id := range []string{"a", "b"} {
		if e, ok := h.res.get(id); !ok || e == nil {
			t.Fatalf("%s: Done(%v, %v)", id, e, ok)
		}
	}
	if m := h.metrics(); m.failed != 2 || m.buffered != 0 {
		t.Fatalf("%+v", m)
	}
	if h.sink.closes != 1 {
		t.Fatal("sink not closed")
	}
}

func TestPublishSyncAndDisabled(t *testing.T) {
	h := newHarness(t, integration.PublisherConfig{BatchSize: 1}, nil)
	if err := h.p.PublishSync(t.Context(), integration.Outgoing{EventID: "s", Body: []byte("{}")}); err != nil {
		t.Fatal(err)
	}
	if len(h.sink.delivered()) != 1 {
		t.Fatal("not delivered")
	}
	d := newHarness(t, integration.PublisherConfig{RetryConfig: integration.RetryConfig{Disabled: true}}, nil)
	if err := d.p.Publish(t.Context(), integration.Outgoing{}); err == nil || err.Error() != "Publisher is disabled" {
		t.Fatal(err)
	}
	if err := d.p.Connect(t.Context()); err != nil || d.p.Snapshot().Status != "connected" {
		t.Fatal("connect must still work when disabled", err)
	}
	if _, err := New(integration.PublisherConfig{DeliveryGuarantee: integration.ExactlyOnce}, newSink(nil),
		component.Options{ID: "w", Kind: "webhook"}); err == nil || !strings.Contains(err.Error(), "exactly_once is only supported by the kafka publisher") {
		t.Fatal(err)
	}
	k, err := New(integration.PublisherConfig{DeliveryGuarantee: integration.ExactlyOnce}, newSink(nil), component.Options{ID: "k", Kind: "kafka"})
	if err != nil {
		t.Fatal(err)
	}
	_ = k.Disconnect(t.Context())
}

func TestConcurrentPublishers(t *testing.T) {
	h := newHarness(t, integration.PublisherConfig{BatchSize: 7, MaxBufferedMessages: 20}, func(id string, attempt int) error {
		if strings.HasSuffix(id, "3") && attempt == 1 {
			return errors.New("flaky")
		}
		return nil
	})
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Go(func() {
			for i := range 25 {
				id := fmt.Sprintf("%d-%d", g, i)
				if err := h.p.Publish(t.Context(), integration.Outgoing{EventID: id, Done: h.res.done(id)}); err != nil {
					t.Error(err)
				}
			}
		})
	}
	wg.Wait()
	if err := h.p.Disconnect(t.Context()); err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, id := range h.sink.delivered() {
		if seen[id] {
			t.Fatalf("duplicate %s", id)
		}
		seen[id] = true
	}
	h.res.mu.Lock()
	doneCount := h.res.n
	h.res.mu.Unlock()
	if len(seen) != 100 || doneCount != 100 || h.metrics().sent != 100 {
		t.Fatalf("delivered %d, done %d, %+v", len(seen), doneCount, h.metrics())
	}
}

type syncSink struct {
	*fakeSink
	syncs    int
	failSync int // fail this many syncs first
}

func (s *syncSink) Sync(context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.syncs++
	if s.syncs <= s.failSync {
		return errors.New("fsync: input/output error")
	}
	return nil
}

func TestSyncerDefersDelivery(t *testing.T) {
	fake := clock.NewFake(epoch)
	sink := &syncSink{fakeSink: newSink(nil), failSync: 1}
	res := &results{changed: make(chan struct{}, 100)}
	p, err := New(integration.PublisherConfig{BatchSize: 100, RetryConfig: integration.RetryConfig{
		RetryStrategy: integration.RetryNone, CircuitBreakerThreshold: 100}}, sink,
		component.Options{ID: "jsonl-x", Kind: "jsonl", Clock: fake})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Disconnect(t.Context())
	for _, id := range []string{"a", "b"} {
		if err := p.Publish(t.Context(), integration.Outgoing{EventID: id, Body: []byte("{}"), Done: res.done(id)}); err != nil {
			t.Fatal(err)
		}
	}
	err = p.Flush(t.Context())
	if err == nil || !strings.Contains(err.Error(), "2 message(s) not made durable: fsync: input/output error") {
		t.Fatal(err)
	}
	if _, ok := res.get("a"); ok || p.Buffered() != 2 || p.Snapshot().Publisher.MessagesSent != 0 {
		t.Fatal("messages reported before a successful sync")
	}
	if err := p.Flush(t.Context()); err != nil {
		t.Fatal(err)
	}
	if e, ok := res.get("b"); !ok || e != nil {
		t.Fatal("Done after sync")
	}
	m := p.Snapshot().Publisher
	if m.MessagesSent != 2 || m.BatchesSent != 1 || m.PublishErrors != 1 || sink.syncs != 2 {
		t.Fatalf("%+v syncs=%d", m, sink.syncs)
	}
	// at-least-once: the unsynced pair was written again.
	if got := strings.Join(sink.delivered(), ","); got != "a,b,a,b" {
		t.Fatal(got)
	}
}

// pipeSink implements BatchSender on top of fakeSink.
type pipeSink struct {
	*fakeSink
	calls [][]string
}

func (s *pipeSink) SendBatch(ctx context.Context, msgs []integration.Outgoing) (int, error) {
	var ids []string
	for _, m := range msgs {
		ids = append(ids, m.EventID)
	}
	s.mu.Lock()
	s.calls = append(s.calls, ids)
	s.mu.Unlock()
	for i, m := range msgs {
		if err := s.Send(ctx, m); err != nil {
			return i, err
		}
	}
	return len(msgs), nil
}

func TestBatchSenderPipelinesAndResumes(t *testing.T) {
	sink := &pipeSink{fakeSink: newSink(func(id string, attempt int) error {
		if id == "c" && attempt == 1 {
			return errors.New("NOT_ENOUGH_REPLICAS")
		}
		return nil
	})}
	res := &results{changed: make(chan struct{}, 100)}
	p, err := New(integration.PublisherConfig{BatchSize: 100, RetryConfig: integration.RetryConfig{
		RetryStrategy: integration.RetryImmediate}}, sink, component.Options{ID: "kafka-t", Kind: "kafka"})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Disconnect(t.Context())
	for _, id := range []string{"a", "b", "c", "d", "e"} {
		_ = p.Publish(t.Context(), integration.Outgoing{EventID: id, Body: []byte("{}"), Done: res.done(id)})
	}
	if err := p.Flush(t.Context()); err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(sink.delivered(), ","); got != "a,b,c,d,e" {
		t.Fatal(got)
	}
	if len(sink.calls) != 2 || strings.Join(sink.calls[0], ",") != "a,b,c,d,e" || strings.Join(sink.calls[1], ",") != "c,d,e" {
		t.Fatalf("calls %v: one pipelined run, the retry resumes at the failed message", sink.calls)
	}
	m := p.Snapshot().Publisher
	if m.MessagesSent != 5 || m.RetryCount != 1 || m.BatchesSent != 1 || m.PublishErrors != 0 {
		t.Fatalf("%+v", m)
	}
	if e, ok := res.get("e"); !ok || e != nil {
		t.Fatal("Done")
	}
}

// TestRunsAreAtMostBatchSize checks that a flush of more than batch_size
// messages hands the BatchSender runs of batch_size (the size the
// benchmarks compare against), in order, and that every message is
// reported once.
func TestRunsAreAtMostBatchSize(t *testing.T) {
	sink := &pipeSink{fakeSink: newSink(nil)}
	res := &results{changed: make(chan struct{}, 300)}
	p, err := New(integration.PublisherConfig{BatchSize: 4, MaxBufferedMessages: 40, BatchTimeout: time.Hour},
		sink, component.Options{ID: "redis-t", Kind: "redis"})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Disconnect(t.Context())
	var ids []string
	for i := range 10 {
		id := strconv.Itoa(i)
		ids = append(ids, id)
		if err := p.Publish(t.Context(), integration.Outgoing{EventID: id, Body: []byte("{}"), Done: res.done(id)}); err != nil {
			t.Fatal(err)
		}
	}
	if err := p.Flush(t.Context()); err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(sink.delivered(), ","); got != strings.Join(ids, ",") {
		t.Fatalf("delivered %s", got)
	}
	var sent []string
	for _, c := range sink.calls {
		if len(c) > 4 {
			t.Fatalf("run of %d messages %v exceeds batch_size 4", len(c), c)
		}
		sent = append(sent, c...)
	}
	if strings.Join(sent, ",") != strings.Join(ids, ",") {
		t.Fatalf("runs %v", sink.calls)
	}
	for _, id := range ids {
		if e, ok := res.get(id); !ok || e != nil {
			t.Fatalf("Done(%s) = %v, %v", id, e, ok)
		}
	}
	if m := p.Snapshot().Publisher; m.MessagesSent != 10 || m.BytesSent != 20 || m.Buffered != 0 {
		t.Fatalf("%+v", m)
	}
}

// TestSizeFlushSendsWholeBatches checks that flushes triggered by the size
// send batch_size messages per run and leave a partial batch buffered
// until the next trigger (here an explicit Flush).
func TestSizeFlushSendsWholeBatches(t *testing.T) {
	sink := &pipeSink{fakeSink: newSink(nil)}
	p, err := New(integration.PublisherConfig{BatchSize: 10, MaxBufferedMessages: 100, BatchTimeout: time.Hour},
		sink, component.Options{ID: "redis-t", Kind: "redis"})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Disconnect(t.Context())
	for i := range 25 {
		if err := p.Publish(t.Context(), integration.Outgoing{EventID: strconv.Itoa(i), Body: []byte("{}")}); err != nil {
			t.Fatal(err)
		}
	}
	sink.waitSent(t, 20)
	time.Sleep(20 * time.Millisecond) // a flush of the partial batch would happen now
	if got := len(sink.delivered()); got != 20 || p.Buffered() != 5 {
		t.Fatalf("%d sent, %d buffered; want 20 and 5 (the partial batch waits)", got, p.Buffered())
	}
	sink.mu.Lock()
	for _, c := range sink.calls {
		if len(c) != 10 {
			t.Errorf("size-triggered run of %d messages %v, want 10", len(c), c)
		}
	}
	sink.mu.Unlock()
	if err := p.Flush(t.Context()); err != nil {
		t.Fatal(err)
	}
	if got := len(sink.delivered()); got != 25 || p.Buffered() != 0 {
		t.Fatalf("after Flush: %d sent, %d buffered", got, p.Buffered())
	}
}
