package file

import (
	"bufio"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mfn-io/mfn-operator/pkg/integration"
	"github.com/mfn-io/mfn-operator/pkg/integration/component"
)

func TestJSONLPublisher(t *testing.T) {
	path := filepath.Join(t.TempDir(), "out", "results.jsonl")
	p, err := NewJSONLPublisher(JSONLOptions{Path: path, Config: integration.PublisherConfig{BatchSize: 2}}, component.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if p.ID() != "jsonl-"+path || p.Kind() != "jsonl" {
		t.Fatal(p.ID())
	}
	var failed error
	for i, body := range []string{`{"n":1}`, `{"n":2}`, "{\n}", `{"n":3}`} {
		msg := integration.Outgoing{EventID: string(rune('a' + i)), Body: []byte(body)}
		if i == 2 {
			msg.Done = func(err error) { failed = err }
		}
		if err := p.Publish(t.Context(), msg); err != nil {
			t.Fatal(err)
		}
	}
	if err := p.Disconnect(t.Context()); err != nil {
		t.Fatal(err) // the invalid message was dropped by the size-triggered flush
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var lines []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var v map[string]int
		if err := json.Unmarshal(sc.Bytes(), &v); err != nil {
			t.Fatalf("line %q: %v", sc.Text(), err)
		}
		lines = append(lines, sc.Text())
	}
	if strings.Join(lines, "|") != `{"n":1}|{"n":2}|{"n":3}` {
		t.Fatal(lines)
	}
	if failed == nil || !strings.Contains(failed.Error(), "contains a line break") {
		t.Fatal(failed)
	}
	m := p.Snapshot().Publisher
	if m.MessagesSent != 3 || m.MessagesFailed != 1 || m.BytesSent != 21 {
		t.Fatalf("%+v", m)
	}
	// Appends across publishers.
	q, _ := NewJSONLPublisher(JSONLOptions{Path: path}, component.Options{})
	_ = q.Publish(t.Context(), integration.Outgoing{Body: []byte(`{"n":4}`)})
	if err := q.Disconnect(t.Context()); err != nil {
		t.Fatal(err)
	}
	data, _ := os.ReadFile(path)
	if strings.Count(string(data), "\n") != 4 {
		t.Fatalf("%q", data)
	}
	if _, err := NewJSONLPublisher(JSONLOptions{}, component.Options{}); err == nil {
		t.Fatal("empty path accepted")
	}
}

// TestJSONLSinkSendBatch: one SendBatch writes the lines before a body
// with a line break and reports that body as Invalid at its index; the
// batching engine then resumes after it.
func TestJSONLSinkSendBatch(t *testing.T) {
	path := filepath.Join(t.TempDir(), "r.jsonl")
	s := &jsonlSink{path: path}
	var e *integration.Error
	if _, err := s.SendBatch(t.Context(), []integration.Outgoing{{Body: []byte(`{}`)}}); !errors.As(err, &e) || !e.NotSent {
		t.Fatalf("closed sink: %v", err)
	}
	if err := s.Open(t.Context()); err != nil {
		t.Fatal(err)
	}
	batch := []integration.Outgoing{
		{EventID: "a", Body: []byte(`{"n":1}`)},
		{EventID: "b", Body: []byte(`{"n":2}`)},
		{EventID: "c", Body: []byte("{\"n\":\r3}")},
		{EventID: "d", Body: []byte(`{"n":4}`)},
	}
	n, err := s.SendBatch(t.Context(), batch)
	if n != 2 || !integration.IsPermanent(err) || !strings.Contains(err.Error(), "message c contains a line break") {
		t.Fatalf("n=%d err=%v", n, err)
	}
	if n, err = s.SendBatch(t.Context(), batch[3:]); n != 1 || err != nil {
		t.Fatalf("n=%d err=%v", n, err)
	}
	if n, err = s.SendBatch(t.Context(), batch[2:3]); n != 0 || err == nil {
		t.Fatalf("only a bad body: n=%d err=%v", n, err)
	}
	if err := s.Sync(t.Context()); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(t.Context()); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if string(data) != "{\"n\":1}\n{\"n\":2}\n{\"n\":4}\n" {
		t.Fatalf("%q", data)
	}
}
