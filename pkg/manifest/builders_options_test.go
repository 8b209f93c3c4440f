package manifest

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/mfn-io/mfn-operator/pkg/integration"
	"github.com/mfn-io/mfn-operator/pkg/integration/schema"
	"github.com/mfn-io/mfn-operator/pkg/integration/webhook"
	"github.com/mfn-io/mfn-operator/pkg/sim/features"
)

// loadSet parses YAML documents into a Set.
func loadSet(t *testing.T, y string) *Set {
	t.Helper()
	s := NewSet()
	if err := s.Add([]byte(y), "test.yaml"); err != nil {
		t.Fatal(err)
	}
	return s
}

// headerRecorder is an HTTP server that records the headers of every request.
type headerRecorder struct {
	*httptest.Server
	mu   sync.Mutex
	got  []http.Header
	next chan struct{}
}

func newHeaderRecorder(t *testing.T, handle func(w http.ResponseWriter, r *http.Request)) *headerRecorder {
	t.Helper()
	hr := &headerRecorder{next: make(chan struct{}, 64)}
	hr.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hr.mu.Lock()
		hr.got = append(hr.got, r.Header.Clone())
		hr.mu.Unlock()
		handle(w, r)
		select {
		case hr.next <- struct{}{}:
		default:
		}
	}))
	t.Cleanup(hr.Close)
	return hr
}

// wait blocks until n requests arrived and returns their headers.
func (hr *headerRecorder) wait(t *testing.T, n int) []http.Header {
	t.Helper()
	deadline := time.After(10 * time.Second)
	for {
		hr.mu.Lock()
		got := append([]http.Header(nil), hr.got...)
		hr.mu.Unlock()
		if len(got) >= n {
			return got
		}
		select {
		case <-hr.next:
		case <-deadline:
			t.Fatalf("%d requests within 10 s, want %d", len(got), n)
		}
	}
}

// TestWebhookSignatureVersionMapping: spec.webhook.signatureVersion selects
// the headers the worker sends; unset means v1, the CRD default.
func TestWebhookSignatureVersionMapping(t *testing.T) {
	for _, c := range []struct {
		field  string
		wantV1 bool
	}{{"", true}, {"signatureVersion: v1", true}, {"signatureVersion: legacy", false}} {
		t.Run(c.field, func(t *testing.T) {
			srv := newHeaderRecorder(t, func(http.ResponseWriter, *http.Request) {})
			s := loadSet(t, fmt.Sprintf(`
apiVersion: mfn.mycelium.io/v1alpha1
kind: Publisher
metadata: {name: hook}
spec:
  type: webhook
  batchSize: 1
  webhook:
    url: %s/hook
    allowInsecureHTTP: true
    signingSecretRefs: [{name: creds, key: hmac}]
    %s
---
apiVersion: v1
kind: Secret
metadata: {name: creds}
stringData: {hmac: test-secret-key}
`, srv.URL, c.field))
			p, err := buildWebhookPublisher(s.Publishers["hook"], Env{Secrets: LocalSecrets(s.Secrets), Logger: quiet()})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = p.Disconnect(context.Background()) })
			body := []byte(`{"event_id":"e1"}`)
			done := make(chan error, 1)
			if err := p.Publish(t.Context(), integration.Outgoing{EventID: "e1", Body: body, Done: func(err error) { done <- err }}); err != nil {
				t.Fatal(err)
			}
			if err := <-done; err != nil {
				t.Fatal(err)
			}
			h := srv.wait(t, 1)[0]
			if h.Get(webhook.HeaderSignature) != webhook.Sign("test-secret-key", body) {
				t.Errorf("legacy signature %q", h.Get(webhook.HeaderSignature))
			}
			if has := h.Get(webhook.HeaderSignatureV1) != "" && h.Get(webhook.HeaderTimestamp) != ""; has != c.wantV1 {
				t.Errorf("V1 headers present = %v, want %v (%v)", has, c.wantV1, h)
			}
		})
	}
}

// TestRESTConditionalRequestsMapping: spec.rest.conditionalRequests false
// stops If-None-Match while dedupe still skips the unchanged body; unset
// sends it.
func TestRESTConditionalRequestsMapping(t *testing.T) {
	for _, c := range []struct {
		field    string
		wantCond bool
	}{{"", true}, {"conditionalRequests: true", true}, {"conditionalRequests: false", false}} {
		t.Run(c.field, func(t *testing.T) {
			srv := newHeaderRecorder(t, func(w http.ResponseWriter, _ *http.Request) {
				// Ignores the validators: always the full, unchanged body.
				w.Header().Set("ETag", `"v1"`)
				w.Header().Set("Content-Type", "application/json")
				_, _ = w.Write([]byte(`{"grid_size": 16}`))
			})
			s := loadSet(t, fmt.Sprintf(`
apiVersion: mfn.mycelium.io/v1alpha1
kind: Connector
metadata: {name: api}
spec:
  type: rest
  rest:
    baseURL: %s
    endpoint: /v1/params
    pollInterval: 20ms
    %s
`, srv.URL, c.field))
			conn, err := buildREST(s.Connectors["api"], Env{Secrets: LocalSecrets(s.Secrets), Logger: quiet()})
			if err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithCancel(t.Context())
			out := make(chan *integration.Message, 16)
			done := make(chan error, 1)
			go func() { done <- conn.Consume(ctx, out) }()
			got := srv.wait(t, 4)
			cancel()
			<-done
			_ = conn.Disconnect(context.Background())
			for i, h := range got[1:4] {
				if sent := h.Get("If-None-Match") == `"v1"`; sent != c.wantCond {
					t.Errorf("poll %d If-None-Match %q, want sent = %v", i+2, h.Get("If-None-Match"), c.wantCond)
				}
			}
			if got[0].Get("If-None-Match") != "" {
				t.Errorf("first poll sent If-None-Match %q", got[0].Get("If-None-Match"))
			}
			if n := len(out); n != 1 {
				t.Errorf("%d messages from an unchanged resource, want 1 (dedupe)", n)
			}
		})
	}
}

// testPostgresDSN is the PostgreSQL the tests use (MFN_TEST_POSTGRES_DSN overrides).
func testPostgresDSN() string {
	if dsn := os.Getenv("MFN_TEST_POSTGRES_DSN"); dsn != "" {
		return dsn
	}
	return "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"
}

const databaseConnectorYAML = `
apiVersion: mfn.mycelium.io/v1alpha1
kind: Connector
metadata: {name: rows}
spec:
  type: database
  database:
    connectionStringSecretRef: {name: pg, key: dsn}
    query: "SELECT id, grid_size FROM %[1]s WHERE status = 'pending' ORDER BY id"
    pollInterval: 50ms
%[2]s
---
apiVersion: v1
kind: Secret
metadata: {name: pg}
stringData: {dsn: %[3]q}
`

// TestDatabaseDefaultsToRowMode: a Connector without emit (local manifests
// get no CRD defaults) emits one message per row, as the CRD default row
// does, and each Ack runs ackQuery for its own row.
func TestDatabaseDefaultsToRowMode(t *testing.T) {
	ctx := t.Context()
	pool, err := pgxpool.New(ctx, testPostgresDSN())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	table := fmt.Sprintf("mfn_manifest_rows_%d", time.Now().UnixNano())
	for _, q := range []string{
		`CREATE TABLE ` + table + ` (id int PRIMARY KEY, grid_size int, status text NOT NULL DEFAULT 'pending')`,
		`INSERT INTO ` + table + ` (id, grid_size) VALUES (1, 8), (2, 9), (3, 10)`,
	} {
		if _, err := pool.Exec(ctx, q); err != nil {
			t.Fatalf("postgres at %s: %v", testPostgresDSN(), err)
		}
	}
	t.Cleanup(func() { _, _ = pool.Exec(context.Background(), `DROP TABLE `+table) })
	s := loadSet(t, fmt.Sprintf(databaseConnectorYAML, table,
		"    keyColumn: id\n    ackQuery: \"UPDATE "+table+" SET status = 'done' WHERE id = $1\"", testPostgresDSN()))
	conn, err := buildDatabaseConnector(s.Connectors["rows"], Env{Secrets: LocalSecrets(s.Secrets), Logger: quiet()})
	if err != nil {
		t.Fatal(err)
	}
	cctx, cancel := context.WithCancel(ctx)
	out := make(chan *integration.Message, 8)
	done := make(chan error, 1)
	go func() { done <- conn.Consume(cctx, out) }()
	t.Cleanup(func() { cancel(); <-done; _ = conn.Disconnect(context.Background()) })
	for i := 1; i <= 3; i++ {
		var m *integration.Message
		select {
		case m = <-out:
		case <-time.After(10 * time.Second):
			t.Fatalf("row %d not emitted within 10 s", i)
		}
		if want := fmt.Sprintf(`{"id":%d,"grid_size":%d}`, i, i+7); string(m.Payload) != want {
			t.Errorf("message %d payload %s, want %s (one row per message)", i, m.Payload, want)
		}
		if !strings.HasSuffix(m.Position, fmt.Sprintf("/%d", i)) {
			t.Errorf("message %d position %q, want <query hash>/%d", i, m.Position, i)
		}
		if err := m.Ack(ctx); err != nil {
			t.Fatal(err)
		}
	}
	var doneRows int
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM `+table+` WHERE status = 'done'`).Scan(&doneRows); err != nil {
		t.Fatal(err)
	}
	if doneRows != 3 {
		t.Errorf("%d rows acknowledged, want 3", doneRows)
	}
}

// TestDatabaseRequiresKeyColumnAndAckQuery: local manifests are not
// admitted, so the builder names the missing required field itself.
func TestDatabaseRequiresKeyColumnAndAckQuery(t *testing.T) {
	for _, c := range []struct{ fields, want string }{
		{"    ackQuery: \"DELETE FROM t WHERE id = $1\"", "spec.database.keyColumn: required"},
		{"    keyColumn: id", "spec.database.ackQuery: required"},
		{"    keyColumn: id\n    ackQuery: \"  \"", "spec.database.ackQuery: required"},
	} {
		s := loadSet(t, fmt.Sprintf(databaseConnectorYAML, "t", c.fields, testPostgresDSN()))
		_, err := buildDatabaseConnector(s.Connectors["rows"], Env{Secrets: LocalSecrets(s.Secrets), Logger: quiet()})
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%q: %v, want %q", c.fields, err, c.want)
		}
	}
}

// TestPublisherPayloadOptionsMapping: spec.payloadFormat and spec.nonFinite
// reach the publisher built for a pipeline: the same shared result bodies
// come out of a JSON Lines publisher as envelopes (defaults) or flat with
// nulls, and a bad value names its field.
func TestPublisherPayloadOptionsMapping(t *testing.T) {
	src := schema.Source{ConnectorID: "file-in", Position: "a.json@1:2"}
	at := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	fine, err := schema.Success(src, "sim-ok", nil, features.Vector{DBox: 1.5}, at).MarshalShared()
	if err != nil {
		t.Fatal(err)
	}
	nan, err := schema.Success(src, "sim-nan", nil, features.Vector{VSkew: math.NaN()}, at).MarshalShared()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	for _, c := range []struct {
		name, fields string
		want         []string // line prefixes; the NaN result is refused under reject
	}{
		{"defaults", "", []string{`{"event_id":"`}},
		{"flat", "  payloadFormat: flat\n", []string{`{"simulation_id":"sim-ok","D_box":1.5,`}},
		{"flat-null", "  payloadFormat: flat\n  nonFinite: \"null\"\n",
			[]string{`{"simulation_id":"sim-ok","D_box":1.5,`, `{"simulation_id":"sim-nan","D_box":0,"D_r2":0,"V_min":0,"V_max":0,"V_mean":0,"V_std":0,"V_skew":null,`}},
		{"envelope-null", "  nonFinite: \"null\"\n", []string{`{"event_id":"`, `{"event_id":"`}},
	} {
		t.Run(c.name, func(t *testing.T) {
			s := loadSet(t, fmt.Sprintf(`
apiVersion: mfn.mycelium.io/v1alpha1
kind: MFNPipeline
metadata: {name: p}
spec: {connectorRef: {name: in}, publisherRefs: [{name: out}]}
---
apiVersion: mfn.mycelium.io/v1alpha1
kind: Connector
metadata: {name: in}
spec: {type: file, file: {directory: %[1]s}}
---
apiVersion: mfn.mycelium.io/v1alpha1
kind: Publisher
metadata: {name: out}
spec:
  type: jsonl
  batchSize: 1
%[2]s  jsonl: {directory: %[1]s, fileName: %[3]s.jsonl}
`, dir, c.fields, c.name))
			r, err := s.Resolve("p")
			if err != nil {
				t.Fatal(err)
			}
			b, err := DefaultRegistry().Build(r, Env{Secrets: LocalSecrets(s.Secrets), Logger: quiet()})
			if err != nil {
				t.Fatal(err)
			}
			p := b.Publishers[0]
			ctx := context.Background()
			if err := p.Connect(ctx); err != nil {
				t.Fatal(err)
			}
			for i, body := range [][]byte{fine, nan} {
				err := p.Publish(ctx, integration.Outgoing{EventID: "e", Body: body})
				if wantErr := i >= len(c.want); (err != nil) != wantErr || (wantErr && !errors.Is(err, schema.ErrNonFinite)) {
					t.Fatalf("publish %d: %v", i, err)
				}
			}
			if err := p.Disconnect(ctx); err != nil {
				t.Fatal(err)
			}
			data, err := os.ReadFile(filepath.Join(dir, c.name+".jsonl"))
			if err != nil {
				t.Fatal(err)
			}
			lines := strings.Split(strings.TrimSpace(string(data)), "\n")
			if len(lines) != len(c.want) {
				t.Fatalf("%d lines, want %d:\n%s", len(lines), len(c.want), data)
			}
			for i, w := range c.want {
				if !strings.HasPrefix(lines[i], w) {
					t.Errorf("line %d %s, want prefix %s", i, lines[i], w)
				}
				if strings.Contains(lines[i], "nonfinite") {
					t.Errorf("line %d leaks the shared-body key: %s", i, lines[i])
				}
			}
		})
	}
	bad := loadSet(t, `
apiVersion: mfn.mycelium.io/v1alpha1
kind: Publisher
metadata: {name: out}
spec: {type: jsonl, payloadFormat: xml, jsonl: {directory: /tmp}}
`)
	if _, err := PublisherConfig(&bad.Publishers["out"].Spec); err == nil ||
		!strings.Contains(err.Error(), `spec.payloadFormat: payload_format: unknown value "xml"`) {
		t.Fatalf("bad payloadFormat: %v", err)
	}
}
