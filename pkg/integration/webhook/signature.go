package webhook

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"strconv"
)

// Header names of the signature scheme (INTEGRATION.md §8.5).
const (
	// HeaderSignature carries the legacy signature: "sha256=" and the lowercase
	// hex HMAC-SHA256 of the exact (uncompressed) body, made with the first key.
	HeaderSignature = "X-Webhook-Signature"
	// HeaderSignatureV1 carries the timestamped signature: one
	// "sha256=<hex HMAC(key, "<timestamp>.<body>")>" per key, separated by ",".
	HeaderSignatureV1 = "X-Webhook-Signature-V1"
	// HeaderTimestamp is the Unix time in seconds at which the request was signed.
	HeaderTimestamp = "X-Webhook-Timestamp"
	// HeaderID is the event_id of the message, identical on every retry.
	HeaderID = "X-Webhook-Id"

	signaturePrefix = "sha256="
)

// Sign returns the legacy signature header value of body:
//
//	sha256=<lowercase hex HMAC-SHA256(secret, body)>
//
// The key is the UTF-8 bytes of secret as given (not base64-decoded) and the
// signed bytes are exactly the body, before any compression.
func Sign(secret string, body []byte) string { return signBody([]byte(secret), body) }

func signBody(key, body []byte) string {
	mac := hmac.New(sha256.New, key)
	mac.Write(body)
	return signaturePrefix + hex.EncodeToString(mac.Sum(nil))
}

// SignV1 returns one timestamped signature:
//
//	sha256=<lowercase hex HMAC-SHA256(secret, "<timestamp>." + body)>
//
// where timestamp is the decimal Unix time in seconds sent in
// X-Webhook-Timestamp.
func SignV1(secret string, timestamp int64, body []byte) string {
	mac := hmac.New(sha256.New, []byte(secret))
	var buf [24]byte
	mac.Write(strconv.AppendInt(buf[:0], timestamp, 10))
	mac.Write([]byte{'.'})
	mac.Write(body)
	return signaturePrefix + hex.EncodeToString(mac.Sum(nil))
}

// signer computes the signature headers for a list of keys.
type signer struct {
	keys [][]byte
	// legacyOnly skips the timestamp and the V1 signatures.
	legacyOnly bool
}

func newSigner(keys []string, legacyOnly bool) *signer {
	s := &signer{legacyOnly: legacyOnly}
	for _, k := range keys {
		if k != "" {
			s.keys = append(s.keys, []byte(k))
		}
	}
	return s
}

func (s *signer) enabled() bool { return len(s.keys) > 0 }

// sign returns the legacy header value (first key) and the V1 header value
// (every key, comma separated; "" when legacyOnly).
func (s *signer) sign(timestamp int64, body []byte) (legacy, v1 string) {
	if s.legacyOnly {
		return signBody(s.keys[0], body), ""
	}
	ts := strconv.AppendInt(nil, timestamp, 10)
	ts = append(ts, '.')
	out := make([]byte, 0, len(s.keys)*(len(signaturePrefix)+65))
	for i, k := range s.keys {
		if i == 0 {
			legacy = signBody(k, body)
		}
		m := hmac.New(sha256.New, k)
		m.Write(ts)
		m.Write(body)
		if i > 0 {
			out = append(out, ',')
		}
		out = append(out, signaturePrefix...)
		out = hex.AppendEncode(out, m.Sum(nil))
	}
	return legacy, string(out)
}
