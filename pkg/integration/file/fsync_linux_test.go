package file

import (
	"errors"
	"os"
	"path/filepath"
	"syscall"
	"testing"
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

	// A descriptor the kernel no longer knows: the error comes back.
	g, err := os.OpenFile(filepath.Join(t.TempDir(), "x"), os.O_WRONLY|os.O_CREATE, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	gs := newSyncer(g)
	defer gs.close()
	fd := int(g.Fd())
	if err := syscall.Close(fd); err != nil { // behind os.File's back
		t.Fatal(err)
	}
	err = gs.sync()
	if !errors.Is(err, syscall.EBADF) {
		t.Fatalf("sync of a closed descriptor: %v, want EBADF", err)
	}
	// A closed os.File: the error of os.File, and no request queued.
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	if err := s.sync(); !errors.Is(err, os.ErrClosed) {
		t.Fatalf("sync of a closed file: %v, want os.ErrClosed", err)
	}
}
