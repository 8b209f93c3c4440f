// Package webhook is the HMAC-signed HTTP webhook publisher of
// INTEGRATION.md §8.5 and the [Verifier] receivers use to check its
// requests.
//
// # Request format
//
// One POST per message to the configured URL. The body is the message's
// JSON envelope exactly as given (gzip-compressed with Content-Encoding:
// gzip when compression is enabled). Headers:
//
//	Content-Type: application/json            (unless the user overrides it)
//	User-Agent: mfn-operator/<version>
//	X-Webhook-Id: <event_id>                  (identical on every retry)
//	X-Webhook-Timestamp: <unix seconds>       (time of this attempt)
//	X-Webhook-Signature: sha256=<hex>         HMAC-SHA256(key₁, body)
//	X-Webhook-Signature-V1: sha256=<hex>[,sha256=<hex>…]
//	                                          HMAC-SHA256(keyᵢ, "<timestamp>." + body), one per key
//
// With SignatureVersion legacy only X-Webhook-Signature is sent (no
// timestamp, no V1 header): the reference implementation's scheme, without
// replay protection. The default, v1, sends all three.
//
// The signatures cover the uncompressed body bytes; keys are the UTF-8 bytes
// of the configured secrets. The legacy header (first key only) keeps
// receivers written for the reference implementation working; the V1 header
// adds replay protection and carries one signature per key during a secret
// rotation. Appendix B of the contract gives test vectors for both.
//
// # Receiving
//
//	v, err := webhook.NewVerifier(webhook.VerifierConfig{Secrets: []string{secret}})
//	body, res, err := v.VerifyRequest(r, 1<<20)
//	switch {
//	case errors.Is(err, webhook.ErrDuplicate):
//		w.WriteHeader(http.StatusOK) // redelivery of res.EventID: acknowledge, do not process again
//	case err != nil:
//		http.Error(w, err.Error(), webhook.StatusCode(err))
//	default:
//		process(body) // on failure call v.Forget(res.EventID) and answer 5xx
//	}
//
// The verifier accepts a V1 signature within ±300 s of its clock, refuses
// the same signed request twice (replay) and reports a second request with an
// already accepted X-Webhook-Id as [ErrDuplicate] (an at-least-once
// redelivery). Never re-serialise the JSON before verifying.
//
// # Delivery
//
// 2xx is success. 408, 425, 429 and 5xx are retried, honouring Retry-After
// (seconds or HTTP date, capped by max_retry_delay); network errors are
// retried; redirects are not followed (3xx is a permanent failure), other 4xx
// are permanent, 413 is a per-message failure. The URL's user-info and query
// are removed from the component ID, errors and logs.
package webhook
