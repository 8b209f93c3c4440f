package status

import "time"

// SchemaVersion is the version of the /status document described by [Report].
const SchemaVersion = "mfn.mycelium.io/worker-status/v1"

// Component status values (INTEGRATION.md §1.3, wire form).
const (
	ComponentDisconnected = "disconnected"
	ComponentConnecting   = "connecting"
	ComponentConnected    = "connected"
	ComponentError        = "error"
	ComponentCircuitOpen  = "circuit_open"
)

// Circuit-breaker states (INTEGRATION.md §2.3, wire form).
const (
	BreakerClosed   = "closed"
	BreakerOpen     = "open"
	BreakerHalfOpen = "half_open"
)

// Report is the whole /status document of one worker process.
type Report struct {
	// SchemaVersion is always [SchemaVersion].
	SchemaVersion string `json:"schemaVersion"`
	// Pipeline is the name of the pipeline the worker runs.
	Pipeline string `json:"pipeline"`
	// Worker identifies the process (the pod name in a cluster, the host name otherwise).
	Worker string `json:"worker"`
	// StartTime is when the worker process started.
	StartTime time.Time `json:"startTime"`
	// Time is when the report was produced.
	Time time.Time `json:"time"`
	// Ready mirrors /readyz.
	Ready bool `json:"ready"`
	// Connector is the state of the pipeline's source.
	Connector ComponentReport `json:"connector"`
	// Publishers holds one entry per publisher, in the pipeline's order.
	Publishers []ComponentReport `json:"publishers"`
	// DeadLetter is the dead-letter publisher, when one is configured.
	DeadLetter *ComponentReport `json:"deadLetter,omitempty"`
	// Totals are the pipeline counters.
	Totals Totals `json:"totals"`
}

// ComponentReport is the state of one connector or publisher.
type ComponentReport struct {
	// Name is the component's configured name (the CR name in a cluster).
	Name string `json:"name"`
	// ID is the component identifier used in logs and metric labels.
	ID string `json:"id"`
	// Kind is kafka, file, rest, database, webhook, redis, rabbitmq or jsonl.
	Kind string `json:"kind"`
	// Status is one of the Component* constants.
	Status string `json:"status"`
	// Breaker is the circuit breaker of this component.
	Breaker BreakerReport `json:"breaker"`
	// LastError is the last error text, scrubbed of credentials.
	LastError string `json:"lastError,omitempty"`
	// LastErrorTime is when LastError happened.
	LastErrorTime *time.Time `json:"lastErrorTime,omitempty"`
	// Connector is set for connectors.
	Connector *ConnectorMetrics `json:"connectorMetrics,omitempty"`
	// Publisher is set for publishers.
	Publisher *PublisherMetrics `json:"publisherMetrics,omitempty"`
}

// BreakerReport is a snapshot of a circuit breaker.
type BreakerReport struct {
	// State is one of the Breaker* constants.
	State string `json:"state"`
	// ConsecutiveFailures counts failed attempts since the last success.
	ConsecutiveFailures int64 `json:"consecutiveFailures"`
	// LastTransitionTime is when State last changed (zero if it never did).
	LastTransitionTime *time.Time `json:"lastTransitionTime,omitempty"`
	// Rejections counts operations refused while the breaker was open.
	Rejections int64 `json:"rejections"`
}

// ConnectorMetrics are the connector metrics of INTEGRATION.md §5.1.
type ConnectorMetrics struct {
	MessagesReceived int64      `json:"messagesReceived"`
	MessagesFailed   int64      `json:"messagesFailed"`
	BytesReceived    int64      `json:"bytesReceived"`
	ConnectionErrors int64      `json:"connectionErrors"`
	RetryCount       int64      `json:"retryCount"`
	LastSuccessTime  *time.Time `json:"lastSuccessTime,omitempty"`
}

// PublisherMetrics are the publisher metrics of INTEGRATION.md §5.2.
type PublisherMetrics struct {
	MessagesSent    int64      `json:"messagesSent"`
	MessagesFailed  int64      `json:"messagesFailed"`
	BytesSent       int64      `json:"bytesSent"`
	BatchesSent     int64      `json:"batchesSent"`
	PublishErrors   int64      `json:"publishErrors"`
	RetryCount      int64      `json:"retryCount"`
	Buffered        int64      `json:"buffered"`
	LastSuccessTime *time.Time `json:"lastSuccessTime,omitempty"`
}

// Totals are the pipeline-level counters of one worker.
type Totals struct {
	// Processed counts messages whose results every publisher accepted.
	Processed int64 `json:"processed"`
	// Failed counts messages that could not be simulated (invalid input or engine error).
	Failed int64 `json:"failed"`
	// DeadLettered counts failed messages accepted by the dead-letter publisher.
	DeadLettered int64 `json:"deadLettered"`
	// InFlight is the number of messages taken from the connector and not yet acked.
	InFlight int64 `json:"inFlight"`
	// LastProcessedTime is when the last message was processed.
	LastProcessedTime *time.Time `json:"lastProcessedTime,omitempty"`
}
