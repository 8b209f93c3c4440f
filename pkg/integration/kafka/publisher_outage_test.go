package kafka

import (
	"context"
	"net"
	"testing"
	"time"

	kafkago "github.com/segmentio/kafka-go"
	"github.com/twmb/franz-go/pkg/kfake"

	"github.com/mfn-io/mfn-operator/pkg/integration/faultproxy"
	"github.com/mfn-io/mfn-operator/pkg/integration/internal/pubtest"
)

// advertisedListener makes kfake advertise the proxy's address in its
// metadata, so that clients reach the broker only through the proxy.
type advertisedListener struct {
	net.Listener
	addr net.Addr
}

func (l advertisedListener) Addr() net.Addr { return l.addr }

// proxiedCluster starts a one-broker kfake cluster with topic, reachable
// only through the returned fault proxy.
func proxiedCluster(t *testing.T, topic string) *faultproxy.Proxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	proxy := faultproxy.New(t, ln.Addr().String())
	adv, err := net.ResolveTCPAddr("tcp", proxy.Addr())
	if err != nil {
		t.Fatal(err)
	}
	fake, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.SeedTopics(1, topic),
		kfake.ListenFn(func(string, string) (net.Listener, error) { return advertisedListener{ln, adv}, nil }))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(fake.Close)
	return proxy
}

// readEventIDs reads partition 0 of topic from the start to its end and
// tallies the mfn-event-id headers.
func readEventIDs(t *testing.T, addr, topic string) *pubtest.Tally {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	defer cancel()
	conn, err := kafkago.DialLeader(ctx, "tcp", addr, topic, 0)
	if err != nil {
		t.Fatal(err)
	}
	last, err := conn.ReadLastOffset()
	_ = conn.Close()
	if err != nil {
		t.Fatal(err)
	}
	r := kafkago.NewReader(kafkago.ReaderConfig{Brokers: []string{addr}, Topic: topic, Partition: 0,
		MaxWait: 50 * time.Millisecond})
	defer r.Close()
	tally := pubtest.NewTally()
	for read := int64(0); read < last; read++ {
		m, err := r.ReadMessage(ctx)
		if err != nil {
			t.Fatalf("read record %d of %d: %v", read, last, err)
		}
		tally.Add(header(m, HeaderEventID))
	}
	return tally
}

// 5 000 messages with a 5 s outage of the TCP path to the broker in the
// middle; a consumer reads the topic back afterwards: nothing lost,
// duplicates (acknowledgement lost with the connection) reported.
func TestPublisherOutageConnectionCut(t *testing.T) { testPublisherOutage(t, false, 0) }

// The same with a network partition: produce requests time out.
func TestPublisherOutageBlackhole(t *testing.T) { testPublisherOutage(t, true, 0) }

// The connection cut with 4 runs written at once (MaxInFlight): the same
// guarantees and exact counters.
func TestPublisherOutageConnectionCutInFlight(t *testing.T) { testPublisherOutage(t, false, 4) }

func testPublisherOutage(t *testing.T, partition bool, inFlight int) {
	pubtest.SkipIfShort(t)
	proxy := proxiedCluster(t, "outage")
	logger, logs := pubtest.NewLogger()
	p, err := NewPublisher(PublisherOptions{BootstrapServers: Servers{proxy.Addr()}, Topic: "outage",
		Config: pubtest.OutageConfig(), Logger: logger, MaxInFlight: inFlight})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = p.Disconnect(context.WithoutCancel(t.Context())) })
	var fault pubtest.Fault = proxy
	if partition {
		fault = pubtest.AsBlackhole(proxy)
	}
	pubtest.RunOutage(t, pubtest.Outage{Publisher: p, Logs: logs, Fault: fault,
		Delivered: func(t *testing.T) *pubtest.Tally { return readEventIDs(t, proxy.Addr(), "outage") }})
}
