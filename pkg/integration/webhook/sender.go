package webhook

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/mfn-io/mfn-operator/pkg/integration"
)

// sender turns one message into one signed POST and classifies the outcome
// (INTEGRATION.md §3.3, §8.5).
type sender struct {
	url      string
	logURL   string // redacted, for errors
	base     http.Header
	signer   *signer
	compress bool
	maxBody  int
	timeout  time.Duration
	now      func() time.Time
	client   *http.Client
	gzPool   sync.Pool
}

// drainLimit is how much of a response body is read so the connection can
// be reused; larger bodies close the connection instead.
const drainLimit = 64 << 10

func newTransport(maxConns int) *http.Transport {
	return &http.Transport{
		Proxy:                 http.ProxyFromEnvironment,
		DialContext:           (&net.Dialer{Timeout: 30 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		ForceAttemptHTTP2:     true,
		MaxIdleConns:          maxConns,
		MaxIdleConnsPerHost:   maxConns,
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   10 * time.Second,
		ExpectContinueTimeout: time.Second,
		// Bodies are compressed by the sender itself; responses are drained
		// and ignored, so transparent response decompression is useless.
		DisableCompression: true,
	}
}

func newClient(tr http.RoundTripper) *http.Client {
	return &http.Client{
		Transport: tr,
		// Redirects are never followed: a 3xx is a permanent failure (§8.5).
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

// send POSTs msg.Body once.
func (s *sender) send(ctx context.Context, msg integration.Outgoing) error {
	if len(msg.Body) > s.maxBody {
		return integration.Invalid(fmt.Errorf("webhook: body of %d bytes exceeds max_body_bytes (%d)",
			len(msg.Body), s.maxBody))
	}
	payload, err := s.payload(msg.Body)
	if err != nil {
		return integration.Invalid(err)
	}
	actx, cancel := attemptContext(ctx, s.timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(actx, http.MethodPost, s.url, bytes.NewReader(payload))
	if err != nil {
		return integration.Permanent(fmt.Errorf("webhook: build request for %s: %w", s.logURL, err))
	}
	req.Header = s.headers(msg)
	resp, err := s.client.Do(req)
	if err != nil {
		return s.transportError(ctx, actx, err)
	}
	// Drain a bounded amount so the keep-alive connection is reused.
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, drainLimit))
	_ = resp.Body.Close()
	return s.statusError(resp)
}

// payload returns the bytes to put on the wire: the body itself, or its
// gzip compression (the signatures always cover the uncompressed body). The
// compressor is pooled; the output buffer is not, because the transport
// may still read a request body after Do returned.
func (s *sender) payload(body []byte) ([]byte, error) {
	if !s.compress {
		return body, nil
	}
	var buf bytes.Buffer
	buf.Grow(len(body)/2 + 64)
	zw, _ := s.gzPool.Get().(*gzip.Writer)
	if zw == nil {
		zw = gzip.NewWriter(&buf)
	} else {
		zw.Reset(&buf)
	}
	defer s.gzPool.Put(zw)
	if _, err := zw.Write(body); err != nil {
		return nil, fmt.Errorf("webhook: gzip body: %w", err)
	}
	if err := zw.Close(); err != nil {
		return nil, fmt.Errorf("webhook: gzip body: %w", err)
	}
	return buf.Bytes(), nil
}

// headers builds the request headers: defaults, user headers, then the
// id, timestamp and signatures of this attempt.
func (s *sender) headers(msg integration.Outgoing) http.Header {
	h := make(http.Header, len(s.base)+5)
	for k, v := range s.base {
		h[k] = v
	}
	if s.compress {
		h["Content-Encoding"] = []string{"gzip"}
	}
	if msg.EventID != "" {
		h[HeaderID] = []string{msg.EventID}
	}
	if s.signer.enabled() {
		ts := s.now().Unix()
		legacy, v1 := s.signer.sign(ts, msg.Body)
		h[HeaderSignature] = []string{legacy}
		if v1 != "" {
			h[HeaderTimestamp] = []string{strconv.FormatInt(ts, 10)}
			h[HeaderSignatureV1] = []string{v1}
		}
	}
	return h
}

// transportError classifies a failed round trip: the caller's cancellation
// stays cancellation, the per-request deadline becomes the contract's
// timeout text, a failure before anything was written (dial error,
// connection refused, DNS) is transient and marked NotSent, everything else
// is transient and ambiguous (the server may have received the request).
func (s *sender) transportError(ctx, actx context.Context, err error) error {
	switch {
	case ctx.Err() != nil:
		return ctx.Err()
	case errors.Is(actx.Err(), context.DeadlineExceeded):
		return integration.TimeoutError(s.timeout)
	}
	safe := integration.SafeToResend(err)
	err = fmt.Errorf("webhook: POST %s: %s", s.logURL, integration.RedactError(err))
	if safe {
		return integration.NotSent(err)
	}
	return integration.Temporary(err)
}

// statusError classifies the response status (INTEGRATION.md §3.3).
func (s *sender) statusError(resp *http.Response) error {
	code := resp.StatusCode
	if code >= 200 && code < 300 {
		return nil
	}
	err := fmt.Errorf("webhook: POST %s: HTTP %s", s.logURL, resp.Status)
	switch {
	case code >= 300 && code < 400:
		return integration.Permanent(fmt.Errorf("%w (redirects are not followed; configure the final URL)", err))
	case code == http.StatusRequestEntityTooLarge:
		return integration.Invalid(err)
	case code == http.StatusRequestTimeout, code == http.StatusTooEarly,
		code == http.StatusTooManyRequests, code >= 500:
		return integration.RetryAfter(err, parseRetryAfter(resp.Header.Get("Retry-After"), s.now()))
	default:
		return integration.Permanent(err)
	}
}

// parseRetryAfter reads a Retry-After value in seconds or as an HTTP date;
// it returns 0 when absent or unparsable. The retry loop caps it with
// max_retry_delay.
func parseRetryAfter(v string, now time.Time) time.Duration {
	if v == "" {
		return 0
	}
	if secs, err := strconv.ParseInt(v, 10, 64); err == nil {
		if secs <= 0 {
			return 0
		}
		return time.Duration(min(secs, int64(24*time.Hour/time.Second))) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil {
		if d := t.Sub(now); d > 0 {
			return min(d, 24*time.Hour)
		}
	}
	return 0
}

// attemptContext bounds one attempt by timeout unless the caller (the
// publisher's retry loop) already set a deadline.
func attemptContext(ctx context.Context, timeout time.Duration) (context.Context, context.CancelFunc) {
	if _, ok := ctx.Deadline(); ok {
		return ctx, func() {}
	}
	return context.WithTimeout(ctx, timeout)
}
