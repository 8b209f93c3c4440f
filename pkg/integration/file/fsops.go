package file

import (
	"errors"
	"io/fs"
	"os"
	"syscall"
)

// The file feed makes a few system calls per file (claim, read, move), so
// it uses leaner forms of two os functions; on a virtual machine each
// system call costs microseconds next to a sub-millisecond simulation.

// rename is os.Rename without its lstat(2) of the destination (os.Rename
// first checks whether newname is a directory): one rename(2). Every
// destination here is a file name inside the inbox or one of its
// processing/, processed/ and failed/ directories.
func rename(oldname, newname string) error {
	for {
		err := syscall.Rename(oldname, newname)
		if errors.Is(err, syscall.EINTR) {
			continue
		}
		if err != nil {
			return &os.LinkError{Op: "rename", Old: oldname, New: newname, Err: err}
		}
		return nil
	}
}

// openRead opens name for reading without offering it to the network
// poller: os.Open does that for every file, which on Linux costs two
// fcntl(2) and an epoll_ctl(2) that fails for a regular file.
func openRead(name string) (*os.File, error) {
	for {
		fd, err := syscall.Open(name, syscall.O_RDONLY|syscall.O_CLOEXEC, 0)
		if errors.Is(err, syscall.EINTR) {
			continue
		}
		if err != nil {
			return nil, &fs.PathError{Op: "open", Path: name, Err: err}
		}
		return os.NewFile(uintptr(fd), name), nil
	}
}
