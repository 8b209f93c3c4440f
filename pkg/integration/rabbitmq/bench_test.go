package rabbitmq

import (
	"fmt"
	"log/slog"
	"strconv"
	"testing"
	"time"

	amqp "github.com/rabbitmq/amqp091-go"

	"github.com/mfn-io/mfn-operator/pkg/integration/internal/pubtest"
)

// BenchmarkPublisher compares the RabbitMQ publisher (batch engine, retry
// loop, breaker, metrics, return check, pipelined SendBatch) with the bare
// amqp091 client doing the same thing: pubtest.BenchBatch persistent
// mandatory publishes on a confirming channel, then wait for their
// confirms.
//
//   - "paired" runs both in the same process, alternating chunks of
//     pubtest.PairChunk messages (pubtest.BenchPaired): the comparison of
//     docs/BENCHMARKS.md;
//   - "ours" and "bare" run each side alone;
//   - "bare-one-by-one" is a reference: wait for each confirm before the
//     next publish.
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
	publisher := func(b *testing.B) *Publisher {
		p, err := New(Options{URL: amqpURL, Exchange: ex, RoutingKey: "k", Logger: slog.New(slog.DiscardHandler),
			Config: pubtest.BenchConfig()})
		if err != nil {
			b.Fatal(err)
		}
		return p
	}
	bare := func(b *testing.B, pipelined bool) func(from, to int) error {
		conn, err := amqp.Dial(amqpURL)
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { _ = conn.Close() })
		ch, err := conn.Channel()
		if err != nil {
			b.Fatal(err)
		}
		if err := ch.Confirm(false); err != nil {
			b.Fatal(err)
		}
		wait := func(dc *amqp.DeferredConfirmation) error {
			if ok, err := dc.WaitContext(b.Context()); err != nil || !ok {
				return fmt.Errorf("confirm %v %w", ok, err)
			}
			return nil
		}
		dcs := make([]*amqp.DeferredConfirmation, 0, pubtest.BenchBatch)
		return func(from, to int) error {
			dcs = dcs[:0]
			for j := from; j < to; j++ {
				dc, err := ch.PublishWithDeferredConfirmWithContext(b.Context(), ex, "k", true, false, amqp.Publishing{
					ContentType: "application/json", DeliveryMode: amqp.Persistent, MessageId: strconv.Itoa(j),
					Timestamp: time.Now(), AppId: "mfn", Body: pubtest.Envelope})
				if err != nil {
					return err
				}
				if !pipelined {
					if err := wait(dc); err != nil {
						return err
					}
					continue
				}
				dcs = append(dcs, dc)
			}
			for _, dc := range dcs {
				if err := wait(dc); err != nil {
					return err
				}
			}
			return nil
		}
	}
	b.Run("paired", func(b *testing.B) { pubtest.BenchPaired(b, publisher(b), bare(b, true)) })
	b.Run("ours", func(b *testing.B) { pubtest.BenchPublish(b, publisher(b)) })
	b.Run("bare", func(b *testing.B) { pubtest.BenchBare(b, bare(b, true)) })
	b.Run("bare-one-by-one", func(b *testing.B) { pubtest.BenchBare(b, bare(b, false)) })
}
