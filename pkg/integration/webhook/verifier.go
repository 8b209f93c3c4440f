package webhook

import (
	"compress/gzip"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Verification errors. Match them with errors.Is; [StatusCode] maps them to
// the HTTP status a receiver should answer with.
var (
	// ErrMissingSignature: no signature header (or no timestamp for V1).
	ErrMissingSignature = errors.New("webhook: missing signature")
	// ErrInvalidSignature: no signature matches the body under any secret.
	ErrInvalidSignature = errors.New("webhook: invalid signature")
	// ErrMalformedHeader: a signature or timestamp header cannot be parsed.
	ErrMalformedHeader = errors.New("webhook: malformed signature header")
	// ErrStaleTimestamp: |now − X-Webhook-Timestamp| exceeds the tolerance.
	ErrStaleTimestamp = errors.New("webhook: timestamp outside the tolerance")
	// ErrReplayed: the exact same signed request was already accepted.
	ErrReplayed = errors.New("webhook: request replayed")
	// ErrDuplicate: a validly signed request whose X-Webhook-Id was already
	// accepted (an at-least-once redelivery). Answer 2xx and do not process
	// it again, or the sender keeps retrying.
	ErrDuplicate = errors.New("webhook: duplicate event id")
	// ErrBodyTooLarge: the request body exceeds the receiver's limit.
	ErrBodyTooLarge = errors.New("webhook: body too large")
	// ErrBadEncoding: the body claims gzip but does not decompress.
	ErrBadEncoding = errors.New("webhook: bad content encoding")
)

// DefaultTolerance is the largest accepted |now − timestamp| (300 s, §8.5).
const DefaultTolerance = 300 * time.Second

// DefaultMaxRemembered bounds the replay cache.
const DefaultMaxRemembered = 100_000

// VerifierConfig configures a [Verifier]. Zero values mean the documented defaults.
type VerifierConfig struct {
	// Secrets are the accepted keys (several during a rotation). Required.
	Secrets []string
	// Tolerance is the largest accepted clock difference; 0 means 300 s.
	Tolerance time.Duration
	// AllowLegacy accepts requests that carry only X-Webhook-Signature (no
	// timestamp). Such requests have no replay protection beyond event-id
	// de-duplication.
	AllowLegacy bool
	// MaxRemembered bounds the number of remembered ids and signatures; 0
	// means 100 000. When full the oldest entries are forgotten early.
	MaxRemembered int
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// Result describes a verified request.
type Result struct {
	// EventID is the X-Webhook-Id header ("" when absent).
	EventID string
	// Timestamp is the signed X-Webhook-Timestamp (zero for legacy requests).
	Timestamp time.Time
	// Legacy is true when only the legacy signature was checked.
	Legacy bool
}

// Verifier checks signed webhook requests (INTEGRATION.md §8.5, receiver
// rule). It is safe for concurrent use.
//
// A request is accepted when: a V1 signature over "<timestamp>.<body>"
// matches under one of the secrets and the timestamp is within the
// tolerance (or, with AllowLegacy, the legacy signature over the body
// matches); the same V1 signature has not been accepted within the last
// 2 × tolerance (replay); and its X-Webhook-Id has not been accepted within
// that window (de-duplication of redelivery: [ErrDuplicate]).
type Verifier struct {
	keys        [][]byte
	tolerance   time.Duration
	allowLegacy bool
	now         func() time.Time

	mu    sync.Mutex
	seen  map[string]time.Time // "id:<id>" and "sig:<hex>" → expiry
	order []seenEntry          // insertion order, for pruning
	head  int
	max   int
}

type seenEntry struct {
	key    string
	expiry time.Time
}

// NewVerifier returns a verifier; it fails when no non-empty secret is given
// or a bound is negative.
func NewVerifier(cfg VerifierConfig) (*Verifier, error) {
	v := &Verifier{tolerance: cfg.Tolerance, allowLegacy: cfg.AllowLegacy, now: cfg.Now,
		max: cfg.MaxRemembered, seen: make(map[string]time.Time)}
	for _, s := range cfg.Secrets {
		if s != "" {
			v.keys = append(v.keys, []byte(s))
		}
	}
	switch {
	case len(v.keys) == 0:
		return nil, errors.New("webhook verifier: secrets: at least one non-empty secret is required")
	case cfg.Tolerance < 0:
		return nil, fmt.Errorf("webhook verifier: tolerance = %v: must be ≥ 0", cfg.Tolerance)
	case cfg.MaxRemembered < 0:
		return nil, fmt.Errorf("webhook verifier: max_remembered = %d: must be ≥ 0", cfg.MaxRemembered)
	}
	if v.tolerance == 0 {
		v.tolerance = DefaultTolerance
	}
	if v.max == 0 {
		v.max = DefaultMaxRemembered
	}
	if v.now == nil {
		v.now = time.Now
	}
	return v, nil
}

// Verify checks the headers against the raw, uncompressed body. On success
// the request is remembered (replay and duplicate detection). On
// [ErrDuplicate] the returned Result is filled in.
func (v *Verifier) Verify(h http.Header, body []byte) (Result, error) {
	res := Result{EventID: h.Get(HeaderID)}
	sigKey, err := v.check(h, body, &res)
	if err != nil {
		return res, err
	}
	return res, v.remember(res.EventID, sigKey)
}

// check verifies the signature and returns the replay-cache key of the
// accepted signature ("" for legacy requests).
func (v *Verifier) check(h http.Header, body []byte, res *Result) (string, error) {
	v1, tsText := h.Get(HeaderSignatureV1), h.Get(HeaderTimestamp)
	if v1 == "" || tsText == "" {
		if !v.allowLegacy || h.Get(HeaderSignature) == "" {
			return "", ErrMissingSignature
		}
		res.Legacy = true
		return "", v.checkLegacy(h.Get(HeaderSignature), body)
	}
	ts, err := strconv.ParseInt(tsText, 10, 64)
	if err != nil {
		return "", fmt.Errorf("%w: %s %q is not a Unix time in seconds", ErrMalformedHeader, HeaderTimestamp, tsText)
	}
	res.Timestamp = time.Unix(ts, 0).UTC()
	if d := v.now().Sub(res.Timestamp); d > v.tolerance || d < -v.tolerance {
		return "", fmt.Errorf("%w: %s is %v away from now (tolerance %v)", ErrStaleTimestamp,
			HeaderTimestamp, d.Round(time.Second), v.tolerance)
	}
	want := make([][]byte, len(v.keys))
	for i, k := range v.keys {
		m := hmac.New(sha256.New, k)
		m.Write([]byte(tsText))
		m.Write([]byte{'.'})
		m.Write(body)
		want[i] = m.Sum(nil)
	}
	for part := range strings.SplitSeq(v1, ",") {
		got, err := decodeSignature(strings.TrimSpace(part))
		if err != nil {
			return "", err
		}
		for _, w := range want {
			if hmac.Equal(got, w) {
				return "sig:" + hex.EncodeToString(got), nil
			}
		}
	}
	return "", ErrInvalidSignature
}

func (v *Verifier) checkLegacy(header string, body []byte) error {
	got, err := decodeSignature(header)
	if err != nil {
		return err
	}
	for _, k := range v.keys {
		m := hmac.New(sha256.New, k)
		m.Write(body)
		if hmac.Equal(got, m.Sum(nil)) {
			return nil
		}
	}
	return ErrInvalidSignature
}

func decodeSignature(s string) ([]byte, error) {
	hexText, ok := strings.CutPrefix(s, signaturePrefix)
	if !ok || len(hexText) != 2*sha256.Size {
		return nil, fmt.Errorf("%w: want %q followed by 64 hex digits", ErrMalformedHeader, signaturePrefix)
	}
	b, err := hex.DecodeString(hexText)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrMalformedHeader, err)
	}
	return b, nil
}

// remember records the signature and the event id; it reports a replayed
// signature or a duplicate id.
func (v *Verifier) remember(id, sigKey string) error {
	now := v.now()
	v.mu.Lock()
	defer v.mu.Unlock()
	v.prune(now)
	// A known id wins over a known signature: a retry within the same second
	// carries the same signature and must be acknowledged, not refused.
	if id != "" {
		if _, ok := v.seen["id:"+id]; ok {
			return ErrDuplicate
		}
	}
	if sigKey != "" {
		if _, ok := v.seen[sigKey]; ok {
			return ErrReplayed
		}
	}
	expiry := now.Add(2 * v.tolerance)
	for _, k := range []string{sigKey, "id:" + id} {
		if k == "" || k == "id:" {
			continue
		}
		v.seen[k] = expiry
		v.order = append(v.order, seenEntry{k, expiry})
	}
	return nil
}

// Forget drops an event id from the duplicate cache, so that a redelivery
// of a message the receiver failed to process is accepted again.
func (v *Verifier) Forget(eventID string) {
	v.mu.Lock()
	delete(v.seen, "id:"+eventID)
	v.mu.Unlock()
}

// prune drops expired entries and, beyond the bound, the oldest ones.
func (v *Verifier) prune(now time.Time) {
	for v.head < len(v.order) {
		e := v.order[v.head]
		if now.Before(e.expiry) && len(v.order)-v.head < v.max {
			break
		}
		if exp, ok := v.seen[e.key]; ok && exp.Equal(e.expiry) {
			delete(v.seen, e.key)
		}
		v.order[v.head] = seenEntry{}
		v.head++
	}
	if v.head > 1024 && v.head*2 > len(v.order) {
		v.order = append(v.order[:0], v.order[v.head:]...)
		v.head = 0
	}
}

// ReadBody reads at most maxBytes of r's body (0 means 1 MiB) and
// decompresses it when Content-Encoding is gzip; the signatures cover the
// uncompressed bytes.
func ReadBody(r *http.Request, maxBytes int64) ([]byte, error) {
	if maxBytes <= 0 {
		maxBytes = 1 << 20
	}
	var src io.Reader = r.Body
	if enc := r.Header.Get("Content-Encoding"); strings.EqualFold(enc, "gzip") {
		zr, err := gzip.NewReader(io.LimitReader(r.Body, maxBytes+1))
		if err != nil {
			return nil, fmt.Errorf("%w: %v", ErrBadEncoding, err)
		}
		defer zr.Close()
		src = zr
	} else if enc != "" && !strings.EqualFold(enc, "identity") {
		return nil, fmt.Errorf("%w: unsupported Content-Encoding %q", ErrBadEncoding, enc)
	}
	body, err := io.ReadAll(io.LimitReader(src, maxBytes+1))
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBadEncoding, err)
	}
	if int64(len(body)) > maxBytes {
		return nil, fmt.Errorf("%w: more than %d bytes", ErrBodyTooLarge, maxBytes)
	}
	return body, nil
}

// VerifyRequest reads the body with [ReadBody] and verifies it. It returns
// the uncompressed body even on ErrDuplicate.
func (v *Verifier) VerifyRequest(r *http.Request, maxBytes int64) ([]byte, Result, error) {
	body, err := ReadBody(r, maxBytes)
	if err != nil {
		return nil, Result{EventID: r.Header.Get(HeaderID)}, err
	}
	res, err := v.Verify(r.Header, body)
	return body, res, err
}

// StatusCode is the HTTP status a receiver should answer for a [Verify]
// error: 200 for nil and ErrDuplicate (acknowledge, do not process again),
// 413 for ErrBodyTooLarge, 400 for ErrBadEncoding and ErrMalformedHeader,
// 401 for everything else.
func StatusCode(err error) int {
	switch {
	case err == nil, errors.Is(err, ErrDuplicate):
		return http.StatusOK
	case errors.Is(err, ErrBodyTooLarge):
		return http.StatusRequestEntityTooLarge
	case errors.Is(err, ErrBadEncoding), errors.Is(err, ErrMalformedHeader):
		return http.StatusBadRequest
	default:
		return http.StatusUnauthorized
	}
}
