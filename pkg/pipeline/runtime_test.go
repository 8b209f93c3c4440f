package pipeline

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mfn-io/mfn-operator/pkg/integration"
	"github.com/mfn-io/mfn-operator/pkg/status"
)

// The components below are minimal in-memory implementations of the
// integration interfaces that let a test script outcomes (a publisher giving
// a message up, a breaker opening) which real servers produce only
// nondeterministically. End-to-end behaviour with real connectors and
// publishers is covered in e2e_test.go.

// sliceConnector hands out its payloads once and records how each was settled.
type sliceConnector struct {
	payloads [][]byte
	block    bool // keep Consume open after the last payload until ctx ends

	mu      sync.Mutex
	handed  int // payloads sent on the channel
	acks    []string
	nacks   []string
	reasons []error
}

func (c *sliceConnector) ID() string                       { return "slice" }
func (c *sliceConnector) Kind() string                     { return "file" }
func (c *sliceConnector) Connect(context.Context) error    { return nil }
func (c *sliceConnector) Disconnect(context.Context) error { return nil }
func (c *sliceConnector) Snapshot() integration.ComponentSnapshot {
	return integration.ComponentSnapshot{ID: c.ID(), Kind: c.Kind(), Status: status.ComponentConnected,
		Breaker: status.BreakerReport{State: status.BreakerClosed}}
}

func (c *sliceConnector) Consume(ctx context.Context, out chan<- *integration.Message) error {
	for i, p := range c.payloads {
		pos := strconv.Itoa(i)
		m := integration.NewMessage(c.ID(), pos, p, time.Now(), func(_ context.Context, reason error) error {
			c.mu.Lock()
			defer c.mu.Unlock()
			if reason == nil {
				c.acks = append(c.acks, pos)
			} else {
				c.nacks = append(c.nacks, pos)
				c.reasons = append(c.reasons, reason)
			}
			return nil
		})
		select {
		case out <- m:
			c.mu.Lock()
			c.handed++
			c.mu.Unlock()
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	if c.block {
		<-ctx.Done()
		return ctx.Err()
	}
	return nil
}

func (c *sliceConnector) settled() (acks, nacks int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.acks), len(c.nacks)
}

// memPublisher records bodies; reject decides per body whether Done gets an
// error; hold keeps Done callbacks until release is called.
type memPublisher struct {
	id     string
	reject func(body []byte) error

	mu      sync.Mutex
	bodies  [][]byte
	held    []integration.Outgoing
	hold    bool
	breaker string
}

func (p *memPublisher) ID() string                       { return p.id }
func (p *memPublisher) Kind() string                     { return "jsonl" }
func (p *memPublisher) Connect(context.Context) error    { return nil }
func (p *memPublisher) Flush(context.Context) error      { return nil }
func (p *memPublisher) Disconnect(context.Context) error { return nil }

func (p *memPublisher) Snapshot() integration.ComponentSnapshot {
	p.mu.Lock()
	defer p.mu.Unlock()
	b := p.breaker
	if b == "" {
		b = status.BreakerClosed
	}
	return integration.ComponentSnapshot{ID: p.id, Kind: "jsonl", Status: status.ComponentConnected,
		Breaker: status.BreakerReport{State: b}}
}

func (p *memPublisher) Publish(_ context.Context, o integration.Outgoing) error {
	p.mu.Lock()
	if p.hold {
		p.held = append(p.held, o)
		p.mu.Unlock()
		return nil
	}
	p.bodies = append(p.bodies, o.Body)
	p.mu.Unlock()
	var err error
	if p.reject != nil {
		err = p.reject(o.Body)
	}
	o.Done(err)
	return nil
}

func (p *memPublisher) setBreaker(state string) {
	p.mu.Lock()
	p.breaker = state
	p.mu.Unlock()
}

func (p *memPublisher) count() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.bodies)
}

// echoProcessor "simulates" by upper-casing the payload; payloads starting
// with "bad" fail and "panic" panics.
type echoProcessor struct{}

func (echoProcessor) Process(_ context.Context, m *integration.Message) (Result, error) {
	switch {
	case bytes.HasPrefix(m.Payload, []byte("bad")):
		return Result{}, errors.New("grid_size: must be at most 256")
	case bytes.HasPrefix(m.Payload, []byte("panic")):
		panic("boom")
	}
	return Result{Key: m.Position, EventID: "e" + m.Position, Body: bytes.ToUpper(m.Payload)}, nil
}

func (echoProcessor) Failure(m *integration.Message, err error) Result {
	return Result{Key: m.Position, Body: []byte("FAILED " + string(m.Payload) + ": " + err.Error())}
}

func payloads(ps ...string) [][]byte {
	out := make([][]byte, len(ps))
	for i, p := range ps {
		out[i] = []byte(p)
	}
	return out
}

func quietLogger() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func newTestRuntime(t *testing.T, cfg Config) *Runtime {
	t.Helper()
	cfg.Processor = echoProcessor{}
	cfg.Logger = quietLogger()
	cfg.PauseInterval = 5 * time.Millisecond
	r, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestRunAcksAfterEveryPublisher(t *testing.T) {
	conn := &sliceConnector{payloads: payloads("a", "b", "c", "d", "e")}
	p1, p2 := &memPublisher{id: "p1"}, &memPublisher{id: "p2"}
	r := newTestRuntime(t, Config{Connector: Connector{Connector: conn},
		Publishers: []Publisher{{Name: "one", Publisher: p1}, {Name: "two", Publisher: p2}}, Workers: 2})
	if err := r.Run(t.Context()); err != nil {
		t.Fatal(err)
	}
	if acks, nacks := conn.settled(); acks != 5 || nacks != 0 {
		t.Errorf("acks, nacks = %d, %d; want 5, 0", acks, nacks)
	}
	if p1.count() != 5 || p2.count() != 5 {
		t.Errorf("publisher counts = %d, %d; want 5, 5", p1.count(), p2.count())
	}
	c := r.Counters()
	if c.Processed != 5 || c.Failed != 0 || c.Simulated != 5 || c.InFlight != 0 || c.LastProcessed.IsZero() {
		t.Errorf("counters = %+v", c)
	}
	st := r.Status()
	if st.Publishers[1].Name != "two" || st.Totals.Processed != 5 || st.SchemaVersion != status.SchemaVersion {
		t.Errorf("status = %+v", st)
	}
}

func TestAckWaitsForSlowestPublisher(t *testing.T) {
	conn := &sliceConnector{payloads: payloads("a", "b"), block: true}
	fast, slow := &memPublisher{id: "fast"}, &memPublisher{id: "slow", hold: true}
	r := newTestRuntime(t, Config{Connector: Connector{Connector: conn},
		Publishers: []Publisher{{Publisher: fast}, {Publisher: slow}}, Workers: 1})
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- r.Run(ctx) }()
	waitFor(t, func() bool { return fast.count() == 2 })
	if acks, _ := conn.settled(); acks != 0 {
		t.Fatalf("acked %d messages before the slow publisher answered", acks)
	}
	slow.mu.Lock()
	held := slow.held
	slow.held = nil
	slow.mu.Unlock()
	for _, o := range held {
		o.Done(nil)
	}
	waitFor(t, func() bool { a, _ := conn.settled(); return a == 2 })
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

func TestFailuresGoToDeadLetter(t *testing.T) {
	conn := &sliceConnector{payloads: payloads("a", "bad1", "panic", "b")}
	out, dlq := &memPublisher{id: "out"}, &memPublisher{id: "dlq"}
	r := newTestRuntime(t, Config{Connector: Connector{Connector: conn},
		Publishers: []Publisher{{Publisher: out}}, DeadLetter: Publisher{Publisher: dlq}, Workers: 2})
	if err := r.Run(t.Context()); err != nil {
		t.Fatal(err)
	}
	c := r.Counters()
	if c.Processed != 2 || c.Failed != 2 || c.DeadLettered != 2 {
		t.Errorf("counters = %+v; want processed 2, failed 2, dead-lettered 2", c)
	}
	if acks, nacks := conn.settled(); acks != 4 || nacks != 0 {
		t.Errorf("acks, nacks = %d, %d; want 4, 0", acks, nacks)
	}
	var got []string
	for _, b := range dlq.bodies {
		got = append(got, string(b))
	}
	want := map[string]bool{
		"FAILED bad1: grid_size: must be at most 256":                     true,
		"FAILED panic: internal error while processing the message: boom": true,
	}
	for _, g := range got {
		if !want[g] {
			t.Errorf("unexpected dead-letter body %q", g)
		}
		delete(want, g)
	}
	if len(want) != 0 {
		t.Errorf("dead-letter bodies %q miss %v", got, want)
	}
}

func TestFailureWithoutDeadLetterIsAcked(t *testing.T) {
	conn := &sliceConnector{payloads: payloads("bad", "ok")}
	out := &memPublisher{id: "out"}
	r := newTestRuntime(t, Config{Connector: Connector{Connector: conn}, Publishers: []Publisher{{Publisher: out}}})
	if err := r.Run(t.Context()); err != nil {
		t.Fatal(err)
	}
	if acks, nacks := conn.settled(); acks != 2 || nacks != 0 {
		t.Errorf("acks, nacks = %d, %d; want 2, 0", acks, nacks)
	}
	if c := r.Counters(); c.Failed != 1 || c.Processed != 1 || c.Simulated != 2 || c.DeadLettered != 0 {
		t.Errorf("counters = %+v", c)
	}
}

func TestGivenUpResultIsNackedWithoutDeadLetter(t *testing.T) {
	conn := &sliceConnector{payloads: payloads("a", "b", "c")}
	ok := &memPublisher{id: "ok"}
	flaky := &memPublisher{id: "flaky", reject: func(b []byte) error {
		if string(b) == "B" {
			return errors.New("dropped under at_most_once")
		}
		return nil
	}}
	r := newTestRuntime(t, Config{Connector: Connector{Connector: conn},
		Publishers: []Publisher{{Publisher: ok}, {Publisher: flaky}}, Workers: 1})
	if err := r.Run(t.Context()); err != nil {
		t.Fatal(err)
	}
	if acks, nacks := conn.settled(); acks != 2 || nacks != 1 {
		t.Fatalf("acks, nacks = %d, %d; want 2, 1", acks, nacks)
	}
	if conn.nacks[0] != "1" || !bytes.Contains([]byte(conn.reasons[0].Error()), []byte("publisher flaky: dropped")) {
		t.Errorf("nack %s reason %v", conn.nacks[0], conn.reasons[0])
	}
	if c := r.Counters(); c.Undelivered != 1 || c.Nacked != 1 || c.Processed != 2 {
		t.Errorf("counters = %+v", c)
	}
}

func TestGivenUpResultIsDeadLettered(t *testing.T) {
	conn := &sliceConnector{payloads: payloads("a", "b")}
	flaky := &memPublisher{id: "flaky", reject: func(b []byte) error {
		if string(b) == "A" {
			return errors.New("permanent: 400 Bad Request")
		}
		return nil
	}}
	dlq := &memPublisher{id: "dlq"}
	r := newTestRuntime(t, Config{Connector: Connector{Connector: conn},
		Publishers: []Publisher{{Publisher: flaky}}, DeadLetter: Publisher{Publisher: dlq}, Workers: 1})
	if err := r.Run(t.Context()); err != nil {
		t.Fatal(err)
	}
	if acks, nacks := conn.settled(); acks != 2 || nacks != 0 {
		t.Fatalf("acks, nacks = %d, %d; want 2, 0", acks, nacks)
	}
	if dlq.count() != 1 || string(dlq.bodies[0]) != "FAILED a: publisher flaky: permanent: 400 Bad Request" {
		t.Errorf("dead-letter bodies = %q", dlq.bodies)
	}
	if c := r.Counters(); c.Undelivered != 1 || c.DeadLettered != 1 || c.Processed != 1 || c.Failed != 0 {
		t.Errorf("counters = %+v", c)
	}
}

func TestOpenBreakerPausesConsumption(t *testing.T) {
	msgs := make([]string, 20)
	for i := range msgs {
		msgs[i] = fmt.Sprint("m", i)
	}
	conn := &sliceConnector{payloads: payloads(msgs...)}
	out := &memPublisher{id: "out", breaker: status.BreakerOpen}
	r := newTestRuntime(t, Config{Connector: Connector{Connector: conn}, Publishers: []Publisher{{Publisher: out}}, Workers: 1})
	done := make(chan error, 1)
	go func() { done <- r.Run(t.Context()) }()
	waitFor(t, func() bool { return r.Counters().Paused })
	// Paused before the first dispatch at most one message slips through
	// (read while the first sample was being taken).
	n := out.count()
	if n > 1 {
		t.Fatalf("%d messages published while the breaker was open", n)
	}
	if r.Ready() {
		t.Error("ready while a breaker is open")
	}
	out.setBreaker(status.BreakerClosed)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if out.count() != 20 || r.Counters().Pauses != 1 {
		t.Errorf("published %d, pauses %d; want 20, 1", out.count(), r.Counters().Pauses)
	}
}

func TestShutdownNacksUnsettledAfterGrace(t *testing.T) {
	stuck := &memPublisher{id: "stuck", hold: true}
	conn, r, stop := startStuck(t, Config{Workers: 1, MaxInFlight: 2}, stuck, []string{"a", "b", "c"}, 2, 3)
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	// MaxInFlight messages were taken and the third waited in the hand-over
	// channel (one slot per worker): all three are handed back, and only
	// the two taken count as nacked.
	if acks, nacks := conn.settled(); acks != 0 || nacks != 3 {
		t.Errorf("acks, nacks = %d, %d; want 0, 3", acks, nacks)
	}
	for _, reason := range conn.reasons {
		if !errors.Is(reason, ErrShutdown) {
			t.Errorf("nack reason = %v", reason)
		}
	}
	if n := r.Counters().Nacked; n != 2 {
		t.Errorf("nacked counter = %d, want 2", n)
	}
	// Late answers from the publisher after shutdown are ignored.
	for _, o := range stuck.held {
		o.Done(nil)
	}
	if c := r.Counters(); c.InFlight != 0 || c.Processed != 0 {
		t.Errorf("counters after late answers = %+v", c)
	}
}

// TestDefaultWindow: without MaxInFlight the window is
// DefaultInFlightPerWorker × Workers; with a publisher that never answers,
// exactly that many messages are taken, the hand-over channel holds one
// more per worker, and shutdown hands every one of them back.
func TestDefaultWindow(t *testing.T) {
	const workers = 2
	window := DefaultInFlightPerWorker * workers
	ps := make([]string, window+10)
	for i := range ps {
		ps[i] = fmt.Sprint("m", i)
	}
	conn, r, stop := startStuck(t, Config{Workers: workers}, &memPublisher{id: "stuck", hold: true}, ps, window, window+workers)
	time.Sleep(20 * time.Millisecond) // nothing more may be taken
	if n := r.Counters().InFlight; n != int64(window) {
		t.Fatalf("in flight %d, want the default window %d", n, window)
	}
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	if acks, nacks := conn.settled(); acks != 0 || nacks != window+workers {
		t.Errorf("acks, nacks = %d, %d; want 0, %d", acks, nacks, window+workers)
	}
	if n := r.Counters().Nacked; n != int64(window) {
		t.Errorf("nacked counter = %d, want %d", n, window)
	}
}

func TestConfigValidate(t *testing.T) {
	conn := Connector{Connector: &sliceConnector{}}
	pubs := []Publisher{{Publisher: &memPublisher{id: "p"}}}
	tests := []struct {
		name string
		cfg  Config
		want string
	}{
		{"no connector", Config{Publishers: pubs, Processor: echoProcessor{}}, "Connector is required"},
		{"no publishers", Config{Connector: conn, Processor: echoProcessor{}}, "at least one publisher"},
		{"no processor", Config{Connector: conn, Publishers: pubs}, "Processor is required"},
		{"workers", Config{Connector: conn, Publishers: pubs, Processor: echoProcessor{}, Workers: 2000}, "Workers must be between 1 and 1024"},
		{"in flight", Config{Connector: conn, Publishers: pubs, Processor: echoProcessor{}, Workers: 4, MaxInFlight: 2}, "MaxInFlight (2) must be at least Workers (4)"},
		{"grace", Config{Connector: conn, Publishers: pubs, Processor: echoProcessor{}, ShutdownGrace: -1}, "ShutdownGrace must not be negative"},
	}
	for _, tt := range tests {
		err := tt.cfg.Validate()
		if err == nil || !bytes.Contains([]byte(err.Error()), []byte(tt.want)) {
			t.Errorf("%s: Validate() = %v, want %q", tt.name, err, tt.want)
		}
	}
}

// waitFor polls cond; the runtime's progress is driven by goroutines, not by
// a clock, so there is nothing to fake here.
// startStuck runs cfg with a blocking connector of ps and the publisher
// stuck (which never answers), waits until inFlight messages are taken and
// handed were sent on the hand-over channel, and returns a stop function
// that ends the run (grace 20 ms) and returns Run's error.
func startStuck(t *testing.T, cfg Config, stuck *memPublisher, ps []string, inFlight, handed int) (*sliceConnector, *Runtime, func() error) {
	t.Helper()
	conn := &sliceConnector{payloads: payloads(ps...), block: true}
	cfg.Connector, cfg.Publishers, cfg.ShutdownGrace = Connector{Connector: conn}, []Publisher{{Publisher: stuck}}, 20*time.Millisecond
	r := newTestRuntime(t, cfg)
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- r.Run(ctx) }()
	waitFor(t, func() bool {
		conn.mu.Lock()
		defer conn.mu.Unlock()
		return r.Counters().InFlight == int64(inFlight) && conn.handed == handed
	})
	return conn, r, func() error {
		cancel()
		return <-done
	}
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not met within 10s")
		}
		time.Sleep(time.Millisecond)
	}
}

// failingConnector never connects.
type failingConnector struct{ sliceConnector }

func (*failingConnector) Connect(context.Context) error {
	return errors.New("dial tcp 127.0.0.1:1: connection refused")
}

func TestConnectGivesUpAfterAttempts(t *testing.T) {
	r := newTestRuntime(t, Config{Connector: Connector{Connector: &failingConnector{}},
		Publishers: []Publisher{{Publisher: &memPublisher{id: "out"}}}, ConnectAttempts: 3, ConnectBackoff: time.Millisecond})
	err := r.Run(t.Context())
	if err == nil || !strings.Contains(err.Error(), "connect connector slice: dial tcp") {
		t.Fatalf("Run = %v", err)
	}
	if r.Ready() {
		t.Error("ready without a connection")
	}
}

// flushCounter is a memPublisher that counts Flush calls.
type flushCounter struct {
	memPublisher
	flushes atomic.Int32
}

func (p *flushCounter) Flush(context.Context) error {
	p.flushes.Add(1)
	return nil
}

// TestGroupCommitFlushesEveryHalfWindow: a flush starts once half the
// window's worth of outcomes has been handed over since the last flush
// began, however many slots are taken (none here).
func TestGroupCommitFlushesEveryHalfWindow(t *testing.T) {
	pub := &flushCounter{memPublisher: memPublisher{id: "out"}}
	r := newTestRuntime(t, Config{Connector: Connector{Connector: &sliceConnector{}},
		Publishers: []Publisher{{Name: "out", Publisher: pub}}, Workers: 2, MaxInFlight: 8})
	for round := int32(1); round <= 3; round++ {
		for range 3 {
			r.groupCommit(t.Context())
		}
		time.Sleep(10 * time.Millisecond) // a flush would have started by now
		if n := pub.flushes.Load(); n != round-1 {
			t.Fatalf("round %d: %d flushes after 3 of 4 outcomes, want %d", round, n, round-1)
		}
		r.groupCommit(t.Context())
		waitFor(t, func() bool { return pub.flushes.Load() == round })
		waitFor(t, func() bool { return !r.flushing.Load() })
	}
}
