package pipeline

import (
	"os"
	"runtime"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/mfn-io/mfn-operator/pkg/integration"
)

// TestYielderPollServesTheNetwork: on one P, a goroutine blocked in the
// network poller (a pipe read) whose data has arrived must run during a
// poll. runtime.Gosched alone would not run it (the scheduler takes the
// yielding goroutine back from the global run queue before it polls), so
// this fails for a yielder that does not poll.
func TestYielderPollServesTheNetwork(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))
	r, w, err := os.Pipe() // non-blocking, in the poller
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	defer w.Close()
	rc, err := w.SyscallConn()
	if err != nil {
		t.Fatal(err)
	}
	var got atomic.Int64
	done := make(chan struct{})
	go func() {
		defer close(done)
		buf := make([]byte, 1)
		for {
			if _, err := r.Read(buf); err != nil {
				return
			}
			got.Add(1)
		}
	}()
	y := newYielder()
	defer y.close()
	const rounds = 200
	late := 0
	for i := range int64(rounds) {
		// Write behind the scheduler's back (no goroutine is woken by a
		// raw write), then spin a little so that only a poll can notice.
		if err := rc.Write(func(fd uintptr) bool {
			_, err := unix.Write(int(fd), []byte{1})
			return err != unix.EAGAIN
		}); err != nil {
			t.Fatal(err)
		}
		for start := time.Now(); time.Since(start) < 20*time.Microsecond; {
		}
		y.poll()
		if got.Load() == i+1 {
			continue
		}
		// On every 61st schedule the scheduler takes the global run queue
		// (where Gosched put the poller) before the local one (where the
		// poll put the reader): the reader then runs at the next poll.
		late++
		y.poll()
		if got.Load() != i+1 {
			t.Fatalf("round %d: the reader ran %d times after two polls, want %d", i, got.Load(), i+1)
		}
	}
	if late > rounds/10 {
		t.Fatalf("the reader waited for a second poll in %d of %d rounds", late, rounds)
	}
	t.Logf("reader late by one poll in %d of %d rounds", late, rounds)
	w.Close()
	<-done
}

func TestYielderDueOncePerInterval(t *testing.T) {
	lastPoll.Store(monoNow() - int64(yieldEvery))
	if !due() {
		t.Fatal("first call: not due")
	}
	if due() {
		t.Fatal("second call right after the first: due again")
	}
	lastPoll.Store(monoNow() - int64(yieldEvery))
	if !due() {
		t.Fatal("a yieldEvery after the last poll: not due")
	}
}

// TestSimProcessorPollsBetweenSteps: the worker's yielder reaches sim.Run
// through the context and is called between steps.
func TestSimProcessorPollsBetweenSteps(t *testing.T) {
	parks := 0
	y := &yielder{park: func() { parks++ }}
	lastPoll.Store(monoNow() - int64(yieldEvery)) // the first check is due
	p := NewSimProcessor(SimConfig{})
	msg := integration.NewMessage("c", "0", []byte(`{"grid_size":16,"steps":10,"seed":1}`), time.Now(), nil)
	if _, err := p.Process(withYielder(t.Context(), y), msg); err != nil {
		t.Fatal(err)
	}
	if parks == 0 {
		t.Fatal("the simulation never called the worker's yielder")
	}
	if _, err := p.Process(t.Context(), msg); err != nil { // no yielder: runs as before
		t.Fatal(err)
	}
}

// BenchmarkWorkerYield: one goroutine per P alternates 1 ms of busy work
// with a park (the worker loop's scheduling point without its rate limit),
// for 1 s per op. "efficiency_pct" is the share of the wall time spent in
// the work; "park_us" the mean time of one park.
func BenchmarkWorkerYield(b *testing.B) {
	for _, c := range []struct {
		name string
		new  func() *yielder
	}{
		{"sleep1us", func() *yielder { return &yielder{park: sleepPark} }},
		{"eventfd", newYielder},
		// No network poll at all: the ceiling a park is measured against.
		{"gosched", func() *yielder { return &yielder{park: runtime.Gosched} }},
	} {
		b.Run(c.name, func(b *testing.B) {
			var eff, park float64
			for b.Loop() {
				e, p := yieldRound(c.new, time.Second)
				eff += e
				park += p
			}
			b.ReportMetric(100*eff/float64(b.N), "efficiency_pct")
			b.ReportMetric(park/float64(b.N), "park_us")
		})
	}
}

// yieldRound runs the workers for d and returns the share of time spent
// working and the mean park in microseconds.
func yieldRound(newY func() *yielder, d time.Duration) (efficiency, parkMicros float64) {
	workers := runtime.GOMAXPROCS(0)
	const work = time.Millisecond
	var sims, parks, parked atomic.Int64
	start := time.Now()
	done := make(chan struct{})
	for range workers {
		go func() {
			defer func() { done <- struct{}{} }()
			y := newY()
			defer y.close()
			for time.Since(start) < d {
				for t := time.Now(); time.Since(t) < work; {
				}
				sims.Add(1)
				t := time.Now()
				y.park()
				parked.Add(int64(time.Since(t)))
				parks.Add(1)
			}
		}()
	}
	for range workers {
		<-done
	}
	wall := time.Since(start)
	efficiency = float64(sims.Load()) * float64(work) / (float64(wall) * float64(workers))
	return efficiency, float64(parked.Load()) / float64(parks.Load()) / 1e3
}
