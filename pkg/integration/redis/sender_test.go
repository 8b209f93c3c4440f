package redis

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"strings"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/mfn-io/mfn-operator/pkg/integration"
)

const redisURL = "redis://127.0.0.1:6379/0"

// uniqueName returns a channel/stream name no other test (or run) uses.
func uniqueName(t testing.TB) string {
	var b [6]byte
	_, _ = rand.Read(b[:])
	return "mfn-test:" + strings.ReplaceAll(t.Name(), "/", ":") + ":" + hex.EncodeToString(b[:])
}

// rawClient is a plain go-redis client for assertions; the stream named
// key (if any) is deleted when the test ends.
func rawClient(t testing.TB, key string) *goredis.Client {
	t.Helper()
	c := goredis.NewClient(&goredis.Options{Addr: "127.0.0.1:6379"})
	if err := c.Ping(t.Context()).Err(); err != nil {
		t.Fatalf("redis at 127.0.0.1:6379: %v", err)
	}
	t.Cleanup(func() {
		if key != "" {
			c.Del(t.Context(), key)
		}
		_ = c.Close()
	})
	return c
}

func newTestSender(t *testing.T, o Options) *sender {
	t.Helper()
	if o.URL == "" {
		o.URL = redisURL
	}
	if err := o.Validate(); err != nil {
		t.Fatal(err)
	}
	o = o.withDefaults()
	s := &sender{opts: o, logURL: integration.RedactURL(o.URL), timeout: 2 * time.Second}
	t.Cleanup(func() { _ = s.close() })
	return s
}

func TestSenderPublishCountsReceivers(t *testing.T) {
	ch := uniqueName(t)
	raw := rawClient(t, "")
	s := newTestSender(t, Options{Channel: ch})
	if err := s.connect(t.Context()); err != nil {
		t.Fatal(err)
	}
	// Nobody listens: the PUBLISH succeeds, the message is gone, the zero
	// receiver counter says so.
	if err := s.send(t.Context(), integration.Outgoing{Body: []byte(`{"n":0}`)}); err != nil {
		t.Fatal(err)
	}
	if s.zeroReceivers.Load() != 1 || s.lastReceivers.Load() != 0 {
		t.Fatalf("zero receivers = %d, last = %d", s.zeroReceivers.Load(), s.lastReceivers.Load())
	}
	sub := raw.Subscribe(t.Context(), ch)
	defer sub.Close()
	if _, err := sub.Receive(t.Context()); err != nil { // subscription confirmation
		t.Fatal(err)
	}
	if err := s.send(t.Context(), integration.Outgoing{Body: []byte(`{"n":1}`)}); err != nil {
		t.Fatal(err)
	}
	msg, err := sub.ReceiveMessage(t.Context())
	if err != nil || msg.Payload != `{"n":1}` || msg.Channel != ch {
		t.Fatalf("received %+v, %v", msg, err)
	}
	if s.zeroReceivers.Load() != 1 || s.lastReceivers.Load() != 1 {
		t.Fatalf("zero receivers = %d, last = %d", s.zeroReceivers.Load(), s.lastReceivers.Load())
	}
}

func TestSenderRequireSubscribers(t *testing.T) {
	s := newTestSender(t, Options{Channel: uniqueName(t), RequireSubscribers: true})
	err := s.send(t.Context(), integration.Outgoing{Body: []byte(`{}`)})
	if !errors.Is(err, ErrNoSubscribers) || !integration.IsRetryable(err) {
		t.Fatalf("err = %v, want retryable ErrNoSubscribers", err)
	}
}

func TestSenderStreamMode(t *testing.T) {
	key := uniqueName(t)
	raw := rawClient(t, key)
	s := newTestSender(t, Options{Channel: key, Mode: ModeStream, StreamMaxLen: 1000})
	for i := range 3 {
		msg := integration.Outgoing{Key: "sim-1", EventID: "ev-" + string(rune('a'+i)), Body: []byte(`{"i":` + string(rune('0'+i)) + `}`)}
		if err := s.send(t.Context(), msg); err != nil {
			t.Fatal(err)
		}
	}
	entries, err := raw.XRange(t.Context(), key, "-", "+").Result()
	if err != nil || len(entries) != 3 {
		t.Fatalf("XRANGE: %d entries, %v", len(entries), err)
	}
	e := entries[2].Values
	if e["payload"] != `{"i":2}` || e["event_id"] != "ev-c" || e["key"] != "sim-1" {
		t.Fatalf("entry = %v", e)
	}
}

func TestSenderStreamTrim(t *testing.T) {
	key := uniqueName(t)
	raw := rawClient(t, key)
	s := newTestSender(t, Options{Channel: key, Mode: ModeStream, StreamMaxLen: 10})
	for range 500 {
		if err := s.send(t.Context(), integration.Outgoing{Body: []byte(`{}`)}); err != nil {
			t.Fatal(err)
		}
	}
	// MAXLEN ~ trims whole macro nodes (100 entries by default), so the
	// length stays well below the number added but may exceed 10.
	n, err := raw.XLen(t.Context(), key).Result()
	if err != nil || n >= 500 || n < 10 {
		t.Fatalf("XLEN = %d, %v; want trimmed to [10, 500)", n, err)
	}
}

func TestSenderErrors(t *testing.T) {
	key := uniqueName(t)
	raw := rawClient(t, key)
	// A key of the wrong type makes XADD fail with a WRONGTYPE reply: permanent.
	if err := raw.Set(t.Context(), key, "x", time.Minute).Err(); err != nil {
		t.Fatal(err)
	}
	s := newTestSender(t, Options{Channel: key, Mode: ModeStream})
	err := s.send(t.Context(), integration.Outgoing{Body: []byte(`{}`)})
	if !integration.IsPermanent(err) || !strings.Contains(err.Error(), "WRONGTYPE") {
		t.Fatalf("wrong type: %v (class %v)", err, integration.Classify(nil, err))
	}

	big := newTestSender(t, Options{Channel: key, MaxBodyBytes: 10})
	err = big.send(t.Context(), integration.Outgoing{Body: []byte(strings.Repeat("x", 11))})
	if integration.Classify(nil, err) != integration.ClassInvalid || !strings.Contains(err.Error(), "max_body_bytes (10)") {
		t.Fatalf("oversized: %v", err)
	}

	// Nothing listens on port 1: connection refused, transient and safe to resend.
	down := newTestSender(t, Options{URL: "redis://:hunter2@127.0.0.1:1/0", Channel: key})
	err = down.connect(t.Context())
	if !integration.IsRetryable(err) || !integration.SafeToResend(err) {
		t.Fatalf("refused: %v", err)
	}
	if strings.Contains(err.Error(), "hunter2") {
		t.Fatalf("password in error: %v", err)
	}

	bad := newTestSender(t, Options{URL: "redis://127.0.0.1:6379/notanumber", Channel: key})
	if err := bad.connect(t.Context()); !integration.IsPermanent(err) {
		t.Fatalf("bad url: %v", err)
	}
}

func TestOptionsValidate(t *testing.T) {
	cases := []struct {
		o    Options
		want string
	}{
		{Options{Channel: "c"}, "redis_url: required"},
		{Options{URL: "http://x", Channel: "c"}, "redis_url"},
		{Options{URL: redisURL}, "channel: required"},
		{Options{URL: redisURL, Channel: "c", Mode: "list"}, "mode"},
		{Options{URL: redisURL, Channel: "c", StreamMaxLen: 5}, "stream_max_len"},
		{Options{URL: redisURL, Channel: "c", Mode: ModeStream, StreamMaxLen: -1}, "stream_max_len"},
		{Options{URL: redisURL, Channel: "c", Mode: ModeStream, RequireSubscribers: true}, "require_subscribers"},
		{Options{URL: redisURL, Channel: "c", Config: integration.PublisherConfig{DeliveryGuarantee: integration.ExactlyOnce}}, "exactly_once"},
		{Options{URL: redisURL, Channel: "c", Config: integration.PublisherConfig{BatchSize: -1}}, "batch_size"},
		{Options{URL: redisURL, Channel: "c", MaxInFlight: -1}, "max_in_flight = -1: must be in [0, 64]"},
		{Options{URL: redisURL, Channel: "c", MaxInFlight: 65}, "max_in_flight = 65: must be in [0, 64]"},
	}
	for _, c := range cases {
		err := c.o.Validate()
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("Validate(%+v) = %v, want mention of %q", c.o, err, c.want)
		}
	}
	if err := (Options{URL: redisURL, Channel: "c"}).Validate(); err != nil {
		t.Errorf("valid options: %v", err)
	}
}
