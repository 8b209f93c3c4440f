// Package breaker is the circuit breaker of INTEGRATION.md §4.2: closed,
// open and half-open states, consecutive-failure counting per attempt, a
// single half-open probe, a monotonic (injectable) clock, a time-aware
// IsOpen for health checks and the ErrCircuitOpen sentinel whose text is
// exactly "Circuit breaker is open".
//
// # Guarding an operation
//
//	p, err := b.Allow()
//	if err != nil {
//		return err // errors.Is(err, breaker.ErrCircuitOpen)
//	}
//	if err := op(ctx); err != nil {
//		p.Failure() // or p.Ignore() for errors that do not count
//		return err
//	}
//	p.Success()
//
// A permit from an earlier state generation (granted before the breaker
// changed state) is ignored when it reports back, so a slow request that
// started before the breaker opened cannot close it.
//
// # Manual control
//
// RecordSuccess (alias Reset) closes the breaker and zeroes the failure
// count (the SEED's troubleshooting step); RecordFailure counts one failure
// as if an attempt had failed.
package breaker
