package redis

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/mfn-io/mfn-operator/pkg/integration/faultproxy"
	"github.com/mfn-io/mfn-operator/pkg/integration/internal/pubtest"
)

// 5 000 messages with a 5 s outage of the TCP path to Redis in the middle.
// A subscriber connected directly to the server counts the deliveries:
// nothing lost, duplicates (PUBLISH executed, reply lost) reported.
func TestOutageConnectionCut(t *testing.T) { testOutage(t, false, 0) }

// The same with a network partition: requests time out (ambiguous outcome).
func TestOutageBlackhole(t *testing.T) { testOutage(t, true, 0) }

// The connection cut with 4 pipelines in flight (MaxInFlight): the same
// guarantees and exact counters.
func TestOutageConnectionCutInFlight(t *testing.T) { testOutage(t, false, 4) }

func testOutage(t *testing.T, partition bool, inFlight int) {
	pubtest.SkipIfShort(t)
	ch := uniqueName(t)
	raw := rawClient(t, "")
	sub := raw.Subscribe(t.Context(), ch)
	t.Cleanup(func() { _ = sub.Close() })
	if _, err := sub.Receive(t.Context()); err != nil {
		t.Fatal(err)
	}
	tally := pubtest.NewTally()
	go func() {
		for {
			m, err := sub.ReceiveMessage(t.Context())
			if err != nil {
				return
			}
			var env struct {
				EventID string `json:"event_id"`
			}
			if err := json.Unmarshal([]byte(m.Payload), &env); err != nil {
				t.Errorf("payload %q: %v", m.Payload, err)
				return
			}
			tally.Add(env.EventID)
		}
	}()

	proxy := faultproxy.New(t, "127.0.0.1:6379")
	logger, logs := pubtest.NewLogger()
	p, err := New(Options{URL: "redis://" + proxy.Addr() + "/0", Channel: ch, Config: pubtest.OutageConfig(),
		Logger: logger, MaxInFlight: inFlight})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = p.Disconnect(context.WithoutCancel(t.Context())) })
	var fault pubtest.Fault = proxy
	if partition {
		fault = pubtest.AsBlackhole(proxy)
	}
	pubtest.RunOutage(t, pubtest.Outage{Publisher: p, Logs: logs, Fault: fault,
		Delivered: func(t *testing.T) *pubtest.Tally {
			ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
			defer cancel()
			if err := tally.WaitUnique(ctx, 5000); err != nil {
				t.Error(err)
			}
			return tally
		}})
}
