package database

import (
	"context"
	"fmt"

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

// poll claims one batch and hands its rows to out. It reports whether the
// batch was full (more rows are probably waiting).
func (c *Connector) poll(ctx context.Context, pool *pgxpool.Pool, out chan<- *integration.Message) bool {
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
	for i, r := range rows {
		if r.err != nil {
			c.reject(ctx, pool, r)
			continue
		}
		pos := c.st.source + "/" + r.keyText
		msg := integration.NewMessage(c.ID(), pos, r.payload, c.clock.Now().UTC(), c.settler(pool, r))
		msg.Metadata = map[string]string{"source": c.st.source, "key": r.keyText}
		c.base.Received(len(r.payload), "position", pos) // before the hand-over: see kafka.Connector
		select {
		case out <- msg:
		case <-ctx.Done():
			// Not handed out: give the rest back at once (best effort; the
			// lease expires otherwise).
			for _, left := range rows[i:] {
				c.release(context.WithoutCancel(ctx), pool, left)
			}
			return false
		}
	}
	return len(rows) >= c.opts.batchSize()
}

// claim runs the claim statement and encodes the rows.
func (c *Connector) claim(ctx context.Context, pool *pgxpool.Pool) ([]claimed, error) {
	qctx, cancel := context.WithTimeout(ctx, c.cfg.Timeout)
	defer cancel()
	now := c.clock.Now()
	rs, err := pool.Query(qctx, c.st.claim, now.Add(c.opts.lease()), now, c.opts.batchSize())
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
