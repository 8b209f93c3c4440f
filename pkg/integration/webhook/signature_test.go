package webhook

import (
	"bytes"
	"compress/gzip"
	"errors"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"
)

// Appendix B vectors (secret test-secret-key).
const (
	vecSecret     = "test-secret-key"
	vecPythonBody = `{"D_box": 1.584, "V_mean": -67.5, "f_active": 0.42, "timestamp": "2025-12-04T12:00:00Z"}`
	vecPythonSig  = "sha256=e2a21158f3e5559b252fe4bab89870df65eb618bcf63d97ee601551adae3b54e"
	vecCompact    = `{"D_box":1.584,"V_mean":-67.5,"f_active":0.42,"timestamp":"2025-12-04T12:00:00Z"}`
	vecCompactSig = "sha256=53e9e3fea3e5ed1f6e770c87bf3e2d287d1add27af91c0b794ec32d65b0bd75f"
	vecTimestamp  = 1733313600
	vecV1Sig      = "sha256=900fdf92d5d3a68fe3ca9d96538f6b538ef89cbf1a9ec7cb611be5b95f8bf634"
)

func TestAppendixBVectors(t *testing.T) {
	if len(vecPythonBody) != 88 || len(vecCompact) != 81 {
		t.Fatalf("vector bodies have %d and %d bytes, want 88 and 81", len(vecPythonBody), len(vecCompact))
	}
	cases := []struct{ name, got, want string }{
		{"legacy python body", Sign(vecSecret, []byte(vecPythonBody)), vecPythonSig},
		{"legacy compact body", Sign(vecSecret, []byte(vecCompact)), vecCompactSig},
		{"v1 compact body", SignV1(vecSecret, vecTimestamp, []byte(vecCompact)), vecV1Sig},
	}
	for _, c := range cases {
		if c.got != c.want {
			t.Errorf("%s: %s, want %s", c.name, c.got, c.want)
		}
	}
	s := newSigner([]string{vecSecret, "", "second-key"}, false)
	legacy, v1 := s.sign(vecTimestamp, []byte(vecCompact))
	if legacy != vecCompactSig {
		t.Errorf("signer legacy = %s", legacy)
	}
	if want := vecV1Sig + "," + SignV1("second-key", vecTimestamp, []byte(vecCompact)); v1 != want {
		t.Errorf("signer v1 = %s, want %s", v1, want)
	}
}

func vecHeaders(ts int64, id string) http.Header {
	h := http.Header{}
	h.Set(HeaderTimestamp, strconv.FormatInt(ts, 10))
	h.Set(HeaderSignatureV1, SignV1(vecSecret, ts, []byte(vecCompact)))
	h.Set(HeaderSignature, Sign(vecSecret, []byte(vecCompact)))
	if id != "" {
		h.Set(HeaderID, id)
	}
	return h
}

type fakeNow struct{ t time.Time }

func (f *fakeNow) now() time.Time { return f.t }

func newVecVerifier(t *testing.T, cfg VerifierConfig) (*Verifier, *fakeNow) {
	t.Helper()
	clk := &fakeNow{t: time.Unix(vecTimestamp, 0)}
	if cfg.Secrets == nil {
		cfg.Secrets = []string{vecSecret}
	}
	cfg.Now = clk.now
	v, err := NewVerifier(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return v, clk
}

func TestVerifierAcceptsAndRejects(t *testing.T) {
	tampered := strings.Replace(vecCompact, "1.584", "1.585", 1)
	cases := []struct {
		name    string
		cfg     VerifierConfig
		headers func() http.Header
		body    string
		want    error
		status  int
	}{
		{"valid v1", VerifierConfig{}, func() http.Header { return vecHeaders(vecTimestamp, "e1") }, vecCompact, nil, 200},
		{"tampered body", VerifierConfig{}, func() http.Header { return vecHeaders(vecTimestamp, "e1") }, tampered, ErrInvalidSignature, 401},
		{"wrong secret", VerifierConfig{Secrets: []string{"other"}}, func() http.Header { return vecHeaders(vecTimestamp, "e1") }, vecCompact, ErrInvalidSignature, 401},
		{"rotated secret second", VerifierConfig{Secrets: []string{"new-key", vecSecret}}, func() http.Header { return vecHeaders(vecTimestamp, "e1") }, vecCompact, nil, 200},
		{"missing headers", VerifierConfig{}, func() http.Header { return http.Header{} }, vecCompact, ErrMissingSignature, 401},
		{"legacy only refused by default", VerifierConfig{}, func() http.Header {
			h := http.Header{}
			h.Set(HeaderSignature, vecCompactSig)
			return h
		}, vecCompact, ErrMissingSignature, 401},
		{"legacy only allowed", VerifierConfig{AllowLegacy: true}, func() http.Header {
			h := http.Header{}
			h.Set(HeaderSignature, vecCompactSig)
			return h
		}, vecCompact, nil, 200},
		{"legacy python vector", VerifierConfig{AllowLegacy: true}, func() http.Header {
			h := http.Header{}
			h.Set(HeaderSignature, vecPythonSig)
			return h
		}, vecPythonBody, nil, 200},
		{"legacy tampered", VerifierConfig{AllowLegacy: true}, func() http.Header {
			h := http.Header{}
			h.Set(HeaderSignature, vecCompactSig)
			return h
		}, tampered, ErrInvalidSignature, 401},
		{"stale timestamp", VerifierConfig{}, func() http.Header { return vecHeaders(vecTimestamp-301, "e1") }, vecCompact, ErrStaleTimestamp, 401},
		{"future timestamp", VerifierConfig{}, func() http.Header { return vecHeaders(vecTimestamp+301, "e1") }, vecCompact, ErrStaleTimestamp, 401},
		{"edge of tolerance", VerifierConfig{}, func() http.Header { return vecHeaders(vecTimestamp-300, "e1") }, vecCompact, nil, 200},
		{"malformed timestamp", VerifierConfig{}, func() http.Header {
			h := vecHeaders(vecTimestamp, "e1")
			h.Set(HeaderTimestamp, "soon")
			return h
		}, vecCompact, ErrMalformedHeader, 400},
		{"malformed signature", VerifierConfig{}, func() http.Header {
			h := vecHeaders(vecTimestamp, "e1")
			h.Set(HeaderSignatureV1, "md5=abc")
			return h
		}, vecCompact, ErrMalformedHeader, 400},
		{"upper case hex accepted", VerifierConfig{}, func() http.Header {
			h := vecHeaders(vecTimestamp, "e1")
			h.Set(HeaderSignatureV1, "sha256="+strings.ToUpper(strings.TrimPrefix(vecV1Sig, "sha256=")))
			return h
		}, vecCompact, nil, 200},
		{"one of several v1 signatures", VerifierConfig{}, func() http.Header {
			h := vecHeaders(vecTimestamp, "e1")
			h.Set(HeaderSignatureV1, SignV1("old", vecTimestamp, []byte(vecCompact))+", "+vecV1Sig)
			return h
		}, vecCompact, nil, 200},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			v, _ := newVecVerifier(t, c.cfg)
			res, err := v.Verify(c.headers(), []byte(c.body))
			if !errors.Is(err, c.want) || (c.want == nil && err != nil) {
				t.Fatalf("Verify error = %v, want %v", err, c.want)
			}
			if got := StatusCode(err); got != c.status {
				t.Fatalf("StatusCode = %d, want %d", got, c.status)
			}
			if err == nil && !res.Legacy && res.Timestamp.Unix() == 0 {
				t.Fatalf("result without timestamp: %+v", res)
			}
		})
	}
}

func TestVerifierReplayAndDuplicates(t *testing.T) {
	v, clk := newVecVerifier(t, VerifierConfig{})
	body := []byte(vecCompact)
	if _, err := v.Verify(vecHeaders(vecTimestamp, "e1"), body); err != nil {
		t.Fatal(err)
	}
	// Redelivery of the same event (same id) → duplicate, acknowledged with 200.
	res, err := v.Verify(vecHeaders(vecTimestamp, "e1"), body)
	if !errors.Is(err, ErrDuplicate) || StatusCode(err) != 200 || res.EventID != "e1" {
		t.Fatalf("same id: %v (%d) %+v", err, StatusCode(err), res)
	}
	// Same signed request replayed under another id → replay, refused.
	if _, err := v.Verify(vecHeaders(vecTimestamp, "forged"), body); !errors.Is(err, ErrReplayed) || StatusCode(err) != 401 {
		t.Fatalf("replay with forged id: %v", err)
	}
	// Retry one second later, new timestamp, same id → duplicate.
	clk.t = clk.t.Add(time.Second)
	if _, err := v.Verify(vecHeaders(vecTimestamp+1, "e1"), body); !errors.Is(err, ErrDuplicate) {
		t.Fatalf("retry: %v", err)
	}
	// Forget lets a redelivery of a message the receiver failed to process in.
	v.Forget("e1")
	if _, err := v.Verify(vecHeaders(vecTimestamp+1, "e1"), body); err != nil {
		t.Fatalf("after Forget: %v", err)
	}
	// After 2 × tolerance the ids are forgotten (the timestamp check protects from then on).
	clk.t = clk.t.Add(2*DefaultTolerance + time.Second)
	if _, err := v.Verify(vecHeaders(clk.t.Unix(), "e1"), body); err != nil {
		t.Fatalf("after the window: %v", err)
	}
	if n := len(v.seen); n != 2 {
		t.Fatalf("replay cache holds %d entries after pruning, want 2", n)
	}
}

func TestVerifierBoundedCache(t *testing.T) {
	v, _ := newVecVerifier(t, VerifierConfig{MaxRemembered: 10, AllowLegacy: true})
	for i := range 100 {
		h := http.Header{}
		h.Set(HeaderSignature, vecCompactSig)
		h.Set(HeaderID, "id-"+strconv.Itoa(i))
		if _, err := v.Verify(h, []byte(vecCompact)); err != nil {
			t.Fatal(err)
		}
	}
	if n := len(v.seen); n > 10 {
		t.Fatalf("cache holds %d entries, bound 10", n)
	}
}

func TestNewVerifierValidation(t *testing.T) {
	for _, cfg := range []VerifierConfig{{}, {Secrets: []string{""}},
		{Secrets: []string{"k"}, Tolerance: -time.Second}, {Secrets: []string{"k"}, MaxRemembered: -1}} {
		if _, err := NewVerifier(cfg); err == nil {
			t.Errorf("NewVerifier(%+v) accepted", cfg)
		}
	}
}

func TestVerifyRequestGzipAndLimits(t *testing.T) {
	v, _ := newVecVerifier(t, VerifierConfig{})
	var zipped bytes.Buffer
	zw := gzip.NewWriter(&zipped)
	_, _ = zw.Write([]byte(vecCompact))
	_ = zw.Close()

	r := httptest.NewRequestWithContext(t.Context(), http.MethodPost, "/", bytes.NewReader(zipped.Bytes()))
	r.Header = vecHeaders(vecTimestamp, "gz")
	r.Header.Set("Content-Encoding", "gzip")
	body, _, err := v.VerifyRequest(r, 0)
	if err != nil || string(body) != vecCompact {
		t.Fatalf("gzip request: %v, body %q", err, body)
	}

	r = httptest.NewRequestWithContext(t.Context(), http.MethodPost, "/", strings.NewReader(vecCompact))
	r.Header = vecHeaders(vecTimestamp, "big")
	if _, _, err := v.VerifyRequest(r, 10); !errors.Is(err, ErrBodyTooLarge) || StatusCode(err) != 413 {
		t.Fatalf("oversized: %v", err)
	}

	r = httptest.NewRequestWithContext(t.Context(), http.MethodPost, "/", strings.NewReader("not gzip"))
	r.Header = vecHeaders(vecTimestamp, "bad")
	r.Header.Set("Content-Encoding", "gzip")
	if _, _, err := v.VerifyRequest(r, 0); !errors.Is(err, ErrBadEncoding) || StatusCode(err) != 400 {
		t.Fatalf("bad gzip: %v", err)
	}
}

func TestParseRetryAfter(t *testing.T) {
	now := time.Date(2025, 12, 4, 12, 0, 0, 0, time.UTC)
	cases := map[string]time.Duration{
		"":                              0,
		"3":                             3 * time.Second,
		"0":                             0,
		"-5":                            0,
		"soon":                          0,
		"Thu, 04 Dec 2025 12:00:07 GMT": 7 * time.Second,
		"Thu, 04 Dec 2025 11:59:00 GMT": 0,
		"99999999999":                   24 * time.Hour,
	}
	for in, want := range cases {
		if got := parseRetryAfter(in, now); got != want {
			t.Errorf("parseRetryAfter(%q) = %v, want %v", in, got, want)
		}
	}
}
