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
// pubtest.BenchBatch. "ours" is the default (one pipeline at a time),
// "ours-inflight4" keeps up to 4 pipelines in flight (MaxInFlight).
// "bare-one-by-one" is a reference: one round trip per PUBLISH.
func BenchmarkPublisher(b *testing.B) {
	ch := uniqueName(b)
	ours := func(b *testing.B, inFlight int) {
		p, err := New(Options{URL: redisURL, Channel: ch, Logger: slog.New(slog.DiscardHandler),
			Config: pubtest.BenchConfig(), MaxInFlight: inFlight})
		if err != nil {
			b.Fatal(err)
		}
		pubtest.BenchPublish(b, p)
	}
	b.Run("ours", func(b *testing.B) { ours(b, 0) })
	b.Run("ours-inflight4", func(b *testing.B) { ours(b, 4) })
	bare := func(b *testing.B, pipelined bool) {
		c := goredis.NewClient(&goredis.Options{Addr: "127.0.0.1:6379"})
		defer c.Close()
		pubtest.BenchBare(b, func(from, to int) error {
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
		})
	}
	b.Run("bare", func(b *testing.B) { bare(b, true) })
	b.Run("bare-one-by-one", func(b *testing.B) { bare(b, false) })
}
