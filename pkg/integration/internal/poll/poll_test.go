package poll

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mfn-io/mfn-operator/pkg/integration/clock"
)

func TestRunFixedRateBacklogAndStop(t *testing.T) {
	clk := clock.NewFake(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	stop := make(chan struct{})
	var calls atomic.Int64
	var backlog atomic.Int64
	backlog.Store(2)
	polled := make(chan time.Time, 16)
	done := make(chan error, 1)
	go func() {
		done <- Run(t.Context(), clk, 10*time.Second, stop, func(context.Context) bool {
			calls.Add(1)
			polled <- clk.Now()
			return backlog.Add(-1) >= 0
		})
	}()
	// First poll immediate, then two backlog polls at once, then idle.
	for i := 0; i < 3; i++ {
		if at := <-polled; !at.Equal(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)) {
			t.Fatalf("poll %d at %v", i, at)
		}
	}
	if err := clk.WaitForTimers(t.Context(), 1); err != nil {
		t.Fatal(err)
	}
	// Idle polls run once per interval.
	clk.Advance(9 * time.Second)
	if got := calls.Load(); got != 3 {
		t.Fatalf("%d polls before the interval elapsed", got)
	}
	clk.Advance(time.Second)
	<-polled
	if err := clk.WaitForTimers(t.Context(), 1); err != nil {
		t.Fatal(err)
	}
	// A late clock (35 s jump) gives one poll, not three.
	clk.Advance(35 * time.Second)
	<-polled
	if err := clk.WaitForTimers(t.Context(), 1); err != nil {
		t.Fatal(err)
	}
	if got := calls.Load(); got != 5 {
		t.Fatalf("%d polls, want 5", got)
	}
	close(stop)
	if err := <-done; err != nil {
		t.Fatalf("Run after stop = %v, want nil", err)
	}
}

func TestRunContextEnd(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	err := Run(ctx, clock.NewFake(time.Unix(0, 0)), time.Second, make(chan struct{}), func(context.Context) bool {
		t.Fatal("polled with a cancelled context")
		return false
	})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("Run = %v", err)
	}
}
