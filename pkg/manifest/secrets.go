package manifest

import (
	"fmt"
	"os"

	corev1 "k8s.io/api/core/v1"
)

// SecretResolver returns the value of one key of a Secret.
type SecretResolver interface {
	// Secret returns the value selected by ref. A missing Secret or key is an
	// error naming both, unless ref.Optional is true (then "" and nil).
	Secret(ref corev1.SecretKeySelector) (string, error)
}

// EnvSecrets resolves references from environment variables named by
// [SecretEnvName], as set on a worker pod by the operator.
type EnvSecrets struct {
	// Lookup reads a variable; nil means os.LookupEnv.
	Lookup func(name string) (string, bool)
}

// Secret implements SecretResolver.
func (e EnvSecrets) Secret(ref corev1.SecretKeySelector) (string, error) {
	lookup := e.Lookup
	if lookup == nil {
		lookup = os.LookupEnv
	}
	env := SecretEnvName(ref.Name, ref.Key)
	if v, ok := lookup(env); ok {
		return v, nil
	}
	if optional(ref) {
		return "", nil
	}
	return "", fmt.Errorf("secret %q key %q: environment variable %s is not set", ref.Name, ref.Key, env)
}

// LocalSecrets resolves references from the Secret manifests of a [Set]
// (stringData, then base64 data), for `mfn run`.
type LocalSecrets map[string]*corev1.Secret

// Secret implements SecretResolver.
func (l LocalSecrets) Secret(ref corev1.SecretKeySelector) (string, error) {
	s, ok := l[ref.Name]
	if !ok {
		if optional(ref) {
			return "", nil
		}
		return "", fmt.Errorf("Secret %q not found in the manifests (needed for key %q)", ref.Name, ref.Key)
	}
	if v, ok := s.StringData[ref.Key]; ok {
		return v, nil
	}
	if v, ok := s.Data[ref.Key]; ok {
		return string(v), nil
	}
	if optional(ref) {
		return "", nil
	}
	return "", fmt.Errorf("Secret %q has no key %q", ref.Name, ref.Key)
}

func optional(ref corev1.SecretKeySelector) bool { return ref.Optional != nil && *ref.Optional }
