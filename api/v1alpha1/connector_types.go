package v1alpha1

import (
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// ConnectorType selects the source a Connector reads from.
// +kubebuilder:validation:Enum=kafka;file;rest;database
type ConnectorType string

// Connector types.
const (
	ConnectorKafka    ConnectorType = "kafka"
	ConnectorFile     ConnectorType = "file"
	ConnectorREST     ConnectorType = "rest"
	ConnectorDatabase ConnectorType = "database"
)

// ConnectorSpec is the desired state of a Connector: the source type, the
// options of that type (exactly one of kafka, file, rest, database, matching
// type) and the retry/circuit-breaker options.
// +kubebuilder:validation:XValidation:rule="has(self.kafka) == (self.type == 'kafka')",message="spec.kafka must be set when type is kafka, and only then"
// +kubebuilder:validation:XValidation:rule="has(self.file) == (self.type == 'file')",message="spec.file must be set when type is file, and only then"
// +kubebuilder:validation:XValidation:rule="has(self.rest) == (self.type == 'rest')",message="spec.rest must be set when type is rest, and only then"
// +kubebuilder:validation:XValidation:rule="has(self.database) == (self.type == 'database')",message="spec.database must be set when type is database, and only then"
// +kubebuilder:validation:XValidation:rule="!has(self.initialRetryDelay) || !has(self.maxRetryDelay) || duration(self.maxRetryDelay) >= duration(self.initialRetryDelay)",message="maxRetryDelay must be greater than or equal to initialRetryDelay"
type ConnectorSpec struct {
	// type is the kind of source: kafka, file, rest or database. The
	// field of the same name holds its options.
	// +required
	Type ConnectorType `json:"type"`

	// kafka reads JSON records from a Kafka topic with a consumer group.
	// +optional
	Kafka *KafkaConnector `json:"kafka,omitempty"`

	// file reads *.json (or other) files from a directory.
	// +optional
	File *FileConnector `json:"file,omitempty"`

	// rest polls an HTTP endpoint that returns JSON.
	// +optional
	REST *RESTConnector `json:"rest,omitempty"`

	// database polls a SQL query.
	// +optional
	Database *DatabaseConnector `json:"database,omitempty"`

	// maxMessageBytes is the largest input message accepted; larger ones
	// are counted as failed and dead-lettered (1 … 64Mi; default 1Mi).
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=67108864
	// +kubebuilder:default=1048576
	// +optional
	MaxMessageBytes *int32 `json:"maxMessageBytes,omitempty"`

	ComponentOptions `json:",inline"`
}

// KafkaConnector options (INTEGRATION.md §7.1).
// +kubebuilder:validation:XValidation:rule="duration(has(self.heartbeatInterval) ? self.heartbeatInterval : '3s') < duration(has(self.sessionTimeout) ? self.sessionTimeout : '30s')",message="heartbeatInterval must be less than sessionTimeout (defaults 3s and 30s)"
type KafkaConnector struct {
	// bootstrapServers lists the brokers as host:port.
	// +kubebuilder:validation:MinItems=1
	// +kubebuilder:validation:MaxItems=32
	// +kubebuilder:validation:items:Pattern=`^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?):[0-9]{1,5}$`
	// +kubebuilder:validation:items:MaxLength=260
	// +listType=set
	// +required
	BootstrapServers []string `json:"bootstrapServers"`

	// topic is the topic to consume.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=249
	// +kubebuilder:validation:Pattern=`^[A-Za-z0-9._-]+$`
	// +required
	Topic string `json:"topic"`

	// groupId is the consumer group shared by the pipeline's workers.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=255
	// +required
	GroupID string `json:"groupId"`

	// autoOffsetReset is where a group without a committed offset starts:
	// earliest, latest, or none (fail).
	// +kubebuilder:validation:Enum=earliest;latest;none
	// +kubebuilder:default=earliest
	// +optional
	AutoOffsetReset string `json:"autoOffsetReset,omitempty"`

	// enableAutoCommit commits consumed offsets in the background. The
	// default false commits an offset only after every publisher accepted
	// the results of it and of every earlier record (commit-after-publish).
	// +kubebuilder:default=false
	// +optional
	EnableAutoCommit *bool `json:"enableAutoCommit,omitempty"`

	// commitInterval is the longest time between offset commits
	// (greater than 0, at most 1m).
	// +kubebuilder:validation:Type=string
	// +kubebuilder:validation:Pattern=`^([0-9]+([.][0-9]+)?(ns|us|ms|s|m|h))+$`
	// +kubebuilder:validation:XValidation:rule="duration(self) > duration('0s') && duration(self) <= duration('1m')",message="commitInterval must be greater than 0 and at most 1m"
	// +kubebuilder:default="5s"
	// +optional
	CommitInterval *metav1.Duration `json:"commitInterval,omitempty"`

	// sessionTimeout is how long the group coordinator waits for a
	// heartbeat before it declares a worker dead and hands its partitions
	// to the others (6s … 30m, Kafka's default broker bounds; default 30s).
	// A worker killed without warning holds its partitions this long, so
	// a shorter timeout resumes them sooner at the cost of more rebalances
	// on a slow network.
	// +kubebuilder:validation:Type=string
	// +kubebuilder:validation:Pattern=`^([0-9]+([.][0-9]+)?(ns|us|ms|s|m|h))+$`
	// +kubebuilder:validation:XValidation:rule="duration(self) >= duration('6s') && duration(self) <= duration('30m')",message="sessionTimeout must be between 6s and 30m"
	// +optional
	SessionTimeout *metav1.Duration `json:"sessionTimeout,omitempty"`

	// heartbeatInterval is the period of the worker's heartbeats to the
	// group coordinator (greater than 0, less than sessionTimeout; default
	// 3s).
	// +kubebuilder:validation:Type=string
	// +kubebuilder:validation:Pattern=`^([0-9]+([.][0-9]+)?(ns|us|ms|s|m|h))+$`
	// +kubebuilder:validation:XValidation:rule="duration(self) > duration('0s')",message="heartbeatInterval must be greater than 0"
	// +optional
	HeartbeatInterval *metav1.Duration `json:"heartbeatInterval,omitempty"`

	// rebalanceTimeout is how long the coordinator waits for every member
	// to rejoin during a rebalance (1s … 30m; default 30s).
	// +kubebuilder:validation:Type=string
	// +kubebuilder:validation:Pattern=`^([0-9]+([.][0-9]+)?(ns|us|ms|s|m|h))+$`
	// +kubebuilder:validation:XValidation:rule="duration(self) >= duration('1s') && duration(self) <= duration('30m')",message="rebalanceTimeout must be between 1s and 30m"
	// +optional
	RebalanceTimeout *metav1.Duration `json:"rebalanceTimeout,omitempty"`

	// sasl authenticates to the brokers.
	// +optional
	SASL *KafkaSASL `json:"sasl,omitempty"`

	// tls encrypts the broker connections.
	// +optional
	TLS *TLSConfig `json:"tls,omitempty"`
}

// FileAfterProcess says what happens to a file once its message was
// acknowledged. INTEGRATION.md §7.2 also names keep; workers claim a file
// by renaming it out of the inbox (so that replicas never share one), so
// a file cannot stay where it was and keep is not offered.
// +kubebuilder:validation:Enum=delete;move
type FileAfterProcess string

// File dispositions.
const (
	FileDelete FileAfterProcess = "delete"
	FileMove   FileAfterProcess = "move"
)

// FileConnector options (INTEGRATION.md §7.2).
// +kubebuilder:validation:XValidation:rule="!has(self.processedDir) || self.processedDir != self.directory",message="processedDir must differ from directory"
// +kubebuilder:validation:XValidation:rule="!has(self.failedDir) || self.failedDir != self.directory",message="failedDir must differ from directory"
type FileConnector struct {
	// directory is the absolute path, inside the worker, of the directory
	// to read (non-recursive).
	// +kubebuilder:validation:MinLength=2
	// +kubebuilder:validation:MaxLength=1024
	// +kubebuilder:validation:XValidation:rule="self.startsWith('/')",message="directory must be an absolute path"
	// +required
	Directory string `json:"directory"`

	// filePattern is a shell pattern matched against file names directly
	// inside directory; it must not contain '/' or '**'.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=255
	// +kubebuilder:validation:XValidation:rule="!self.contains('/') && !self.contains('**')",message="filePattern must be a plain file-name pattern without '/' or '**'"
	// +kubebuilder:default="*.json"
	// +optional
	FilePattern string `json:"filePattern,omitempty"`

	// watchMode keeps rescanning the directory. Workers are long-running,
	// so the default is true; with false a worker processes the files
	// present at start and then idles.
	// +kubebuilder:default=true
	// +optional
	WatchMode *bool `json:"watchMode,omitempty"`

	// pollInterval is the rescan period in watch mode (at least 100ms, at
	// most 1h).
	// +kubebuilder:validation:Type=string
	// +kubebuilder:validation:Pattern=`^([0-9]+([.][0-9]+)?(ns|us|ms|s|m|h))+$`
	// +kubebuilder:validation:XValidation:rule="duration(self) >= duration('100ms') && duration(self) <= duration('1h')",message="pollInterval must be between 100ms and 1h"
	// +kubebuilder:default="5s"
	// +optional
	PollInterval *metav1.Duration `json:"pollInterval,omitempty"`

	// afterProcess is what happens to a file once its results were
	// published: delete, or move (to processedDir; undecodable files to
	// failedDir). keep is not offered: a worker claims a file by renaming
	// it out of directory, so that replicas never process it twice.
	// +kubebuilder:default=move
	// +optional
	AfterProcess FileAfterProcess `json:"afterProcess,omitempty"`

	// processedDir receives processed files when afterProcess is move
	// (default <directory>/.processed).
	// +kubebuilder:validation:MaxLength=1024
	// +kubebuilder:validation:XValidation:rule="self.startsWith('/')",message="processedDir must be an absolute path"
	// +optional
	ProcessedDir string `json:"processedDir,omitempty"`

	// failedDir receives files that could not be decoded when afterProcess
	// is move (default <directory>/.failed).
	// +kubebuilder:validation:MaxLength=1024
	// +kubebuilder:validation:XValidation:rule="self.startsWith('/')",message="failedDir must be an absolute path"
	// +optional
	FailedDir string `json:"failedDir,omitempty"`

	// claimName is a PersistentVolumeClaim in the pipeline's namespace
	// that the operator mounts at directory in every worker. When empty,
	// the directory must exist in the worker image.
	// +kubebuilder:validation:MaxLength=253
	// +optional
	ClaimName string `json:"claimName,omitempty"`
}

// HTTPMethod is the method of a REST poll.
// +kubebuilder:validation:Enum=GET;POST
type HTTPMethod string

// RESTConnector options (INTEGRATION.md §7.3). The polled URL is baseURL
// without its trailing '/' + '/' + endpoint without its leading '/'.
type RESTConnector struct {
	// baseURL is the scheme, host and optional base path, e.g.
	// https://api.example.com. It must not contain credentials: put them in
	// headersFrom.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=2048
	// +kubebuilder:validation:XValidation:rule="isURL(self) && (url(self).getScheme() == 'http' || url(self).getScheme() == 'https') && url(self).getHostname() != ''",message="baseURL must be an absolute http:// or https:// URL"
	// +kubebuilder:validation:XValidation:rule="!self.matches('^[A-Za-z][A-Za-z0-9+.-]*://[^/?#]*@')",message="baseURL must not contain user info (credentials); use headersFrom with a Secret"
	// +required
	BaseURL string `json:"baseURL"`

	// endpoint is the path (and optional query string) appended to baseURL.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=2048
	// +required
	Endpoint string `json:"endpoint"`

	// method is GET (default) or POST.
	// +kubebuilder:default=GET
	// +optional
	Method HTTPMethod `json:"method,omitempty"`

	// query parameters added to every request.
	// +kubebuilder:validation:MaxProperties=64
	// +optional
	Query map[string]string `json:"query,omitempty"`

	// headers sent with every request. Credential headers (Authorization,
	// Proxy-Authorization, Cookie, X-Api-Key) are refused here: use
	// headersFrom.
	// +kubebuilder:validation:MaxProperties=64
	// +kubebuilder:validation:XValidation:rule="self.all(k, !(k.lowerAscii() in ['authorization', 'proxy-authorization', 'cookie', 'x-api-key']))",message="credential headers (Authorization, Proxy-Authorization, Cookie, X-Api-Key) must come from a Secret through headersFrom"
	// +optional
	Headers map[string]string `json:"headers,omitempty"`

	// headersFrom are headers whose values come from Secrets.
	// +kubebuilder:validation:MaxItems=16
	// +listType=map
	// +listMapKey=name
	// +optional
	HeadersFrom []SecretHeader `json:"headersFrom,omitempty"`

	// pollInterval is the period between polls (at least 1s, at most 24h).
	// +kubebuilder:validation:Type=string
	// +kubebuilder:validation:Pattern=`^([0-9]+([.][0-9]+)?(ns|us|ms|s|m|h))+$`
	// +kubebuilder:validation:XValidation:rule="duration(self) >= duration('1s') && duration(self) <= duration('24h')",message="pollInterval must be between 1s and 24h"
	// +kubebuilder:default="60s"
	// +optional
	PollInterval *metav1.Duration `json:"pollInterval,omitempty"`

	// conditionalRequests sends If-None-Match (last ETag) and
	// If-Modified-Since (last Last-Modified) of the last emitted response;
	// a 304 answer yields no message.
	// +kubebuilder:default=true
	// +optional
	ConditionalRequests *bool `json:"conditionalRequests,omitempty"`

	// dedupe skips a full response whose version (its ETag, or the SHA-256
	// of the body when there is none) equals the last emitted one. With
	// both dedupe and conditionalRequests false every poll emits.
	// +kubebuilder:default=true
	// +optional
	Dedupe *bool `json:"dedupe,omitempty"`
}

// DatabaseEmit says how a poll's rows become messages.
// +kubebuilder:validation:Enum=batch;row
type DatabaseEmit string

// Database emission modes.
const (
	// EmitBatch: one message per poll, an array of row objects (skipped when empty).
	EmitBatch DatabaseEmit = "batch"
	// EmitRow: one message per row.
	EmitRow DatabaseEmit = "row"
)

// DatabaseConnector options (INTEGRATION.md §7.4). Rows are claimed by
// query, identified by keyColumn, and acknowledged by ackQuery once their
// results were published; all three are required.
type DatabaseConnector struct {
	// driver is the SQL driver; postgres is the only one so far.
	// +kubebuilder:validation:Enum=postgres
	// +kubebuilder:default=postgres
	// +optional
	Driver string `json:"driver,omitempty"`

	// connectionStringSecretRef selects the Secret key holding the DSN,
	// e.g. postgres://user:password@host:5432/db?sslmode=require.
	// +kubebuilder:validation:XValidation:rule="has(self.name) && self.name != ''",message="connectionStringSecretRef.name must name a Secret"
	// +required
	ConnectionStringSecretRef corev1.SecretKeySelector `json:"connectionStringSecretRef"`

	// query is the polling query. It may use $1 = lease expiry, $2 = now
	// (both timestamptz) and $3 = maximum row count, and its result must
	// contain keyColumn. A claiming UPDATE … FOR UPDATE SKIP LOCKED …
	// RETURNING statement is safe with many workers; a plain SELECT with one
	// worker only (docs/INTEGRATION.md).
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=65536
	// +required
	Query string `json:"query"`

	// pollInterval is the period between polls (at least 1s, at most 24h).
	// +kubebuilder:validation:Type=string
	// +kubebuilder:validation:Pattern=`^([0-9]+([.][0-9]+)?(ns|us|ms|s|m|h))+$`
	// +kubebuilder:validation:XValidation:rule="duration(self) >= duration('1s') && duration(self) <= duration('24h')",message="pollInterval must be between 1s and 24h"
	// +kubebuilder:default="60s"
	// +optional
	PollInterval *metav1.Duration `json:"pollInterval,omitempty"`

	// emit is row (default: one message per row, acknowledged and
	// dead-lettered on its own, position <query hash>/<key>) or batch (one
	// message per poll holding every row as a JSON array; its
	// acknowledgement runs ackQuery for each row).
	// +kubebuilder:default=row
	// +optional
	Emit DatabaseEmit `json:"emit,omitempty"`

	// ackQuery runs after a row's results were published, with the row's
	// keyColumn value as $1. It must make the row stop matching query
	// (e.g. UPDATE jobs SET status='done' WHERE id=$1, or a DELETE);
	// otherwise the row is polled again.
	// +kubebuilder:validation:MaxLength=65536
	// +kubebuilder:validation:XValidation:rule="self.size() > 0",message="ackQuery must not be empty: it runs with the row's keyColumn value as $1 once the row's results were published, and must make the row stop matching query"
	// +required
	AckQuery string `json:"ackQuery"`

	// keyColumn names the column of query's result that identifies a row:
	// its value is the $1 of ackQuery and ends the message position.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=63
	// +required
	KeyColumn string `json:"keyColumn"`
}

// ConnectorStatus is the observed state of a Connector, aggregated over the
// pipelines that use it.
type ConnectorStatus struct {
	// observedGeneration is the metadata.generation last reconciled.
	// +optional
	ObservedGeneration int64 `json:"observedGeneration,omitempty"`

	// conditions: Ready, ConfigValid and Healthy.
	// +listType=map
	// +listMapKey=type
	// +optional
	Conditions []metav1.Condition `json:"conditions,omitempty"`

	// breaker is the breaker state over every worker of every pipeline
	// using this connector.
	// +optional
	Breaker BreakerSummary `json:"breaker,omitzero"`

	// metrics are the counters summed over those workers.
	// +optional
	Metrics *ConnectorMetrics `json:"metrics,omitempty"`

	// usedBy lists the MFNPipelines that reference this connector.
	// +listType=set
	// +optional
	UsedBy []string `json:"usedBy,omitempty"`

	// pipelines is len(usedBy), for the printer column.
	// +optional
	Pipelines int32 `json:"pipelines"`
}

// Connector is a source of simulation parameters for MFNPipelines.
// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:resource:shortName=mfnconn,categories=mfn
// +kubebuilder:printcolumn:name="Type",type=string,JSONPath=`.spec.type`
// +kubebuilder:printcolumn:name="Breaker",type=string,JSONPath=`.status.breaker.state`
// +kubebuilder:printcolumn:name="Pipelines",type=integer,JSONPath=`.status.pipelines`
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`
type Connector struct {
	metav1.TypeMeta `json:",inline"`
	// metadata is the standard object metadata.
	// +optional
	metav1.ObjectMeta `json:"metadata,omitempty"`

	// spec is the desired state.
	// +required
	Spec ConnectorSpec `json:"spec"`

	// status is the observed state.
	// +optional
	Status ConnectorStatus `json:"status,omitzero"`
}

// ConnectorList is a list of Connectors.
// +kubebuilder:object:root=true
type ConnectorList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []Connector `json:"items"`
}

func init() {
	SchemeBuilder.Register(&Connector{}, &ConnectorList{})
}
