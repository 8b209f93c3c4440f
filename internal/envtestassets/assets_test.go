package envtestassets

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestDir(t *testing.T) {
	root := t.TempDir()
	t.Setenv("KUBEBUILDER_ASSETS", "")
	if _, err := Dir(root); err == nil || !strings.Contains(err.Error(), "make envtest") {
		t.Fatalf("Dir with no binaries: err = %v, want one that says to run make envtest", err)
	}
	k8s := filepath.Join(root, "bin", "k8s")
	if err := os.MkdirAll(k8s, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"kube-apiserver", "etcd"} {
		if err := os.WriteFile(filepath.Join(k8s, name), nil, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	got, err := Dir(root)
	if err != nil || got != k8s {
		t.Fatalf("Dir = %q, %v; want %q", got, err, k8s)
	}
	other := t.TempDir()
	t.Setenv("KUBEBUILDER_ASSETS", other)
	if _, err := Dir(root); err == nil || !strings.Contains(err.Error(), other) {
		t.Fatalf("Dir with an empty KUBEBUILDER_ASSETS dir: err = %v, want one naming %s", err, other)
	}
}
