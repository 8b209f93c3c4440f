package database

import (
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgtype"
)

// BenchmarkEncodeRow is the cost of turning one typical row into JSON.
func BenchmarkEncodeRow(b *testing.B) {
	fields := []pgconn.FieldDescription{{Name: "id", DataTypeOID: pgtype.Int8OID},
		{Name: "grid_size", DataTypeOID: pgtype.Int4OID}, {Name: "steps", DataTypeOID: pgtype.Int4OID},
		{Name: "alpha", DataTypeOID: pgtype.Float8OID}, {Name: "status", DataTypeOID: pgtype.TextOID},
		{Name: "created", DataTypeOID: pgtype.TimestamptzOID}}
	vals := []any{int64(42), int32(64), int32(100), 0.18, "pending", time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		if _, err := encodeRow(fields, vals, ""); err != nil {
			b.Fatal(err)
		}
	}
}
