package rest

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/mfn-io/mfn-operator/pkg/integration/clock"
	"github.com/mfn-io/mfn-operator/pkg/integration/faultproxy"
	"github.com/mfn-io/mfn-operator/pkg/integration/internal/polltest"
	"github.com/mfn-io/mfn-operator/pkg/status"
)

// TestServerOutage puts a TCP proxy between the connector and the server:
// while it is cut every attempt fails (retried, then one failed poll);
// after the restore the next poll succeeds and the status is connected.
func TestServerOutage(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"grid_size": 16}`))
	}))
	t.Cleanup(srv.Close)
	proxy := faultproxy.New(t, strings.TrimPrefix(srv.URL, "http://"))
	clk := clock.NewFake(t0)
	o := Options{BaseURL: "http://" + proxy.Addr(), Endpoint: "v1", PollInterval: 10 * time.Second, Clock: clk,
		EmitUnchanged: true, DisableConditionalRequests: true}
	o.Config.RetryStrategy = "immediate"
	o.Config.MaxRetries = 2
	c, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	r := polltest.Start(t, c, clk)
	r.Next(t)
	proxy.Cut()
	r.Tick(t, 10*time.Second)
	r.Idle(t)
	s := c.Snapshot()
	if s.Connector.MessagesFailed != 1 || s.Connector.RetryCount != 3 || s.Status != status.ComponentError {
		t.Fatalf("during outage: status %q metrics %+v last error %q", s.Status, s.Connector, s.LastError)
	}
	proxy.Restore()
	clk.Advance(10 * time.Second)
	if m := r.Next(t); string(m.Payload) != `{"grid_size": 16}` {
		t.Fatalf("after restore %q", m.Payload)
	}
	if s := c.Snapshot(); s.Status != status.ComponentConnected || s.Connector.MessagesReceived != 2 {
		t.Fatalf("after restore: status %q metrics %+v", s.Status, s.Connector)
	}
}
