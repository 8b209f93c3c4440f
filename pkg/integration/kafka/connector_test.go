package kafka

import (
	"errors"
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

	kafkago "github.com/segmentio/kafka-go"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/mfn-io/mfn-operator/pkg/integration"
	"github.com/mfn-io/mfn-operator/pkg/integration/breaker"
	"github.com/mfn-io/mfn-operator/pkg/integration/internal/polltest"
	"github.com/mfn-io/mfn-operator/pkg/integration/kafka/kafkatest"
	"github.com/mfn-io/mfn-operator/pkg/status"
)

// fastGroup keeps consumer-group protocol timings short for tests.
func fastGroup(o ConnectorOptions) ConnectorOptions {
	o.HeartbeatInterval = 100 * time.Millisecond
	o.SessionTimeout = 6 * time.Second
	o.RebalanceTimeout = 2 * time.Second
	if o.CommitInterval == 0 {
		o.CommitInterval = 20 * time.Millisecond
	}
	o.Config.Timeout = 5 * time.Second
	return o
}

// running is a connector consuming in the background.
type running struct {
	*polltest.Consumer
	c *Connector
}

func start(t *testing.T, o ConnectorOptions) *running {
	t.Helper()
	c, err := NewConnector(fastGroup(o))
	if err != nil {
		t.Fatal(err)
	}
	return &running{Consumer: polltest.Start(t, c, nil), c: c}
}

func (r *running) next(t *testing.T) *integration.Message { t.Helper(); return r.Next(t) }
func (r *running) none(t *testing.T, d time.Duration)     { t.Helper(); r.None(t, d) }
func (r *running) stop()                                  { r.Stop() }

func payloads(n int, from int) [][]byte {
	out := make([][]byte, n)
	for i := range out {
		out[i] = []byte(fmt.Sprintf(`{"grid_size": %d}`, from+i))
	}
	return out
}

func TestConnectorOptionsValidate(t *testing.T) {
	good := ConnectorOptions{BootstrapServers: Servers{"k1:9092"}, Topic: "in", GroupID: "g"}
	if err := good.Validate(); err != nil {
		t.Fatalf("valid options rejected: %v", err)
	}
	tuned := good
	tuned.SessionTimeout, tuned.HeartbeatInterval, tuned.RebalanceTimeout = 6*time.Second, 2*time.Second, time.Second
	if err := tuned.Validate(); err != nil {
		t.Fatalf("group timings at their bounds rejected: %v", err)
	}
	if got := ParseServers(" kafka1:9092, kafka2:9092 ,"); len(got) != 2 || got[0] != "kafka1:9092" || got[1] != "kafka2:9092" {
		t.Fatalf("ParseServers = %q", got)
	}
	var s Servers
	if err := s.UnmarshalJSON([]byte(`"a:1, b:2"`)); err != nil || len(s) != 2 {
		t.Fatalf("string form: %v %q", err, s)
	}
	if err := s.UnmarshalJSON([]byte(`["a:1", " b:2 "]`)); err != nil || len(s) != 2 || s[1] != "b:2" {
		t.Fatalf("list form: %v %q", err, s)
	}
	if err := s.UnmarshalJSON([]byte(`7`)); err == nil || !strings.Contains(err.Error(), "bootstrap_servers") {
		t.Fatalf("number form accepted: %v", err)
	}
	cases := []struct {
		name string
		mod  func(*ConnectorOptions)
		want string
	}{
		{"empty servers", func(o *ConnectorOptions) { o.BootstrapServers = Servers{" , "} }, "bootstrap_servers"},
		{"no port", func(o *ConnectorOptions) { o.BootstrapServers = Servers{"kafka1"} }, "host:port"},
		{"no topic", func(o *ConnectorOptions) { o.Topic = " " }, "topic"},
		{"no group", func(o *ConnectorOptions) { o.GroupID = "" }, "group_id"},
		{"offset middle", func(o *ConnectorOptions) { o.AutoOffsetReset = "middle" }, "auto_offset_reset"},
		{"negative commit interval", func(o *ConnectorOptions) { o.CommitInterval = -time.Second }, "commit_interval"},
		{"bad sasl", func(o *ConnectorOptions) { o.SASL = &SASL{Mechanism: "GSSAPI", Username: "u"} }, "sasl.mechanism"},
		{"sasl without user", func(o *ConnectorOptions) { o.SASL = &SASL{Mechanism: "PLAIN"} }, "sasl.username"},
		{"session timeout below the broker's minimum", func(o *ConnectorOptions) { o.SessionTimeout = 5 * time.Second }, "session_timeout"},
		{"session timeout above the broker's maximum", func(o *ConnectorOptions) { o.SessionTimeout = 31 * time.Minute }, "session_timeout"},
		{"rebalance timeout below 1s", func(o *ConnectorOptions) { o.RebalanceTimeout = 500 * time.Millisecond }, "rebalance_timeout"},
		{"negative heartbeat", func(o *ConnectorOptions) { o.HeartbeatInterval = -time.Second }, "heartbeat_interval"},
		{"heartbeat not below the default session", func(o *ConnectorOptions) { o.HeartbeatInterval = 30 * time.Second }, "less than session_timeout (30s)"},
		{"heartbeat not below the session", func(o *ConnectorOptions) { o.SessionTimeout, o.HeartbeatInterval = 6*time.Second, 6*time.Second }, "less than session_timeout (6s)"},
		{"retry config", func(o *ConnectorOptions) { o.Config.MaxRetries = 101 }, "max_retries"},
		{"max message bytes", func(o *ConnectorOptions) { o.Config.MaxMessageBytes = -1 }, "max_message_bytes"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			o := good
			tc.mod(&o)
			err := o.Validate()
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Validate() = %v, want an error naming %s", err, tc.want)
			}
			if _, err := NewConnector(o); err == nil {
				t.Fatal("NewConnector accepted invalid options")
			}
		})
	}
	c, err := NewConnector(ConnectorOptions{BootstrapServers: Servers{"k1:9092,k2:9092"}, Topic: "in", GroupID: "g"})
	if err != nil {
		t.Fatal(err)
	}
	if c.ID() != "kafka-in" || c.Kind() != "kafka" {
		t.Fatalf("ID/Kind = %s/%s", c.ID(), c.Kind())
	}
	if got := c.opts.BootstrapServers.normalized(); len(got) != 2 {
		t.Fatalf("servers = %q", got)
	}
	if s := c.Snapshot(); s.Status != status.ComponentDisconnected || s.Breaker.State != status.BreakerClosed ||
		s.Connector == nil || s.Connector.MessagesReceived != 0 {
		t.Fatalf("fresh snapshot = %+v", s)
	}
}

// TestConsumeCommitsContiguousWatermark covers checklist rows 8, 9 and 11
// end to end: only the configured topic is read, acks 0,1,3 commit 2 and
// ack 2 then commits 4, under the configured group.
func TestConsumeCommitsContiguousWatermark(t *testing.T) {
	cl := kafkatest.NewCluster(t, kafkatest.Topic{Name: "in"}, kafkatest.Topic{Name: "other"})
	cl.Produce(t, "other", 0, payloads(2, 100)...)
	cl.Produce(t, "in", 0, payloads(5, 10)...)
	r := start(t, ConnectorOptions{BootstrapServers: Servers{cl.Bootstrap()}, Topic: "in", GroupID: "g1"})
	var msgs []*integration.Message
	for i := 0; i < 5; i++ {
		m := r.next(t)
		if want := fmt.Sprintf("in/0/%d", i); m.Position != want {
			t.Fatalf("message %d position %q, want %q", i, m.Position, want)
		}
		if want := fmt.Sprintf(`{"grid_size": %d}`, 10+i); string(m.Payload) != want {
			t.Fatalf("payload %q, want %q", m.Payload, want)
		}
		if m.Metadata["topic"] != "in" || m.Metadata["offset"] != fmt.Sprint(i) || m.ConnectorID != "kafka-in" {
			t.Fatalf("metadata %v id %s", m.Metadata, m.ConnectorID)
		}
		msgs = append(msgs, m)
	}
	r.none(t, 200*time.Millisecond) // nothing from topic "other"
	for _, i := range []int{0, 1, 3} {
		if err := msgs[i].Ack(t.Context()); err != nil {
			t.Fatal(err)
		}
	}
	cl.WaitCommitted(t, "g1", "in", map[int]int64{0: 2})
	_ = msgs[2].Ack(t.Context())
	cl.WaitCommitted(t, "g1", "in", map[int]int64{0: 4})
	snap := r.c.Snapshot()
	m := snap.Connector
	wantBytes := int64(0)
	for _, p := range payloads(5, 10) {
		wantBytes += int64(len(p))
	}
	if m.MessagesReceived != 5 || m.BytesReceived != wantBytes || m.MessagesFailed != 0 || m.LastSuccessTime == nil {
		t.Fatalf("metrics = %+v, want 5 received, %d bytes", m, wantBytes)
	}
	if snap.Status != status.ComponentConnected {
		t.Fatalf("status %q", snap.Status)
	}
	if _, ok := cl.Committed(t, "g1", "other")[0]; ok {
		t.Fatal("offsets committed for topic other")
	}
}

// TestCrashRedeliversUnacked: a consumer that dies without acking leaves
// the watermark where it was; a new member of the group gets the rest.
func TestCrashRedeliversUnacked(t *testing.T) {
	cl := kafkatest.NewCluster(t, kafkatest.Topic{Name: "in"})
	cl.Produce(t, "in", 0, payloads(4, 1)...)
	o := ConnectorOptions{BootstrapServers: Servers{cl.Bootstrap()}, Topic: "in", GroupID: "g2"}
	first := start(t, o)
	var taken []*integration.Message
	for i := 0; i < 4; i++ {
		taken = append(taken, first.next(t))
	}
	_ = taken[0].Ack(t.Context())
	_ = taken[2].Ack(t.Context()) // out of order: 1 is not acked
	cl.WaitCommitted(t, "g2", "in", map[int]int64{0: 1})
	// Crash: the process stops consuming; Disconnect commits only the watermark.
	first.stop()
	if err := first.c.Disconnect(t.Context()); err != nil {
		t.Fatal(err)
	}
	second := start(t, o)
	for _, want := range []string{"in/0/1", "in/0/2", "in/0/3"} {
		if m := second.next(t); m.Position != want {
			t.Fatalf("after restart got %s, want %s", m.Position, want)
		}
	}
}

// TestNackRedelivers: a nacked record is handed out again and its offset
// stays uncommitted until the redelivered copy is acked.
func TestNackRedelivers(t *testing.T) {
	cl := kafkatest.NewCluster(t, kafkatest.Topic{Name: "in"})
	cl.Produce(t, "in", 0, payloads(2, 1)...)
	r := start(t, ConnectorOptions{BootstrapServers: Servers{cl.Bootstrap()}, Topic: "in", GroupID: "g3"})
	m0, m1 := r.next(t), r.next(t)
	_ = m1.Ack(t.Context())
	if err := m0.Nack(t.Context(), errors.New("publisher down")); err != nil {
		t.Fatal(err)
	}
	again := r.next(t)
	if again.Position != "in/0/0" || string(again.Payload) != string(m0.Payload) {
		t.Fatalf("redelivered %s %q", again.Position, again.Payload)
	}
	if got := cl.Committed(t, "g3", "in"); got[0] > 0 {
		t.Fatalf("committed %v before the redelivered record was acked", got)
	}
	_ = again.Ack(t.Context())
	cl.WaitCommitted(t, "g3", "in", map[int]int64{0: 2})
	if n := r.c.Snapshot().Connector.MessagesReceived; n != 2 {
		t.Fatalf("messages_received = %d, want 2 (redelivery is not a new message)", n)
	}
}

// TestAutoOffsetReset is checklist row 10.
func TestAutoOffsetReset(t *testing.T) {
	cl := kafkatest.NewCluster(t, kafkatest.Topic{Name: "in"})
	cl.Produce(t, "in", 0, payloads(3, 1)...)
	early := start(t, ConnectorOptions{BootstrapServers: Servers{cl.Bootstrap()}, Topic: "in", GroupID: "early",
		AutoOffsetReset: OffsetEarliest})
	if m := early.next(t); m.Position != "in/0/0" {
		t.Fatalf("earliest starts at %s", m.Position)
	}
	late := start(t, ConnectorOptions{BootstrapServers: Servers{cl.Bootstrap()}, Topic: "in", GroupID: "late",
		AutoOffsetReset: OffsetLatest})
	// The latest group has no record until one is produced after it joined.
	late.none(t, 500*time.Millisecond)
	cl.Produce(t, "in", 0, []byte(`{"grid_size": 99}`))
	if m := late.next(t); m.Position != "in/0/3" {
		t.Fatalf("latest got %s, want in/0/3", m.Position)
	}
}

// TestBadRecordsCountedAndStreamContinues is checklist rows 12, 104 and
// 106: invalid JSON, non-object and oversize values are counted in
// messages_failed, handed
// out marked with Metadata["error"] for dead-lettering, and the stream goes on.
func TestBadRecordsCountedAndStreamContinues(t *testing.T) {
	cl := kafkatest.NewCluster(t, kafkatest.Topic{Name: "in"})
	big := []byte(`{"pad": "` + strings.Repeat("x", 200) + `"}`)
	cl.Produce(t, "in", 0, []byte(`{"grid_size": 1}`), []byte(`{not json`), big, []byte{0xff, 0xfe},
		[]byte(`[1, 2]`), []byte(`{"grid_size": 2}`))
	o := ConnectorOptions{BootstrapServers: Servers{cl.Bootstrap()}, Topic: "in", GroupID: "g4"}
	o.Config.MaxMessageBytes = 100
	r := start(t, o)
	var errs []string
	for i := 0; i < 6; i++ {
		m := r.next(t)
		errs = append(errs, m.Metadata["error"])
		_ = m.Ack(t.Context())
	}
	if errs[0] != "" || errs[5] != "" {
		t.Fatalf("valid records marked bad: %q", errs)
	}
	if !strings.HasPrefix(errs[1], "JSON decode error: ") || !strings.HasPrefix(errs[3], "JSON decode error: ") {
		t.Fatalf("decode errors = %q", errs)
	}
	if !strings.Contains(errs[2], "max_message_bytes (100)") {
		t.Fatalf("oversize error = %q", errs[2])
	}
	if !strings.Contains(errs[4], "object") { // checklist row 106: [1,2] is not an input
		t.Fatalf("array error = %q", errs[4])
	}
	snap := r.c.Snapshot()
	if snap.Connector.MessagesFailed != 4 || snap.Connector.MessagesReceived != 2 {
		t.Fatalf("metrics %+v, want 4 failed 2 received", snap.Connector)
	}
	if snap.LastError != errs[4] {
		t.Fatalf("last error %q, want %q", snap.LastError, errs[4])
	}
	cl.WaitCommitted(t, "g4", "in", map[int]int64{0: 6})
}

// TestRebalanceSplitsPartitions: two members share a 2-partition topic;
// every record is delivered, and after one member leaves the other takes
// over the unacknowledged records of the revoked partition.
func TestRebalanceSplitsPartitions(t *testing.T) {
	cl := kafkatest.NewCluster(t, kafkatest.Topic{Name: "in", Partitions: 2})
	o := ConnectorOptions{BootstrapServers: Servers{cl.Bootstrap()}, Topic: "in", GroupID: "g5"}
	a := start(t, o)
	b := start(t, o)
	cl.WaitGroupMembers(t, "g5", 2)
	cl.Produce(t, "in", 0, payloads(3, 0)...)
	cl.Produce(t, "in", 1, payloads(3, 10)...)
	seen := map[string]*integration.Message{}
	from := map[string]*running{}
	// Read until all six positions were seen, from whichever member has them.
	deadline := time.After(40 * time.Second)
	for len(seen) < 6 {
		select {
		case m := <-a.Out:
			seen[m.Position], from[m.Position] = m, a
		case m := <-b.Out:
			seen[m.Position], from[m.Position] = m, b
		case <-deadline:
			t.Fatalf("only %d of 6 records delivered: %v", len(seen), keys(seen))
		}
	}
	// Ack everything delivered by a; stop b without acking.
	for pos, m := range seen {
		if from[pos] == a {
			_ = m.Ack(t.Context())
		}
	}
	b.stop()
	_ = b.c.Disconnect(t.Context())
	// a must now receive again every record b held.
	want := map[string]bool{}
	for pos := range seen {
		if from[pos] == b {
			want[pos] = true
		}
	}
	if len(want) == 0 || len(want) == 6 {
		t.Fatalf("member b held %d of 6 records; the partitions were not split", len(want))
	}
	for len(want) > 0 {
		m := a.next(t)
		delete(want, m.Position)
		_ = m.Ack(t.Context())
	}
	cl.WaitCommitted(t, "g5", "in", map[int]int64{0: 3, 1: 3})
}

func keys(m map[string]*integration.Message) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

// TestDisconnectEndsStreamAndIsIdempotent is checklist row 107.
func TestDisconnectEndsStreamAndIsIdempotent(t *testing.T) {
	cl := kafkatest.NewCluster(t, kafkatest.Topic{Name: "in"})
	cl.Produce(t, "in", 0, payloads(1, 1)...)
	r := start(t, ConnectorOptions{BootstrapServers: Servers{cl.Bootstrap()}, Topic: "in", GroupID: "g6"})
	_ = r.next(t) // Consume connected lazily
	if err := r.c.Disconnect(t.Context()); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-r.Done:
		if err != nil {
			t.Fatalf("Consume returned %v after Disconnect, want nil", err)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("Consume still running after Disconnect")
	}
	if err := r.c.Disconnect(t.Context()); err != nil {
		t.Fatalf("second Disconnect: %v", err)
	}
	if s := r.c.Snapshot().Status; s != status.ComponentDisconnected {
		t.Fatalf("status %q", s)
	}
}

// TestConnectFailureAndBreaker covers rows 31, 79 and 83: an unreachable
// broker fails Connect (status error, connection_errors 1, retry_count per
// attempt); with threshold 1 the breaker opens and the next Consume fails
// with the breaker sentinel.
func TestConnectFailureAndBreaker(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	_ = ln.Close() // nothing listens there now
	o := ConnectorOptions{BootstrapServers: Servers{addr}, Topic: "in", GroupID: "g"}
	o.Config.RetryStrategy = integration.RetryImmediate
	o.Config.MaxRetries = 1
	o.Config.CircuitBreakerThreshold = 2
	o.Config.Timeout = 2 * time.Second
	c, err := NewConnector(o)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Connect(t.Context()); err == nil {
		t.Fatal("Connect to a closed port succeeded")
	}
	s := c.Snapshot()
	if s.Status != status.ComponentCircuitOpen && s.Status != status.ComponentError {
		t.Fatalf("status %q", s.Status)
	}
	if s.Connector.ConnectionErrors != 1 || s.Connector.RetryCount != 2 || s.LastError == "" {
		t.Fatalf("metrics %+v last error %q", s.Connector, s.LastError)
	}
	if s.Breaker.State != status.BreakerOpen {
		t.Fatalf("breaker %q after 2 failed attempts with threshold 2", s.Breaker.State)
	}
	err = c.Consume(t.Context(), make(chan *integration.Message))
	if !errors.Is(err, breaker.ErrCircuitOpen) || err.Error() != "Circuit breaker is open" {
		t.Fatalf("Consume with open breaker = %v", err)
	}
}

// TestAutoCommitCommitsWithoutAcks: enable_auto_commit=true (R66 parity)
// commits records as they are handed out, before any ack.
func TestAutoCommitCommitsWithoutAcks(t *testing.T) {
	cl := kafkatest.NewCluster(t, kafkatest.Topic{Name: "in"})
	cl.Produce(t, "in", 0, payloads(3, 1)...)
	r := start(t, ConnectorOptions{BootstrapServers: Servers{cl.Bootstrap()}, Topic: "in", GroupID: "auto",
		EnableAutoCommit: true})
	for i := 0; i < 3; i++ {
		r.next(t)
	}
	cl.WaitCommitted(t, "auto", "in", map[int]int64{0: 3})
}

// TestSASLPlain: Connect authenticates with SASL/PLAIN; a wrong password
// fails Connect (kfake drops the connection, so the client sees EOF and
// retries; a real broker answers SASL_AUTHENTICATION_FAILED, which is
// permanent) and the recorded error does not carry the password.
func TestSASLPlain(t *testing.T) {
	cl := kafkatest.NewClusterWith(t, []kfake.Opt{kfake.EnableSASL(), kfake.Superuser("PLAIN", "mfn", "s3cret-pw")},
		kafkatest.Topic{Name: "in"})
	o := fastGroup(ConnectorOptions{BootstrapServers: Servers{cl.Bootstrap()}, Topic: "in", GroupID: "g",
		SASL: &SASL{Mechanism: "PLAIN", Username: "mfn", Password: "s3cret-pw"}})
	c, err := NewConnector(o)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Connect(t.Context()); err != nil {
		t.Fatalf("Connect with the right password: %v", err)
	}
	_ = c.Disconnect(t.Context())

	o.SASL = &SASL{Mechanism: "PLAIN", Username: "mfn", Password: "wrong-pw"}
	o.Config.RetryStrategy = integration.RetryImmediate
	c, err = NewConnector(o)
	if err != nil {
		t.Fatal(err)
	}
	err = c.Connect(t.Context())
	if err == nil {
		t.Fatal("Connect with a wrong password succeeded")
	}
	s := c.Snapshot()
	if s.Connector.ConnectionErrors != 1 || s.Status != status.ComponentError || strings.Contains(s.LastError, "wrong-pw") {
		t.Fatalf("retry_count %d status %q last error %q", s.Connector.RetryCount, s.Status, s.LastError)
	}
}

// TestGroupAuthorizationFailureIsTerminal: a user allowed to read the topic
// but not to use the group gets a terminal error from Consume and status
// error (§7.1: non-recoverable client errors end the stream).
func TestGroupAuthorizationFailureIsTerminal(t *testing.T) {
	topicACL := kfake.ACL{Resource: kmsg.ACLResourceTypeTopic, Name: "in",
		Pattern: kmsg.ACLResourcePatternTypeLiteral, Operation: kmsg.ACLOperationAll, Allow: true}
	cl := kafkatest.NewClusterWith(t, []kfake.Opt{kfake.EnableSASL(), kfake.EnableACLs(),
		kfake.Superuser("PLAIN", "admin", "admin-pw"), kfake.User("PLAIN", "reader", "reader-pw", topicACL)},
		kafkatest.Topic{Name: "in"})
	o := fastGroup(ConnectorOptions{BootstrapServers: Servers{cl.Bootstrap()}, Topic: "in", GroupID: "forbidden",
		SASL: &SASL{Mechanism: "PLAIN", Username: "reader", Password: "reader-pw"}})
	c, err := NewConnector(o)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = c.Disconnect(t.Context()) }()
	err = c.Consume(t.Context(), make(chan *integration.Message))
	if !errors.Is(err, kafkago.GroupAuthorizationFailed) {
		t.Fatalf("Consume = %v, want the group authorization error", err)
	}
	if s := c.Snapshot(); s.Status != status.ComponentError || !strings.Contains(s.LastError, "Group Authorization Failed") {
		t.Fatalf("status %q last error %q", s.Status, s.LastError)
	}
}
