package file

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// TestSyncerPlainFsync: the fallback path (no AIO) syncs and reports a
// closed file.
func TestSyncerPlainFsync(t *testing.T) {
	f, err := os.Create(filepath.Join(t.TempDir(), "out"))
	if err != nil {
		t.Fatal(err)
	}
	s := &syncer{f: f}
	if _, err := f.WriteString("x\n"); err != nil {
		t.Fatal(err)
	}
	if err := s.sync(); err != nil {
		t.Fatal(err)
	}
	s.close()
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	if err := s.sync(); !errors.Is(err, os.ErrClosed) {
		t.Fatalf("sync of a closed file: %v, want os.ErrClosed", err)
	}
}
