package batch

import (
	"context"
	"io"
	"log/slog"
	"strconv"
	"sync/atomic"
	"testing"

	"github.com/mfn-io/mfn-operator/pkg/integration"
	"github.com/mfn-io/mfn-operator/pkg/integration/component"
)

// countSink accepts every message.
type countSink struct{ n atomic.Int64 }

func (s *countSink) Open(context.Context) error { return nil }
func (s *countSink) Send(context.Context, integration.Outgoing) error {
	s.n.Add(1)
	return nil
}
func (s *countSink) Close(context.Context) error { return nil }

// BenchmarkPublishFlush measures the engine's own cost per message
// (enqueue, flush goroutine, retry loop, breaker, metrics) with a sink that
// does nothing.
func BenchmarkPublishFlush(b *testing.B) {
	for _, size := range []int{1, 100} {
		b.Run("batch_size="+strconv.Itoa(size), func(b *testing.B) {
			sink := &countSink{}
			p, err := New(integration.PublisherConfig{BatchSize: size}, sink, component.Options{
				ID: "bench", Kind: "jsonl", Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
			if err != nil {
				b.Fatal(err)
			}
			body := []byte(`{"event_id":"0123456789abcdef0123456789abcdef","features":{"D_box":1.584}}`)
			ctx := b.Context()
			b.ReportAllocs()
			for b.Loop() {
				if err := p.Publish(ctx, integration.Outgoing{EventID: "x", Body: body}); err != nil {
					b.Fatal(err)
				}
			}
			if err := p.Disconnect(ctx); err != nil {
				b.Fatal(err)
			}
			if sink.n.Load() != int64(b.N) {
				b.Fatalf("sent %d of %d", sink.n.Load(), b.N)
			}
		})
	}
}
