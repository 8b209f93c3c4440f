// Package kafkatest runs an in-process Kafka cluster (franz-go's kfake) over
// TCP for tests of the Kafka connector and publisher, and offers small
// helpers to produce records, read a topic back and inspect committed
// consumer-group offsets with the same client library the product uses
// (segmentio/kafka-go).
//
// # Example
//
//	c := kafkatest.NewCluster(t, kafkatest.Topic{Name: "in", Partitions: 2})
//	c.Produce(t, "in", 0, []byte(`{"grid_size": 32}`))
//	// ... run the code under test against c.Addrs() ...
//	offsets := c.Committed(t, "my-group", "in") // partition -> next offset
package kafkatest
