// Package clock is the time source of the integration layer: a real clock
// backed by the runtime's monotonic time and a fake clock that tests move
// by hand, so retry delays, breaker timeouts, batch timers and poll
// intervals are tested without sleeping.
//
// # Example
//
//	fake := clock.NewFake(time.Date(2025, 12, 4, 12, 0, 0, 0, time.UTC))
//	go worker(fake)                 // calls clock.Sleep(ctx, fake, 5*time.Second)
//	fake.WaitForTimers(ctx, 1)      // the worker is now waiting
//	fake.Advance(5 * time.Second)   // and wakes up
package clock
