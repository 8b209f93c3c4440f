// Package pipeline is the runtime that binds one connector, N publishers and
// an optional dead-letter publisher to the simulation engine.
//
// A [Runtime] reads messages from its connector, simulates each one on a pool
// of workers, hands the result envelope to every publisher and acknowledges
// the source message only after every publisher accepted the result, which
// gives at-least-once delivery end to end. At most Config.MaxInFlight
// messages are between the connector and their acknowledgement (plus one per
// worker read ahead, which is handed back untouched if the pipeline stops
// before a worker takes it); once half of that window waits for publishers,
// they are flushed without waiting for their batch timeouts. Invalid parameters and failed
// simulations become failure envelopes for the dead-letter publisher; they are
// counted and acknowledged, never retried forever. While a publisher's circuit
// breaker is open the runtime stops reading from the connector; nothing is
// acknowledged or dropped meanwhile.
//
// # Settling a message
//
//   - every publisher accepted the result: Ack, counted as processed;
//   - the input could not be simulated: the failure envelope goes to the
//     dead-letter publisher (Ack once it accepted it) or, without one, the
//     message is counted as failed, logged with its payload and acknowledged;
//   - a publisher gave the result up (Outgoing.Done with an error, for
//     example under at_most_once after its retries): with a dead-letter
//     publisher the failure envelope (error + original payload) is
//     dead-lettered and the message acknowledged; without one the message is
//     Nacked so that the source delivers it again. A result is never
//     acknowledged silently.
//
// # Shutdown
//
// When the context given to [Runtime.Run] ends, the runtime stops reading
// from the connector, lets the workers finish the simulations in progress,
// flushes the publishers and settles what they confirmed, all within
// [Config.ShutdownGrace]. Messages still unsettled at the deadline are
// Nacked. Publishers and then the connector are disconnected last (the
// connector commits its acknowledged positions there).
//
// # Observability
//
// [NewSimProcessor] is the [Processor] of the MFN pipeline: strict decoding
// of the §9.1 message over the pipeline's defaults and limits, sim.Run with
// streaming features, and the §9.2 result or failure envelope of package
// schema.
//
// [Runtime.Status] returns the /status document of package status,
// [Runtime.Ready] the readiness of INTEGRATION.md §10.1, and the Runtime is a
// prometheus.Collector for the pipeline series. [Handler] serves /healthz,
// /readyz, /metrics and /status on one port.
package pipeline
