package kafkatest

import (
	"context"
	"testing"
	"time"

	kafkago "github.com/segmentio/kafka-go"
)

func TestProduceAndReadBack(t *testing.T) {
	c := NewCluster(t, Topic{Name: "t1", Partitions: 2})
	if first := c.Produce(t, "t1", 1, []byte("a"), []byte("b")); first != 0 {
		t.Fatalf("first offset = %d, want 0", first)
	}
	if first := c.Produce(t, "t1", 1, []byte("c")); first != 2 {
		t.Fatalf("first offset of second batch = %d, want 2", first)
	}
	recs := c.Records(t, "t1", 1)
	if len(recs) != 3 || string(recs[0].Value) != "a" || string(recs[2].Value) != "c" {
		t.Fatalf("records = %v", recs)
	}
	if got := c.Records(t, "t1", 0); len(got) != 0 {
		t.Fatalf("partition 0 has %d records, want 0", len(got))
	}
}

func TestCommittedThroughConsumerGroup(t *testing.T) {
	c := NewCluster(t, Topic{Name: "t2", Partitions: 1})
	if got := c.Committed(t, "g", "t2"); len(got) != 0 {
		t.Fatalf("fresh group committed %v", got)
	}
	g, err := kafkago.NewConsumerGroup(kafkago.ConsumerGroupConfig{ID: "g", Brokers: c.Addrs(),
		Topics: []string{"t2"}, Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer g.Close()
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	defer cancel()
	gen, err := g.Next(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := gen.CommitOffsets(map[string]map[int]int64{"t2": {0: 7}}); err != nil {
		t.Fatal(err)
	}
	c.WaitCommitted(t, "g", "t2", map[int]int64{0: 7})
}
