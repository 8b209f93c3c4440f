package file

import (
	"errors"
	"os"
	"syscall"
	"unsafe"

	"golang.org/x/sys/unix"
)

// Linux native AIO (io_setup(2), io_submit(2), io_getevents(2)); since
// Linux 4.18 an IOCB_CMD_FSYNC is queued to a kernel worker and io_submit
// returns at once. The completion is signalled on an eventfd
// (IOCB_FLAG_RESFD), which the network poller watches.
const (
	iocbCmdFsync  = 2
	iocbFlagResfd = 1
)

// iocb is struct iocb of <linux/aio_abi.h> on a little-endian 64-bit
// machine (aio_key before aio_rw_flags).
type iocb struct {
	data      uint64
	key       uint32
	rwFlags   int32
	opcode    uint16
	reqprio   int16
	fildes    uint32
	buf       uint64
	nbytes    uint64
	offset    int64
	reserved2 uint64
	flags     uint32
	resfd     uint32
}

// ioEvent is struct io_event.
type ioEvent struct {
	data uint64
	obj  uint64
	res  int64
	res2 int64
}

// aioSync is one AIO context with one request slot and its eventfd.
type aioSync struct {
	ctx   uintptr
	event *os.File // the eventfd, non-blocking, in the network poller
	efd   int
	cb    iocb
	cbs   [1]uintptr // io_submit's array of iocb pointers: &cb
	ev    ioEvent
	buf   [8]byte
}

// newAIOSync returns nil when the kernel refuses an AIO context or an
// eventfd.
func newAIOSync() *aioSync {
	if unsafe.Sizeof(iocb{}) != 64 || unsafe.Sizeof(ioEvent{}) != 32 {
		return nil // not the layout this file describes
	}
	a := &aioSync{}
	if _, _, e := unix.Syscall(unix.SYS_IO_SETUP, 1, uintptr(unsafe.Pointer(&a.ctx)), 0); e != 0 {
		return nil
	}
	efd, err := unix.Eventfd(0, unix.EFD_NONBLOCK|unix.EFD_CLOEXEC)
	if err != nil {
		unix.Syscall(unix.SYS_IO_DESTROY, a.ctx, 0, 0)
		return nil
	}
	a.efd = efd
	a.event = os.NewFile(uintptr(efd), "fsync-eventfd")
	a.cbs[0] = uintptr(unsafe.Pointer(&a.cb))
	return a
}

// fsync fsyncs f and waits for the result with the goroutine parked. ok
// is false when the request could not be queued at all (EINVAL: this file
// system has no asynchronous fsync); the caller then uses a plain fsync.
func (a *aioSync) fsync(f *os.File) (err error, ok bool) {
	rc, err := f.SyscallConn()
	if err != nil {
		return nil, false
	}
	var submitErr syscall.Errno
	cerr := rc.Control(func(fd uintptr) {
		a.cb = iocb{opcode: iocbCmdFsync, fildes: uint32(fd), flags: iocbFlagResfd, resfd: uint32(a.efd)}
		for {
			_, _, e := unix.Syscall(unix.SYS_IO_SUBMIT, a.ctx, 1, uintptr(unsafe.Pointer(&a.cbs[0])))
			if e != unix.EINTR {
				submitErr = e
				return
			}
		}
	})
	switch {
	case cerr != nil:
		return f.Sync(), true // f is closed: os.File's own error
	case submitErr == unix.EINVAL || submitErr == unix.ENOSYS || submitErr == unix.EAGAIN:
		return nil, false
	case submitErr != 0:
		return &os.PathError{Op: "fsync", Path: f.Name(), Err: submitErr}, true
	}
	// Queued: wait for the completion without holding the P. The read
	// parks in the poller until the eventfd fires; should it fail, the
	// request is still queued and io_getevents waits for it in the kernel.
	_, rerr := a.event.Read(a.buf[:])
	for {
		var zero unix.Timespec
		timeout := uintptr(unsafe.Pointer(&zero)) // the eventfd fired: do not wait
		if rerr != nil {
			timeout = 0 // NULL: wait
		}
		n, _, e := unix.Syscall6(unix.SYS_IO_GETEVENTS, a.ctx, 1, 1, uintptr(unsafe.Pointer(&a.ev)), timeout, 0)
		switch {
		case e == unix.EINTR:
			continue
		case e != 0:
			return &os.PathError{Op: "fsync", Path: f.Name(), Err: e}, true
		case n == 0:
			rerr = errors.New("no event yet") // wait in the kernel
			continue
		}
		break
	}
	if a.ev.res < 0 {
		return &os.PathError{Op: "fsync", Path: f.Name(), Err: syscall.Errno(-a.ev.res)}, true
	}
	return nil, true
}

// close destroys the context and closes the eventfd in the background:
// io_destroy(2) waits for an RCU grace period, about 30 ms here, which a
// pipeline's shutdown need not wait for. No request is queued at close
// (fsync waits for its completion), so nothing can still write to a.ev.
func (a *aioSync) close() {
	go func() {
		unix.Syscall(unix.SYS_IO_DESTROY, a.ctx, 0, 0)
		a.event.Close()
	}()
}
