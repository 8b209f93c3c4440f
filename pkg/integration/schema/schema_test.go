package schema

import (
	"encoding/json"
	"errors"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/mfn-io/mfn-operator/pkg/integration"
	"github.com/mfn-io/mfn-operator/pkg/sim/features"
)

func TestDecodeInputShapes(t *testing.T) {
	cases := []struct {
		name, in, id, params string
		envelope             bool
		ts                   time.Time
	}{
		{"R66 envelope", `{"simulation_params": {"grid_size": 64, "steps": 100, "alpha": 0.18}, "timestamp": "2025-12-04T12:00:00Z"}`,
			"", `{"grid_size": 64, "steps": 100, "alpha": 0.18}`, true, time.Date(2025, 12, 4, 12, 0, 0, 0, time.UTC)},
		{"envelope with id", `{"simulation_id":"sim-456","simulation_params":{}}`, "sim-456", `{}`, true, time.Time{}},
		{"flat", `{"grid_size":64,"steps":100,"alpha":0.18,"turing_enabled":true,"seed":42}`,
			"", `{"alpha":0.18,"grid_size":64,"seed":42,"steps":100,"turing_enabled":true}`, false, time.Time{}},
		{"flat with id and offset time", `{"simulation_id":"a","seed":null,"timestamp":"2025-12-04T14:00:00+02:00"}`,
			"a", `{"seed":null}`, false, time.Date(2025, 12, 4, 12, 0, 0, 0, time.UTC)},
		{"null id", `{"simulation_id":null,"simulation_params":{"steps":1}}`, "", `{"steps":1}`, true, time.Time{}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := DecodeInput([]byte(c.in), 1<<20)
			if err != nil {
				t.Fatal(err)
			}
			if got.SimulationID != c.id || string(got.Params) != c.params || got.Envelope != c.envelope || !got.Timestamp.Equal(c.ts) {
				t.Fatalf("%+v (params %s)", got, got.Params)
			}
		})
	}
}

func TestDecodeInputErrors(t *testing.T) {
	cases := []struct{ name, in, want string }{
		{"malformed", `{"grid_size": 64,`, "JSON decode error: unexpected end of JSON input"},
		{"garbage", `hello`, "JSON decode error: invalid character 'h' looking for beginning of value"},
		{"trailing", `{"a":1} x`, "JSON decode error: invalid character 'x' after top-level value"},
		{"empty", `  `, "JSON decode error: message is empty"},
		{"not utf8", "{\"a\":\"\xff\"}", "JSON decode error: message is not valid UTF-8"},
		{"array", `[1,2]`, "message must be a JSON object, got array"},
		{"number", `42`, "message must be a JSON object, got number"},
		{"params not object", `{"simulation_params":[1]}`, "simulation_params must be a JSON object, got array"},
		{"params null", `{"simulation_params":null}`, "simulation_params must be a JSON object, got null"},
		{"stray key", `{"simulation_params":{},"grid_size":8}`, `unexpected key "grid_size" next to simulation_params`},
		{"id type", `{"simulation_id":7,"simulation_params":{}}`, "simulation_id must be a string, got number"},
		{"id empty", `{"simulation_id":"","steps":1}`, "simulation_id must be 1 to 256 bytes long, got 0"},
		{"bad timestamp", `{"timestamp":"yesterday","steps":1}`, `timestamp "yesterday" is not RFC 3339`},
		{"timestamp type", `{"timestamp":1733313600,"steps":1}`, "timestamp must be an RFC 3339 string, got number"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := DecodeInput([]byte(c.in), 0)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("error %v, want %q", err, c.want)
			}
			if integration.IsRetryable(err) || integration.CountsForBreaker(nil, err) {
				t.Fatal("input errors are per-message: not retried, not counted by the breaker")
			}
		})
	}
	_, err := DecodeInput([]byte(`{"steps":100}`), 10)
	if err == nil || err.Error() != "message is 13 bytes, larger than max_message_bytes (10)" {
		t.Fatal(err)
	}
}

func TestEventIDDeterministic(t *testing.T) {
	id := EventID("kafka-mfn-simulation-params", "mfn-simulation-params/3/1042")
	// sha256("kafka-mfn-simulation-params|mfn-simulation-params/3/1042"), first 32 hex digits.
	if id != "fdcdfd37bd93e9a34f9483beee28f6d7" {
		t.Fatal(id)
	}
	if id != EventID("kafka-mfn-simulation-params", "mfn-simulation-params/3/1042") || id == EventID("kafka-mfn-simulation-params", "mfn-simulation-params/3/1043") {
		t.Fatal("event_id must be a function of the source position")
	}
}

func TestResultEnvelope(t *testing.T) {
	src := Source{ConnectorID: "kafka-mfn-simulation-params", Position: "mfn-simulation-params/3/1042"}
	at := time.Date(2025, 12, 4, 14, 0, 0, 0, time.FixedZone("CET+2", 7200))
	f := features.Vector{DBox: 1.584, VMean: -67.5, FActive: 0.42, TStable: 50, NClustersLow: 10, MaxClusterSize: 100, ClusterSizeStd: 20}
	body, err := Success(src, "sim-456", json.RawMessage(`{"grid_size":64,"note":"<a&b>"}`), f, at).Marshal()
	if err != nil {
		t.Fatal(err)
	}
	s := string(body)
	wantPrefix := `{"event_id":"` + EventID(src.ConnectorID, src.Position) + `","event":"simulation_complete","schema_version":"1","simulation_id":"sim-456","status":"complete","timestamp":"2025-12-04T12:00:00Z","params":{"grid_size":64,"note":"<a&b>"},"features":{"D_box":1.584,"D_r2":0,`
	if !strings.HasPrefix(s, wantPrefix) {
		t.Fatalf("got  %s\nwant prefix %s", s, wantPrefix)
	}
	if !strings.Contains(s, `"T_stable":50,`) || !strings.Contains(s, `"max_cluster_size":100,"cluster_size_std":20}`) ||
		!strings.HasSuffix(s, `"source":{"connector_id":"kafka-mfn-simulation-params","position":"mfn-simulation-params/3/1042"}}`) ||
		strings.Contains(s, `"error"`) || strings.Contains(s, "\n") || strings.Contains(s, " ") {
		t.Fatal(s)
	}
	fail, err := Failure(src, "", nil, "alpha = 0.3: must be ≤ 0.25", at).Marshal()
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(fail, &m); err != nil {
		t.Fatal(err)
	}
	if m["event"] != "simulation_failed" || m["status"] != "failed" || m["error"] != "alpha = 0.3: must be ≤ 0.25" ||
		m["features"] != nil || m["simulation_id"] != "sim-"+EventID(src.ConnectorID, src.Position)[:16] {
		t.Fatal(string(fail))
	}
	var back Result
	if err := json.Unmarshal(body, &back); err != nil || !time.Time(back.Timestamp).Equal(at) || back.Features.TStable != 50 {
		t.Fatal(err, back)
	}
}

func TestNonFiniteRejected(t *testing.T) {
	for _, v := range []float64{math.NaN(), math.Inf(1), math.Inf(-1)} {
		r := Success(Source{}, "x", nil, features.Vector{VSkew: v}, time.Unix(0, 0))
		_, err := r.Marshal()
		if err == nil || !integration.IsPermanent(err) || integration.CountsForBreaker(nil, err) {
			t.Fatalf("%v: %v", v, err)
		}
		var ie *integration.Error
		if !errors.As(err, &ie) || ie.Class != integration.ClassInvalid || !strings.Contains(err.Error(), "unsupported value") {
			t.Fatal(err)
		}
	}
}

func FuzzDecodeInput(f *testing.F) {
	for _, s := range []string{
		`{"simulation_params": {"grid_size": 64}, "timestamp": "2025-12-04T12:00:00Z"}`,
		`{"grid_size":64,"simulation_id":"x"}`, `[1,2]`, `{"a":`, `null`, `{"simulation_params":null}`,
		`{"simulation_id":"é","timestamp":null,"x":{"y":[1,2,{"z":"\u0000"}]}}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		in, err := DecodeInput(data, 4096)
		if err != nil {
			if integration.IsRetryable(err) {
				t.Fatalf("input error must not be retryable: %v", err)
			}
			return
		}
		var obj map[string]json.RawMessage
		if json.Unmarshal(in.Params, &obj) != nil || obj == nil {
			t.Fatalf("params %q is not a JSON object", in.Params)
		}
		if !in.Envelope {
			if _, ok := obj[KeySimulationID]; ok {
				t.Fatal("flat params still carry simulation_id")
			}
		}
		if len(in.SimulationID) > MaxSimulationIDLength {
			t.Fatal("simulation_id too long")
		}
	})
}
