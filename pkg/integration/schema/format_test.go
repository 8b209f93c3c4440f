package schema

import (
	"context"
	"encoding/json"
	"errors"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/mfn-io/mfn-operator/pkg/integration"
	"github.com/mfn-io/mfn-operator/pkg/sim/features"
)

type testParams struct {
	GridSize int      `json:"grid_size"`
	Alpha    float64  `json:"alpha"`
	Seed     *int64   `json:"seed"`
	Skip     float64  `json:"-"`
	Extra    []string `json:"extra,omitempty"`
}

var formatSource = Source{ConnectorID: "kafka-in", Position: "in/0/7"}
var formatTime = time.Date(2025, 12, 4, 12, 0, 0, 0, time.UTC)

func formatVector() features.Vector {
	return features.Vector{DBox: 1.584, DR2: 0.97, VMin: -82.1, VMax: -41, VMean: -67.5, VStd: 9.8, VSkew: 0.1,
		VKurt: -0.4, DVMean: 0.5, DVMax: 4.2, TStable: 50, ETrend: -0.1, FActive: 0.42, NClustersLow: 10,
		NClustersMed: 5, NClustersHigh: 2, MaxClusterSize: 100, ClusterSizeStd: 20}
}

const flatFeatures = `"D_box":1.584,"D_r2":0.97,"V_min":-82.1,"V_max":-41,"V_mean":-67.5,"V_std":9.8,` +
	`"V_skew":0.1,"V_kurt":-0.4,"dV_mean":0.5,"dV_max":4.2,"T_stable":50,"E_trend":-0.1,"f_active":0.42,` +
	`"N_clusters_low":10,"N_clusters_med":5,"N_clusters_high":2,"max_cluster_size":100,"cluster_size_std":20`

var flat = EncodeOptions{Format: integration.PayloadFlat}

// TestFlatShape: the SEED-compatible flat object, from the result and from
// an envelope body, byte for byte the same.
func TestFlatShape(t *testing.T) {
	ok := Success(formatSource, "sim-456", testParams{GridSize: 64, Alpha: 0.18}, formatVector(), formatTime)
	bad := Failure(formatSource, "", json.RawMessage(`{"grid_size":"x"}`), "grid_size: must be an integer", formatTime)
	for _, c := range []struct {
		name string
		r    Result
		want string
	}{
		{"success", ok, `{"simulation_id":"sim-456",` + flatFeatures + `,"timestamp":"2025-12-04T12:00:00Z"}`},
		{"failure", bad, `{"simulation_id":"` + bad.SimulationID + `","event":"simulation_failed","status":"failed",` +
			`"error":"grid_size: must be an integer","timestamp":"2025-12-04T12:00:00Z"}`},
	} {
		got, err := c.r.MarshalWith(flat)
		if err != nil || string(got) != c.want {
			t.Fatalf("%s: MarshalWith(flat) = %s, %v\nwant %s", c.name, got, err, c.want)
		}
		envelope, err := c.r.Marshal()
		if err != nil {
			t.Fatal(err)
		}
		re, err := Reformat(envelope, flat)
		if err != nil || string(re) != c.want {
			t.Fatalf("%s: Reformat(envelope, flat) = %s, %v", c.name, re, err)
		}
		same, err := Reformat(envelope, EncodeOptions{})
		if err != nil || string(same) != string(envelope) {
			t.Fatalf("%s: Reformat with the defaults changed the envelope: %s, %v", c.name, same, err)
		}
	}
	if _, err := Reformat([]byte(`{"grid_size":8}`), flat); !(integration.Classify(context.Background(), err) == integration.ClassInvalid) ||
		!strings.Contains(err.Error(), "not a result envelope") {
		t.Fatalf("Reformat of a non-envelope: %v", err)
	}
}

// TestNonFinitePolicies: reject names every non-finite path; null sends
// them as null and keeps everything else, including field order.
func TestNonFinitePolicies(t *testing.T) {
	v := formatVector()
	v.VSkew, v.ETrend = math.NaN(), math.Inf(-1)
	r := Success(formatSource, "sim-1", testParams{GridSize: 8, Alpha: math.Inf(1), Skip: math.NaN()}, v, formatTime)

	for _, o := range []EncodeOptions{{}, flat} {
		_, err := r.MarshalWith(o)
		if !errors.Is(err, ErrNonFinite) || !(integration.Classify(context.Background(), err) == integration.ClassInvalid) {
			t.Fatalf("%+v reject: %v, want an invalid ErrNonFinite", o, err)
		}
		for _, path := range []string{"features.V_skew", "features.E_trend"} {
			if o.flat() {
				path = strings.TrimPrefix(path, "features.")
			}
			if !strings.Contains(err.Error(), path) {
				t.Errorf("%+v reject error %q does not name %s", o, err, path)
			}
		}
	}
	body, err := r.MarshalWith(EncodeOptions{NonFinite: integration.NonFiniteNull})
	if err != nil {
		t.Fatal(err)
	}
	want := strings.NewReplacer(`"V_skew":0.1`, `"V_skew":null`, `"E_trend":-0.1`, `"E_trend":null`).Replace(flatFeatures)
	if !strings.Contains(string(body), `"params":{"grid_size":8,"alpha":null,"seed":null},"features":{`+want+`}`) ||
		!strings.HasPrefix(string(body), `{"event_id":"`+r.EventID+`","event":"simulation_complete"`) {
		t.Fatalf("null envelope %s", body)
	}
	body, err = r.MarshalWith(EncodeOptions{Format: integration.PayloadFlat, NonFinite: integration.NonFiniteNull})
	if err != nil || string(body) != `{"simulation_id":"sim-1",`+want+`,"timestamp":"2025-12-04T12:00:00Z"}` {
		t.Fatalf("null flat %s %v", body, err)
	}
	if _, err := r.MarshalWith(EncodeOptions{NonFinite: "zero"}); err == nil || !strings.Contains(err.Error(), `nonfinite: unknown value "zero"`) {
		t.Fatalf("bad option: %v", err)
	}
}

// TestMarshalSharedAndReformat: a shared body is the plain envelope when
// every number is finite; otherwise each publisher's options decide.
func TestMarshalSharedAndReformat(t *testing.T) {
	fine := Success(formatSource, "sim-1", testParams{GridSize: 8}, formatVector(), formatTime)
	a, errA := fine.MarshalShared()
	b, errB := fine.Marshal()
	if errA != nil || errB != nil || string(a) != string(b) {
		t.Fatalf("finite shared body differs from Marshal: %s / %s (%v %v)", a, b, errA, errB)
	}
	v := formatVector()
	v.DR2 = math.NaN()
	r := Success(formatSource, "sim-2", testParams{GridSize: 8}, v, formatTime)
	shared, err := r.MarshalShared()
	if err != nil || !strings.HasPrefix(string(shared), `{"nonfinite":["features.D_r2"],"event_id":`) {
		t.Fatalf("shared body %s %v", shared, err)
	}
	for _, f := range []integration.PayloadFormat{integration.PayloadEnvelope, integration.PayloadFlat} {
		if _, err := Reformat(shared, EncodeOptions{Format: f}); !errors.Is(err, ErrNonFinite) ||
			!strings.Contains(err.Error(), "features.D_r2") {
			t.Errorf("%s/reject: %v", f, err)
		}
		o := EncodeOptions{Format: f, NonFinite: integration.NonFiniteNull}
		got, err := Reformat(shared, o)
		want, werr := r.MarshalWith(o)
		if err != nil || werr != nil || string(got) != string(want) {
			t.Errorf("%s/null: Reformat %s (%v), MarshalWith %s (%v)", f, got, err, want, werr)
		}
	}
}
