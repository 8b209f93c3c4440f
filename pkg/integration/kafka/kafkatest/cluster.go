package kafkatest

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	kafkago "github.com/segmentio/kafka-go"
	"github.com/twmb/franz-go/pkg/kfake"
)

// Topic is a topic created when the cluster starts.
type Topic struct {
	Name       string
	Partitions int32
}

// Cluster is a single-broker kfake cluster listening on a loopback TCP port.
type Cluster struct {
	fake *kfake.Cluster
}

// NewCluster starts a cluster with the given topics (one partition when
// Partitions is zero) and stops it when the test ends. Topics that are not
// listed are created on first use.
func NewCluster(t testing.TB, topics ...Topic) *Cluster {
	t.Helper()
	return NewClusterWith(t, nil, topics...)
}

// NewClusterWith is NewCluster with extra kfake options (for example
// kfake.EnableSASL() and kfake.Superuser). The produce and offset helpers
// of this package do not authenticate: with SASL only Addrs is useful.
func NewClusterWith(t testing.TB, extra []kfake.Opt, topics ...Topic) *Cluster {
	t.Helper()
	opts := append([]kfake.Opt{kfake.NumBrokers(1), kfake.AllowAutoTopicCreation(),
		kfake.DefaultNumPartitions(1)}, extra...)
	for _, tp := range topics {
		n := tp.Partitions
		if n <= 0 {
			n = 1
		}
		opts = append(opts, kfake.SeedTopics(n, tp.Name))
	}
	fake, err := kfake.NewCluster(opts...)
	if err != nil {
		t.Fatalf("kafkatest: start kfake: %v", err)
	}
	t.Cleanup(fake.Close)
	return &Cluster{fake: fake}
}

// Addrs returns the broker addresses (host:port).
func (c *Cluster) Addrs() []string { return c.fake.ListenAddrs() }

// Bootstrap returns the broker addresses as a comma-separated list.
func (c *Cluster) Bootstrap() string { return strings.Join(c.Addrs(), ",") }

// Fake exposes the underlying kfake cluster (for fault injection with Control).
func (c *Cluster) Fake() *kfake.Cluster { return c.fake }

// Produce writes values, in order, to one partition of topic and returns the
// offset of the first one.
func (c *Cluster) Produce(t testing.TB, topic string, partition int, values ...[]byte) int64 {
	t.Helper()
	msgs := make([]kafkago.Message, len(values))
	for i, v := range values {
		msgs[i] = kafkago.Message{Value: v}
	}
	return c.ProduceMessages(t, topic, partition, msgs...)
}

// ProduceMessages writes full messages (key, headers, value) to one
// partition and returns the offset of the first one.
func (c *Cluster) ProduceMessages(t testing.TB, topic string, partition int, msgs ...kafkago.Message) int64 {
	t.Helper()
	conn, first := c.leader(t, topic, partition)
	defer conn.Close()
	if _, err := conn.WriteMessages(msgs...); err != nil {
		t.Fatalf("kafkatest: produce to %s/%d: %v", topic, partition, err)
	}
	return first
}

// leader dials the partition's leader and returns the connection and the
// partition's end offset.
func (c *Cluster) leader(t testing.TB, topic string, partition int) (*kafkago.Conn, int64) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	conn, err := kafkago.DialLeader(ctx, "tcp", c.Addrs()[0], topic, partition)
	if err != nil {
		t.Fatalf("kafkatest: dial leader of %s/%d: %v", topic, partition, err)
	}
	last, err := conn.ReadLastOffset()
	if err != nil {
		_ = conn.Close()
		t.Fatalf("kafkatest: last offset of %s/%d: %v", topic, partition, err)
	}
	return conn, last
}

// Records reads every record of one partition from offset 0 up to the
// current end.
func (c *Cluster) Records(t testing.TB, topic string, partition int) []kafkago.Message {
	t.Helper()
	conn, last := c.leader(t, topic, partition)
	_ = conn.Close()
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	var out []kafkago.Message
	r := kafkago.NewReader(kafkago.ReaderConfig{Brokers: c.Addrs(), Topic: topic,
		Partition: partition, MaxWait: 100 * time.Millisecond})
	defer r.Close()
	for int64(len(out)) < last {
		m, err := r.ReadMessage(ctx)
		if err != nil {
			t.Fatalf("kafkatest: read %s/%d after %d records: %v", topic, partition, len(out), err)
		}
		out = append(out, m)
		if m.Offset+1 >= last {
			break
		}
	}
	return out
}

// Committed returns the committed offsets of group for topic, by partition.
// Partitions without a committed offset are absent.
func (c *Cluster) Committed(t testing.TB, group, topic string) map[int]int64 {
	t.Helper()
	got, err := c.committed(t.Context(), group, topic)
	if err != nil {
		t.Fatalf("kafkatest: offsets of group %s: %v", group, err)
	}
	return got
}

func (c *Cluster) committed(ctx context.Context, group, topic string) (map[int]int64, error) {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	client := &kafkago.Client{Addr: kafkago.TCP(c.Addrs()...)}
	// No topic list: the broker answers for every topic the group committed.
	resp, err := client.OffsetFetch(ctx, &kafkago.OffsetFetchRequest{GroupID: group})
	if err != nil {
		return nil, err
	}
	if errors.Is(resp.Error, kafkago.GroupIdNotFound) {
		return map[int]int64{}, nil
	}
	if resp.Error != nil {
		return nil, resp.Error
	}
	out := map[int]int64{}
	for _, p := range resp.Topics[topic] {
		if p.Error != nil && !errors.Is(p.Error, kafkago.UnknownTopicOrPartition) {
			return nil, p.Error
		}
		if p.CommittedOffset >= 0 {
			out[p.Partition] = p.CommittedOffset
		}
	}
	return out, nil
}

// WaitCommitted polls until the committed offsets of group for topic equal
// want (partition -> next offset) or the test's context ends; it fails the
// test with the last value seen.
func (c *Cluster) WaitCommitted(t testing.TB, group, topic string, want map[int]int64) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 15*time.Second)
	defer cancel()
	var last map[int]int64
	var lastErr error
	for {
		last, lastErr = c.committed(ctx, group, topic)
		if lastErr == nil && equalOffsets(last, want) {
			return
		}
		select {
		case <-ctx.Done():
			t.Fatalf("kafkatest: group %s topic %s: committed %v (err %v), want %v", group, topic, last, lastErr, want)
		case <-time.After(20 * time.Millisecond):
		}
	}
}

func equalOffsets(a, b map[int]int64) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}

// WaitGroupMembers polls until group is Stable with n members, or fails
// the test after 20 s.
func (c *Cluster) WaitGroupMembers(t testing.TB, group string, n int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	defer cancel()
	client := &kafkago.Client{Addr: kafkago.TCP(c.Addrs()...)}
	var state string
	var members int
	for {
		resp, err := client.DescribeGroups(ctx, &kafkago.DescribeGroupsRequest{GroupIDs: []string{group}})
		if err == nil && len(resp.Groups) == 1 {
			state, members = resp.Groups[0].GroupState, len(resp.Groups[0].Members)
			if state == "Stable" && members == n {
				return
			}
		}
		select {
		case <-ctx.Done():
			t.Fatalf("kafkatest: group %s is %s with %d members, want Stable with %d (err %v)", group, state, members, n, err)
		case <-time.After(20 * time.Millisecond):
		}
	}
}
