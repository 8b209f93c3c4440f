package kafka

import "sync"

// partitionTracker computes the contiguous acknowledged watermark of one
// partition. Records are added in the order they were fetched; Ack marks one
// of them done; Commit returns the offset to commit (the offset after the
// last record of the longest fully acknowledged prefix). Offsets need not be
// consecutive (compacted topics, transaction markers): the prefix follows
// fetch order, not arithmetic.
type partitionTracker struct {
	mu sync.Mutex
	// pending holds fetched, not yet released offsets in fetch order; head
	// is the index of the first one still pending.
	pending []int64
	head    int
	acked   map[int64]bool
	// next is the offset to commit: everything before it is acknowledged.
	next int64
	// committed is the last offset handed to the broker, -1 if none.
	committed int64
}

// newPartitionTracker starts at the committed offset, or at -1 when the
// group has none (the first added record then sets the start).
func newPartitionTracker(start int64) *partitionTracker {
	return &partitionTracker{acked: map[int64]bool{}, next: start, committed: -1}
}

// Add registers a fetched record.
func (p *partitionTracker) Add(offset int64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.next < 0 {
		p.next = offset // first record of a partition without a committed offset
	}
	if _, dup := p.acked[offset]; dup || offset < p.next {
		return
	}
	p.pending = append(p.pending, offset)
	p.acked[offset] = false
}

// Ack marks a record acknowledged and advances the watermark. It reports
// whether the watermark moved.
func (p *partitionTracker) Ack(offset int64) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	done, known := p.acked[offset]
	if !known || done {
		return false
	}
	p.acked[offset] = true
	moved := false
	for p.head < len(p.pending) && p.acked[p.pending[p.head]] {
		off := p.pending[p.head]
		delete(p.acked, off)
		p.next = off + 1
		p.head++
		moved = true
	}
	if p.head > 1024 && p.head*2 > len(p.pending) {
		p.pending = append([]int64(nil), p.pending[p.head:]...)
		p.head = 0
	}
	return moved
}

// Outstanding is the number of fetched records not yet released by the
// watermark (acknowledged ones behind an unacknowledged record included).
func (p *partitionTracker) Outstanding() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.pending) - p.head
}

// ToCommit returns the watermark and whether it differs from the last value
// marked committed.
func (p *partitionTracker) ToCommit() (int64, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.next, p.next != p.committed && p.next >= 0
}

// MarkCommitted records that offset was committed.
func (p *partitionTracker) MarkCommitted(offset int64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if offset > p.committed {
		p.committed = offset
	}
}
