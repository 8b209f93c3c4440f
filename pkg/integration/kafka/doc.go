// Package kafka holds the Kafka connector (consumer) and the Kafka
// publisher of INTEGRATION.md §7.1 and §8.4, built on segmentio/kafka-go.
//
// # Connector
//
// [Connector] consumes one topic as a member of a consumer group. Offsets
// are never committed ahead of processing: per partition the connector
// commits the contiguous watermark of acknowledged records (acks may
// arrive out of order from concurrent workers), every CommitInterval, when
// a rebalance revokes the partition and on Disconnect. A nacked record is
// handed out again by the same member; a crash re-delivers everything
// after the committed watermark to the next member of the group.
//
//	c, err := kafka.NewConnector(kafka.ConnectorOptions{
//		BootstrapServers: kafka.ParseServers("kafka1:9092,kafka2:9092"),
//		Topic: "mfn-simulation-params", GroupID: "mfn-workers"})
//	...
//	err = c.Consume(ctx, out) // until ctx ends or Disconnect
//
// Tests use the in-process cluster of package kafkatest.
package kafka
