package schema

import (
	"math"
	"strconv"
	"time"

	"github.com/mfn-io/mfn-operator/pkg/sim"
	"github.com/mfn-io/mfn-operator/pkg/sim/features"
)

// appendResult appends r's JSON exactly as Marshal writes it, without
// reflection, for the envelopes a pipeline builds for every message: params
// nil or a sim.Params, every number finite, every string printable ASCII
// (so that no escaping applies). It reports false for anything else, and
// the caller uses Marshal, which also turns non-finite numbers into its
// errors. A simulation at grid 32 takes a third of a millisecond, and
// encoding/json took several microseconds of it.
func appendResult(b []byte, r Result) ([]byte, bool) {
	switch r.Params.(type) {
	case nil, sim.Params:
	default:
		return b, false
	}
	if b == nil {
		b = make([]byte, 0, resultBufSize)
	}
	ok := true
	str := func(key, s string) {
		b = append(b, key...)
		b, ok = appendPlainString(b, s, ok)
	}
	str(`{"event_id":`, r.EventID)
	str(`,"event":`, r.Event)
	str(`,"schema_version":`, r.SchemaVersion)
	str(`,"simulation_id":`, r.SimulationID)
	str(`,"status":`, r.Status)
	b = append(b, `,"timestamp":"`...)
	b = time.Time(r.Timestamp).UTC().AppendFormat(b, time.RFC3339Nano) // digits, "-:.TZ"
	b = append(b, '"')
	if p, isParams := r.Params.(sim.Params); isParams {
		b = append(b, `,"params":`...)
		b, ok = appendParams(b, p, ok)
	}
	if r.Features != nil {
		b = append(b, `,"features":`...)
		b, ok = appendFeatures(b, r.Features, ok)
	}
	if r.Error != "" {
		str(`,"error":`, r.Error)
	}
	str(`,"source":{"connector_id":`, r.Source.ConnectorID)
	str(`,"position":`, r.Source.Position)
	return append(b, "}}"...), ok
}

// resultBufSize is the initial buffer of an envelope: a simulation result
// with its parameters and features is about 900 bytes.
const resultBufSize = 1024

func appendParams(b []byte, p sim.Params, ok bool) ([]byte, bool) {
	b = strconv.AppendInt(append(b, `{"grid_size":`...), int64(p.GridSize), 10)
	b = strconv.AppendInt(append(b, `,"steps":`...), int64(p.Steps), 10)
	b, ok = appendFloat(append(b, `,"alpha":`...), p.Alpha, ok)
	b, ok = appendFloat(append(b, `,"spike_probability":`...), p.SpikeProbability, ok)
	b = strconv.AppendBool(append(b, `,"turing_enabled":`...), p.TuringEnabled)
	b, ok = appendFloat(append(b, `,"turing_threshold":`...), p.TuringThreshold, ok)
	b = strconv.AppendBool(append(b, `,"quantum_jitter":`...), p.QuantumJitter)
	b, ok = appendFloat(append(b, `,"jitter_var":`...), p.JitterVar, ok)
	b = append(b, `,"seed":`...)
	if p.Seed == nil {
		b = append(b, "null"...)
	} else {
		b = strconv.AppendInt(b, *p.Seed, 10)
	}
	b = append(b, `,"boundary_condition":`...)
	b, ok = appendPlainString(b, p.BoundaryCondition, ok)
	b, ok = appendFloat(append(b, `,"d_activator":`...), p.DActivator, ok)
	b, ok = appendFloat(append(b, `,"d_inhibitor":`...), p.DInhibitor, ok)
	b, ok = appendFloat(append(b, `,"r_activator":`...), p.RActivator, ok)
	b, ok = appendFloat(append(b, `,"r_inhibitor":`...), p.RInhibitor, ok)
	return append(b, '}'), ok
}

func appendFeatures(b []byte, v *features.Vector, ok bool) ([]byte, bool) {
	b, ok = appendFloat(append(b, `{"D_box":`...), v.DBox, ok)
	b, ok = appendFloat(append(b, `,"D_r2":`...), v.DR2, ok)
	b, ok = appendFloat(append(b, `,"V_min":`...), v.VMin, ok)
	b, ok = appendFloat(append(b, `,"V_max":`...), v.VMax, ok)
	b, ok = appendFloat(append(b, `,"V_mean":`...), v.VMean, ok)
	b, ok = appendFloat(append(b, `,"V_std":`...), v.VStd, ok)
	b, ok = appendFloat(append(b, `,"V_skew":`...), v.VSkew, ok)
	b, ok = appendFloat(append(b, `,"V_kurt":`...), v.VKurt, ok)
	b, ok = appendFloat(append(b, `,"dV_mean":`...), v.DVMean, ok)
	b, ok = appendFloat(append(b, `,"dV_max":`...), v.DVMax, ok)
	b = strconv.AppendInt(append(b, `,"T_stable":`...), int64(v.TStable), 10)
	b, ok = appendFloat(append(b, `,"E_trend":`...), v.ETrend, ok)
	b, ok = appendFloat(append(b, `,"f_active":`...), v.FActive, ok)
	b = strconv.AppendInt(append(b, `,"N_clusters_low":`...), int64(v.NClustersLow), 10)
	b = strconv.AppendInt(append(b, `,"N_clusters_med":`...), int64(v.NClustersMed), 10)
	b = strconv.AppendInt(append(b, `,"N_clusters_high":`...), int64(v.NClustersHigh), 10)
	b = strconv.AppendInt(append(b, `,"max_cluster_size":`...), int64(v.MaxClusterSize), 10)
	b, ok = appendFloat(append(b, `,"cluster_size_std":`...), v.ClusterSizeStd, ok)
	return append(b, '}'), ok
}

// appendFloat writes f as encoding/json does for a float64: the shortest
// representation that reads back as f, in %f form, or in %e form when
// |f| < 1e-6 or |f| >= 1e21, with a one-digit negative exponent not
// zero-padded (1e-07 becomes 1e-7). NaN and infinities clear ok.
func appendFloat(b []byte, f float64, ok bool) ([]byte, bool) {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return b, false
	}
	format := byte('f')
	if abs := math.Abs(f); abs != 0 && (abs < 1e-6 || abs >= 1e21) {
		format = 'e'
	}
	b = strconv.AppendFloat(b, f, format, -1, 64)
	if format == 'e' {
		if n := len(b); n >= 4 && b[n-4] == 'e' && b[n-3] == '-' && b[n-2] == '0' {
			b[n-2] = b[n-1]
			b = b[:n-1]
		}
	}
	return b, ok
}

// appendPlainString writes s quoted when every byte is printable ASCII
// other than '"' and '\\', which JSON writes as they are; otherwise it
// clears ok (the caller falls back to encoding/json for the escaping).
func appendPlainString(b []byte, s string, ok bool) ([]byte, bool) {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c > 0x7e || c == '"' || c == '\\' {
			return b, false
		}
	}
	b = append(b, '"')
	b = append(b, s...)
	return append(b, '"'), ok
}
