package file

import (
	"bufio"
	"encoding/json"
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
