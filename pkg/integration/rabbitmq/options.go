package rabbitmq

import (
	"errors"
	"fmt"
	"log/slog"
	"strings"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/mfn-io/mfn-operator/pkg/integration"
	"github.com/mfn-io/mfn-operator/pkg/integration/clock"
)

// Options configure a RabbitMQ publisher. Zero values mean the documented defaults.
type Options struct {
	// ID overrides the component identifier (default "rabbitmq-" + Exchange).
	ID string
	// Name is the configured (CR) name; default ID.
	Name string
	// URL is amqp://user:pass@host:5672/vhost or amqps:// for TLS. Required.
	URL string
	// Exchange is declared durable, not auto-deleted. Required (the default
	// exchange cannot be declared).
	Exchange string
	// ExchangeType is topic (default), direct, fanout or headers.
	ExchangeType string
	// RoutingKey of every message. Required except for fanout exchanges.
	RoutingKey string
	// DeclareQueue, when set, declares this durable queue and binds it to the
	// exchange with BindingKey (simple setups and tests).
	DeclareQueue string
	// BindingKey of DeclareQueue; default RoutingKey.
	BindingKey string
	// MaxBodyBytes rejects larger bodies as invalid; 0 means 1 MiB.
	MaxBodyBytes int
	// Config holds retry, breaker, batching and delivery settings.
	// exactly_once is rejected; EnableCompression gzips bodies and sets
	// content_encoding=gzip (CompressionCodec must be gzip). Timeout bounds
	// the dial and each publish + confirm.
	Config integration.PublisherConfig
	// Clock times retries, the breaker, batching and the timestamp property
	// (default real time).
	Clock clock.Clock
	// Logger receives structured logs (default slog.Default()).
	Logger *slog.Logger
	// Registerer receives the Prometheus collectors (nil: none).
	Registerer prometheus.Registerer
}

func (o Options) withDefaults() Options {
	if o.ExchangeType == "" {
		o.ExchangeType = "topic"
	}
	if o.BindingKey == "" {
		o.BindingKey = o.RoutingKey
	}
	if o.MaxBodyBytes == 0 {
		o.MaxBodyBytes = integration.DefaultMaxMessageBytes
	}
	if o.ID == "" {
		o.ID = "rabbitmq-" + o.Exchange
	}
	o.Config = o.Config.WithDefaults()
	return o
}

// Validate reports every option that breaks its rule, naming the field.
func (o Options) Validate() error {
	errs := []error{o.Config.ValidateFor("rabbitmq")}
	switch {
	case o.URL == "":
		errs = append(errs, errors.New("amqp_url: required"))
	case !strings.HasPrefix(o.URL, "amqp://") && !strings.HasPrefix(o.URL, "amqps://"):
		errs = append(errs, fmt.Errorf("amqp_url = %q: must start with amqp:// or amqps://",
			integration.RedactURL(o.URL)))
	}
	if o.Exchange == "" {
		errs = append(errs, errors.New("exchange: required (the default exchange cannot be declared)"))
	}
	typ := o.ExchangeType
	if typ == "" {
		typ = "topic"
	}
	switch typ {
	case "topic", "direct", "fanout", "headers":
	default:
		errs = append(errs, fmt.Errorf("exchange_type = %q: must be topic, direct, fanout or headers", o.ExchangeType))
	}
	if o.RoutingKey == "" && typ != "fanout" && typ != "headers" {
		errs = append(errs, fmt.Errorf("routing_key: required for a %s exchange", typ))
	}
	if len(o.RoutingKey) > 255 {
		errs = append(errs, fmt.Errorf("routing_key: %d bytes, must be ≤ 255", len(o.RoutingKey)))
	}
	if o.MaxBodyBytes < 0 {
		errs = append(errs, fmt.Errorf("max_body_bytes = %d: must be ≥ 0", o.MaxBodyBytes))
	}
	if c := o.Config.CompressionCodec; o.Config.EnableCompression && c != "" && c != "gzip" {
		errs = append(errs, fmt.Errorf("compression_codec = %q: the rabbitmq publisher only supports gzip", c))
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("invalid rabbitmq publisher options: %w", err)
	}
	return nil
}
