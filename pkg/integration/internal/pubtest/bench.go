package pubtest

import (
	"strconv"
	"testing"
	"time"

	"github.com/mfn-io/mfn-operator/pkg/integration"
)

// BenchBatch is the batch size of every publisher benchmark.
const BenchBatch = 100

// Envelope is a realistic output envelope (INTEGRATION.md §9.2, ~700 bytes),
// the body of every benchmark message.
var Envelope = []byte(`{"event_id":"3f0c9a6e5b1d4e0f8a7b6c5d4e3f2a1b","event":"simulation_complete","schema_version":"1",` +
	`"simulation_id":"sim-456","status":"complete","timestamp":"2025-12-04T12:00:00Z",` +
	`"params":{"grid_size":64,"steps":100,"alpha":0.18,"seed":42},"features":{"D_box":1.584,"D_r2":0.97,` +
	`"V_min":-82.1,"V_max":-41.0,"V_mean":-67.5,"V_std":9.8,"V_skew":0.1,"V_kurt":-0.4,"dV_mean":0.5,` +
	`"dV_max":4.2,"T_stable":50,"E_trend":-0.1,"f_active":0.42,"N_clusters_low":10,"N_clusters_med":5,` +
	`"N_clusters_high":2,"max_cluster_size":100,"cluster_size_std":20.0},` +
	`"source":{"connector_id":"kafka-mfn-simulation-params","position":"mfn-simulation-params/3/1042"}}`)

// BenchConfig is the publisher configuration of the benchmarks: batches of
// BenchBatch, flushed by size only.
func BenchConfig() integration.PublisherConfig {
	return integration.PublisherConfig{BatchSize: BenchBatch, BatchTimeout: time.Hour}
}

// BenchPublish is the "ours" side of a publisher benchmark: it connects p,
// publishes b.N copies of Envelope (key sim-456, distinct event ids),
// flushes, reports msgs/s and checks that every message was sent. p is
// disconnected when the benchmark ends.
func BenchPublish(b *testing.B, p integration.Publisher) {
	b.Helper()
	defer func() { _ = p.Disconnect(b.Context()) }()
	if err := p.Connect(b.Context()); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.SetBytes(int64(len(Envelope)))
	b.ResetTimer()
	for i := range b.N {
		m := integration.Outgoing{Key: "sim-456", EventID: strconv.Itoa(i), Body: Envelope}
		if err := p.Publish(b.Context(), m); err != nil {
			b.Fatal(err)
		}
	}
	if err := p.Flush(b.Context()); err != nil {
		b.Fatal(err)
	}
	ReportRate(b)
	if sent := p.Snapshot().Publisher.MessagesSent; sent != int64(b.N) {
		b.Fatalf("sent %d of %d", sent, b.N)
	}
}

// BenchBare runs the "bare" side: send(from, to) must deliver messages
// [from, to) (at most BenchBatch) with the bare client.
func BenchBare(b *testing.B, send func(from, to int) error) {
	b.Helper()
	b.ReportAllocs()
	b.SetBytes(int64(len(Envelope)))
	b.ResetTimer()
	for i := 0; i < b.N; i += BenchBatch {
		if err := send(i, min(i+BenchBatch, b.N)); err != nil {
			b.Fatal(err)
		}
	}
	ReportRate(b)
}

// ReportRate reports the msgs/s metric.
func ReportRate(b *testing.B) {
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "msgs/s")
}

// FastConfig retries within milliseconds, flushes at batchSize (never by
// age) and gives each request timeout.
func FastConfig(batchSize int, timeout time.Duration) integration.PublisherConfig {
	return integration.PublisherConfig{BatchSize: batchSize, BatchTimeout: time.Hour, RetryConfig: integration.RetryConfig{
		InitialRetryDelay: time.Millisecond, MaxRetryDelay: 5 * time.Millisecond, Timeout: timeout}}
}

// PairChunk is the number of messages of one chunk of BenchPaired: 50
// batches, so that the Flush ending every "ours" chunk (a hand-off to the
// flush goroutine and back, which a publisher in service does not pay per
// batch) weighs about as much as one batch.
const PairChunk = 5000

// BenchPaired measures "ours" and "bare" in the same run, alternating
// finely so that background load hits both alike: b.N messages go through
// each side in chunks of PairChunk, ours then bare for even chunks and
// bare then ours for odd ones. An "ours" chunk is Publish of every message
// (key sim-456, distinct event ids) then Flush, so its time includes
// draining the pipeline; a "bare" chunk is send(from, to) on consecutive
// groups of at most BenchBatch messages. It reports ours-msgs/s,
// bare-msgs/s and overhead-% (time of ours over time of bare, minus 1),
// and checks that p sent every message. p is disconnected at the end.
func BenchPaired(b *testing.B, p integration.Publisher, send func(from, to int) error) {
	b.Helper()
	defer func() { _ = p.Disconnect(b.Context()) }()
	if err := p.Connect(b.Context()); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	var ours, bare time.Duration
	runOurs := func(from, to int) {
		start := time.Now()
		for i := from; i < to; i++ {
			m := integration.Outgoing{Key: "sim-456", EventID: strconv.Itoa(i), Body: Envelope}
			if err := p.Publish(b.Context(), m); err != nil {
				b.Fatal(err)
			}
		}
		if err := p.Flush(b.Context()); err != nil {
			b.Fatal(err)
		}
		ours += time.Since(start)
	}
	runBare := func(from, to int) {
		start := time.Now()
		for i := from; i < to; i += BenchBatch {
			if err := send(i, min(i+BenchBatch, to)); err != nil {
				b.Fatal(err)
			}
		}
		bare += time.Since(start)
	}
	b.ResetTimer()
	for c, from := 0, 0; from < b.N; c, from = c+1, from+PairChunk {
		to := min(from+PairChunk, b.N)
		if c%2 == 0 {
			runOurs(from, to)
			runBare(from, to)
		} else {
			runBare(from, to)
			runOurs(from, to)
		}
	}
	b.StopTimer()
	if sent := p.Snapshot().Publisher.MessagesSent; sent != int64(b.N) {
		b.Fatalf("sent %d of %d", sent, b.N)
	}
	b.ReportMetric(float64(b.N)/ours.Seconds(), "ours-msgs/s")
	b.ReportMetric(float64(b.N)/bare.Seconds(), "bare-msgs/s")
	b.ReportMetric((ours.Seconds()/bare.Seconds()-1)*100, "overhead-%")
}
