package pipeline

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/mfn-io/mfn-operator/pkg/integration"
	"github.com/mfn-io/mfn-operator/pkg/integration/component"
	"github.com/mfn-io/mfn-operator/pkg/integration/file"
	"github.com/mfn-io/mfn-operator/pkg/sim"
)

// These tests run the runtime with the real file feed connector, JSON Lines
// publishers and the simulation processor on real files.

type fileRig struct {
	in, out string
	conn    *file.Connector
	results *file.JSONLPublisher
	dlq     *file.JSONLPublisher
}

func newFileRig(t *testing.T, inputs []string, watch bool) *fileRig {
	t.Helper()
	dir := t.TempDir()
	rig := &fileRig{in: filepath.Join(dir, "in"), out: dir}
	if err := os.MkdirAll(rig.in, 0o755); err != nil {
		t.Fatal(err)
	}
	for i, body := range inputs {
		if err := os.WriteFile(filepath.Join(rig.in, fmt.Sprintf("m-%03d.json", i)), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	co := component.Options{Logger: quietLogger()}
	var err error
	rig.conn, err = file.NewConnector(file.ConnectorOptions{Directory: rig.in, WatchMode: watch,
		PollInterval: 20 * time.Millisecond, SettleAge: -1}, co)
	if err != nil {
		t.Fatal(err)
	}
	pc := integration.PublisherConfig{BatchSize: 10, BatchTimeout: 20 * time.Millisecond}
	if rig.results, err = file.NewJSONLPublisher(file.JSONLOptions{Path: filepath.Join(dir, "results.jsonl"), Config: pc}, co); err != nil {
		t.Fatal(err)
	}
	if rig.dlq, err = file.NewJSONLPublisher(file.JSONLOptions{Path: filepath.Join(dir, "dlq.jsonl"), Config: pc}, co); err != nil {
		t.Fatal(err)
	}
	return rig
}

func (rig *fileRig) runtime(t *testing.T, workers int, deadLetter bool) *Runtime {
	t.Helper()
	cfg := Config{Name: "files", Connector: Connector{Name: "in", Connector: rig.conn},
		Publishers: []Publisher{{Name: "results", Publisher: rig.results}}, Workers: workers,
		Processor: NewSimProcessor(SimConfig{Params: sim.DefaultParams(), Limits: sim.Limits{MaxGridSize: 64, MaxSteps: 100}}),
		Logger:    quietLogger(), PauseInterval: 5 * time.Millisecond, ShutdownGrace: 2 * time.Second}
	if deadLetter {
		cfg.DeadLetter = Publisher{Name: "dlq", Publisher: rig.dlq}
	}
	r, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func jsonLines(t *testing.T, path string) []map[string]any {
	t.Helper()
	f, err := os.Open(path)
	if os.IsNotExist(err) {
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = f.Close() }()
	var out []map[string]any
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var m map[string]any
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		out = append(out, m)
	}
	return out
}

func count(t *testing.T, pattern string) int {
	t.Helper()
	m, err := filepath.Glob(pattern)
	if err != nil {
		t.Fatal(err)
	}
	return len(m)
}

func smallParams(id string) string {
	return fmt.Sprintf(`{"simulation_id":%q,"grid_size":8,"steps":4,"seed":1}`, id)
}

// With one worker the results keep the files' order; every file is moved
// to processed/ only after its result was written.
func TestFilesOrderedAndAcknowledged(t *testing.T) {
	inputs := make([]string, 12)
	for i := range inputs {
		inputs[i] = smallParams(fmt.Sprintf("s-%02d", i))
	}
	rig := newFileRig(t, inputs, false)
	r := rig.runtime(t, 1, false)
	if err := r.Run(t.Context()); err != nil {
		t.Fatal(err)
	}
	lines := jsonLines(t, filepath.Join(rig.out, "results.jsonl"))
	if len(lines) != len(inputs) {
		t.Fatalf("%d results, want %d", len(lines), len(inputs))
	}
	for i, l := range lines {
		if l["simulation_id"] != fmt.Sprintf("s-%02d", i) || l["event"] != "simulation_complete" {
			t.Errorf("result %d: %v", i, l["simulation_id"])
		}
	}
	if n := count(t, filepath.Join(rig.in, "processed", "*.json")); n != len(inputs) {
		t.Errorf("%d files in processed/, want %d", n, len(inputs))
	}
	if n := count(t, filepath.Join(rig.in, "*.json")); n != 0 {
		t.Errorf("%d files left in the inbox", n)
	}
}

// Invalid parameters and a file that is not JSON end in the dead-letter
// file; the valid ones in the results; every input is acknowledged.
func TestFilesDeadLetter(t *testing.T) {
	inputs := []string{smallParams("ok-1"), `{"simulation_id":"big","grid_size":4096}`, smallParams("ok-2"),
		`{"simulation_id":"typed","steps":"4"}`}
	rig := newFileRig(t, inputs, false)
	r := rig.runtime(t, 2, true)
	if err := r.Run(t.Context()); err != nil {
		t.Fatal(err)
	}
	if got := len(jsonLines(t, filepath.Join(rig.out, "results.jsonl"))); got != 2 {
		t.Errorf("%d results, want 2", got)
	}
	dl := jsonLines(t, filepath.Join(rig.out, "dlq.jsonl"))
	errs := map[any]any{}
	for _, l := range dl {
		errs[l["simulation_id"]] = l["error"]
	}
	if len(dl) != 2 || errs["big"] != "grid_size: must be an integer in [4, 64], got 4096" ||
		errs["typed"] != `steps: must be a JSON integer, got a string "4"` {
		t.Errorf("dead-letter lines %v", errs)
	}
	if c := r.Counters(); c.Processed != 2 || c.Failed != 2 || c.DeadLettered != 2 {
		t.Errorf("counters %+v", c)
	}
	if n := count(t, filepath.Join(rig.in, "processed", "*.json")); n != 4 {
		t.Errorf("%d files in processed/, want 4", n)
	}
}

// In watch mode the runtime keeps going until its context ends; files that
// arrive later are processed, and shutdown leaves nothing half-settled.
func TestFilesWatchAndShutdown(t *testing.T) {
	rig := newFileRig(t, []string{smallParams("first")}, true)
	r := rig.runtime(t, 2, false)
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- r.Run(ctx) }()
	waitFor(t, func() bool { return r.Counters().Processed == 1 })
	if err := os.WriteFile(filepath.Join(rig.in, "later.json"), []byte(smallParams("later")), 0o644); err != nil {
		t.Fatal(err)
	}
	waitFor(t, func() bool { return r.Counters().Processed == 2 })
	if !r.Ready() {
		t.Error("not ready while running")
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if c := r.Counters(); c.InFlight != 0 || c.Nacked != 0 {
		t.Errorf("counters after shutdown %+v", c)
	}
	if n := count(t, filepath.Join(rig.in, "processed", "*.json")); n != 2 {
		t.Errorf("%d files in processed/, want 2", n)
	}
	if n := count(t, filepath.Join(rig.in, "processing", "*")); n != 0 {
		t.Errorf("%d files still claimed in processing/", n)
	}
}
