package rest

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/mfn-io/mfn-operator/pkg/integration"
)

// StatusError is a poll that got an HTTP status outside 2xx/304.
type StatusError struct {
	// Code is the HTTP status code.
	Code int
	// RetryAfter is the server's Retry-After hint (0 when absent).
	RetryAfter time.Duration
	// Location is the redirect target of a 3xx answer.
	Location string
}

func (e *StatusError) Error() string {
	if e.Location != "" {
		return fmt.Sprintf("HTTP %d %s (redirect to %s not followed)", e.Code, http.StatusText(e.Code), e.Location)
	}
	return fmt.Sprintf("HTTP %d %s", e.Code, http.StatusText(e.Code))
}

// Temporary reports whether another attempt may succeed (INTEGRATION.md §3.3).
func (e *StatusError) Temporary() bool {
	switch e.Code {
	case http.StatusRequestTimeout, http.StatusTooEarly, http.StatusTooManyRequests,
		http.StatusInternalServerError, http.StatusBadGateway,
		http.StatusServiceUnavailable, http.StatusGatewayTimeout:
		return true
	}
	return false
}

// BodyError is a response whose body cannot become messages (not JSON, too
// large). It is permanent for that poll.
type BodyError struct{ Reason string }

func (e *BodyError) Error() string { return e.Reason }

// fetched is the outcome of one successful request.
type fetched struct {
	notModified  bool
	etag         string
	lastModified string
	body         []byte
	// version is the ETag when present, else the hex SHA-256 of the body.
	version string
}

// conditional carries the validators of the last emitted version.
type conditional struct {
	etag         string
	lastModified string
}

// doFetch performs one request. maxBody bounds the body size.
func doFetch(ctx context.Context, client *http.Client, req requestSpec, cond conditional, maxBody int) (*fetched, error) {
	var body io.Reader
	if len(req.body) > 0 {
		body = bytes.NewReader(req.body)
	}
	hr, err := http.NewRequestWithContext(ctx, req.method, req.url, body)
	if err != nil {
		return nil, err
	}
	for k, v := range req.headers {
		hr.Header.Set(k, v)
	}
	if len(req.body) > 0 && hr.Header.Get("Content-Type") == "" {
		hr.Header.Set("Content-Type", "application/json")
	}
	if hr.Header.Get("Accept") == "" {
		hr.Header.Set("Accept", "application/json")
	}
	if cond.etag != "" {
		hr.Header.Set("If-None-Match", cond.etag)
	}
	if cond.lastModified != "" {
		hr.Header.Set("If-Modified-Since", cond.lastModified)
	}
	resp, err := client.Do(hr)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode == http.StatusNotModified {
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
		return &fetched{notModified: true}, nil
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
		se := &StatusError{Code: resp.StatusCode, RetryAfter: parseRetryAfter(resp.Header.Get("Retry-After"), time.Now())}
		if resp.StatusCode >= 300 && resp.StatusCode < 400 {
			se.Location = integration.RedactURL(resp.Header.Get("Location"))
		}
		return nil, se
	}
	if ct := resp.Header.Get("Content-Type"); ct != "" && !isJSONType(ct) {
		return nil, &BodyError{Reason: fmt.Sprintf("response Content-Type %q is not JSON (want application/json or application/*+json)", ct)}
	}
	data, err := io.ReadAll(io.LimitReader(resp.Body, int64(maxBody)+1))
	if err != nil {
		return nil, err
	}
	if len(data) > maxBody {
		return nil, &BodyError{Reason: fmt.Sprintf("response body exceeds max_message_bytes (%d bytes)", maxBody)}
	}
	f := &fetched{body: data, etag: resp.Header.Get("ETag"), lastModified: resp.Header.Get("Last-Modified")}
	if f.etag != "" {
		f.version = f.etag
	} else {
		sum := sha256.Sum256(data)
		f.version = hex.EncodeToString(sum[:])
	}
	return f, nil
}

// split turns a JSON body into message payloads: one per element of a
// top-level array, else the whole body.
func split(body []byte) ([][]byte, bool, error) {
	trimmed := bytes.TrimSpace(body)
	if !json.Valid(trimmed) {
		var v any
		err := json.Unmarshal(trimmed, &v)
		if err == nil {
			err = errors.New("invalid JSON")
		}
		return nil, false, &BodyError{Reason: "JSON decode error: " + err.Error()}
	}
	if len(trimmed) == 0 || trimmed[0] != '[' {
		return [][]byte{trimmed}, false, nil
	}
	var elems []json.RawMessage
	if err := json.Unmarshal(trimmed, &elems); err != nil {
		return nil, false, &BodyError{Reason: "JSON decode error: " + err.Error()}
	}
	out := make([][]byte, len(elems))
	for i, e := range elems {
		out[i] = e
	}
	return out, true, nil
}

func isJSONType(ct string) bool {
	mt, _, err := mime.ParseMediaType(ct)
	if err != nil {
		return false
	}
	return mt == "application/json" || (strings.HasPrefix(mt, "application/") && strings.HasSuffix(mt, "+json"))
}

// parseRetryAfter reads delta-seconds or an HTTP date; 0 when absent or invalid.
func parseRetryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	if secs, err := strconv.Atoi(v); err == nil {
		if secs < 0 {
			return 0
		}
		return time.Duration(secs) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil {
		if d := t.Sub(now); d > 0 {
			return d
		}
	}
	return 0
}

// requestSpec is the fixed part of every poll request.
type requestSpec struct {
	method  string
	url     string
	headers map[string]string
	body    []byte
}
