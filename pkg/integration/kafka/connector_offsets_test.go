package kafka

import "testing"

// TestTrackerContiguousWatermark is checklist row 11: ack 0,1,3 commits 2;
// after ack 2 the watermark jumps to 4.
func TestTrackerContiguousWatermark(t *testing.T) {
	p := newPartitionTracker(0)
	for off := int64(0); off < 5; off++ {
		p.Add(off)
	}
	if got, ok := p.ToCommit(); got != 0 || !ok {
		t.Fatalf("initial ToCommit = %d,%v want 0,true", got, ok)
	}
	p.MarkCommitted(0)
	if _, ok := p.ToCommit(); ok {
		t.Fatal("nothing new to commit after MarkCommitted(0)")
	}
	p.Ack(0)
	p.Ack(1)
	if p.Ack(3) {
		t.Fatal("ack 3 moved the watermark over unacknowledged 2")
	}
	if got, ok := p.ToCommit(); got != 2 || !ok {
		t.Fatalf("after ack 0,1,3: ToCommit = %d,%v want 2,true", got, ok)
	}
	p.MarkCommitted(2)
	if !p.Ack(2) {
		t.Fatal("ack 2 did not move the watermark")
	}
	if got, _ := p.ToCommit(); got != 4 {
		t.Fatalf("after ack 2: ToCommit = %d want 4", got)
	}
	if n := p.Outstanding(); n != 1 {
		t.Fatalf("outstanding = %d want 1", n)
	}
}

func TestTrackerGapsAndDuplicates(t *testing.T) {
	p := newPartitionTracker(10)
	// Compacted topic: offsets 10, 13, 20.
	p.Add(10)
	p.Add(13)
	p.Add(13) // re-fetch of the same record is ignored
	p.Add(20)
	p.Ack(13)
	if got, _ := p.ToCommit(); got != 10 {
		t.Fatalf("watermark = %d want 10", got)
	}
	p.Ack(10)
	if got, _ := p.ToCommit(); got != 14 {
		t.Fatalf("watermark = %d want 14", got)
	}
	if p.Ack(13) || p.Ack(99) {
		t.Fatal("double or unknown ack moved the watermark")
	}
	p.Ack(20)
	if got, _ := p.ToCommit(); got != 21 {
		t.Fatalf("watermark = %d want 21", got)
	}
	if n := p.Outstanding(); n != 0 {
		t.Fatalf("outstanding = %d want 0", n)
	}
}

func TestTrackerCompactsLongRuns(t *testing.T) {
	p := newPartitionTracker(0)
	const n = 5000
	for off := int64(0); off < n; off++ {
		p.Add(off)
		p.Ack(off)
	}
	if got, _ := p.ToCommit(); got != n {
		t.Fatalf("watermark = %d want %d", got, n)
	}
	if len(p.pending) > 2048 {
		t.Fatalf("pending slice kept %d entries", len(p.pending))
	}
}

func TestTrackerWithoutCommittedOffset(t *testing.T) {
	p := newPartitionTracker(-1)
	if _, ok := p.ToCommit(); ok {
		t.Fatal("tracker without offset wants to commit")
	}
	p.Add(42)
	p.Add(43)
	if got, ok := p.ToCommit(); got != 42 || !ok {
		t.Fatalf("ToCommit = %d,%v want 42,true", got, ok)
	}
	p.Ack(42)
	if got, _ := p.ToCommit(); got != 43 {
		t.Fatalf("ToCommit = %d want 43", got)
	}
}
