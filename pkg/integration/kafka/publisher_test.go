package kafka

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	kafkago "github.com/segmentio/kafka-go"

	"github.com/mfn-io/mfn-operator/pkg/integration"
	"github.com/mfn-io/mfn-operator/pkg/integration/internal/pubtest"
	"github.com/mfn-io/mfn-operator/pkg/integration/kafka/kafkatest"
)

func pubFastConfig() integration.PublisherConfig { return pubtest.FastConfig(10, 5*time.Second) }

func newTestPublisher(t *testing.T, o PublisherOptions) (*Publisher, *pubtest.Recorder) {
	t.Helper()
	logger, rec := pubtest.NewLogger()
	o.Logger = logger
	p, err := NewPublisher(o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = p.Disconnect(t.Context()) })
	return p, rec
}

func pubMessage(key string, i int) integration.Outgoing {
	return integration.Outgoing{Key: key, EventID: fmt.Sprintf("ev-%04d", i),
		Body: fmt.Appendf(nil, `{"event_id":"ev-%04d","simulation_id":%q}`, i, key)}
}

func header(m kafkago.Message, key string) string {
	for _, h := range m.Headers {
		if h.Key == key {
			return string(h.Value)
		}
	}
	return ""
}

// Rows 62, 63, 65: records reach the topic with key, headers and value;
// Disconnect flushes what is buffered.
func TestPublisherRecords(t *testing.T) {
	c := kafkatest.NewCluster(t, kafkatest.Topic{Name: "mfn-results"})
	p, _ := newTestPublisher(t, PublisherOptions{BootstrapServers: ParseServers(c.Bootstrap()), Topic: "mfn-results",
		Config: pubFastConfig()})
	if p.ID() != "kafka-mfn-results" || p.Kind() != "kafka" {
		t.Fatalf("id %q kind %q", p.ID(), p.Kind())
	}
	if err := p.Connect(t.Context()); err != nil {
		t.Fatal(err)
	}
	var total int64
	for i := range 5 {
		m := pubMessage("sim-456", i)
		total += int64(len(m.Body))
		if err := p.Publish(t.Context(), m); err != nil {
			t.Fatal(err)
		}
	}
	if err := p.Disconnect(t.Context()); err != nil {
		t.Fatal(err)
	}
	recs := c.Records(t, "mfn-results", 0)
	if len(recs) != 5 {
		t.Fatalf("%d records", len(recs))
	}
	for i, r := range recs {
		want := pubMessage("sim-456", i)
		if string(r.Key) != "sim-456" || string(r.Value) != string(want.Body) ||
			header(r, HeaderEventID) != want.EventID || header(r, HeaderContentType) != "application/json" {
			t.Fatalf("record %d: key %q value %q headers %v", i, r.Key, r.Value, r.Headers)
		}
	}
	m := p.Snapshot().Publisher
	if m.MessagesSent != 5 || m.BytesSent != total || m.MessagesFailed != 0 || m.BatchesSent < 1 {
		t.Fatalf("metrics %+v", m)
	}
	if s := p.Snapshot().Status; s != "disconnected" {
		t.Fatalf("status %q", s)
	}
}

// Keyed records go to the murmur2 partition of their key; keyless ones
// are spread.
func TestPublisherPartitionsByKey(t *testing.T) {
	c := kafkatest.NewCluster(t, kafkatest.Topic{Name: "keyed", Partitions: 4})
	p, _ := newTestPublisher(t, PublisherOptions{BootstrapServers: ParseServers(c.Bootstrap()), Topic: "keyed",
		Config: pubFastConfig()})
	keys := []string{"sim-a", "sim-b", "sim-c", "sim-d", "sim-e"}
	for i := range 50 {
		if err := p.Publish(t.Context(), pubMessage(keys[i%len(keys)], i)); err != nil {
			t.Fatal(err)
		}
	}
	if err := p.Flush(t.Context()); err != nil {
		t.Fatal(err)
	}
	bal := kafkago.Murmur2Balancer{}
	total := 0
	for part := range 4 {
		for _, r := range c.Records(t, "keyed", part) {
			total++
			if want := bal.Balance(kafkago.Message{Key: r.Key}, 0, 1, 2, 3); want != part {
				t.Fatalf("key %q on partition %d, murmur2 says %d", r.Key, part, want)
			}
		}
	}
	if total != 50 {
		t.Fatalf("%d records", total)
	}
}

// Row 64: acks by guarantee; row 51: exactly_once refused, not weakened.
func TestPublisherAcksAndExactlyOnce(t *testing.T) {
	c := kafkatest.NewCluster(t, kafkatest.Topic{Name: "acks"})
	for g, want := range map[integration.DeliveryGuarantee]int{
		integration.AtMostOnce: 1, integration.AtLeastOnce: -1, "": -1} {
		cfg := pubFastConfig()
		cfg.DeliveryGuarantee = g
		p, _ := newTestPublisher(t, PublisherOptions{BootstrapServers: ParseServers(c.Bootstrap()), Topic: "acks", Config: cfg})
		if got := p.RequiredAcks(); got != want {
			t.Errorf("%q: acks %d, want %d", g, got, want)
		}
	}
	cfg := pubFastConfig()
	cfg.DeliveryGuarantee = integration.ExactlyOnce
	_, err := NewPublisher(PublisherOptions{BootstrapServers: ParseServers(c.Bootstrap()), Topic: "acks", Config: cfg})
	if !errors.Is(err, ErrExactlyOnceUnsupported) || !strings.Contains(err.Error(), "at_least_once") {
		t.Fatalf("exactly_once: %v", err)
	}
}

// Row 72 (Kafka): every codec round-trips through the broker.
func TestPublisherCompression(t *testing.T) {
	c := kafkatest.NewCluster(t)
	for _, codec := range []string{"gzip", "snappy", "lz4", "zstd"} {
		topic := "comp-" + codec
		cfg := pubFastConfig()
		cfg.EnableCompression, cfg.CompressionCodec = true, codec
		p, _ := newTestPublisher(t, PublisherOptions{BootstrapServers: ParseServers(c.Bootstrap()), Topic: topic,
			AllowAutoTopicCreation: true, Config: cfg})
		body := strings.Repeat(`{"D_box":1.584}`, 50)
		if err := p.Publish(t.Context(), integration.Outgoing{EventID: codec, Body: []byte(body)}); err != nil {
			t.Fatal(err)
		}
		if err := p.Flush(t.Context()); err != nil {
			t.Fatalf("%s: %v", codec, err)
		}
		recs := c.Records(t, topic, 0)
		if len(recs) != 1 || string(recs[0].Value) != body {
			t.Fatalf("%s: %d records", codec, len(recs))
		}
	}
}

// Bad input: an oversized body is given up as invalid; the breaker does
// not count it and the next message goes out.
func TestPublisherOversized(t *testing.T) {
	c := kafkatest.NewCluster(t, kafkatest.Topic{Name: "big"})
	cfg := pubFastConfig()
	cfg.CircuitBreakerThreshold = 1
	p, _ := newTestPublisher(t, PublisherOptions{BootstrapServers: ParseServers(c.Bootstrap()), Topic: "big",
		MaxBodyBytes: 100, Config: cfg})
	done := make(chan error, 1)
	big := integration.Outgoing{EventID: "big", Body: []byte(strings.Repeat("x", 101)), Done: func(err error) { done <- err }}
	if err := p.Publish(t.Context(), big); err != nil {
		t.Fatal(err)
	}
	if err := p.Publish(t.Context(), pubMessage("k", 1)); err != nil {
		t.Fatal(err)
	}
	if err := p.Flush(t.Context()); err == nil {
		t.Fatal("flush reported success")
	}
	if err := <-done; integration.Classify(nil, err) != integration.ClassInvalid || !strings.Contains(err.Error(), "max_body_bytes (100)") {
		t.Fatalf("Done(%v)", err)
	}
	m := p.Snapshot().Publisher
	if m.MessagesSent != 1 || m.MessagesFailed != 1 || p.Base().Breaker().IsOpen() {
		t.Fatalf("metrics %+v breaker open %v", m, p.Base().Breaker().IsOpen())
	}
	if recs := c.Records(t, "big", 0); len(recs) != 1 {
		t.Fatalf("%d records", len(recs))
	}
}

// A missing topic with auto-creation off fails Connect permanently.
func TestPublisherUnknownTopic(t *testing.T) {
	c := kafkatest.NewCluster(t)
	cfg := pubFastConfig()
	p, _ := newTestPublisher(t, PublisherOptions{BootstrapServers: ParseServers(c.Bootstrap()), Topic: "missing", Config: cfg})
	err := p.Connect(t.Context())
	if err == nil || !integration.IsPermanent(err) {
		t.Fatalf("connect: %v", err)
	}
	if s := p.Snapshot().Status; s != "error" {
		t.Fatalf("status %q", s)
	}
}

func TestPublisherOptionsValidate(t *testing.T) {
	cases := []struct {
		o    PublisherOptions
		want string
	}{
		{PublisherOptions{Topic: "t"}, "bootstrap_servers"},
		{PublisherOptions{BootstrapServers: Servers{"nohost"}, Topic: "t"}, "host:port"},
		{PublisherOptions{BootstrapServers: Servers{"k:9092"}}, "topic"},
		{PublisherOptions{BootstrapServers: Servers{"k:9092"}, Topic: "t", MaxBodyBytes: -1}, "max_body_bytes"},
		{PublisherOptions{BootstrapServers: Servers{"k:9092"}, Topic: "t", MaxInFlight: -1}, "max_in_flight"},
		{PublisherOptions{BootstrapServers: Servers{"k:9092"}, Topic: "t", MaxInFlight: 65}, "max_in_flight"},
		{PublisherOptions{BootstrapServers: Servers{"k:9092"}, Topic: "t", SASL: &SASL{Mechanism: "GSSAPI", Username: "u"}}, "sasl.mechanism"},
		{PublisherOptions{BootstrapServers: Servers{"k:9092"}, Topic: "t", Config: integration.PublisherConfig{CompressionCodec: "brotli"}}, "compression_codec"},
	}
	for _, c := range cases {
		err := c.o.Validate()
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("Validate(%+v) = %v, want mention of %q", c.o, err, c.want)
		}
	}
}

// MaxInFlight 4: runs of batch_size are written at once through separate
// lanes; every record arrives exactly once (no failure, so no resend) with
// its key, headers and body, on the murmur2 partition of its key.
func TestPublisherInFlightDeliversAll(t *testing.T) {
	c := kafkatest.NewCluster(t, kafkatest.Topic{Name: "inflight", Partitions: 3})
	p, _ := newTestPublisher(t, PublisherOptions{BootstrapServers: ParseServers(c.Bootstrap()), Topic: "inflight",
		Config: pubFastConfig(), MaxInFlight: 4})
	keys := []string{"sim-a", "sim-b", "sim-c", "sim-d"}
	const n = 400
	for i := range n {
		if err := p.Publish(t.Context(), pubMessage(keys[i%len(keys)], i)); err != nil {
			t.Fatal(err)
		}
	}
	if err := p.Flush(t.Context()); err != nil {
		t.Fatal(err)
	}
	seen := map[string]int{}
	bal := kafkago.Murmur2Balancer{}
	for part := range 3 {
		for _, r := range c.Records(t, "inflight", part) {
			id := header(r, HeaderEventID)
			seen[id]++
			var i int
			if _, err := fmt.Sscanf(id, "ev-%04d", &i); err != nil {
				t.Fatalf("event id %q: %v", id, err)
			}
			want := pubMessage(keys[i%len(keys)], i)
			if string(r.Key) != want.Key || string(r.Value) != string(want.Body) ||
				header(r, HeaderContentType) != "application/json" {
				t.Fatalf("record %s: key %q value %q headers %v", id, r.Key, r.Value, r.Headers)
			}
			if bal.Balance(kafkago.Message{Key: r.Key}, 0, 1, 2) != part {
				t.Fatalf("key %q on partition %d", r.Key, part)
			}
		}
	}
	for i := range n {
		if id := pubMessage("", i).EventID; seen[id] != 1 {
			t.Fatalf("%s delivered %d times", id, seen[id])
		}
	}
	if m := p.Snapshot().Publisher; m.MessagesSent != n || m.MessagesFailed != 0 || m.Buffered != 0 {
		t.Fatalf("metrics %+v", m)
	}
}
