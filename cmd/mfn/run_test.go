package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// fileToJSONL writes manifests for a file → jsonl pipeline over dir/in and
// returns the manifest directory.
func fileToJSONL(t *testing.T, dir string, deadLetter bool, inputs map[string]string) string {
	t.Helper()
	in := filepath.Join(dir, "in")
	if err := os.MkdirAll(in, 0o755); err != nil {
		t.Fatal(err)
	}
	for name, body := range inputs {
		if err := os.WriteFile(filepath.Join(in, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	manifests := filepath.Join(dir, "manifests")
	if err := os.MkdirAll(manifests, 0o755); err != nil {
		t.Fatal(err)
	}
	yaml, dl := "", ""
	if deadLetter {
		dl = "dlq"
		yaml = jsonlPublisherDoc("dlq", dir, "dlq.jsonl", "")
	}
	yaml = pipelineDoc("cli", "in", []string{"out"}, dl, "") + fileConnectorDoc("in", in, "") +
		jsonlPublisherDoc("out", dir, "results-{worker}.jsonl", "batchTimeout: 20ms\n") + yaml
	if err := os.WriteFile(filepath.Join(manifests, "pipeline.yaml"), []byte(yaml), 0o644); err != nil {
		t.Fatal(err)
	}
	return manifests
}

func runCLI(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := dispatch(t.Context(), args, stdio{in: strings.NewReader(""), out: &out, err: &errb})
	return code, out.String(), errb.String()
}

func TestRunCommandExitCodes(t *testing.T) {
	good := `{"grid_size":8,"steps":4,"seed":1}`
	bad := `{"grid_size":"8"}`
	t.Setenv("POD_NAME", "cli-test")
	tests := []struct {
		name       string
		deadLetter bool
		inputs     map[string]string
		wantCode   int
		wantOut    []string
		results    int
	}{
		{"all published", false, map[string]string{"a.json": good, "b.json": good}, exitOK,
			[]string{"processed           2", "exit code 0"}, 2},
		{"failure dead-lettered", true, map[string]string{"a.json": good, "bad.json": bad}, exitOK,
			[]string{"processed           1", "failed              1", "dead-lettered       1", "exit code 0"}, 1},
		{"failure without dead-letter", false, map[string]string{"a.json": good, "bad.json": bad}, exitIncomplete,
			[]string{"failed              1", "exit code 3"}, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			m := fileToJSONL(t, dir, tt.deadLetter, tt.inputs)
			code, out, errOut := runCLI(t, "run", "-f", m, "-progress", "never", "-log-level", "warn")
			if code != tt.wantCode {
				t.Fatalf("exit %d, want %d\nstdout:\n%s\nstderr:\n%s", code, tt.wantCode, out, errOut)
			}
			for _, w := range tt.wantOut {
				if !strings.Contains(out, w) {
					t.Errorf("summary lacks %q:\n%s", w, out)
				}
			}
			if lines := readJSONL(t, filepath.Join(dir, "results-cli-test.jsonl")); len(lines) != tt.results {
				t.Errorf("%d result lines, want %d", len(lines), tt.results)
			}
		})
	}
}

func TestRunCommandRejectsBadManifests(t *testing.T) {
	dir := t.TempDir()
	m := fileToJSONL(t, dir, false, nil)
	f := filepath.Join(m, "pipeline.yaml")
	data, _ := os.ReadFile(f)
	if err := os.WriteFile(f, bytes.Replace(data, []byte("{name: out}]"), []byte("{name: missing}]"), 1), 0o644); err != nil {
		t.Fatal(err)
	}
	code, _, errOut := runCLI(t, "run", "-f", m)
	if code != exitUsage || !strings.Contains(errOut, `spec.publisherRefs[0]: Publisher "missing" not found`) {
		t.Errorf("exit %d, stderr %q", code, errOut)
	}
	if code, _, _ := runCLI(t, "run"); code != exitUsage {
		t.Errorf("no -f: exit %d", code)
	}
	if code, _, errOut := runCLI(t, "worker", "-config", filepath.Join(dir, "nope.yaml")); code != exitUsage || !strings.Contains(errOut, "nope.yaml") {
		t.Errorf("worker with a missing config: exit %d, stderr %q", code, errOut)
	}
}

func TestProgressLine(t *testing.T) {
	dir := t.TempDir()
	m := fileToJSONL(t, dir, false, map[string]string{"a.json": `{"grid_size":8,"steps":4}`})
	var out, errb bytes.Buffer
	code := dispatch(t.Context(), []string{"run", "-f", m, "-progress", "always", "-log-level", "warn"}, stdio{out: &out, err: &errb})
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	if !strings.Contains(errb.String(), "\r\033[K") || !strings.Contains(errb.String(), "breakers: out=") {
		t.Errorf("no progress line redrawn in place: %q", errb.String())
	}
}
