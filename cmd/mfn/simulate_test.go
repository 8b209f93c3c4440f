package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mfn-io/mfn-operator/internal/golden"
	"github.com/mfn-io/mfn-operator/pkg/sim"
	"github.com/mfn-io/mfn-operator/pkg/sim/features"
)

// simulate runs "mfn simulate args..." in-process with stdin as input.
func simulate(t *testing.T, stdin string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	code = dispatch(t.Context(), append([]string{"simulate"}, args...), stdio{in: strings.NewReader(stdin), out: &out, err: &errb})
	return code, out.String(), errb.String()
}

// decodeOutput decodes the printed object, rejecting unknown keys so that
// the output schema is pinned.
func decodeOutput(t *testing.T, s string) simulateOutput {
	t.Helper()
	dec := json.NewDecoder(strings.NewReader(s))
	dec.DisallowUnknownFields()
	var o simulateOutput
	if err := dec.Decode(&o); err != nil {
		t.Fatalf("output %q: %v", s, err)
	}
	return o
}

// goldenCase is the part of a golden simulation case the CLI test needs.
type goldenCase struct {
	ID       string          `json:"id"`
	API      string          `json:"api"`
	Config   json.RawMessage `json:"config"`
	Metrics  sim.Metrics     `json:"metrics"`
	Features features.Vector `json:"features"`
}

// The golden simulation cases through the CLI: the message is the case's
// SimulationConfig as a flat object (and once as an envelope); metrics
// must be bit-identical and features within the ENGINE.md §8 rules.
func TestSimulateGolden(t *testing.T) {
	var f struct {
		Cases []goldenCase `json:"cases"`
	}
	golden.Load(t, "engine_cases.json", &f)
	ran := 0
	for _, c := range f.Cases {
		if c.API != "simulation" || ran >= 6 {
			continue
		}
		ran++
		t.Run(c.ID, func(t *testing.T) {
			msg := string(c.Config)
			if ran%2 == 0 {
				msg = `{"simulation_id": "` + c.ID + `", "simulation_params": ` + msg + `}`
			}
			code, out, errs := simulate(t, msg, "--features-from", "history")
			if code != exitOK {
				t.Fatalf("exit %d: %s", code, errs)
			}
			o := decodeOutput(t, out)
			if o.Metrics != c.Metrics {
				t.Errorf("metrics %+v\nwant %+v", o.Metrics, c.Metrics)
			}
			// E_trend scale: |V| <= 95 mV in every cell, so E_t <= N^2 * 95^2.
			n := float64(o.Params.GridSize)
			for _, d := range features.Diff(o.Features, c.Features, n*n*95*95) {
				t.Error(d)
			}
			if ran%2 == 0 && (o.SimulationID == nil || *o.SimulationID != c.ID) {
				t.Errorf("simulation_id %v, want %s", o.SimulationID, c.ID)
			}
			if o.ElapsedMS <= 0 {
				t.Errorf("elapsed_ms %v", o.ElapsedMS)
			}
		})
	}
	if ran == 0 {
		t.Fatal("no simulation case in the golden file")
	}
}

func TestSimulateOutputShape(t *testing.T) {
	code, out, errs := simulate(t, `{"grid_size": 8, "steps": 12, "seed": 3, "quantum_jitter": true}`, "--field")
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, errs)
	}
	var raw map[string]json.RawMessage
	if err := json.Unmarshal([]byte(out), &raw); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"simulation_id", "params", "features", "metrics", "elapsed_ms", "field"} {
		if _, ok := raw[k]; !ok {
			t.Errorf("key %s missing", k)
		}
	}
	if string(raw["simulation_id"]) != "null" {
		t.Errorf("simulation_id = %s, want null", raw["simulation_id"])
	}
	// Every effective parameter is printed, the defaults included.
	var params map[string]any
	if err := json.Unmarshal(raw["params"], &params); err != nil {
		t.Fatal(err)
	}
	if len(params) != 14 || params["alpha"] != 0.18 || params["boundary_condition"] != "periodic" || params["seed"] != 3.0 {
		t.Errorf("params %v", params)
	}
	// Count features are JSON integers, in canonical order.
	feat := string(raw["features"])
	if !strings.Contains(feat, `"T_stable":12,`) {
		t.Errorf("T_stable is not an integer 12: %s", feat)
	}
	pos := -1
	for _, name := range features.Names() {
		i := strings.Index(feat, `"`+name+`":`)
		if i < pos {
			t.Errorf("feature %s out of order", name)
		}
		pos = i
	}
	o := decodeOutput(t, out)
	if len(o.Field) != 8 || len(o.Field[7]) != 8 || o.Field[2][5] < sim.FieldMinV || o.Field[2][5] > sim.FieldMaxV {
		t.Errorf("field %v", o.Field)
	}
	// Same seed: same output apart from the elapsed time.
	_, out2, _ := simulate(t, `{"grid_size": 8, "steps": 12, "seed": 3, "quantum_jitter": true}`)
	o2 := decodeOutput(t, out2)
	if o2.Features != o.Features || o2.Metrics != o.Metrics || o2.Field != nil {
		t.Error("second run with the same seed differs, or printed a field without --field")
	}
}

func TestSimulateFeatureSources(t *testing.T) {
	msg := `{"grid_size": 12, "steps": 15, "seed": 9, "quantum_jitter": true}`
	var got [3]features.Vector
	for i, src := range []string{"stream", "history", "final"} {
		code, out, errs := simulate(t, msg, "--features-from="+src)
		if code != exitOK {
			t.Fatalf("%s: exit %d: %s", src, code, errs)
		}
		got[i] = decodeOutput(t, out).Features
	}
	if got[0] != got[1] {
		t.Errorf("stream %+v != history %+v", got[0], got[1])
	}
	if got[2].TStable != 0 || got[2].DVMean != 0 || got[2].VMean != got[0].VMean {
		t.Errorf("final-field features %+v", got[2])
	}
}

func TestSimulateFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "msg.json")
	if err := os.WriteFile(path, []byte(`{"grid_size": 4, "steps": 1, "seed": 0}`), 0o600); err != nil {
		t.Fatal(err)
	}
	code, out, errs := simulate(t, "not read", "-f", path)
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, errs)
	}
	if o := decodeOutput(t, out); o.Params.GridSize != 4 || o.Metrics.StepsComputed != 1 {
		t.Fatalf("output %+v", o)
	}
}

func TestSimulateInvalidInput(t *testing.T) {
	tests := []struct {
		name, stdin string
		args        []string
		want        string
	}{
		{"grid_over_max", `{"grid_size": 1000}`, nil, "grid_size: must be an integer in [4, 512], got 1000"},
		{"grid_over_custom_max", `{"grid_size": 64}`, []string{"--max-grid", "32"}, "grid_size: must be an integer in [4, 32], got 64"},
		{"steps_over_max", `{"steps": 20}`, []string{"--max-steps=10"}, "steps: must be an integer in [1, 10], got 20"},
		{"string_bool", `{"turing_enabled": "false"}`, nil, `turing_enabled: must be a JSON boolean`},
		{"float_int", `{"steps": 2.5}`, nil, "steps: must be a JSON integer"},
		{"alpha_cfl", `{"alpha": 0.25}`, nil, "alpha: must be a number in [0.05, 0.25)"},
		{"array", `[1, 2]`, nil, "message: must be a JSON object, got an array"},
		{"empty", ``, nil, "message: must be a JSON object, got nothing"},
		{"broken_json", "{\n\"grid_size\": \n", nil, "message: must be a JSON object"},
		{"too_large", `{"x": "` + strings.Repeat("a", maxMessageBytes) + `"}`, nil, "message: must be at most 1048576 bytes"},
		{"bad_source", `{}`, []string{"--features-from", "all"}, "features-from must be one of stream, history, final"},
		{"bad_max_grid", `{}`, []string{"--max-grid", "2000"}, "max-grid must be in [4, 1024]"},
		{"extra_arg", `{}`, []string{"msg.json"}, `unexpected argument "msg.json"`},
		{"missing_file", `{}`, []string{"-f", "/nonexistent/msg.json"}, "no such file"},
		{"unknown_flag", `{}`, []string{"--grid", "8"}, "flag provided but not defined"},
		{"history_too_big", `{"grid_size": 512, "steps": 10000}`, []string{"--features-from", "history"}, "features-from history: steps * grid_size^2 must be at most 33554432"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, out, errs := simulate(t, tc.stdin, tc.args...)
			if code != exitUsage {
				t.Fatalf("exit %d, want %d (stderr %q)", code, exitUsage, errs)
			}
			if out != "" {
				t.Errorf("stdout %q, want nothing", out)
			}
			if !strings.Contains(errs, tc.want) {
				t.Errorf("stderr %q, want it to contain %q", errs, tc.want)
			}
			if tc.name != "unknown_flag" && strings.Count(errs, "\n") != 1 {
				t.Errorf("stderr is not one line: %q", errs)
			}
		})
	}
}

func TestSimulateCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	var out, errb bytes.Buffer
	code := dispatch(ctx, []string{"simulate"}, stdio{in: strings.NewReader(`{"grid_size": 8, "steps": 5}`), out: &out, err: &errb})
	if code != exitFailure || !strings.Contains(errb.String(), "context canceled") {
		t.Fatalf("exit %d, stderr %q", code, errb.String())
	}
}

func TestDispatch(t *testing.T) {
	var out, errb bytes.Buffer
	std := stdio{in: strings.NewReader(""), out: &out, err: &errb}
	if code := dispatch(t.Context(), nil, std); code != exitUsage || !strings.Contains(errb.String(), "simulate") {
		t.Fatalf("no command: exit %d, stderr %q", code, errb.String())
	}
	if code := dispatch(t.Context(), []string{"help"}, std); code != exitOK || !strings.Contains(out.String(), "simulate ") {
		t.Fatalf("help: exit %d, stdout %q", code, out.String())
	}
	errb.Reset()
	if code := dispatch(t.Context(), []string{"frobnicate"}, std); code != exitUsage || !strings.Contains(errb.String(), `unknown command "frobnicate"`) {
		t.Fatalf("unknown: exit %d, stderr %q", code, errb.String())
	}
	out.Reset()
	errb.Reset()
	if code := dispatch(t.Context(), []string{"simulate", "-h"}, std); code != exitOK || !strings.Contains(errb.String(), "--features-from") {
		t.Fatalf("simulate -h: exit %d, stderr %q", code, errb.String())
	}
}

// TestSimulateBinary builds the real mfn binary and runs it as a process:
// exit codes, stdout and the one-line stderr as a user sees them.
func TestSimulateBinary(t *testing.T) {
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Fatalf("the go tool is needed to build mfn: %v", err)
	}
	bin := filepath.Join(t.TempDir(), "mfn")
	build := exec.CommandContext(t.Context(), goTool, "build", "-o", bin, ".")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}

	cmd := exec.CommandContext(t.Context(), bin, "simulate", "--field")
	cmd.Stdin = strings.NewReader(`{"simulation_id": "cli-1", "simulation_params": {"grid_size": 6, "steps": 3, "seed": 1}}`)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("mfn simulate: %v (stderr %q)", err, stderr.String())
	}
	o := decodeOutput(t, stdout.String())
	if o.SimulationID == nil || *o.SimulationID != "cli-1" || len(o.Field) != 6 || o.Metrics.StepsComputed != 3 {
		t.Fatalf("output %+v", o)
	}

	cmd = exec.CommandContext(t.Context(), bin, "simulate")
	cmd.Stdin = strings.NewReader(`{"grid_size": 4, "jitter_var": 0.5}`)
	stdout.Reset()
	stderr.Reset()
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err = cmd.Run()
	var exitErr *exec.ExitError
	if !errors.As(err, &exitErr) || exitErr.ExitCode() != exitUsage {
		t.Fatalf("invalid input: %v, want exit status %d", err, exitUsage)
	}
	if got := stderr.String(); got != "mfn simulate: jitter_var: must be a number in [0, 0.01], got 0.5\n" {
		t.Fatalf("stderr %q", got)
	}
	if stdout.Len() != 0 {
		t.Fatalf("stdout %q", stdout.String())
	}
}
