package rest

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/mfn-io/mfn-operator/pkg/integration"
	"github.com/mfn-io/mfn-operator/pkg/integration/clock"
)

// DefaultPollInterval is the pause between polls (INTEGRATION.md §7.3).
const DefaultPollInterval = 60 * time.Second

// DefaultMinPollGap is the least time between the end of a poll and the
// start of the next (capped by the poll interval).
const DefaultMinPollGap = time.Second

// maxRedirects bounds FollowRedirects.
const maxRedirects = 5

// Options configure a REST polling connector. Zero values mean the
// documented defaults.
type Options struct {
	// ID overrides the component identifier (default "rest-" + Endpoint as given).
	ID string
	// Name is the configured name (the CR name); default ID.
	Name string
	// BaseURL is scheme + host (+ optional base path); a trailing "/" is removed.
	BaseURL string
	// Endpoint is appended after one "/"; a leading "/" is removed. It may
	// carry a query string.
	Endpoint string
	// Method is GET (default) or POST.
	Method string
	// Body is sent with POST (Content-Type application/json unless set in Headers).
	Body []byte
	// Query adds query parameters.
	Query map[string]string
	// Headers are sent with every request (e.g. Authorization; the manifest
	// layer fills secret values). Header values are never logged.
	Headers map[string]string
	// PollInterval is the period of polls (fixed rate; default 60 s, > 0).
	// The first poll is immediate.
	PollInterval time.Duration
	// MinPollGap is the least time from the end of one poll to the start of
	// the next, for polls that overran the interval (slow server, retries):
	// default 1 s, or PollInterval when that is shorter. A Retry-After on the
	// final failure of a poll lengthens the gap to it (capped by
	// max_retry_delay).
	MinPollGap time.Duration
	// EmitUnchanged turns off de-duplication: a full (200) response is
	// emitted even when its version (ETag or, without one, body SHA-256)
	// equals the last emitted one. By default such a response is skipped.
	EmitUnchanged bool
	// DisableConditionalRequests stops sending If-None-Match (last ETag) and
	// If-Modified-Since (last Last-Modified). By default they are sent and a
	// 304 answer yields nothing. With both this and EmitUnchanged set, the
	// resource is emitted on every poll (the reference behaviour).
	DisableConditionalRequests bool
	// FollowRedirects follows up to 5 redirects to the same host (the
	// client drops Authorization on any other host). By default a 3xx
	// answer is a permanent failure of the poll naming the Location.
	FollowRedirects bool
	// Transport replaces the HTTP transport (TLS client certificates, proxies).
	Transport http.RoundTripper
	// Config holds retries, breaker, timeout (per request) and max_message_bytes
	// (bound of the whole response body).
	Config integration.ConnectorConfig
	// Clock times polls, retries and the breaker (default real time).
	Clock clock.Clock
	// Logger receives structured logs (default slog.Default()).
	Logger *slog.Logger
	// Registerer receives the Prometheus collectors (nil: no export).
	Registerer prometheus.Registerer
}

func (o *Options) id() string {
	if o.ID != "" {
		return o.ID
	}
	return "rest-" + o.Endpoint
}

func (o *Options) method() string {
	if o.Method == "" {
		return http.MethodGet
	}
	return strings.ToUpper(o.Method)
}

func (o *Options) pollInterval() time.Duration {
	if o.PollInterval == 0 {
		return DefaultPollInterval
	}
	return o.PollInterval
}

func (o *Options) minPollGap() time.Duration {
	if o.MinPollGap == 0 {
		return min(DefaultMinPollGap, o.pollInterval())
	}
	return o.MinPollGap
}

// URL returns base_url without trailing "/" + "/" + endpoint without
// leading "/", plus Query.
func (o *Options) URL() (string, error) {
	raw := strings.TrimRight(o.BaseURL, "/") + "/" + strings.TrimLeft(o.Endpoint, "/")
	u, err := url.Parse(raw)
	if err != nil {
		return "", &integration.FieldError{Field: "base_url", Value: integration.RedactURL(o.BaseURL), Rule: "must be a valid URL: " + err.Error()}
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return "", &integration.FieldError{Field: "base_url", Value: integration.RedactURL(o.BaseURL), Rule: "scheme must be http or https"}
	}
	if u.Host == "" {
		return "", &integration.FieldError{Field: "base_url", Value: integration.RedactURL(o.BaseURL), Rule: "must include a host"}
	}
	if len(o.Query) > 0 {
		q := u.Query()
		for k, v := range o.Query {
			q.Set(k, v)
		}
		u.RawQuery = q.Encode()
	}
	return u.String(), nil
}

// Validate names every field that is missing or out of range.
func (o *Options) Validate() error {
	var errs []error
	field := func(name string, value any, rule string) {
		errs = append(errs, &integration.FieldError{Field: name, Value: value, Rule: rule})
	}
	switch {
	case strings.TrimSpace(o.BaseURL) == "":
		field("base_url", "", "is required")
	default:
		if _, err := o.URL(); err != nil {
			errs = append(errs, err)
		}
	}
	if strings.TrimSpace(o.Endpoint) == "" {
		field("endpoint", "", "is required")
	}
	switch o.method() {
	case http.MethodGet, http.MethodPost:
	default:
		field("method", o.Method, "must be GET or POST")
	}
	if len(o.Body) > 0 && o.method() != http.MethodPost {
		field("body", fmt.Sprintf("%d bytes", len(o.Body)), "is only sent with method POST")
	}
	if o.PollInterval < 0 {
		field("poll_interval", o.PollInterval, "must be > 0")
	}
	if o.MinPollGap < 0 {
		field("min_poll_gap", o.MinPollGap, "must be ≥ 0")
	}
	for k := range o.Headers {
		if strings.TrimSpace(k) == "" || strings.ContainsAny(k, " \t\r\n:") {
			field("headers", k, "header names must be non-empty tokens")
		}
	}
	errs = append(errs, o.Config.Validate())
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("invalid rest connector options: %w", err)
	}
	return nil
}
