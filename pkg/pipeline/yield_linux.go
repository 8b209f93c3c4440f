package pipeline

import (
	"os"

	"golang.org/x/sys/unix"
)

// newYielder returns a yielder that parks on a timerfd (see yielder). When
// the timerfd cannot be created (a seccomp profile that forbids it, say) it
// falls back to sleepPark.
func newYielder() *yielder {
	fd, err := unix.TimerfdCreate(unix.CLOCK_MONOTONIC, unix.TFD_NONBLOCK|unix.TFD_CLOEXEC)
	if err != nil {
		return &yielder{park: sleepPark}
	}
	f := os.NewFile(uintptr(fd), "yield-timerfd") // non-blocking: registered with the poller
	rc, err := f.SyscallConn()
	if err != nil {
		f.Close()
		return &yielder{park: sleepPark}
	}
	// Fire 1 ns after arming: the event is queued in epoll at once, and the
	// poll that finds it is the scheduler's own non-blocking one.
	spec := unix.ItimerSpec{Value: unix.Timespec{Nsec: 1}}
	var buf [8]byte
	var armed bool
	var armErr error
	wait := func(fd uintptr) bool {
		if !armed {
			// Arm, then park (return false) without reading: the event
			// cannot be missed, since readiness is recorded by the poller
			// whether it fires before or after the park.
			armed = true
			armErr = unix.TimerfdSettime(int(fd), 0, &spec, nil)
			return armErr != nil
		}
		_, err := unix.Read(int(fd), buf[:])
		return err != unix.EAGAIN
	}
	park := func() {
		armed, armErr = false, nil
		if err := rc.Read(wait); err != nil || armErr != nil {
			sleepPark()
		}
	}
	return &yielder{park: park, stop: func() { f.Close() }}
}
