// Package schema holds the message formats of the integration layer
// (INTEGRATION.md §9): the input envelope carrying simulation parameters
// and the output envelope carrying results.
//
// # Input
//
// DecodeInput accepts the envelope
//
//	{"simulation_id": "sim-1", "simulation_params": {…}, "timestamp": "2025-12-04T12:00:00Z"}
//
// (simulation_id and timestamp optional, no other keys) or a flat object
// whose keys are the parameters themselves (an optional simulation_id and
// timestamp are taken out). It returns the raw parameter object; strict
// decoding of the values is sim.DecodeParams' job. Every error is a
// per-message error (integration.Invalid): "JSON decode error: …" for
// malformed JSON, otherwise a text naming what is wrong.
//
// # Output
//
// Result is the one envelope every publisher sends, in struct-field order:
// event_id, event, schema_version, simulation_id, status, timestamp,
// params, features (success) or error (failure), source. Marshal produces
// compact JSON without HTML escaping; NaN or ±Inf anywhere is a
// per-message error. EventID is the first 32 hex digits of
// SHA-256(connector_id + "|" + position), so a replay after a crash keeps
// the same ID.
//
// # Publisher options
//
// MarshalWith encodes a result in EncodeOptions: payload_format envelope or
// flat (simulation_id, the features at top level, timestamp) and nonfinite
// reject or null (INTEGRATION.md §9.2, §9.4). A pipeline encodes each
// result once with MarshalShared; a Formatter around each publisher turns
// that body into the publisher's own options (Reformat).
package schema
