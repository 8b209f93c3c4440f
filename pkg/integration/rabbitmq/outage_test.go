package rabbitmq

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/mfn-io/mfn-operator/pkg/integration/faultproxy"
	"github.com/mfn-io/mfn-operator/pkg/integration/internal/pubtest"
)

// 5 000 messages with a 5 s outage of the TCP path to the broker in the
// middle. A consumer connected directly to the broker drains the bound
// queue afterwards: nothing lost, duplicates (confirm lost with the
// connection) reported.
func TestOutageConnectionCut(t *testing.T) { testOutage(t, false) }

// The same with a network partition: confirms time out (ambiguous outcome).
func TestOutageBlackhole(t *testing.T) { testOutage(t, true) }

func testOutage(t *testing.T, partition bool) {
	pubtest.SkipIfShort(t)
	b := newBroker(t)
	ex, q := uniqueName(t), uniqueName(t)+".q"
	b.cleanup(ex, q)
	proxy := faultproxy.New(t, "127.0.0.1:5672")
	logger, logs := pubtest.NewLogger()
	url := strings.Replace(amqpURL, "127.0.0.1:5672", proxy.Addr(), 1)
	p, err := New(Options{URL: url, Exchange: ex, RoutingKey: "simulation.complete", DeclareQueue: q,
		Config: pubtest.OutageConfig(), Logger: logger})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = p.Disconnect(context.WithoutCancel(t.Context())) })
	var fault pubtest.Fault = proxy
	if partition {
		fault = pubtest.AsBlackhole(proxy)
	}
	pubtest.RunOutage(t, pubtest.Outage{Publisher: p, Logs: logs, Fault: fault,
		Delivered: func(t *testing.T) *pubtest.Tally { return drain(t, b, q, 5000) }})
}

// drain consumes q until n distinct message ids arrived and the queue
// stayed empty for a moment (so late duplicates are counted too).
func drain(t *testing.T, b *broker, q string, n int) *pubtest.Tally {
	t.Helper()
	tally := pubtest.NewTally()
	deliveries, err := b.ch.Consume(q, "", true, false, false, false, nil)
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.After(10 * time.Second)
	for {
		idle := 100 * time.Millisecond
		if u, _ := tally.Counts(); u < n {
			idle = 5 * time.Second
		}
		select {
		case d := <-deliveries:
			tally.Add(d.MessageId)
		case <-time.After(idle):
			return tally
		case <-deadline:
			return tally
		}
	}
}
