package batch

import (
	"time"

	"github.com/mfn-io/mfn-operator/pkg/integration"
)

type entry struct {
	msg integration.Outgoing
	at  time.Duration // enqueue time, since Publisher.epoch
}

// ring is the FIFO of buffered entries. It grows by doubling up to the
// buffer bound (the backing array is reused, so a steady flow allocates
// nothing) and removes runs from the head in one step.
type ring struct {
	buf  []entry
	head int
	n    int
}

// minRing is the initial capacity of a ring.
const minRing = 64

func (r *ring) len() int { return r.n }

// index maps the i-th entry from the head to its slot.
func (r *ring) index(i int) int {
	j := r.head + i
	if j >= len(r.buf) {
		j -= len(r.buf)
	}
	return j
}

// grow makes room for need entries; the capacity doubles but stops at
// bound unless more than bound entries must fit (a failed sync puts its
// messages back while Publish may have filled the space they left).
func (r *ring) grow(need, bound int) {
	if need <= len(r.buf) {
		return
	}
	size := max(2*len(r.buf), minRing)
	if size > bound {
		size = max(bound, need)
	}
	size = max(size, need)
	buf := make([]entry, size)
	r.copyTo(buf, r.n)
	r.buf, r.head = buf, 0
}

// push appends e at the tail.
func (r *ring) push(e entry, bound int) {
	r.grow(r.n+1, bound)
	r.buf[r.index(r.n)] = e
	r.n++
}

// pushFront puts es back at the head, in order.
func (r *ring) pushFront(es []entry, bound int) {
	r.grow(r.n+len(es), bound)
	for i := len(es) - 1; i >= 0; i-- {
		r.head--
		if r.head < 0 {
			r.head += len(r.buf)
		}
		r.buf[r.head] = es[i]
		r.n++
	}
}

// front returns the entry at the head; the ring must not be empty.
func (r *ring) front() *entry { return &r.buf[r.head] }

// copyTo copies the first k entries into dst (len(dst) ≥ k).
func (r *ring) copyTo(dst []entry, k int) {
	if k == 0 {
		return
	}
	first := min(k, len(r.buf)-r.head)
	copy(dst, r.buf[r.head:r.head+first])
	copy(dst[first:k], r.buf[:k-first])
}

// drop removes the first k entries, releasing their references.
func (r *ring) drop(k int) {
	if k == 0 {
		return
	}
	first := min(k, len(r.buf)-r.head)
	clear(r.buf[r.head : r.head+first])
	clear(r.buf[:k-first])
	r.head = r.index(k)
	r.n -= k
	if r.n == 0 {
		r.head = 0
	}
}

// copyRange copies k entries starting at the from-th entry into dst.
func (r *ring) copyRange(dst []entry, from, k int) {
	for i := range k {
		dst[i] = r.buf[r.index(from+i)]
	}
}
