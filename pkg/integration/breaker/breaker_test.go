package breaker

import (
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/mfn-io/mfn-operator/pkg/integration/clock"
)

var epoch = time.Date(2025, 12, 4, 12, 0, 0, 0, time.UTC)

type recorder struct {
	mu      sync.Mutex
	changes []string
}

func (r *recorder) hook(from, to State) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.changes = append(r.changes, from.String()+"->"+to.String())
}

func newTest(threshold int, timeout time.Duration) (*Breaker, *clock.Fake, *recorder) {
	fake := clock.NewFake(epoch)
	rec := &recorder{}
	return New(Config{Threshold: threshold, Timeout: timeout, Clock: fake, OnStateChange: rec.hook}), fake, rec
}

func fail(t *testing.T, b *Breaker) {
	t.Helper()
	p, err := b.Allow()
	if err != nil {
		t.Fatalf("Allow refused: %v", err)
	}
	p.Failure()
}

// R66 §4.3: threshold 2, two manual failures → open; a guarded operation
// then fails with the exact refusal text.
func TestTwoManualFailuresOpen(t *testing.T) {
	b, _, _ := newTest(2, time.Minute)
	b.RecordFailure()
	if b.IsOpen() {
		t.Fatal("open after one failure")
	}
	b.RecordFailure()
	if !b.IsOpen() || b.State() != Open {
		t.Fatal("not open after two failures")
	}
	_, err := b.Allow()
	if !errors.Is(err, ErrCircuitOpen) || err.Error() != "Circuit breaker is open" {
		t.Fatalf("refusal error = %v", err)
	}
	if b.Counts().Rejections != 1 {
		t.Fatalf("rejections = %d", b.Counts().Rejections)
	}
}

func TestFullWalk(t *testing.T) {
	b, fake, rec := newTest(2, 30*time.Second)
	fail(t, b)
	fail(t, b)
	if b.State() != Open || !b.LastTransition().Equal(epoch) {
		t.Fatalf("state %v at %v", b.State(), b.LastTransition())
	}
	fake.Advance(29 * time.Second)
	if _, err := b.Allow(); !errors.Is(err, ErrCircuitOpen) {
		t.Fatal("allowed before the timeout")
	}
	fake.Advance(time.Second)
	// Time-aware: no traffic needed to leave open.
	if b.IsOpen() || b.State() != HalfOpen {
		t.Fatalf("state after timeout = %v", b.State())
	}
	probe, err := b.Allow()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := b.Allow(); !errors.Is(err, ErrCircuitOpen) {
		t.Fatal("second request allowed while the probe is in flight")
	}
	probe.Failure() // half_open → open with a fresh timeout
	if b.State() != Open {
		t.Fatal("probe failure must reopen")
	}
	fake.Advance(29 * time.Second)
	if !b.IsOpen() {
		t.Fatal("fresh timeout must be full length")
	}
	fake.Advance(time.Second)
	probe, err = b.Allow()
	if err != nil {
		t.Fatal(err)
	}
	probe.Success()
	if b.State() != Closed || b.Counts().ConsecutiveFailures != 0 {
		t.Fatalf("after probe success: %v %+v", b.State(), b.Counts())
	}
	want := []string{"closed->open", "open->half_open", "half_open->open", "open->half_open", "half_open->closed"}
	if len(rec.changes) != len(want) {
		t.Fatalf("changes %v, want %v", rec.changes, want)
	}
	for i := range want {
		if rec.changes[i] != want[i] {
			t.Fatalf("changes %v, want %v", rec.changes, want)
		}
	}
	c := b.Counts()
	if c.Failures != 3 || c.Successes != 1 || c.Rejections != 2 {
		t.Fatalf("counts %+v", c)
	}
}

func TestTimeoutMeasuredFromOpening(t *testing.T) {
	b, fake, _ := newTest(1, 10*time.Second)
	fail(t, b)
	fake.Advance(6 * time.Second)
	b.RecordFailure() // a failure while open does not extend the open period
	fake.Advance(4 * time.Second)
	if b.State() != HalfOpen {
		t.Fatalf("state = %v, want half_open 10 s after opening", b.State())
	}
}

func TestSuccessResetsConsecutiveCount(t *testing.T) {
	b, _, _ := newTest(3, time.Minute)
	fail(t, b)
	fail(t, b)
	p, _ := b.Allow()
	p.Success()
	fail(t, b)
	fail(t, b)
	if b.State() != Closed {
		t.Fatal("failures are consecutive: a success in between resets them")
	}
	fail(t, b)
	if b.State() != Open {
		t.Fatal("three consecutive failures must open")
	}
}

func TestManualResetOpensTraffic(t *testing.T) {
	b, _, rec := newTest(1, time.Hour)
	b.RecordFailure()
	if !b.IsOpen() {
		t.Fatal("not open")
	}
	b.RecordSuccess()
	if b.State() != Closed || b.Counts().ConsecutiveFailures != 0 {
		t.Fatal("RecordSuccess must close and zero the count")
	}
	if _, err := b.Allow(); err != nil {
		t.Fatal(err)
	}
	b.RecordFailure()
	b.Reset()
	if b.State() != Closed {
		t.Fatal("Reset")
	}
	if len(rec.changes) != 4 {
		t.Fatal(rec.changes)
	}
}

func TestIgnoredAndStaleOutcomes(t *testing.T) {
	b, fake, _ := newTest(1, time.Second)
	slow, _ := b.Allow() // granted while closed
	fail(t, b)           // opens
	slow.Success()       // stale: must not close the breaker
	if b.State() != Open {
		t.Fatal("stale success closed the breaker")
	}
	fake.Advance(time.Second)
	probe, err := b.Allow()
	if err != nil {
		t.Fatal(err)
	}
	probe.Ignore() // cancelled probe frees the slot
	if b.State() != HalfOpen {
		t.Fatal("ignored probe changed the state")
	}
	if _, err := b.Allow(); err != nil {
		t.Fatal("slot not released by Ignore")
	}
	var zero Permit
	zero.Success() // a zero permit is harmless
}

func TestConcurrentProbe(t *testing.T) {
	b, fake, _ := newTest(1, time.Second)
	b.RecordFailure()
	fake.Advance(time.Second)
	var wg sync.WaitGroup
	var mu sync.Mutex
	allowed, refused := 0, 0
	for range 8 {
		wg.Go(func() {
			_, err := b.Allow()
			mu.Lock()
			defer mu.Unlock()
			if err == nil {
				allowed++
			} else {
				refused++
			}
		})
	}
	wg.Wait()
	if allowed != 1 || refused != 7 {
		t.Fatalf("allowed %d refused %d, want exactly one probe", allowed, refused)
	}
}

func TestHookMayCallBreaker(t *testing.T) {
	fake := clock.NewFake(epoch)
	var b *Breaker
	var seen []State
	b = New(Config{Threshold: 1, Timeout: time.Second, Clock: fake, OnStateChange: func(_, to State) {
		seen = append(seen, b.State(), to)
	}})
	b.RecordFailure()
	if len(seen) != 2 || seen[0] != Open || seen[1] != Open {
		t.Fatal(seen)
	}
}

func TestDefaultsAndStrings(t *testing.T) {
	b := New(Config{})
	for range 4 {
		b.RecordFailure()
	}
	if b.State() != Closed {
		t.Fatal("default threshold is 5")
	}
	b.RecordFailure()
	if !b.IsOpen() {
		t.Fatal("5 failures must open with the default threshold")
	}
	if Closed.String() != "closed" || Open.String() != "open" || HalfOpen.String() != "half_open" {
		t.Fatal("strings")
	}
	if int(Closed) != 0 || int(HalfOpen) != 1 || int(Open) != 2 {
		t.Fatal("gauge values")
	}
}
