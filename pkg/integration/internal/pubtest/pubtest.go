package pubtest

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"
)

// Recorder is a slog.Handler that keeps the records it is given.
type Recorder struct {
	mu      sync.Mutex
	records []Record
	attrs   []slog.Attr
	parent  *Recorder
}

// Record is one captured log record with its attributes flattened.
type Record struct {
	Level   slog.Level
	Message string
	Attrs   map[string]any
}

// NewLogger returns a debug-level logger writing into a new Recorder.
func NewLogger() (*slog.Logger, *Recorder) {
	r := &Recorder{}
	return slog.New(r), r
}

func (r *Recorder) root() *Recorder {
	if r.parent != nil {
		return r.parent.root()
	}
	return r
}

// Enabled implements slog.Handler (every level).
func (r *Recorder) Enabled(context.Context, slog.Level) bool { return true }

// Handle implements slog.Handler.
func (r *Recorder) Handle(_ context.Context, rec slog.Record) error {
	out := Record{Level: rec.Level, Message: rec.Message, Attrs: map[string]any{}}
	for _, a := range r.attrs {
		out.Attrs[a.Key] = a.Value.Any()
	}
	rec.Attrs(func(a slog.Attr) bool {
		out.Attrs[a.Key] = a.Value.Any()
		return true
	})
	root := r.root()
	root.mu.Lock()
	root.records = append(root.records, out)
	root.mu.Unlock()
	return nil
}

// WithAttrs implements slog.Handler.
func (r *Recorder) WithAttrs(as []slog.Attr) slog.Handler {
	return &Recorder{parent: r.root(), attrs: append(append([]slog.Attr(nil), r.attrs...), as...)}
}

// WithGroup implements slog.Handler (groups are flattened).
func (r *Recorder) WithGroup(string) slog.Handler { return r }

// Records returns a copy of everything logged so far.
func (r *Recorder) Records() []Record {
	root := r.root()
	root.mu.Lock()
	defer root.mu.Unlock()
	return append([]Record(nil), root.records...)
}

// BreakerTransitions returns the breaker state changes in the order they
// were logged, as "from->to" (closed, open, half_open).
func (r *Recorder) BreakerTransitions() []string {
	var out []string
	for _, rec := range r.Records() {
		from, ok1 := rec.Attrs["breaker_from"]
		to, ok2 := rec.Attrs["breaker_state"]
		if ok1 && ok2 {
			out = append(out, fmt.Sprint(from)+"->"+fmt.Sprint(to))
		}
	}
	return out
}

// Contains reports whether any record's message or attribute text contains s.
func (r *Recorder) Contains(s string) bool {
	for _, rec := range r.Records() {
		if strings.Contains(rec.Message, s) {
			return true
		}
		for _, v := range rec.Attrs {
			if strings.Contains(fmt.Sprint(v), s) {
				return true
			}
		}
	}
	return false
}

// Tally counts deliveries by event id at the receiving side.
type Tally struct {
	mu    sync.Mutex
	seen  map[string]int
	total int
	order []string
}

// NewTally returns an empty tally.
func NewTally() *Tally { return &Tally{seen: map[string]int{}} }

// Add records one delivery of id.
func (t *Tally) Add(id string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.seen[id] == 0 {
		t.order = append(t.order, id)
	}
	t.seen[id]++
	t.total++
}

// Counts returns the number of distinct ids and the number of duplicate
// deliveries (total − distinct).
func (t *Tally) Counts() (unique, duplicates int) {
	t.mu.Lock()
	defer t.mu.Unlock()
	return len(t.seen), t.total - len(t.seen)
}

// Order returns the distinct ids in first-delivery order.
func (t *Tally) Order() []string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return append([]string(nil), t.order...)
}

// Has reports whether id was delivered at least once.
func (t *Tally) Has(id string) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.seen[id] > 0
}

// WaitUnique polls until n distinct ids were delivered or ctx ends.
func (t *Tally) WaitUnique(ctx context.Context, n int) error {
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	for {
		if u, _ := t.Counts(); u >= n {
			return nil
		}
		select {
		case <-ctx.Done():
			u, d := t.Counts()
			return fmt.Errorf("%d of %d distinct ids delivered (%d duplicates): %w", u, n, d, ctx.Err())
		case <-tick.C:
		}
	}
}
