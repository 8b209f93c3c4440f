// Package integration implements the connectors and publishers of the MFN
// integration contract (shared spec INTEGRATION.md): sources of simulation
// parameters (Kafka, file feed, REST polling, PostgreSQL), sinks for results
// (Kafka, HMAC-signed webhook, Redis, RabbitMQ, JSON Lines files), their
// configuration, retry policy, circuit breaker, batching and metrics.
//
// Every connector hands out [Message] values that must be acknowledged once
// the result has been accepted by every publisher, which gives at-least-once
// delivery end to end.
//
// # Packages
//
//	integration            interfaces (Connector, Publisher, Message, Outgoing), config, enums,
//	                       error classes, redaction
//	integration/clock      real and fake clocks (Sleep, Fake.Advance, Fake.WaitForTimers)
//	integration/breaker    circuit breaker (closed/open/half_open, ErrCircuitOpen)
//	integration/retry      attempt loop and delay formulas
//	integration/component  ConnectorBase / PublisherBase: status, breaker, metrics, Prometheus, logs
//	integration/batch      batching engine: batch.New(cfg, sink, opts) is a complete Publisher
//	integration/schema     input envelope (DecodeInput) and output envelope (Result, EventID)
//	integration/file       file feed connector and JSON Lines publisher
//	integration/faultproxy TCP proxy with Cut/Blackhole/Restore for outage tests
//
// # Configuration
//
// [ConnectorConfig] and [PublisherConfig] embed [RetryConfig]. Zero values
// mean the defaults of INTEGRATION.md §2 (max_retries 3, initial delay 1 s,
// cap 60 s, multiplier 2, timeout 30 s, breaker threshold 5 and timeout
// 60 s, batch_size 100, batch_timeout 5 s, max_buffered_messages 10 ×
// batch_size, max_message_age 1 h, max_message_bytes 1 MiB). Because zero
// means "default", a single attempt is asked for with RetryStrategy =
// RetryNone and zero delays with RetryImmediate. Options that default to
// true are inverted: DisableMetrics (enable_metrics), Disabled (enabled),
// FailFastWhenFull (block_on_full). WithDefaults fills the defaults;
// Validate (and PublisherConfig.ValidateFor(kind), which rejects
// exactly_once for every kind but kafka) returns errors that name the
// snake_case field and its bound, as *FieldError values joined together.
//
// # Enumerations
//
// [RetryStrategy], [DeliveryGuarantee] and [Status] are string types whose
// values are the wire strings; Parse… and UnmarshalText reject unknown
// values (case-sensitively) with an error listing the accepted ones.
//
// # Errors
//
// Operations classify their failures so the retry loop knows what to do
// (INTEGRATION.md §3.3): [Temporary] (also every unclassified error) is
// retried and counts for the breaker; [Permanent] stops at once but counts
// for the breaker (auth, missing endpoint, 4xx); [Invalid] belongs to one
// message (bad JSON, NaN, too large): not retried, not counted; the
// caller's context ending is never retried nor counted. [NotSent] marks a
// failure that certainly happened before sending (the only kind retried
// under at_most_once, see [SafeToResend]); [RetryAfter] carries a server
// delay. [TimeoutError] and [DecodeError] produce the exact texts
// "Connection timeout after 30.0s" and "JSON decode error: …".
// [ErrConnectorDisabled], [ErrPublisherDisabled], [ErrBufferFull],
// [ErrClosed] and [ErrMessageExpired] are sentinels; the breaker's
// ErrCircuitOpen ("Circuit breaker is open") lives in package breaker.
//
// # Redaction
//
// [RedactURL] strips user-info, query and fragment from a URL; [Redact]
// scrubs free text (URL credentials and queries, password=/token=/api_key=
// values, bearer tokens and any given secret). Component IDs, last-error
// texts and logged errors all go through it.
package integration
