package pipeline

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/mfn-io/mfn-operator/pkg/status"
)

func get(t *testing.T, h http.Handler, path string) (int, string) {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequestWithContext(t.Context(), http.MethodGet, path, nil))
	body, _ := io.ReadAll(rec.Body)
	return rec.Code, string(body)
}

func TestHandlerEndpoints(t *testing.T) {
	conn := &sliceConnector{payloads: payloads("a", "bad", "b"), block: true}
	out := &memPublisher{id: "out"}
	r := newTestRuntime(t, Config{Name: "demo", Worker: "w-1", Connector: Connector{Name: "src", Connector: conn},
		Publishers: []Publisher{{Name: "sink", Publisher: out}}, Workers: 1})
	reg := prometheus.NewRegistry()
	reg.MustRegister(r)
	h := Handler(r, reg)

	if code, _ := get(t, h, "/healthz"); code != http.StatusOK {
		t.Errorf("/healthz = %d before start", code)
	}
	if code, _ := get(t, h, "/readyz"); code != http.StatusServiceUnavailable {
		t.Errorf("/readyz = %d before start, want 503", code)
	}
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- r.Run(ctx) }()
	waitFor(t, func() bool { c := r.Counters(); return c.Processed == 2 && c.Failed == 1 })
	if code, _ := get(t, h, "/readyz"); code != http.StatusOK {
		t.Errorf("/readyz = %d while running", code)
	}
	code, body := get(t, h, "/status")
	if code != http.StatusOK {
		t.Fatalf("/status = %d", code)
	}
	var rep status.Report
	if err := json.Unmarshal([]byte(body), &rep); err != nil {
		t.Fatal(err)
	}
	if rep.SchemaVersion != status.SchemaVersion || rep.Pipeline != "demo" || rep.Worker != "w-1" || !rep.Ready ||
		rep.Connector.Name != "src" || rep.Publishers[0].Name != "sink" || rep.Totals.Processed != 2 || rep.Totals.Failed != 1 ||
		rep.Totals.LastProcessedTime == nil {
		t.Errorf("/status = %s", body)
	}
	_, metrics := get(t, h, "/metrics")
	for _, want := range []string{"mfn_pipeline_messages_processed_total 2", "mfn_pipeline_messages_failed_total 1",
		"mfn_pipeline_simulation_duration_seconds_count 3", "mfn_pipeline_messages_in_flight 0"} {
		if !strings.Contains(metrics, want) {
			t.Errorf("/metrics lacks %q", want)
		}
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if code, _ := get(t, h, "/readyz"); code != http.StatusServiceUnavailable {
		t.Errorf("/readyz = %d after stop, want 503", code)
	}
}
