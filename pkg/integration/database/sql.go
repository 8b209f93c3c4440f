package database

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"
)

// statements are the SQL texts one connector runs.
type statements struct {
	// claim takes $1 = lease expiry (timestamptz), $2 = now (timestamptz),
	// $3 = maximum number of rows; it returns the claimed rows.
	claim string
	// release takes $1 = key; it makes a row claimable again at once.
	// Empty means "wait for the lease to expire".
	release string
	// ack takes $1 = key.
	ack string
	// fail takes $1 = key, $2 = error text. Empty means "leave the row
	// leased; it is retried after the lease".
	fail string
	// source names the rows in positions: the table, or q<hash> of a custom query.
	source string
	// leaseColumn is left out of emitted rows (generated mode only).
	leaseColumn string
}

// splitIdent splits "schema.table" into quoted-identifier parts.
func splitIdent(name string) pgx.Identifier {
	return pgx.Identifier(strings.Split(name, "."))
}

func buildStatements(o *Options) statements {
	st := statements{ack: o.AckQuery, fail: o.FailQuery, release: o.ReleaseQuery}
	if o.Query != "" {
		sum := sha256.Sum256([]byte(o.Query))
		st.claim = o.Query
		st.source = "q" + hex.EncodeToString(sum[:6])
		return st
	}
	table := splitIdent(o.Table).Sanitize()
	key := pgx.Identifier{o.KeyColumn}.Sanitize()
	lease := pgx.Identifier{o.leaseColumn()}.Sanitize()
	where := "TRUE"
	if strings.TrimSpace(o.Where) != "" {
		where = "(" + o.Where + ")"
	}
	cols := "t.*"
	if len(o.Columns) > 0 {
		quoted := make([]string, 0, len(o.Columns)+1)
		for _, c := range o.Columns {
			quoted = append(quoted, "t."+pgx.Identifier{c}.Sanitize())
		}
		cols = strings.Join(quoted, ", ")
		if !containsString(o.Columns, o.KeyColumn) {
			cols += ", t." + key
		}
	}
	// The inner SELECT … FOR UPDATE SKIP LOCKED makes concurrent claimers
	// skip each other's candidate rows; the UPDATE stamps the lease inside
	// the same statement, so a row is claimed by exactly one poll until its
	// lease expires. The outer SELECT orders the claimed rows by key.
	st.claim = fmt.Sprintf(`WITH claimed AS (
  UPDATE %[1]s AS t SET %[3]s = $1
  FROM (SELECT %[2]s AS k FROM %[1]s
        WHERE %[4]s AND (%[3]s IS NULL OR %[3]s <= $2)
        ORDER BY %[2]s LIMIT $3 FOR UPDATE SKIP LOCKED) AS c
  WHERE t.%[2]s = c.k
  RETURNING %[5]s)
SELECT * FROM claimed ORDER BY %[2]s`, table, key, lease, where, cols)
	if st.release == "" {
		st.release = fmt.Sprintf(`UPDATE %s SET %s = NULL WHERE %s = $1`, table, lease, key)
	}
	st.source = o.Table
	st.leaseColumn = o.leaseColumn()
	return st
}

func containsString(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
