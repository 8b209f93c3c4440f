package webhook

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/textproto"
	"net/url"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/mfn-io/mfn-operator/pkg/integration"
	"github.com/mfn-io/mfn-operator/pkg/integration/batch"
	"github.com/mfn-io/mfn-operator/pkg/integration/clock"
	"github.com/mfn-io/mfn-operator/pkg/integration/component"
)

// DefaultUserAgent is sent unless the headers override User-Agent.
const DefaultUserAgent = "mfn-operator/dev"

// DefaultMaxConns is the default size of the keep-alive connection pool.
const DefaultMaxConns = 64

// Signature versions (Options.SignatureVersion, INTEGRATION.md §8.5).
const (
	// SignatureV1 (the default) sends the legacy X-Webhook-Signature and the
	// replay-protected X-Webhook-Timestamp and X-Webhook-Signature-V1.
	SignatureV1 = "v1"
	// SignatureLegacy sends only X-Webhook-Signature: the reference
	// implementation's scheme, without a timestamp (no replay protection).
	SignatureLegacy = "legacy"
)

// Options configure a webhook publisher. Zero values mean the documented defaults.
type Options struct {
	// ID overrides the component identifier (default "webhook-" + URL with
	// user-info and query removed).
	ID string
	// Name is the configured (CR) name; default ID.
	Name string
	// URL is the full target URL (no joining). Required; https:// unless
	// AllowInsecureHTTP.
	URL string
	// AllowInsecureHTTP accepts an http:// URL.
	AllowInsecureHTTP bool
	// SecretKey is the HMAC key (filled from a Kubernetes Secret by the
	// manifest layer). Requests are signed only when a key is set.
	SecretKey string
	// SecretKeys are further keys for a rotation: the V1 header carries one
	// signature per key (SecretKey first), the legacy header only the first.
	SecretKeys []string
	// SignatureVersion is v1 (default: X-Webhook-Signature plus the
	// timestamped X-Webhook-Signature-V1 and X-Webhook-Timestamp) or legacy
	// (X-Webhook-Signature only). It matters only when a key is set.
	SignatureVersion string
	// Headers are merged over the defaults (Content-Type: application/json,
	// User-Agent: mfn-operator/<version>); a user Content-Type wins. The
	// signature, timestamp, id and Content-Encoding headers cannot be set.
	Headers map[string]string
	// MaxBodyBytes rejects larger bodies as invalid before sending; 0 means 1 MiB.
	MaxBodyBytes int
	// MaxConns sizes the keep-alive pool (idle connections kept per host);
	// 0 means 64.
	MaxConns int
	// Transport replaces the HTTP transport (TLS client certificates,
	// proxies); nil means a keep-alive pool of MaxConns connections.
	// Redirects are never followed whatever the transport.
	Transport http.RoundTripper
	// Config holds retry, breaker, batching and delivery settings.
	// Timeout is the total deadline of one request. exactly_once is
	// rejected. EnableCompression gzips bodies (CompressionCodec must be gzip).
	Config integration.PublisherConfig
	// Clock times retries, the breaker, batching and the signature
	// timestamps (default real time).
	Clock clock.Clock
	// Logger receives structured logs (default slog.Default()).
	Logger *slog.Logger
	// Registerer receives the Prometheus collectors (nil: none).
	Registerer prometheus.Registerer
}

// reservedHeaders are set by the publisher per request.
var reservedHeaders = []string{HeaderSignature, HeaderSignatureV1, HeaderTimestamp, HeaderID,
	"Content-Encoding", "Content-Length", "Host"}

// Validate reports every option that breaks its rule, naming the field.
func (o Options) Validate() error {
	errs := []error{o.Config.ValidateFor("webhook")}
	if o.URL == "" {
		errs = append(errs, errors.New("url: required"))
	} else if u, err := url.Parse(o.URL); err != nil || u.Host == "" {
		errs = append(errs, fmt.Errorf("url = %q: must be an absolute http(s) URL", integration.RedactURL(o.URL)))
	} else if u.Scheme != "https" && !(u.Scheme == "http" && o.AllowInsecureHTTP) {
		errs = append(errs, fmt.Errorf("url = %q: must use https:// (set allow_insecure_http for http://)",
			integration.RedactURL(o.URL)))
	}
	for k := range o.Headers {
		ck := textproto.CanonicalMIMEHeaderKey(k)
		for _, r := range reservedHeaders {
			if ck == textproto.CanonicalMIMEHeaderKey(r) {
				errs = append(errs, fmt.Errorf("headers: %s is set by the publisher and cannot be overridden", r))
			}
		}
	}
	switch o.SignatureVersion {
	case "", SignatureV1, SignatureLegacy:
	default:
		errs = append(errs, fmt.Errorf("signature_version = %q: must be %s or %s", o.SignatureVersion, SignatureV1, SignatureLegacy))
	}
	if o.MaxBodyBytes < 0 {
		errs = append(errs, fmt.Errorf("max_body_bytes = %d: must be ≥ 0", o.MaxBodyBytes))
	}
	if o.MaxConns < 0 {
		errs = append(errs, fmt.Errorf("max_conns = %d: must be ≥ 0", o.MaxConns))
	}
	if c := o.Config.CompressionCodec; o.Config.EnableCompression && c != "" && c != "gzip" {
		errs = append(errs, fmt.Errorf("compression_codec = %q: the webhook publisher only supports gzip", c))
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("invalid webhook publisher options: %w", err)
	}
	return nil
}

// Publisher is the webhook publisher: a [batch.Publisher] whose sink POSTs
// one signed request per message.
type Publisher struct {
	*batch.Publisher
	sink *sink
}

var _ integration.Publisher = (*Publisher)(nil)

// New validates o and returns a publisher; it does not contact the server
// (HTTP publishers connect lazily).
func New(o Options) (*Publisher, error) {
	if err := o.Validate(); err != nil {
		return nil, err
	}
	cfg := o.Config.WithDefaults()
	logURL := integration.RedactURL(o.URL)
	id := o.ID
	if id == "" {
		id = "webhook-" + logURL
	}
	s := &sink{sender: newSender(o, cfg, logURL)}
	secrets := append([]string{o.SecretKey}, o.SecretKeys...)
	p, err := batch.New(o.Config, s, component.Options{ID: id, Name: o.Name, Kind: "webhook",
		Logger: o.Logger, Clock: o.Clock, Registerer: o.Registerer, Secrets: secrets})
	if err != nil {
		return nil, err
	}
	return &Publisher{Publisher: p, sink: s}, nil
}

func newSender(o Options, cfg integration.PublisherConfig, logURL string) *sender {
	base := http.Header{}
	base.Set("Content-Type", "application/json")
	base.Set("User-Agent", DefaultUserAgent)
	for k, v := range o.Headers {
		base.Set(k, v)
	}
	maxBody := o.MaxBodyBytes
	if maxBody == 0 {
		maxBody = integration.DefaultMaxMessageBytes
	}
	maxConns := o.MaxConns
	if maxConns == 0 {
		maxConns = DefaultMaxConns
	}
	tr := o.Transport
	if tr == nil {
		tr = newTransport(maxConns)
	}
	now := time.Now
	if o.Clock != nil {
		now = o.Clock.Now
	}
	return &sender{url: o.URL, logURL: logURL, base: base,
		signer:   newSigner(append([]string{o.SecretKey}, o.SecretKeys...), o.SignatureVersion == SignatureLegacy),
		compress: cfg.EnableCompression, maxBody: maxBody, timeout: cfg.Timeout, now: now,
		client: newClient(tr)}
}

// sink adapts the sender to batch.Sink.
type sink struct{ *sender }

// Open does nothing: the HTTP client connects on the first request.
func (s *sink) Open(context.Context) error { return nil }

// Send POSTs one message.
func (s *sink) Send(ctx context.Context, msg integration.Outgoing) error { return s.send(ctx, msg) }

// Close drops the idle keep-alive connections.
func (s *sink) Close(context.Context) error {
	s.client.CloseIdleConnections()
	return nil
}
