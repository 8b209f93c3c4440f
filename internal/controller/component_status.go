package controller

import (
	"fmt"
	"math"
	"slices"
	"strings"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/mfn-io/mfn-operator/api/v1alpha1"
)

// componentUse is one pipeline's view of a Connector or Publisher: the
// entries of the pipeline's status that describe it (none before the
// pipeline reconciler first reported, two when a Publisher is both a
// publisher and the dead-letter publisher of the pipeline).
type componentUse struct {
	pipeline string
	entries  []v1alpha1.ComponentStatus
}

// componentSummary is a Connector's or Publisher's status aggregated over
// the pipelines that use it.
type componentSummary struct {
	usedBy           []string
	breaker          v1alpha1.BreakerSummary
	connectorMetrics *v1alpha1.ConnectorMetrics
	publisherMetrics *v1alpha1.PublisherMetrics
	// healthy is the Healthy condition without observedGeneration.
	healthy metav1.Condition
}

// summarizeComponent aggregates the uses of one component. The breaker
// state is the worst over every entry (Open > HalfOpen > Closed) with the
// worker counts summed; the counters are summed and lastSuccessTime is the
// latest. The Healthy condition is Unknown/NotInUse without uses,
// False/CircuitOpen (or CircuitHalfOpen) naming the pipelines concerned,
// Unknown/StatusUnavailable when no pipeline reported a breaker yet, and
// True/AllClosed otherwise.
func summarizeComponent(uses []componentUse) componentSummary {
	var s componentSummary
	var open, halfOpen []string
	for _, u := range uses {
		s.usedBy = append(s.usedBy, u.pipeline)
		worst := v1alpha1.BreakerState("")
		for i := range u.entries {
			e := &u.entries[i]
			s.breaker.Workers.Closed += e.BreakerWorkers.Closed
			s.breaker.Workers.Open += e.BreakerWorkers.Open
			s.breaker.Workers.HalfOpen += e.BreakerWorkers.HalfOpen
			worst = worseBreaker(worst, e.Breaker)
			s.connectorMetrics = addConnectorMetrics(s.connectorMetrics, e.ConnectorMetrics)
			s.publisherMetrics = addPublisherMetrics(s.publisherMetrics, e.PublisherMetrics)
		}
		switch worst {
		case v1alpha1.BreakerOpen:
			open = append(open, u.pipeline)
		case v1alpha1.BreakerHalfOpen:
			halfOpen = append(halfOpen, u.pipeline)
		}
		s.breaker.State = worseBreaker(s.breaker.State, worst)
	}
	slices.Sort(s.usedBy)
	s.usedBy = slices.Compact(s.usedBy)
	slices.Sort(open)
	slices.Sort(halfOpen)
	s.healthy = healthyCondition(len(s.usedBy), s.breaker.State, open, halfOpen)
	return s
}

// breakerRank orders breaker states from unknown to worst.
var breakerRank = map[v1alpha1.BreakerState]int{
	v1alpha1.BreakerClosed: 1, v1alpha1.BreakerHalfOpen: 2, v1alpha1.BreakerOpen: 3,
}

// worseBreaker returns the worse of two breaker states ("" is unknown and
// loses to any state).
func worseBreaker(a, b v1alpha1.BreakerState) v1alpha1.BreakerState {
	if breakerRank[b] > breakerRank[a] {
		return b
	}
	return a
}

// healthyCondition builds the Healthy condition of a component.
func healthyCondition(pipelines int, state v1alpha1.BreakerState, open, halfOpen []string) metav1.Condition {
	c := metav1.Condition{Type: v1alpha1.ConditionHealthy}
	switch {
	case pipelines == 0:
		c.Status, c.Reason, c.Message = metav1.ConditionUnknown, v1alpha1.ReasonNotInUse, "no MFNPipeline in the namespace references it"
	case state == v1alpha1.BreakerOpen:
		c.Status, c.Reason = metav1.ConditionFalse, v1alpha1.ReasonCircuitOpen
		c.Message = "circuit breaker open in pipelines: " + strings.Join(open, ", ")
	case state == v1alpha1.BreakerHalfOpen:
		c.Status, c.Reason = metav1.ConditionFalse, v1alpha1.ReasonCircuitHalfOpen
		c.Message = "circuit breaker half-open in pipelines: " + strings.Join(halfOpen, ", ")
	case state == "":
		c.Status, c.Reason = metav1.ConditionUnknown, v1alpha1.ReasonStatusUnavailable
		c.Message = fmt.Sprintf("no worker of the %d pipeline(s) using it reported its breaker", pipelines)
	default:
		c.Status, c.Reason = metav1.ConditionTrue, v1alpha1.ReasonAllClosed
		c.Message = fmt.Sprintf("circuit breaker closed on every reporting worker of %d pipeline(s)", pipelines)
	}
	return c
}

// addConnectorMetrics adds m into sum, allocating sum on the first m.
func addConnectorMetrics(sum, m *v1alpha1.ConnectorMetrics) *v1alpha1.ConnectorMetrics {
	if m == nil {
		return sum
	}
	if sum == nil {
		sum = &v1alpha1.ConnectorMetrics{}
	}
	sum.MessagesReceived += m.MessagesReceived
	sum.MessagesFailed += m.MessagesFailed
	sum.BytesReceived += m.BytesReceived
	sum.ConnectionErrors += m.ConnectionErrors
	sum.RetryCount += m.RetryCount
	sum.Rejections += m.Rejections
	sum.LastSuccessTime = latest(sum.LastSuccessTime, m.LastSuccessTime)
	return sum
}

// addPublisherMetrics adds m into sum, allocating sum on the first m.
func addPublisherMetrics(sum, m *v1alpha1.PublisherMetrics) *v1alpha1.PublisherMetrics {
	if m == nil {
		return sum
	}
	if sum == nil {
		sum = &v1alpha1.PublisherMetrics{}
	}
	sum.MessagesSent += m.MessagesSent
	sum.MessagesFailed += m.MessagesFailed
	sum.BytesSent += m.BytesSent
	sum.BatchesSent += m.BatchesSent
	sum.PublishErrors += m.PublishErrors
	sum.RetryCount += m.RetryCount
	sum.Buffered += m.Buffered
	sum.Rejections += m.Rejections
	sum.LastSuccessTime = latest(sum.LastSuccessTime, m.LastSuccessTime)
	return sum
}

// latest returns the later of two optional times (a copy, never an alias).
func latest(a, b *metav1.Time) *metav1.Time {
	switch {
	case b == nil:
		return a
	case a == nil || b.After(a.Time):
		return b.DeepCopy()
	}
	return a
}

// pipelines is len(usedBy) as the status field's type.
func (s *componentSummary) pipelines() int32 {
	return int32(min(len(s.usedBy), math.MaxInt32)) //nolint:gosec // clamped above
}
