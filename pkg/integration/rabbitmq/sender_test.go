package rabbitmq

import (
	"bytes"
	"compress/gzip"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"io"
	"strings"
	"testing"
	"time"

	amqp "github.com/rabbitmq/amqp091-go"

	"github.com/mfn-io/mfn-operator/pkg/integration"
)

const amqpURL = "amqp://guest:guest@127.0.0.1:5672/"

func uniqueName(t testing.TB) string {
	var b [6]byte
	_, _ = rand.Read(b[:])
	return "mfn-test." + strings.ReplaceAll(t.Name(), "/", ".") + "." + hex.EncodeToString(b[:])
}

// broker is a plain amqp091 channel for assertions; every exchange and
// queue it is told about is deleted when the test ends.
type broker struct {
	t    testing.TB
	conn *amqp.Connection
	ch   *amqp.Channel
}

func newBroker(t testing.TB) *broker {
	t.Helper()
	conn, err := amqp.Dial(amqpURL)
	if err != nil {
		t.Fatalf("rabbitmq at 127.0.0.1:5672: %v", err)
	}
	ch, err := conn.Channel()
	if err != nil {
		t.Fatal(err)
	}
	b := &broker{t: t, conn: conn, ch: ch}
	t.Cleanup(func() { _ = conn.Close() })
	return b
}

// cleanup deletes the exchange and queues when the test ends (on a fresh
// channel: the test may have closed this one by provoking an error).
func (b *broker) cleanup(exchange string, queues ...string) {
	b.t.Cleanup(func() {
		conn, err := amqp.Dial(amqpURL)
		if err != nil {
			return
		}
		defer conn.Close()
		ch, err := conn.Channel()
		if err != nil {
			return
		}
		for _, q := range queues {
			_, _ = ch.QueueDelete(q, false, false, false)
		}
		if exchange != "" {
			_ = ch.ExchangeDelete(exchange, false, false)
		}
	})
}

// queue declares a durable queue bound to exchange with key.
func (b *broker) queue(exchange, key string) string {
	b.t.Helper()
	q := uniqueName(b.t) + ".q"
	if _, err := b.ch.QueueDeclare(q, true, false, false, false, nil); err != nil {
		b.t.Fatal(err)
	}
	if err := b.ch.QueueBind(q, key, exchange, false, nil); err != nil {
		b.t.Fatal(err)
	}
	b.cleanup("", q)
	return q
}

// get fetches one message from q, waiting up to 5 s.
func (b *broker) get(q string) amqp.Delivery {
	b.t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		d, ok, err := b.ch.Get(q, true)
		if err != nil {
			b.t.Fatal(err)
		}
		if ok {
			return d
		}
		time.Sleep(10 * time.Millisecond)
	}
	b.t.Fatalf("no message on %s", q)
	return amqp.Delivery{}
}

func newTestSender(t *testing.T, o Options) *sender {
	t.Helper()
	if o.URL == "" {
		o.URL = amqpURL
	}
	if err := o.Validate(); err != nil {
		t.Fatal(err)
	}
	o = o.withDefaults()
	s := &sender{opts: o, logURL: integration.RedactURL(o.URL), timeout: 5 * time.Second, now: time.Now}
	t.Cleanup(func() { _ = s.close() })
	return s
}

func TestSenderPublishesPersistentConfirmed(t *testing.T) {
	b := newBroker(t)
	ex := uniqueName(t)
	b.cleanup(ex)
	s := newTestSender(t, Options{Exchange: ex, RoutingKey: "simulation.complete"})
	if err := s.connect(t.Context()); err != nil {
		t.Fatal(err)
	}
	// The exchange exists as a durable topic exchange: a passive declare
	// with the same attributes succeeds.
	if err := b.ch.ExchangeDeclarePassive(ex, "topic", true, false, false, false, nil); err != nil {
		t.Fatalf("exchange not declared as durable topic: %v", err)
	}
	q := b.queue(ex, "simulation.*")
	msg := integration.Outgoing{Key: "sim-456", EventID: "ev-1", Body: []byte(`{"simulation_id":"sim-456"}`)}
	if err := s.send(t.Context(), msg); err != nil {
		t.Fatal(err)
	}
	d := b.get(q)
	if string(d.Body) != string(msg.Body) || d.RoutingKey != "simulation.complete" || d.Exchange != ex {
		t.Fatalf("delivery %q key %q exchange %q", d.Body, d.RoutingKey, d.Exchange)
	}
	if d.DeliveryMode != amqp.Persistent || d.ContentType != "application/json" || d.MessageId != "ev-1" ||
		d.AppId != "mfn" || d.Timestamp.IsZero() || d.Headers["simulation_id"] != "sim-456" || d.ContentEncoding != "" {
		t.Fatalf("properties: %+v", d)
	}
}

func TestSenderCompression(t *testing.T) {
	b := newBroker(t)
	ex := uniqueName(t)
	b.cleanup(ex)
	s := newTestSender(t, Options{Exchange: ex, RoutingKey: "k", Config: integration.PublisherConfig{EnableCompression: true}})
	if err := s.connect(t.Context()); err != nil {
		t.Fatal(err)
	}
	q := b.queue(ex, "k")
	body := []byte(strings.Repeat(`{"D_box":1.584}`, 20))
	if err := s.send(t.Context(), integration.Outgoing{EventID: "z", Body: body}); err != nil {
		t.Fatal(err)
	}
	d := b.get(q)
	if d.ContentEncoding != "gzip" || len(d.Body) >= len(body) {
		t.Fatalf("encoding %q, %d bytes for %d", d.ContentEncoding, len(d.Body), len(body))
	}
	zr, err := gzip.NewReader(bytes.NewReader(d.Body))
	if err != nil {
		t.Fatal(err)
	}
	plain, err := io.ReadAll(zr)
	if err != nil || !bytes.Equal(plain, body) {
		t.Fatalf("decompressed %q, %v", plain, err)
	}
}

func TestSenderUnroutableIsPermanent(t *testing.T) {
	b := newBroker(t)
	ex := uniqueName(t)
	b.cleanup(ex)
	s := newTestSender(t, Options{Exchange: ex, RoutingKey: "nobody.listens"})
	err := s.send(t.Context(), integration.Outgoing{EventID: "lost", Body: []byte(`{}`)})
	if !errors.Is(err, ErrUnroutable) || !integration.IsPermanent(err) {
		t.Fatalf("err = %v, want permanent ErrUnroutable", err)
	}
	// The session survives a return: the next routable message goes through.
	q := b.queue(ex, "nobody.listens")
	if err := s.send(t.Context(), integration.Outgoing{EventID: "ok", Body: []byte(`{}`)}); err != nil {
		t.Fatal(err)
	}
	if d := b.get(q); d.MessageId != "ok" {
		t.Fatalf("got %q", d.MessageId)
	}
}

func TestSenderDeclareQueue(t *testing.T) {
	b := newBroker(t)
	ex, q := uniqueName(t), uniqueName(t)+".q"
	b.cleanup(ex, q)
	s := newTestSender(t, Options{Exchange: ex, ExchangeType: "direct", RoutingKey: "r", DeclareQueue: q})
	if err := s.send(t.Context(), integration.Outgoing{EventID: "1", Body: []byte(`{}`)}); err != nil {
		t.Fatal(err)
	}
	if d := b.get(q); d.MessageId != "1" {
		t.Fatalf("got %q", d.MessageId)
	}
}

func TestSenderReconnects(t *testing.T) {
	b := newBroker(t)
	ex := uniqueName(t)
	b.cleanup(ex)
	s := newTestSender(t, Options{Exchange: ex, RoutingKey: "k"})
	if err := s.connect(t.Context()); err != nil {
		t.Fatal(err)
	}
	q := b.queue(ex, "k")
	if err := s.send(t.Context(), integration.Outgoing{EventID: "before", Body: []byte(`{}`)}); err != nil {
		t.Fatal(err)
	}
	first := s.sess
	// Kill the connection under the sender (as a broker restart would).
	_ = first.conn.Close()
	if err := s.send(t.Context(), integration.Outgoing{EventID: "after", Body: []byte(`{}`)}); err != nil {
		t.Fatalf("send after connection loss: %v", err)
	}
	if s.sess == first {
		t.Fatal("no new session")
	}
	if d1, d2 := b.get(q), b.get(q); d1.MessageId != "before" || d2.MessageId != "after" {
		t.Fatalf("got %q, %q", d1.MessageId, d2.MessageId)
	}
}

func TestSenderErrors(t *testing.T) {
	b := newBroker(t)
	ex := uniqueName(t)
	b.cleanup(ex)
	// An exchange of another type exists: the declare fails with
	// PRECONDITION_FAILED, a permanent error.
	if err := b.ch.ExchangeDeclare(ex, "fanout", true, false, false, false, nil); err != nil {
		t.Fatal(err)
	}
	s := newTestSender(t, Options{Exchange: ex, RoutingKey: "k"})
	if err := s.connect(t.Context()); !integration.IsPermanent(err) || !strings.Contains(err.Error(), "PRECONDITION_FAILED") {
		t.Fatalf("type mismatch: %v", err)
	}

	bad := newTestSender(t, Options{URL: "amqp://guest:wrong-password@127.0.0.1:5672/", Exchange: ex, RoutingKey: "k"})
	err := bad.connect(t.Context())
	if err == nil || strings.Contains(err.Error(), "wrong-password") {
		t.Fatalf("bad credentials: %v", err)
	}

	down := newTestSender(t, Options{URL: "amqp://guest:guest@127.0.0.1:1/", Exchange: ex, RoutingKey: "k"})
	if err := down.connect(t.Context()); !integration.IsRetryable(err) || !integration.SafeToResend(err) {
		t.Fatalf("refused: %v", err)
	}

	big := newTestSender(t, Options{Exchange: ex, RoutingKey: "k", MaxBodyBytes: 4})
	err = big.send(t.Context(), integration.Outgoing{Body: []byte("12345")})
	if integration.Classify(nil, err) != integration.ClassInvalid {
		t.Fatalf("oversized: %v", err)
	}
}

func TestOptionsValidate(t *testing.T) {
	cases := []struct {
		o    Options
		want string
	}{
		{Options{Exchange: "e", RoutingKey: "k"}, "amqp_url: required"},
		{Options{URL: "http://x", Exchange: "e", RoutingKey: "k"}, "amqp_url"},
		{Options{URL: amqpURL, RoutingKey: "k"}, "exchange: required"},
		{Options{URL: amqpURL, Exchange: "e"}, "routing_key: required"},
		{Options{URL: amqpURL, Exchange: "e", RoutingKey: "k", ExchangeType: "x-custom"}, "exchange_type"},
		{Options{URL: amqpURL, Exchange: "e", RoutingKey: strings.Repeat("k", 256)}, "routing_key"},
		{Options{URL: amqpURL, Exchange: "e", RoutingKey: "k", Config: integration.PublisherConfig{DeliveryGuarantee: integration.ExactlyOnce}}, "exactly_once"},
		{Options{URL: amqpURL, Exchange: "e", RoutingKey: "k", Config: integration.PublisherConfig{EnableCompression: true, CompressionCodec: "zstd"}}, "only supports gzip"},
	}
	for _, c := range cases {
		err := c.o.Validate()
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("Validate(%+v) = %v, want mention of %q", c.o, err, c.want)
		}
	}
	if err := (Options{URL: amqpURL, Exchange: "e", ExchangeType: "fanout"}).Validate(); err != nil {
		t.Errorf("fanout without routing key: %v", err)
	}
}
