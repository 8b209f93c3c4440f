package integration

import (
	"errors"
	"fmt"
	"time"
)

// Defaults of INTEGRATION.md §2 (and the [GO] additions).
const (
	DefaultMaxRetries              = 3
	DefaultInitialRetryDelay       = time.Second
	DefaultMaxRetryDelay           = 60 * time.Second
	DefaultBackoffMultiplier       = 2.0
	DefaultTimeout                 = 30 * time.Second
	DefaultCircuitBreakerThreshold = 5
	DefaultCircuitBreakerTimeout   = 60 * time.Second
	DefaultMaxMessageBytes         = 1 << 20
	DefaultBatchSize               = 100
	DefaultBatchTimeout            = 5 * time.Second
	DefaultMaxMessageAge           = time.Hour
	DefaultCompressionCodec        = "gzip"
	// DefaultBufferFactor times BatchSize is the default MaxBufferedMessages.
	DefaultBufferFactor = 10

	// MaxMaxRetries is the upper bound of MaxRetries.
	MaxMaxRetries = 100
	// MaxBatchSize is the upper bound of BatchSize.
	MaxBatchSize = 10000
)

// RetryConfig holds the retry and circuit-breaker settings shared by
// connectors and publishers. Zero values mean the documented defaults.
type RetryConfig struct {
	// RetryStrategy selects the delay formula; default exponential_backoff.
	// Use RetryNone for exactly one attempt and RetryImmediate for retries
	// without delay.
	RetryStrategy RetryStrategy
	// MaxRetries is the number of retries after the first attempt (total
	// attempts = MaxRetries + 1). 0 means the default 3; range 1…100. For a
	// single attempt ("max_retries: 0") use RetryStrategy = RetryNone.
	MaxRetries int
	// InitialRetryDelay is the base delay I; 0 means 1 s. For zero delays
	// use RetryStrategy = RetryImmediate.
	InitialRetryDelay time.Duration
	// MaxRetryDelay caps computed delays; 0 means 60 s; must be ≥ InitialRetryDelay.
	MaxRetryDelay time.Duration
	// BackoffMultiplier is M for exponential backoff; 0 means 2; must be ≥ 1.
	BackoffMultiplier float64
	// RetryJitter j in [0, 1]: the wait is drawn uniformly from [d·(1−j), d].
	// 0 (default) means no jitter.
	RetryJitter float64
	// Timeout is the per-request deadline; 0 means 30 s.
	Timeout time.Duration
	// CircuitBreakerThreshold is the number of consecutive failed attempts
	// that open the breaker; 0 means 5.
	CircuitBreakerThreshold int
	// CircuitBreakerTimeout is how long the breaker stays open; 0 means 60 s.
	CircuitBreakerTimeout time.Duration
	// DisableMetrics turns off Prometheus export (enable_metrics=false);
	// in-memory counters are kept.
	DisableMetrics bool
	// Disabled makes data operations fail with ErrConnectorDisabled /
	// ErrPublisherDisabled (enabled=false); Connect still works.
	Disabled bool
}

// ConnectorConfig is the configuration of a connector (INTEGRATION.md §2.1).
type ConnectorConfig struct {
	RetryConfig
	// MaxMessageBytes is the largest accepted input message; 0 means 1 MiB.
	MaxMessageBytes int
}

// PublisherConfig is the configuration of a publisher (INTEGRATION.md §2.2).
type PublisherConfig struct {
	RetryConfig
	// DeliveryGuarantee is at_least_once by default. exactly_once is only
	// accepted for the Kafka publisher (see ValidateFor).
	DeliveryGuarantee DeliveryGuarantee
	// BatchSize flushes the buffer when it holds this many messages; 0 means
	// 100; range 1…10000 (1 = no batching).
	BatchSize int
	// BatchTimeout flushes when the oldest buffered message is this old; 0 means 5 s.
	BatchTimeout time.Duration
	// MaxBufferedMessages bounds the buffer; 0 means 10 × BatchSize; must be ≥ BatchSize.
	MaxBufferedMessages int
	// FailFastWhenFull makes Publish fail with ErrBufferFull instead of
	// blocking when the buffer is full (block_on_full=false).
	FailFastWhenFull bool
	// MaxMessageAge drops (or dead-letters) buffered messages older than
	// this under at_least_once; 0 means 1 h.
	MaxMessageAge time.Duration
	// EnableCompression compresses bodies where the protocol allows it.
	EnableCompression bool
	// CompressionCodec is gzip (default), snappy, lz4 or zstd (Kafka); the
	// other publishers only support gzip.
	CompressionCodec string
	// PayloadFormat is the shape of the result bodies: envelope (default,
	// the §9.2 envelope) or flat (SEED-compatible: simulation_id, the
	// features at top level and timestamp).
	PayloadFormat PayloadFormat
	// NonFinite is what happens to a NaN or ±Inf number in a result:
	// reject (default: a permanent, per-message error) or null (sent as
	// JSON null), INTEGRATION.md §9.4.
	NonFinite NonFinitePolicy
}

// PayloadFormat is the shape of a publisher's result bodies (INTEGRATION.md
// §9.2): PayloadEnvelope, the §9.2 envelope, or PayloadFlat, the
// SEED-compatible object (simulation_id, the 18 features at top level,
// timestamp). Encoding is pkg/integration/schema's job.
type PayloadFormat string

// NonFinitePolicy is what becomes of NaN and ±Inf numbers (INTEGRATION.md
// §9.4): NonFiniteReject makes the message a permanent, per-message failure;
// NonFiniteNull sends them as JSON null.
type NonFinitePolicy string

// Wire values of PayloadFormat and NonFinitePolicy.
const (
	PayloadEnvelope PayloadFormat   = "envelope"
	PayloadFlat     PayloadFormat   = "flat"
	NonFiniteReject NonFinitePolicy = "reject"
	NonFiniteNull   NonFinitePolicy = "null"
)

// ParsePayloadFormat accepts envelope and flat.
func ParsePayloadFormat(s string) (PayloadFormat, error) {
	return parseEnum("payload_format", s, []PayloadFormat{PayloadEnvelope, PayloadFlat})
}

// ParseNonFinitePolicy accepts reject and null.
func ParseNonFinitePolicy(s string) (NonFinitePolicy, error) {
	return parseEnum("nonfinite", s, []NonFinitePolicy{NonFiniteReject, NonFiniteNull})
}

// MetricsEnabled reports enable_metrics.
func (c RetryConfig) MetricsEnabled() bool { return !c.DisableMetrics }

// Enabled reports enabled.
func (c RetryConfig) Enabled() bool { return !c.Disabled }

// BlockOnFull reports block_on_full.
func (c PublisherConfig) BlockOnFull() bool { return !c.FailFastWhenFull }

// WithDefaults returns c with every zero value replaced by its default.
func (c RetryConfig) WithDefaults() RetryConfig {
	if c.RetryStrategy == "" {
		c.RetryStrategy = RetryExponentialBackoff
	}
	if c.MaxRetries == 0 {
		c.MaxRetries = DefaultMaxRetries
	}
	if c.InitialRetryDelay == 0 {
		c.InitialRetryDelay = DefaultInitialRetryDelay
	}
	if c.MaxRetryDelay == 0 {
		c.MaxRetryDelay = max(DefaultMaxRetryDelay, c.InitialRetryDelay)
	}
	if c.BackoffMultiplier == 0 {
		c.BackoffMultiplier = DefaultBackoffMultiplier
	}
	if c.Timeout == 0 {
		c.Timeout = DefaultTimeout
	}
	if c.CircuitBreakerThreshold == 0 {
		c.CircuitBreakerThreshold = DefaultCircuitBreakerThreshold
	}
	if c.CircuitBreakerTimeout == 0 {
		c.CircuitBreakerTimeout = DefaultCircuitBreakerTimeout
	}
	return c
}

// WithDefaults returns c with every zero value replaced by its default.
func (c ConnectorConfig) WithDefaults() ConnectorConfig {
	c.RetryConfig = c.RetryConfig.WithDefaults()
	if c.MaxMessageBytes == 0 {
		c.MaxMessageBytes = DefaultMaxMessageBytes
	}
	return c
}

// WithDefaults returns c with every zero value replaced by its default.
func (c PublisherConfig) WithDefaults() PublisherConfig {
	c.RetryConfig = c.RetryConfig.WithDefaults()
	if c.DeliveryGuarantee == "" {
		c.DeliveryGuarantee = AtLeastOnce
	}
	if c.BatchSize == 0 {
		c.BatchSize = DefaultBatchSize
	}
	if c.BatchTimeout == 0 {
		c.BatchTimeout = DefaultBatchTimeout
	}
	if c.MaxBufferedMessages == 0 {
		c.MaxBufferedMessages = DefaultBufferFactor * c.BatchSize
	}
	if c.MaxMessageAge == 0 {
		c.MaxMessageAge = DefaultMaxMessageAge
	}
	if c.CompressionCodec == "" {
		c.CompressionCodec = DefaultCompressionCodec
	}
	if c.PayloadFormat == "" {
		c.PayloadFormat = PayloadEnvelope
	}
	if c.NonFinite == "" {
		c.NonFinite = NonFiniteReject
	}
	return c
}

// FieldError reports one configuration field that broke its rule.
type FieldError struct {
	// Field is the snake_case name of INTEGRATION.md §2.
	Field string
	// Value is the offending value.
	Value any
	// Rule is the bound or rule that was broken, e.g. "must be ≥ 1".
	Rule string
}

func (e *FieldError) Error() string {
	return fmt.Sprintf("%s = %v: %s", e.Field, e.Value, e.Rule)
}

func fieldErr(field string, value any, rule string, args ...any) error {
	return &FieldError{Field: field, Value: value, Rule: fmt.Sprintf(rule, args...)}
}

// Validate checks c after applying defaults; the error names every field
// that is out of range and its bound.
func (c RetryConfig) Validate() error {
	d := c.WithDefaults()
	var errs []error
	if _, err := ParseRetryStrategy(string(d.RetryStrategy)); err != nil {
		errs = append(errs, err)
	}
	if d.MaxRetries < 0 || d.MaxRetries > MaxMaxRetries {
		errs = append(errs, fieldErr("max_retries", d.MaxRetries, "must be between 0 and %d", MaxMaxRetries))
	}
	if d.InitialRetryDelay < 0 {
		errs = append(errs, fieldErr("initial_retry_delay", d.InitialRetryDelay, "must be ≥ 0"))
	}
	if d.MaxRetryDelay < d.InitialRetryDelay {
		errs = append(errs, fieldErr("max_retry_delay", d.MaxRetryDelay,
			"must be ≥ initial_retry_delay (%v)", d.InitialRetryDelay))
	}
	if d.BackoffMultiplier < 1 || d.BackoffMultiplier != d.BackoffMultiplier {
		errs = append(errs, fieldErr("backoff_multiplier", d.BackoffMultiplier, "must be ≥ 1.0"))
	}
	if !(d.RetryJitter >= 0 && d.RetryJitter <= 1) {
		errs = append(errs, fieldErr("retry_jitter", d.RetryJitter, "must be between 0 and 1"))
	}
	if d.Timeout <= 0 {
		errs = append(errs, fieldErr("timeout", d.Timeout, "must be > 0"))
	}
	if d.CircuitBreakerThreshold < 1 {
		errs = append(errs, fieldErr("circuit_breaker_threshold", d.CircuitBreakerThreshold, "must be ≥ 1"))
	}
	if d.CircuitBreakerTimeout <= 0 {
		errs = append(errs, fieldErr("circuit_breaker_timeout", d.CircuitBreakerTimeout, "must be > 0"))
	}
	return errors.Join(errs...)
}

// Validate checks c after applying defaults.
func (c ConnectorConfig) Validate() error {
	errs := []error{c.RetryConfig.Validate()}
	if d := c.WithDefaults(); d.MaxMessageBytes < 1 {
		errs = append(errs, fieldErr("max_message_bytes", d.MaxMessageBytes, "must be ≥ 1"))
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("invalid connector config: %w", err)
	}
	return nil
}

// Validate checks c after applying defaults, for a publisher whose kind is
// not known; exactly_once is accepted. Publishers call ValidateFor.
func (c PublisherConfig) Validate() error {
	if err := c.validate(); err != nil {
		return fmt.Errorf("invalid publisher config: %w", err)
	}
	return nil
}

// ValidateFor is Validate for a publisher of the given kind: exactly_once
// is rejected for every kind but kafka.
func (c PublisherConfig) ValidateFor(kind string) error {
	errs := []error{c.validate()}
	if c.DeliveryGuarantee == ExactlyOnce && kind != "kafka" {
		errs = append(errs, fieldErr("delivery_guarantee", ExactlyOnce,
			"exactly_once is only supported by the kafka publisher, not %q; use at_least_once (receivers de-duplicate by event_id)", kind))
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("invalid %s publisher config: %w", kind, err)
	}
	return nil
}

func (c PublisherConfig) validate() error {
	d := c.WithDefaults()
	errs := []error{c.RetryConfig.Validate()}
	if _, err := ParseDeliveryGuarantee(string(d.DeliveryGuarantee)); err != nil {
		errs = append(errs, err)
	}
	if d.BatchSize < 1 || d.BatchSize > MaxBatchSize {
		errs = append(errs, fieldErr("batch_size", d.BatchSize, "must be between 1 and %d", MaxBatchSize))
	}
	if d.BatchTimeout <= 0 {
		errs = append(errs, fieldErr("batch_timeout", d.BatchTimeout, "must be > 0"))
	}
	if d.MaxBufferedMessages < d.BatchSize {
		errs = append(errs, fieldErr("max_buffered_messages", d.MaxBufferedMessages,
			"must be ≥ batch_size (%d)", d.BatchSize))
	}
	if d.MaxMessageAge <= 0 {
		errs = append(errs, fieldErr("max_message_age", d.MaxMessageAge, "must be > 0"))
	}
	switch d.CompressionCodec {
	case "gzip", "snappy", "lz4", "zstd":
	default:
		errs = append(errs, fieldErr("compression_codec", d.CompressionCodec, "must be one of gzip, snappy, lz4, zstd"))
	}
	if _, err := ParsePayloadFormat(string(d.PayloadFormat)); err != nil {
		errs = append(errs, err)
	}
	if _, err := ParseNonFinitePolicy(string(d.NonFinite)); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}
