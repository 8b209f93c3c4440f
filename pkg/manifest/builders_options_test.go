package manifest

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/mfn-io/mfn-operator/pkg/integration"
	"github.com/mfn-io/mfn-operator/pkg/integration/webhook"
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
