package kafka

import (
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strconv"
	"strings"

	"github.com/prometheus/client_golang/prometheus"
	kafkago "github.com/segmentio/kafka-go"
	"github.com/segmentio/kafka-go/compress"

	"github.com/mfn-io/mfn-operator/pkg/integration"
	"github.com/mfn-io/mfn-operator/pkg/integration/clock"
)

// ErrExactlyOnceUnsupported is returned by NewPublisher for
// delivery_guarantee = exactly_once. The Kafka client used here
// (segmentio/kafka-go) has neither an idempotent producer (no producer id /
// sequence numbers) nor transactions, so exactly_once cannot be honoured and
// is refused instead of silently meaning less. Use at_least_once: every
// record carries the mfn-event-id header and a key, so consumers can
// de-duplicate redeliveries.
var ErrExactlyOnceUnsupported = errors.New("delivery_guarantee = exactly_once: not supported by the kafka " +
	"publisher (the segmentio/kafka-go client has no idempotent or transactional producer); use " +
	"at_least_once and de-duplicate on the mfn-event-id header")

// Record headers set on every message (INTEGRATION.md §8.4).
const (
	HeaderContentType = "content-type"
	HeaderEventID     = "mfn-event-id"
)

// PublisherOptions configure a Kafka publisher. Zero values mean the
// documented defaults.
type PublisherOptions struct {
	// ID overrides the component identifier (default "kafka-" + Topic).
	ID string
	// Name is the configured name (the CR name); default ID.
	Name string
	// BootstrapServers lists host:port brokers (required).
	BootstrapServers Servers
	// Topic is the destination topic (required).
	Topic string
	// AllowAutoTopicCreation lets the broker create a missing topic.
	AllowAutoTopicCreation bool
	// MaxBodyBytes rejects larger bodies as invalid before sending; 0 means
	// 1 MiB (the broker's default message.max.bytes is about 1 MB).
	MaxBodyBytes int
	// MaxInFlight is how many runs of batch_size may be written at once
	// (one Writer each, sharing the connections) under at_least_once; 0
	// means 1, which keeps the order of records per key. Above 1, runs
	// written together may land in any order (also for one key), and a
	// failed run makes those written with it go again (duplicates);
	// at_most_once always writes one run at a time.
	MaxInFlight int
	// SASL enables SASL authentication when Mechanism is set.
	SASL *SASL
	// TLS enables TLS with this configuration when not nil.
	TLS *tls.Config
	// Config holds retry, breaker, batching and delivery settings.
	// at_most_once → acks=1, at_least_once → acks=all, exactly_once →
	// ErrExactlyOnceUnsupported. EnableCompression selects
	// CompressionCodec (gzip, snappy, lz4, zstd).
	Config integration.PublisherConfig
	// Clock times retries, the breaker and batching (default real time).
	Clock clock.Clock
	// Logger receives structured logs (default slog.Default()).
	Logger *slog.Logger
	// Registerer receives the Prometheus collectors (nil: no export).
	Registerer prometheus.Registerer
}

func (o *PublisherOptions) id() string {
	if o.ID != "" {
		return o.ID
	}
	return "kafka-" + o.Topic
}

// maxPublisherInFlight bounds PublisherOptions.MaxInFlight.
const maxPublisherInFlight = 64

// inFlight is MaxInFlight with its default.
func (o *PublisherOptions) inFlight() int { return max(o.MaxInFlight, 1) }

func (o *PublisherOptions) maxBody() int {
	if o.MaxBodyBytes == 0 {
		return integration.DefaultMaxMessageBytes
	}
	return o.MaxBodyBytes
}

// requiredAcks maps the delivery guarantee to the producer acks.
func requiredAcks(g integration.DeliveryGuarantee) kafkago.RequiredAcks {
	if g == integration.AtMostOnce {
		return kafkago.RequireOne
	}
	return kafkago.RequireAll
}

// codec maps compression_codec to the client's codec; nil when disabled.
func codec(c integration.PublisherConfig) (kafkago.Compression, error) {
	if !c.EnableCompression {
		return 0, nil
	}
	switch c.WithDefaults().CompressionCodec {
	case "gzip":
		return compress.Gzip, nil
	case "snappy":
		return compress.Snappy, nil
	case "lz4":
		return compress.Lz4, nil
	case "zstd":
		return compress.Zstd, nil
	}
	return 0, fmt.Errorf("compression_codec = %q: must be gzip, snappy, lz4 or zstd", c.CompressionCodec)
}

// Validate names every field that is missing or out of range.
func (o *PublisherOptions) Validate() error {
	var errs []error
	field := func(name string, value any, rule string) {
		errs = append(errs, &integration.FieldError{Field: name, Value: value, Rule: rule})
	}
	servers := o.BootstrapServers.normalized()
	if len(servers) == 0 {
		field("bootstrap_servers", strings.Join(o.BootstrapServers, ","), "is required: a comma-separated host:port list")
	}
	for _, s := range servers {
		host, port, err := net.SplitHostPort(s)
		if n, perr := strconv.Atoi(port); err != nil || host == "" || perr != nil || n < 1 || n > 65535 {
			field("bootstrap_servers", s, "each entry must be host:port with a port in 1…65535")
		}
	}
	if strings.TrimSpace(o.Topic) == "" {
		field("topic", o.Topic, "is required")
	}
	if o.MaxBodyBytes < 0 {
		field("max_body_bytes", o.MaxBodyBytes, "must be ≥ 0")
	}
	if o.MaxInFlight < 0 || o.MaxInFlight > maxPublisherInFlight {
		field("max_in_flight", o.MaxInFlight, fmt.Sprintf("must be in [0, %d]", maxPublisherInFlight))
	}
	if o.SASL != nil && o.SASL.Mechanism != "" {
		if _, err := o.SASL.mechanism(); err != nil {
			errs = append(errs, err)
		}
		if o.SASL.Username == "" {
			field("sasl.username", "", "is required with a SASL mechanism")
		}
	}
	if o.Config.DeliveryGuarantee == integration.ExactlyOnce {
		errs = append(errs, ErrExactlyOnceUnsupported)
	}
	errs = append(errs, o.Config.ValidateFor("kafka"))
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("invalid kafka publisher options: %w", err)
	}
	return nil
}
