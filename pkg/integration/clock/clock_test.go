package clock

import (
	"context"
	"testing"
	"time"
)

var epoch = time.Date(2025, 12, 4, 12, 0, 0, 0, time.UTC)

func TestFakeTimersFireInOrder(t *testing.T) {
	f := NewFake(epoch)
	a, b := f.NewTimer(2*time.Second), f.NewTimer(time.Second)
	if f.Timers() != 2 {
		t.Fatal(f.Timers())
	}
	f.Advance(999 * time.Millisecond)
	select {
	case <-b.C():
		t.Fatal("fired early")
	default:
	}
	f.Advance(time.Millisecond)
	if got := <-b.C(); !got.Equal(epoch.Add(time.Second)) {
		t.Fatal(got)
	}
	if !a.Stop() || a.Stop() {
		t.Fatal("Stop must report active once")
	}
	f.Advance(time.Hour)
	select {
	case <-a.C():
		t.Fatal("stopped timer fired")
	default:
	}
	if !f.Now().Equal(epoch.Add(time.Hour + time.Second)) {
		t.Fatal(f.Now())
	}
}

func TestSleepWithFakeClock(t *testing.T) {
	f := NewFake(epoch)
	done := make(chan error, 1)
	go func() { done <- Sleep(t.Context(), f, 5*time.Second) }()
	if err := f.WaitForTimers(t.Context(), 1); err != nil {
		t.Fatal(err)
	}
	f.Advance(5 * time.Second)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	go func() { done <- Sleep(ctx, f, time.Second) }()
	_ = f.WaitForTimers(t.Context(), 1)
	cancel()
	if err := <-done; err != context.Canceled {
		t.Fatal(err)
	}
	if f.Timers() != 0 {
		t.Fatal("cancelled sleep left its timer armed")
	}
	if err := Sleep(t.Context(), f, 0); err != nil {
		t.Fatal(err)
	}
}

func TestRealClock(t *testing.T) {
	if err := Sleep(t.Context(), Or(nil), time.Millisecond); err != nil {
		t.Fatal(err)
	}
	a := Real.Now()
	if Real.Now().Before(a) {
		t.Fatal("monotonic")
	}
}
