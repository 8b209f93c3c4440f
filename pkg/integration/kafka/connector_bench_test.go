package kafka

import (
	"context"
	"fmt"
	"log/slog"
	"testing"
	"time"

	"github.com/mfn-io/mfn-operator/pkg/integration"
	"github.com/mfn-io/mfn-operator/pkg/integration/kafka/kafkatest"
)

// BenchmarkTrackerAddAck is the bookkeeping cost per record (in-order acks).
func BenchmarkTrackerAddAck(b *testing.B) {
	b.ReportAllocs()
	p := newPartitionTracker(0)
	for i := 0; i < b.N; i++ {
		p.Add(int64(i))
		p.Ack(int64(i))
	}
}

// BenchmarkConsumeAck measures end-to-end consume + ack throughput of one
// partition against the in-process cluster (client and bookkeeping cost,
// no network latency).
func BenchmarkConsumeAck(b *testing.B) {
	const n = 5000
	cl := kafkatest.NewCluster(b, kafkatest.Topic{Name: "bench"})
	vals := make([][]byte, n)
	for i := range vals {
		vals[i] = []byte(fmt.Sprintf(`{"simulation_id": "s-%d", "simulation_params": {"grid_size": 64, "steps": 100}}`, i))
	}
	for i := 0; i < n; i += 500 {
		cl.Produce(b, "bench", 0, vals[i:i+500]...)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		c, err := NewConnector(ConnectorOptions{BootstrapServers: Servers{cl.Bootstrap()}, Topic: "bench",
			GroupID: fmt.Sprintf("bench-%d", i), HeartbeatInterval: 100 * time.Millisecond,
			Logger: slog.New(slog.DiscardHandler)})
		if err != nil {
			b.Fatal(err)
		}
		ctx, cancel := context.WithCancel(b.Context())
		out := make(chan *integration.Message, 256)
		done := make(chan error, 1)
		go func() { done <- c.Consume(ctx, out) }()
		for got := 0; got < n; got++ {
			m := <-out
			_ = m.Ack(ctx)
		}
		cancel()
		<-done
		_ = c.Disconnect(b.Context())
	}
	b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "records/s")
}
