// Package batch is the batching engine shared by every publisher
// (INTEGRATION.md §8.1, §8.2). A concrete publisher supplies a Sink (open,
// send one message, close); New wraps it into a complete
// integration.Publisher:
//
//   - a bounded buffer of max_buffered_messages: Publish blocks while it is
//     full (or fails with ErrBufferFull when block_on_full is off) and
//     returns as soon as the message is enqueued;
//   - a dedicated flush goroutine that flushes when the buffer reaches
//     batch_size (whole batches only; the rest waits for the next trigger),
//     when the oldest message is batch_timeout old, on Flush(ctx) and on
//     Disconnect(ctx) (everything buffered);
//   - messages sent in order, in runs of at most batch_size, each run as
//     one operation through the retry loop and the circuit breaker (one
//     permit per attempt); the sink is connected lazily before the first
//     send. A plain Sink gets the messages of a run one Send after the other
//     (each request bounded by the sink's own timeout); a sink that
//     implements BatchSender gets the run in one SendBatch call (pipelining,
//     with the per-attempt deadline). A retry resumes after the messages
//     already accepted. A sink that implements Syncer (fsync) has the
//     messages of a flush count as delivered only after Sync succeeded;
//   - at_least_once (and exactly_once, for Kafka): on failure only the
//     unsent remainder stays at the head of the buffer and is retried with
//     backoff; at_most_once: the failed message is dropped (only failures
//     that certainly happened before sending are retried) and the next one
//     is sent; permanent and invalid errors drop the message under every
//     guarantee;
//   - buffered messages older than max_message_age are given up;
//   - every message's Done callback is called exactly once, with nil or
//     the error it was given up with;
//   - the §5.2 metrics, exact but updated once per accepted run:
//     messages_sent and bytes_sent per delivered message,
//     batches_sent per flush in which every message was delivered,
//     publish_errors per failed send operation (breaker refusals included),
//     retry_count per failed attempt, messages_failed per message given up,
//     and the buffered gauge; a "Memory usage increasing" warning when the
//     buffer passes 80 % of its capacity.
//
// The per-message cost is an append to a ring buffer under a mutex and a
// copy into the run being sent: no channel send, goroutine, timer, context
// or allocation per message (BenchmarkPublishFlush).
//
// # Example
//
//	type redisSink struct{ … }            // Open pings, Send publishes, Close closes
//	p, err := batch.New(cfg, &redisSink{…}, component.Options{ID: "redis-" + channel, Kind: "redis"})
//	err = p.Publish(ctx, integration.Outgoing{EventID: id, Body: body, Done: func(err error) { … }})
//	err = p.Disconnect(ctx)              // flushes within ctx, then closes
package batch
