package component

import (
	"github.com/prometheus/client_golang/prometheus"
)

// metric is one exported series read from a counter at scrape time.
type metric struct {
	desc  *prometheus.Desc
	kind  prometheus.ValueType
	value func() float64
}

// collector exports one component's metrics (INTEGRATION.md §5.3). The
// component_id/kind (or role) labels are constant labels, so several
// components can be registered with the same registry.
type collector struct{ metrics []metric }

func (c *collector) Describe(ch chan<- *prometheus.Desc) {
	for _, m := range c.metrics {
		ch <- m.desc
	}
}

func (c *collector) Collect(ch chan<- prometheus.Metric) {
	for _, m := range c.metrics {
		ch <- prometheus.MustNewConstMetric(m.desc, m.kind, m.value())
	}
}

func (c *collector) add(name, help string, labels prometheus.Labels, kind prometheus.ValueType, value func() float64) {
	c.metrics = append(c.metrics, metric{prometheus.NewDesc(name, help, nil, labels), kind, value})
}

func counter(v interface{ Load() int64 }) func() float64 {
	return func() float64 { return float64(v.Load()) }
}

func connectorCollector(b *ConnectorBase) *collector {
	l := prometheus.Labels{"component_id": b.id, "kind": b.kind}
	m := &b.Metrics
	c := &collector{}
	c.add("mfn_connector_messages_received_total", "Messages handed to the pipeline.", l, prometheus.CounterValue, counter(&m.MessagesReceived))
	c.add("mfn_connector_messages_failed_total", "Input units that could not become a message.", l, prometheus.CounterValue, counter(&m.MessagesFailed))
	c.add("mfn_connector_bytes_received_total", "Raw payload bytes received.", l, prometheus.CounterValue, counter(&m.BytesReceived))
	c.add("mfn_connector_connection_errors_total", "Operations that exhausted their retries, and failed connects.", l, prometheus.CounterValue, counter(&m.ConnectionErrors))
	c.add("mfn_connector_retries_total", "Failed attempts inside retried operations.", l, prometheus.CounterValue, counter(&m.RetryCount))
	c.add("mfn_connector_last_success_timestamp_seconds", "Unix time of the last message handed to the pipeline.", l, prometheus.GaugeValue, func() float64 {
		if t := m.LastSuccess(); t != nil {
			return float64(t.UnixNano()) / 1e9
		}
		return 0
	})
	b.addBreakerMetrics(c)
	return c
}

func publisherCollector(b *PublisherBase) *collector {
	l := prometheus.Labels{"component_id": b.id, "kind": b.kind}
	m := &b.Metrics
	c := &collector{}
	c.add("mfn_publisher_messages_sent_total", "Messages accepted by the destination.", l, prometheus.CounterValue, counter(&m.MessagesSent))
	c.add("mfn_publisher_messages_failed_total", "Messages given up.", l, prometheus.CounterValue, counter(&m.MessagesFailed))
	c.add("mfn_publisher_bytes_sent_total", "Serialised body bytes sent, before compression.", l, prometheus.CounterValue, counter(&m.BytesSent))
	c.add("mfn_publisher_batches_sent_total", "Flushes in which every message was sent.", l, prometheus.CounterValue, counter(&m.BatchesSent))
	c.add("mfn_publisher_publish_errors_total", "Failed send operations, including circuit breaker refusals.", l, prometheus.CounterValue, counter(&m.PublishErrors))
	c.add("mfn_publisher_retries_total", "Failed attempts inside retried operations.", l, prometheus.CounterValue, counter(&m.RetryCount))
	c.add("mfn_publisher_buffered_messages", "Messages waiting in the publisher buffer.", l, prometheus.GaugeValue, counter(&m.Buffered))
	b.addBreakerMetrics(c)
	return c
}

func (b *Base) addBreakerMetrics(c *collector) {
	l := prometheus.Labels{"component_id": b.id, "role": string(b.role)}
	c.add("mfn_circuit_breaker_state", "Circuit breaker state: 0 closed, 1 half_open, 2 open.", l, prometheus.GaugeValue,
		func() float64 { return float64(b.breaker.State()) })
	c.add("mfn_circuit_breaker_rejections_total", "Operations refused by the open circuit breaker.", l, prometheus.CounterValue,
		func() float64 { return float64(b.breaker.Counts().Rejections) })
}
