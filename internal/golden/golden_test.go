package golden

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"
)

// fatalRecorder is a testing.TB that records Fatalf instead of stopping the
// test, so the failure paths of Dir and Load can be checked.
type fatalRecorder struct {
	testing.TB
	msg string
}

func (f *fatalRecorder) Helper() {}

func (f *fatalRecorder) Fatalf(format string, args ...any) {
	f.msg = fmt.Sprintf(format, args...)
	// Stop the caller like t.Fatalf does.
	panic(f)
}

func catchFatal(t *testing.T, fn func(tb testing.TB)) string {
	t.Helper()
	rec := &fatalRecorder{TB: t}
	func() {
		defer func() {
			if r := recover(); r != nil && r != rec {
				panic(r)
			}
		}()
		fn(rec)
	}()
	return rec.msg
}

func TestDirOverride(t *testing.T) {
	dir := t.TempDir()
	t.Setenv(EnvDir, dir)
	if got := Dir(t); got != dir {
		t.Fatalf("Dir = %q, want %q", got, dir)
	}
}

func TestDirDefaultIsBesideRepo(t *testing.T) {
	t.Setenv(EnvDir, "")
	root, err := repoRoot()
	if err != nil {
		t.Fatal(err)
	}
	want := filepath.Join(root, "..", "shared", "golden")
	if _, err := os.Stat(want); err != nil {
		msg := catchFatal(t, func(tb testing.TB) { Dir(tb) })
		if msg == "" {
			t.Fatalf("Dir did not fail although %s is missing", want)
		}
		return
	}
	if got := Dir(t); got != want {
		t.Fatalf("Dir = %q, want %q", got, want)
	}
}

func TestDirMissingFails(t *testing.T) {
	t.Setenv(EnvDir, filepath.Join(t.TempDir(), "absent"))
	msg := catchFatal(t, func(tb testing.TB) { Dir(tb) })
	if msg == "" {
		t.Fatal("Dir did not fail for a missing directory")
	}
}

func TestLoad(t *testing.T) {
	dir := t.TempDir()
	t.Setenv(EnvDir, dir)
	if err := os.WriteFile(filepath.Join(dir, "x.json"), []byte(`{"a": [1.5, 2]}`), 0o600); err != nil {
		t.Fatal(err)
	}
	var v struct{ A []float64 }
	Load(t, "x.json", &v)
	if len(v.A) != 2 || v.A[0] != 1.5 || v.A[1] != 2 {
		t.Fatalf("Load decoded %+v", v)
	}
	if msg := catchFatal(t, func(tb testing.TB) { Load(tb, "missing.json", &v) }); msg == "" {
		t.Fatal("Load did not fail for a missing file")
	}
	if err := os.WriteFile(filepath.Join(dir, "bad.json"), []byte(`{`), 0o600); err != nil {
		t.Fatal(err)
	}
	if msg := catchFatal(t, func(tb testing.TB) { Load(tb, "bad.json", &v) }); msg == "" {
		t.Fatal("Load did not fail for malformed JSON")
	}
}
