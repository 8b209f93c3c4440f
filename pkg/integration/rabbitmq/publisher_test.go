package rabbitmq

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/mfn-io/mfn-operator/pkg/integration"
	"github.com/mfn-io/mfn-operator/pkg/integration/internal/pubtest"
)

func fastConfig() integration.PublisherConfig { return pubtest.FastConfig(10, 5*time.Second) }

func newPublisher(t *testing.T, o Options) (*Publisher, *pubtest.Recorder) {
	t.Helper()
	logger, rec := pubtest.NewLogger()
	o.Logger = logger
	if o.URL == "" {
		o.URL = amqpURL
	}
	p, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = p.Disconnect(t.Context()) })
	return p, rec
}

func outgoing(i int) integration.Outgoing {
	return integration.Outgoing{Key: "sim-1", EventID: fmt.Sprintf("ev-%04d", i),
		Body: fmt.Appendf(nil, `{"event_id":"ev-%04d"}`, i)}
}

// Row 68: declared durable topic exchange, persistent messages with the
// routing key, confirms awaited, metrics exact.
func TestPublisherDeliversInOrder(t *testing.T) {
	b := newBroker(t)
	ex, q := uniqueName(t), uniqueName(t)+".q"
	b.cleanup(ex, q)
	p, _ := newPublisher(t, Options{Exchange: ex, RoutingKey: "simulation.complete", DeclareQueue: q,
		BindingKey: "simulation.#", Config: fastConfig()})
	if p.ID() != "rabbitmq-"+ex {
		t.Fatalf("id %q", p.ID())
	}
	if err := p.Connect(t.Context()); err != nil {
		t.Fatal(err)
	}
	var total int64
	for i := range 25 {
		total += int64(len(outgoing(i).Body))
		if err := p.Publish(t.Context(), outgoing(i)); err != nil {
			t.Fatal(err)
		}
	}
	if err := p.Flush(t.Context()); err != nil {
		t.Fatal(err)
	}
	for i := range 25 {
		d := b.get(q)
		if d.MessageId != outgoing(i).EventID || d.DeliveryMode != 2 || d.RoutingKey != "simulation.complete" {
			t.Fatalf("delivery %d: id %q mode %d key %q", i, d.MessageId, d.DeliveryMode, d.RoutingKey)
		}
	}
	m := p.Snapshot().Publisher
	if m.MessagesSent != 25 || m.BytesSent != total || m.MessagesFailed != 0 || m.PublishErrors != 0 {
		t.Fatalf("metrics %+v", m)
	}
}

// Row 69: an unroutable message is detected (basic.return), given up as a
// permanent failure and counted in messages_failed.
func TestPublisherUnroutableCounted(t *testing.T) {
	b := newBroker(t)
	ex := uniqueName(t)
	b.cleanup(ex)
	p, _ := newPublisher(t, Options{Exchange: ex, RoutingKey: "unbound", Config: fastConfig()})
	done := make(chan error, 1)
	m := outgoing(1)
	m.Done = func(err error) { done <- err }
	if err := p.Publish(t.Context(), m); err != nil {
		t.Fatal(err)
	}
	if err := p.Flush(t.Context()); err == nil {
		t.Fatal("flush of an unroutable message succeeded")
	}
	if err := <-done; !errors.Is(err, ErrUnroutable) {
		t.Fatalf("Done(%v)", err)
	}
	s := p.Snapshot()
	if s.Publisher.MessagesFailed != 1 || s.Publisher.MessagesSent != 0 || s.Publisher.PublishErrors != 1 ||
		!strings.Contains(s.LastError, "NO_ROUTE") {
		t.Fatalf("metrics %+v last error %q", s.Publisher, s.LastError)
	}
	// A pipelined run of unroutable messages: each one is given up.
	for i := 2; i < 6; i++ {
		if err := p.Publish(t.Context(), outgoing(i)); err != nil {
			t.Fatal(err)
		}
	}
	if err := p.Flush(t.Context()); err == nil {
		t.Fatal("flush of unroutable messages succeeded")
	}
	if s := p.Snapshot().Publisher; s.MessagesFailed != 5 || s.MessagesSent != 0 || p.Buffered() != 0 {
		t.Fatalf("after a run of 4: %+v, buffered %d", s, p.Buffered())
	}
}

func TestPublisherConnectFailure(t *testing.T) {
	cfg := fastConfig()
	cfg.RetryStrategy = integration.RetryNone
	p, rec := newPublisher(t, Options{URL: "amqp://guest:s3cret@127.0.0.1:1/", Exchange: "e", RoutingKey: "k", Config: cfg})
	err := p.Connect(t.Context())
	if err == nil || strings.Contains(err.Error(), "s3cret") || rec.Contains("s3cret") {
		t.Fatalf("connect: %v", err)
	}
	if s := p.Snapshot().Status; s != "error" {
		t.Fatalf("status %q", s)
	}
}
