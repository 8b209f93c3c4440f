package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	goredis "github.com/redis/go-redis/v9"
)

// readJSONL returns the lines of a JSON Lines file.
func readJSONL(t *testing.T, path string) [][]byte {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = f.Close() }()
	var lines [][]byte
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		lines = append(lines, append([]byte(nil), sc.Bytes()...))
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return lines
}

// TestFileToSignedWebhook runs the shipped example inputs (33 files, one of
// them invalid) through a file connector into a signed webhook received by
// `mfn receive` and a JSON Lines dead-letter file. The receiver writes only
// requests whose signature it verified, so its output proves the signing.
func TestFileToSignedWebhook(t *testing.T) {
	const secret = "e2e-webhook-secret"
	dir := t.TempDir()
	in := filepath.Join(dir, "in")
	if err := os.MkdirAll(in, 0o755); err != nil {
		t.Fatal(err)
	}
	examples, err := filepath.Glob("../../examples/local/params/*.json")
	if err != nil || len(examples) != 33 {
		t.Fatalf("example params: %d files, %v", len(examples), err)
	}
	for _, src := range examples {
		data, err := os.ReadFile(src)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(in, filepath.Base(src)), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	events := filepath.Join(dir, "events.jsonl")
	ready := make(chan string, 1)
	stopRecv := make(chan struct{})
	recvDone := make(chan error, 1)
	go func() {
		ctx, cancel := contextUntil(t, stopRecv)
		defer cancel()
		recvDone <- receive(ctx, receiveOptions{listen: "127.0.0.1:0", out: events, secrets: []string{secret},
			tolerance: 300 * time.Second, maxBody: 1 << 20}, slog.New(slog.NewTextHandler(io.Discard, nil)), ready)
	}()
	var addr string
	select {
	case addr = <-ready:
	case err := <-recvDone:
		t.Fatal(err)
	}
	yaml := pipelineDoc("files", "in", []string{"hook"}, "dlq", "simulation: {gridSize: 32, steps: 32}\n") +
		fileConnectorDoc("in", in, ", afterProcess: move") +
		doc("Publisher", "hook", fmt.Sprintf(`type: webhook
batchSize: 5
batchTimeout: 20ms
webhook:
  url: http://%s/hook
  allowInsecureHTTP: true
  signingSecretRefs: [{name: hook, key: hmac}]`, addr)) +
		jsonlPublisherDoc("dlq", dir, "dead-letter.jsonl", "batchSize: 1\n") +
		doc("Secret", "hook", "data: {hmac: "+b64(secret)+"}")
	r := startPipeline(t, yaml, pipelineFlags{workers: 2})
	// A non-watching file connector ends the run by itself.
	select {
	case err := <-r.done:
		if err != nil {
			t.Fatal(err)
		}
		r.done <- nil // for the cleanup
	case <-time.After(60 * time.Second):
		t.Fatal("pipeline did not drain the directory within 60s")
	}
	close(stopRecv)
	if err := <-recvDone; err != nil {
		t.Fatal(err)
	}
	c := r.rt.Counters()
	if c.Processed != 32 || c.Failed != 1 || c.DeadLettered != 1 || c.Nacked != 0 {
		t.Errorf("counters %+v; want 32 processed, 1 failed and dead-lettered", c)
	}
	ids := map[string]bool{}
	for _, line := range readJSONL(t, events) {
		e := decodeEnvelope(t, line)
		if e.Event != "simulation_complete" || len(e.Features) != 18 || ids[e.EventID] {
			t.Errorf("webhook event %s", line)
		}
		ids[e.EventID] = true
	}
	if len(ids) != 32 {
		t.Errorf("receiver wrote %d verified events, want 32", len(ids))
	}
	dlq := readJSONL(t, filepath.Join(dir, "dead-letter.jsonl"))
	if len(dlq) != 1 {
		t.Fatalf("%d dead-letter lines, want 1", len(dlq))
	}
	e := decodeEnvelope(t, dlq[0])
	if e.SimulationID != "invalid-wrong-types" || !strings.Contains(e.Error, "grid_size") || !sameJSON(`{"simulation_id":"invalid-wrong-types","grid_size":"64","alpha":0.3}`, e.Params) {
		t.Errorf("dead-letter line %s", dlq[0])
	}
	processed, _ := filepath.Glob(filepath.Join(in, "processed", "*.json"))
	left, _ := filepath.Glob(filepath.Join(in, "*.json"))
	if len(processed) != 33 || len(left) != 0 {
		t.Errorf("%d files in processed/, %d left in the inbox; want 33 and 0", len(processed), len(left))
	}
}

// TestPostgresRowsToRedisStream: pending rows of a table are simulated, the
// results appended to a Redis stream, and each row is marked done by the ack
// query only once its result is in the stream.
func TestPostgresRowsToRedisStream(t *testing.T) {
	const n = 25
	ctx := t.Context()
	const dsn = "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"
	db, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close(ctx) })
	table := fmt.Sprintf("mfn_e2e_%d", time.Now().UnixNano())
	stream := "mfn:e2e:" + table
	mustExec := func(sql string, args ...any) {
		t.Helper()
		if _, err := db.Exec(ctx, sql, args...); err != nil {
			t.Fatal(err)
		}
	}
	mustExec(`CREATE TABLE ` + table + ` (id serial PRIMARY KEY, simulation_id text, grid_size int, steps int, seed bigint, status text NOT NULL DEFAULT 'pending')`)
	t.Cleanup(func() { _, _ = db.Exec(t.Context(), `DROP TABLE `+table) })
	for i := range n {
		mustExec(`INSERT INTO `+table+` (simulation_id, grid_size, steps, seed) VALUES ($1, 8, 4, $2)`, fmt.Sprintf("pg-%02d", i), i)
	}
	rdb := goredis.NewClient(&goredis.Options{Addr: "127.0.0.1:6379"})
	t.Cleanup(func() { _ = rdb.Del(t.Context(), stream).Err(); _ = rdb.Close() })
	yaml := pipelineDoc("pg", "rows", []string{"stream"}, "", "") +
		doc("Connector", "rows", fmt.Sprintf(`type: database
database:
  connectionStringSecretRef: {name: pg, key: dsn}
  query: "SELECT id, simulation_id, grid_size, steps, seed FROM %[1]s WHERE status = 'pending' ORDER BY id"
  keyColumn: id
  ackQuery: "UPDATE %[1]s SET status = 'done' WHERE id = $1"
  emit: row
  pollInterval: 1s`, table)) +
		doc("Publisher", "stream", fmt.Sprintf(`type: redis
batchSize: 5
batchTimeout: 20ms
redis: {url: "redis://127.0.0.1:6379/0", channel: %q, mode: stream}`, stream)) +
		doc("Secret", "pg", fmt.Sprintf("stringData: {dsn: %q}", dsn))
	r := startPipeline(t, yaml, pipelineFlags{workers: 2})
	got := r.waitCounts(t, n, 60*time.Second)
	if got.Processed != n {
		t.Fatalf("counters %+v", got)
	}
	// Acks run the ack query; wait for the last ones.
	deadline := time.Now().Add(10 * time.Second)
	for {
		var done int
		if err := db.QueryRow(ctx, `SELECT count(*) FROM `+table+` WHERE status = 'done'`).Scan(&done); err != nil {
			t.Fatal(err)
		}
		if done == n {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d rows marked done", done, n)
		}
		time.Sleep(20 * time.Millisecond)
	}
	entries, err := rdb.XRange(ctx, stream, "-", "+").Result()
	if err != nil {
		t.Fatal(err)
	}
	ids := map[string]bool{}
	for _, x := range entries {
		payload, _ := x.Values["payload"].(string)
		var e envelope
		if err := json.Unmarshal([]byte(payload), &e); err != nil {
			t.Fatalf("stream entry %v: %v", x.Values, err)
		}
		if e.Event != "simulation_complete" || !strings.HasPrefix(e.SimulationID, "pg-") || x.Values["event_id"] != e.EventID {
			t.Errorf("stream entry %v", x.Values)
		}
		ids[e.SimulationID] = true
	}
	if len(entries) != n || len(ids) != n {
		t.Errorf("%d stream entries with %d distinct ids, want %d", len(entries), len(ids), n)
	}
}
