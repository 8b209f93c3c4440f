package pipeline

import (
	"context"
	"runtime"
	"sync/atomic"
	"time"
)

// yieldEvery is the least time between two network polls by the workers.
// A poll costs about 7 µs on a 2-core VM (a write, the scheduler's epoll
// and a read), so polling after every simulation would cost a seventh of a
// 50 µs grid 16 run; once per millisecond in the process costs under 1 %
// of one core.
const yieldEvery = time.Millisecond

// yielder gives the scheduler a chance to poll the network between two
// simulations of a worker and between the steps of one.
//
// Why: while every P runs a simulation, goroutines made ready by the network
// (a /status request, a broker's answer, a webhook response) are only found
// when a P looks for work with an empty run queue, or by the scheduler
// monitor's network poll every 10 ms. runtime.Gosched does not help: the
// yielding goroutine goes to the global run queue, which the scheduler reads
// before it polls the network. Parking in time.Sleep does reach the poll,
// but when the P finds nothing else to run it sleeps in epoll_wait, whose
// timeout has millisecond resolution: a 1 µs sleep then lasts 1 ms. Two
// goroutines alternating 1 ms of work with such a sleep lost 16–27 % of
// their throughput to it on 2-core VMs, against under 1.5 % with the
// eventfd park (BenchmarkWorkerYield).
//
// On Linux the worker parks instead on an eventfd it has just signalled
// (yield_linux.go): the P's search for work then polls the network without
// blocking, which reports the eventfd together with whatever arrived for
// other goroutines, and the worker wakes within microseconds. A
// runtime.Gosched afterwards lets the goroutines woken by the same poll run
// before the next simulation instead of after it.
type yielder struct {
	park  func() // parks the goroutine through the network poller
	stop  func()
	steps int // simulation steps seen by step
}

// lastPoll is when a worker of this process last parked to poll the
// network, in nanoseconds since clockStart. One poll serves every goroutine
// of the process, so the workers take turns rather than each polling every
// yieldEvery.
var lastPoll atomic.Int64

// clockStart is the origin of lastPoll: time.Since reads only the
// monotonic clock, half the cost of time.Now (54 against 29 ns on a
// kvm-clock guest), and due runs between simulation steps.
var clockStart = time.Now()

// monoNow is the monotonic time since clockStart in nanoseconds.
func monoNow() int64 { return int64(time.Since(clockStart)) }

// due reports whether this worker should poll now, and if so records the
// poll for the process.
func due() bool {
	now := monoNow()
	last := lastPoll.Load()
	return now-last >= int64(yieldEvery) && lastPoll.CompareAndSwap(last, now)
}

// between is the scheduling point between two simulations. It always lets
// the goroutines in the run queues run (runtime.Gosched: the connector
// refilling its channel, the settling and publishing goroutines); when a
// poll is due it polls the network first.
func (y *yielder) between() {
	if due() {
		y.poll()
		return
	}
	runtime.Gosched()
}

// step is the scheduling point between two steps of a simulation
// (sim.RunOptions.BetweenSteps): a poll when one is due, else nothing. It
// keeps the network answered within about yieldEvery however long one
// simulation takes (a grid 256 run takes seconds).
func (y *yielder) step() {
	y.steps++
	if y.steps%stepsPerCheck == 0 && due() {
		y.poll()
	}
}

// stepsPerCheck: step looks at the clock every few steps only. A step takes
// 5 µs at grid 32, so the poll is still at most 20 µs late there, and the
// clock read (about 30 ns) costs a quarter as much.
const stepsPerCheck = 4

// poll parks through the network poller and lets what it woke run. When
// the goroutines woken took a while (a /status request was served, say),
// it polls again, up to maxPolls times, so that the next steps of the same
// exchange (an answer read, the next request written) need not wait for
// the next poll.
func (y *yielder) poll() {
	for range maxPolls {
		start := time.Now()
		y.park()
		runtime.Gosched()
		if time.Since(start) < busyPoll {
			break
		}
	}
	lastPoll.Store(monoNow())
}

const (
	// maxPolls bounds the polls of one yield.
	maxPolls = 3
	// busyPoll: a park and Gosched that took longer ran other goroutines.
	busyPoll = 25 * time.Microsecond
)

// close releases the yielder's file descriptor, if any.
func (y *yielder) close() {
	if y.stop != nil {
		y.stop()
	}
}

// sleepPark is the portable fallback: a short sleep, which reaches the
// network poll but can last a millisecond when the P is otherwise idle.
func sleepPark() { time.Sleep(time.Microsecond) }

type yielderKey struct{}

// withYielder returns ctx carrying the worker's yielder, which the
// simulation processor hands to sim.Run as its BetweenSteps.
func withYielder(ctx context.Context, y *yielder) context.Context {
	return context.WithValue(ctx, yielderKey{}, y)
}

func yielderFrom(ctx context.Context) *yielder {
	y, _ := ctx.Value(yielderKey{}).(*yielder)
	return y
}
