package schema

import (
	"bytes"
	"encoding/json"
	"fmt"
	"time"
	"unicode/utf8"

	"github.com/mfn-io/mfn-operator/pkg/integration"
)

// Envelope keys of the input message.
const (
	KeySimulationID     = "simulation_id"
	KeySimulationParams = "simulation_params"
	KeyTimestamp        = "timestamp"
)

// MaxSimulationIDLength bounds simulation_id.
const MaxSimulationIDLength = 256

// Input is a decoded input message.
type Input struct {
	// SimulationID is the message's simulation_id, "" when absent.
	SimulationID string
	// Params is the raw simulation parameter object.
	Params json.RawMessage
	// Timestamp is the message's timestamp, zero when absent.
	Timestamp time.Time
	// Envelope reports whether the message used the simulation_params envelope.
	Envelope bool
}

// DecodeInput splits one input message into simulation_id, timestamp and
// the raw parameter object. maxBytes > 0 bounds the message size. Errors
// are integration.Invalid (not retried, not counted by the breaker).
func DecodeInput(data []byte, maxBytes int) (Input, error) {
	if maxBytes > 0 && len(data) > maxBytes {
		return Input{}, integration.Invalid(fmt.Errorf(
			"message is %d bytes, larger than max_message_bytes (%d)", len(data), maxBytes))
	}
	if !utf8.Valid(data) {
		return Input{}, integration.DecodeError(fmt.Errorf("message is not valid UTF-8"))
	}
	trimmed := bytes.TrimSpace(data)
	if len(trimmed) == 0 {
		return Input{}, integration.DecodeError(fmt.Errorf("message is empty"))
	}
	if trimmed[0] != '{' {
		if !json.Valid(trimmed) {
			return Input{}, integration.DecodeError(syntaxDetail(trimmed))
		}
		return Input{}, integration.Invalid(fmt.Errorf("message must be a JSON object, got %s", jsonKind(trimmed)))
	}
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(trimmed, &obj); err != nil {
		return Input{}, integration.DecodeError(err)
	}
	var in Input
	var err error
	if in.SimulationID, err = simulationID(obj[KeySimulationID]); err != nil {
		return Input{}, integration.Invalid(err)
	}
	if in.Timestamp, err = timestamp(obj[KeyTimestamp]); err != nil {
		return Input{}, integration.Invalid(err)
	}
	if raw, ok := obj[KeySimulationParams]; ok {
		if err := checkEnvelopeKeys(obj); err != nil {
			return Input{}, integration.Invalid(err)
		}
		if k := jsonKind(raw); k != "object" {
			return Input{}, integration.Invalid(fmt.Errorf("simulation_params must be a JSON object, got %s", k))
		}
		in.Params, in.Envelope = raw, true
		return in, nil
	}
	delete(obj, KeySimulationID)
	delete(obj, KeyTimestamp)
	in.Params, err = json.Marshal(obj)
	if err != nil {
		return Input{}, integration.Invalid(err)
	}
	return in, nil
}

func checkEnvelopeKeys(obj map[string]json.RawMessage) error {
	for k := range obj {
		switch k {
		case KeySimulationID, KeySimulationParams, KeyTimestamp:
		default:
			return fmt.Errorf("unexpected key %q next to simulation_params (allowed: simulation_id, simulation_params, timestamp)", k)
		}
	}
	return nil
}

func simulationID(raw json.RawMessage) (string, error) {
	if raw == nil || string(raw) == "null" {
		return "", nil
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		return "", fmt.Errorf("simulation_id must be a string, got %s", jsonKind(raw))
	}
	if s == "" || len(s) > MaxSimulationIDLength {
		return "", fmt.Errorf("simulation_id must be 1 to %d bytes long, got %d", MaxSimulationIDLength, len(s))
	}
	return s, nil
}

func timestamp(raw json.RawMessage) (time.Time, error) {
	if raw == nil || string(raw) == "null" {
		return time.Time{}, nil
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		return time.Time{}, fmt.Errorf("timestamp must be an RFC 3339 string, got %s", jsonKind(raw))
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("timestamp %q is not RFC 3339 (e.g. 2025-12-04T12:00:00Z)", s)
	}
	return t.UTC(), nil
}

// jsonKind names the JSON type of a valid value.
func jsonKind(raw []byte) string {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 {
		return "nothing"
	}
	switch raw[0] {
	case '{':
		return "object"
	case '[':
		return "array"
	case '"':
		return "string"
	case 't', 'f':
		return "boolean"
	case 'n':
		return "null"
	default:
		return "number"
	}
}

func syntaxDetail(data []byte) error {
	var v any
	if err := json.Unmarshal(data, &v); err != nil {
		return err
	}
	return fmt.Errorf("invalid JSON")
}
