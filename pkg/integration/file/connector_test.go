package file

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mfn-io/mfn-operator/pkg/integration"
	"github.com/mfn-io/mfn-operator/pkg/integration/clock"
	"github.com/mfn-io/mfn-operator/pkg/integration/component"
)

func write(t *testing.T, dir, name, content string) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

func exists(path string) bool { _, err := os.Stat(path); return err == nil }

func newConn(t *testing.T, opts ConnectorOptions, clk clock.Clock) *Connector {
	t.Helper()
	c, err := NewConnector(opts, component.Options{Clock: clk})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// consumeAll runs a one-shot Consume and returns the messages.
func consumeAll(t *testing.T, c *Connector) []*integration.Message {
	t.Helper()
	out := make(chan *integration.Message, 100)
	if err := c.Consume(t.Context(), out); err != nil {
		t.Fatal(err)
	}
	close(out)
	var msgs []*integration.Message
	for m := range out {
		msgs = append(msgs, m)
	}
	return msgs
}

func names(msgs []*integration.Message) string {
	var s []string
	for _, m := range msgs {
		s = append(s, m.Metadata["file"])
	}
	return strings.Join(s, ",")
}

func TestConnectErrors(t *testing.T) {
	dir := t.TempDir()
	c := newConn(t, ConnectorOptions{Directory: filepath.Join(dir, "missing")}, nil)
	err := c.Connect(t.Context())
	if err == nil || !strings.Contains(err.Error(), "directory not found") || c.Snapshot().Status != "error" ||
		c.Snapshot().Connector.ConnectionErrors != 1 {
		t.Fatalf("%v %+v", err, c.Snapshot())
	}
	write(t, dir, "plain", "x")
	c = newConn(t, ConnectorOptions{Directory: filepath.Join(dir, "plain")}, nil)
	if err := c.Connect(t.Context()); err == nil || !strings.Contains(err.Error(), "not a directory") {
		t.Fatal(err)
	}
	c = newConn(t, ConnectorOptions{Directory: dir}, nil)
	if err := c.Connect(t.Context()); err != nil || c.Snapshot().Status != "connected" || c.ID() != "file-"+dir {
		t.Fatal(err, c.Snapshot().Status)
	}
	for _, sub := range []string{"processing", "processed", "failed"} {
		if !exists(filepath.Join(dir, sub)) {
			t.Fatal(sub + " not created")
		}
	}
	if err := c.Connect(t.Context()); err != nil {
		t.Fatal("second Connect")
	}
}

func TestOptionsValidation(t *testing.T) {
	for pattern, want := range map[string]string{
		"**/*.json": "no \"**\"", "sub/*.json": "no path separator", "[": "syntax error in pattern",
	} {
		_, err := NewConnector(ConnectorOptions{Directory: "/x", FilePattern: pattern}, component.Options{})
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: %v", pattern, err)
		}
	}
	for _, o := range []ConnectorOptions{{}, {Directory: "/x", PollInterval: -1}, {Directory: "/x", AfterProcess: "keep"},
		{Directory: "/x", ClaimLease: -time.Second}} {
		if _, err := NewConnector(o, component.Options{}); err == nil {
			t.Errorf("%+v accepted", o)
		}
	}
}

func TestPatternOrderAndPayloads(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, "file2.json", `{"grid_size": 32}`)
	write(t, dir, "file10.json", `[1,2]`)
	write(t, dir, "b.txt", "hello")
	write(t, dir, ".hidden.json", `{}`)
	write(t, dir, "partial.json.tmp", `{`)
	write(t, dir, "upload.part", `{`)
	if err := os.MkdirAll(filepath.Join(dir, "sub"), 0o755); err != nil {
		t.Fatal(err)
	}
	write(t, filepath.Join(dir, "sub"), "c.json", `{}`)
	if err := os.Symlink(filepath.Join(dir, "file2.json"), filepath.Join(dir, "link.json")); err != nil {
		t.Fatal(err)
	}
	c := newConn(t, ConnectorOptions{Directory: dir}, nil)
	msgs := consumeAll(t, c)
	if got := names(msgs); got != "file10.json,file2.json" {
		t.Fatalf("got %s: code-point order, only regular non-hidden matches", got)
	}
	if string(msgs[1].Payload) != `{"grid_size": 32}` || msgs[0].ConnectorID != "file-"+dir {
		t.Fatalf("%s", msgs[1].Payload)
	}
	m := c.Snapshot().Connector
	if m.MessagesReceived != 2 || m.BytesReceived != int64(len(`{"grid_size": 32}`)+len(`[1,2]`)) || m.LastSuccessTime == nil {
		t.Fatalf("%+v", m)
	}

	txt := newConn(t, ConnectorOptions{Directory: dir, FilePattern: "*.txt"}, nil)
	msgs = consumeAll(t, txt)
	var w struct{ Content, Path string }
	if len(msgs) != 1 || json.Unmarshal(msgs[0].Payload, &w) != nil || w.Content != "hello" || w.Path != filepath.Join(dir, "b.txt") {
		t.Fatalf("%d %s", len(msgs), msgs[0].Payload)
	}
	dot := newConn(t, ConnectorOptions{Directory: dir, FilePattern: ".*.json"}, nil)
	if got := names(consumeAll(t, dot)); got != ".hidden.json" {
		t.Fatalf("explicit dot pattern: %q", got)
	}
}

func TestSettlement(t *testing.T) {
	dir := t.TempDir()
	for _, n := range []string{"a.json", "b.json", "c.json"} {
		write(t, dir, n, `{"steps":1}`)
	}
	c := newConn(t, ConnectorOptions{Directory: dir}, nil)
	msgs := consumeAll(t, c)
	if len(msgs) != 3 {
		t.Fatal(len(msgs))
	}
	for _, m := range msgs {
		if exists(filepath.Join(dir, m.Metadata["file"])) {
			t.Fatal("file still in the inbox while being processed")
		}
	}
	if err := msgs[0].Ack(t.Context()); err != nil {
		t.Fatal(err)
	}
	if !exists(filepath.Join(dir, "processed", "a.json")) {
		t.Fatal("Ack must move to processed/")
	}
	if err := msgs[1].Nack(t.Context(), integration.Permanent(errors.New("alpha = 0.3: must be ≤ 0.25"))); err != nil {
		t.Fatal(err)
	}
	note, err := os.ReadFile(filepath.Join(dir, "failed", "b.json.error.txt"))
	if err != nil || string(note) != "alpha = 0.3: must be ≤ 0.25\n" || !exists(filepath.Join(dir, "failed", "b.json")) {
		t.Fatalf("%q %v", note, err)
	}
	if err := msgs[2].Nack(t.Context(), errors.New("publisher down")); err != nil {
		t.Fatal(err)
	}
	if !exists(filepath.Join(dir, "c.json")) {
		t.Fatal("transient Nack must return the file to the inbox")
	}
	again := consumeAll(t, c)
	if names(again) != "c.json" || again[0].Position != msgs[2].Position {
		t.Fatalf("redelivery %s, position %q vs %q", names(again), again[0].Position, msgs[2].Position)
	}
	if err := again[0].Ack(t.Context()); err != nil {
		t.Fatal(err)
	}
	if err := again[0].Ack(t.Context()); err != nil {
		t.Fatal("second settle must be a no-op")
	}
	entries, _ := os.ReadDir(filepath.Join(dir, "processing"))
	if len(entries) != 0 {
		t.Fatal("processing/ not empty")
	}

	del := t.TempDir()
	write(t, del, "x.json", "{}")
	dc := newConn(t, ConnectorOptions{Directory: del, AfterProcess: AfterProcessDelete}, nil)
	m := consumeAll(t, dc)
	_ = m[0].Ack(t.Context())
	if exists(filepath.Join(del, "processed", "x.json")) || exists(filepath.Join(del, "x.json")) {
		t.Fatal("after_process delete")
	}
}

func TestDecodeFailureGoesToFailed(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, "bad.json", `{"grid_size": `)
	write(t, dir, "big.json", `{"pad":"`+strings.Repeat("x", 100)+`"}`)
	write(t, dir, "good.json", `{}`)
	c := newConn(t, ConnectorOptions{Directory: dir, Config: integration.ConnectorConfig{MaxMessageBytes: 64}}, nil)
	msgs := consumeAll(t, c)
	if names(msgs) != "good.json" {
		t.Fatal(names(msgs))
	}
	note, _ := os.ReadFile(filepath.Join(dir, "failed", "bad.json.error.txt"))
	if !strings.HasPrefix(string(note), "JSON decode error: unexpected end of JSON input") {
		t.Fatalf("%q", note)
	}
	note, _ = os.ReadFile(filepath.Join(dir, "failed", "big.json.error.txt"))
	if !strings.Contains(string(note), "larger than max_message_bytes (64)") {
		t.Fatalf("%q", note)
	}
	s := c.Snapshot()
	if s.Connector.MessagesFailed != 2 || s.Connector.MessagesReceived != 1 || s.LastError != "file is larger than max_message_bytes (64)" {
		t.Fatalf("%+v", s)
	}
	if len(consumeAll(t, c)) != 0 || c.Snapshot().Connector.MessagesFailed != 2 {
		t.Fatal("a failed file must be counted once, not on every scan")
	}
}

// A crash (message taken, never settled) leaves the file in processing/;
// the next Connect after the lease returns it, so it is delivered again.
func TestCrashRecoveryAfterLease(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, "job.json", `{"steps":5}`)
	fake := clock.NewFake(time.Now())
	crashed := newConn(t, ConnectorOptions{Directory: dir, ClaimLease: time.Minute}, fake)
	first := consumeAll(t, crashed)
	if len(first) != 1 {
		t.Fatal(len(first))
	}
	// crashed process: never acked, never disconnected.

	fake.Advance(59 * time.Second)
	early := newConn(t, ConnectorOptions{Directory: dir, ClaimLease: time.Minute}, fake)
	if got := consumeAll(t, early); len(got) != 0 {
		t.Fatal("a live claim (younger than the lease) was stolen")
	}
	fake.Advance(time.Second)
	replica := newConn(t, ConnectorOptions{Directory: dir, ClaimLease: time.Minute}, fake)
	again := consumeAll(t, replica)
	if len(again) != 1 || again[0].Position != first[0].Position || string(again[0].Payload) != `{"steps":5}` {
		t.Fatalf("redelivery after crash: %d", len(again))
	}
	if err := again[0].Ack(t.Context()); err != nil {
		t.Fatal(err)
	}
	if !exists(filepath.Join(dir, "processed", "job.json")) {
		t.Fatal("not processed")
	}
}

func TestReplicasProcessEachFileOnce(t *testing.T) {
	dir := t.TempDir()
	const n = 60
	for i := range n {
		write(t, dir, fmt.Sprintf("f%03d.json", i), `{}`)
	}
	var mu sync.Mutex
	seen := map[string]int{}
	var wg sync.WaitGroup
	for range 3 {
		c := newConn(t, ConnectorOptions{Directory: dir}, nil)
		wg.Go(func() {
			for _, m := range consumeAll(t, c) {
				mu.Lock()
				seen[m.Metadata["file"]]++
				mu.Unlock()
				if err := m.Ack(t.Context()); err != nil {
					t.Error(err)
				}
			}
		})
	}
	wg.Wait()
	if len(seen) != n {
		t.Fatalf("%d files seen", len(seen))
	}
	for f, k := range seen {
		if k != 1 {
			t.Fatalf("%s processed %d times", f, k)
		}
	}
}

func TestWatchModeAndSettleAge(t *testing.T) {
	dir := t.TempDir()
	fake := clock.NewFake(time.Now().Add(time.Hour))
	c := newConn(t, ConnectorOptions{Directory: dir, WatchMode: true, SettleAge: 2 * time.Second}, fake)
	out := make(chan *integration.Message, 10)
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- c.Consume(ctx, out) }()
	if err := fake.WaitForTimers(t.Context(), 1); err != nil {
		t.Fatal(err)
	}
	write(t, dir, "new.json", `{}`)
	fresh := fake.Now().Add(-time.Second)
	_ = os.Chtimes(filepath.Join(dir, "new.json"), fresh, fresh)
	fake.Advance(5 * time.Second) // rescan: the file is 6 s old, past settle_age
	m := <-out
	if m.Metadata["file"] != "new.json" {
		t.Fatal(m.Metadata)
	}
	_ = fake.WaitForTimers(t.Context(), 1)
	write(t, dir, "young.json", `{}`)
	young := fake.Now()
	_ = os.Chtimes(filepath.Join(dir, "young.json"), young, young)
	write(t, dir, "young.json.tmp", `{`)
	fake.Advance(time.Second) // not a rescan yet
	select {
	case m := <-out:
		t.Fatalf("delivered %s before the rescan", m.Metadata["file"])
	default:
	}
	fake.Advance(4 * time.Second) // rescan at young+5s: old enough
	m = <-out
	if m.Metadata["file"] != "young.json" {
		t.Fatal(m.Metadata)
	}
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatal(err)
	}
	if len(out) != 0 {
		t.Fatal("the .tmp file was delivered")
	}
}

func TestSettleAgeSkipsFilesBeingWritten(t *testing.T) {
	dir := t.TempDir()
	fake := clock.NewFake(time.Now())
	write(t, dir, "w.json", `{}`)
	now := fake.Now()
	_ = os.Chtimes(filepath.Join(dir, "w.json"), now, now)
	c := newConn(t, ConnectorOptions{Directory: dir, WatchMode: true, SettleAge: 10 * time.Second, PollInterval: 5 * time.Second}, fake)
	out := make(chan *integration.Message, 10)
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	go func() { _ = c.Consume(ctx, out) }()
	_ = fake.WaitForTimers(t.Context(), 1) // first scan done: file too young
	fake.Advance(5 * time.Second)          // second scan at +5 s: still too young
	_ = fake.WaitForTimers(t.Context(), 1)
	if len(out) != 0 {
		t.Fatal("file younger than settle_age was read")
	}
	fake.Advance(5 * time.Second) // third scan at +10 s
	if m := <-out; m.Metadata["file"] != "w.json" {
		t.Fatal(m.Metadata)
	}
}

func TestDisabled(t *testing.T) {
	c := newConn(t, ConnectorOptions{Directory: t.TempDir(), Config: integration.ConnectorConfig{RetryConfig: integration.RetryConfig{Disabled: true}}}, nil)
	if err := c.Consume(t.Context(), make(chan *integration.Message)); err == nil || err.Error() != "Connector is disabled" {
		t.Fatal(err)
	}
	if err := c.Connect(t.Context()); err != nil {
		t.Fatal(err)
	}
	if err := c.Disconnect(t.Context()); err != nil || c.Snapshot().Status != "disconnected" {
		t.Fatal(err)
	}
	if err := c.Disconnect(t.Context()); err != nil {
		t.Fatal(err)
	}
}

func TestDisconnectEndsActiveStream(t *testing.T) {
	fake := clock.NewFake(time.Now())
	c := newConn(t, ConnectorOptions{Directory: t.TempDir(), WatchMode: true}, fake)
	done := make(chan error, 1)
	go func() { done <- c.Consume(t.Context(), make(chan *integration.Message)) }()
	if err := fake.WaitForTimers(t.Context(), 1); err != nil {
		t.Fatal(err)
	}
	if err := c.Disconnect(t.Context()); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Fatalf("stream ended by Disconnect must return nil, got %v", err)
	}
}

func TestPosition(t *testing.T) {
	if got := Position("a.json", 17, time.Unix(1733313600, 5)); got != "a.json@17:1733313600000000005" {
		t.Fatal(got)
	}
}
