// Package rabbitmq is the RabbitMQ (AMQP 0-9-1) publisher of
// INTEGRATION.md §8.7.
//
// Connect dials the broker, puts a channel in confirm mode and declares the
// exchange (durable, not auto-deleted, type topic unless configured), plus
// an optional durable queue bound to it. Every message is published with
// the configured routing key, delivery mode 2 (persistent), the mandatory
// flag and the properties content_type=application/json,
// message_id=<event_id>, timestamp, app_id=mfn and the header
// simulation_id=<key>; with compression the body is gzipped and
// content_encoding is gzip.
//
// A message counts as delivered only once the broker confirmed it. The
// messages of a flush are pipelined in runs of batch_size (the engine's
// runs; at most 256 per confirm wait): a run is published, then its
// confirms awaited, and the engine is told how many leading messages were
// confirmed (a failure in the middle re-sends the later ones: duplicates,
// never losses). A nack or a
// confirm that does not arrive within the timeout is a transient failure
// (retried); a basic.return (no queue bound for the routing key) is a
// permanent failure ([ErrUnroutable]) so the message is counted in
// messages_failed instead of vanishing. After a lost connection or channel
// the next send dials a new session. exactly_once is rejected.
package rabbitmq
