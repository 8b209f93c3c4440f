package pipeline

import (
	"encoding/binary"
	"os"

	"golang.org/x/sys/unix"
)

// newYielder returns a yielder that parks on an eventfd (see yielder). When
// the eventfd cannot be created (a seccomp profile that forbids it, say) it
// falls back to sleepPark.
//
// The park writes to the eventfd and then waits for it in the network
// poller: the write makes the descriptor readable, which the poller records
// whether the wait starts before or after it, so the event cannot be
// missed; the poll that reports it is the scheduler's own non-blocking one.
// An eventfd is used rather than a timerfd armed to fire at once (the
// previous version): arming a timer programs the host's timer, which on a
// paravirtualised guest cost 22–31 µs a park against 7 µs for the write
// (BenchmarkWorkerYield).
func newYielder() *yielder {
	fd, err := unix.Eventfd(0, unix.EFD_NONBLOCK|unix.EFD_CLOEXEC)
	if err != nil {
		return &yielder{park: sleepPark}
	}
	f := os.NewFile(uintptr(fd), "yield-eventfd") // non-blocking: registered with the poller
	rc, err := f.SyscallConn()
	if err != nil {
		f.Close()
		return &yielder{park: sleepPark}
	}
	var one [8]byte // an eventfd write adds a native-endian uint64
	binary.NativeEndian.PutUint64(one[:], 1)
	var buf [8]byte
	var signalled bool
	var signalErr error
	wait := func(fd uintptr) bool {
		if !signalled {
			// Signal, then park (return false) without reading.
			signalled = true
			_, signalErr = unix.Write(int(fd), one[:])
			return signalErr != nil
		}
		_, err := unix.Read(int(fd), buf[:]) // resets the counter
		return err != unix.EAGAIN
	}
	park := func() {
		signalled, signalErr = false, nil
		if err := rc.Read(wait); err != nil || signalErr != nil {
			sleepPark()
		}
	}
	return &yielder{park: park, stop: func() { f.Close() }}
}
