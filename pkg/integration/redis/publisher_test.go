package redis

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/mfn-io/mfn-operator/pkg/integration"
	"github.com/mfn-io/mfn-operator/pkg/integration/internal/pubtest"
)

func fastConfig() integration.PublisherConfig { return pubtest.FastConfig(10, 2*time.Second) }

func newPublisher(t *testing.T, o Options) (*Publisher, *pubtest.Recorder) {
	t.Helper()
	logger, rec := pubtest.NewLogger()
	o.Logger = logger
	if o.URL == "" {
		o.URL = redisURL
	}
	p, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = p.Disconnect(t.Context()) })
	return p, rec
}

func outgoing(i int) integration.Outgoing {
	return integration.Outgoing{Key: "sim-1", EventID: fmt.Sprintf("ev-%04d", i),
		Body: fmt.Appendf(nil, `{"event_id":"ev-%04d"}`, i)}
}

// Row 66: PUBLISH JSON to the channel, PING on connect; row 67: zero
// receivers counted and exported.
func TestPublishToSubscriberAndZeroReceivers(t *testing.T) {
	ch := uniqueName(t)
	raw := rawClient(t, "")
	reg := prometheus.NewRegistry()
	p, rec := newPublisher(t, Options{Channel: ch, Config: fastConfig(), Registerer: reg})
	if p.ID() != "redis-"+ch || p.Kind() != "redis" {
		t.Fatalf("id %q kind %q", p.ID(), p.Kind())
	}
	if err := p.Connect(t.Context()); err != nil {
		t.Fatal(err)
	}
	if s := p.Snapshot().Status; s != "connected" {
		t.Fatalf("status %q", s)
	}
	// Nobody subscribed yet: the message is gone, counted as zero receivers.
	if err := p.Publish(t.Context(), outgoing(0)); err != nil {
		t.Fatal(err)
	}
	if err := p.Flush(t.Context()); err != nil {
		t.Fatal(err)
	}
	sub := raw.Subscribe(t.Context(), ch)
	defer sub.Close()
	if _, err := sub.Receive(t.Context()); err != nil {
		t.Fatal(err)
	}
	for i := 1; i <= 3; i++ {
		if err := p.Publish(t.Context(), outgoing(i)); err != nil {
			t.Fatal(err)
		}
	}
	if err := p.Flush(t.Context()); err != nil {
		t.Fatal(err)
	}
	for i := 1; i <= 3; i++ {
		m, err := sub.ReceiveMessage(t.Context())
		if err != nil || m.Payload != string(outgoing(i).Body) {
			t.Fatalf("message %d: %q %v", i, m.Payload, err)
		}
	}
	if p.ZeroReceivers() != 1 {
		t.Fatalf("zero receivers %d", p.ZeroReceivers())
	}
	m := p.Snapshot().Publisher
	if m.MessagesSent != 4 || m.BatchesSent != 2 || m.MessagesFailed != 0 {
		t.Fatalf("metrics %+v", m)
	}
	want := fmt.Sprintf("# HELP mfn_publisher_redis_zero_receivers_total PUBLISH commands that reached no subscriber (the message is gone).\n"+
		"# TYPE mfn_publisher_redis_zero_receivers_total counter\n"+
		"mfn_publisher_redis_zero_receivers_total{component_id=%q,kind=\"redis\"} 1\n", p.ID())
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want), "mfn_publisher_redis_zero_receivers_total"); err != nil {
		t.Fatal(err)
	}
	found := false
	for _, r := range rec.Records() {
		if r.Message == "Published" && r.Attrs["receivers"] == int64(1) {
			found = true
		}
	}
	if !found {
		t.Fatal("no debug record with the receiver count")
	}
	p.Unregister()
	if n, err := testutil.GatherAndCount(reg); err != nil || n != 0 {
		t.Fatalf("%d series left after Unregister (%v)", n, err)
	}
}

// at_least_once with require_subscribers keeps the message until a
// subscriber appears.
func TestRequireSubscribersKeepsMessage(t *testing.T) {
	ch := uniqueName(t)
	raw := rawClient(t, "")
	cfg := fastConfig()
	cfg.MaxRetries = 1
	p, _ := newPublisher(t, Options{Channel: ch, RequireSubscribers: true, Config: cfg})
	if err := p.Publish(t.Context(), outgoing(1)); err != nil {
		t.Fatal(err)
	}
	if err := p.Flush(t.Context()); err == nil || !strings.Contains(err.Error(), "0 subscribers") {
		t.Fatalf("flush without subscribers: %v", err)
	}
	if p.Buffered() != 1 {
		t.Fatalf("buffered %d", p.Buffered())
	}
	sub := raw.Subscribe(t.Context(), ch)
	defer sub.Close()
	if _, err := sub.Receive(t.Context()); err != nil {
		t.Fatal(err)
	}
	if err := p.Flush(t.Context()); err != nil {
		t.Fatal(err)
	}
	if m, err := sub.ReceiveMessage(t.Context()); err != nil || m.Payload != string(outgoing(1).Body) {
		t.Fatalf("%v %v", m, err)
	}
}

// Stream mode is durable: XADD entries are there for a late reader.
func TestStreamModePublisher(t *testing.T) {
	key := uniqueName(t)
	raw := rawClient(t, key)
	p, _ := newPublisher(t, Options{Channel: key, Mode: ModeStream, Config: fastConfig()})
	for i := range 25 {
		if err := p.Publish(t.Context(), outgoing(i)); err != nil {
			t.Fatal(err)
		}
	}
	if err := p.Disconnect(t.Context()); err != nil {
		t.Fatal(err)
	}
	entries, err := raw.XRange(t.Context(), key, "-", "+").Result()
	if err != nil || len(entries) != 25 {
		t.Fatalf("%d entries, %v", len(entries), err)
	}
	for i, e := range entries {
		if e.Values["event_id"] != outgoing(i).EventID || e.Values["payload"] != string(outgoing(i).Body) {
			t.Fatalf("entry %d: %v", i, e.Values)
		}
	}
	// 25 messages, batch_size 10: between 1 and 3 flushes (a size-triggered
	// flush sends whole batches, Disconnect's flush everything left).
	if m := p.Snapshot().Publisher; m.MessagesSent != 25 || m.BatchesSent < 1 || m.BatchesSent > 3 {
		t.Fatalf("metrics %+v", m)
	}
}

// MaxInFlight 4 in stream mode: pipelines of batch_size go out at once on
// separate connections; every entry arrives exactly once (no failure, so
// no resend) with its payload.
func TestStreamModeInFlightDeliversAll(t *testing.T) {
	key := uniqueName(t)
	raw := rawClient(t, key)
	p, _ := newPublisher(t, Options{Channel: key, Mode: ModeStream, Config: fastConfig(), MaxInFlight: 4})
	const n = 500
	for i := range n {
		if err := p.Publish(t.Context(), outgoing(i)); err != nil {
			t.Fatal(err)
		}
	}
	if err := p.Flush(t.Context()); err != nil {
		t.Fatal(err)
	}
	entries, err := raw.XRange(t.Context(), key, "-", "+").Result()
	if err != nil || len(entries) != n {
		t.Fatalf("%d entries, %v", len(entries), err)
	}
	seen := map[string]int{}
	for _, e := range entries {
		id, _ := e.Values["event_id"].(string)
		seen[id]++
		var i int
		if _, err := fmt.Sscanf(id, "ev-%04d", &i); err != nil || e.Values["payload"] != string(outgoing(i).Body) {
			t.Fatalf("entry %v", e.Values)
		}
	}
	for i := range n {
		if seen[outgoing(i).EventID] != 1 {
			t.Fatalf("%s delivered %d times", outgoing(i).EventID, seen[outgoing(i).EventID])
		}
	}
	if m := p.Snapshot().Publisher; m.MessagesSent != n || m.MessagesFailed != 0 || m.Buffered != 0 {
		t.Fatalf("metrics %+v", m)
	}
}

// Row 66: a server that does not answer → Connect fails (status error).
func TestConnectFailure(t *testing.T) {
	cfg := fastConfig()
	cfg.RetryStrategy = integration.RetryNone
	p, _ := newPublisher(t, Options{URL: "redis://:pw@127.0.0.1:1/0", Channel: "c", Config: cfg})
	err := p.Connect(t.Context())
	if err == nil || strings.Contains(err.Error(), ":pw@") {
		t.Fatalf("connect: %v", err)
	}
	if s := p.Snapshot().Status; s != "error" {
		t.Fatalf("status %q", s)
	}
}

func TestCompressionIgnoredWithWarning(t *testing.T) {
	cfg := fastConfig()
	cfg.EnableCompression = true
	_, rec := newPublisher(t, Options{Channel: uniqueName(t), Config: cfg})
	if !rec.Contains("Compression is not supported") {
		t.Fatal("no warning")
	}
}
