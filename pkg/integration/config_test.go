package integration

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"
)

func TestConnectorConfigDefaults(t *testing.T) {
	got := ConnectorConfig{}.WithDefaults()
	want := ConnectorConfig{
		RetryConfig: RetryConfig{
			RetryStrategy: RetryExponentialBackoff, MaxRetries: 3,
			InitialRetryDelay: time.Second, MaxRetryDelay: 60 * time.Second,
			BackoffMultiplier: 2, Timeout: 30 * time.Second,
			CircuitBreakerThreshold: 5, CircuitBreakerTimeout: 60 * time.Second,
		},
		MaxMessageBytes: 1 << 20,
	}
	if got != want {
		t.Fatalf("defaults:\n got %+v\nwant %+v", got, want)
	}
	if !got.MetricsEnabled() || !got.Enabled() {
		t.Fatal("metrics and enabled must default to true")
	}
	if err := (ConnectorConfig{}).Validate(); err != nil {
		t.Fatalf("zero config must be valid: %v", err)
	}
}

func TestPublisherConfigDefaults(t *testing.T) {
	got := PublisherConfig{}.WithDefaults()
	if got.DeliveryGuarantee != AtLeastOnce || got.BatchSize != 100 ||
		got.BatchTimeout != 5*time.Second || got.MaxBufferedMessages != 1000 ||
		got.MaxMessageAge != time.Hour || got.CompressionCodec != "gzip" ||
		got.EnableCompression || !got.BlockOnFull() || got.RetryStrategy != RetryExponentialBackoff ||
		got.MaxRetries != 3 || got.Timeout != 30*time.Second ||
		got.PayloadFormat != PayloadEnvelope || got.NonFinite != NonFiniteReject {
		t.Fatalf("defaults: %+v", got)
	}
	if d := (PublisherConfig{BatchSize: 7}).WithDefaults(); d.MaxBufferedMessages != 70 {
		t.Fatalf("max_buffered_messages default = %d, want 10×batch_size = 70", d.MaxBufferedMessages)
	}
	if d := (RetryConfig{InitialRetryDelay: 90 * time.Second}).WithDefaults(); d.MaxRetryDelay != 90*time.Second {
		t.Fatalf("max_retry_delay default must not undercut initial: %v", d.MaxRetryDelay)
	}
}

func TestValidateNamesFieldAndBound(t *testing.T) {
	cases := []struct {
		name string
		cfg  PublisherConfig
		want string
	}{
		{"max_retries high", PublisherConfig{RetryConfig: RetryConfig{MaxRetries: 101}}, "max_retries = 101: must be between 0 and 100"},
		{"max_retries negative", PublisherConfig{RetryConfig: RetryConfig{MaxRetries: -1}}, "max_retries = -1"},
		{"initial negative", PublisherConfig{RetryConfig: RetryConfig{InitialRetryDelay: -time.Second}}, "initial_retry_delay = -1s: must be ≥ 0"},
		{"cap below initial", PublisherConfig{RetryConfig: RetryConfig{InitialRetryDelay: 5 * time.Second, MaxRetryDelay: time.Second}}, "max_retry_delay = 1s: must be ≥ initial_retry_delay (5s)"},
		{"multiplier", PublisherConfig{RetryConfig: RetryConfig{BackoffMultiplier: 0.5}}, "backoff_multiplier = 0.5: must be ≥ 1.0"},
		{"jitter", PublisherConfig{RetryConfig: RetryConfig{RetryJitter: 1.5}}, "retry_jitter = 1.5: must be between 0 and 1"},
		{"timeout", PublisherConfig{RetryConfig: RetryConfig{Timeout: -1}}, "timeout = -1ns: must be > 0"},
		{"threshold", PublisherConfig{RetryConfig: RetryConfig{CircuitBreakerThreshold: -2}}, "circuit_breaker_threshold = -2: must be ≥ 1"},
		{"breaker timeout", PublisherConfig{RetryConfig: RetryConfig{CircuitBreakerTimeout: -time.Second}}, "circuit_breaker_timeout = -1s: must be > 0"},
		{"strategy", PublisherConfig{RetryConfig: RetryConfig{RetryStrategy: "exponential"}}, `retry_strategy: unknown value "exponential"`},
		{"guarantee", PublisherConfig{DeliveryGuarantee: "once"}, `delivery_guarantee: unknown value "once"`},
		{"batch size", PublisherConfig{BatchSize: 10001}, "batch_size = 10001: must be between 1 and 10000"},
		{"batch timeout", PublisherConfig{BatchTimeout: -time.Second}, "batch_timeout = -1s: must be > 0"},
		{"buffer", PublisherConfig{BatchSize: 10, MaxBufferedMessages: 5}, "max_buffered_messages = 5: must be ≥ batch_size (10)"},
		{"age", PublisherConfig{MaxMessageAge: -time.Minute}, "max_message_age = -1m0s: must be > 0"},
		{"codec", PublisherConfig{CompressionCodec: "brotli"}, "compression_codec = brotli: must be one of gzip, snappy, lz4, zstd"},
		{"payload format", PublisherConfig{PayloadFormat: "nested"}, `payload_format: unknown value "nested" (must be one of envelope, flat)`},
		{"nonfinite", PublisherConfig{NonFinite: "zero"}, `nonfinite: unknown value "zero" (must be one of reject, null)`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := c.cfg.Validate()
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("Validate() = %v, want it to contain %q", err, c.want)
			}
			var fe *FieldError
			if !strings.Contains(c.want, "unknown value") && !errors.As(err, &fe) {
				t.Fatalf("error %v is not a *FieldError", err)
			}
		})
	}
	if err := (ConnectorConfig{MaxMessageBytes: -1}).Validate(); err == nil ||
		!strings.Contains(err.Error(), "invalid connector config: max_message_bytes = -1: must be ≥ 1") {
		t.Fatalf("connector max_message_bytes: %v", err)
	}
}

func TestExactlyOnceOnlyForKafka(t *testing.T) {
	cfg := PublisherConfig{DeliveryGuarantee: ExactlyOnce}
	if err := cfg.ValidateFor("kafka"); err != nil {
		t.Fatalf("kafka must accept exactly_once: %v", err)
	}
	err := cfg.ValidateFor("webhook")
	if err == nil || !strings.Contains(err.Error(), `exactly_once is only supported by the kafka publisher, not "webhook"`) {
		t.Fatalf("webhook exactly_once: %v", err)
	}
	if err := (PublisherConfig{DeliveryGuarantee: AtMostOnce}).ValidateFor("redis"); err != nil {
		t.Fatal(err)
	}
}

func TestEnumRoundTrip(t *testing.T) {
	for _, s := range []string{"exponential_backoff", "linear_backoff", "immediate", "no_retry", "fixed_delay"} {
		v, err := ParseRetryStrategy(s)
		if err != nil || v.String() != s {
			t.Fatalf("%s: %v %v", s, v, err)
		}
	}
	for _, s := range []string{"at_most_once", "at_least_once", "exactly_once"} {
		var g DeliveryGuarantee
		if err := json.Unmarshal([]byte(`"`+s+`"`), &g); err != nil || g.String() != s {
			t.Fatalf("%s: %v %v", s, g, err)
		}
		b, _ := json.Marshal(g)
		if string(b) != `"`+s+`"` {
			t.Fatalf("marshal %s = %s", s, b)
		}
	}
	for _, s := range []string{"disconnected", "connecting", "connected", "error", "circuit_open"} {
		v, err := ParseStatus(s)
		if err != nil || v.String() != s {
			t.Fatalf("%s: %v %v", s, v, err)
		}
	}
	for _, bad := range []string{"EXPONENTIAL_BACKOFF", "Exponential_Backoff", "", "retry"} {
		if _, err := ParseRetryStrategy(bad); err == nil {
			t.Fatalf("%q accepted", bad)
		}
	}
	var g DeliveryGuarantee
	err := json.Unmarshal([]byte(`"AT_LEAST_ONCE"`), &g)
	if err == nil || !strings.Contains(err.Error(), "must be one of at_most_once, at_least_once, exactly_once") {
		t.Fatalf("case-insensitive value accepted or unclear error: %v", err)
	}
	if RetryStrategy("").String() != "exponential_backoff" || DeliveryGuarantee("").String() != "at_least_once" ||
		Status("").String() != "disconnected" {
		t.Fatal("zero values must print as their defaults")
	}
}
