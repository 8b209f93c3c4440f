package pipeline

import (
	"github.com/prometheus/client_golang/prometheus"
)

var (
	descProcessed = prometheus.NewDesc("mfn_pipeline_messages_processed_total",
		"Messages whose result every publisher accepted.", nil, nil)
	descFailed = prometheus.NewDesc("mfn_pipeline_messages_failed_total",
		"Messages that could not be simulated (invalid parameters or engine error).", nil, nil)
	descDeadLettered = prometheus.NewDesc("mfn_pipeline_messages_dead_lettered_total",
		"Failure envelopes accepted by the dead-letter publisher.", nil, nil)
	descDeadLetterErrors = prometheus.NewDesc("mfn_pipeline_dead_letter_errors_total",
		"Failure envelopes the dead-letter publisher gave up.", nil, nil)
	descUndelivered = prometheus.NewDesc("mfn_pipeline_messages_undelivered_total",
		"Results a publisher gave up.", nil, nil)
	descNacked = prometheus.NewDesc("mfn_pipeline_messages_nacked_total",
		"Messages handed back to the source for redelivery.", nil, nil)
	descPauses = prometheus.NewDesc("mfn_pipeline_pauses_total",
		"Times consumption was paused because a publisher's circuit breaker opened.", nil, nil)
	descInFlight = prometheus.NewDesc("mfn_pipeline_messages_in_flight",
		"Messages taken from the connector and not yet settled.", nil, nil)
	descPaused = prometheus.NewDesc("mfn_pipeline_paused",
		"1 while consumption is paused by an open circuit breaker.", nil, nil)
	descLastProcessed = prometheus.NewDesc("mfn_pipeline_last_processed_timestamp_seconds",
		"Unix time of the last processed message (0 if none).", nil, nil)
)

func newLatencyHistogram() prometheus.Histogram {
	return prometheus.NewHistogram(prometheus.HistogramOpts{
		Name: "mfn_pipeline_simulation_duration_seconds",
		Help: "Time to decode, simulate and encode one message.",
		// 0.1 ms … ~52 s: from tiny test grids to grid 512 × thousands of steps.
		Buckets: prometheus.ExponentialBuckets(0.0001, 2, 20),
	})
}

// Describe implements prometheus.Collector.
func (r *Runtime) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{descProcessed, descFailed, descDeadLettered, descDeadLetterErrors,
		descUndelivered, descNacked, descPauses, descInFlight, descPaused, descLastProcessed} {
		ch <- d
	}
	r.latency.Describe(ch)
}

// Collect implements prometheus.Collector.
func (r *Runtime) Collect(ch chan<- prometheus.Metric) {
	c := r.Counters()
	counter := func(d *prometheus.Desc, v int64) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.CounterValue, float64(v))
	}
	counter(descProcessed, c.Processed)
	counter(descFailed, c.Failed)
	counter(descDeadLettered, c.DeadLettered)
	counter(descDeadLetterErrors, c.DeadLetterErrors)
	counter(descUndelivered, c.Undelivered)
	counter(descNacked, c.Nacked)
	counter(descPauses, c.Pauses)
	ch <- prometheus.MustNewConstMetric(descInFlight, prometheus.GaugeValue, float64(c.InFlight))
	paused := 0.0
	if c.Paused {
		paused = 1
	}
	ch <- prometheus.MustNewConstMetric(descPaused, prometheus.GaugeValue, paused)
	last := 0.0
	if !c.LastProcessed.IsZero() {
		last = float64(c.LastProcessed.UnixNano()) / 1e9
	}
	ch <- prometheus.MustNewConstMetric(descLastProcessed, prometheus.GaugeValue, last)
	r.latency.Collect(ch)
}
