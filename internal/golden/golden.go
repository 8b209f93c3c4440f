package golden

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"testing"
)

// EnvDir is the environment variable that overrides the golden directory.
const EnvDir = "MFN_GOLDEN_DIR"

// Dir returns the golden data directory: $MFN_GOLDEN_DIR if set, otherwise
// <repo root>/../shared/golden, where the repository root is the nearest
// ancestor of the working directory that holds go.mod. It fails t when the
// directory does not exist.
func Dir(t testing.TB) string {
	t.Helper()
	dir := os.Getenv(EnvDir)
	if dir == "" {
		root, err := repoRoot()
		if err != nil {
			t.Fatalf("golden: %v", err)
		}
		dir = filepath.Join(root, "..", "shared", "golden")
	}
	st, err := os.Stat(dir)
	if err != nil {
		t.Fatalf("golden: data directory %s not found (set %s to override): %v", dir, EnvDir, err)
	}
	if !st.IsDir() {
		t.Fatalf("golden: %s is not a directory", dir)
	}
	return dir
}

// Load decodes the JSON file name (relative to Dir) into v, failing t on
// any error.
func Load(t testing.TB, name string, v any) {
	t.Helper()
	path := filepath.Join(Dir(t), name)
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("golden: %v", err)
	}
	if err := json.Unmarshal(data, v); err != nil {
		t.Fatalf("golden: decoding %s: %v", path, err)
	}
}

// repoRoot walks up from the working directory to the directory that holds
// go.mod.
func repoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", fmt.Errorf("no go.mod in any parent of the working directory")
		}
		dir = parent
	}
}
