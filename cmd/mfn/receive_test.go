package main

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/mfn-io/mfn-operator/pkg/integration/webhook"
)

func startReceiver(t *testing.T, secret string) (url, out string) {
	t.Helper()
	out = filepath.Join(t.TempDir(), "events.jsonl")
	ctx, cancel := context.WithCancel(t.Context())
	ready := make(chan string, 1)
	done := make(chan error, 1)
	o := receiveOptions{listen: "127.0.0.1:0", out: out, secrets: []string{secret}, allowLegacy: true,
		tolerance: 300 * time.Second, maxBody: 1 << 20}
	go func() { done <- receive(ctx, o, slog.New(slog.NewTextHandler(io.Discard, nil)), ready) }()
	select {
	case addr := <-ready:
		url = "http://" + addr + "/hook"
	case err := <-done:
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Error(err)
		}
	})
	return url, out
}

func post(t *testing.T, url string, body []byte, headers map[string]string) int {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	_ = resp.Body.Close()
	return resp.StatusCode
}

func TestReceiveVerifiesAndAppends(t *testing.T) {
	const secret = "test-secret-key"
	url, out := startReceiver(t, secret)
	ts := strconv.FormatInt(time.Now().Unix(), 10)
	tsn, _ := strconv.ParseInt(ts, 10, 64)
	b1 := []byte(`{"event_id":"a","n":1}`)
	v1 := map[string]string{"X-Webhook-Id": "a", "X-Webhook-Timestamp": ts,
		"X-Webhook-Signature-V1": webhook.SignV1(secret, tsn, b1), "X-Webhook-Signature": webhook.Sign(secret, b1)}
	replay := map[string]string{"X-Webhook-Id": "other-id", "X-Webhook-Timestamp": ts, "X-Webhook-Signature-V1": v1["X-Webhook-Signature-V1"]}
	b2 := []byte("{\n  \"event_id\": \"b\"\n}")
	tests := []struct {
		name    string
		body    []byte
		headers map[string]string
		want    int
	}{
		{"v1 signed", b1, v1, http.StatusOK},
		{"same request again: duplicate id", b1, v1, http.StatusOK},
		{"replayed signature under another id", b1, replay, http.StatusConflict},
		{"legacy signed, multi-line body", b2, map[string]string{"X-Webhook-Id": "b", "X-Webhook-Signature": webhook.Sign(secret, b2)}, http.StatusOK},
		{"duplicate id", b2, map[string]string{"X-Webhook-Id": "b", "X-Webhook-Signature": webhook.Sign(secret, b2)}, http.StatusOK},
		{"wrong secret", b1, map[string]string{"X-Webhook-Signature": webhook.Sign("other", b1)}, http.StatusUnauthorized},
		{"missing signature", b1, nil, http.StatusUnauthorized},
		{"tampered body", []byte(`{"event_id":"a","n":2}`), map[string]string{"X-Webhook-Signature": webhook.Sign(secret, b1)}, http.StatusUnauthorized},
	}
	for _, tt := range tests {
		if got := post(t, url, tt.body, tt.headers); got != tt.want {
			t.Errorf("%s: status %d, want %d", tt.name, got, tt.want)
		}
	}
	data, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	want := "{\"event_id\":\"a\",\"n\":1}\n{\"event_id\":\"b\"}\n"
	if string(data) != want {
		t.Errorf("events file = %q, want %q", data, want)
	}
}

func TestReceiveRequiresASecret(t *testing.T) {
	var stderr bytes.Buffer
	code := runReceive(t.Context(), []string{"-secret-env", "MFN_TEST_UNSET_VARIABLE"}, stdio{out: io.Discard, err: &stderr})
	if code != exitUsage || !bytes.Contains(stderr.Bytes(), []byte("MFN_TEST_UNSET_VARIABLE is not set")) {
		t.Errorf("code %d, stderr %q", code, stderr.String())
	}
	stderr.Reset()
	if code := runReceive(t.Context(), nil, stdio{out: io.Discard, err: &stderr}); code != exitUsage {
		t.Errorf("no secret: code %d", code)
	}
}
