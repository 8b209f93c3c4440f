package envtestassets

import (
	"fmt"
	"os"
	"path/filepath"
)

// Dir returns the absolute directory holding kube-apiserver and etcd:
// KUBEBUILDER_ASSETS when set, else <repoRoot>/bin/k8s. It fails with an
// error that says how to build them when either binary is missing.
func Dir(repoRoot string) (string, error) {
	dir := os.Getenv("KUBEBUILDER_ASSETS")
	if dir == "" {
		dir = filepath.Join(repoRoot, "bin", "k8s")
	}
	for _, name := range []string{"kube-apiserver", "etcd"} {
		path := filepath.Join(dir, name)
		if _, err := os.Stat(path); err != nil {
			return "", fmt.Errorf("envtest binary %s is missing (%w): run `make envtest` "+
				"(hack/envtest.sh) to build kube-apiserver and etcd into bin/k8s, or set KUBEBUILDER_ASSETS", path, err)
		}
	}
	return filepath.Abs(dir)
}
