package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	amqp "github.com/rabbitmq/amqp091-go"

	"github.com/mfn-io/mfn-operator/pkg/integration/kafka/kafkatest"
	"github.com/mfn-io/mfn-operator/pkg/integration/webhook"
	"github.com/mfn-io/mfn-operator/pkg/manifest"
	"github.com/mfn-io/mfn-operator/pkg/pipeline"
)

// running is a pipeline started in-process from manifests.
type running struct {
	rt     *pipeline.Runtime
	done   chan error
	cancel context.CancelFunc
}

func startPipeline(t *testing.T, yaml string, pf pipelineFlags) *running {
	t.Helper()
	set := manifest.NewSet()
	if err := set.Add([]byte(yaml), t.Name()); err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	if testing.Verbose() {
		log = slog.New(slog.NewTextHandler(&testWriter{t: t}, &slog.HandlerOptions{Level: slog.LevelWarn}))
	}
	if pf.grace == 0 {
		pf.grace = 5 * time.Second
	}
	rt, _, err := newRuntime(set, pf, manifest.Env{Secrets: manifest.LocalSecrets(set.Secrets), Logger: log}, "test")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	r := &running{rt: rt, done: make(chan error, 1), cancel: cancel}
	go func() { r.done <- rt.Run(ctx) }()
	t.Cleanup(func() { r.stop(t) })
	return r
}

// waitCounts waits until processed+failed reaches n.
func (r *running) waitCounts(t *testing.T, n int64, within time.Duration) pipeline.Counters {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		c := r.rt.Counters()
		if c.Processed+c.Failed >= n {
			return c
		}
		if time.Now().After(deadline) {
			t.Fatalf("after %s: %+v, want %d settled", within, c, n)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func (r *running) stop(t *testing.T) {
	t.Helper()
	r.cancel()
	select {
	case err, ok := <-r.done:
		if ok && err != nil {
			t.Errorf("pipeline: %v", err)
		}
		close(r.done)
	case <-time.After(30 * time.Second):
		t.Error("pipeline did not stop within 30s")
	}
}

type testWriter struct{ t *testing.T }

func (w *testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

// envelope is the part of the §9.2 envelope the tests check.
type envelope struct {
	EventID      string          `json:"event_id"`
	Event        string          `json:"event"`
	SimulationID string          `json:"simulation_id"`
	Status       string          `json:"status"`
	Error        string          `json:"error"`
	Features     map[string]any  `json:"features"`
	Params       json.RawMessage `json:"params"`
	Source       json.RawMessage `json:"source"`
}

func decodeEnvelope(t *testing.T, b []byte) envelope {
	t.Helper()
	var e envelope
	if err := json.Unmarshal(b, &e); err != nil {
		t.Fatalf("not a JSON envelope: %v: %s", err, b)
	}
	return e
}

func paramsMessages(n int, prefix string) [][]byte {
	out := make([][]byte, n)
	for i := range out {
		if i%2 == 0 {
			out[i] = fmt.Appendf(nil, `{"simulation_id":"%s-%03d","grid_size":8,"steps":4,"seed":%d}`, prefix, i, i)
		} else {
			out[i] = fmt.Appendf(nil, `{"simulation_id":"%s-%03d","simulation_params":{"grid_size":12,"steps":6,"seed":%d,"boundary_condition":"neumann"}}`, prefix, i, i)
		}
	}
	return out
}

// TestKafkaToKafkaAndRabbitMQ: every Kafka input gives exactly one result on
// the Kafka topic and one on the RabbitMQ queue, and the input offsets are
// committed.
func TestKafkaToKafkaAndRabbitMQ(t *testing.T) {
	const n = 60
	c := kafkatest.NewCluster(t, kafkatest.Topic{Name: "params"}, kafkatest.Topic{Name: "results"})
	c.Produce(t, "params", 0, paramsMessages(n, "kk")...)
	ex := fmt.Sprintf("mfn-e2e-%d", time.Now().UnixNano())
	q := ex + ".q"
	conn, err := amqp.Dial("amqp://guest:guest@127.0.0.1:5672/")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = conn.Close() })
	ch, err := conn.Channel()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _, _ = ch.QueueDelete(q, false, false, false); _ = ch.ExchangeDelete(ex, false, false) })
	yaml := pipelineDoc("kk", "in", []string{"kafka-out", "rabbit-out"}, "", "") +
		kafkaConnectorDoc("in", c.Bootstrap(), "params", "e2e", "commitInterval: 50ms") +
		kafkaPublisherDoc("kafka-out", c.Bootstrap(), "results", "batchSize: 10\nbatchTimeout: 20ms\n") +
		doc("Publisher", "rabbit-out", fmt.Sprintf(`type: rabbitmq
batchSize: 10
batchTimeout: 20ms
rabbitmq: {url: "amqp://127.0.0.1:5672/", username: guest, passwordSecretRef: {name: amqp, key: password}, exchange: %s, routingKey: results, declareQueue: %s}`, ex, q)) +
		doc("Secret", "amqp", "stringData: {password: guest}")
	r := startPipeline(t, yaml, pipelineFlags{workers: 2})
	got := r.waitCounts(t, n, 60*time.Second)
	if got.Processed != n || got.Failed != 0 {
		t.Fatalf("counters %+v", got)
	}
	c.WaitCommitted(t, "e2e", "params", map[int]int64{0: n})
	ids, records := simulationIDs(t, c, "results")
	if len(ids) != n || records != n {
		t.Errorf("kafka results: %d records, %d distinct ids; want %d", records, len(ids), n)
	}
	deliveries, err := ch.Consume(q, "", true, false, false, false, nil)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for len(seen) < n {
		select {
		case d := <-deliveries:
			e := decodeEnvelope(t, d.Body)
			if e.Event != "simulation_complete" || len(e.Features) != 18 || ids[e.SimulationID] == 0 {
				t.Fatalf("rabbitmq message %s", d.Body)
			}
			if seen[e.EventID] {
				t.Errorf("duplicate event %s", e.EventID)
			}
			seen[e.EventID] = true
		case <-time.After(10 * time.Second):
			t.Fatalf("rabbitmq: %d of %d results", len(seen), n)
		}
	}
}

// outageServer verifies signatures and answers 503 for a while once it has
// accepted `after` events.
type outageServer struct {
	verifier *webhook.Verifier
	after    int
	duration time.Duration

	mu       sync.Mutex
	accepted map[string]int
	until    time.Time
	refused  atomic.Int64
}

func (s *outageServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	if s.until.IsZero() && len(s.accepted) >= s.after {
		s.until = time.Now().Add(s.duration)
	}
	down := time.Now().Before(s.until)
	s.mu.Unlock()
	if down {
		s.refused.Add(1)
		http.Error(w, "maintenance", http.StatusServiceUnavailable)
		return
	}
	body, res, err := s.verifier.VerifyRequest(r, 1<<20)
	if err != nil && err != webhook.ErrDuplicate {
		http.Error(w, err.Error(), webhook.StatusCode(err))
		return
	}
	var e struct {
		Event string `json:"event"`
	}
	if json.Unmarshal(body, &e) != nil || e.Event != "simulation_complete" {
		http.Error(w, "unexpected body", http.StatusBadRequest)
		return
	}
	s.mu.Lock()
	s.accepted[res.EventID]++
	s.mu.Unlock()
}

// TestWebhookOutagePausesAndDelivers: the webhook answers 503 for 10 s in
// the middle of the run; the breaker opens, consumption pauses, and after the
// outage every result is delivered and nothing is dead-lettered.
func TestWebhookOutagePausesAndDelivers(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: the webhook target answers 503 for 10 s; make test runs it without -short")
	}
	const n = 200
	const secret = "outage-secret"
	v, err := webhook.NewVerifier(webhook.VerifierConfig{Secrets: []string{secret}})
	if err != nil {
		t.Fatal(err)
	}
	srv := &outageServer{verifier: v, after: 40, duration: 10 * time.Second, accepted: map[string]int{}}
	hs := httptest.NewServer(srv)
	t.Cleanup(hs.Close)
	c := kafkatest.NewCluster(t, kafkatest.Topic{Name: "params"}, kafkatest.Topic{Name: "dlq"})
	c.Produce(t, "params", 0, paramsMessages(n, "out")...)
	yaml := pipelineDoc("outage", "in", []string{"hook"}, "dlq", "") +
		kafkaConnectorDoc("in", c.Bootstrap(), "params", "outage", "commitInterval: 50ms") +
		doc("Publisher", "hook", fmt.Sprintf(`type: webhook
batchSize: 5
batchTimeout: 20ms
maxRetries: 100
initialRetryDelay: 100ms
maxRetryDelay: 500ms
circuitBreakerThreshold: 3
circuitBreakerTimeout: 1s
webhook:
  url: %s/hook
  allowInsecureHTTP: true
  signingSecretRefs: [{name: hook, key: hmac}]`, hs.URL)) +
		kafkaPublisherDoc("dlq", c.Bootstrap(), "dlq", "") +
		doc("Secret", "hook", "stringData: {hmac: "+secret+"}")
	r := startPipeline(t, yaml, pipelineFlags{workers: 2, maxInFlight: 8})
	got := r.waitCounts(t, n, 90*time.Second)
	srv.mu.Lock()
	delivered, dups := len(srv.accepted), 0
	for _, k := range srv.accepted {
		dups += k - 1
	}
	srv.mu.Unlock()
	t.Logf("refused during the outage: %d requests; pauses %d; delivered %d, duplicates %d", srv.refused.Load(), got.Pauses, delivered, dups)
	if got.Processed != n || got.DeadLettered != 0 || got.Undelivered != 0 || got.Nacked != 0 {
		t.Errorf("counters %+v; want %d processed, nothing dead-lettered or given up", got, n)
	}
	if delivered != n {
		t.Errorf("receiver accepted %d distinct events, want %d", delivered, n)
	}
	if got.Pauses == 0 || srv.refused.Load() == 0 {
		t.Errorf("the outage did not open the breaker (pauses %d, refused %d)", got.Pauses, srv.refused.Load())
	}
	if recs := c.Records(t, "dlq", 0); len(recs) != 0 {
		t.Errorf("%d dead-letter records, want 0", len(recs))
	}
}

// TestHostileInputIsDeadLettered: invalid and hostile parameters land in the
// dead-letter topic with an error naming the key and the rule, promptly
// (nothing is allocated for a huge grid), and valid messages still pass.
func TestHostileInputIsDeadLettered(t *testing.T) {
	hostile := []struct{ payload, key string }{
		{`{"simulation_id":"huge","grid_size":1000000,"steps":1000000}`, "grid_size"},
		{`{"simulation_id":"steps","grid_size":8,"steps":2000000000}`, "steps"},
		{`{"simulation_id":"nan","alpha":NaN}`, "JSON"},
		{`{"simulation_id":"type","grid_size":"64"}`, "grid_size"},
		{`{"simulation_id":"float","grid_size":64.0}`, "grid_size"},
		{`{"simulation_id":"bool","turing_enabled":"false"}`, "turing_enabled"},
		{`{"simulation_id":"cfl","alpha":0.3}`, "alpha"},
		{`[1,2,3]`, "JSON object"},
		{`not json at all`, "JSON decode error"},
		{`{"simulation_params":{"grid_size":8,"steps":-1}}`, "steps"},
	}
	c := kafkatest.NewCluster(t, kafkatest.Topic{Name: "params"}, kafkatest.Topic{Name: "results"}, kafkatest.Topic{Name: "dlq"})
	var values [][]byte
	for _, h := range hostile {
		values = append(values, []byte(h.payload))
	}
	values = append(values, paramsMessages(4, "ok")...)
	c.Produce(t, "params", 0, values...)
	yaml := pipelineDoc("hostile", "in", []string{"out"}, "dlq", "limits: {maxGridSize: 256, maxSteps: 1000}\n") +
		kafkaConnectorDoc("in", c.Bootstrap(), "params", "hostile", "commitInterval: 50ms") +
		kafkaPublisherDoc("out", c.Bootstrap(), "results", "batchTimeout: 20ms\n") +
		kafkaPublisherDoc("dlq", c.Bootstrap(), "dlq", "batchTimeout: 20ms\n")
	r := startPipeline(t, yaml, pipelineFlags{workers: 2})
	got := r.waitCounts(t, int64(len(values)), 30*time.Second)
	if got.Processed != 4 || got.Failed != int64(len(hostile)) {
		t.Fatalf("counters %+v; want 4 processed, %d failed", got, len(hostile))
	}
	c.WaitCommitted(t, "hostile", "params", map[int]int64{0: int64(len(values))})
	deadline := time.Now().Add(10 * time.Second)
	var dlq []envelope
	for len(dlq) < len(hostile) && time.Now().Before(deadline) {
		dlq = dlq[:0]
		for _, m := range c.Records(t, "dlq", 0) {
			dlq = append(dlq, decodeEnvelope(t, m.Value))
		}
		time.Sleep(20 * time.Millisecond)
	}
	if len(dlq) != len(hostile) {
		t.Fatalf("%d dead-letter records, want %d", len(dlq), len(hostile))
	}
	for _, e := range dlq {
		var src struct {
			Position string `json:"position"`
		}
		_ = json.Unmarshal(e.Source, &src)
		var offset int
		if _, err := fmt.Sscanf(src.Position, "params/0/%d", &offset); err != nil || offset >= len(hostile) {
			t.Fatalf("dead-letter record from %q", src.Position)
		}
		h := hostile[offset]
		if e.Event != "simulation_failed" || e.Status != "failed" || !strings.Contains(e.Error, h.key) {
			t.Errorf("%s: dead-letter %+v, want an error naming %q", h.payload, e, h.key)
		}
		if !json.Valid([]byte(h.payload)) {
			var text string
			if err := json.Unmarshal(e.Params, &text); err != nil || text != h.payload {
				t.Errorf("%s: original payload not kept: %s", h.payload, e.Params)
			}
		} else if !sameJSON(h.payload, e.Params) {
			t.Errorf("%s: original payload not kept: %s", h.payload, e.Params)
		}
	}
}

func sameJSON(a string, b []byte) bool {
	var x, y bytes.Buffer
	return json.Compact(&x, []byte(a)) == nil && json.Compact(&y, b) == nil && x.String() == y.String()
}

// contextUntil returns a context that ends with the test or when stop closes.
func contextUntil(t *testing.T, stop <-chan struct{}) (context.Context, context.CancelFunc) {
	ctx, cancel := context.WithCancel(t.Context())
	go func() {
		select {
		case <-stop:
			cancel()
		case <-ctx.Done():
		}
	}()
	return ctx, cancel
}

func b64(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }
