package v1alpha1

import (
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// Decimal is a fractional number written as a plain decimal string, such as
// "2.0" or "0.18" (no exponent, no sign unless a field says so). CRDs avoid
// float64 because its JSON round trip is not exact across clients; the
// worker parses the string with strconv.ParseFloat. Field-level CEL rules
// enforce each field's range.
// +kubebuilder:validation:Pattern=`^[0-9]{1,6}([.][0-9]{1,12})?$`
// +kubebuilder:validation:MaxLength=20
type Decimal string

// RetryStrategy is the delay policy between attempts (INTEGRATION.md §3.2).
// +kubebuilder:validation:Enum=exponential_backoff;linear_backoff;fixed_delay;immediate;no_retry
type RetryStrategy string

// Retry strategies.
const (
	// RetryExponentialBackoff waits initialRetryDelay × backoffMultiplier^(n-1), capped at maxRetryDelay.
	RetryExponentialBackoff RetryStrategy = "exponential_backoff"
	// RetryLinearBackoff waits initialRetryDelay × n, capped at maxRetryDelay.
	RetryLinearBackoff RetryStrategy = "linear_backoff"
	// RetryFixedDelay waits initialRetryDelay between attempts.
	RetryFixedDelay RetryStrategy = "fixed_delay"
	// RetryImmediate retries without waiting.
	RetryImmediate RetryStrategy = "immediate"
	// RetryNone makes a single attempt.
	RetryNone RetryStrategy = "no_retry"
)

// ComponentOptions are the retry, circuit-breaker and switch settings common
// to connectors and publishers (INTEGRATION.md §2.1 and §2.2). The API
// server fills in the defaults shown, so a reader of a stored object sees
// every value. The rule maxRetryDelay ≥ initialRetryDelay is enforced on the
// enclosing spec.
type ComponentOptions struct {
	// retryStrategy is the delay policy between attempts of a retried
	// operation: exponential_backoff, linear_backoff, fixed_delay, immediate
	// or no_retry.
	// +kubebuilder:default=exponential_backoff
	// +optional
	RetryStrategy RetryStrategy `json:"retryStrategy,omitempty"`

	// maxRetries is the number of retries after the first attempt, so an
	// operation is tried at most maxRetries+1 times (0 … 100; 0 means a
	// single attempt, like retryStrategy no_retry).
	// +kubebuilder:validation:Minimum=0
	// +kubebuilder:validation:Maximum=100
	// +kubebuilder:default=3
	// +optional
	MaxRetries *int32 `json:"maxRetries,omitempty"`

	// initialRetryDelay is the base delay between attempts, a duration such
	// as "1s" or "250ms" (≥ 0).
	// +kubebuilder:validation:Type=string
	// +kubebuilder:validation:Pattern=`^([0-9]+([.][0-9]+)?(ns|us|ms|s|m|h))+$`
	// +kubebuilder:default="1s"
	// +optional
	InitialRetryDelay *metav1.Duration `json:"initialRetryDelay,omitempty"`

	// maxRetryDelay caps exponential and linear delays; it must be at least
	// initialRetryDelay and at most 1h.
	// +kubebuilder:validation:Type=string
	// +kubebuilder:validation:Pattern=`^([0-9]+([.][0-9]+)?(ns|us|ms|s|m|h))+$`
	// +kubebuilder:validation:XValidation:rule="duration(self) <= duration('1h')",message="maxRetryDelay must be at most 1h"
	// +kubebuilder:default="60s"
	// +optional
	MaxRetryDelay *metav1.Duration `json:"maxRetryDelay,omitempty"`

	// backoffMultiplier is the growth factor of exponential backoff, a
	// decimal string between "1.0" and "10.0" (ignored by other strategies).
	// +kubebuilder:validation:XValidation:rule="double(self) >= 1.0 && double(self) <= 10.0",message="backoffMultiplier must be between 1.0 and 10.0"
	// +kubebuilder:default="2.0"
	// +optional
	BackoffMultiplier Decimal `json:"backoffMultiplier,omitempty"`

	// retryJitter j randomises each delay d uniformly within [d·(1−j), d],
	// a decimal between "0" (default, no jitter) and "1".
	// +kubebuilder:validation:XValidation:rule="double(self) >= 0.0 && double(self) <= 1.0",message="retryJitter must be between 0 and 1"
	// +optional
	RetryJitter Decimal `json:"retryJitter,omitempty"`

	// timeout is the deadline of one request or statement (REST poll,
	// database query, webhook POST, Kafka record delivery, Redis command,
	// AMQP confirm); greater than 0 and at most 10m.
	// +kubebuilder:validation:Type=string
	// +kubebuilder:validation:Pattern=`^([0-9]+([.][0-9]+)?(ns|us|ms|s|m|h))+$`
	// +kubebuilder:validation:XValidation:rule="duration(self) > duration('0s') && duration(self) <= duration('10m')",message="timeout must be greater than 0 and at most 10m"
	// +kubebuilder:default="30s"
	// +optional
	Timeout *metav1.Duration `json:"timeout,omitempty"`

	// circuitBreakerThreshold is the number of consecutive failed attempts
	// that opens the circuit breaker (1 … 1000).
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=1000
	// +kubebuilder:default=5
	// +optional
	CircuitBreakerThreshold *int32 `json:"circuitBreakerThreshold,omitempty"`

	// circuitBreakerTimeout is how long an open breaker refuses operations
	// before it lets one trial through (half-open); greater than 0 and at
	// most 1h.
	// +kubebuilder:validation:Type=string
	// +kubebuilder:validation:Pattern=`^([0-9]+([.][0-9]+)?(ns|us|ms|s|m|h))+$`
	// +kubebuilder:validation:XValidation:rule="duration(self) > duration('0s') && duration(self) <= duration('1h')",message="circuitBreakerTimeout must be greater than 0 and at most 1h"
	// +kubebuilder:default="60s"
	// +optional
	CircuitBreakerTimeout *metav1.Duration `json:"circuitBreakerTimeout,omitempty"`

	// enableMetrics exports the component's Prometheus series; the
	// in-memory counters behind /status are kept either way.
	// +kubebuilder:default=true
	// +optional
	EnableMetrics *bool `json:"enableMetrics,omitempty"`

	// enabled switches the component's data operations on. When false the
	// component still connects, but every consume or publish fails with
	// "Connector is disabled" / "Publisher is disabled".
	// +kubebuilder:default=true
	// +optional
	Enabled *bool `json:"enabled,omitempty"`
}

// ComponentReference names a Connector or Publisher in the pipeline's
// namespace.
type ComponentReference struct {
	// name is the metadata.name of the referenced object.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	// +kubebuilder:validation:Pattern=`^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$`
	// +required
	Name string `json:"name"`
}

// SecretHeader is an HTTP header whose value is read from a Secret, for
// credentials such as Authorization or X-Api-Key.
type SecretHeader struct {
	// name is the header name, e.g. Authorization.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=256
	// +kubebuilder:validation:Pattern=`^[A-Za-z0-9!#$%&'*+.^_|~-]+$`
	// +required
	Name string `json:"name"`

	// valueSecretRef selects the Secret key that holds the header value
	// (e.g. "Bearer <token>").
	// +kubebuilder:validation:XValidation:rule="has(self.name) && self.name != ''",message="valueSecretRef.name must name a Secret"
	// +required
	ValueSecretRef corev1.SecretKeySelector `json:"valueSecretRef"`
}

// TLSConfig configures TLS towards a broker or server. Certificates and keys
// come from Secrets.
// +kubebuilder:validation:XValidation:rule="has(self.certSecretRef) == has(self.keySecretRef)",message="tls.certSecretRef and tls.keySecretRef must be set together"
type TLSConfig struct {
	// enabled turns TLS on.
	// +kubebuilder:default=true
	// +optional
	Enabled *bool `json:"enabled,omitempty"`

	// caSecretRef selects a PEM bundle of CA certificates to trust instead of
	// the system roots.
	// +kubebuilder:validation:XValidation:rule="has(self.name) && self.name != ''",message="caSecretRef.name must name a Secret"
	// +optional
	CASecretRef *corev1.SecretKeySelector `json:"caSecretRef,omitempty"`

	// certSecretRef selects a PEM client certificate (mutual TLS).
	// +kubebuilder:validation:XValidation:rule="has(self.name) && self.name != ''",message="certSecretRef.name must name a Secret"
	// +optional
	CertSecretRef *corev1.SecretKeySelector `json:"certSecretRef,omitempty"`

	// keySecretRef selects the PEM private key of certSecretRef.
	// +kubebuilder:validation:XValidation:rule="has(self.name) && self.name != ''",message="keySecretRef.name must name a Secret"
	// +optional
	KeySecretRef *corev1.SecretKeySelector `json:"keySecretRef,omitempty"`

	// serverName overrides the host name verified in the server certificate.
	// +kubebuilder:validation:MaxLength=253
	// +optional
	ServerName string `json:"serverName,omitempty"`

	// insecureSkipVerify disables certificate verification. For tests only.
	// +optional
	InsecureSkipVerify bool `json:"insecureSkipVerify,omitempty"`
}

// SASLMechanism is a Kafka SASL mechanism.
// +kubebuilder:validation:Enum=PLAIN;SCRAM-SHA-256;SCRAM-SHA-512
type SASLMechanism string

// SASL mechanisms.
const (
	SASLPlain       SASLMechanism = "PLAIN"
	SASLScramSHA256 SASLMechanism = "SCRAM-SHA-256"
	SASLScramSHA512 SASLMechanism = "SCRAM-SHA-512"
)

// KafkaSASL authenticates to Kafka brokers.
type KafkaSASL struct {
	// mechanism is PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512.
	// +required
	Mechanism SASLMechanism `json:"mechanism"`

	// username is the SASL user name.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=256
	// +required
	Username string `json:"username"`

	// passwordSecretRef selects the Secret key holding the SASL password.
	// +kubebuilder:validation:XValidation:rule="has(self.name) && self.name != ''",message="passwordSecretRef.name must name a Secret"
	// +required
	PasswordSecretRef corev1.SecretKeySelector `json:"passwordSecretRef"`
}

// BreakerState is the aggregated state of the circuit breakers of a
// component across the workers of a pipeline. The worker /status document
// uses the wire form closed/open/half_open; see [ParseBreakerState].
// +kubebuilder:validation:Enum=Closed;Open;HalfOpen
type BreakerState string

// Circuit-breaker states.
const (
	// BreakerClosed lets every operation through.
	BreakerClosed BreakerState = "Closed"
	// BreakerOpen refuses operations until circuitBreakerTimeout has passed.
	BreakerOpen BreakerState = "Open"
	// BreakerHalfOpen lets one trial operation through.
	BreakerHalfOpen BreakerState = "HalfOpen"
)

// ParseBreakerState converts the wire form of a worker's /status document
// (closed, open, half_open) into a [BreakerState]. It reports false for any
// other text.
func ParseBreakerState(wire string) (BreakerState, bool) {
	switch wire {
	case "closed":
		return BreakerClosed, true
	case "open":
		return BreakerOpen, true
	case "half_open":
		return BreakerHalfOpen, true
	}
	return "", false
}

// BreakerWorkers counts the workers whose breaker for a component is in each
// state.
type BreakerWorkers struct {
	// closed is the number of workers whose breaker is closed.
	// +optional
	Closed int32 `json:"closed"`
	// open is the number of workers whose breaker is open.
	// +optional
	Open int32 `json:"open"`
	// halfOpen is the number of workers whose breaker is half-open.
	// +optional
	HalfOpen int32 `json:"halfOpen"`
}

// BreakerSummary is the breaker state of a component aggregated over
// workers: Open when any worker's breaker is open, else HalfOpen when any is
// half-open, else Closed.
type BreakerSummary struct {
	// state is the aggregated state.
	// +optional
	State BreakerState `json:"state,omitempty"`
	// workers counts workers per breaker state.
	// +optional
	Workers BreakerWorkers `json:"workers"`
}

// ConnectorMetrics are the connector counters of INTEGRATION.md §5.1, summed
// over workers.
type ConnectorMetrics struct {
	// messagesReceived counts messages handed to the pipeline.
	// +optional
	MessagesReceived int64 `json:"messagesReceived"`
	// messagesFailed counts input units that could not become a message.
	// +optional
	MessagesFailed int64 `json:"messagesFailed"`
	// bytesReceived counts raw payload bytes received.
	// +optional
	BytesReceived int64 `json:"bytesReceived"`
	// connectionErrors counts operations that exhausted their retries and failed connects.
	// +optional
	ConnectionErrors int64 `json:"connectionErrors"`
	// retryCount counts failed attempts inside retried operations.
	// +optional
	RetryCount int64 `json:"retryCount"`
	// rejections counts operations refused by an open breaker.
	// +optional
	Rejections int64 `json:"rejections"`
	// lastSuccessTime is the latest time a message was handed to the pipeline.
	// +optional
	LastSuccessTime *metav1.Time `json:"lastSuccessTime,omitempty"`
}

// PublisherMetrics are the publisher counters of INTEGRATION.md §5.2, summed
// over workers.
type PublisherMetrics struct {
	// messagesSent counts messages the destination accepted.
	// +optional
	MessagesSent int64 `json:"messagesSent"`
	// messagesFailed counts messages given up for good.
	// +optional
	MessagesFailed int64 `json:"messagesFailed"`
	// bytesSent counts serialised body bytes sent (before compression).
	// +optional
	BytesSent int64 `json:"bytesSent"`
	// batchesSent counts flushes in which every message was sent.
	// +optional
	BatchesSent int64 `json:"batchesSent"`
	// publishErrors counts send operations that failed, breaker refusals included.
	// +optional
	PublishErrors int64 `json:"publishErrors"`
	// retryCount counts failed attempts inside retried operations.
	// +optional
	RetryCount int64 `json:"retryCount"`
	// buffered is the number of messages waiting in the batch buffers.
	// +optional
	Buffered int64 `json:"buffered"`
	// rejections counts operations refused by an open breaker.
	// +optional
	Rejections int64 `json:"rejections"`
	// lastSuccessTime is the latest time a message was accepted.
	// +optional
	LastSuccessTime *metav1.Time `json:"lastSuccessTime,omitempty"`
}
