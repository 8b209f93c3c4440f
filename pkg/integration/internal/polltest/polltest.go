// Package polltest drives a connector's Consume in tests: it collects the
// messages, waits for a fake-clock poller to go idle and advances it.
package polltest

import (
	"context"
	"testing"
	"time"

	"github.com/mfn-io/mfn-operator/pkg/integration"
	"github.com/mfn-io/mfn-operator/pkg/integration/clock"
)

// Consumer is a connector consuming in the background.
type Consumer struct {
	Out   chan *integration.Message
	Done  chan error
	Clock *clock.Fake // nil for connectors that do not use a fake clock
	// Stop cancels the Consume context (a crash, as far as the source can tell).
	Stop context.CancelFunc
}

// Start runs c.Consume until the test ends, then disconnects c.
func Start(t *testing.T, c integration.Connector, clk *clock.Fake) *Consumer {
	t.Helper()
	ctx, cancel := context.WithCancel(t.Context())
	r := &Consumer{Out: make(chan *integration.Message), Done: make(chan error, 1), Clock: clk, Stop: cancel}
	go func() { r.Done <- c.Consume(ctx, r.Out) }()
	t.Cleanup(func() {
		cancel()
		_ = c.Disconnect(context.WithoutCancel(t.Context()))
	})
	return r
}

// Next returns the next message or fails the test after 20 s or when
// Consume ends.
func (r *Consumer) Next(t *testing.T) *integration.Message {
	t.Helper()
	select {
	case m := <-r.Out:
		return m
	case err := <-r.Done:
		t.Fatalf("consume ended: %v", err)
	case <-time.After(20 * time.Second):
		t.Fatal("no message within 20 s")
	}
	return nil
}

// None fails the test if a message arrives within d.
func (r *Consumer) None(t *testing.T, d time.Duration) {
	t.Helper()
	select {
	case m := <-r.Out:
		t.Fatalf("unexpected message %s %q", m.Position, m.Payload)
	case <-time.After(d):
	}
}

// Idle waits until the poller sleeps on the fake clock, failing the test
// if a message is emitted meanwhile.
func (r *Consumer) Idle(t *testing.T) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	got := make(chan error, 1)
	go func() { got <- r.Clock.WaitForTimers(ctx, 1) }()
	select {
	case m := <-r.Out:
		t.Fatalf("unexpected message %s %q", m.Position, m.Payload)
	case err := <-got:
		if err != nil {
			t.Fatal("poller never went idle")
		}
	}
}

// Tick waits for the poller to sleep and moves the fake clock by d.
func (r *Consumer) Tick(t *testing.T, d time.Duration) {
	t.Helper()
	r.Idle(t)
	r.Clock.Advance(d)
}
