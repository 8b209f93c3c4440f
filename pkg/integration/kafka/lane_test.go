package kafka

import (
	"testing"

	"github.com/mfn-io/mfn-operator/pkg/integration"
)

// TestLaneAbandonKeepsOldBuffers: after a write that may still be in
// progress in kafka-go (abandon), the next run's records, headers and keys
// are written into new arrays, never into those of the abandoned run; after
// a finished run (release) the arrays are reused.
func TestLaneAbandonKeepsOldBuffers(t *testing.T) {
	msgs := []integration.Outgoing{{Key: "sim-1", EventID: "ev-1", Body: []byte(`{"a":1}`)},
		{Key: "sim-2", EventID: "ev-2", Body: []byte(`{"a":2}`)}}
	var l lane
	first := l.fill(msgs)
	rec0, hdr0, key0 := &first[0], &first[0].Headers[0], &first[0].Key[0]
	l.release()
	again := l.fill(msgs)
	if &again[0] != rec0 || &again[0].Headers[0] != hdr0 || &again[0].Key[0] != key0 {
		t.Fatal("a released lane did not reuse its buffers")
	}
	l.abandon()
	l.release() // sendBatch's deferred release runs after abandon
	next := l.fill([]integration.Outgoing{{Key: "sim-3", EventID: "ev-3", Body: []byte(`{"a":3}`)}})
	if &next[0] == rec0 || &next[0].Headers[0] == hdr0 || &next[0].Key[0] == key0 {
		t.Fatal("the run after an abandoned write reused the abandoned run's buffers")
	}
	if string(again[0].Key) != "sim-1" || string(again[0].Headers[1].Value) != "ev-1" {
		t.Fatalf("the abandoned run's records changed: key %q, event id %q", again[0].Key, again[0].Headers[1].Value)
	}
}
