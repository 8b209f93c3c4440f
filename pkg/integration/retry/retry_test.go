package retry

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/mfn-io/mfn-operator/pkg/integration"
	"github.com/mfn-io/mfn-operator/pkg/integration/breaker"
	"github.com/mfn-io/mfn-operator/pkg/integration/clock"
)

var epoch = time.Date(2025, 12, 4, 12, 0, 0, 0, time.UTC)

func policy(s integration.RetryStrategy) Policy {
	return FromConfig(integration.RetryConfig{RetryStrategy: s})
}

// Appendix A (defaults I = 1 s, M = 2, C = 60 s).
func TestAppendixADelayTable(t *testing.T) {
	table := map[integration.RetryStrategy][]float64{
		integration.RetryExponentialBackoff: {1, 2, 4, 8, 16, 32, 60},
		integration.RetryLinearBackoff:      {1, 2, 3, 4, 5, 6, 7},
		integration.RetryFixedDelay:         {1, 1, 1, 1, 1, 1, 1},
		integration.RetryImmediate:          {0, 0, 0, 0, 0, 0, 0},
	}
	for s, want := range table {
		p := policy(s)
		for i, w := range want {
			if got := p.Delay(i + 1); got != time.Duration(w*float64(time.Second)) {
				t.Errorf("%s retry %d: %v, want %vs", s, i+1, got, w)
			}
		}
	}
	if policy(integration.RetryNone).Attempts() != 1 {
		t.Fatal("no_retry must make exactly one attempt")
	}
	// Total sleep with max_retries = 3: exponential 7 s, linear 6 s, fixed 3 s, immediate 0.
	totals := map[integration.RetryStrategy]time.Duration{
		integration.RetryExponentialBackoff: 7 * time.Second,
		integration.RetryLinearBackoff:      6 * time.Second,
		integration.RetryFixedDelay:         3 * time.Second,
		integration.RetryImmediate:          0,
	}
	for s, want := range totals {
		if got := runAlwaysFailing(t, policy(s)); got != want {
			t.Errorf("%s total sleep %v, want %v", s, got, want)
		}
	}
}

func TestDelayFormulas(t *testing.T) {
	p := FromConfig(integration.RetryConfig{BackoffMultiplier: 3})
	for n, w := range []time.Duration{1, 3, 9} {
		if got := p.Delay(n + 1); got != w*time.Second {
			t.Fatalf("M=3 retry %d: %v", n+1, got)
		}
	}
	if got := policy(integration.RetryExponentialBackoff).Delay(10); got != 60*time.Second {
		t.Fatalf("retry 10 capped: %v", got)
	}
	if got := policy(integration.RetryExponentialBackoff).Delay(5000); got != 60*time.Second {
		t.Fatalf("overflowing exponent must cap: %v", got)
	}
	lin := FromConfig(integration.RetryConfig{RetryStrategy: integration.RetryLinearBackoff, InitialRetryDelay: 2 * time.Second})
	for n, w := range []time.Duration{2, 4, 6} {
		if got := lin.Delay(n + 1); got != w*time.Second {
			t.Fatalf("linear I=2 retry %d: %v", n+1, got)
		}
	}
	fixed := FromConfig(integration.RetryConfig{RetryStrategy: integration.RetryFixedDelay, InitialRetryDelay: 3 * time.Second})
	if fixed.Delay(1) != 3*time.Second || fixed.Delay(3) != 3*time.Second {
		t.Fatal("fixed delay")
	}
}

// runAlwaysFailing runs an always failing operation under p with a fake
// clock and returns the total time slept.
func runAlwaysFailing(t *testing.T, p Policy) time.Duration {
	t.Helper()
	fake := clock.NewFake(epoch)
	r := &Retrier{Policy: p, Clock: fake}
	done := make(chan Result, 1)
	go func() { done <- r.Do(t.Context(), func(context.Context) error { return errors.New("down") }) }()
	for {
		select {
		case res := <-done:
			if res.Reason != Exhausted {
				t.Fatalf("reason %v", res.Reason)
			}
			return fake.Now().Sub(epoch)
		default:
		}
		ctx, cancel := context.WithTimeout(t.Context(), 10*time.Millisecond)
		if fake.WaitForTimers(ctx, 1) == nil {
			fake.Advance(time.Second) // every table delay is a whole second
		}
		cancel()
	}
}

type counter struct {
	mu                     sync.Mutex
	calls, failed, retries int
	delays                 []time.Duration
	rejected               int
}

func (c *counter) hooks() Hooks {
	return Hooks{
		OnAttemptFailure: func(int, error) { c.mu.Lock(); c.failed++; c.mu.Unlock() },
		OnRetry: func(_ int, d time.Duration, _ error) {
			c.mu.Lock()
			c.retries++
			c.delays = append(c.delays, d)
			c.mu.Unlock()
		},
		OnRejected: func() { c.mu.Lock(); c.rejected++; c.mu.Unlock() },
	}
}

func immediate(maxRetries int) Policy {
	return Policy{Strategy: integration.RetryImmediate, MaxRetries: maxRetries}
}

func TestCounting(t *testing.T) {
	// max_retries=3, always failing → 4 attempts, retry_count 4, last error unchanged.
	c := &counter{}
	errDown := errors.New("Network error")
	r := &Retrier{Policy: immediate(3), Hooks: c.hooks()}
	res := r.Do(t.Context(), func(context.Context) error { c.calls++; return errDown })
	if res.Reason != Exhausted || res.Attempts != 4 || c.calls != 4 || c.failed != 4 || c.retries != 3 || res.Err != errDown {
		t.Fatalf("%+v calls=%d failed=%d retries=%d", res, c.calls, c.failed, c.retries)
	}
	// Two failures then success → retry_count 2.
	c = &counter{}
	r.Hooks = c.hooks()
	res = r.Do(t.Context(), func(context.Context) error {
		c.calls++
		if c.calls <= 2 {
			return errDown
		}
		return nil
	})
	if res.Reason != Succeeded || res.Err != nil || c.failed != 2 || res.Attempts != 3 || res.LastErr != errDown {
		t.Fatalf("%+v failed=%d", res, c.failed)
	}
	// no_retry: exactly one attempt whatever max_retries says.
	c = &counter{}
	r = &Retrier{Policy: Policy{Strategy: integration.RetryNone, MaxRetries: 3}, Hooks: c.hooks()}
	res = r.Do(t.Context(), func(context.Context) error { c.calls++; return errDown })
	if c.calls != 1 || c.failed != 1 || res.Reason != Exhausted {
		t.Fatalf("no_retry: calls=%d %+v", c.calls, res)
	}
}

func TestPermanentStopsAtOnce(t *testing.T) {
	c := &counter{}
	b := breaker.New(breaker.Config{Threshold: 1})
	r := &Retrier{Policy: immediate(5), Breaker: b, Hooks: c.hooks()}
	perm := integration.Permanent(errors.New("HTTP 404"))
	res := r.Do(t.Context(), func(context.Context) error { c.calls++; return perm })
	if res.Reason != Permanent || c.calls != 1 || c.failed != 1 || res.Err != perm {
		t.Fatalf("%+v calls=%d", res, c.calls)
	}
	if !b.IsOpen() {
		t.Fatal("endpoint-level permanent errors count for the breaker")
	}
	b.Reset()
	res = r.Do(t.Context(), func(context.Context) error { return integration.Invalid(errors.New("NaN")) })
	if res.Reason != Permanent || b.Counts().ConsecutiveFailures != 0 {
		t.Fatalf("invalid message errors must not count for the breaker: %+v %+v", res, b.Counts())
	}
	// A custom predicate (at_most_once) stops on an ambiguous failure.
	c = &counter{}
	r = &Retrier{Policy: immediate(5), Retryable: integration.SafeToResend, Hooks: c.hooks()}
	res = r.Do(t.Context(), func(context.Context) error {
		c.calls++
		if c.calls == 1 {
			return integration.NotSent(errors.New("refused"))
		}
		return errors.New("reset mid-request")
	})
	if res.Reason != Permanent || c.calls != 2 {
		t.Fatalf("at_most_once predicate: %+v calls=%d", res, c.calls)
	}
}

func TestBreakerRecheckedBeforeEveryRetry(t *testing.T) {
	c := &counter{}
	b := breaker.New(breaker.Config{Threshold: 2, Timeout: time.Minute})
	r := &Retrier{Policy: immediate(5), Breaker: b, Hooks: c.hooks()}
	errDown := errors.New("down")
	res := r.Do(t.Context(), func(context.Context) error { c.calls++; return errDown })
	if res.Reason != BreakerOpen || c.calls != 2 || res.Attempts != 2 || c.rejected != 1 {
		t.Fatalf("%+v calls=%d rejected=%d", res, c.calls, c.rejected)
	}
	if !errors.Is(res.Err, breaker.ErrCircuitOpen) || res.LastErr != errDown {
		t.Fatalf("err=%v last=%v", res.Err, res.LastErr)
	}
	// Refused before the first attempt.
	c = &counter{}
	r.Hooks = c.hooks()
	res = r.Do(t.Context(), func(context.Context) error { c.calls++; return nil })
	if res.Reason != BreakerOpen || res.Attempts != 0 || c.calls != 0 || res.Err.Error() != "Circuit breaker is open" {
		t.Fatalf("%+v", res)
	}
}

func TestCancellationNeverRetriedNorCounted(t *testing.T) {
	c := &counter{}
	b := breaker.New(breaker.Config{Threshold: 1})
	ctx, cancel := context.WithCancel(t.Context())
	r := &Retrier{Policy: immediate(5), Breaker: b, Hooks: c.hooks()}
	res := r.Do(ctx, func(context.Context) error { c.calls++; cancel(); return errors.New("interrupted") })
	if res.Reason != Cancelled || c.calls != 1 || c.failed != 0 || !errors.Is(res.Err, context.Canceled) {
		t.Fatalf("%+v calls=%d failed=%d", res, c.calls, c.failed)
	}
	if b.Counts().Failures != 0 || b.State() != breaker.Closed {
		t.Fatal("cancellation counted by the breaker")
	}
	// Cancelled while waiting between attempts.
	fake := clock.NewFake(epoch)
	ctx, cancel = context.WithCancel(t.Context())
	r = &Retrier{Policy: policy(integration.RetryExponentialBackoff), Clock: fake}
	done := make(chan Result, 1)
	go func() { done <- r.Do(ctx, func(context.Context) error { return errors.New("down") }) }()
	_ = fake.WaitForTimers(t.Context(), 1)
	cancel()
	if res := <-done; res.Reason != Cancelled || res.Attempts != 1 {
		t.Fatalf("%+v", res)
	}
	if res := r.Do(ctx, func(context.Context) error { t.Fatal("called"); return nil }); res.Reason != Cancelled || res.Attempts != 0 {
		t.Fatalf("%+v", res)
	}
}

func TestRetryAfterOverridesAndIsCapped(t *testing.T) {
	fake := clock.NewFake(epoch)
	c := &counter{}
	r := &Retrier{Policy: FromConfig(integration.RetryConfig{MaxRetryDelay: 10 * time.Second}), Clock: fake, Hooks: c.hooks()}
	calls := 0
	done := make(chan Result, 1)
	go func() {
		done <- r.Do(t.Context(), func(context.Context) error {
			calls++
			switch calls {
			case 1:
				return integration.RetryAfter(errors.New("429"), 7*time.Second)
			case 2:
				return integration.RetryAfter(errors.New("503"), time.Hour)
			}
			return nil
		})
	}()
	for range 2 {
		_ = fake.WaitForTimers(t.Context(), 1)
		fake.Advance(10 * time.Second)
	}
	if res := <-done; res.Reason != Succeeded {
		t.Fatal(res)
	}
	if len(c.delays) != 2 || c.delays[0] != 7*time.Second || c.delays[1] != 10*time.Second {
		t.Fatalf("delays %v, want [7s 10s]", c.delays)
	}
}

func TestJitter(t *testing.T) {
	p := FromConfig(integration.RetryConfig{RetryJitter: 0.5})
	for _, u := range []float64{0, 0.5, 0.999} {
		r := &Retrier{Policy: p, Rand: func() float64 { return u }}
		got := r.delay(3, errors.New("x")) // d = 4 s
		want := time.Duration(4 * float64(time.Second) * (1 - 0.5*u))
		if got != want || got < 2*time.Second || got > 4*time.Second {
			t.Fatalf("u=%v: %v, want %v within [2s, 4s]", u, got, want)
		}
	}
	r := &Retrier{Policy: policy(integration.RetryExponentialBackoff), Rand: func() float64 { t.Fatal("rand used without jitter"); return 0 }}
	if r.delay(2, errors.New("x")) != 2*time.Second {
		t.Fatal("no jitter by default")
	}
}

func TestAttemptTimeout(t *testing.T) {
	r := &Retrier{Policy: immediate(1), AttemptTimeout: 5 * time.Millisecond}
	calls := 0
	res := r.Do(t.Context(), func(ctx context.Context) error { calls++; <-ctx.Done(); return ctx.Err() })
	if res.Reason != Exhausted || calls != 2 || res.Err.Error() != "Connection timeout after 0.005s" {
		t.Fatalf("%+v calls=%d", res, calls)
	}
	if Reason(0).String() != "succeeded" || BreakerOpen.String() != "breaker_open" {
		t.Fatal("reason strings")
	}
}
