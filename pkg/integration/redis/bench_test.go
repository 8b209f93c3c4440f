package redis

import (
	"log/slog"
	"testing"

	goredis "github.com/redis/go-redis/v9"

	"github.com/mfn-io/mfn-operator/pkg/integration/internal/pubtest"
)

// BenchmarkPublisher compares the Redis publisher (batch engine, retry
// loop, breaker, metrics, pipelined SendBatch) with the bare go-redis
// client pipelining the same PUBLISH commands in groups of
// pubtest.BenchBatch, one round trip per group.
//
//   - "paired" runs both in the same process, alternating chunks of
//     pubtest.PairChunk messages (pubtest.BenchPaired): the comparison of
//     docs/BENCHMARKS.md; "paired-inflight4" is the same with MaxInFlight 4;
//   - "ours" and "bare" run each side alone;
//   - "bare-one-by-one" is a reference: one round trip per PUBLISH.
func BenchmarkPublisher(b *testing.B) {
	ch := uniqueName(b)
	publisher := func(b *testing.B, inFlight int) *Publisher {
		p, err := New(Options{URL: redisURL, Channel: ch, Logger: slog.New(slog.DiscardHandler),
			Config: pubtest.BenchConfig(), MaxInFlight: inFlight})
		if err != nil {
			b.Fatal(err)
		}
		return p
	}
	bare := func(b *testing.B, pipelined bool) func(from, to int) error {
		c := goredis.NewClient(&goredis.Options{Addr: "127.0.0.1:6379"})
		b.Cleanup(func() { _ = c.Close() })
		return func(from, to int) error {
			if !pipelined {
				for range to - from {
					if err := c.Publish(b.Context(), ch, pubtest.Envelope).Err(); err != nil {
						return err
					}
				}
				return nil
			}
			pipe := c.Pipeline()
			for range to - from {
				pipe.Publish(b.Context(), ch, pubtest.Envelope)
			}
			_, err := pipe.Exec(b.Context())
			return err
		}
	}
	b.Run("paired", func(b *testing.B) { pubtest.BenchPaired(b, publisher(b, 0), bare(b, true)) })
	b.Run("paired-inflight4", func(b *testing.B) { pubtest.BenchPaired(b, publisher(b, 4), bare(b, true)) })
	b.Run("ours", func(b *testing.B) { pubtest.BenchPublish(b, publisher(b, 0)) })
	b.Run("bare", func(b *testing.B) { pubtest.BenchBare(b, bare(b, true)) })
	b.Run("bare-one-by-one", func(b *testing.B) { pubtest.BenchBare(b, bare(b, false)) })
}
