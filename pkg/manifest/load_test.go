package manifest

import (
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"

	"github.com/mfn-io/mfn-operator/pkg/integration"
)

const pipelineYAML = `
# A comment-only document before the first separator.
---
apiVersion: mfn.mycelium.io/v1alpha1
kind: MFNPipeline
metadata:
  name: demo
spec:
  connectorRef: {name: params}
  publisherRefs: [{name: results}]
  deadLetterPublisherRef: {name: dlq}
  concurrency: 3
  simulation:
    gridSize: 32
    steps: 16
    alpha: "0.2"
    boundaryCondition: neumann
    seed: 7
  limits: {maxGridSize: 128, maxSteps: 500}
---
apiVersion: mfn.mycelium.io/v1alpha1
kind: Connector
metadata: {name: params}
spec:
  type: file
  maxRetries: 0
  file: {directory: /tmp/in}
--- # results
apiVersion: mfn.mycelium.io/v1alpha1
kind: Publisher
metadata: {name: results}
spec:
  type: jsonl
  batchSize: 10
  deliveryGuarantee: at_most_once
  circuitBreakerTimeout: 2s
  jsonl: {directory: /tmp/out}
---
apiVersion: mfn.mycelium.io/v1alpha1
kind: Publisher
metadata: {name: dlq}
spec:
  type: jsonl
  jsonl: {directory: /tmp/dlq}
---
apiVersion: v1
kind: Secret
metadata: {name: creds}
stringData: {hmac: s3cret}
data: {token: dG9rZW4=}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: unrelated}
`

func TestLoadResolveAndTranslate(t *testing.T) {
	s := NewSet()
	if err := s.Add([]byte(pipelineYAML), "demo.yaml"); err != nil {
		t.Fatal(err)
	}
	if len(s.Skipped) != 1 || !strings.Contains(s.Skipped[0], "ConfigMap unrelated") {
		t.Errorf("Skipped = %q", s.Skipped)
	}
	r, err := s.Resolve("")
	if err != nil {
		t.Fatal(err)
	}
	if r.Connector.Name != "params" || len(r.Publishers) != 1 || r.Publishers[0].Name != "results" || r.DeadLetter.Name != "dlq" {
		t.Fatalf("resolved = %+v", r)
	}
	p, lim, err := Simulation(&r.Pipeline.Spec)
	if err != nil {
		t.Fatal(err)
	}
	if p.GridSize != 32 || p.Steps != 16 || p.Alpha != 0.2 || p.BoundaryCondition != "neumann" || *p.Seed != 7 || !p.TuringEnabled {
		t.Errorf("params = %+v", p)
	}
	if lim.MaxGridSize != 128 || lim.MaxSteps != 500 {
		t.Errorf("limits = %+v", lim)
	}
	cc, err := ConnectorConfig(&r.Connector.Spec)
	if err != nil {
		t.Fatal(err)
	}
	if cc.RetryStrategy != integration.RetryNone {
		t.Errorf("maxRetries 0 gave strategy %q, want no_retry", cc.RetryStrategy)
	}
	pc, err := PublisherConfig(&r.Publishers[0].Spec)
	if err != nil {
		t.Fatal(err)
	}
	if pc.BatchSize != 10 || pc.DeliveryGuarantee != integration.AtMostOnce || pc.CircuitBreakerTimeout.Seconds() != 2 {
		t.Errorf("publisher config = %+v", pc)
	}
	sec := LocalSecrets(s.Secrets)
	if v, err := sec.Secret(corev1.SecretKeySelector{LocalObjectReference: corev1.LocalObjectReference{Name: "creds"}, Key: "hmac"}); err != nil || v != "s3cret" {
		t.Errorf("stringData secret = %q, %v", v, err)
	}
	if v, err := sec.Secret(corev1.SecretKeySelector{LocalObjectReference: corev1.LocalObjectReference{Name: "creds"}, Key: "token"}); err != nil || v != "token" {
		t.Errorf("base64 data secret = %q, %v", v, err)
	}
}

func TestLoadErrorsNameTheProblem(t *testing.T) {
	tests := []struct {
		name, yaml, want string
	}{
		{"unknown field", "apiVersion: mfn.mycelium.io/v1alpha1\nkind: Connector\nmetadata: {name: c}\nspec: {type: file, directry: x}\n",
			`unknown field "spec.directry"`},
		{"wrong apiVersion", "apiVersion: mfn.mycelium.io/v1\nkind: Publisher\nmetadata: {name: p}\n",
			`Publisher "p": apiVersion must be mfn.mycelium.io/v1alpha1`},
		{"no name", "apiVersion: v1\nkind: Secret\nmetadata: {}\n", "Secret: metadata.name is required"},
		{"duplicate", "apiVersion: v1\nkind: Secret\nmetadata: {name: a}\n---\napiVersion: v1\nkind: Secret\nmetadata: {name: a}\n",
			`x.yaml#2: Secret "a" is already defined in x.yaml#1`},
		{"bad yaml", "kind: [\n", "x.yaml#1"},
	}
	for _, tt := range tests {
		err := NewSet().Add([]byte(tt.yaml), "x.yaml")
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: error = %v, want it to contain %q", tt.name, err, tt.want)
		}
	}
}

func TestResolveErrorsNameTheMissingObject(t *testing.T) {
	base := strings.Split(pipelineYAML, "---")
	without := func(kindName string) string {
		var keep []string
		for _, d := range base {
			if !strings.Contains(d, kindName) {
				keep = append(keep, d)
			}
		}
		return strings.Join(keep, "---")
	}
	tests := []struct{ drop, want string }{
		{"metadata: {name: params}", `spec.connectorRef: Connector "params" not found (no Connector is defined)`},
		{"metadata: {name: results}", `spec.publisherRefs[0]: Publisher "results" not found (defined: dlq)`},
		{"metadata: {name: dlq}", `spec.deadLetterPublisherRef: Publisher "dlq" not found (defined: results)`},
		{"name: demo", "no MFNPipeline found"},
	}
	for _, tt := range tests {
		s := NewSet()
		if err := s.Add([]byte(without(tt.drop)), "demo.yaml"); err != nil {
			t.Fatal(err)
		}
		_, err := s.Resolve("")
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("without %s: error = %v, want %q", tt.drop, err, tt.want)
		}
	}
	s := NewSet()
	_ = s.Add([]byte(pipelineYAML), "demo.yaml")
	if _, err := s.Resolve("other"); err == nil || !strings.Contains(err.Error(), `MFNPipeline "other" not found (defined: demo)`) {
		t.Errorf("Resolve(other) = %v", err)
	}
}

func TestSimulationDefaultsAreValidated(t *testing.T) {
	s := NewSet()
	bad := strings.Replace(pipelineYAML, "gridSize: 32", "gridSize: 256", 1)
	if err := s.Add([]byte(bad), "demo.yaml"); err != nil {
		t.Fatal(err)
	}
	r, err := s.Resolve("demo")
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := Simulation(&r.Pipeline.Spec); err == nil || !strings.Contains(err.Error(), "grid_size") {
		t.Errorf("grid 256 over limit 128: error = %v", err)
	}
}

func TestEnvSecrets(t *testing.T) {
	env := map[string]string{SecretEnvName("creds", "hmac"): "from-env"}
	e := EnvSecrets{Lookup: func(k string) (string, bool) { v, ok := env[k]; return v, ok }}
	ref := corev1.SecretKeySelector{LocalObjectReference: corev1.LocalObjectReference{Name: "creds"}, Key: "hmac"}
	if v, err := e.Secret(ref); err != nil || v != "from-env" {
		t.Errorf("Secret = %q, %v", v, err)
	}
	ref.Key = "other"
	if _, err := e.Secret(ref); err == nil || !strings.Contains(err.Error(), "MFN_SECRET_CREDS__OTHER is not set") {
		t.Errorf("missing key error = %v", err)
	}
	yes := true
	ref.Optional = &yes
	if v, err := e.Secret(ref); err != nil || v != "" {
		t.Errorf("optional missing = %q, %v", v, err)
	}
}

func TestLoadFilesReadsDirectoriesInOrder(t *testing.T) {
	dir := t.TempDir()
	docs := strings.Split(pipelineYAML, "---")
	for i, d := range docs {
		if err := os.WriteFile(filepath.Join(dir, string(rune('a'+i))+".yaml"), []byte(d), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(dir, "README.md"), []byte("not a manifest"), 0o600); err != nil {
		t.Fatal(err)
	}
	s, err := LoadFiles(dir)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Resolve("demo"); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadFiles(filepath.Join(dir, "missing")); err == nil {
		t.Error("missing path accepted")
	}
	if _, err := LoadFiles(t.TempDir()); err == nil || !strings.Contains(err.Error(), "no *.yaml") {
		t.Errorf("empty directory: %v", err)
	}
}

func quiet() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }
