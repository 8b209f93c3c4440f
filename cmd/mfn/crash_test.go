package main

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/mfn-io/mfn-operator/pkg/integration/kafka/kafkatest"
)

var (
	buildOnce sync.Once
	buildPath string
	buildErr  error
)

// mfnBinary builds cmd/mfn once per test process.
func mfnBinary(t testing.TB) string {
	t.Helper()
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "mfn-bin-")
		if err != nil {
			buildErr = err
			return
		}
		buildPath = filepath.Join(dir, "mfn")
		out, err := exec.Command("go", "build", "-o", buildPath, ".").CombinedOutput()
		if err != nil {
			buildErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return buildPath
}

// kafkaPipelineYAML is a Kafka → simulate → Kafka pipeline. Its consumer
// group declares a worker dead after 6 s without heartbeats (Kafka's least
// session timeout), so a killed worker's partition is reassigned in seconds.
func kafkaPipelineYAML(bootstrap, in, out, group string) string {
	return pipelineDoc("crash", "in", []string{"out"}, "", "") +
		kafkaConnectorDoc("in", bootstrap, in, group, "commitInterval: 2ms, sessionTimeout: 6s, heartbeatInterval: 500ms, rebalanceTimeout: 6s") +
		kafkaPublisherDoc("out", bootstrap, out, "batchSize: 20\nbatchTimeout: 20ms\n")
}

// simulationIDs counts the result records of topic by simulation_id.
func simulationIDs(t *testing.T, c *kafkatest.Cluster, topic string) (ids map[string]int, records int) {
	t.Helper()
	ids = map[string]int{}
	for _, m := range c.Records(t, topic, 0) {
		var env struct {
			SimulationID string `json:"simulation_id"`
			Event        string `json:"event"`
		}
		if err := json.Unmarshal(m.Value, &env); err != nil {
			t.Fatalf("result is not JSON: %v: %s", err, m.Value)
		}
		if env.Event != "simulation_complete" {
			t.Fatalf("unexpected result event %q", env.Event)
		}
		ids[env.SimulationID]++
		records++
	}
	return ids, records
}

type workerProc struct {
	cmd *exec.Cmd
	log *os.File
}

func startWorker(t *testing.T, bin, config string, logPath string, extra ...string) *workerProc {
	t.Helper()
	f, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	args := append([]string{"worker", "-config", config, "-listen", "127.0.0.1:0"}, extra...)
	cmd := exec.CommandContext(t.Context(), bin, args...)
	cmd.Stdout, cmd.Stderr = f, f
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	return &workerProc{cmd: cmd, log: f}
}

func (w *workerProc) kill(t *testing.T) {
	t.Helper()
	if err := w.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = w.cmd.Wait()
	_ = w.log.Close()
}

// TestWorkerSurvivesSIGKILL runs `mfn worker` on 2 000 Kafka messages,
// kills it twice without warning and restarts it: every input must produce
// at least one result, the group must end up committing every offset, and
// the duplicates (results of messages processed but not yet committed when
// the process died) stay bounded by what can be in flight or awaiting a
// commit.
//
// Each kill must land while the killed run is consuming. An earlier version
// simulated messages of a few microseconds and killed a run once the topic
// held 400 or 1 200 results: the first run could publish nearly everything
// before the test saw 400, and the second was then killed in the middle of
// its JoinGroup, which leaves the broker waiting out two dead members.
func TestWorkerSurvivesSIGKILL(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: builds the mfn binary and SIGKILLs it twice over 2 000 Kafka messages; make test runs it without -short")
	}
	const (
		n           = 2000
		maxInFlight = 8
	)
	bin := mfnBinary(t)
	c := kafkatest.NewCluster(t, kafkatest.Topic{Name: "params", Partitions: 1}, kafkatest.Topic{Name: "results", Partitions: 1})
	values := make([][]byte, n)
	for i := range values {
		// A few milliseconds of simulation each: 2 000 of them take
		// seconds, so that a kill lands in the middle of a run.
		values[i] = fmt.Appendf(nil, `{"simulation_id":"sim-%04d","grid_size":48,"steps":200,"seed":%d}`, i, i)
	}
	c.Produce(t, "params", 0, values...)
	dir := t.TempDir()
	config := filepath.Join(dir, "pipeline.yaml")
	if err := os.WriteFile(config, []byte(kafkaPipelineYAML(c.Bootstrap(), "params", "results", "crash")), 0o600); err != nil {
		t.Fatal(err)
	}
	logPath := filepath.Join(dir, "worker.log")
	flags := []string{"-workers", "2", "-max-in-flight", fmt.Sprint(maxInFlight), "-log-level", "info"}
	t.Cleanup(func() {
		if t.Failed() {
			log, _ := os.ReadFile(logPath)
			t.Logf("worker log (3 runs):\n%s", log)
		}
	})
	began := time.Now()

	// waitFor polls the results and the group's committed offset until done
	// says so.
	waitFor := func(what string, timeout time.Duration, done func(ids map[string]int, records int, committed int64) bool) (map[string]int, int) {
		t.Helper()
		deadline := time.Now().Add(timeout)
		for {
			ids, records := simulationIDs(t, c, "results")
			if done(ids, records, c.Committed(t, "crash", "params")[0]) {
				return ids, records
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s: not within %v (%d results, %d of %d inputs)", what, timeout, records, len(ids), n)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	// A run is killed only once it has published results of its own (the
	// killed run before it publishes nothing more), and only while input is
	// left, so that each kill lands in the middle of a run.
	for _, killAt := range []int{400, 1200} {
		w := startWorker(t, bin, config, logPath, flags...)
		_, before := simulationIDs(t, c, "results")
		waitFor(fmt.Sprintf("%d results", killAt), 60*time.Second, func(_ map[string]int, records int, _ int64) bool {
			return records >= max(killAt, before+100)
		})
		w.kill(t)
		ids, records := simulationIDs(t, c, "results")
		t.Logf("%v: killed the worker at %d results (%d when it started)", time.Since(began).Round(time.Millisecond), records, before)
		if len(ids) == n {
			t.Fatalf("every input had a result before the kill at %d results: the kill did not land mid-run", killAt)
		}
	}
	w := startWorker(t, bin, config, logPath, flags...)
	// Done when every input has a result and the group committed them all:
	// the tail the killed run published but did not commit must be read
	// and acknowledged again.
	ids, records := waitFor("every input published and committed", 90*time.Second, func(ids map[string]int, _ int, committed int64) bool {
		return len(ids) == n && committed == n
	})
	if err := w.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if err := w.cmd.Wait(); err != nil {
		t.Errorf("worker exit after SIGTERM: %v", err)
	}
	_ = w.log.Close()
	t.Logf("%v: %d of %d inputs have a result", time.Since(began).Round(time.Millisecond), len(ids), n)
	for i := range n {
		if id := fmt.Sprintf("sim-%04d", i); ids[id] == 0 {
			t.Fatalf("input %s produced no result (%d of %d ids seen)", id, len(ids), n)
		}
	}
	dups := records - n
	// Per crash: at most maxInFlight messages between the source and their
	// acknowledgement, plus those acknowledged but not yet committed: the
	// commit interval is 2 ms, so that is what one commit round trip lets
	// through (a few dozen at this grid size, counted generously as 50).
	bound := 2 * (maxInFlight + 50)
	t.Logf("2 SIGKILLs: %d results for %d inputs, %d duplicates (bound %d)", records, n, dups, bound)
	if dups > bound {
		t.Errorf("%d duplicates, want at most %d", dups, bound)
	}
	if got := c.Committed(t, "crash", "params")[0]; got != n {
		t.Errorf("committed offset %d, want %d", got, n)
	}
}
