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
// waiting for the acknowledgements.
//
//   - "paired" runs both in the same process, alternating chunks of
//     pubtest.PairChunk messages (pubtest.BenchPaired): the comparison of
//     docs/BENCHMARKS.md; "paired-inflight4" is the same with MaxInFlight 4;
//   - "ours" and "bare" run each side alone;
//   - "bare-one-by-one" is a reference: one record per call, as a sink
//     without pipelining would send them.
func BenchmarkPublisher(b *testing.B) {
	c := kafkatest.NewCluster(b, kafkatest.Topic{Name: "bench"})
	publisher := func(b *testing.B, inFlight int) *Publisher {
		p, err := NewPublisher(PublisherOptions{BootstrapServers: ParseServers(c.Bootstrap()), Topic: "bench",
			Logger: slog.New(slog.DiscardHandler), Config: pubtest.BenchConfig(), MaxInFlight: inFlight})
		if err != nil {
			b.Fatal(err)
		}
		return p
	}
	bare := func(b *testing.B, perCall int) func(from, to int) error {
		w := &kafkago.Writer{Addr: kafkago.TCP(c.Addrs()...), Topic: "bench", Balancer: &kafkago.Murmur2Balancer{},
			MaxAttempts: 1, BatchSize: perCall, BatchTimeout: time.Millisecond, RequiredAcks: kafkago.RequireAll}
		b.Cleanup(func() { _ = w.Close() })
		msgs := make([]kafkago.Message, pubtest.BenchBatch)
		return func(from, to int) error {
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
		}
	}
	b.Run("paired", func(b *testing.B) { pubtest.BenchPaired(b, publisher(b, 0), bare(b, pubtest.BenchBatch)) })
	b.Run("paired-inflight4", func(b *testing.B) {
		pubtest.BenchPaired(b, publisher(b, 4), bare(b, pubtest.BenchBatch))
	})
	b.Run("ours", func(b *testing.B) { pubtest.BenchPublish(b, publisher(b, 0)) })
	b.Run("bare", func(b *testing.B) { pubtest.BenchBare(b, bare(b, pubtest.BenchBatch)) })
	b.Run("bare-one-by-one", func(b *testing.B) { pubtest.BenchBare(b, bare(b, 1)) })
}
