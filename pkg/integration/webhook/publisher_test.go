package webhook

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mfn-io/mfn-operator/pkg/integration"
	"github.com/mfn-io/mfn-operator/pkg/integration/clock"
	"github.com/mfn-io/mfn-operator/pkg/integration/internal/pubtest"
	"github.com/mfn-io/mfn-operator/pkg/status"
)

const testSecret = "test-secret-key"

// receiver is an httptest server that verifies every request with a
// Verifier and answers with the status chosen by respond (default 200).
type receiver struct {
	t        *testing.T
	srv      *httptest.Server
	verifier *Verifier
	tally    *pubtest.Tally
	conns    atomic.Int64
	requests atomic.Int64

	mu      sync.Mutex
	respond func(n int64, r *http.Request) (status int, header http.Header)
	got     []*http.Request
	bodies  [][]byte
	errs    []error
}

func newReceiver(t *testing.T, now func() time.Time) *receiver {
	t.Helper()
	v, err := NewVerifier(VerifierConfig{Secrets: []string{testSecret}, Now: now})
	if err != nil {
		t.Fatal(err)
	}
	rc := &receiver{t: t, verifier: v, tally: pubtest.NewTally()}
	rc.srv = httptest.NewUnstartedServer(http.HandlerFunc(rc.handle))
	rc.srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			rc.conns.Add(1)
		}
	}
	rc.srv.Start()
	t.Cleanup(rc.srv.Close)
	return rc
}

func (rc *receiver) handle(w http.ResponseWriter, r *http.Request) {
	n := rc.requests.Add(1)
	rc.mu.Lock()
	respond := rc.respond
	rc.mu.Unlock()
	if respond != nil {
		status, h := respond(n, r)
		if status != http.StatusOK {
			for k, v := range h {
				w.Header()[k] = v
			}
			w.WriteHeader(status)
			return
		}
	}
	body, res, err := rc.verifier.VerifyRequest(r, 0)
	rc.mu.Lock()
	rc.got = append(rc.got, r)
	rc.bodies = append(rc.bodies, body)
	rc.errs = append(rc.errs, err)
	rc.mu.Unlock()
	if err == nil || errors.Is(err, ErrDuplicate) {
		rc.tally.Add(res.EventID)
	}
	w.WriteHeader(StatusCode(err))
}

func (rc *receiver) setRespond(f func(n int64, r *http.Request) (int, http.Header)) {
	rc.mu.Lock()
	rc.respond = f
	rc.mu.Unlock()
}

func (rc *receiver) verified() ([]*http.Request, [][]byte, []error) {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return append([]*http.Request(nil), rc.got...), append([][]byte(nil), rc.bodies...), append([]error(nil), rc.errs...)
}

// fastConfig retries quickly and flushes on every message.
func fastConfig() integration.PublisherConfig { return pubtest.FastConfig(1, 2*time.Second) }

func newPublisher(t *testing.T, o Options) (*Publisher, *pubtest.Recorder) {
	t.Helper()
	logger, rec := pubtest.NewLogger()
	o.Logger = logger
	o.AllowInsecureHTTP = true
	p, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = p.Disconnect(t.Context()) })
	return p, rec
}

func msg(i int) integration.Outgoing {
	return integration.Outgoing{Key: "sim-1", EventID: fmt.Sprintf("ev-%04d", i),
		Body: fmt.Appendf(nil, `{"event_id":"ev-%04d","features":{"D_box":1.584}}`, i)}
}

// publishSync publishes and waits for Done.
func publishSync(t *testing.T, p *Publisher, m integration.Outgoing) error {
	t.Helper()
	done := make(chan error, 1)
	m.Done = func(err error) { done <- err }
	if err := p.Publish(t.Context(), m); err != nil {
		return err
	}
	select {
	case err := <-done:
		return err
	case <-time.After(10 * time.Second):
		t.Fatal("Done not called within 10 s")
		return nil
	}
}

func metrics(p *Publisher) (sent, failed, bytes, batches, errs, retries int64) {
	m := p.Snapshot().Publisher
	return m.MessagesSent, m.MessagesFailed, m.BytesSent, m.BatchesSent, m.PublishErrors, m.RetryCount
}

// Rows 52, 53, 55, 58, 70, 87, 89, 90: one signed POST per message, to
// exactly the URL, flushed when the batch is full.
func TestPublishSignedBatch(t *testing.T) {
	rc := newReceiver(t, nil)
	cfg := fastConfig()
	cfg.BatchSize, cfg.BatchTimeout = 3, time.Hour
	p, _ := newPublisher(t, Options{URL: rc.srv.URL + "/webhooks/mfn?x=1", SecretKey: testSecret, Config: cfg})
	// Row 92: a fresh publisher reports zero counters and no times.
	if s := p.Snapshot(); s.Status != "disconnected" || *s.Publisher != (status.PublisherMetrics{}) ||
		s.LastError != "" || s.LastErrorTime != nil || s.Breaker.State != "closed" {
		t.Fatalf("fresh snapshot %+v %+v", s, *s.Publisher)
	}
	var wg sync.WaitGroup
	var total int64
	for i := range 3 {
		m := msg(i)
		total += int64(len(m.Body))
		wg.Add(1)
		m.Done = func(err error) {
			if err != nil {
				t.Errorf("message %d: %v", i, err)
			}
			wg.Done()
		}
		if i < 2 {
			if err := p.Publish(t.Context(), m); err != nil {
				t.Fatal(err)
			}
			continue
		}
		if n := rc.requests.Load(); n != 0 {
			t.Fatalf("%d requests before the batch was full", n)
		}
		if err := p.Publish(t.Context(), m); err != nil {
			t.Fatal(err)
		}
	}
	wg.Wait()
	reqs, bodies, errs := rc.verified()
	if len(reqs) != 3 {
		t.Fatalf("%d requests", len(reqs))
	}
	for i, r := range reqs {
		want := msg(i)
		switch {
		case errs[i] != nil:
			t.Errorf("request %d: %v", i, errs[i])
		case r.Method != http.MethodPost || r.URL.Path != "/webhooks/mfn" || r.URL.RawQuery != "x=1":
			t.Errorf("request %d: %s %s", i, r.Method, r.URL)
		case string(bodies[i]) != string(want.Body):
			t.Errorf("request %d body %q", i, bodies[i])
		case r.Header.Get("Content-Type") != "application/json" || r.Header.Get("User-Agent") != DefaultUserAgent:
			t.Errorf("request %d headers %v", i, r.Header)
		case r.Header.Get(HeaderID) != want.EventID:
			t.Errorf("request %d id %q", i, r.Header.Get(HeaderID))
		case r.Header.Get(HeaderSignature) != Sign(testSecret, want.Body):
			t.Errorf("request %d legacy signature %q", i, r.Header.Get(HeaderSignature))
		}
	}
	sent, failed, bytes, batches, perrs, retries := metrics(p)
	if sent != 3 || failed != 0 || bytes != total || batches != 1 || perrs != 0 || retries != 0 {
		t.Fatalf("metrics sent %d failed %d bytes %d (want %d) batches %d errors %d retries %d",
			sent, failed, bytes, total, batches, perrs, retries)
	}
	if s := p.Snapshot().Status; s != "connected" {
		t.Fatalf("status %q after sending", s)
	}
	if err := p.Disconnect(t.Context()); err != nil {
		t.Fatal(err)
	}
	if err := p.Disconnect(t.Context()); err != nil {
		t.Fatalf("second Disconnect: %v", err)
	}
	if s := p.Snapshot().Status; s != "disconnected" {
		t.Fatalf("status %q after Disconnect", s)
	}
}

// Row 53: no secret, no signature headers; row 54: user headers merged.
func TestUnsignedAndCustomHeaders(t *testing.T) {
	srv, last := headerServer(t)
	p, _ := newPublisher(t, Options{URL: srv.URL, Headers: map[string]string{"X-Custom-Header": "v", "user-agent": "mine/1"},
		Config: fastConfig()})
	if err := publishSync(t, p, msg(1)); err != nil {
		t.Fatal(err)
	}
	got := last()
	for _, h := range []string{HeaderSignature, HeaderSignatureV1, HeaderTimestamp} {
		if got.Get(h) != "" {
			t.Errorf("%s sent without a secret", h)
		}
	}
	if got.Get("X-Custom-Header") != "v" || got.Get("Content-Type") != "application/json" ||
		got.Get("User-Agent") != "mine/1" || got.Get(HeaderID) != "ev-0001" {
		t.Errorf("headers %v", got)
	}

	p2, _ := newPublisher(t, Options{URL: srv.URL, Headers: map[string]string{"Content-Type": "application/cloudevents+json"},
		Config: fastConfig()})
	err := publishSync(t, p2, msg(2))
	if ct := last().Get("Content-Type"); err != nil || ct != "application/cloudevents+json" {
		t.Errorf("overridden content type: %v %q", err, ct)
	}
}

// headerServer answers 200 to everything; last returns the headers of the
// latest request.
func headerServer(t *testing.T) (srv *httptest.Server, last func() http.Header) {
	t.Helper()
	var mu sync.Mutex
	var got http.Header
	srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		got = r.Header.Clone()
		mu.Unlock()
	}))
	t.Cleanup(srv.Close)
	return srv, func() http.Header {
		mu.Lock()
		defer mu.Unlock()
		return got
	}
}

// TestSignatureVersions: v1 (and the default) sends the legacy signature,
// the timestamp and one V1 signature per key; legacy sends only
// X-Webhook-Signature, which a verifier accepts only with AllowLegacy.
func TestSignatureVersions(t *testing.T) {
	now := time.Unix(1733313600, 0)
	srv, last := headerServer(t)
	strict, err := NewVerifier(VerifierConfig{Secrets: []string{testSecret}, Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	lenient, err := NewVerifier(VerifierConfig{Secrets: []string{testSecret}, AllowLegacy: true, Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	for i, c := range []struct {
		version      string
		wantV1       bool
		strictAccept bool
	}{{"", true, true}, {SignatureV1, true, true}, {SignatureLegacy, false, false}} {
		p, _ := newPublisher(t, Options{URL: srv.URL, SecretKey: testSecret, SecretKeys: []string{"next-key"},
			SignatureVersion: c.version, Config: fastConfig(), Clock: clock.NewFake(now)})
		m := msg(i)
		if err := publishSync(t, p, m); err != nil {
			t.Fatal(err)
		}
		h := last()
		if h.Get(HeaderSignature) != Sign(testSecret, m.Body) {
			t.Errorf("version %q: legacy signature %q", c.version, h.Get(HeaderSignature))
		}
		wantTS, wantV1 := "", ""
		if c.wantV1 {
			wantTS = "1733313600"
			wantV1 = SignV1(testSecret, now.Unix(), m.Body) + "," + SignV1("next-key", now.Unix(), m.Body)
		}
		if h.Get(HeaderTimestamp) != wantTS || h.Get(HeaderSignatureV1) != wantV1 {
			t.Errorf("version %q: timestamp %q V1 %q, want %q %q", c.version,
				h.Get(HeaderTimestamp), h.Get(HeaderSignatureV1), wantTS, wantV1)
		}
		if _, err := strict.Verify(h, m.Body); (err == nil) != c.strictAccept {
			t.Errorf("version %q: strict verifier: %v", c.version, err)
		}
		if _, err := lenient.Verify(h, m.Body); err != nil && !errors.Is(err, ErrDuplicate) {
			t.Errorf("version %q: legacy-accepting verifier: %v", c.version, err)
		}
	}
}

// Row 57: 503, 503, 200 → three requests and sent; 404 → one request,
// failed; 302 → one request, failed, Location not followed.
func TestRetryClassification(t *testing.T) {
	cases := []struct {
		name     string
		statuses []int
		requests int64
		wantErr  bool
		counted  bool // the failure counts for the breaker
	}{
		{"503 503 200", []int{503, 503, 200}, 3, false, true},
		{"500 502 504 then ok", []int{500, 502, 504, 200}, 4, false, true},
		{"408 then ok", []int{408, 200}, 2, false, true},
		{"404 not retried", []int{404}, 1, true, true},
		{"400 not retried", []int{400}, 1, true, true},
		{"401 not retried", []int{401}, 1, true, true},
		{"302 not followed", []int{302}, 1, true, true},
		{"413 per message", []int{413}, 1, true, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var redirected atomic.Int64
			rc := newReceiver(t, nil)
			rc.srv.Config.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if r.URL.Path == "/elsewhere" {
					redirected.Add(1)
					return
				}
				rc.handle(w, r)
			})
			rc.setRespond(func(n int64, _ *http.Request) (int, http.Header) {
				s := c.statuses[min(int(n), len(c.statuses))-1]
				return s, http.Header{"Location": {"/elsewhere"}}
			})
			cfg := fastConfig()
			cfg.MaxRetries = 5
			p, _ := newPublisher(t, Options{URL: rc.srv.URL, SecretKey: testSecret, Config: cfg})
			err := publishSync(t, p, msg(1))
			if (err != nil) != c.wantErr {
				t.Fatalf("Done error = %v", err)
			}
			if n := rc.requests.Load(); n != c.requests {
				t.Fatalf("%d requests, want %d", n, c.requests)
			}
			if redirected.Load() != 0 {
				t.Fatal("redirect followed")
			}
			sent, failed, _, batches, perrs, retries := metrics(p)
			if c.wantErr {
				if sent != 0 || failed != 1 || perrs != 1 || retries != 1 || batches != 0 {
					t.Fatalf("sent %d failed %d errors %d retries %d batches %d", sent, failed, perrs, retries, batches)
				}
				if !integration.IsPermanent(err) || !strings.Contains(err.Error(), fmt.Sprint(c.statuses[0])) {
					t.Fatalf("error %v", err)
				}
				if got := p.Base().Breaker().Counts().ConsecutiveFailures; (got == 1) != c.counted {
					t.Fatalf("breaker failures %d, counted %v", got, c.counted)
				}
				return
			}
			if sent != 1 || failed != 0 || retries != c.requests-1 {
				t.Fatalf("sent %d failed %d retries %d", sent, failed, retries)
			}
		})
	}
}

// Retry-After (seconds) overrides the backoff; the wait is measured on a
// fake clock.
func TestRetryAfterHonoured(t *testing.T) {
	for _, c := range []struct {
		name  string
		value func(now time.Time) string
		wait  time.Duration
	}{
		{"seconds", func(time.Time) string { return "7" }, 7 * time.Second},
		{"http date", func(now time.Time) string { return now.Add(4 * time.Second).UTC().Format(http.TimeFormat) }, 4 * time.Second},
		{"capped by max_retry_delay", func(time.Time) string { return "3600" }, 30 * time.Second},
	} {
		t.Run(c.name, func(t *testing.T) {
			fake := clock.NewFake(time.Date(2025, 12, 4, 12, 0, 0, 0, time.UTC))
			rc := newReceiver(t, fake.Now)
			rc.setRespond(func(n int64, _ *http.Request) (int, http.Header) {
				if n == 1 {
					return http.StatusTooManyRequests, http.Header{"Retry-After": {c.value(fake.Now())}}
				}
				return http.StatusOK, nil
			})
			cfg := fastConfig()
			cfg.InitialRetryDelay, cfg.MaxRetryDelay = 10*time.Millisecond, 30*time.Second
			p, _ := newPublisher(t, Options{URL: rc.srv.URL, SecretKey: testSecret, Config: cfg, Clock: fake})
			done := make(chan error, 1)
			m := msg(1)
			m.Done = func(err error) { done <- err }
			if err := p.Publish(t.Context(), m); err != nil {
				t.Fatal(err)
			}
			if err := fake.WaitForTimers(t.Context(), 1); err != nil {
				t.Fatal(err)
			}
			fake.Advance(c.wait - time.Millisecond)
			select {
			case err := <-done:
				t.Fatalf("delivered before Retry-After elapsed: %v", err)
			case <-time.After(50 * time.Millisecond):
			}
			if n := rc.requests.Load(); n != 1 {
				t.Fatalf("%d requests before Retry-After elapsed", n)
			}
			fake.Advance(time.Millisecond)
			if err := <-done; err != nil {
				t.Fatal(err)
			}
			if n := rc.requests.Load(); n != 2 {
				t.Fatalf("%d requests", n)
			}
		})
	}
}

// Row 49: the server fails message 2 of 3 once → each is received exactly
// once, in order, messages_sent = 3.
func TestAtLeastOnceKeepsUnsentRemainder(t *testing.T) {
	rc := newReceiver(t, nil)
	var failedOnce atomic.Bool
	rc.setRespond(func(_ int64, r *http.Request) (int, http.Header) {
		if r.Header.Get(HeaderID) == "ev-0001" && failedOnce.CompareAndSwap(false, true) {
			return http.StatusServiceUnavailable, nil
		}
		return http.StatusOK, nil
	})
	cfg := fastConfig()
	cfg.BatchSize, cfg.BatchTimeout, cfg.RetryStrategy = 3, time.Hour, integration.RetryNone
	p, _ := newPublisher(t, Options{URL: rc.srv.URL, SecretKey: testSecret, Config: cfg})
	for i := range 3 {
		if err := p.Publish(t.Context(), msg(i)); err != nil {
			t.Fatal(err)
		}
	}
	err := p.Flush(t.Context())
	if err == nil {
		// The size-triggered flush may already have failed and been retried.
		t.Log("flush succeeded after an automatic retry")
	}
	for p.Buffered() > 0 {
		if err := p.Flush(t.Context()); err != nil {
			time.Sleep(5 * time.Millisecond)
		}
	}
	if got := rc.tally.Order(); strings.Join(got, ",") != "ev-0000,ev-0001,ev-0002" {
		t.Fatalf("delivered %v", got)
	}
	if u, d := rc.tally.Counts(); u != 3 || d != 0 {
		t.Fatalf("unique %d duplicates %d", u, d)
	}
	sent, failed, _, _, perrs, _ := metrics(p)
	if sent != 3 || failed != 0 || perrs != 1 {
		t.Fatalf("sent %d failed %d publish_errors %d", sent, failed, perrs)
	}
}

// Row 50: at_most_once drops a message the server keeps refusing; later
// messages are still sent.
func TestAtMostOnceDrops(t *testing.T) {
	rc := newReceiver(t, nil)
	rc.setRespond(func(_ int64, r *http.Request) (int, http.Header) {
		if r.Header.Get(HeaderID) == "ev-0000" {
			return http.StatusInternalServerError, nil
		}
		return http.StatusOK, nil
	})
	cfg := fastConfig()
	cfg.DeliveryGuarantee = integration.AtMostOnce
	p, _ := newPublisher(t, Options{URL: rc.srv.URL, SecretKey: testSecret, Config: cfg})
	if err := publishSync(t, p, msg(0)); err == nil {
		t.Fatal("message 0 reported delivered")
	}
	if err := publishSync(t, p, msg(1)); err != nil {
		t.Fatal(err)
	}
	// A 500 is an ambiguous outcome: at_most_once does not retry it.
	if n := rc.requests.Load(); n != 2 {
		t.Fatalf("%d requests, want 2 (no retry after an ambiguous failure)", n)
	}
	sent, failed, _, _, _, _ := metrics(p)
	if sent != 1 || failed != 1 || !rc.tally.Has("ev-0001") {
		t.Fatalf("sent %d failed %d", sent, failed)
	}
}

// Row 72: gzip body, Content-Encoding, signatures over the uncompressed JSON.
func TestCompression(t *testing.T) {
	rc := newReceiver(t, nil)
	cfg := fastConfig()
	cfg.EnableCompression = true
	p, _ := newPublisher(t, Options{URL: rc.srv.URL, SecretKey: testSecret, Config: cfg})
	m := msg(7)
	m.Body = []byte(`{"event_id":"ev-0007","pad":"` + strings.Repeat("a", 2000) + `"}`)
	if err := publishSync(t, p, m); err != nil {
		t.Fatal(err)
	}
	reqs, bodies, errs := rc.verified()
	if len(reqs) != 1 || errs[0] != nil || string(bodies[0]) != string(m.Body) {
		t.Fatalf("verify: %v", errs)
	}
	if reqs[0].Header.Get("Content-Encoding") != "gzip" || reqs[0].ContentLength >= int64(len(m.Body)) {
		t.Fatalf("encoding %q, wire length %d for %d bytes", reqs[0].Header.Get("Content-Encoding"),
			reqs[0].ContentLength, len(m.Body))
	}
	if _, _, bytes, _, _, _ := metrics(p); bytes != int64(len(m.Body)) {
		t.Fatalf("bytes_sent %d, want the uncompressed %d", bytes, len(m.Body))
	}
}

// Oversized bodies fail as invalid without a request and without opening
// the breaker.
func TestOversizedBody(t *testing.T) {
	rc := newReceiver(t, nil)
	cfg := fastConfig()
	cfg.CircuitBreakerThreshold = 1
	p, _ := newPublisher(t, Options{URL: rc.srv.URL, SecretKey: testSecret, MaxBodyBytes: 64, Config: cfg})
	big := msg(1)
	big.Body = []byte(strings.Repeat("x", 65))
	err := publishSync(t, p, big)
	if integration.Classify(nil, err) != integration.ClassInvalid || !strings.Contains(err.Error(), "max_body_bytes (64)") {
		t.Fatalf("error %v", err)
	}
	if rc.requests.Load() != 0 || p.Base().Breaker().IsOpen() {
		t.Fatal("request made or breaker opened for an invalid message")
	}
	if err := publishSync(t, p, msg(2)); err != nil {
		t.Fatal(err)
	}
	if sent, failed, _, _, _, _ := metrics(p); sent != 1 || failed != 1 {
		t.Fatalf("sent %d failed %d", sent, failed)
	}
}

// Row 38/102: a slow server hits the per-request deadline with the exact text.
func TestTimeoutText(t *testing.T) {
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	t.Cleanup(srv.Close)
	t.Cleanup(func() { close(release) })
	cfg := fastConfig()
	cfg.Timeout, cfg.RetryStrategy, cfg.DeliveryGuarantee = 150*time.Millisecond, integration.RetryNone, integration.AtMostOnce
	p, _ := newPublisher(t, Options{URL: srv.URL, Config: cfg})
	err := publishSync(t, p, msg(1))
	if err == nil || err.Error() != "Connection timeout after 0.15s" {
		t.Fatalf("error %v", err)
	}
	if last := p.Snapshot().LastError; last != "Connection timeout after 0.15s" {
		t.Fatalf("last error %q", last)
	}
}

// Credentials and query strings never reach the ID, errors or logs.
func TestRedaction(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusForbidden)
	}))
	t.Cleanup(srv.Close)
	u := strings.Replace(srv.URL, "http://", "http://user:hunter2@", 1) + "/hook?token=s3cr3t"
	p, rec := newPublisher(t, Options{URL: u, SecretKey: "signing-secret", Config: fastConfig()})
	if want := "webhook-" + srv.URL + "/hook"; p.ID() != want {
		t.Fatalf("ID %q, want %q", p.ID(), want)
	}
	err := publishSync(t, p, msg(1))
	for _, text := range []string{err.Error(), p.Snapshot().LastError} {
		if strings.Contains(text, "hunter2") || strings.Contains(text, "s3cr3t") || !strings.Contains(text, "403") {
			t.Errorf("unredacted or uninformative: %q", text)
		}
	}
	for _, s := range []string{"hunter2", "s3cr3t", "signing-secret"} {
		if rec.Contains(s) {
			t.Errorf("logs contain %q", s)
		}
	}
}

// Keep-alive: many sequential requests reuse one connection.
func TestKeepAlive(t *testing.T) {
	rc := newReceiver(t, nil)
	cfg := fastConfig()
	cfg.BatchSize = 50
	p, _ := newPublisher(t, Options{URL: rc.srv.URL, SecretKey: testSecret, Config: cfg})
	for i := range 200 {
		if err := p.Publish(t.Context(), msg(i)); err != nil {
			t.Fatal(err)
		}
	}
	if err := p.Flush(t.Context()); err != nil {
		t.Fatal(err)
	}
	if u, _ := rc.tally.Counts(); u != 200 {
		t.Fatalf("%d delivered", u)
	}
	if n := rc.conns.Load(); n != 1 {
		t.Fatalf("%d connections for 200 sequential requests", n)
	}
}

// Rows 65/71: batch_timeout flush and Disconnect flush.
func TestTimeoutAndDisconnectFlush(t *testing.T) {
	fake := clock.NewFake(time.Date(2025, 12, 4, 12, 0, 0, 0, time.UTC))
	rc := newReceiver(t, fake.Now)
	cfg := fastConfig()
	cfg.BatchSize, cfg.BatchTimeout = 100, 5*time.Second
	p, _ := newPublisher(t, Options{URL: rc.srv.URL, SecretKey: testSecret, Config: cfg, Clock: fake})
	done := make(chan error, 1)
	m := msg(1)
	m.Done = func(err error) { done <- err }
	if err := p.Publish(t.Context(), m); err != nil {
		t.Fatal(err)
	}
	if err := fake.WaitForTimers(t.Context(), 1); err != nil {
		t.Fatal(err)
	}
	fake.Advance(4 * time.Second)
	select {
	case <-done:
		t.Fatal("flushed before batch_timeout")
	case <-time.After(30 * time.Millisecond):
	}
	fake.Advance(time.Second)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	for i := 2; i < 4; i++ {
		if err := p.Publish(t.Context(), msg(i)); err != nil {
			t.Fatal(err)
		}
	}
	if err := p.Disconnect(t.Context()); err != nil {
		t.Fatal(err)
	}
	if u, _ := rc.tally.Counts(); u != 3 {
		t.Fatalf("%d delivered after Disconnect", u)
	}
	if err := p.Publish(t.Context(), msg(9)); !errors.Is(err, integration.ErrClosed) {
		t.Fatalf("Publish after Disconnect: %v", err)
	}
}

func TestOptionsValidate(t *testing.T) {
	cases := []struct {
		o    Options
		want string
	}{
		{Options{}, "url: required"},
		{Options{URL: "not a url"}, "url"},
		{Options{URL: "http://example.com/x"}, "https"},
		{Options{URL: "https://example.com", Headers: map[string]string{"x-webhook-signature": "forged"}}, "cannot be overridden"},
		{Options{URL: "https://example.com", Config: integration.PublisherConfig{DeliveryGuarantee: integration.ExactlyOnce}}, "exactly_once"},
		{Options{URL: "https://example.com", Config: integration.PublisherConfig{EnableCompression: true, CompressionCodec: "zstd"}}, "only supports gzip"},
		{Options{URL: "https://example.com", MaxConns: -1}, "max_conns"},
		{Options{URL: "https://example.com", SignatureVersion: "v2"}, `signature_version = "v2": must be v1 or legacy`},
	}
	for _, c := range cases {
		_, err := New(c.o)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("New(%+v) = %v, want mention of %q", c.o, err, c.want)
		}
	}
	p, err := New(Options{URL: "https://example.com/hook"})
	if err != nil {
		t.Fatal(err)
	}
	_ = p.Disconnect(t.Context())
}

// Row 60: Publish returns before delivery; Flush reports the failure after
// the retries.
func TestPublishReturnsBeforeDelivery(t *testing.T) {
	release := make(chan struct{})
	var calls atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		select {
		case <-release:
		case <-r.Context().Done():
		}
		w.WriteHeader(http.StatusBadGateway)
	}))
	t.Cleanup(srv.Close)
	t.Cleanup(func() { close(release) })
	cfg := fastConfig()
	cfg.MaxRetries, cfg.Timeout = 1, 100*time.Millisecond
	p, _ := newPublisher(t, Options{URL: srv.URL, Config: cfg})
	delivered := make(chan error, 1)
	m := msg(1)
	m.Done = func(err error) { delivered <- err }
	if err := p.Publish(t.Context(), m); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-delivered:
		t.Fatalf("Done(%v) before the server answered", err)
	default:
	}
	err := p.Flush(t.Context())
	if err == nil || !strings.Contains(err.Error(), "Connection timeout after 0.1s") {
		t.Fatalf("Flush = %v", err)
	}
	if n := calls.Load(); n < 2 {
		t.Fatalf("%d attempts, want 2", n)
	}
	if p.Buffered() != 1 {
		t.Fatalf("at_least_once kept %d messages, want 1", p.Buffered())
	}
}

// Rows 73, 105: with the destination down the bounded buffer fills up,
// "Memory usage increasing" is logged past 80 %, and Publish fails fast with
// ErrBufferFull when block_on_full is off.
func TestBufferBoundedWhileDown(t *testing.T) {
	rc := newReceiver(t, nil)
	rc.setRespond(func(int64, *http.Request) (int, http.Header) { return http.StatusServiceUnavailable, nil })
	cfg := fastConfig()
	cfg.BatchSize, cfg.MaxBufferedMessages, cfg.FailFastWhenFull = 1, 5, true
	cfg.InitialRetryDelay, cfg.MaxRetryDelay = time.Hour, time.Hour // keep the messages buffered
	p, rec := newPublisher(t, Options{URL: rc.srv.URL, SecretKey: testSecret, Config: cfg})
	var full error
	for i := range 10 {
		if err := p.Publish(t.Context(), msg(i)); err != nil {
			full = err
			break
		}
	}
	if !errors.Is(full, integration.ErrBufferFull) {
		t.Fatalf("Publish on a full buffer: %v", full)
	}
	if p.Buffered() > 5 {
		t.Fatalf("buffer holds %d, capacity 5", p.Buffered())
	}
	if !rec.Contains("Memory usage increasing") {
		t.Fatal("no memory warning")
	}
}

// https:// needs no allow_insecure_http; a custom transport (here trusting
// the test server's certificate) still does not follow redirects.
func TestHTTPSWithCustomTransport(t *testing.T) {
	var hits atomic.Int64
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		if r.URL.Path == "/moved" {
			http.Redirect(w, r, "/hook", http.StatusTemporaryRedirect)
		}
	}))
	t.Cleanup(srv.Close)
	for _, c := range []struct {
		path    string
		wantErr bool
	}{{"/hook", false}, {"/moved", true}} {
		p, err := New(Options{URL: srv.URL + c.path, Transport: srv.Client().Transport, Config: fastConfig(),
			Logger: slog.New(slog.DiscardHandler)})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = p.Disconnect(t.Context()) })
		before := hits.Load()
		if err := publishSync(t, p, msg(1)); (err != nil) != c.wantErr {
			t.Fatalf("%s: %v", c.path, err)
		}
		if n := hits.Load() - before; n != 1 {
			t.Fatalf("%s: %d requests", c.path, n)
		}
	}
}
