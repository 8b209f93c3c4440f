// Package poll is the fixed-rate loop shared by the polling connectors
// (REST and database): the first poll is immediate, the next one starts
// one interval after the previous one started, a late poll does not cause a
// burst of catch-up polls, and a poll that reports a backlog is followed by
// another at once.
package poll

import (
	"context"
	"time"

	"github.com/mfn-io/mfn-operator/pkg/integration/clock"
)

// Run calls once until ctx ends (it returns ctx.Err()) or stop is closed
// (it returns nil). once gets a context that stop also cancels; it reports
// whether more work is waiting (then the next call is immediate).
func Run(ctx context.Context, clk clock.Clock, interval time.Duration, stop <-chan struct{},
	once func(ctx context.Context) (more bool)) error {
	clk = clock.Or(clk)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go func() {
		select {
		case <-stop:
			cancel()
		case <-ctx.Done():
		}
	}()
	next := clk.Now() // when the coming poll is due
	for ctx.Err() == nil {
		if start := clk.Now(); start.After(next) {
			next = start // woke late: the schedule restarts here, no catch-up
		}
		if once(ctx) {
			next = clk.Now()
			continue
		}
		next = next.Add(interval)
		if wait := next.Sub(clk.Now()); wait > 0 && clock.Sleep(ctx, clk, wait) != nil {
			break
		}
	}
	select {
	case <-stop:
		return nil
	default:
		return ctx.Err()
	}
}
