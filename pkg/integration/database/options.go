package database

import (
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/mfn-io/mfn-operator/pkg/integration"
	"github.com/mfn-io/mfn-operator/pkg/integration/clock"
)

// Defaults of [Options].
const (
	DefaultID           = "database"
	DefaultLeaseColumn  = "lease_until"
	DefaultPollInterval = 60 * time.Second
	DefaultBatchSize    = 10
	DefaultLease        = 5 * time.Minute
	MaxBatchSize        = 10000
)

// Emission modes.
const (
	// EmitRow hands out one message per row (default).
	EmitRow = "row"
	// EmitBatch hands out one message per poll: a JSON array of the rows,
	// nothing when there are none (SEED parity).
	EmitBatch = "batch"
)

// Options configure a PostgreSQL polling connector. Zero values mean the
// documented defaults. Either Table (with KeyColumn) or Query must be set.
type Options struct {
	// ID overrides the component identifier (default "database").
	ID string
	// Name is the configured name (the CR name); default ID.
	Name string
	// ConnectionString is the PostgreSQL DSN (URL or key=value form). It
	// carries credentials: the manifest layer fills it from a Secret and it
	// is never logged.
	ConnectionString string

	// Table is the (optionally schema-qualified) table to claim rows from.
	Table string
	// KeyColumn is the table's unique key; its value is the $1 of AckQuery,
	// ReleaseQuery and FailQuery and ends the message position.
	KeyColumn string
	// LeaseColumn is a nullable timestamptz column holding the claim's
	// expiry (default "lease_until"). It is not part of emitted rows.
	LeaseColumn string
	// Where is an SQL condition selecting rows to process, e.g.
	// "status = 'pending'". Empty means every row.
	Where string
	// Columns restricts the emitted columns (default: all).
	Columns []string

	// Query replaces the generated claim statement. It may use up to three
	// parameters: $1 = lease expiry, $2 = now (both timestamptz) and $3 =
	// maximum row count. A claiming statement (UPDATE … FOR UPDATE SKIP
	// LOCKED … RETURNING) is safe with many workers; a plain SELECT without
	// parameters is polled as is and is safe with one worker only (rows
	// still in flight are not handed out twice). See docs/INTEGRATION.md.
	Query string

	// AckQuery runs after a row's result was accepted downstream, with $1 =
	// the key. It must make the row stop matching the claim (e.g. set
	// status = 'done', or delete it). Required.
	AckQuery string
	// ReleaseQuery runs on Nack with $1 = key so that the row can be claimed
	// again at once. Default with Table: clear the lease column. With Query
	// and no ReleaseQuery the row waits for its lease to expire.
	ReleaseQuery string
	// FailQuery runs for a row that cannot become a message (no JSON form,
	// too large), with $1 = key and $2 = the error text. Empty: the row
	// keeps its lease and is tried again when it expires.
	FailQuery string

	// Emit is row (default: one message per row, each acknowledged on its
	// own) or batch (one message per poll holding an array of rows; its Ack
	// runs ack_query for every row).
	Emit string

	// PollInterval is the period of polls while the table has no backlog
	// (default 60 s, must be > 0). A poll that returns a full batch is
	// followed by the next poll at once.
	PollInterval time.Duration
	// BatchSize is the maximum number of rows claimed per poll (default 10,
	// 1 … 10000).
	BatchSize int
	// Lease is how long a claimed row stays invisible to other claimers
	// (default 5 min, must be > 0). It must exceed the time a message takes
	// to be processed and published.
	Lease time.Duration

	// Config holds retries, breaker, timeout (statement deadline) and
	// max_message_bytes (bound of one row's JSON).
	Config integration.ConnectorConfig
	// Clock times polls, leases, retries and the breaker (default real
	// time). Leases are computed from this clock, not the server's, so
	// replicas sharing a table need clocks synchronised well within Lease.
	Clock clock.Clock
	// Logger receives structured logs (default slog.Default()).
	Logger *slog.Logger
	// Registerer receives the Prometheus collectors (nil: no export).
	Registerer prometheus.Registerer
}

func (o *Options) leaseColumn() string {
	if o.LeaseColumn == "" {
		return DefaultLeaseColumn
	}
	return o.LeaseColumn
}

func (o *Options) pollInterval() time.Duration {
	if o.PollInterval == 0 {
		return DefaultPollInterval
	}
	return o.PollInterval
}

func (o *Options) batchSize() int {
	if o.BatchSize == 0 {
		return DefaultBatchSize
	}
	return o.BatchSize
}

func (o *Options) lease() time.Duration {
	if o.Lease == 0 {
		return DefaultLease
	}
	return o.Lease
}

func (o *Options) emit() string {
	if o.Emit == "" {
		return EmitRow
	}
	return o.Emit
}

func (o *Options) id() string {
	if o.ID == "" {
		return DefaultID
	}
	return o.ID
}

// Validate reports the first option that is missing or out of range,
// naming the field and the rule it broke.
func (o *Options) Validate() error {
	var errs []error
	bad := func(format string, args ...any) {
		errs = append(errs, fmt.Errorf("database connector: "+format, args...))
	}
	if strings.TrimSpace(o.ConnectionString) == "" {
		bad("connection_string is required")
	} else if _, err := pgconn.ParseConfig(o.ConnectionString); err != nil {
		// The parser's message may quote the DSN: do not repeat it.
		bad("connection_string is not a valid PostgreSQL URL or key=value DSN")
	}
	switch {
	case o.Query == "" && o.Table == "":
		bad("one of table or query is required")
	case o.Query != "" && o.Table != "":
		bad("table and query are mutually exclusive; set only one")
	case o.Table != "":
		if o.KeyColumn == "" {
			bad("key_column is required with table")
		}
		for _, part := range strings.Split(o.Table, ".") {
			if part == "" {
				bad("table %q has an empty name part", o.Table)
			}
		}
		if strings.Count(o.Table, ".") > 1 {
			bad("table %q must be name or schema.name", o.Table)
		}
		if o.LeaseColumn != "" && o.LeaseColumn == o.KeyColumn {
			bad("lease_column must differ from key_column %q", o.KeyColumn)
		}
	case o.Query != "":
		if o.KeyColumn == "" {
			bad("key_column is required with query (name of the key column in its result)")
		}
		if o.Where != "" || len(o.Columns) > 0 {
			bad("where and columns apply to table mode only; put them in query")
		}
	}
	if strings.TrimSpace(o.AckQuery) == "" {
		bad("ack_query is required (rows would be claimed again after every lease)")
	}
	if o.Emit != "" && o.Emit != EmitRow && o.Emit != EmitBatch {
		bad("emit = %q: must be row or batch", o.Emit)
	}
	if o.PollInterval < 0 {
		bad("poll_interval must be > 0, got %s", o.PollInterval)
	}
	if o.BatchSize < 0 || o.BatchSize > MaxBatchSize {
		bad("batch_size must be between 1 and %d, got %d", MaxBatchSize, o.BatchSize)
	}
	if o.Lease < 0 {
		bad("lease must be > 0, got %s", o.Lease)
	}
	if err := o.Config.Validate(); err != nil {
		errs = append(errs, fmt.Errorf("database connector: %w", err))
	}
	return errors.Join(errs...)
}
