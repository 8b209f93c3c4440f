package batch

import (
	"context"
	"errors"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/mfn-io/mfn-operator/pkg/integration"
	"github.com/mfn-io/mfn-operator/pkg/integration/component"
)

// windowSink is a ConcurrentSender: SendBatch holds every run until a
// second one is in flight (or a short grace passes), so the test sees
// whether runs really overlap; fail decides per message and attempt.
type windowSink struct {
	mu       sync.Mutex
	window   int
	inFlight int
	maxSeen  int
	attempts map[string]int
	sent     map[string]int // deliveries per event id (duplicates counted)
	order    []string
	fail     func(id string, attempt int) error
	overlap  chan struct{}
}

func newWindowSink(window int, fail func(string, int) error) *windowSink {
	return &windowSink{window: window, attempts: map[string]int{}, sent: map[string]int{}, fail: fail,
		overlap: make(chan struct{})}
}

func (s *windowSink) Open(context.Context) error  { return nil }
func (s *windowSink) Close(context.Context) error { return nil }
func (s *windowSink) MaxInFlight() int            { return s.window }

func (s *windowSink) Send(ctx context.Context, m integration.Outgoing) error {
	_, err := s.SendBatch(ctx, []integration.Outgoing{m})
	return err
}

func (s *windowSink) SendBatch(_ context.Context, msgs []integration.Outgoing) (int, error) {
	s.mu.Lock()
	s.inFlight++
	s.maxSeen = max(s.maxSeen, s.inFlight)
	if s.inFlight == 2 {
		close(s.overlap)
		s.overlap = make(chan struct{})
	}
	wait := s.overlap
	s.mu.Unlock()
	select {
	case <-wait:
	case <-time.After(20 * time.Millisecond):
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.inFlight--
	for i, m := range msgs {
		s.attempts[m.EventID]++
		if s.fail != nil {
			if err := s.fail(m.EventID, s.attempts[m.EventID]); err != nil {
				return i, err
			}
		}
		s.sent[m.EventID]++
		s.order = append(s.order, m.EventID)
	}
	return len(msgs), nil
}

// publishN publishes ids 0..n-1 and records every Done result.
func publishN(t *testing.T, p *Publisher, n int) map[string][]error {
	t.Helper()
	var mu sync.Mutex
	dones := map[string][]error{}
	for i := range n {
		id := strconv.Itoa(i)
		err := p.Publish(t.Context(), integration.Outgoing{EventID: id, Body: []byte("{}"), Done: func(err error) {
			mu.Lock()
			dones[id] = append(dones[id], err)
			mu.Unlock()
		}})
		if err != nil {
			t.Fatal(err)
		}
	}
	if err := p.Flush(t.Context()); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	return dones
}

func TestConcurrentRunsOverlapAndReportEachMessageOnce(t *testing.T) {
	sink := newWindowSink(3, nil)
	p, err := New(integration.PublisherConfig{BatchSize: 10, MaxBufferedMessages: 100, BatchTimeout: time.Hour},
		sink, component.Options{ID: "redis-w", Kind: "redis"})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Disconnect(t.Context())
	dones := publishN(t, p, 95)
	if sink.maxSeen < 2 || sink.maxSeen > 3 {
		t.Fatalf("at most %d runs were in flight together, want 2 or 3 (window 3)", sink.maxSeen)
	}
	for i := range 95 {
		id := strconv.Itoa(i)
		if sink.sent[id] != 1 || len(dones[id]) != 1 || dones[id][0] != nil {
			t.Fatalf("message %s: delivered %d times, Done %v", id, sink.sent[id], dones[id])
		}
	}
	m := p.Snapshot().Publisher
	if m.MessagesSent != 95 || m.BytesSent != 190 || m.MessagesFailed != 0 || m.Buffered != 0 || m.RetryCount != 0 {
		t.Fatalf("%+v", m)
	}
}

// enqueueQuietly buffers messages 0..n-1 without waking the flush
// goroutine, and holds automatic flushes back as a pending backoff would,
// so that the next Flush sees all of them at once.
func enqueueQuietly(p *Publisher, n int, done func(id string) func(error)) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.retryAt = p.clock.Now().Add(time.Hour)
	for i := range n {
		id := strconv.Itoa(i)
		p.buf.push(entry{msg: integration.Outgoing{EventID: id, Body: []byte("{}"), Done: done(id)},
			at: p.elapsed()}, p.cfg.MaxBufferedMessages)
	}
}

func TestConcurrentRunFailureResendsLaterRuns(t *testing.T) {
	// Runs [0-4] and [5-9] are in flight together; message 3 fails and
	// there is no retry within the flush. The second run was accepted by
	// the destination but is not reported: it is sent again with the
	// remainder [3 4] by the next flush, and every message is reported once.
	sink := newWindowSink(2, func(id string, attempt int) error {
		if id == "3" && attempt == 1 {
			return errors.New("LOADING")
		}
		return nil
	})
	p, err := New(integration.PublisherConfig{BatchSize: 5, MaxBufferedMessages: 100, BatchTimeout: time.Hour,
		RetryConfig: integration.RetryConfig{RetryStrategy: integration.RetryNone}},
		sink, component.Options{ID: "redis-w", Kind: "redis"})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Disconnect(t.Context())
	var mu sync.Mutex
	dones := map[string][]error{}
	enqueueQuietly(p, 10, func(id string) func(error) {
		return func(err error) {
			mu.Lock()
			dones[id] = append(dones[id], err)
			mu.Unlock()
		}
	})
	if err := p.Flush(t.Context()); err == nil {
		t.Fatal("first flush: want the error of message 3")
	}
	if sink.maxSeen != 2 {
		t.Fatalf("%d runs in flight together, want 2", sink.maxSeen)
	}
	mu.Lock()
	if len(dones) != 3 {
		t.Fatalf("after the failed flush, Done was called for %v; want 0, 1, 2 only", dones)
	}
	mu.Unlock()
	if got := p.Buffered(); got != 7 {
		t.Fatalf("%d buffered, want 7 (3..9)", got)
	}
	if err := p.Flush(t.Context()); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	for i := range 10 {
		id := strconv.Itoa(i)
		if len(dones[id]) != 1 || dones[id][0] != nil {
			t.Fatalf("message %s: Done %v", id, dones[id])
		}
		want := 1
		if i >= 5 {
			want = 2 // accepted in the failed flush, sent again
		}
		if sink.sent[id] != want {
			t.Fatalf("message %s delivered %d times, want %d (deliveries %v)", id, sink.sent[id], want, sink.sent)
		}
	}
	m := p.Snapshot().Publisher
	if m.MessagesSent != 10 || m.MessagesFailed != 0 || m.Buffered != 0 || m.RetryCount != 1 || m.PublishErrors != 1 {
		t.Fatalf("%+v", m)
	}
}

func TestConcurrentSenderOneRunAtATimeUnderAtMostOnce(t *testing.T) {
	sink := newWindowSink(4, nil)
	p, err := New(integration.PublisherConfig{BatchSize: 5, MaxBufferedMessages: 100, BatchTimeout: time.Hour,
		DeliveryGuarantee: integration.AtMostOnce}, sink, component.Options{ID: "redis-w", Kind: "redis"})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Disconnect(t.Context())
	publishN(t, p, 30)
	if sink.maxSeen != 1 {
		t.Fatalf("%d runs in flight together under at_most_once, want 1", sink.maxSeen)
	}
	for i, id := range sink.order {
		if id != strconv.Itoa(i) {
			t.Fatalf("order %v", sink.order)
		}
	}
}
