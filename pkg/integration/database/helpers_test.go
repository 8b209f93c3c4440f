package database

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
)

// testDSN is the PostgreSQL the tests use (MFN_TEST_POSTGRES_DSN overrides).
func testDSN() string {
	if dsn := os.Getenv("MFN_TEST_POSTGRES_DSN"); dsn != "" {
		return dsn
	}
	return "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"
}

// testDB is one test's private schema with a jobs table.
type testDB struct {
	pool   *pgxpool.Pool
	schema string
	table  string
}

// newTestDB creates a schema of its own for the test with a table
// <schema>.jobs and drops it when the test ends.
func newTestDB(t *testing.T) *testDB {
	t.Helper()
	ctx := t.Context()
	pool, err := pgxpool.New(ctx, testDSN())
	if err != nil {
		t.Fatalf("postgres pool: %v", err)
	}
	var b [6]byte
	_, _ = rand.Read(b[:])
	schema := "mfn_test_" + hex.EncodeToString(b[:])
	if _, err := pool.Exec(ctx, `CREATE SCHEMA `+schema); err != nil {
		pool.Close()
		t.Fatalf("postgres at %s: %v", testDSN(), err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
		defer cancel()
		_, _ = pool.Exec(ctx, `DROP SCHEMA `+schema+` CASCADE`)
		pool.Close()
	})
	db := &testDB{pool: pool, schema: schema, table: schema + ".jobs"}
	db.exec(t, `CREATE TABLE `+db.table+` (
		id bigserial PRIMARY KEY,
		grid_size integer,
		steps integer,
		alpha double precision,
		status text NOT NULL DEFAULT 'pending',
		lease_until timestamptz)`)
	return db
}

func (db *testDB) exec(t *testing.T, sql string, args ...any) {
	t.Helper()
	if _, err := db.pool.Exec(t.Context(), sql, args...); err != nil {
		t.Fatalf("exec %q: %v", sql, err)
	}
}

// insertJobs adds n pending jobs with grid sizes 10, 11, … and returns nothing;
// ids start at 1 in a fresh table.
func (db *testDB) insertJobs(t *testing.T, n int) {
	t.Helper()
	db.exec(t, `INSERT INTO `+db.table+` (grid_size, steps, alpha)
		SELECT 9 + g, 5, 0.1 FROM generate_series(1, $1) AS g`, n)
}

func (db *testDB) count(t *testing.T, where string) int {
	t.Helper()
	var n int
	if err := db.pool.QueryRow(t.Context(), `SELECT count(*) FROM `+db.table+` WHERE `+where).Scan(&n); err != nil {
		t.Fatalf("count: %v", err)
	}
	return n
}
