package kafka

import (
	"log/slog"
	"strconv"
	"testing"
	"time"

	kafkago "github.com/segmentio/kafka-go"

	"github.com/mfn-io/mfn-operator/pkg/integration"
	"github.com/mfn-io/mfn-operator/pkg/integration/kafka/kafkatest"
)

const pubBenchBatch = 100

var pubBenchBody = []byte(`{"event_id":"3f0c9a6e5b1d4e0f8a7b6c5d4e3f2a1b","event":"simulation_complete","schema_version":"1",` +
	`"simulation_id":"sim-456","status":"complete","timestamp":"2025-12-04T12:00:00Z",` +
	`"params":{"grid_size":64,"steps":100,"alpha":0.18,"seed":42},"features":{"D_box":1.584,"D_r2":0.97,` +
	`"V_min":-82.1,"V_max":-41.0,"V_mean":-67.5,"V_std":9.8,"V_skew":0.1,"V_kurt":-0.4,"dV_mean":0.5,` +
	`"dV_max":4.2,"T_stable":50,"E_trend":-0.1,"f_active":0.42,"N_clusters_low":10,"N_clusters_med":5,` +
	`"N_clusters_high":2,"max_cluster_size":100,"cluster_size_std":20.0},` +
	`"source":{"connector_id":"kafka-mfn-simulation-params","position":"mfn-simulation-params/3/1042"}}`)

// BenchmarkPublisher compares the Kafka publisher (batch engine, retry
// loop, breaker, metrics, pipelined SendBatch) with the bare kafka-go
// Writer doing the same thing: pubBenchBatch keyed records with the same
// headers per WriteMessages call (one produce request), acks=all, waiting
// for the acknowledgements. "bare-one-by-one" is a reference: one record
// per call, as a sink without pipelining would send them.
func BenchmarkPublisher(b *testing.B) {
	c := kafkatest.NewCluster(b, kafkatest.Topic{Name: "bench"})
	b.Run("ours", func(b *testing.B) {
		p, err := NewPublisher(PublisherOptions{BootstrapServers: ParseServers(c.Bootstrap()), Topic: "bench",
			Logger: slog.New(slog.DiscardHandler),
			Config: integration.PublisherConfig{BatchSize: pubBenchBatch, BatchTimeout: time.Hour}})
		if err != nil {
			b.Fatal(err)
		}
		defer func() { _ = p.Disconnect(b.Context()) }()
		if err := p.Connect(b.Context()); err != nil {
			b.Fatal(err)
		}
		b.ReportAllocs()
		b.SetBytes(int64(len(pubBenchBody)))
		b.ResetTimer()
		for i := range b.N {
			err := p.Publish(b.Context(), integration.Outgoing{Key: "sim-456", EventID: strconv.Itoa(i), Body: pubBenchBody})
			if err != nil {
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
	bare := func(b *testing.B, perCall int) {
		w := &kafkago.Writer{Addr: kafkago.TCP(c.Addrs()...), Topic: "bench", Balancer: &kafkago.Murmur2Balancer{},
			MaxAttempts: 1, BatchSize: perCall, BatchTimeout: time.Millisecond, RequiredAcks: kafkago.RequireAll}
		defer w.Close()
		msgs := make([]kafkago.Message, pubBenchBatch)
		b.ReportAllocs()
		b.SetBytes(int64(len(pubBenchBody)))
		b.ResetTimer()
		for i := 0; i < b.N; i += pubBenchBatch {
			n := min(pubBenchBatch, b.N-i)
			for j := range n {
				msgs[j] = kafkago.Message{Key: []byte("sim-456"), Value: pubBenchBody, Headers: []kafkago.Header{
					{Key: HeaderContentType, Value: jsonContentType}, {Key: HeaderEventID, Value: []byte(strconv.Itoa(i + j))}}}
			}
			for k := 0; k < n; k += perCall {
				if err := w.WriteMessages(b.Context(), msgs[k:min(k+perCall, n)]...); err != nil {
					b.Fatal(err)
				}
			}
		}
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "msgs/s")
	}
	b.Run("bare", func(b *testing.B) { bare(b, pubBenchBatch) })
	b.Run("bare-one-by-one", func(b *testing.B) { bare(b, 1) })
}
