package kafka

import (
	"log/slog"
	"strconv"
	"testing"
	"time"

	kafkago "github.com/segmentio/kafka-go"

	"github.com/mfn-io/mfn-operator/pkg/integration/internal/pubtest"
	"github.com/mfn-io/mfn-operator/pkg/integration/kafka/kafkatest"
)

// BenchmarkPublisher compares the Kafka publisher (batch engine, retry
// loop, breaker, metrics, pipelined SendBatch) with the bare kafka-go
// Writer doing the same thing: pubtest.BenchBatch keyed records with the
// same headers per WriteMessages call (one produce request), acks=all,
// waiting for the acknowledgements. "ours" is the default (one run at a
// time), "ours-inflight4" writes up to 4 runs at once (MaxInFlight).
// "bare-one-by-one" is a reference: one record per call, as a sink without
// pipelining would send them.
func BenchmarkPublisher(b *testing.B) {
	c := kafkatest.NewCluster(b, kafkatest.Topic{Name: "bench"})
	ours := func(b *testing.B, inFlight int) {
		p, err := NewPublisher(PublisherOptions{BootstrapServers: ParseServers(c.Bootstrap()), Topic: "bench",
			Logger: slog.New(slog.DiscardHandler), Config: pubtest.BenchConfig(), MaxInFlight: inFlight})
		if err != nil {
			b.Fatal(err)
		}
		pubtest.BenchPublish(b, p)
	}
	b.Run("ours", func(b *testing.B) { ours(b, 0) })
	b.Run("ours-inflight4", func(b *testing.B) { ours(b, 4) })
	bare := func(b *testing.B, perCall int) {
		w := &kafkago.Writer{Addr: kafkago.TCP(c.Addrs()...), Topic: "bench", Balancer: &kafkago.Murmur2Balancer{},
			MaxAttempts: 1, BatchSize: perCall, BatchTimeout: time.Millisecond, RequiredAcks: kafkago.RequireAll}
		defer w.Close()
		msgs := make([]kafkago.Message, pubtest.BenchBatch)
		pubtest.BenchBare(b, func(from, to int) error {
			for j := range to - from {
				msgs[j] = kafkago.Message{Key: []byte("sim-456"), Value: pubtest.Envelope, Headers: []kafkago.Header{
					{Key: HeaderContentType, Value: jsonContentType},
					{Key: HeaderEventID, Value: []byte(strconv.Itoa(from + j))}}}
			}
			for k := 0; k < to-from; k += perCall {
				if err := w.WriteMessages(b.Context(), msgs[k:min(k+perCall, to-from)]...); err != nil {
					return err
				}
			}
			return nil
		})
	}
	b.Run("bare", func(b *testing.B) { bare(b, pubtest.BenchBatch) })
	b.Run("bare-one-by-one", func(b *testing.B) { bare(b, 1) })
}
