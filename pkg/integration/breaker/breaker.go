package breaker

import (
	"errors"
	"sync"
	"time"

	"github.com/mfn-io/mfn-operator/pkg/integration/clock"
)

// ErrCircuitOpen is returned by Allow while the breaker refuses requests.
var ErrCircuitOpen = errors.New("Circuit breaker is open") //nolint:staticcheck // exact text of the contract

// State is a breaker state. Its integer value is the one exported by the
// mfn_circuit_breaker_state gauge.
type State int

// Breaker states.
const (
	Closed   State = 0
	HalfOpen State = 1
	Open     State = 2
)

// String returns closed, half_open or open.
func (s State) String() string {
	switch s {
	case Open:
		return "open"
	case HalfOpen:
		return "half_open"
	default:
		return "closed"
	}
}

// Config configures a Breaker. Zero values mean the defaults of INTEGRATION.md §2.
type Config struct {
	// Threshold is the number of consecutive failed attempts that opens the
	// breaker; default 5.
	Threshold int
	// Timeout is how long the breaker stays open before it lets one probe
	// through; default 60 s. Measured from entering open.
	Timeout time.Duration
	// Clock is the time source; default the real monotonic clock.
	Clock clock.Clock
	// OnStateChange is called after every state change, outside the
	// breaker's lock, in the order the changes happened.
	OnStateChange func(from, to State)
}

// Counts is a snapshot of the breaker's counters.
type Counts struct {
	// ConsecutiveFailures counts failed attempts since the last success.
	ConsecutiveFailures int64
	// Failures and Successes count every recorded outcome.
	Failures, Successes int64
	// Rejections counts requests refused with ErrCircuitOpen.
	Rejections int64
}

// Breaker is a circuit breaker. It is safe for concurrent use.
type Breaker struct {
	threshold int64
	timeout   time.Duration
	clock     clock.Clock
	onChange  func(from, to State)

	mu             sync.Mutex
	state          State
	generation     uint64
	openedAt       time.Time
	transitionAt   time.Time
	probeInFlight  bool
	counts         Counts
	firing         bool // a goroutine is delivering pendingChanges
	pendingChanges []change
}

type change struct{ from, to State }

// New returns a closed breaker.
func New(cfg Config) *Breaker {
	if cfg.Threshold <= 0 {
		cfg.Threshold = 5
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 60 * time.Second
	}
	return &Breaker{threshold: int64(cfg.Threshold), timeout: cfg.Timeout,
		clock: clock.Or(cfg.Clock), onChange: cfg.OnStateChange}
}

// Permit is the permission to run one attempt. Report its outcome with
// exactly one of Success, Failure or Ignore.
type Permit struct {
	b          *Breaker
	generation uint64
	probe      bool
}

// Allow asks for permission to run one attempt. In half_open only one
// probe is allowed at a time; every other request is refused.
func (b *Breaker) Allow() (Permit, error) {
	defer b.fireHooks()
	b.mu.Lock()
	b.refresh()
	switch b.state {
	case Open:
		b.counts.Rejections++
		b.mu.Unlock()
		return Permit{}, ErrCircuitOpen
	case HalfOpen:
		if b.probeInFlight {
			b.counts.Rejections++
			b.mu.Unlock()
			return Permit{}, ErrCircuitOpen
		}
		b.probeInFlight = true
		p := Permit{b: b, generation: b.generation, probe: true}
		b.mu.Unlock()
		return p, nil
	}
	p := Permit{b: b, generation: b.generation}
	b.mu.Unlock()
	return p, nil
}

// Success records a successful attempt.
func (p Permit) Success() { p.report(func(b *Breaker) { b.onSuccess() }) }

// Failure records a failed attempt.
func (p Permit) Failure() { p.report(func(b *Breaker) { b.onFailure() }) }

// Ignore releases the permit without an outcome (cancellation, or an error
// that does not count for the breaker). A released probe lets the next
// request probe.
func (p Permit) Ignore() { p.report(func(*Breaker) {}) }

func (p Permit) report(f func(*Breaker)) {
	b := p.b
	if b == nil {
		return
	}
	b.mu.Lock()
	if p.probe && p.generation == b.generation {
		b.probeInFlight = false
	}
	if p.generation == b.generation {
		f(b)
	}
	b.mu.Unlock()
	b.fireHooks()
}

// RecordSuccess closes the breaker and zeroes the failure count. It is the
// manual reset of the SEED.
func (b *Breaker) RecordSuccess() {
	b.mu.Lock()
	b.onSuccess()
	b.mu.Unlock()
	b.fireHooks()
}

// Reset is an alias of RecordSuccess.
func (b *Breaker) Reset() { b.RecordSuccess() }

// RecordFailure records one failed attempt, as if a guarded attempt failed.
func (b *Breaker) RecordFailure() {
	b.mu.Lock()
	b.refresh()
	b.onFailure()
	b.mu.Unlock()
	b.fireHooks()
}

// State returns the current state; an open breaker whose timeout has
// elapsed reports (and moves to) half_open.
func (b *Breaker) State() State {
	b.mu.Lock()
	b.refresh()
	s := b.state
	b.mu.Unlock()
	b.fireHooks()
	return s
}

// IsOpen reports whether the breaker is open and its timeout has not
// elapsed, without any traffic being needed for it to flip.
func (b *Breaker) IsOpen() bool { return b.State() == Open }

// Counts returns a snapshot of the counters.
func (b *Breaker) Counts() Counts {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.counts
}

// LastTransition returns when the state last changed (zero if never).
func (b *Breaker) LastTransition() time.Time {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.transitionAt
}

// refresh moves open to half_open once the timeout has elapsed; b.mu held.
func (b *Breaker) refresh() {
	if b.state == Open && b.clock.Now().Sub(b.openedAt) >= b.timeout {
		b.setState(HalfOpen)
	}
}

func (b *Breaker) onSuccess() {
	b.counts.Successes++
	b.counts.ConsecutiveFailures = 0
	if b.state != Closed {
		b.setState(Closed)
	}
}

func (b *Breaker) onFailure() {
	b.counts.Failures++
	b.counts.ConsecutiveFailures++
	switch b.state {
	case Closed:
		if b.counts.ConsecutiveFailures >= b.threshold {
			b.setState(Open)
		}
	case HalfOpen:
		b.setState(Open)
	}
}

// setState changes the state; b.mu held.
func (b *Breaker) setState(to State) {
	from := b.state
	now := b.clock.Now()
	b.state = to
	b.generation++
	b.transitionAt = now
	b.probeInFlight = false
	if to == Open {
		b.openedAt = now
	}
	if b.onChange != nil {
		b.pendingChanges = append(b.pendingChanges, change{from, to})
	}
}

// fireHooks delivers pending state changes to OnStateChange, in order and
// one at a time. A call made while another goroutine (or the hook itself)
// is delivering returns at once; the deliverer picks the changes up.
func (b *Breaker) fireHooks() {
	if b.onChange == nil {
		return
	}
	b.mu.Lock()
	if b.firing {
		b.mu.Unlock()
		return
	}
	b.firing = true
	for len(b.pendingChanges) > 0 {
		pending := b.pendingChanges
		b.pendingChanges = nil
		b.mu.Unlock()
		for _, c := range pending {
			b.onChange(c.from, c.to)
		}
		b.mu.Lock()
	}
	b.firing = false
	b.mu.Unlock()
}
