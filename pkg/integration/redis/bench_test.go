package redis

import (
	"log/slog"
	"strconv"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"

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

// BenchmarkPublisher compares the Redis publisher (batch engine, retry
// loop, breaker, metrics, pipelined SendBatch) with the bare go-redis
// client pipelining the same PUBLISH commands in groups of benchBatch.
// "bare-one-by-one" is a reference: one round trip per PUBLISH.
func BenchmarkPublisher(b *testing.B) {
	ch := uniqueName(b)
	b.Run("ours", func(b *testing.B) {
		p, err := New(Options{URL: redisURL, Channel: ch, Logger: slog.New(slog.DiscardHandler),
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
		c := goredis.NewClient(&goredis.Options{Addr: "127.0.0.1:6379"})
		defer c.Close()
		b.ReportAllocs()
		b.SetBytes(int64(len(benchBody)))
		b.ResetTimer()
		for i := 0; i < b.N; i += benchBatch {
			n := min(benchBatch, b.N-i)
			if !pipelined {
				for range n {
					if err := c.Publish(b.Context(), ch, benchBody).Err(); err != nil {
						b.Fatal(err)
					}
				}
				continue
			}
			pipe := c.Pipeline()
			for range n {
				pipe.Publish(b.Context(), ch, benchBody)
			}
			if _, err := pipe.Exec(b.Context()); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "msgs/s")
	}
	b.Run("bare", func(b *testing.B) { bare(b, true) })
	b.Run("bare-one-by-one", func(b *testing.B) { bare(b, false) })
}
