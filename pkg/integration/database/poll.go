package database

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"strconv"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/mfn-io/mfn-operator/pkg/integration"
)

// claimed is one row taken by a poll.
type claimed struct {
	key     any
	keyText string
	payload []byte
	err     error // the row cannot become a message
}

func quote(name string) string { return pgx.Identifier{name}.Sanitize() }

// poll claims rows and hands them to out (one message per row, or one per
// poll in batch mode). It reports whether more rows are probably waiting
// (the claim returned a full batch and some of it was new, or it returned
// rows settled while it ran, which the next claim reads as they are now).
func (c *Connector) poll(ctx context.Context, pool *pgxpool.Pool, out chan<- *integration.Message) bool {
	since, endClaim := c.beginClaim()
	defer endClaim()
	if !c.claimReadsUnlocked() {
		since = ^uint64(0) // the claim's lease stamp sees committed acks
	}
	var rows []claimed
	err := c.base.Do(ctx, "poll", func(actx context.Context) error {
		var err error
		rows, err = c.claim(actx, pool)
		return err
	})
	if err != nil {
		if ctx.Err() == nil {
			c.base.Failed(err, "operation", "poll")
		}
		return false
	}
	fresh := make([]claimed, 0, len(rows))
	stale := false // a row settled while the claim ran: poll again at once
	for _, r := range rows {
		switch c.track(r.keyText, since) {
		case inFlight:
			// Already handed out and not settled (a plain query returns it
			// again, or its lease ran out while in flight): skip it.
		case settledDuringClaim:
			// The claim may have read the row as it was before its
			// ack_query committed: skip it, and let the next claim, which
			// reads the settled row, decide.
			stale = true
		default:
			if r.err != nil {
				c.untrack(r.keyText)
				c.reject(ctx, pool, r)
				continue
			}
			fresh = append(fresh, r)
		}
	}
	if c.opts.emit() == EmitBatch {
		c.emitBatch(ctx, pool, out, fresh)
	} else {
		c.emitRows(ctx, pool, out, fresh)
	}
	return stale || len(rows) >= c.opts.batchSize() && len(fresh) > 0
}

// emitRows hands out one message per row.
func (c *Connector) emitRows(ctx context.Context, pool *pgxpool.Pool, out chan<- *integration.Message, rows []claimed) {
	for i, r := range rows {
		pos := c.st.source + "/" + r.keyText
		msg := integration.NewMessage(c.ID(), pos, r.payload, c.clock.Now().UTC(), c.settler(pool, r))
		msg.Metadata = map[string]string{"source": c.st.source, "key": r.keyText}
		if !c.handOver(ctx, pool, out, msg, rows[i:]) {
			return
		}
	}
}

// emitBatch hands out one message holding every row as a JSON array
// (nothing when there are none). Its settlement runs ack_query (or the
// release statement) for each row.
func (c *Connector) emitBatch(ctx context.Context, pool *pgxpool.Pool, out chan<- *integration.Message, rows []claimed) {
	if len(rows) == 0 {
		return
	}
	var body bytes.Buffer
	sum := sha256.New()
	body.WriteByte('[')
	for i, r := range rows {
		if i > 0 {
			body.WriteByte(',')
		}
		body.Write(r.payload)
		sum.Write([]byte(r.keyText))
		sum.Write([]byte{0})
	}
	body.WriteByte(']')
	if body.Len() > c.cfg.MaxMessageBytes {
		err := integration.Invalid(fmt.Errorf("batch of %d rows is %d bytes, over max_message_bytes (%d); lower batch_size",
			len(rows), body.Len(), c.cfg.MaxMessageBytes))
		for _, r := range rows {
			c.untrack(r.keyText)
			r.err = err
			c.reject(ctx, pool, r)
		}
		return
	}
	pos := fmt.Sprintf("%s/batch-%x", c.st.source, sum.Sum(nil)[:8])
	settle := func(ctx context.Context, reason error) error {
		var errs []error
		for _, r := range rows {
			errs = append(errs, c.settler(pool, r)(ctx, reason))
		}
		return errors.Join(errs...)
	}
	msg := integration.NewMessage(c.ID(), pos, body.Bytes(), c.clock.Now().UTC(), settle)
	msg.Metadata = map[string]string{"source": c.st.source, "rows": strconv.Itoa(len(rows))}
	c.handOver(ctx, pool, out, msg, rows)
}

// handOver counts and sends msg; when ctx ends first, the rows not handed
// out are given back (best effort; their lease expires otherwise).
func (c *Connector) handOver(ctx context.Context, pool *pgxpool.Pool, out chan<- *integration.Message,
	msg *integration.Message, pending []claimed) bool {
	// Counted before the hand-over: see kafka.Connector.
	c.base.Received(len(msg.Payload), "position", msg.Position)
	select {
	case out <- msg:
		return true
	case <-ctx.Done():
		for _, r := range pending {
			c.untrack(r.keyText)
			c.release(context.WithoutCancel(ctx), pool, r)
		}
		return false
	}
}

// claimReadsUnlocked reports whether the claim statement may return a row
// as it was before a concurrent ack_query committed: a user query without
// the lease parameter ($1), a plain SELECT. The table claim (and a query
// that stamps a lease with $1, an UPDATE … RETURNING) locks each row it
// returns and re-reads it after a concurrent update commits, so an acked
// row is not returned; skipping a row it returned would also leave that
// row leased until the lease expires.
func (c *Connector) claimReadsUnlocked() bool { return c.opts.Query != "" && c.params == 0 }

// beginClaim registers a claim that starts now and returns the settlement
// number it starts after. A row settled after that number may have been
// read by the claim in its state before the settlement (the claim's
// snapshot predates the ack_query's commit), so track refuses it for this
// claim: without that, a plain query polled while rows were being acked
// handed some of them out again. endClaim forgets the settlements no
// running claim can have missed.
func (c *Connector) beginClaim() (since uint64, endClaim func()) {
	c.flightMu.Lock()
	defer c.flightMu.Unlock()
	since = c.settleSeq
	if c.claims == nil {
		c.claims = map[uint64]int{}
	}
	c.claims[since]++
	return since, func() {
		c.flightMu.Lock()
		defer c.flightMu.Unlock()
		if c.claims[since]--; c.claims[since] == 0 {
			delete(c.claims, since)
		}
		oldest := c.settleSeq
		for s := range c.claims {
			oldest = min(oldest, s)
		}
		for key, seq := range c.settledAt {
			if seq <= oldest {
				delete(c.settledAt, key)
			}
		}
	}
}

// trackResult is the outcome of track.
type trackResult int

const (
	tracked            trackResult = iota // now in flight
	inFlight                              // in flight already
	settledDuringClaim                    // settled after the claim began
)

// track marks a key in flight for a claim begun after settlement since,
// unless it is in flight already or was settled after since.
func (c *Connector) track(key string, since uint64) trackResult {
	c.flightMu.Lock()
	defer c.flightMu.Unlock()
	switch {
	case c.inflight[key]:
		return inFlight
	case c.settledAt[key] > since:
		return settledDuringClaim
	}
	if c.inflight == nil {
		c.inflight = map[string]bool{}
	}
	c.inflight[key] = true
	return tracked
}

// untrack ends a key's flight (its row was acked, released or rejected).
// While a claim runs the settlement is numbered, see beginClaim.
func (c *Connector) untrack(key string) {
	c.flightMu.Lock()
	defer c.flightMu.Unlock()
	delete(c.inflight, key)
	c.settleSeq++
	if len(c.claims) > 0 {
		if c.settledAt == nil {
			c.settledAt = map[string]uint64{}
		}
		c.settledAt[key] = c.settleSeq
	}
}

// claim runs the claim statement and encodes the rows.
func (c *Connector) claim(ctx context.Context, pool *pgxpool.Pool) ([]claimed, error) {
	qctx, cancel := context.WithTimeout(ctx, c.cfg.Timeout)
	defer cancel()
	now := c.clock.Now()
	args := []any{now.Add(c.opts.lease()), now, c.opts.batchSize()}[:c.params]
	rs, err := pool.Query(qctx, c.st.claim, args...)
	if err != nil {
		return nil, c.classify(ctx, qctx, err)
	}
	defer rs.Close()
	fields := rs.FieldDescriptions()
	keyIdx := -1
	for i, f := range fields {
		if f.Name == c.opts.KeyColumn {
			keyIdx = i
		}
	}
	if keyIdx < 0 {
		return nil, integration.Permanent(fmt.Errorf("key_column %q is not a column of the claim result", c.opts.KeyColumn))
	}
	var out []claimed
	for rs.Next() {
		vals, err := rs.Values()
		if err != nil {
			return nil, c.classify(ctx, qctx, err)
		}
		r := claimed{key: vals[keyIdx], keyText: keyText(fields[keyIdx], vals[keyIdx])}
		r.payload, r.err = encodeRow(fields, vals, c.st.leaseColumn)
		if r.err == nil && len(r.payload) > c.cfg.MaxMessageBytes {
			r.err = fmt.Errorf("row of %d bytes exceeds max_message_bytes (%d)", len(r.payload), c.cfg.MaxMessageBytes)
		}
		if r.err != nil {
			r.err = integration.Invalid(fmt.Errorf("row %s/%s: %w", c.st.source, r.keyText, r.err))
			r.payload = nil
		}
		out = append(out, r)
	}
	if err := rs.Err(); err != nil {
		return nil, c.classify(ctx, qctx, err)
	}
	return out, nil
}

// settler returns the Ack/Nack function of one row.
func (c *Connector) settler(pool *pgxpool.Pool, r claimed) func(context.Context, error) error {
	return func(ctx context.Context, reason error) error {
		defer c.untrack(r.keyText)
		if reason != nil {
			c.release(ctx, pool, r)
			return nil
		}
		return c.exec(ctx, pool, "ack", c.st.ack, r.key)
	}
}

// release makes a row claimable again (no-op without a release statement).
func (c *Connector) release(ctx context.Context, pool *pgxpool.Pool, r claimed) {
	if c.st.release == "" {
		return
	}
	if err := c.exec(ctx, pool, "release", c.st.release, r.key); err != nil {
		c.log.Warn("Release failed; the row waits for its lease", "operation", "release", "key", r.keyText,
			"error", c.base.Redact(err.Error()))
	}
}

// reject accounts a row that cannot become a message and runs fail_query.
func (c *Connector) reject(ctx context.Context, pool *pgxpool.Pool, r claimed) {
	c.base.Failed(r.err, "key", r.keyText)
	if c.st.fail == "" {
		return // keeps its lease; tried again after it expires
	}
	if err := c.exec(ctx, pool, "fail", c.st.fail, r.key, r.err.Error()); err != nil {
		c.log.Warn("fail_query failed", "operation", "fail", "key", r.keyText, "error", c.base.Redact(err.Error()))
	}
}

// exec runs one settle statement through the retry loop with the
// statement deadline.
func (c *Connector) exec(ctx context.Context, pool *pgxpool.Pool, op, sql string, args ...any) error {
	var tag int64
	err := c.base.Do(ctx, op, func(actx context.Context) error {
		qctx, cancel := context.WithTimeout(actx, c.cfg.Timeout)
		defer cancel()
		ct, err := pool.Exec(qctx, sql, args...)
		tag = ct.RowsAffected()
		return c.classify(actx, qctx, err)
	})
	if err == nil && tag == 0 && op == "ack" {
		c.log.Warn("ack_query changed no row", "operation", op)
	}
	return err
}
