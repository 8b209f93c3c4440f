package v1alpha1

import (
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// PublisherType selects the destination a Publisher sends to.
// +kubebuilder:validation:Enum=kafka;webhook;redis;rabbitmq;jsonl
type PublisherType string

// Publisher types.
const (
	PublisherKafka    PublisherType = "kafka"
	PublisherWebhook  PublisherType = "webhook"
	PublisherRedis    PublisherType = "redis"
	PublisherRabbitMQ PublisherType = "rabbitmq"
	// PublisherJSONL appends JSON Lines to a file: a sink for local runs and tests.
	PublisherJSONL PublisherType = "jsonl"
)

// DeliveryGuarantee is what happens to messages a destination did not
// accept (INTEGRATION.md §8.2).
// +kubebuilder:validation:Enum=at_most_once;at_least_once;exactly_once
type DeliveryGuarantee string

// Delivery guarantees.
const (
	// AtMostOnce drops a message after its retries; Kafka acks=1.
	AtMostOnce DeliveryGuarantee = "at_most_once"
	// AtLeastOnce keeps unsent messages and retries them; the source is
	// acknowledged only after the destination accepted. Kafka acks=all.
	AtLeastOnce DeliveryGuarantee = "at_least_once"
	// ExactlyOnce uses an idempotent (and, from a Kafka source,
	// transactional) producer. Kafka publishers only.
	ExactlyOnce DeliveryGuarantee = "exactly_once"
)

// PayloadFormat is the shape of the result bodies a Publisher sends.
// +kubebuilder:validation:Enum=envelope;flat
type PayloadFormat string

// Payload formats (INTEGRATION.md §9.2).
const (
	// PayloadEnvelope is the result envelope: event_id, event,
	// schema_version, simulation_id, status, timestamp, params, features (or
	// error) and source.
	PayloadEnvelope PayloadFormat = "envelope"
	// PayloadFlat is the SEED-compatible flat object: simulation_id, the 18
	// features at top level and timestamp.
	PayloadFlat PayloadFormat = "flat"
)

// NonFinitePolicy says what a Publisher does with NaN and ±Inf numbers.
// +kubebuilder:validation:Enum=reject;null
type NonFinitePolicy string

// Non-finite policies (INTEGRATION.md §9.4).
const (
	// NonFiniteReject fails the message (dead-letter) without sending it.
	NonFiniteReject NonFinitePolicy = "reject"
	// NonFiniteNull sends such numbers as JSON null.
	NonFiniteNull NonFinitePolicy = "null"
)

// PublisherSpec is the desired state of a Publisher: the destination type,
// its options (exactly one of kafka, webhook, redis, rabbitmq, jsonl,
// matching type), batching, delivery guarantee and retry/circuit-breaker
// options.
// +kubebuilder:validation:XValidation:rule="has(self.kafka) == (self.type == 'kafka')",message="spec.kafka must be set when type is kafka, and only then"
// +kubebuilder:validation:XValidation:rule="has(self.webhook) == (self.type == 'webhook')",message="spec.webhook must be set when type is webhook, and only then"
// +kubebuilder:validation:XValidation:rule="has(self.redis) == (self.type == 'redis')",message="spec.redis must be set when type is redis, and only then"
// +kubebuilder:validation:XValidation:rule="has(self.rabbitmq) == (self.type == 'rabbitmq')",message="spec.rabbitmq must be set when type is rabbitmq, and only then"
// +kubebuilder:validation:XValidation:rule="has(self.jsonl) == (self.type == 'jsonl')",message="spec.jsonl must be set when type is jsonl, and only then"
// +kubebuilder:validation:XValidation:rule="!has(self.deliveryGuarantee) || self.deliveryGuarantee != 'exactly_once'",message="deliveryGuarantee exactly_once is not supported yet (no publisher has an idempotent or transactional producer); use at_least_once, receivers can de-duplicate on the event id"
// +kubebuilder:validation:XValidation:rule="!has(self.initialRetryDelay) || !has(self.maxRetryDelay) || duration(self.maxRetryDelay) >= duration(self.initialRetryDelay)",message="maxRetryDelay must be greater than or equal to initialRetryDelay"
// +kubebuilder:validation:XValidation:rule="!has(self.maxBufferedMessages) || !has(self.batchSize) || self.maxBufferedMessages >= self.batchSize",message="maxBufferedMessages must be at least batchSize"
// +kubebuilder:validation:XValidation:rule="!has(self.enableCompression) || !self.enableCompression || self.type != 'redis'",message="enableCompression is not supported by redis publishers"
type PublisherSpec struct {
	// type is the kind of destination: kafka, webhook, redis, rabbitmq or
	// jsonl. The field of the same name holds its options.
	// +required
	Type PublisherType `json:"type"`

	// kafka produces records to a Kafka topic.
	// +optional
	Kafka *KafkaPublisher `json:"kafka,omitempty"`

	// webhook POSTs each result to an HTTPS endpoint, signed with HMAC-SHA256.
	// +optional
	Webhook *WebhookPublisher `json:"webhook,omitempty"`

	// redis publishes to a pub/sub channel or appends to a stream.
	// +optional
	Redis *RedisPublisher `json:"redis,omitempty"`

	// rabbitmq publishes to an exchange with publisher confirms.
	// +optional
	RabbitMQ *RabbitMQPublisher `json:"rabbitmq,omitempty"`

	// jsonl appends results as JSON Lines to a file (local runs and tests).
	// +optional
	JSONL *JSONLPublisher `json:"jsonl,omitempty"`

	// deliveryGuarantee is at_most_once or at_least_once. exactly_once is
	// reserved and refused at admission: no publisher can honour it yet.
	// +kubebuilder:default=at_least_once
	// +optional
	DeliveryGuarantee DeliveryGuarantee `json:"deliveryGuarantee,omitempty"`

	// batchSize flushes the buffer when it holds this many messages
	// (1 … 10000; 1 sends each message on its own).
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=10000
	// +kubebuilder:default=100
	// +optional
	BatchSize *int32 `json:"batchSize,omitempty"`

	// batchTimeout flushes a non-empty buffer when its oldest message is
	// this old (greater than 0, at most 10m).
	// +kubebuilder:validation:Type=string
	// +kubebuilder:validation:Pattern=`^([0-9]+([.][0-9]+)?(ns|us|ms|s|m|h))+$`
	// +kubebuilder:validation:XValidation:rule="duration(self) > duration('0s') && duration(self) <= duration('10m')",message="batchTimeout must be greater than 0 and at most 10m"
	// +kubebuilder:default="5s"
	// +optional
	BatchTimeout *metav1.Duration `json:"batchTimeout,omitempty"`

	// maxBufferedMessages bounds the buffer of each worker (at least
	// batchSize, at most 1000000). Unset means 10 × batchSize.
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=1000000
	// +optional
	MaxBufferedMessages *int32 `json:"maxBufferedMessages,omitempty"`

	// blockOnFull makes a full buffer hold back the pipeline (back-pressure);
	// false fails the message instead (dead-letter or messagesFailed).
	// +kubebuilder:default=true
	// +optional
	BlockOnFull *bool `json:"blockOnFull,omitempty"`

	// maxMessageAge gives up (dead-letters) a message still unsent after
	// this long under at_least_once (at least 1s, at most 168h).
	// +kubebuilder:validation:Type=string
	// +kubebuilder:validation:Pattern=`^([0-9]+([.][0-9]+)?(ns|us|ms|s|m|h))+$`
	// +kubebuilder:validation:XValidation:rule="duration(self) >= duration('1s') && duration(self) <= duration('168h')",message="maxMessageAge must be between 1s and 168h"
	// +kubebuilder:default="1h"
	// +optional
	MaxMessageAge *metav1.Duration `json:"maxMessageAge,omitempty"`

	// payloadFormat is the shape of the bodies: envelope (the result
	// envelope with event_id, params, features and source) or flat
	// (SEED-compatible: simulation_id, the 18 features at top level and
	// timestamp; a failure carries simulation_id, event, status, error and
	// timestamp).
	// +kubebuilder:default=envelope
	// +optional
	PayloadFormat PayloadFormat `json:"payloadFormat,omitempty"`

	// nonFinite is what happens to a result holding NaN or ±Inf, which JSON
	// cannot express: reject fails the message (dead-letter, not retried),
	// "null" sends those numbers as null. Quote it in YAML: a bare null
	// removes the field, which leaves the default reject.
	// +kubebuilder:default=reject
	// +optional
	NonFinite NonFinitePolicy `json:"nonFinite,omitempty"`

	// enableCompression compresses bodies: Kafka with kafka.compressionCodec,
	// webhook and RabbitMQ with gzip. Not supported by redis.
	// +kubebuilder:default=false
	// +optional
	EnableCompression *bool `json:"enableCompression,omitempty"`

	ComponentOptions `json:",inline"`
}

// KafkaPublisher options (INTEGRATION.md §8.4).
type KafkaPublisher struct {
	// bootstrapServers lists the brokers as host:port.
	// +kubebuilder:validation:MinItems=1
	// +kubebuilder:validation:MaxItems=32
	// +kubebuilder:validation:items:Pattern=`^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?):[0-9]{1,5}$`
	// +kubebuilder:validation:items:MaxLength=260
	// +listType=set
	// +required
	BootstrapServers []string `json:"bootstrapServers"`

	// topic is the destination topic.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=249
	// +kubebuilder:validation:Pattern=`^[A-Za-z0-9._-]+$`
	// +required
	Topic string `json:"topic"`

	// keyField names a top-level field of the result whose string value
	// becomes the record key (e.g. simulation_id); unset sends keyless
	// records.
	// +kubebuilder:validation:MaxLength=128
	// +kubebuilder:validation:Pattern=`^[A-Za-z_][A-Za-z0-9_]*$`
	// +optional
	KeyField string `json:"keyField,omitempty"`

	// compressionCodec is used when enableCompression is true: gzip,
	// snappy, lz4 or zstd.
	// +kubebuilder:validation:Enum=gzip;snappy;lz4;zstd
	// +kubebuilder:default=gzip
	// +optional
	CompressionCodec string `json:"compressionCodec,omitempty"`

	// sasl authenticates to the brokers.
	// +optional
	SASL *KafkaSASL `json:"sasl,omitempty"`

	// tls encrypts the broker connections.
	// +optional
	TLS *TLSConfig `json:"tls,omitempty"`
}

// WebhookSignatureVersion selects the signature headers of a webhook.
// +kubebuilder:validation:Enum=legacy;v1
type WebhookSignatureVersion string

// Webhook signature versions.
const (
	// SignatureLegacy sends only X-Webhook-Signature: sha256=<hex HMAC of the body>.
	SignatureLegacy WebhookSignatureVersion = "legacy"
	// SignatureV1 (the default) also sends X-Webhook-Timestamp and
	// X-Webhook-Signature-V1 over "<timestamp>.<body>" (replay protection).
	SignatureV1 WebhookSignatureVersion = "v1"
)

// WebhookPublisher options (INTEGRATION.md §8.5).
// +kubebuilder:validation:XValidation:rule="has(self.url) != has(self.urlSecretRef)",message="exactly one of webhook.url and webhook.urlSecretRef must be set"
// +kubebuilder:validation:XValidation:rule="!has(self.url) || url(self.url).getScheme() == 'https' || (has(self.allowInsecureHTTP) && self.allowInsecureHTTP)",message="webhook.url must use https:// unless allowInsecureHTTP is true"
type WebhookPublisher struct {
	// url is the full target URL. It must not carry credentials (user
	// info); when the URL itself is secret, use urlSecretRef instead.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=2048
	// +kubebuilder:validation:XValidation:rule="isURL(self) && (url(self).getScheme() == 'http' || url(self).getScheme() == 'https') && url(self).getHostname() != ''",message="webhook.url must be an absolute http:// or https:// URL"
	// +kubebuilder:validation:XValidation:rule="!self.matches('^[A-Za-z][A-Za-z0-9+.-]*://[^/?#]*@')",message="webhook.url must not contain user info (credentials); use urlSecretRef"
	// +optional
	URL string `json:"url,omitempty"`

	// urlSecretRef selects a Secret key holding the target URL, for URLs
	// that embed a token.
	// +kubebuilder:validation:XValidation:rule="has(self.name) && self.name != ''",message="urlSecretRef.name must name a Secret"
	// +optional
	URLSecretRef *corev1.SecretKeySelector `json:"urlSecretRef,omitempty"`

	// signingSecretRefs select the HMAC-SHA256 signing keys. The first key
	// signs X-Webhook-Signature; with signatureVersion v1 every key signs
	// X-Webhook-Signature-V1 (key rotation). No signature is sent when empty.
	// +kubebuilder:validation:MaxItems=4
	// +kubebuilder:validation:XValidation:rule="self.all(r, has(r.name) && r.name != '')",message="every signingSecretRefs entry must name a Secret"
	// +listType=atomic
	// +optional
	SigningSecretRefs []corev1.SecretKeySelector `json:"signingSecretRefs,omitempty"`

	// signatureVersion is v1 (default: X-Webhook-Signature plus the
	// replay-protected X-Webhook-Timestamp and X-Webhook-Signature-V1 over
	// "<timestamp>.<body>"; receivers that only know X-Webhook-Signature
	// ignore the extra headers) or legacy (X-Webhook-Signature only, no
	// timestamp). It has no effect without signingSecretRefs.
	// +kubebuilder:default=v1
	// +optional
	SignatureVersion WebhookSignatureVersion `json:"signatureVersion,omitempty"`

	// headers are merged over the defaults (Content-Type: application/json).
	// Credential headers are refused here: use headersFrom.
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

	// allowInsecureHTTP permits an http:// url.
	// +optional
	AllowInsecureHTTP bool `json:"allowInsecureHTTP,omitempty"`
}

// RedisMode selects how results are written to Redis.
// +kubebuilder:validation:Enum=pubsub;stream
type RedisMode string

// Redis modes.
const (
	// RedisPubSub: PUBLISH to channel (no persistence).
	RedisPubSub RedisMode = "pubsub"
	// RedisStream: XADD to the stream named channel with MAXLEN ~ streamMaxLength.
	RedisStream RedisMode = "stream"
)

// RedisPublisher options (INTEGRATION.md §8.6).
// +kubebuilder:validation:XValidation:rule="has(self.url) != has(self.urlSecretRef)",message="exactly one of redis.url and redis.urlSecretRef must be set"
// +kubebuilder:validation:XValidation:rule="!has(self.requireSubscribers) || !self.requireSubscribers || !has(self.mode) || self.mode == 'pubsub'",message="requireSubscribers applies to mode pubsub only"
type RedisPublisher struct {
	// url is redis://host:port[/db] or rediss://… for TLS, without a
	// password (use passwordSecretRef, or urlSecretRef for a full URL).
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=2048
	// +kubebuilder:validation:XValidation:rule="self.matches('^rediss?://[^/?#]+(/[0-9]{1,2})?$')",message="redis.url must look like redis://host:port[/db] or rediss://host:port[/db]"
	// +kubebuilder:validation:XValidation:rule="!self.matches('^[A-Za-z][A-Za-z0-9+.-]*://[^/?#]*@')",message="redis.url must not contain user info (credentials); use passwordSecretRef or urlSecretRef"
	// +optional
	URL string `json:"url,omitempty"`

	// urlSecretRef selects a Secret key holding the whole URL, password included.
	// +kubebuilder:validation:XValidation:rule="has(self.name) && self.name != ''",message="urlSecretRef.name must name a Secret"
	// +optional
	URLSecretRef *corev1.SecretKeySelector `json:"urlSecretRef,omitempty"`

	// username is the ACL user name used with passwordSecretRef.
	// +kubebuilder:validation:MaxLength=256
	// +optional
	Username string `json:"username,omitempty"`

	// passwordSecretRef selects the Secret key holding the password (AUTH).
	// +kubebuilder:validation:XValidation:rule="has(self.name) && self.name != ''",message="passwordSecretRef.name must name a Secret"
	// +optional
	PasswordSecretRef *corev1.SecretKeySelector `json:"passwordSecretRef,omitempty"`

	// channel is the pub/sub channel, or the stream key in mode stream.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=1024
	// +required
	Channel string `json:"channel"`

	// mode is pubsub (PUBLISH) or stream (XADD).
	// +kubebuilder:default=pubsub
	// +optional
	Mode RedisMode `json:"mode,omitempty"`

	// streamMaxLength trims the stream to about this many entries in mode stream.
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=100000000
	// +kubebuilder:default=10000
	// +optional
	StreamMaxLength *int64 `json:"streamMaxLength,omitempty"`

	// requireSubscribers treats a PUBLISH that reached no subscriber as a
	// (retryable) failure.
	// +optional
	RequireSubscribers bool `json:"requireSubscribers,omitempty"`
}

// RabbitMQPublisher options (INTEGRATION.md §8.7).
// +kubebuilder:validation:XValidation:rule="has(self.url) != has(self.urlSecretRef)",message="exactly one of rabbitmq.url and rabbitmq.urlSecretRef must be set"
// +kubebuilder:validation:XValidation:rule="has(self.username) == has(self.passwordSecretRef)",message="rabbitmq.username and rabbitmq.passwordSecretRef must be set together"
type RabbitMQPublisher struct {
	// url is amqp://host:port/vhost or amqps://… for TLS, without
	// credentials (use username and passwordSecretRef, or urlSecretRef).
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=2048
	// +kubebuilder:validation:XValidation:rule="self.matches('^amqps?://[^/?#]+(/[^?#]*)?$')",message="rabbitmq.url must look like amqp://host:port/vhost or amqps://host:port/vhost"
	// +kubebuilder:validation:XValidation:rule="!self.matches('^[A-Za-z][A-Za-z0-9+.-]*://[^/?#]*@')",message="rabbitmq.url must not contain user info (credentials); use username and passwordSecretRef, or urlSecretRef"
	// +optional
	URL string `json:"url,omitempty"`

	// urlSecretRef selects a Secret key holding the whole URL, credentials included.
	// +kubebuilder:validation:XValidation:rule="has(self.name) && self.name != ''",message="urlSecretRef.name must name a Secret"
	// +optional
	URLSecretRef *corev1.SecretKeySelector `json:"urlSecretRef,omitempty"`

	// username is the AMQP user name used with passwordSecretRef.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=256
	// +optional
	Username string `json:"username,omitempty"`

	// passwordSecretRef selects the Secret key holding the AMQP password.
	// +kubebuilder:validation:XValidation:rule="has(self.name) && self.name != ''",message="passwordSecretRef.name must name a Secret"
	// +optional
	PasswordSecretRef *corev1.SecretKeySelector `json:"passwordSecretRef,omitempty"`

	// exchange is declared durable with exchangeType; it must not be empty
	// (the default exchange cannot be declared).
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=255
	// +required
	Exchange string `json:"exchange"`

	// exchangeType is topic, direct or fanout.
	// +kubebuilder:validation:Enum=topic;direct;fanout
	// +kubebuilder:default=topic
	// +optional
	ExchangeType string `json:"exchangeType,omitempty"`

	// routingKey is the routing key of every message, e.g. simulation.complete.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=255
	// +required
	RoutingKey string `json:"routingKey"`

	// declareQueue, when set, declares a durable queue of that name bound
	// to exchange with routingKey (for simple setups).
	// +kubebuilder:validation:MaxLength=255
	// +optional
	DeclareQueue string `json:"declareQueue,omitempty"`
}

// JSONLPublisher options: each worker appends one JSON document per line to
// directory/<fileName>.
type JSONLPublisher struct {
	// directory is the absolute path, inside the worker, of the output
	// directory; it is created when missing.
	// +kubebuilder:validation:MinLength=2
	// +kubebuilder:validation:MaxLength=1024
	// +kubebuilder:validation:XValidation:rule="self.startsWith('/')",message="jsonl.directory must be an absolute path"
	// +required
	Directory string `json:"directory"`

	// fileName is the output file name. "{worker}" in it is replaced by the
	// worker name, so that replicas do not write the same file.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=255
	// +kubebuilder:validation:XValidation:rule="!self.contains('/')",message="jsonl.fileName must be a file name without '/'"
	// +kubebuilder:default="results-{worker}.jsonl"
	// +optional
	FileName string `json:"fileName,omitempty"`

	// claimName is a PersistentVolumeClaim the operator mounts at directory
	// in every worker; when empty the workers write to an emptyDir volume.
	// +kubebuilder:validation:MaxLength=253
	// +optional
	ClaimName string `json:"claimName,omitempty"`
}

// PublisherStatus is the observed state of a Publisher, aggregated over the
// pipelines that use it.
type PublisherStatus struct {
	// observedGeneration is the metadata.generation last reconciled.
	// +optional
	ObservedGeneration int64 `json:"observedGeneration,omitempty"`

	// conditions: Ready, ConfigValid and Healthy.
	// +listType=map
	// +listMapKey=type
	// +optional
	Conditions []metav1.Condition `json:"conditions,omitempty"`

	// breaker is the breaker state over every worker of every pipeline
	// using this publisher.
	// +optional
	Breaker BreakerSummary `json:"breaker,omitzero"`

	// metrics are the counters summed over those workers.
	// +optional
	Metrics *PublisherMetrics `json:"metrics,omitempty"`

	// usedBy lists the MFNPipelines that reference this publisher
	// (as a publisher or as the dead-letter publisher).
	// +listType=set
	// +optional
	UsedBy []string `json:"usedBy,omitempty"`

	// pipelines is len(usedBy).
	// +optional
	Pipelines int32 `json:"pipelines"`
}

// Publisher is a destination for simulation results of MFNPipelines.
// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:resource:shortName=mfnpub,categories=mfn
// +kubebuilder:printcolumn:name="Type",type=string,JSONPath=`.spec.type`
// +kubebuilder:printcolumn:name="Breaker",type=string,JSONPath=`.status.breaker.state`
// +kubebuilder:printcolumn:name="Sent",type=integer,JSONPath=`.status.metrics.messagesSent`
// +kubebuilder:printcolumn:name="Pipelines",type=integer,JSONPath=`.status.pipelines`,priority=1
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`
type Publisher struct {
	metav1.TypeMeta `json:",inline"`
	// metadata is the standard object metadata.
	// +optional
	metav1.ObjectMeta `json:"metadata,omitempty"`

	// spec is the desired state.
	// +required
	Spec PublisherSpec `json:"spec"`

	// status is the observed state.
	// +optional
	Status PublisherStatus `json:"status,omitzero"`
}

// PublisherList is a list of Publishers.
// +kubebuilder:object:root=true
type PublisherList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []Publisher `json:"items"`
}

func init() {
	SchemeBuilder.Register(&Publisher{}, &PublisherList{})
}
