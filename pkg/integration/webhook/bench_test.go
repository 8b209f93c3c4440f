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

	"github.com/mfn-io/mfn-operator/pkg/integration"
)

// benchBatch is the batch size used by every publisher benchmark.
const benchBatch = 100

// benchBody is a realistic output envelope (~700 bytes).
var benchBody = []byte(`{"event_id":"3f0c9a6e5b1d4e0f8a7b6c5d4e3f2a1b","event":"simulation_complete","schema_version":"1",` +
	`"simulation_id":"sim-456","status":"complete","timestamp":"2025-12-04T12:00:00Z",` +
	`"params":{"grid_size":64,"steps":100,"alpha":0.18,"seed":42},"features":{"D_box":1.584,"D_r2":0.97,` +
	`"V_min":-82.1,"V_max":-41.0,"V_mean":-67.5,"V_std":9.8,"V_skew":0.1,"V_kurt":-0.4,"dV_mean":0.5,` +
	`"dV_max":4.2,"T_stable":50,"E_trend":-0.1,"f_active":0.42,"N_clusters_low":10,"N_clusters_med":5,` +
	`"N_clusters_high":2,"max_cluster_size":100,"cluster_size_std":20.0},` +
	`"source":{"connector_id":"kafka-mfn-simulation-params","position":"mfn-simulation-params/3/1042"}}`)

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
// groups of benchBatch, over keep-alive on loopback.
func BenchmarkPublisher(b *testing.B) {
	b.Run("ours", func(b *testing.B) {
		srv := benchServer(b)
		p, err := New(Options{URL: srv.URL, AllowInsecureHTTP: true, SecretKey: testSecret, Logger: slog.New(slog.DiscardHandler),
			Config: integration.PublisherConfig{BatchSize: benchBatch, BatchTimeout: time.Hour}})
		if err != nil {
			b.Fatal(err)
		}
		defer func() { _ = p.Disconnect(b.Context()) }()
		b.ReportAllocs()
		b.SetBytes(int64(len(benchBody)))
		b.ResetTimer()
		for i := range b.N {
			if err := p.Publish(b.Context(), integration.Outgoing{EventID: strconv.Itoa(i), Body: benchBody}); err != nil {
				b.Fatal(err)
			}
		}
		if err := p.Flush(b.Context()); err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "msgs/s")
		if sent := p.Snapshot().Publisher.MessagesSent; sent != int64(b.N) {
			b.Fatalf("sent %d of %d", sent, b.N)
		}
	})
	b.Run("bare", func(b *testing.B) {
		srv := benchServer(b)
		client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: DefaultMaxConns}}
		b.ReportAllocs()
		b.SetBytes(int64(len(benchBody)))
		b.ResetTimer()
		for i := 0; i < b.N; i += benchBatch {
			for j := i; j < min(i+benchBatch, b.N); j++ {
				ts := time.Now().Unix()
				req, err := http.NewRequestWithContext(b.Context(), http.MethodPost, srv.URL, bytes.NewReader(benchBody))
				if err != nil {
					b.Fatal(err)
				}
				req.Header.Set("Content-Type", "application/json")
				req.Header.Set(HeaderID, strconv.Itoa(j))
				req.Header.Set(HeaderTimestamp, strconv.FormatInt(ts, 10))
				req.Header.Set(HeaderSignature, Sign(testSecret, benchBody))
				req.Header.Set(HeaderSignatureV1, SignV1(testSecret, ts, benchBody))
				resp, err := client.Do(req)
				if err != nil {
					b.Fatal(err)
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				_ = resp.Body.Close()
				if resp.StatusCode != http.StatusOK {
					b.Fatal(fmt.Errorf("status %d", resp.StatusCode))
				}
			}
		}
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "msgs/s")
	})
}

// BenchmarkSign measures the two signatures of one request.
func BenchmarkSign(b *testing.B) {
	s := newSigner([]string{testSecret})
	b.ReportAllocs()
	b.SetBytes(int64(len(benchBody)))
	for b.Loop() {
		_, _ = s.sign(1733313600, benchBody)
	}
}
