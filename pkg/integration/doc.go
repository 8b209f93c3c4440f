// Package integration implements the connectors and publishers of the MFN
// integration contract (shared spec INTEGRATION.md): sources of simulation
// parameters (Kafka, file feed, REST polling, PostgreSQL), sinks for results
// (Kafka, HMAC-signed webhook, Redis, RabbitMQ, JSON Lines files), their
// configuration, retry policy, circuit breaker, batching and metrics.
//
// Every connector hands out [Message] values that must be acknowledged once
// the result has been accepted by every publisher, which gives at-least-once
// delivery end to end.
package integration
