// Package redis is the Redis publisher of INTEGRATION.md §8.6.
//
// In the default pubsub mode every message is one PUBLISH <channel> <body>.
// Redis pub/sub keeps nothing: a message published while no client is
// subscribed is dropped by the server, yet the PUBLISH succeeds. The
// publisher records the receiver count of each PUBLISH (debug log,
// [Publisher.ZeroReceivers] and the mfn_publisher_redis_zero_receivers_total
// counter); Options.RequireSubscribers turns 0 receivers into a retryable
// failure, so at_least_once keeps the message until someone listens.
//
// Receivers that need durability use stream mode: every message is
//
//	XADD <channel> [MAXLEN ~ N] * payload <body> event_id <id> key <simulation id>
//
// and consumers read the stream at their own pace (XREAD / consumer groups),
// de-duplicating redeliveries by event_id.
//
// The messages of a flush are pipelined, batch_size commands per round trip,
// one pipeline at a time by default, so they are executed in publish
// order. Options.MaxInFlight > 1 (at_least_once only) sends that many
// pipelines at once on separate pooled connections: pipelines sent together
// may be executed in any order (so may two messages with the same key), and
// when one fails, the ones sent with it are sent again (duplicates, which
// stream consumers drop by event_id).
//
// Connect PINGs the server. The go-redis client's own retries are disabled
// so that the publisher's retry loop and breaker are the only ones.
// Compression is not supported (ignored with a warning) and exactly_once is
// rejected.
package redis
