package schema

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"

	"github.com/mfn-io/mfn-operator/pkg/integration"
)

// sharedNonFinite starts a shared body whose result held non-finite numbers.
var sharedNonFinite = []byte(`{"nonfinite":`)

// MarshalShared is the encoding a pipeline makes once per result for all of
// its publishers, each of which applies its own [EncodeOptions] through a
// [Formatter]. When every number is finite it is exactly Marshal's envelope.
// Otherwise the envelope carries those numbers as null and starts with a
// "nonfinite" key listing their paths; a Formatter then rejects the message
// (nonfinite reject, the default) or drops the key (nonfinite null). Such a
// body must only reach publishers through a Formatter.
func (r Result) MarshalShared() ([]byte, error) {
	if body, ok := appendResult(nil, r); ok {
		return body, nil
	}
	body, err := Marshal(r)
	if err == nil {
		return body, nil
	}
	paths := nonFinitePaths(r)
	if len(paths) == 0 {
		return nil, err
	}
	nulled, err := Marshal(nullNonFinite(r))
	if err != nil {
		return nil, err
	}
	list, err := Marshal(paths)
	if err != nil {
		return nil, err
	}
	out := make([]byte, 0, len(sharedNonFinite)+len(list)+len(nulled))
	out = append(append(append(out, sharedNonFinite...), list...), ',')
	return append(out, nulled[1:]...), nil
}

// Reformat turns an envelope body made by Marshal or MarshalShared into the
// shape o selects, applying o's non-finite policy to a shared body that
// carries non-finite numbers (reject: an integration.Invalid error matching
// ErrNonFinite and naming their paths). Other bodies pass unchanged unless
// o asks for the flat shape.
func Reformat(body []byte, o EncodeOptions) ([]byte, error) {
	if bytes.HasPrefix(body, sharedNonFinite) {
		var paths []string
		dec := json.NewDecoder(bytes.NewReader(body[len(sharedNonFinite):]))
		if err := dec.Decode(&paths); err != nil {
			return nil, integration.Invalid(fmt.Errorf("malformed nonfinite list: %w", err))
		}
		if !o.nullable() {
			return nil, nonFiniteError(paths)
		}
		rest := body[len(sharedNonFinite)+int(dec.InputOffset()):]
		if len(rest) == 0 || rest[0] != ',' {
			return nil, integration.Invalid(fmt.Errorf("malformed shared result body"))
		}
		body = append([]byte{'{'}, rest[1:]...)
	}
	if !o.flat() {
		return body, nil
	}
	return flatten(body)
}

// flatten reshapes an envelope body into the flat shape without decoding
// the numbers: the features object's members are copied as they are.
func flatten(body []byte) ([]byte, error) {
	var e struct {
		SimulationID json.RawMessage `json:"simulation_id"`
		Event        json.RawMessage `json:"event"`
		Status       json.RawMessage `json:"status"`
		Timestamp    json.RawMessage `json:"timestamp"`
		Features     json.RawMessage `json:"features"`
		Error        json.RawMessage `json:"error"`
	}
	if err := json.Unmarshal(body, &e); err != nil {
		return nil, integration.Invalid(fmt.Errorf("payload_format flat: the body is not a result envelope: %w", err))
	}
	if e.SimulationID == nil || e.Timestamp == nil {
		return nil, integration.Invalid(fmt.Errorf("payload_format flat: the body is not a result envelope (no simulation_id or timestamp)"))
	}
	if e.Features == nil {
		return Marshal(object{{"simulation_id", e.SimulationID}, {"event", e.Event}, {"status", e.Status},
			{"error", e.Error}, {"timestamp", e.Timestamp}})
	}
	members := bytes.TrimSpace(e.Features)
	if len(members) < 2 || members[0] != '{' {
		return nil, integration.Invalid(fmt.Errorf("payload_format flat: features is not an object"))
	}
	members = bytes.TrimSpace(members[1 : len(members)-1])
	out := make([]byte, 0, len(body))
	out = append(append(append(out, `{"simulation_id":`...), e.SimulationID...), ',')
	if len(members) > 0 {
		out = append(append(out, members...), ',')
	}
	return append(append(append(out, `"timestamp":`...), e.Timestamp...), '}'), nil
}

// Formatter is a publisher that re-encodes every body into its own
// [EncodeOptions] before handing it on (see MarshalShared). With the
// default options it only checks for a shared body with non-finite numbers.
type Formatter struct {
	integration.Publisher
	opts EncodeOptions
}

var _ integration.Publisher = (*Formatter)(nil)

// NewFormatter wraps p; it fails when o is invalid.
func NewFormatter(p integration.Publisher, o EncodeOptions) (*Formatter, error) {
	if err := o.Validate(); err != nil {
		return nil, err
	}
	return &Formatter{Publisher: p, opts: o}, nil
}

// Options returns the formatter's options.
func (f *Formatter) Options() EncodeOptions { return f.opts }

// Publish reformats msg.Body and publishes it. A body that cannot take the
// formatter's shape is an integration.Invalid error (msg.Done is not called).
func (f *Formatter) Publish(ctx context.Context, msg integration.Outgoing) error {
	if f.opts.isDefault() && !bytes.HasPrefix(msg.Body, sharedNonFinite) {
		return f.Publisher.Publish(ctx, msg)
	}
	body, err := Reformat(msg.Body, f.opts)
	if err != nil {
		return err
	}
	msg.Body = body
	return f.Publisher.Publish(ctx, msg)
}
