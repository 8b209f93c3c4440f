package rest

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mfn-io/mfn-operator/pkg/integration"
	"github.com/mfn-io/mfn-operator/pkg/integration/breaker"
	"github.com/mfn-io/mfn-operator/pkg/integration/clock"
	"github.com/mfn-io/mfn-operator/pkg/integration/internal/polltest"
	"github.com/mfn-io/mfn-operator/pkg/status"
)

var t0 = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

type harness struct {
	*polltest.Consumer
	c     *Connector
	clk   *clock.Fake
	calls atomic.Int64
}

// newHarness starts a connector against handler with a fake clock,
// immediate retries and a 10 s poll interval.
func newHarness(t *testing.T, handler http.HandlerFunc, mod func(*Options)) *harness {
	t.Helper()
	h := &harness{clk: clock.NewFake(t0)}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h.calls.Add(1)
		handler(w, r)
	}))
	t.Cleanup(srv.Close)
	o := Options{BaseURL: srv.URL + "/", Endpoint: "/v1/configs", PollInterval: 10 * time.Second, Clock: h.clk}
	o.Config.RetryStrategy = integration.RetryImmediate
	if mod != nil {
		mod(&o)
	}
	c, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	h.c = c
	h.Consumer = polltest.Start(t, c, h.clk)
	return h
}

func (h *harness) next(t *testing.T) *integration.Message { t.Helper(); return h.Next(t) }
func (h *harness) idle(t *testing.T)                      { t.Helper(); h.Idle(t) }
func (h *harness) tick(t *testing.T)                      { t.Helper(); h.Tick(t, 10*time.Second) }
func (h *harness) stop()                                  { h.Stop() }

func sha(b string) string {
	s := sha256.Sum256([]byte(b))
	return hex.EncodeToString(s[:])
}

// TestPollURLHeadersAndFixedRate covers checklist rows 21–23: URL join,
// headers on every request, first poll immediate, one poll per interval.
func TestPollURLHeadersAndFixedRate(t *testing.T) {
	var n atomic.Int64
	var bad atomic.Value
	h := newHarness(t, func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/v1/configs" || r.URL.Query().Get("region") != "eu" ||
			r.Header.Get("Authorization") != "Bearer your-token" || r.Method != http.MethodGet {
			bad.Store(fmt.Sprintf("%s %s auth=%q", r.Method, r.URL, r.Header.Get("Authorization")))
		}
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"grid_size": %d}`, 10+n.Add(1))
	}, func(o *Options) {
		o.Headers = map[string]string{"Authorization": "Bearer your-token"}
		o.Query = map[string]string{"region": "eu"}
	})
	if m := h.next(t); string(m.Payload) != `{"grid_size": 11}` || m.ConnectorID != "rest-/v1/configs" {
		t.Fatalf("first message %s %q", m.ConnectorID, m.Payload)
	}
	for i := 0; i < 3; i++ {
		h.tick(t)
		m := h.next(t)
		if want := fmt.Sprintf(`{"grid_size": %d}`, 12+i); string(m.Payload) != want {
			t.Fatalf("poll %d payload %q want %q", i+2, m.Payload, want)
		}
		wantPos := h.c.pos + "#" + sha(fmt.Sprintf(`{"grid_size": %d}`, 12+i))
		if m.Position != wantPos || strings.Contains(m.Position, "region") {
			t.Fatalf("position %q want %q", m.Position, wantPos)
		}
	}
	if got := h.calls.Load(); got != 4 {
		t.Fatalf("%d requests after 3 intervals, want 4", got)
	}
	if v := bad.Load(); v != nil {
		t.Fatalf("bad request: %v", v)
	}
	s := h.c.Snapshot()
	if s.Connector.MessagesReceived != 4 || s.Connector.BytesReceived != 4*int64(len(`{"grid_size": 11}`)) ||
		s.Connector.LastSuccessTime == nil || !s.Connector.LastSuccessTime.Equal(t0.Add(30*time.Second)) {
		t.Fatalf("metrics %+v", s.Connector)
	}
}

// TestETagConditionalAndHashDedupe: a 304 and an unchanged body yield
// nothing; a change is emitted once.
func TestETagConditionalAndHashDedupe(t *testing.T) {
	var mu sync.Mutex
	etag, body := `"v1"`, `{"grid_size": 16}`
	var inm []string
	h := newHarness(t, func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		inm = append(inm, r.Header.Get("If-None-Match"))
		if etag != "" && r.Header.Get("If-None-Match") == etag {
			w.WriteHeader(http.StatusNotModified)
			return
		}
		if etag != "" {
			w.Header().Set("ETag", etag)
		}
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		_, _ = w.Write([]byte(body))
	}, nil)
	if m := h.next(t); m.Position != h.c.pos+`#"v1"` {
		t.Fatalf("position %q", m.Position)
	}
	h.tick(t) // 304
	h.idle(t)
	mu.Lock()
	etag = "" // server stops sending ETags: body hash takes over
	mu.Unlock()
	h.clk.Advance(10 * time.Second)
	m := h.next(t) // the body is new relative to version "v1"
	if m.Position != h.c.pos+"#"+sha(body) {
		t.Fatalf("hash position %q", m.Position)
	}
	h.tick(t) // same body, no ETag: skipped by hash
	h.idle(t)
	mu.Lock()
	body = `{"grid_size": 17}`
	mu.Unlock()
	h.clk.Advance(10 * time.Second)
	if m := h.next(t); string(m.Payload) != body {
		t.Fatalf("changed body %q", m.Payload)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(inm) < 2 || inm[0] != "" || inm[1] != `"v1"` {
		t.Fatalf("If-None-Match sequence %q", inm)
	}
	if got := h.c.Snapshot().Connector.MessagesReceived; got != 3 {
		t.Fatalf("messages_received %d want 3", got)
	}
}

// TestConditionalAndDedupeSwitches: DisableConditionalRequests stops the
// validators (the body version still de-duplicates); EmitUnchanged emits
// every full response (a 304 still yields nothing); both give the
// reference behaviour, one message per poll.
func TestConditionalAndDedupeSwitches(t *testing.T) {
	cases := []struct {
		name              string
		noCond, emitSame  bool
		wantINM           []string // If-None-Match of polls 1..3
		wantMessages      int
		serverHonoursCond bool
	}{
		{"defaults", false, false, []string{"", `"v1"`, `"v1"`}, 1, true},
		{"conditional off", true, false, []string{"", "", ""}, 1, true},
		{"dedupe off, server answers 304", false, true, []string{"", `"v1"`, `"v1"`}, 1, true},
		{"dedupe off, server ignores validators", false, true, []string{"", `"v1"`, `"v1"`}, 3, false},
		{"both off", true, true, []string{"", "", ""}, 3, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var mu sync.Mutex
			var inm, ims []string
			h := newHarness(t, func(w http.ResponseWriter, r *http.Request) {
				mu.Lock()
				inm = append(inm, r.Header.Get("If-None-Match"))
				ims = append(ims, r.Header.Get("If-Modified-Since"))
				mu.Unlock()
				if c.serverHonoursCond && r.Header.Get("If-None-Match") == `"v1"` {
					w.WriteHeader(http.StatusNotModified)
					return
				}
				w.Header().Set("ETag", `"v1"`)
				w.Header().Set("Last-Modified", "Fri, 02 Jan 2026 03:04:05 GMT")
				w.Header().Set("Content-Type", "application/json")
				_, _ = w.Write([]byte(`{"grid_size": 16}`))
			}, func(o *Options) {
				o.DisableConditionalRequests, o.EmitUnchanged = c.noCond, c.emitSame
			})
			for poll := range 3 { // Next fails without a message, Idle on an unexpected one
				if poll > 0 {
					h.clk.Advance(10 * time.Second)
				}
				if poll < c.wantMessages {
					h.next(t)
				}
				h.idle(t)
			}
			mu.Lock()
			defer mu.Unlock()
			if fmt.Sprint(inm) != fmt.Sprint(c.wantINM) {
				t.Errorf("If-None-Match per poll %q, want %q", inm, c.wantINM)
			}
			for i, v := range ims {
				if want := c.wantINM[i] != ""; (v != "") != want {
					t.Errorf("poll %d If-Modified-Since %q", i+1, v)
				}
			}
			if n := h.c.Snapshot().Connector.MessagesReceived; n != int64(c.wantMessages) {
				t.Errorf("messages_received %d, want %d", n, c.wantMessages)
			}
		})
	}
}

// TestMinimumPollGap: a poll that overran its interval is followed by the
// next one no sooner than MinPollGap (default 1 s) after it ended, and a
// failed poll's Retry-After postpones the next one; the fixed-rate schedule
// then restarts.
func TestMinimumPollGap(t *testing.T) {
	t.Run("slow poll", func(t *testing.T) {
		var n atomic.Int64
		var clk *clock.Fake // set before the first request
		h := newHarness(t, func(w http.ResponseWriter, r *http.Request) {
			if n.Add(1) == 1 {
				clk.Advance(9500 * time.Millisecond) // the first request takes 9.5 s of a 10 s interval
			}
			w.Header().Set("Content-Type", "application/json")
			_, _ = w.Write([]byte(`{"grid_size": 16}`))
		}, func(o *Options) { clk = o.Clock.(*clock.Fake) })
		h.next(t)
		h.idle(t)
		h.clk.Advance(500 * time.Millisecond) // t = 10 s: the fixed-rate slot, but only 0.5 s after the poll
		h.idle(t)
		if n := h.calls.Load(); n != 1 {
			t.Fatalf("%d requests 0.5 s after a slow poll, want 1 (gap 1 s)", n)
		}
		h.clk.Advance(500 * time.Millisecond) // t = 10.5 s: 1 s after the end
		h.idle(t)
		if n := h.calls.Load(); n != 2 {
			t.Fatalf("%d requests 1 s after a slow poll, want 2", n)
		}
		h.clk.Advance(10 * time.Second) // schedule restarted at 10.5 s
		h.idle(t)
		if n := h.calls.Load(); n != 3 {
			t.Fatalf("%d requests one interval later, want 3", n)
		}
	})
	t.Run("retry-after", func(t *testing.T) {
		var n atomic.Int64
		h := newHarness(t, func(w http.ResponseWriter, r *http.Request) {
			if n.Add(1) == 1 {
				w.Header().Set("Retry-After", "30")
				w.WriteHeader(http.StatusServiceUnavailable)
				return
			}
			w.Header().Set("Content-Type", "application/json")
			_, _ = w.Write([]byte(`{"grid_size": 16}`))
		}, func(o *Options) { o.Config.RetryStrategy = integration.RetryNone })
		h.idle(t)
		h.clk.Advance(20 * time.Second) // two intervals, still inside Retry-After
		h.idle(t)
		if n := h.calls.Load(); n != 1 {
			t.Fatalf("%d requests 20 s after a 503 with Retry-After: 30, want 1", n)
		}
		h.clk.Advance(10 * time.Second)
		h.next(t)
		if n := h.calls.Load(); n != 2 {
			t.Fatalf("%d requests after Retry-After, want 2", n)
		}
	})
	if _, err := New(Options{BaseURL: "http://x", Endpoint: "e", MinPollGap: -time.Second}); err == nil ||
		!strings.Contains(err.Error(), "min_poll_gap = -1s: must be ≥ 0") {
		t.Fatalf("negative gap: %v", err)
	}
}

// TestArraySplitAndNackReemits: one message per element; a Nack makes the
// next poll emit the resource again, acks do not.
func TestArraySplitAndNackReemits(t *testing.T) {
	body := `[{"grid_size": 8}, {"grid_size": 9}]`
	h := newHarness(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(body))
	}, nil)
	a, b := h.next(t), h.next(t)
	if string(a.Payload) != `{"grid_size": 8}` || a.Position != h.c.pos+"#"+sha(body)+"/0" ||
		b.Position != h.c.pos+"#"+sha(body)+"/1" || b.Metadata["index"] != "1" {
		t.Fatalf("elements %s %q / %s", a.Position, a.Payload, b.Position)
	}
	_ = a.Ack(t.Context())
	_ = b.Ack(t.Context())
	h.tick(t) // unchanged, acked: nothing
	h.idle(t)
	// Nack after Ack is a no-op (a message is settled once): no re-emission.
	if err := b.Nack(t.Context(), errors.New("again")); err != nil {
		t.Fatal(err)
	}
	h.clk.Advance(10 * time.Second)
	h.idle(t)
	// Now a fresh message nacked: the next poll re-emits both elements.
	h2 := newHarness(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(body))
	}, nil)
	x, y := h2.next(t), h2.next(t)
	_ = x.Ack(t.Context())
	_ = y.Nack(t.Context(), errors.New("publisher down"))
	h2.tick(t)
	if m := h2.next(t); m.Position != x.Position {
		t.Fatalf("re-emitted %s want %s", m.Position, x.Position)
	}
	if m := h2.next(t); m.Position != y.Position {
		t.Fatalf("re-emitted %s want %s", m.Position, y.Position)
	}
	h2.idle(t)
	if got := h2.c.Snapshot().Connector.MessagesReceived; got != 4 {
		t.Fatalf("messages_received %d want 4", got)
	}
}

// TestRestartRefetches: nothing a REST source emits is ever acknowledged
// back to it, so a new process (crash) emits the current resource again.
func TestRestartRefetches(t *testing.T) {
	handler := func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("ETag", `"same"`)
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"grid_size": 20}`))
	}
	first := newHarness(t, handler, nil)
	m1 := first.next(t) // taken, never acked: the process dies
	first.stop()
	second := newHarness(t, handler, nil)
	// (Each harness has its own server, so compare the part after the URL.)
	v1 := m1.Position[strings.Index(m1.Position, "#"):]
	if m2 := second.next(t); !strings.HasSuffix(m2.Position, v1) || string(m2.Payload) != string(m1.Payload) {
		t.Fatalf("after restart %s %q, want %s", m2.Position, m2.Payload, m1.Position)
	}
}

// TestTransientFailuresRetriedThenCounted is checklist rows 24, 83, 84:
// 500 ×4 with max_retries 3 is one failed poll; the next poll succeeds.
func TestTransientFailuresRetriedThenCounted(t *testing.T) {
	var n atomic.Int64
	h := newHarness(t, func(w http.ResponseWriter, r *http.Request) {
		if n.Add(1) <= 4 {
			http.Error(w, "boom", http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"grid_size": 32}`))
	}, nil)
	h.idle(t)
	s := h.c.Snapshot()
	if s.Connector.MessagesFailed != 1 || s.Connector.ConnectionErrors != 1 || s.Connector.RetryCount != 4 ||
		s.LastError != "HTTP 500 Internal Server Error" {
		t.Fatalf("after failed poll: %+v %q", s.Connector, s.LastError)
	}
	h.clk.Advance(10 * time.Second)
	if m := h.next(t); string(m.Payload) != `{"grid_size": 32}` {
		t.Fatalf("payload %q", m.Payload)
	}
	if got := h.calls.Load(); got != 5 {
		t.Fatalf("%d requests, want 5", got)
	}
	if s := h.c.Snapshot(); s.Status != status.ComponentConnected {
		t.Fatalf("status %q after recovery", s.Status)
	}
}

// TestPermanentAndBodyFailures: 404 and 302 are not retried; non-JSON,
// invalid JSON and oversize bodies fail the poll with clear errors, and an
// unchanged bad body is not counted again.
func TestPermanentAndBodyFailures(t *testing.T) {
	cases := []struct {
		name    string
		handler http.HandlerFunc
		want    string
	}{
		{"404", func(w http.ResponseWriter, r *http.Request) { http.NotFound(w, r) }, "HTTP 404 Not Found"},
		{"redirect", func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, "https://user:pw@elsewhere.example/x?token=s", http.StatusFound)
		}, "HTTP 302 Found (redirect to https://elsewhere.example/x not followed)"},
		{"not json type", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/html")
			_, _ = w.Write([]byte("<html>"))
		}, `response Content-Type "text/html" is not JSON`},
		{"invalid json", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			_, _ = w.Write([]byte(`{"grid_size": `))
		}, "JSON decode error: unexpected end of JSON input"},
		{"oversize", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			_, _ = w.Write([]byte(`["` + strings.Repeat("x", 300) + `"]`))
		}, "response body exceeds max_message_bytes (256 bytes)"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, tc.handler, func(o *Options) { o.Config.MaxMessageBytes = 256 })
			h.tick(t) // second poll
			h.idle(t)
			s := h.c.Snapshot()
			if !strings.HasPrefix(s.LastError, tc.want) {
				t.Fatalf("last error %q, want prefix %q", s.LastError, tc.want)
			}
			wantFailed := int64(2)
			if tc.name == "invalid json" {
				wantFailed = 1 // the same bad body is not counted twice
			}
			if s.Connector.MessagesFailed != wantFailed || s.Connector.MessagesReceived != 0 {
				t.Fatalf("metrics %+v", s.Connector)
			}
			if got := h.calls.Load(); got != 2 {
				t.Fatalf("%d requests for 2 polls, want 2 (no retries)", got)
			}
		})
	}
}

// TestTimeoutText is checklist rows 38/102: the per-request deadline fails
// with "Connection timeout after <s>s".
func TestTimeoutText(t *testing.T) {
	h := newHarness(t, func(w http.ResponseWriter, r *http.Request) { <-r.Context().Done() }, func(o *Options) {
		o.Config.Timeout = 50 * time.Millisecond
		o.Config.RetryStrategy = integration.RetryNone
	})
	h.idle(t)
	if s := h.c.Snapshot(); s.LastError != "Connection timeout after 0.05s" || s.Connector.MessagesFailed != 1 {
		t.Fatalf("last error %q metrics %+v", s.LastError, s.Connector)
	}
}

// TestBreakerRefusalCountedAsFailedPoll is checklist rows 79/99 for REST.
func TestBreakerRefusalCountedAsFailedPoll(t *testing.T) {
	h := newHarness(t, func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "down", http.StatusServiceUnavailable)
	}, func(o *Options) {
		o.Config.MaxRetries = 1
		o.Config.CircuitBreakerThreshold = 2
		o.Config.CircuitBreakerTimeout = time.Hour
	})
	h.tick(t)
	h.idle(t)
	s := h.c.Snapshot()
	if s.Status != status.ComponentCircuitOpen || s.Breaker.State != status.BreakerOpen {
		t.Fatalf("status %q breaker %q", s.Status, s.Breaker.State)
	}
	if s.Connector.MessagesFailed != 2 || s.LastError != breaker.ErrCircuitOpen.Error() || s.Breaker.Rejections != 1 {
		t.Fatalf("metrics %+v last %q rejections %d", s.Connector, s.LastError, s.Breaker.Rejections)
	}
	if got := h.calls.Load(); got != 2 {
		t.Fatalf("%d requests; the open breaker must stop them", got)
	}
}

// TestCancelAfterFirstMessage is checklist row 25.
func TestCancelAfterFirstMessage(t *testing.T) {
	h := newHarness(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{}`))
	}, nil)
	_ = h.next(t)
	h.stop()
	select {
	case err := <-h.Done:
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("Consume = %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Consume did not stop")
	}
	if got := h.calls.Load(); got != 1 {
		t.Fatalf("%d requests, want 1", got)
	}
}

// TestLifecycle is checklist rows 31 and 107 plus "connect does not leak".
func TestLifecycle(t *testing.T) {
	clk := clock.NewFake(t0)
	c, err := New(Options{BaseURL: "http://127.0.0.1:1", Endpoint: "x", Clock: clk})
	if err != nil {
		t.Fatal(err)
	}
	if s := c.Snapshot().Status; s != status.ComponentDisconnected {
		t.Fatalf("initial status %q", s)
	}
	_ = c.Connect(t.Context())
	first := c.client
	_ = c.Connect(t.Context())
	if c.client != first || c.Snapshot().Status != status.ComponentConnected {
		t.Fatal("second Connect replaced the client")
	}
	done := make(chan error, 1)
	go func() { done <- c.Consume(t.Context(), make(chan *integration.Message)) }()
	// The port refuses connections: Consume is now waiting to retry.
	if err := clk.WaitForTimers(t.Context(), 1); err != nil {
		t.Fatal(err)
	}
	_ = c.Disconnect(t.Context())
	if err := c.Disconnect(t.Context()); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("Consume after Disconnect = %v, want nil", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Consume did not end on Disconnect")
	}
	if s := c.Snapshot().Status; s != status.ComponentDisconnected {
		t.Fatalf("status %q", s)
	}
}

func TestOptionsValidate(t *testing.T) {
	good := Options{BaseURL: "https://api.example.com/", Endpoint: "/v1/simulation-configs"}
	if u, err := good.URL(); err != nil || u != "https://api.example.com/v1/simulation-configs" {
		t.Fatalf("URL = %q, %v", u, err)
	}
	cases := []struct {
		mod  func(*Options)
		want string
	}{
		{func(o *Options) { o.BaseURL = "" }, "base_url"},
		{func(o *Options) { o.BaseURL = "ftp://x" }, "scheme must be http or https"},
		{func(o *Options) { o.Endpoint = "" }, "endpoint"},
		{func(o *Options) { o.Method = "DELETE" }, "method"},
		{func(o *Options) { o.Body = []byte("{}") }, "body"},
		{func(o *Options) { o.PollInterval = -1 }, "poll_interval"},
		{func(o *Options) { o.Headers = map[string]string{"Bad Name": "x"} }, "headers"},
		{func(o *Options) { o.Config.CircuitBreakerThreshold = -1 }, "circuit_breaker_threshold"},
	}
	for _, tc := range cases {
		o := good
		tc.mod(&o)
		if err := o.Validate(); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Validate() = %v, want an error naming %s", err, tc.want)
		}
	}
	if _, err := New(Options{}); err == nil {
		t.Fatal("New accepted empty options")
	}
}

func TestParseRetryAfter(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for in, want := range map[string]time.Duration{"": 0, "7": 7 * time.Second, "-1": 0, "soon": 0,
		now.Add(90 * time.Second).Format(http.TimeFormat): 90 * time.Second} {
		if got := parseRetryAfter(in, now); got != want {
			t.Errorf("parseRetryAfter(%q) = %v want %v", in, got, want)
		}
	}
}
