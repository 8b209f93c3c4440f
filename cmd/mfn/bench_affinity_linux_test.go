package main

import (
	"runtime"

	"golang.org/x/sys/unix"
)

// benchCPUs returns the CPUs the process may run on when there are exactly
// as many as cores (one worker per CPU), else nil.
func benchCPUs() []int {
	var set unix.CPUSet
	if err := unix.SchedGetaffinity(0, &set); err != nil || set.Count() != cores {
		return nil
	}
	var cpus []int
	for c := 0; len(cpus) < cores; c++ {
		if set.IsSet(c) {
			cpus = append(cpus, c)
		}
	}
	return cpus
}

// pinTo runs the calling goroutine on its own thread bound to cpu until
// the returned function is called.
func pinTo(cpu int) (unpin func(), err error) {
	runtime.LockOSThread()
	var old, one unix.CPUSet
	if err := unix.SchedGetaffinity(0, &old); err != nil {
		runtime.UnlockOSThread()
		return nil, err
	}
	one.Set(cpu)
	if err := unix.SchedSetaffinity(0, &one); err != nil {
		runtime.UnlockOSThread()
		return nil, err
	}
	return func() {
		// If the mask cannot be restored the goroutine keeps the thread
		// locked, so no other goroutine ever runs on the pinned thread.
		if unix.SchedSetaffinity(0, &old) == nil {
			runtime.UnlockOSThread()
		}
	}, nil
}
