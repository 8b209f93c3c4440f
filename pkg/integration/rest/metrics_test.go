package rest

import (
	"errors"
	"io"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/mfn-io/mfn-operator/pkg/integration"
)

// TestPrometheusSeries is checklist rows 41 and 93: the connector's
// counters are exported with component_id and kind labels, and not at all
// with enable_metrics=false.
func TestPrometheusSeries(t *testing.T) {
	reg := prometheus.NewRegistry()
	h := newHarness(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`[{"grid_size": 8}, "not an object is still JSON"]`))
	}, func(o *Options) { o.Registerer = reg })
	h.next(t)
	if bad := h.next(t); !strings.Contains(bad.Metadata["error"], "object") {
		t.Fatalf("a string element is not an input: metadata %v", bad.Metadata)
	}
	h.idle(t)
	if s := h.c.Snapshot().Connector; s.MessagesReceived != 1 || s.MessagesFailed != 1 {
		t.Fatalf("metrics %+v, want 1 received 1 failed", s)
	}
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, mf := range mfs {
		if mf.GetName() != "mfn_connector_messages_received_total" {
			continue
		}
		for _, m := range mf.GetMetric() {
			labels := map[string]string{}
			for _, l := range m.GetLabel() {
				labels[l.GetName()] = l.GetValue()
			}
			if labels["component_id"] == "rest-/v1/configs" && labels["kind"] == "rest" {
				found = true
				if v := m.GetCounter().GetValue(); v != 1 {
					t.Fatalf("mfn_connector_messages_received_total = %v, want 1", v)
				}
			}
		}
	}
	if !found {
		t.Fatal("no mfn_connector_messages_received_total{component_id=\"rest-/v1/configs\",kind=\"rest\"} series")
	}

	off := prometheus.NewRegistry()
	h2 := newHarness(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{}`))
	}, func(o *Options) { o.Registerer = off; o.Config.DisableMetrics = true })
	h2.next(t)
	if n, err := testutil.GatherAndCount(off); err != nil || n != 0 {
		t.Fatalf("enable_metrics=false exported %d series (%v)", n, err)
	}
	if got := h2.c.Snapshot().Connector.MessagesReceived; got != 1 {
		t.Fatalf("in-memory counter %d with metrics disabled", got)
	}
}

// TestRetryAfterHonoured: a 429 with Retry-After: 7 delays the retry by
// 7 s instead of the 1 s policy delay.
func TestRetryAfterHonoured(t *testing.T) {
	var n atomic.Int64
	h := newHarness(t, func(w http.ResponseWriter, r *http.Request) {
		if n.Add(1) == 1 {
			w.Header().Set("Retry-After", "7")
			w.WriteHeader(http.StatusTooManyRequests)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"grid_size": 8}`))
	}, func(o *Options) {
		o.Config.RetryStrategy = integration.RetryFixedDelay
		o.Config.InitialRetryDelay = time.Second
	})
	h.idle(t) // the retry wait is armed
	h.clk.Advance(6 * time.Second)
	h.idle(t)
	if got := n.Load(); got != 1 {
		t.Fatalf("%d requests before Retry-After elapsed", got)
	}
	h.clk.Advance(time.Second)
	if m := h.next(t); string(m.Payload) != `{"grid_size": 8}` {
		t.Fatalf("payload %q", m.Payload)
	}
}

// TestDisabled is the enabled=false switch of §1.4.
func TestDisabled(t *testing.T) {
	o := Options{BaseURL: "http://127.0.0.1:1", Endpoint: "x"}
	o.Config.Disabled = true
	c, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	err = c.Consume(t.Context(), make(chan *integration.Message))
	if !errors.Is(err, integration.ErrConnectorDisabled) || err.Error() != "Connector is disabled" {
		t.Fatalf("Consume = %v", err)
	}
	if err := c.Connect(t.Context()); err != nil {
		t.Fatalf("Connect of a disabled connector: %v", err)
	}
}

// TestPostWithBody: method POST sends the configured JSON body on every poll.
func TestPostWithBody(t *testing.T) {
	var bad atomic.Value
	h := newHarness(t, func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if r.Method != http.MethodPost || string(body) != `{"status":"pending"}` ||
			r.Header.Get("Content-Type") != "application/json" {
			bad.Store(r.Method + " " + string(body) + " " + r.Header.Get("Content-Type"))
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`[]`))
	}, func(o *Options) { o.Method = "post"; o.Body = []byte(`{"status":"pending"}`) })
	h.tick(t)
	h.idle(t)
	if v := bad.Load(); v != nil {
		t.Fatalf("request %v", v)
	}
	if got := h.calls.Load(); got != 2 {
		t.Fatalf("%d requests", got)
	}
	if s := h.c.Snapshot().Connector; s.MessagesReceived != 0 || s.MessagesFailed != 0 || s.BytesReceived != 2 {
		t.Fatalf("an empty array: %+v", s)
	}
}

// TestLastModifiedConditional: without an ETag the connector sends
// If-Modified-Since with the last Last-Modified; a 304 yields nothing.
func TestLastModifiedConditional(t *testing.T) {
	const lm = "Wed, 21 Oct 2025 07:28:00 GMT"
	var sent atomic.Value
	h := newHarness(t, func(w http.ResponseWriter, r *http.Request) {
		if ims := r.Header.Get("If-Modified-Since"); ims != "" {
			sent.Store(ims)
			w.WriteHeader(http.StatusNotModified)
			return
		}
		w.Header().Set("Last-Modified", lm)
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"grid_size": 8}`))
	}, nil)
	h.next(t)
	h.tick(t)
	h.idle(t)
	if got, _ := sent.Load().(string); got != lm {
		t.Fatalf("If-Modified-Since = %q, want %q", got, lm)
	}
	if s := h.c.Snapshot().Connector; s.MessagesReceived != 1 || s.MessagesFailed != 0 {
		t.Fatalf("metrics %+v", s)
	}
}

// TestHeaderSecretsScrubbed: a credential sent in a header never shows up
// in the recorded error, even when the server echoes it back.
func TestHeaderSecretsScrubbed(t *testing.T) {
	h := newHarness(t, func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/login/"+r.Header.Get("X-Api-Key"), http.StatusFound)
	}, func(o *Options) {
		o.Headers = map[string]string{"X-Api-Key": "k-9f8e7d6c", "Accept": "application/json"}
	})
	h.idle(t)
	s := h.c.Snapshot()
	if !strings.Contains(s.LastError, "/login/[REDACTED]") || strings.Contains(s.LastError, "k-9f8e7d6c") {
		t.Fatalf("last error %q", s.LastError)
	}
}
