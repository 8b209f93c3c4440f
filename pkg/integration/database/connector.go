package database

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/mfn-io/mfn-operator/pkg/integration"
	"github.com/mfn-io/mfn-operator/pkg/integration/clock"
	"github.com/mfn-io/mfn-operator/pkg/integration/component"
	"github.com/mfn-io/mfn-operator/pkg/integration/internal/poll"
)

// Connector polls a PostgreSQL table, claiming rows with a lease (see the
// package documentation for the claim contract).
//
// Ack runs ack_query for the row. Nack runs the release statement so the
// row can be claimed again at once (in query mode without release_query
// the row waits for its lease). A crash leaves claimed rows leased; they
// become claimable again when the lease expires (at-least-once).
type Connector struct {
	opts  Options
	cfg   integration.ConnectorConfig
	st    statements
	clock clock.Clock
	log   *slog.Logger
	base  *component.ConnectorBase

	mu     sync.Mutex
	pool   *pgxpool.Pool
	stop   chan struct{}
	params int // placeholders of the claim statement ($1…$3)

	flightMu sync.Mutex
	inflight map[string]bool // keys handed out and not yet settled
	// settleSeq numbers the settlements; settledAt holds the number of the
	// last settlement of each key settled while a claim was running, and
	// claims the settleSeq at the start of each running claim (see
	// beginClaim).
	settleSeq uint64
	settledAt map[string]uint64
	claims    map[uint64]int
}

var _ integration.Connector = (*Connector)(nil)

// New validates opts and returns a disconnected connector.
func New(opts Options) (*Connector, error) {
	if err := opts.Validate(); err != nil {
		return nil, err
	}
	secrets := []string{opts.ConnectionString}
	if pc, err := pgconn.ParseConfig(opts.ConnectionString); err == nil && pc.Password != "" {
		secrets = append(secrets, pc.Password)
	}
	base, err := component.NewConnectorBase(opts.Config, component.Options{ID: opts.id(), Name: opts.Name,
		Kind: "database", Logger: opts.Logger, Clock: opts.Clock, Registerer: opts.Registerer, Secrets: secrets})
	if err != nil {
		return nil, err
	}
	return &Connector{opts: opts, cfg: base.Config(), st: buildStatements(&opts), clock: base.Clock(),
		log: base.Logger(), base: base}, nil
}

// ID returns the component identifier ("database" unless overridden).
func (c *Connector) ID() string { return c.base.ID() }

// Kind returns "database".
func (c *Connector) Kind() string { return "database" }

// Snapshot returns status, breaker and metrics.
func (c *Connector) Snapshot() integration.ComponentSnapshot { return c.base.Snapshot() }

// Connect opens the pool and checks, through the retry loop and breaker,
// that the server answers and (in table mode) that the table, key and
// lease columns exist. A second call while connected does nothing.
func (c *Connector) Connect(ctx context.Context) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.pool != nil {
		return nil
	}
	pcfg, err := pgxpool.ParseConfig(c.opts.ConnectionString)
	if err != nil {
		err = integration.Permanent(errors.New("connection_string is not a valid PostgreSQL DSN"))
		c.base.ConnectError(err)
		return err
	}
	pool, err := pgxpool.NewWithConfig(context.WithoutCancel(ctx), pcfg)
	if err != nil {
		err = integration.Permanent(err)
		c.base.ConnectError(err)
		return err
	}
	if err := c.base.Connect(ctx, func(ctx context.Context) error { return c.check(ctx, pool) }); err != nil {
		pool.Close()
		return err
	}
	if c.params < 0 || c.params > 3 {
		pool.Close()
		err := integration.Permanent(fmt.Errorf("query uses %d parameters; at most 3 ($1 lease expiry, $2 now, $3 row limit)", c.params))
		c.base.ConnectError(err)
		return err
	}
	c.pool, c.stop = pool, make(chan struct{})
	return nil
}

// check pings the server, probes the table's columns (table mode) and
// prepares the claim statement to learn how many parameters it takes.
func (c *Connector) check(ctx context.Context, pool *pgxpool.Pool) error {
	qctx, cancel := context.WithTimeout(ctx, c.cfg.Timeout)
	defer cancel()
	conn, err := pool.Acquire(qctx)
	if err != nil {
		return c.classify(ctx, qctx, err)
	}
	defer conn.Release()
	if c.opts.Table != "" {
		probe := fmt.Sprintf("SELECT %s, %s FROM %s LIMIT 0", quote(c.opts.KeyColumn),
			quote(c.opts.leaseColumn()), splitIdent(c.opts.Table).Sanitize())
		if _, err := conn.Exec(qctx, probe); err != nil {
			return c.classify(ctx, qctx, err)
		}
	}
	sd, err := conn.Conn().PgConn().Prepare(qctx, "", c.st.claim, nil)
	if err != nil {
		return c.classify(ctx, qctx, err)
	}
	c.params = len(sd.ParamOIDs)
	return nil
}

// classify turns driver errors into the retry classes: deadline expiry is
// the §12 timeout text; authentication, missing database/table/column and
// syntax errors are permanent.
func (c *Connector) classify(ctx, qctx context.Context, err error) error {
	if err == nil {
		return nil
	}
	if ctx.Err() != nil {
		return ctx.Err()
	}
	if errors.Is(qctx.Err(), context.DeadlineExceeded) {
		return integration.TimeoutError(c.cfg.Timeout)
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		switch pe.Code[:2] {
		case "08", "40", "53", "57": // connection, rollback/serialization, resources, operator intervention
			return err
		}
		return integration.Permanent(fmt.Errorf("%s (SQLSTATE %s)", pe.Message, pe.Code))
	}
	return err
}

// Disconnect closes the pool and ends an active Consume (which returns
// nil). Rows handed out and not yet settled keep their lease. It is
// idempotent.
func (c *Connector) Disconnect(context.Context) error {
	c.mu.Lock()
	pool := c.pool
	if pool != nil {
		close(c.stop)
		c.pool = nil
	}
	c.mu.Unlock()
	if pool != nil {
		pool.Close()
	}
	c.base.Disconnected()
	return nil
}

// Consume claims and emits rows until ctx ends (ctx.Err()) or Disconnect
// (nil). A poll that returns a full batch is followed by another at once;
// otherwise the next poll is PollInterval after the previous one started.
func (c *Connector) Consume(ctx context.Context, out chan<- *integration.Message) error {
	if err := c.base.CheckEnabled(); err != nil {
		return err
	}
	if err := c.Connect(ctx); err != nil {
		return err
	}
	c.mu.Lock()
	pool, stop := c.pool, c.stop
	c.mu.Unlock()
	if pool == nil {
		return nil
	}
	return poll.Run(ctx, c.clock, c.opts.pollInterval(), stop, func(ctx context.Context) bool {
		return c.poll(ctx, pool, out)
	})
}
