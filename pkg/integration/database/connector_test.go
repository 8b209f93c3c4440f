package database

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mfn-io/mfn-operator/pkg/integration"
	"github.com/mfn-io/mfn-operator/pkg/integration/clock"
	"github.com/mfn-io/mfn-operator/pkg/integration/internal/polltest"
	"github.com/mfn-io/mfn-operator/pkg/status"
)

var t0 = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

type harness struct {
	*polltest.Consumer
	c   *Connector
	clk *clock.Fake
}

// tableOptions claims pending rows of db's jobs table, acking by setting
// status done; poll interval 10 s on a fake clock.
func tableOptions(db *testDB) Options {
	return Options{ConnectionString: testDSN(), Table: db.table, KeyColumn: "id", Where: "status = 'pending'",
		AckQuery:     `UPDATE ` + db.table + ` SET status = 'done', lease_until = NULL WHERE id = $1`,
		PollInterval: 10 * time.Second, BatchSize: 3, Lease: time.Minute}
}

func startDB(t *testing.T, o Options, clk *clock.Fake) *harness {
	t.Helper()
	if clk == nil {
		clk = clock.NewFake(t0)
	}
	o.Clock = clk
	if o.Config.RetryStrategy == "" {
		o.Config.RetryStrategy = integration.RetryImmediate
	}
	c, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	return &harness{Consumer: polltest.Start(t, c, clk), c: c, clk: clk}
}

func (h *harness) next(t *testing.T) *integration.Message { t.Helper(); return h.Next(t) }
func (h *harness) idle(t *testing.T)                      { t.Helper(); h.Idle(t) }
func (h *harness) tick(t *testing.T, d time.Duration)     { t.Helper(); h.Tick(t, d) }
func (h *harness) stop()                                  { h.Stop() }

// TestRowsEmittedAckedAndNotRepeated covers checklist rows 27–30 (row
// mode): one JSON object per row, lease column left out, positions
// <table>/<key>, ack_query run on Ack, acked rows never re-emitted, full
// batches followed by an immediate poll, new rows picked up per interval.
func TestRowsEmittedAckedAndNotRepeated(t *testing.T) {
	db := newTestDB(t)
	db.insertJobs(t, 4)
	h := startDB(t, tableOptions(db), nil)
	var msgs []*integration.Message
	for i := 1; i <= 4; i++ { // batch of 3, then at once a batch of 1
		m := h.next(t)
		want := fmt.Sprintf(`{"id":%d,"grid_size":%d,"steps":5,"alpha":0.1,"status":"pending"}`, i, 9+i)
		if string(m.Payload) != want {
			t.Fatalf("row %d payload %s, want %s", i, m.Payload, want)
		}
		if m.Position != fmt.Sprintf("%s/%d", db.table, i) || m.ConnectorID != "database" {
			t.Fatalf("position %q id %q", m.Position, m.ConnectorID)
		}
		msgs = append(msgs, m)
	}
	if n := db.count(t, "lease_until IS NOT NULL"); n != 4 {
		t.Fatalf("%d leased rows, want 4", n)
	}
	for _, m := range msgs {
		if err := m.Ack(t.Context()); err != nil {
			t.Fatal(err)
		}
	}
	if n := db.count(t, "status = 'done'"); n != 4 {
		t.Fatalf("%d done rows after 4 acks", n)
	}
	h.tick(t, 2*time.Minute) // past the lease: acked rows stay done
	h.idle(t)
	db.insertJobs(t, 1)
	h.clk.Advance(10 * time.Second)
	if m := h.next(t); m.Position != db.table+"/5" {
		t.Fatalf("new row position %q", m.Position)
	}
	s := h.c.Snapshot()
	if s.Connector.MessagesReceived != 5 || s.Connector.MessagesFailed != 0 || s.Status != status.ComponentConnected ||
		s.Connector.LastSuccessTime == nil || !s.Connector.LastSuccessTime.Equal(t0.Add(2*time.Minute+10*time.Second)) {
		t.Fatalf("snapshot %+v %+v", s, s.Connector)
	}
	if s.Connector.BytesReceived < 5*int64(len(`{"id":1,"grid_size":10,"steps":5,"alpha":0.1,"status":"pending"}`)) {
		t.Fatalf("bytes_received %d", s.Connector.BytesReceived)
	}
}

// TestTwoConnectorsNeverShareARow runs two connectors on one table; each
// row is delivered exactly once across both.
func TestTwoConnectorsNeverShareARow(t *testing.T) {
	db := newTestDB(t)
	const rows = 60
	o := tableOptions(db)
	o.BatchSize = 4
	a, b := startDB(t, o, nil), startDB(t, o, nil)
	// Both are connected and idle; the rows appear, then both poll at once
	// and keep competing (a full batch is followed by another poll at once).
	a.idle(t)
	b.idle(t)
	db.insertJobs(t, rows)
	a.clk.Advance(10 * time.Second)
	b.clk.Advance(10 * time.Second)
	var mu sync.Mutex
	seen := map[string]int{}
	perConn := map[*harness]int{}
	total := 0
	deadline := time.After(30 * time.Second)
	for total < rows {
		var m *integration.Message
		var from *harness
		select {
		case m = <-a.Out:
			from = a
		case m = <-b.Out:
			from = b
		case <-deadline:
			t.Fatalf("only %d of %d rows delivered", total, rows)
		}
		mu.Lock()
		seen[m.Position]++
		perConn[from]++
		total++
		mu.Unlock()
		if err := m.Ack(t.Context()); err != nil {
			t.Fatal(err)
		}
	}
	for pos, n := range seen {
		if n != 1 {
			t.Fatalf("%s delivered %d times", pos, n)
		}
	}
	if len(seen) != rows || perConn[a] == 0 || perConn[b] == 0 {
		t.Fatalf("distinct %d, per connector a=%d b=%d", len(seen), perConn[a], perConn[b])
	}
	a.idle(t)
	b.idle(t)
	if n := db.count(t, "status = 'done'"); n != rows {
		t.Fatalf("%d rows done", n)
	}
}

// TestNackReleasesAndCrashWaitsForLease: Nack makes the row claimable at
// once; a row taken by a connector that died is claimable again only
// after its lease.
func TestNackReleasesAndCrashWaitsForLease(t *testing.T) {
	db := newTestDB(t)
	db.insertJobs(t, 2)
	o := tableOptions(db)
	o.BatchSize = 1
	clk := clock.NewFake(t0)
	first := startDB(t, o, clk)
	m1 := first.next(t)
	if err := m1.Nack(t.Context(), errors.New("publisher down")); err != nil {
		t.Fatal(err)
	}
	if n := db.count(t, "id = 1 AND lease_until IS NULL"); n != 1 {
		t.Fatal("nacked row still leased")
	}
	// Batches are full, so polls follow at once without the clock moving:
	// row 2 (possibly claimed before the Nack) and row 1 again both arrive.
	after := map[string]bool{first.next(t).Position: true, first.next(t).Position: true}
	if !after[m1.Position] || !after[db.table+"/2"] {
		t.Fatalf("after nack got %v, want rows 1 and 2", after)
	}
	// Both are taken and never settled: the process dies.
	first.stop()
	_ = first.c.Disconnect(t.Context())
	// row 1 was taken again but not settled either: both are leased.
	second := startDB(t, o, clk)
	second.idle(t) // nothing claimable before the lease expires
	clk.Advance(59 * time.Second)
	second.idle(t)
	clk.Advance(time.Minute)
	got := map[string]bool{second.next(t).Position: true, second.next(t).Position: true}
	if !got[db.table+"/1"] || !got[db.table+"/2"] {
		t.Fatalf("after lease expiry got %v", got)
	}
}

// TestRowTypesAndBadRows: column types map to JSON; rows without a JSON
// form or over max_message_bytes are counted failed and marked through
// fail_query, never emitted.
func TestRowTypesAndBadRows(t *testing.T) {
	db := newTestDB(t)
	db.exec(t, `CREATE TABLE `+db.schema+`.typed (
		id uuid PRIMARY KEY, n numeric, ts timestamptz, b bytea, j jsonb, f double precision,
		note text, st text NOT NULL DEFAULT 'pending', err text, lease_until timestamptz)`)
	db.exec(t, `INSERT INTO `+db.schema+`.typed (id, n, ts, b, j, f, note) VALUES
		('00000000-0000-0000-0000-000000000001', 12.500, '2026-01-02 05:04:05+02', '\x0102', '{"k": [1, 2]}', 0.25, NULL),
		('00000000-0000-0000-0000-000000000002', 1, now(), NULL, NULL, 'NaN', 'x'),
		('00000000-0000-0000-0000-000000000003', 1, now(), NULL, NULL, 1, repeat('x', 400))`)
	tbl := db.schema + ".typed"
	o := Options{ConnectionString: testDSN(), Table: tbl, KeyColumn: "id", Where: "st = 'pending'",
		Columns:   []string{"n", "ts", "b", "j", "f", "note"},
		AckQuery:  `UPDATE ` + tbl + ` SET st = 'done' WHERE id = $1`,
		FailQuery: `UPDATE ` + tbl + ` SET st = 'failed', err = $2 WHERE id = $1`}
	o.Config.MaxMessageBytes = 300
	h := startDB(t, o, nil)
	m := h.next(t)
	want := `{"n":12.500,"ts":"2026-01-02T03:04:05Z","b":"AQI=","j":{"k":[1,2]},"f":0.25,"note":null,"id":"00000000-0000-0000-0000-000000000001"}`
	if string(m.Payload) != want {
		t.Fatalf("payload\n%s\nwant\n%s", m.Payload, want)
	}
	if !json.Valid(m.Payload) || m.Position != tbl+"/00000000-0000-0000-0000-000000000001" {
		t.Fatalf("position %q", m.Position)
	}
	h.idle(t)
	s := h.c.Snapshot()
	if s.Connector.MessagesFailed != 2 || s.Connector.MessagesReceived != 1 {
		t.Fatalf("metrics %+v", s.Connector)
	}
	var errs []string
	rows, err := db.pool.Query(t.Context(), `SELECT err FROM `+tbl+` WHERE st = 'failed' ORDER BY id`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var e string
		_ = rows.Scan(&e)
		errs = append(errs, e)
	}
	rows.Close()
	if len(errs) != 2 || !strings.Contains(errs[0], `column "f": non-finite number NaN`) ||
		!strings.Contains(errs[1], "exceeds max_message_bytes (300)") {
		t.Fatalf("fail_query errors %q", errs)
	}
}

// TestCustomClaimQuery uses the query mode with its documented parameters.
func TestCustomClaimQuery(t *testing.T) {
	db := newTestDB(t)
	db.insertJobs(t, 2)
	o := Options{ConnectionString: testDSN(), KeyColumn: "id",
		Query: `UPDATE ` + db.table + ` SET lease_until = $1 WHERE id IN (
			SELECT id FROM ` + db.table + ` WHERE status = 'pending' AND (lease_until IS NULL OR lease_until <= $2)
			ORDER BY id LIMIT $3 FOR UPDATE SKIP LOCKED) RETURNING id, grid_size`,
		AckQuery: `DELETE FROM ` + db.table + ` WHERE id = $1`, ID: "jobs"}
	h := startDB(t, o, nil)
	got := map[string]string{}
	for i := 0; i < 2; i++ {
		m := h.next(t)
		got[m.Position] = string(m.Payload)
		_ = m.Ack(t.Context())
	}
	src := h.c.st.source
	if !strings.HasPrefix(src, "q") || got[src+"/1"] != `{"id":1,"grid_size":10}` || got[src+"/2"] != `{"id":2,"grid_size":11}` {
		t.Fatalf("messages %v (source %s)", got, src)
	}
	h.idle(t)
	if n := db.count(t, "TRUE"); n != 0 {
		t.Fatalf("%d rows left after ack deletes", n)
	}
}

// TestConnectFailures: a missing table is a permanent connect error
// (connection_errors 1, status error); an unreachable server fails after
// the retries.
func TestConnectFailures(t *testing.T) {
	db := newTestDB(t)
	o := tableOptions(db)
	o.Table = db.schema + ".missing"
	o.Config.RetryStrategy = integration.RetryImmediate
	c, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	err = c.Connect(t.Context())
	if err == nil || !strings.Contains(err.Error(), "does not exist") || integration.IsRetryable(err) {
		t.Fatalf("Connect = %v", err)
	}
	s := c.Snapshot()
	if s.Status != status.ComponentError || s.Connector.ConnectionErrors != 1 || s.Connector.RetryCount != 1 {
		t.Fatalf("snapshot %q %+v", s.Status, s.Connector)
	}
	if err := c.Consume(t.Context(), make(chan *integration.Message)); err == nil {
		t.Fatal("Consume on a missing table succeeded")
	}

	o = tableOptions(db)
	o.ConnectionString = "postgres://postgres:hunter2@127.0.0.1:1/test?sslmode=disable&connect_timeout=2"
	o.Config.RetryStrategy = integration.RetryImmediate
	o.Config.MaxRetries = 1
	c, err = New(o)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Connect(t.Context()); err == nil {
		t.Fatal("Connect to a closed port succeeded")
	}
	s = c.Snapshot()
	if s.Connector.ConnectionErrors != 1 || s.Connector.RetryCount != 2 || strings.Contains(s.LastError, "hunter2") {
		t.Fatalf("snapshot %+v last error %q", s.Connector, s.LastError)
	}
}

// TestLifecycleDisconnectEndsStream is checklist rows 31 and 107.
func TestLifecycleDisconnectEndsStream(t *testing.T) {
	db := newTestDB(t)
	h := startDB(t, tableOptions(db), nil)
	h.idle(t) // connected lazily by Consume, polled once
	if s := h.c.Snapshot().Status; s != status.ComponentConnected {
		t.Fatalf("status %q", s)
	}
	_ = h.c.Disconnect(t.Context())
	if err := h.c.Disconnect(t.Context()); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-h.Done:
		if err != nil {
			t.Fatalf("Consume after Disconnect = %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Consume did not end")
	}
	if s := h.c.Snapshot().Status; s != status.ComponentDisconnected {
		t.Fatalf("status %q", s)
	}
}

func TestOptionsValidate(t *testing.T) {
	good := Options{ConnectionString: testDSN(), Table: "s.jobs", KeyColumn: "id", AckQuery: "DELETE FROM s.jobs WHERE id = $1"}
	if err := good.Validate(); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		mod  func(*Options)
		want string
	}{
		{func(o *Options) { o.ConnectionString = "" }, "connection_string is required"},
		{func(o *Options) { o.ConnectionString = "postgres://x:secretpw@host:notaport/db" }, "connection_string is not a valid"},
		{func(o *Options) { o.Table = "" }, "one of table or query"},
		{func(o *Options) { o.Query = "SELECT 1" }, "mutually exclusive"},
		{func(o *Options) { o.KeyColumn = "" }, "key_column"},
		{func(o *Options) { o.Table = "a.b.c" }, "schema.name"},
		{func(o *Options) { o.LeaseColumn = "id" }, "lease_column"},
		{func(o *Options) { o.AckQuery = " " }, "ack_query"},
		{func(o *Options) { o.PollInterval = -time.Second }, "poll_interval"},
		{func(o *Options) { o.BatchSize = MaxBatchSize + 1 }, "batch_size"},
		{func(o *Options) { o.Lease = -1 }, "lease"},
		{func(o *Options) { o.Emit = "all" }, "emit"},
		{func(o *Options) { o.Config.Timeout = -1 }, "timeout"},
	}
	for _, tc := range cases {
		o := good
		tc.mod(&o)
		err := o.Validate()
		if err == nil || !strings.Contains(err.Error(), tc.want) || strings.Contains(err.Error(), "secretpw") {
			t.Errorf("Validate() = %v, want an error naming %q", err, tc.want)
		}
	}
}

// TestStatementDeadline is checklist rows 28/38 for the database: a claim
// that overruns timeout fails with "Connection timeout after <s>s" and is
// counted as a failed poll; the server-side statement is cancelled.
func TestStatementDeadline(t *testing.T) {
	db := newTestDB(t)
	db.insertJobs(t, 1)
	o := Options{ConnectionString: testDSN(), KeyColumn: "id",
		Query:    `SELECT id, pg_sleep(5) AS z FROM ` + db.table + ` WHERE $1::timestamptz > $2::timestamptz LIMIT $3`,
		AckQuery: `DELETE FROM ` + db.table + ` WHERE id = $1`}
	o.Config.Timeout = 100 * time.Millisecond
	o.Config.RetryStrategy = integration.RetryNone
	h := startDB(t, o, nil)
	h.idle(t)
	s := h.c.Snapshot()
	if s.LastError != "Connection timeout after 0.1s" || s.Connector.MessagesFailed != 1 ||
		s.Connector.ConnectionErrors != 1 || s.Connector.RetryCount != 1 {
		t.Fatalf("last error %q metrics %+v", s.LastError, s.Connector)
	}
}

// TestPlainSelectQuery: a query without parameters (SEED style) is polled
// as is; rows in flight are not handed out twice, acked rows drop out
// through ack_query, a nacked row comes back on the next poll.
func TestPlainSelectQuery(t *testing.T) {
	db := newTestDB(t)
	db.insertJobs(t, 2)
	o := Options{ConnectionString: testDSN(), KeyColumn: "id",
		Query:    `SELECT id, grid_size FROM ` + db.table + ` WHERE status = 'pending' ORDER BY id`,
		AckQuery: `UPDATE ` + db.table + ` SET status = 'done' WHERE id = $1`, PollInterval: 10 * time.Second}
	h := startDB(t, o, nil)
	a, b := h.next(t), h.next(t)
	h.tick(t, 10*time.Second) // both still pending and in flight: not emitted again
	h.idle(t)
	_ = a.Ack(t.Context())
	_ = b.Nack(t.Context(), errors.New("retry later"))
	h.clk.Advance(10 * time.Second)
	if m := h.next(t); m.Position != b.Position {
		t.Fatalf("after nack got %s, want %s", m.Position, b.Position)
	}
	h.idle(t)
	if n := h.c.Snapshot().Connector.MessagesReceived; n != 3 {
		t.Fatalf("messages_received %d, want 3", n)
	}
}

// TestBatchEmit: emit=batch hands out one array per poll (none when
// empty); its Ack runs ack_query for every row.
func TestBatchEmit(t *testing.T) {
	db := newTestDB(t)
	db.insertJobs(t, 2)
	o := tableOptions(db)
	o.Emit = EmitBatch
	o.Columns = []string{"grid_size"}
	h := startDB(t, o, nil)
	m := h.next(t)
	if string(m.Payload) != `[{"grid_size":10,"id":1},{"grid_size":11,"id":2}]` || m.Metadata["rows"] != "2" ||
		!strings.HasPrefix(m.Position, db.table+"/batch-") {
		t.Fatalf("batch %s %s %v", m.Position, m.Payload, m.Metadata)
	}
	h.idle(t) // an empty poll emits nothing
	if err := m.Ack(t.Context()); err != nil {
		t.Fatal(err)
	}
	if n := db.count(t, "status = 'done'"); n != 2 {
		t.Fatalf("%d rows done after the batch ack", n)
	}
}

func TestQueryWithTooManyParameters(t *testing.T) {
	db := newTestDB(t)
	o := Options{ConnectionString: testDSN(), KeyColumn: "id",
		Query:    `SELECT id FROM ` + db.table + ` WHERE $1::timestamptz > $2::timestamptz AND $3::int > 0 AND $4::int > 0`,
		AckQuery: `DELETE FROM ` + db.table + ` WHERE id = $1`}
	c, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Connect(t.Context()); err == nil || !strings.Contains(err.Error(), "query uses 4 parameters") {
		t.Fatalf("Connect = %v", err)
	}
}
