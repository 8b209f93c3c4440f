package retry

import (
	"context"
	"errors"
	"math"
	"math/rand/v2"
	"time"

	"github.com/mfn-io/mfn-operator/pkg/integration"
	"github.com/mfn-io/mfn-operator/pkg/integration/breaker"
	"github.com/mfn-io/mfn-operator/pkg/integration/clock"
)

// Policy is the delay policy of one component.
type Policy struct {
	Strategy     integration.RetryStrategy
	MaxRetries   int
	InitialDelay time.Duration
	MaxDelay     time.Duration
	Multiplier   float64
	// Jitter is the retry_jitter fraction in [0, 1]; 0 = deterministic.
	Jitter float64
}

// FromConfig builds the policy of c (defaults applied).
func FromConfig(c integration.RetryConfig) Policy {
	d := c.WithDefaults()
	return Policy{Strategy: d.RetryStrategy, MaxRetries: d.MaxRetries,
		InitialDelay: d.InitialRetryDelay, MaxDelay: d.MaxRetryDelay,
		Multiplier: d.BackoffMultiplier, Jitter: d.RetryJitter}
}

// Attempts returns the total number of attempts: 1 for no_retry, else
// MaxRetries + 1.
func (p Policy) Attempts() int {
	if p.Strategy == integration.RetryNone || p.MaxRetries <= 0 {
		return 1
	}
	return p.MaxRetries + 1
}

// Delay returns the capped delay before retry n (n ≥ 1), without jitter.
func (p Policy) Delay(n int) time.Duration {
	if n < 1 {
		n = 1
	}
	var d float64
	switch p.Strategy {
	case integration.RetryImmediate, integration.RetryNone:
		return 0
	case integration.RetryFixedDelay:
		return p.InitialDelay
	case integration.RetryLinearBackoff:
		d = float64(p.InitialDelay) * float64(n)
	default:
		m := p.Multiplier
		if m == 0 {
			m = integration.DefaultBackoffMultiplier
		}
		d = float64(p.InitialDelay) * math.Pow(m, float64(n-1))
	}
	if p.MaxDelay > 0 && (d > float64(p.MaxDelay) || math.IsInf(d, 0) || math.IsNaN(d)) {
		return p.MaxDelay
	}
	return time.Duration(d)
}

// jittered applies the jitter fraction with u uniform in [0, 1).
func (p Policy) jittered(d time.Duration, u float64) time.Duration {
	if p.Jitter <= 0 || d <= 0 {
		return d
	}
	return time.Duration(float64(d) * (1 - p.Jitter*u))
}

// Reason says why Do stopped.
type Reason int

// Stop reasons.
const (
	// Succeeded: an attempt succeeded.
	Succeeded Reason = iota
	// Exhausted: every allowed attempt failed with a retryable error.
	Exhausted
	// Permanent: an attempt failed with an error that retrying cannot fix
	// (or that the Retryable predicate refused to retry).
	Permanent
	// BreakerOpen: the circuit breaker refused an attempt.
	BreakerOpen
	// Cancelled: the caller's context ended.
	Cancelled
)

// String returns succeeded, exhausted, permanent, breaker_open or cancelled.
func (r Reason) String() string {
	return [...]string{"succeeded", "exhausted", "permanent", "breaker_open", "cancelled"}[r]
}

// Result describes how an operation ended.
type Result struct {
	Reason Reason
	// Attempts is the number of attempts actually made.
	Attempts int
	// Err is what the operation should return (nil on success).
	Err error
	// LastErr is the error of the last failed attempt (nil if none failed).
	LastErr error
}

// Hooks are called synchronously by Do (for metrics and logs).
type Hooks struct {
	// OnAttemptFailure is called for each failed attempt that is not a
	// cancellation (this is retry_count).
	OnAttemptFailure func(attempt int, err error)
	// OnRetry is called before waiting delay for the next attempt.
	OnRetry func(attempt int, delay time.Duration, err error)
	// OnRejected is called when the breaker refuses an attempt.
	OnRejected func()
}

// Retrier runs operations under a policy and a breaker.
type Retrier struct {
	Policy Policy
	// Breaker, when not nil, is asked before every attempt.
	Breaker *breaker.Breaker
	// Clock times the waits; default the real clock.
	Clock clock.Clock
	// Rand returns uniform numbers in [0, 1) for jitter; default math/rand.
	Rand func() float64
	// AttemptTimeout, when > 0, is the deadline of each attempt; an attempt
	// that overruns it fails with integration.TimeoutError(AttemptTimeout).
	AttemptTimeout time.Duration
	// Retryable decides whether a failed attempt may be retried; default
	// integration.IsRetryable. Publishers under at_most_once pass
	// integration.SafeToResend.
	Retryable func(error) bool
	Hooks     Hooks
}

// Do runs fn until it succeeds, fails permanently, runs out of attempts,
// is refused by the breaker or ctx ends.
func (r *Retrier) Do(ctx context.Context, fn func(ctx context.Context) error) Result {
	attempts := r.Policy.Attempts()
	var last error
	for attempt := 1; ; attempt++ {
		if err := ctx.Err(); err != nil {
			return Result{Reason: Cancelled, Attempts: attempt - 1, Err: err, LastErr: last}
		}
		var permit breaker.Permit
		if r.Breaker != nil {
			p, err := r.Breaker.Allow()
			if err != nil {
				if r.Hooks.OnRejected != nil {
					r.Hooks.OnRejected()
				}
				return Result{Reason: BreakerOpen, Attempts: attempt - 1, Err: err, LastErr: last}
			}
			permit = p
		}
		err := r.run(ctx, fn)
		if err == nil {
			permit.Success()
			return Result{Reason: Succeeded, Attempts: attempt, LastErr: last}
		}
		class := integration.Classify(ctx, err)
		if class == integration.ClassCancelled {
			permit.Ignore()
			if ctx.Err() != nil {
				err = ctx.Err()
			}
			return Result{Reason: Cancelled, Attempts: attempt, Err: err, LastErr: last}
		}
		if class == integration.ClassInvalid {
			permit.Ignore()
		} else {
			permit.Failure()
		}
		last = err
		if r.Hooks.OnAttemptFailure != nil {
			r.Hooks.OnAttemptFailure(attempt, err)
		}
		if !r.retryable(err) {
			return Result{Reason: Permanent, Attempts: attempt, Err: err, LastErr: err}
		}
		if attempt >= attempts {
			return Result{Reason: Exhausted, Attempts: attempt, Err: err, LastErr: err}
		}
		delay := r.delay(attempt, err)
		if r.Hooks.OnRetry != nil {
			r.Hooks.OnRetry(attempt, delay, err)
		}
		if err := clock.Sleep(ctx, r.Clock, delay); err != nil {
			return Result{Reason: Cancelled, Attempts: attempt, Err: err, LastErr: last}
		}
	}
}

func (r *Retrier) retryable(err error) bool {
	if r.Retryable != nil {
		return r.Retryable(err)
	}
	return integration.IsRetryable(err)
}

// delay is the wait before retry n, honouring a Retry-After hint.
func (r *Retrier) delay(n int, err error) time.Duration {
	if ra := integration.RetryAfterOf(err); ra > 0 {
		if r.Policy.MaxDelay > 0 && ra > r.Policy.MaxDelay {
			return r.Policy.MaxDelay
		}
		return ra
	}
	u := r.Rand
	if u == nil {
		u = rand.Float64
	}
	d := r.Policy.Delay(n)
	if r.Policy.Jitter > 0 {
		d = r.Policy.jittered(d, u())
	}
	return d
}

// run makes one attempt, with the per-attempt deadline when configured.
func (r *Retrier) run(ctx context.Context, fn func(context.Context) error) error {
	if r.AttemptTimeout <= 0 {
		return fn(ctx)
	}
	actx, cancel := context.WithTimeout(ctx, r.AttemptTimeout)
	defer cancel()
	err := fn(actx)
	if err != nil && ctx.Err() == nil && errors.Is(actx.Err(), context.DeadlineExceeded) {
		return integration.TimeoutError(r.AttemptTimeout)
	}
	return err
}
