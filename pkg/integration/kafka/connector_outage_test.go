package kafka

import (
	"errors"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
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

// TestFetchErrorResponseRecovers: a fetch answered with a broker error code
// (which the client hands to the reader rather than retrying itself) must
// not stop the partition: the connector fetches again from where it was and
// every record arrives and is committed.
func TestFetchErrorResponseRecovers(t *testing.T) {
	cl := kafkatest.NewCluster(t, kafkatest.Topic{Name: "in"})
	var failing atomic.Int64
	var injected atomic.Int64
	cl.Fake().ControlKey(int16(kmsg.Fetch), func(kr kmsg.Request) (kmsg.Response, error, bool) {
		cl.Fake().KeepControl()
		if failing.Load() <= 0 {
			return nil, nil, false
		}
		failing.Add(-1)
		injected.Add(1)
		req := kr.(*kmsg.FetchRequest)
		resp := req.ResponseKind().(*kmsg.FetchResponse)
		for _, rt := range req.Topics {
			st := kmsg.NewFetchResponseTopic()
			st.Topic, st.TopicID = rt.Topic, rt.TopicID
			for _, rp := range rt.Partitions {
				sp := kmsg.NewFetchResponseTopicPartition()
				sp.Partition = rp.Partition
				sp.ErrorCode = kerr.UnknownServerError.Code
				st.Partitions = append(st.Partitions, sp)
			}
			resp.Topics = append(resp.Topics, st)
		}
		return resp, nil, true
	})
	cl.Produce(t, "in", 0, payloads(2, 0)...)
	r := start(t, ConnectorOptions{BootstrapServers: Servers{cl.Bootstrap()}, Topic: "in", GroupID: "fetch-error"})
	for i := 0; i < 2; i++ {
		_ = r.next(t).Ack(t.Context())
	}
	failing.Store(5) // more than the client retries on its own
	// The long poll in flight was admitted before the failures began: wait
	// for a fetch that was answered with an error before producing more.
	deadline := time.Now().Add(15 * time.Second)
	for injected.Load() == 0 && time.Now().Before(deadline) {
		r.none(t, 20*time.Millisecond)
	}
	if injected.Load() == 0 {
		t.Fatal("no fetch was answered with an error; the connector stopped fetching")
	}
	cl.Produce(t, "in", 0, payloads(3, 2)...)
	for i := 2; i < 5; i++ {
		m := r.next(t)
		if want := fmt.Sprintf("in/0/%d", i); m.Position != want {
			t.Fatalf("after the fetch errors got %s, want %s", m.Position, want)
		}
		_ = m.Ack(t.Context())
	}
	cl.WaitCommitted(t, "fetch-error", "in", map[int]int64{0: 5})
}
