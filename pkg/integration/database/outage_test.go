package database

import (
	"fmt"
	"testing"
	"time"

	"github.com/mfn-io/mfn-operator/pkg/integration/faultproxy"
	"github.com/mfn-io/mfn-operator/pkg/status"
)

// TestServerOutage cuts the connection to PostgreSQL with a TCP proxy: the
// polls during the outage fail (messages_failed, status error), an Ack
// during the outage fails and leaves the row to its lease, and after the
// restore the connector recovers on its own and emits the row again once
// its lease has expired.
func TestServerOutage(t *testing.T) {
	db := newTestDB(t)
	db.insertJobs(t, 1)
	proxy := faultproxy.New(t, "127.0.0.1:5432")
	o := tableOptions(db)
	o.ConnectionString = fmt.Sprintf("postgres://postgres@%s/test?sslmode=disable&connect_timeout=2", proxy.Addr())
	o.Config.Timeout = 2 * time.Second
	o.Config.MaxRetries = 1
	h := startDB(t, o, nil)
	m := h.next(t)

	proxy.Cut()
	h.tick(t, 10*time.Second)
	h.idle(t) // the poll failed after its retries
	s := h.c.Snapshot()
	if s.Connector.MessagesFailed != 1 || s.Connector.ConnectionErrors != 1 || s.Status != status.ComponentError {
		t.Fatalf("during outage: status %q metrics %+v last error %q", s.Status, s.Connector, s.LastError)
	}
	if err := m.Ack(t.Context()); err == nil {
		t.Fatal("Ack during the outage succeeded")
	}

	proxy.Restore()
	h.clk.Advance(10 * time.Second) // recovered, but the row is still leased
	h.idle(t)
	if s := h.c.Snapshot(); s.Status != status.ComponentConnected {
		t.Fatalf("after restore: status %q", s.Status)
	}
	h.clk.Advance(time.Minute) // lease expired: the unacknowledged row comes back
	if again := h.next(t); again.Position != m.Position {
		t.Fatalf("after lease expiry got %s, want %s", again.Position, m.Position)
	}
}
