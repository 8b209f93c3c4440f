package webhook

import (
	"bytes"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"
	"time"

	"github.com/mfn-io/mfn-operator/pkg/integration/internal/pubtest"
)

func benchServer(b *testing.B) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
	}))
	b.Cleanup(srv.Close)
	return srv
}

// BenchmarkPublisher compares the webhook publisher (batch engine, retry
// loop, breaker, metrics, HMAC legacy + V1 signatures) with the bare
// net/http client doing the same signed POSTs one after the other in
// groups of pubtest.BenchBatch, over keep-alive on loopback.
func BenchmarkPublisher(b *testing.B) {
	b.Run("ours", func(b *testing.B) {
		srv := benchServer(b)
		p, err := New(Options{URL: srv.URL, AllowInsecureHTTP: true, SecretKey: testSecret,
			Logger: slog.New(slog.DiscardHandler), Config: pubtest.BenchConfig()})
		if err != nil {
			b.Fatal(err)
		}
		pubtest.BenchPublish(b, p)
	})
	b.Run("bare", func(b *testing.B) {
		srv := benchServer(b)
		client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: DefaultMaxConns}}
		body := pubtest.Envelope
		pubtest.BenchBare(b, func(from, to int) error {
			for j := from; j < to; j++ {
				ts := time.Now().Unix()
				req, err := http.NewRequestWithContext(b.Context(), http.MethodPost, srv.URL, bytes.NewReader(body))
				if err != nil {
					return err
				}
				req.Header.Set("Content-Type", "application/json")
				req.Header.Set(HeaderID, strconv.Itoa(j))
				req.Header.Set(HeaderTimestamp, strconv.FormatInt(ts, 10))
				req.Header.Set(HeaderSignature, Sign(testSecret, body))
				req.Header.Set(HeaderSignatureV1, SignV1(testSecret, ts, body))
				resp, err := client.Do(req)
				if err != nil {
					return err
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				_ = resp.Body.Close()
				if resp.StatusCode != http.StatusOK {
					return fmt.Errorf("status %d", resp.StatusCode)
				}
			}
			return nil
		})
	})
}

// BenchmarkSign measures the two signatures of one request.
func BenchmarkSign(b *testing.B) {
	s := newSigner([]string{testSecret}, false)
	b.ReportAllocs()
	b.SetBytes(int64(len(pubtest.Envelope)))
	for b.Loop() {
		_, _ = s.sign(1733313600, pubtest.Envelope)
	}
}
