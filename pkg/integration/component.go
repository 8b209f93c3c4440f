package integration

import (
	"context"
	"sync"
	"time"
)

// Message is one unit of input handed out by a [Connector].
//
// A message must be settled exactly once with Ack (every publisher accepted
// the result, or the message was dead-lettered) or Nack (it must be delivered
// again). Settling twice is a no-op. A connector never acknowledges a message
// on its own, which is what makes delivery at-least-once.
type Message struct {
	// ConnectorID is the ID of the connector that produced the message.
	ConnectorID string
	// Position is the source position of INTEGRATION.md §9.3.
	Position string
	// Payload is the raw bytes as received.
	Payload []byte
	// Received is when the connector read the message (UTC).
	Received time.Time
	// Metadata carries source details (topic, partition, file name, row key…).
	Metadata map[string]string

	once   sync.Once
	settle func(ctx context.Context, err error) error
}

// NewMessage returns a message whose Ack calls settle(ctx, nil) and whose
// Nack calls settle(ctx, reason). settle may be nil.
func NewMessage(connectorID, position string, payload []byte, received time.Time,
	settle func(ctx context.Context, reason error) error) *Message {
	return &Message{ConnectorID: connectorID, Position: position, Payload: payload,
		Received: received, settle: settle}
}

// Ack acknowledges the message: the source may forget it.
func (m *Message) Ack(ctx context.Context) error { return m.done(ctx, nil) }

// Nack gives the message back to the source so that it is delivered again.
func (m *Message) Nack(ctx context.Context, reason error) error {
	if reason == nil {
		reason = errNackNoReason
	}
	return m.done(ctx, reason)
}

func (m *Message) done(ctx context.Context, reason error) error {
	var err error
	m.once.Do(func() {
		if m.settle != nil {
			err = m.settle(ctx, reason)
		}
	})
	return err
}

// Connector is a source of simulation parameters (INTEGRATION.md §7).
type Connector interface {
	// ID is the component identifier (§1.2).
	ID() string
	// Kind is kafka, file, rest or database.
	Kind() string
	// Connect opens the client or validates the source. Calling it twice is safe.
	Connect(ctx context.Context) error
	// Consume sends messages to out until the source is exhausted (returns
	// nil), ctx ends (returns ctx.Err()) or a terminal error occurs. It does
	// not close out. A slow reader pauses consumption (back-pressure).
	Consume(ctx context.Context, out chan<- *Message) error
	// Disconnect closes resources; status becomes disconnected.
	Disconnect(ctx context.Context) error
	// Snapshot returns the component's status, breaker and metrics.
	Snapshot() ComponentSnapshot
}

// Outgoing is one result handed to a [Publisher].
type Outgoing struct {
	// Key is the routing/partition key (the simulation_id).
	Key string
	// EventID is the idempotency key of the message (§9.2).
	EventID string
	// Body is the serialised JSON envelope; publishers never reshape it.
	Body []byte
	// Done, when not nil, is called exactly once: with nil when the
	// destination accepted the message, or with the error it was given up
	// with. It must not block.
	Done func(err error)
}

// Publisher is a sink for results (INTEGRATION.md §8).
type Publisher interface {
	// ID is the component identifier (§1.2).
	ID() string
	// Kind is kafka, webhook, redis, rabbitmq or jsonl.
	Kind() string
	// Connect opens the client. Calling it twice is safe.
	Connect(ctx context.Context) error
	// Publish enqueues one message into the batch buffer. It blocks while the
	// buffer is full (or fails with ErrBufferFull when configured not to block).
	Publish(ctx context.Context, msg Outgoing) error
	// Flush sends everything buffered and returns the aggregated error.
	Flush(ctx context.Context) error
	// Disconnect stops accepting, flushes within ctx, then closes.
	Disconnect(ctx context.Context) error
	// Snapshot returns the component's status, breaker and metrics.
	Snapshot() ComponentSnapshot
}

// errNackNoReason is the reason given to a connector when Nack is called with nil.
var errNackNoReason = errorString("message not acknowledged")

type errorString string

func (e errorString) Error() string { return string(e) }

// MetadataError is the Message.Metadata key a connector sets when it hands
// out an input unit that cannot become a valid message (not JSON, not an
// object, over max_message_bytes). The pipeline fails such a message without
// simulating it and routes it to the dead-letter publisher.
const MetadataError = "error"
