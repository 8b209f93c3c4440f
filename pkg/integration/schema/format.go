package schema

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"reflect"
	"slices"
	"strconv"
	"strings"

	"github.com/mfn-io/mfn-operator/pkg/integration"
	"github.com/mfn-io/mfn-operator/pkg/sim/features"
)

// EncodeOptions select the shape of an encoded result and what happens to
// non-finite numbers in it (INTEGRATION.md §9.2, §9.4). The zero value is
// the envelope with non-finite numbers rejected.
type EncodeOptions struct {
	// Format is envelope (default) or flat.
	Format integration.PayloadFormat
	// NonFinite is reject (default) or null.
	NonFinite integration.NonFinitePolicy
}

// OptionsOf returns the encoding options of a publisher configuration.
func OptionsOf(c integration.PublisherConfig) EncodeOptions {
	return EncodeOptions{Format: c.PayloadFormat, NonFinite: c.NonFinite}
}

func (o EncodeOptions) flat() bool      { return o.Format == integration.PayloadFlat }
func (o EncodeOptions) nullable() bool  { return o.NonFinite == integration.NonFiniteNull }
func (o EncodeOptions) isDefault() bool { return !o.flat() && !o.nullable() }

// Validate names the option that is not one of its values.
func (o EncodeOptions) Validate() error {
	var errs []error
	if o.Format != "" {
		if _, err := integration.ParsePayloadFormat(string(o.Format)); err != nil {
			errs = append(errs, err)
		}
	}
	if o.NonFinite != "" {
		if _, err := integration.ParseNonFinitePolicy(string(o.NonFinite)); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// MarshalWith encodes r in the shape o selects. With NonFinite reject (the
// default) a NaN or ±Inf anywhere is an integration.Invalid error naming
// its path (e.g. features.V_skew); with null it is encoded as null.
//
// The flat shape is the SEED-compatible object: simulation_id, the 18
// features at top level in canonical order, timestamp. A failure (no
// features) flattens to simulation_id, event, status, error, timestamp.
func (r Result) MarshalWith(o EncodeOptions) ([]byte, error) {
	if err := o.Validate(); err != nil {
		return nil, integration.Invalid(err)
	}
	var v any = r
	if o.flat() {
		v = flatOf(r)
	}
	if o.nullable() {
		return Marshal(nullNonFinite(v))
	}
	body, err := Marshal(v)
	if err != nil {
		if paths := nonFinitePaths(v); len(paths) > 0 {
			return nil, nonFiniteError(paths)
		}
	}
	return body, err
}

// ErrNonFinite is matched (errors.Is) by the error of a result rejected
// because it holds NaN or ±Inf.
var ErrNonFinite = errors.New("non-finite number")

func nonFiniteError(paths []string) error {
	return integration.Invalid(fmt.Errorf("%w at %s: it has no JSON form and nonfinite is reject (set nonfinite: null to send null)",
		ErrNonFinite, strings.Join(paths, ", ")))
}

// flatOf returns the flat shape of r.
func flatOf(r Result) object {
	o := object{{"simulation_id", r.SimulationID}}
	if r.Features == nil {
		return append(o, field{"event", r.Event}, field{"status", r.Status}, field{"error", r.Error},
			field{"timestamp", r.Timestamp})
	}
	vals := r.Features.Values()
	for i, name := range features.Names() {
		o = append(o, field{name, vals[i]})
	}
	return append(o, field{"timestamp", r.Timestamp})
}

// object is a JSON object whose keys keep their order.
type object []field

type field struct {
	key   string
	value any
}

// MarshalJSON implements json.Marshaler.
func (o object) MarshalJSON() ([]byte, error) {
	var buf bytes.Buffer
	buf.WriteByte('{')
	for i, f := range o {
		if i > 0 {
			buf.WriteByte(',')
		}
		k, err := Marshal(f.key)
		if err != nil {
			return nil, err
		}
		v, err := Marshal(f.value)
		if err != nil {
			return nil, err
		}
		buf.Write(k)
		buf.WriteByte(':')
		buf.Write(v)
	}
	buf.WriteByte('}')
	return buf.Bytes(), nil
}

var marshalerType = reflect.TypeFor[json.Marshaler]()

// nullNonFinite returns a copy of v, for JSON encoding, in which every NaN
// and ±Inf is nil. Structs become objects in field order (json tags, "-",
// omitempty and omitzero honoured; embedded structs inlined); values whose
// type has its own MarshalJSON are kept as they are.
func nullNonFinite(v any) any {
	var w walker
	return w.walk(reflect.ValueOf(v), "")
}

// nonFinitePaths returns the paths of the non-finite numbers in v.
func nonFinitePaths(v any) []string {
	w := walker{record: true}
	w.walk(reflect.ValueOf(v), "")
	return w.paths
}

type walker struct {
	record bool
	paths  []string
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

func (w *walker) walk(v reflect.Value, path string) any {
	if !v.IsValid() {
		return nil
	}
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface:
		if v.IsNil() {
			return nil
		}
	}
	if o, ok := v.Interface().(object); ok {
		out := make(object, len(o))
		for i, f := range o {
			out[i] = field{f.key, w.walk(reflect.ValueOf(f.value), join(path, f.key))}
		}
		return out
	}
	if v.Type().Implements(marshalerType) {
		return v.Interface()
	}
	switch v.Kind() {
	case reflect.Float32, reflect.Float64:
		if f := v.Float(); math.IsNaN(f) || math.IsInf(f, 0) {
			if w.record {
				w.paths = append(w.paths, path)
			}
			return nil
		}
		return v.Interface()
	case reflect.Pointer, reflect.Interface:
		return w.walk(v.Elem(), path)
	case reflect.Struct:
		return w.structObject(v, path, nil)
	case reflect.Map:
		if v.IsNil() || v.Type().Key().Kind() != reflect.String {
			return v.Interface()
		}
		m := make(map[string]any, v.Len())
		keys := v.MapKeys()
		slices.SortFunc(keys, func(a, b reflect.Value) int { return strings.Compare(a.String(), b.String()) })
		for _, k := range keys {
			m[k.String()] = w.walk(v.MapIndex(k), join(path, k.String()))
		}
		return m
	case reflect.Slice:
		if v.IsNil() || v.Type().Elem().Kind() == reflect.Uint8 {
			return v.Interface()
		}
		fallthrough
	case reflect.Array:
		out := make([]any, v.Len())
		for i := range out {
			out[i] = w.walk(v.Index(i), path+"["+strconv.Itoa(i)+"]")
		}
		return out
	default:
		return v.Interface()
	}
}

func (w *walker) structObject(v reflect.Value, path string, o object) object {
	t := v.Type()
	for i := range t.NumField() {
		sf := t.Field(i)
		name, opts, _ := strings.Cut(sf.Tag.Get("json"), ",")
		if name == "-" && opts == "" {
			continue
		}
		fv := v.Field(i)
		if sf.Anonymous && name == "" && fv.Kind() == reflect.Struct {
			o = w.structObject(fv, path, o)
			continue
		}
		if !sf.IsExported() {
			continue
		}
		if name == "" {
			name = sf.Name
		}
		if hasOpt(opts, "omitzero") && fv.IsZero() || hasOpt(opts, "omitempty") && isEmpty(fv) {
			continue
		}
		o = append(o, field{name, w.walk(fv, join(path, name))})
	}
	return o
}

func hasOpt(opts, name string) bool { return slices.Contains(strings.Split(opts, ","), name) }

// isEmpty is encoding/json's omitempty test.
func isEmpty(v reflect.Value) bool {
	switch v.Kind() {
	case reflect.Array, reflect.Map, reflect.Slice, reflect.String:
		return v.Len() == 0
	case reflect.Bool, reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr,
		reflect.Float32, reflect.Float64:
		return v.IsZero()
	case reflect.Interface, reflect.Pointer:
		return v.IsNil()
	}
	return false
}
