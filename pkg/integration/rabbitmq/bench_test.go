package rabbitmq

import (
	"log/slog"
	"strconv"
	"testing"
	"time"

	amqp "github.com/rabbitmq/amqp091-go"

	"github.com/mfn-io/mfn-operator/pkg/integration"
)

const benchBatch = 100

var benchBody = []byte(`{"event_id":"3f0c9a6e5b1d4e0f8a7b6c5d4e3f2a1b","event":"simulation_complete","schema_version":"1",` +
	`"simulation_id":"sim-456","status":"complete","timestamp":"2025-12-04T12:00:00Z",` +
	`"params":{"grid_size":64,"steps":100,"alpha":0.18,"seed":42},"features":{"D_box":1.584,"D_r2":0.97,` +
	`"V_min":-82.1,"V_max":-41.0,"V_mean":-67.5,"V_std":9.8,"V_skew":0.1,"V_kurt":-0.4,"dV_mean":0.5,` +
	`"dV_max":4.2,"T_stable":50,"E_trend":-0.1,"f_active":0.42,"N_clusters_low":10,"N_clusters_med":5,` +
	`"N_clusters_high":2,"max_cluster_size":100,"cluster_size_std":20.0},` +
	`"source":{"connector_id":"kafka-mfn-simulation-params","position":"mfn-simulation-params/3/1042"}}`)

// BenchmarkPublisher compares the RabbitMQ publisher (batch engine, retry
// loop, breaker, metrics, return check, pipelined SendBatch) with the bare
// amqp091 client doing the same thing: benchBatch persistent mandatory
// publishes on a confirming channel, then wait for their confirms.
// "bare-one-by-one" is a reference: wait for each confirm before the next
// publish.
func BenchmarkPublisher(b *testing.B) {
	br := newBroker(b)
	ex, q := uniqueName(b), uniqueName(b)+".q"
	br.cleanup(ex, q)
	if err := br.ch.ExchangeDeclare(ex, "topic", true, false, false, false, nil); err != nil {
		b.Fatal(err)
	}
	// A transient queue: the broker keeps the messages in memory, so the
	// comparison measures the clients and not the disk's fsync latency
	// (which varies by an order of magnitude on a shared machine).
	if _, err := br.ch.QueueDeclare(q, false, false, false, false, amqp.Table{"x-max-length": 10000}); err != nil {
		b.Fatal(err)
	}
	if err := br.ch.QueueBind(q, "k", ex, false, nil); err != nil {
		b.Fatal(err)
	}
	b.Run("ours", func(b *testing.B) {
		p, err := New(Options{URL: amqpURL, Exchange: ex, RoutingKey: "k", Logger: slog.New(slog.DiscardHandler),
			Config: integration.PublisherConfig{BatchSize: benchBatch, BatchTimeout: time.Hour}})
		if err != nil {
			b.Fatal(err)
		}
		defer func() { _ = p.Disconnect(b.Context()) }()
		if err := p.Connect(b.Context()); err != nil {
			b.Fatal(err)
		}
		b.ReportAllocs()
		b.SetBytes(int64(len(benchBody)))
		b.ResetTimer()
		for i := range b.N {
			if err := p.Publish(b.Context(), integration.Outgoing{EventID: strconv.Itoa(i), Body: benchBody}); err != nil {
				b.Fatal(err)
			}
		}
		if err := p.Flush(b.Context()); err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "msgs/s")
		if sent := p.Snapshot().Publisher.MessagesSent; sent != int64(b.N) {
			b.Fatalf("sent %d of %d", sent, b.N)
		}
	})
	bare := func(b *testing.B, pipelined bool) {
		conn, err := amqp.Dial(amqpURL)
		if err != nil {
			b.Fatal(err)
		}
		defer conn.Close()
		ch, err := conn.Channel()
		if err != nil {
			b.Fatal(err)
		}
		if err := ch.Confirm(false); err != nil {
			b.Fatal(err)
		}
		dcs := make([]*amqp.DeferredConfirmation, 0, benchBatch)
		b.ReportAllocs()
		b.SetBytes(int64(len(benchBody)))
		b.ResetTimer()
		for i := 0; i < b.N; i += benchBatch {
			dcs = dcs[:0]
			for j := i; j < min(i+benchBatch, b.N); j++ {
				dc, err := ch.PublishWithDeferredConfirmWithContext(b.Context(), ex, "k", true, false, amqp.Publishing{
					ContentType: "application/json", DeliveryMode: amqp.Persistent, MessageId: strconv.Itoa(j),
					Timestamp: time.Now(), AppId: "mfn", Body: benchBody})
				if err != nil {
					b.Fatal(err)
				}
				dcs = append(dcs, dc)
				if !pipelined {
					if ok, err := dc.WaitContext(b.Context()); err != nil || !ok {
						b.Fatalf("confirm %v %v", ok, err)
					}
				}
			}
			for _, dc := range dcs {
				if ok, err := dc.WaitContext(b.Context()); err != nil || !ok {
					b.Fatalf("confirm %v %v", ok, err)
				}
			}
		}
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "msgs/s")
	}
	b.Run("bare", func(b *testing.B) { bare(b, true) })
	b.Run("bare-one-by-one", func(b *testing.B) { bare(b, false) })
}
