package file

import (
	"errors"
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"golang.org/x/sys/unix"
)

// TestSyncerAsyncFsync: on Linux the syncer queues the fsync through AIO
// (the context stays in use after a sync), the data is on the file, and a
// closed file gives EBADF from the kernel rather than a silent success.
func TestSyncerAsyncFsync(t *testing.T) {
	path := filepath.Join(t.TempDir(), "out.jsonl")
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	s := newSyncer(f)
	defer s.close()
	if s.async == nil {
		t.Skip("this kernel refuses an AIO context (io_setup); the syncer uses plain fsync, covered by TestSyncerPlainFsync")
	}
	for i := range 50 {
		if _, err := f.WriteString("line\n"); err != nil {
			t.Fatal(err)
		}
		if err := s.sync(); err != nil {
			t.Fatalf("sync %d: %v", i, err)
		}
		if s.async == nil {
			t.Fatalf("sync %d fell back to plain fsync on %s", i, path)
		}
	}
	data, err := os.ReadFile(path)
	if err != nil || len(data) != 50*len("line\n") {
		t.Fatalf("file holds %d bytes (%v), want %d", len(data), err, 50*len("line\n"))
	}

	// A descriptor the kernel refuses for I/O (O_PATH): the kernel's
	// error comes back. (Closing a descriptor behind an os.File's back
	// would leave the File to close a reused number later.)
	g, err := os.OpenFile(path, unix.O_PATH|unix.O_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer g.Close()
	gs := newSyncer(g)
	defer gs.close()
	err = gs.sync()
	if !errors.Is(err, syscall.EBADF) {
		t.Fatalf("sync of an O_PATH descriptor: %v, want EBADF", err)
	}
	if gs.async == nil {
		t.Fatal("EBADF came from the plain fsync fallback, not from io_submit")
	}
	// A closed os.File: the error of os.File, and no request queued.
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	if err := s.sync(); !errors.Is(err, os.ErrClosed) {
		t.Fatalf("sync of a closed file: %v, want os.ErrClosed", err)
	}
}
