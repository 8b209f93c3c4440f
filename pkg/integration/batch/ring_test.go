package batch

import (
	"math/rand/v2"
	"strconv"
	"testing"

	"github.com/mfn-io/mfn-operator/pkg/integration"
)

// TestRingMatchesSliceModel drives the ring and a plain slice with the same
// random pushes, drops and front re-insertions (wrapping around and growing
// past the bound) and compares their contents after every step.
func TestRingMatchesSliceModel(t *testing.T) {
	const bound = 100
	rng := rand.New(rand.NewPCG(1, 2))
	var r ring
	var model []string
	next := 0
	id := func() string { next++; return strconv.Itoa(next) }
	for step := range 20000 {
		switch op := rng.IntN(10); {
		case op < 6 && len(model) < bound:
			e := id()
			r.push(entry{msg: integration.Outgoing{EventID: e}}, bound)
			model = append(model, e)
		case op < 9 && len(model) > 0:
			k := 1 + rng.IntN(len(model))
			r.drop(k)
			model = model[k:]
		case op == 9:
			// A failed sync puts messages back at the head, possibly past the bound.
			var es []entry
			var ids []string
			for range rng.IntN(5) {
				e := id()
				es = append(es, entry{msg: integration.Outgoing{EventID: e}})
				ids = append(ids, e)
			}
			r.pushFront(es, bound)
			model = append(ids, model...)
		}
		if r.len() != len(model) {
			t.Fatalf("step %d: len %d, want %d", step, r.len(), len(model))
		}
		got := make([]entry, r.len())
		r.copyTo(got, len(got))
		for i, e := range got {
			if e.msg.EventID != model[i] {
				t.Fatalf("step %d: entry %d is %q, want %q", step, i, e.msg.EventID, model[i])
			}
		}
		if len(model) > 0 && r.front().msg.EventID != model[0] {
			t.Fatalf("step %d: front %q, want %q", step, r.front().msg.EventID, model[0])
		}
	}
	if cap := len(r.buf); cap > bound+4 {
		t.Fatalf("ring grew to %d slots for a bound of %d", cap, bound)
	}
}

// TestRingDropReleasesReferences checks that dropped slots no longer hold
// the message bodies (the buffer must not keep delivered payloads alive).
func TestRingDropReleasesReferences(t *testing.T) {
	var r ring
	for i := range 10 {
		r.push(entry{msg: integration.Outgoing{EventID: strconv.Itoa(i), Body: []byte("x")}}, 16)
	}
	r.drop(7)
	held := 0
	for _, e := range r.buf {
		if e.msg.Body != nil {
			held++
		}
	}
	if held != 3 {
		t.Fatalf("%d slots hold a body, want the 3 buffered ones", held)
	}
}
