package kafka

import (
	"errors"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/mfn-io/mfn-operator/pkg/integration/kafka/kafkatest"
)

// TestFetchOutageRecovers: while the broker drops every fetch connection,
// nothing is delivered; once fetches work again the records produced during
// the outage arrive in order and are committed after their acks.
func TestFetchOutageRecovers(t *testing.T) {
	cl := kafkatest.NewCluster(t, kafkatest.Topic{Name: "in"})
	var down atomic.Bool
	var dropped atomic.Int64
	cl.Fake().ControlKey(int16(kmsg.Fetch), func(kmsg.Request) (kmsg.Response, error, bool) {
		cl.Fake().KeepControl()
		if down.Load() {
			dropped.Add(1)
			return nil, errors.New("injected outage"), true
		}
		return nil, nil, false
	})
	cl.Produce(t, "in", 0, payloads(1, 0)...)
	r := start(t, ConnectorOptions{BootstrapServers: Servers{cl.Bootstrap()}, Topic: "in", GroupID: "outage"})
	_ = r.next(t).Ack(t.Context())
	down.Store(true)
	// Wait until a fetch was dropped: the long poll that was in flight when
	// the outage began has ended, so nothing produced from now on can be
	// fetched before the restore.
	waitDropped := func(n int64) {
		t.Helper()
		deadline := time.Now().Add(15 * time.Second)
		for dropped.Load() < n && time.Now().Before(deadline) {
			r.none(t, 20*time.Millisecond)
		}
		if dropped.Load() < n {
			t.Fatalf("only %d fetches dropped; the connector stopped fetching", dropped.Load())
		}
	}
	waitDropped(1)
	cl.Produce(t, "in", 0, payloads(3, 1)...)
	waitDropped(dropped.Load() + 2) // it keeps retrying and delivers nothing
	down.Store(false)
	for i := 1; i <= 3; i++ {
		m := r.next(t)
		if want := fmt.Sprintf("in/0/%d", i); m.Position != want {
			t.Fatalf("after the outage got %s, want %s", m.Position, want)
		}
		_ = m.Ack(t.Context())
	}
	cl.WaitCommitted(t, "outage", "in", map[int]int64{0: 4})
}
