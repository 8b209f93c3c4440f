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
func (s *countSink) count() int64                { return s.n.Load() }

// countBatchSink accepts every message, a run at a time (BatchSender).
type countBatchSink struct{ countSink }

func (s *countBatchSink) SendBatch(_ context.Context, msgs []integration.Outgoing) (int, error) {
	s.n.Add(int64(len(msgs)))
	return len(msgs), nil
}

// BenchmarkPublishFlush measures the engine's own cost per message
// (enqueue, flush goroutine, retry loop, breaker, metrics, Done callback)
// with a sink that does nothing: "send" is a Sink (Send per message),
// "batch" a BatchSender (SendBatch per run).
func BenchmarkPublishFlush(b *testing.B) {
	type counter interface {
		Sink
		count() int64
	}
	sinks := []struct {
		name string
		new  func() counter
	}{
		{"send", func() counter { return &countSink{} }},
		{"batch", func() counter { return &countBatchSink{} }},
	}
	for _, sk := range sinks {
		for _, size := range []int{1, 100} {
			benchPublishFlush(b, sk.name, size, sk.new)
		}
	}
}

func benchPublishFlush[S interface {
	Sink
	count() int64
}](b *testing.B, name string, size int, newSink func() S) {
	b.Run(name+"/batch_size="+strconv.Itoa(size), func(b *testing.B) {
		sink := newSink()
		p, err := New(integration.PublisherConfig{BatchSize: size}, sink, component.Options{
			ID: "bench", Kind: "jsonl", Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
		if err != nil {
			b.Fatal(err)
		}
		body := []byte(`{"event_id":"0123456789abcdef0123456789abcdef","features":{"D_box":1.584}}`)
		ctx := b.Context()
		var acks atomic.Int64
		ack := func(err error) {
			if err == nil {
				acks.Add(1)
			}
		}
		b.ReportAllocs()
		for b.Loop() {
			if err := p.Publish(ctx, integration.Outgoing{EventID: "x", Body: body, Done: ack}); err != nil {
				b.Fatal(err)
			}
		}
		if err := p.Disconnect(ctx); err != nil {
			b.Fatal(err)
		}
		if sink.count() != int64(b.N) || acks.Load() != int64(b.N) {
			b.Fatalf("sent %d, acknowledged %d of %d", sink.count(), acks.Load(), b.N)
		}
	})
}
