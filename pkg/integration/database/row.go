package database

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgtype"
)

// encodeRow renders one result row as a JSON object whose keys are the
// column names in result order. Types map as INTEGRATION.md §7.4 says:
// numbers stay numbers (numeric keeps its exact decimal text), text is a
// string, timestamps are RFC 3339 in UTC, bytea is base64, uuid is the
// canonical 36-character form, json/jsonb is embedded as JSON, NULL is null.
// Columns named in skip are left out. A value that has no JSON form
// (NaN/Infinity) is an error naming the column.
func encodeRow(fields []pgconn.FieldDescription, values []any, skip string) ([]byte, error) {
	var buf bytes.Buffer
	buf.WriteByte('{')
	first := true
	for i, f := range fields {
		if f.Name == skip {
			continue
		}
		v, err := jsonValue(f, values[i])
		if err != nil {
			return nil, fmt.Errorf("column %q: %w", f.Name, err)
		}
		raw, err := json.Marshal(v)
		if err != nil {
			return nil, fmt.Errorf("column %q: %w", f.Name, err)
		}
		if !first {
			buf.WriteByte(',')
		}
		first = false
		name, _ := json.Marshal(f.Name)
		buf.Write(name)
		buf.WriteByte(':')
		buf.Write(raw)
	}
	buf.WriteByte('}')
	return buf.Bytes(), nil
}

func jsonValue(f pgconn.FieldDescription, v any) (any, error) {
	switch x := v.(type) {
	case nil:
		return nil, nil
	case time.Time:
		return x.UTC().Format(time.RFC3339Nano), nil
	case float64:
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return nil, fmt.Errorf("non-finite number %v has no JSON form", x)
		}
	case float32:
		if math.IsNaN(float64(x)) || math.IsInf(float64(x), 0) {
			return nil, fmt.Errorf("non-finite number %v has no JSON form", x)
		}
	case pgtype.Numeric:
		if x.NaN || x.InfinityModifier != pgtype.Finite {
			return nil, fmt.Errorf("non-finite numeric has no JSON form")
		}
	case [16]byte:
		if f.DataTypeOID == pgtype.UUIDOID {
			return formatUUID(x), nil
		}
	}
	return v, nil
}

func formatUUID(u [16]byte) string {
	var b [36]byte
	hex.Encode(b[0:8], u[0:4])
	b[8] = '-'
	hex.Encode(b[9:13], u[4:6])
	b[13] = '-'
	hex.Encode(b[14:18], u[6:8])
	b[18] = '-'
	hex.Encode(b[19:23], u[8:10])
	b[23] = '-'
	hex.Encode(b[24:], u[10:])
	return string(b[:])
}

// keyText renders a key column value for the position string.
func keyText(f pgconn.FieldDescription, v any) string {
	switch x := v.(type) {
	case [16]byte:
		if f.DataTypeOID == pgtype.UUIDOID {
			return formatUUID(x)
		}
	case time.Time:
		return x.UTC().Format(time.RFC3339Nano)
	case []byte:
		return hex.EncodeToString(x)
	}
	return fmt.Sprint(v)
}
