package schema

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"time"

	"github.com/mfn-io/mfn-operator/pkg/integration"
	"github.com/mfn-io/mfn-operator/pkg/sim/features"
)

// Output envelope constants.
const (
	SchemaVersion      = "1"
	EventComplete      = "simulation_complete"
	EventFailed        = "simulation_failed"
	StatusComplete     = "complete"
	StatusFailed       = "failed"
	derivedIDPrefix    = "sim-"
	derivedIDHexDigits = 16
)

// Source names where the input of a result came from.
type Source struct {
	ConnectorID string `json:"connector_id"`
	Position    string `json:"position"`
}

// Timestamp is a time that marshals as RFC 3339 in UTC with a Z suffix
// (whole seconds unless the time has a fraction).
type Timestamp time.Time

// MarshalJSON implements json.Marshaler.
func (t Timestamp) MarshalJSON() ([]byte, error) {
	return json.Marshal(time.Time(t).UTC().Format(time.RFC3339Nano))
}

// UnmarshalJSON implements json.Unmarshaler.
func (t *Timestamp) UnmarshalJSON(b []byte) error {
	var tt time.Time
	if err := json.Unmarshal(b, &tt); err != nil {
		return err
	}
	*t = Timestamp(tt.UTC())
	return nil
}

// Result is the output envelope of INTEGRATION.md §9.2. Field order is the
// wire order.
type Result struct {
	EventID       string    `json:"event_id"`
	Event         string    `json:"event"`
	SchemaVersion string    `json:"schema_version"`
	SimulationID  string    `json:"simulation_id"`
	Status        string    `json:"status"`
	Timestamp     Timestamp `json:"timestamp"`
	// Params are the simulation parameters (any JSON-marshalable value,
	// e.g. sim.Params or json.RawMessage); omitted when nil.
	Params   any              `json:"params,omitempty"`
	Features *features.Vector `json:"features,omitempty"`
	Error    string           `json:"error,omitempty"`
	Source   Source           `json:"source"`
}

// EventID returns the first 32 hex digits of SHA-256(connectorID + "|" + position).
func EventID(connectorID, position string) string {
	sum := sha256.Sum256([]byte(connectorID + "|" + position))
	return hex.EncodeToString(sum[:16])
}

// SimulationIDFor returns simulationID, or, when it is empty, an ID derived
// from the source position: "sim-" + the first 16 hex digits of the event ID.
func SimulationIDFor(simulationID string, src Source) string {
	if simulationID != "" {
		return simulationID
	}
	return derivedIDPrefix + EventID(src.ConnectorID, src.Position)[:derivedIDHexDigits]
}

// Success builds the result of a completed simulation.
func Success(src Source, simulationID string, params any, f features.Vector, at time.Time) Result {
	return Result{EventID: EventID(src.ConnectorID, src.Position), Event: EventComplete,
		SchemaVersion: SchemaVersion, SimulationID: SimulationIDFor(simulationID, src),
		Status: StatusComplete, Timestamp: Timestamp(at.UTC()), Params: params, Features: &f, Source: src}
}

// Failure builds the result of a failed simulation; errText should be
// scrubbed of credentials by the caller.
func Failure(src Source, simulationID string, params any, errText string, at time.Time) Result {
	return Result{EventID: EventID(src.ConnectorID, src.Position), Event: EventFailed,
		SchemaVersion: SchemaVersion, SimulationID: SimulationIDFor(simulationID, src),
		Status: StatusFailed, Timestamp: Timestamp(at.UTC()), Params: params, Error: errText, Source: src}
}

// Marshal returns the compact JSON of r without HTML escaping. A
// non-finite number anywhere is an integration.Invalid error.
func (r Result) Marshal() ([]byte, error) {
	if body, ok := appendResult(nil, r); ok {
		return body, nil
	}
	return Marshal(r)
}

// Marshal is the compact, non-HTML-escaping JSON encoding used for every
// outgoing body. Values that cannot be encoded (NaN, ±Inf, channels…) are
// integration.Invalid errors.
func Marshal(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, integration.Invalid(fmt.Errorf("cannot serialise message: %w", err))
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}
