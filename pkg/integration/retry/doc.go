// Package retry runs one logical operation (a connect, a poll, one message
// send) through the attempt loop of INTEGRATION.md §3.1, with the [GO]
// fixes: the circuit breaker is asked before every attempt (not only the
// first), no_retry means exactly one attempt, errors are classified
// (permanent and invalid errors stop at once, cancellation is never retried
// nor counted) and a Retry-After hint overrides the computed delay.
//
// # Delays
//
// Policy.Delay(n) is the wait before retry n (n = 1 for the first retry):
//
//	exponential_backoff  min(I·M^(n−1), C)
//	linear_backoff       min(I·n, C)
//	fixed_delay          I
//	immediate            0
//	no_retry             no retry at all
//
// With RetryJitter j > 0 the wait is drawn uniformly from [d·(1−j), d].
//
// # Running an operation
//
//	r := retry.Retrier{Policy: retry.FromConfig(cfg.RetryConfig), Breaker: b,
//		Hooks: retry.Hooks{OnAttemptFailure: func(int, error) { m.RetryCount.Add(1) }}}
//	res := r.Do(ctx, func(ctx context.Context) error { return send(ctx, msg) })
//	switch res.Reason { case retry.Succeeded, retry.Exhausted, retry.Permanent, retry.BreakerOpen, retry.Cancelled: … }
//
// Result.Err is what the operation should return: the last underlying
// error unchanged after exhaustion or a permanent failure, ErrCircuitOpen
// when the breaker refused, the context's error when cancelled.
package retry
