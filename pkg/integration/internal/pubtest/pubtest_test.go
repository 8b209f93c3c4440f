package pubtest

import (
	"testing"
)

func TestRecorderTransitions(t *testing.T) {
	logger, rec := NewLogger()
	l := logger.With("component_id", "x")
	l.Warn("Circuit breaker opened", "breaker_state", "open", "breaker_from", "closed")
	l.Info("Sent", "event_id", "e1")
	l.Debug("Circuit breaker half-open", "breaker_state", "half_open", "breaker_from", "open")
	got := rec.BreakerTransitions()
	if len(got) != 2 || got[0] != "closed->open" || got[1] != "open->half_open" {
		t.Fatalf("transitions %v", got)
	}
	if !rec.Contains("e1") || rec.Contains("e2") || rec.Records()[0].Attrs["component_id"] != "x" {
		t.Fatalf("records %+v", rec.Records())
	}
}

func TestTally(t *testing.T) {
	tl := NewTally()
	for _, id := range []string{"a", "b", "a", "c", "a"} {
		tl.Add(id)
	}
	if u, d := tl.Counts(); u != 3 || d != 2 {
		t.Fatalf("unique %d duplicates %d", u, d)
	}
	if o := tl.Order(); len(o) != 3 || o[0] != "a" || o[2] != "c" || !tl.Has("b") || tl.Has("z") {
		t.Fatalf("order %v", o)
	}
}

// walkError must reject walks that skip half-open or do not end closed.
func TestWalkError(t *testing.T) {
	good := []string{"closed->open", "open->half_open", "half_open->open", "open->half_open", "half_open->closed"}
	if err := walkError(good); err != nil {
		t.Fatalf("valid walk: %v", err)
	}
	for _, w := range [][]string{
		{"closed->open", "open->half_open"},
		{"closed->open", "open->closed", "closed->open", "open->half_open", "half_open->closed"},
		{"open->half_open", "half_open->closed", "closed->open"},
		{"closed->open", "half_open->closed", "open->half_open", "half_open->closed"},
	} {
		if walkError(w) == nil {
			t.Errorf("walk %v accepted", w)
		}
	}
}
