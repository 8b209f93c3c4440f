package controller

import (
	"testing"
	"time"

	apiequality "k8s.io/apimachinery/pkg/api/equality"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/mfn-io/mfn-operator/api/v1alpha1"
)

func entry(state v1alpha1.BreakerState, w v1alpha1.BreakerWorkers) v1alpha1.ComponentStatus {
	return v1alpha1.ComponentStatus{Name: "c", Breaker: state, BreakerWorkers: w}
}

func TestSummarizeComponent(t *testing.T) {
	t1 := metav1.NewTime(time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC))
	t2 := metav1.NewTime(t1.Add(time.Minute))
	closed := entry(v1alpha1.BreakerClosed, v1alpha1.BreakerWorkers{Closed: 2})
	half := entry(v1alpha1.BreakerHalfOpen, v1alpha1.BreakerWorkers{Closed: 1, HalfOpen: 1})
	open := entry(v1alpha1.BreakerOpen, v1alpha1.BreakerWorkers{Open: 1, HalfOpen: 2})
	tests := []struct {
		name        string
		uses        []componentUse
		usedBy      []string
		breaker     v1alpha1.BreakerSummary
		status      metav1.ConditionStatus
		reason, msg string
	}{
		{
			name: "not in use", status: metav1.ConditionUnknown, reason: v1alpha1.ReasonNotInUse,
			msg: "no MFNPipeline in the namespace references it",
		},
		{
			name:   "used but nothing reported yet",
			uses:   []componentUse{{pipeline: "b"}, {pipeline: "a", entries: []v1alpha1.ComponentStatus{{Name: "c", Status: v1alpha1.ComponentUnknown}}}},
			usedBy: []string{"a", "b"}, status: metav1.ConditionUnknown, reason: v1alpha1.ReasonStatusUnavailable,
			msg: "no worker of the 2 pipeline(s) using it reported its breaker",
		},
		{
			name:   "all closed, one pipeline not reporting",
			uses:   []componentUse{{pipeline: "b", entries: []v1alpha1.ComponentStatus{closed}}, {pipeline: "a"}},
			usedBy: []string{"a", "b"}, breaker: v1alpha1.BreakerSummary{State: v1alpha1.BreakerClosed, Workers: v1alpha1.BreakerWorkers{Closed: 2}},
			status: metav1.ConditionTrue, reason: v1alpha1.ReasonAllClosed,
			msg: "circuit breaker closed on every reporting worker of 2 pipeline(s)",
		},
		{
			name:   "half-open beats closed",
			uses:   []componentUse{{pipeline: "x", entries: []v1alpha1.ComponentStatus{closed}}, {pipeline: "y", entries: []v1alpha1.ComponentStatus{half}}},
			usedBy: []string{"x", "y"}, breaker: v1alpha1.BreakerSummary{State: v1alpha1.BreakerHalfOpen, Workers: v1alpha1.BreakerWorkers{Closed: 3, HalfOpen: 1}},
			status: metav1.ConditionFalse, reason: v1alpha1.ReasonCircuitHalfOpen, msg: "circuit breaker half-open in pipelines: y",
		},
		{
			name: "open beats half-open and names only open pipelines, sorted",
			uses: []componentUse{
				{pipeline: "z", entries: []v1alpha1.ComponentStatus{open}},
				{pipeline: "m", entries: []v1alpha1.ComponentStatus{half}},
				{pipeline: "a", entries: []v1alpha1.ComponentStatus{closed, open}},
			},
			usedBy:  []string{"a", "m", "z"},
			breaker: v1alpha1.BreakerSummary{State: v1alpha1.BreakerOpen, Workers: v1alpha1.BreakerWorkers{Closed: 3, Open: 2, HalfOpen: 5}},
			status:  metav1.ConditionFalse, reason: v1alpha1.ReasonCircuitOpen, msg: "circuit breaker open in pipelines: a, z",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := summarizeComponent(tc.uses)
			if !apiequality.Semantic.DeepEqual(s.usedBy, tc.usedBy) {
				t.Errorf("usedBy = %v, want %v", s.usedBy, tc.usedBy)
			}
			if s.breaker != tc.breaker {
				t.Errorf("breaker = %+v, want %+v", s.breaker, tc.breaker)
			}
			c := s.healthy
			if c.Type != v1alpha1.ConditionHealthy || c.Status != tc.status || c.Reason != tc.reason || c.Message != tc.msg {
				t.Errorf("healthy = %s/%s/%s %q, want Healthy/%s/%s %q", c.Type, c.Status, c.Reason, c.Message, tc.status, tc.reason, tc.msg)
			}
			if s.connectorMetrics != nil || s.publisherMetrics != nil {
				t.Errorf("metrics without any reported: %+v %+v", s.connectorMetrics, s.publisherMetrics)
			}
		})
	}

	t.Run("sums counters and keeps the latest success time", func(t *testing.T) {
		a := closed
		a.ConnectorMetrics = &v1alpha1.ConnectorMetrics{MessagesReceived: 1, MessagesFailed: 2, BytesReceived: 3, ConnectionErrors: 4, RetryCount: 5, Rejections: 6, LastSuccessTime: &t2}
		a.PublisherMetrics = &v1alpha1.PublisherMetrics{MessagesSent: 1, MessagesFailed: 2, BytesSent: 3, BatchesSent: 4, PublishErrors: 5, RetryCount: 6, Buffered: 7, Rejections: 8, LastSuccessTime: &t1}
		b := open
		b.ConnectorMetrics = &v1alpha1.ConnectorMetrics{MessagesReceived: 10, MessagesFailed: 20, BytesReceived: 30, ConnectionErrors: 40, RetryCount: 50, Rejections: 60, LastSuccessTime: &t1}
		b.PublisherMetrics = &v1alpha1.PublisherMetrics{MessagesSent: 10, MessagesFailed: 20, BytesSent: 30, BatchesSent: 40, PublishErrors: 50, RetryCount: 60, Buffered: 70, Rejections: 80, LastSuccessTime: &t2}
		s := summarizeComponent([]componentUse{{pipeline: "p", entries: []v1alpha1.ComponentStatus{a}}, {pipeline: "q", entries: []v1alpha1.ComponentStatus{b}}, {pipeline: "r"}})
		wantC := &v1alpha1.ConnectorMetrics{MessagesReceived: 11, MessagesFailed: 22, BytesReceived: 33, ConnectionErrors: 44, RetryCount: 55, Rejections: 66, LastSuccessTime: &t2}
		wantP := &v1alpha1.PublisherMetrics{MessagesSent: 11, MessagesFailed: 22, BytesSent: 33, BatchesSent: 44, PublishErrors: 55, RetryCount: 66, Buffered: 77, Rejections: 88, LastSuccessTime: &t2}
		if !apiequality.Semantic.DeepEqual(s.connectorMetrics, wantC) {
			t.Errorf("connector metrics = %+v, want %+v", s.connectorMetrics, wantC)
		}
		if !apiequality.Semantic.DeepEqual(s.publisherMetrics, wantP) {
			t.Errorf("publisher metrics = %+v, want %+v", s.publisherMetrics, wantP)
		}
		if a.ConnectorMetrics.MessagesReceived != 1 || a.PublisherMetrics.LastSuccessTime != &t1 {
			t.Error("summing modified an input entry")
		}
	})

	t.Run("a pipeline listed twice counts once", func(t *testing.T) {
		s := summarizeComponent([]componentUse{{pipeline: "p"}, {pipeline: "p"}})
		if len(s.usedBy) != 1 {
			t.Errorf("usedBy = %v, want [p]", s.usedBy)
		}
	})
}

func TestComponentsChanged(t *testing.T) {
	now := metav1.Now()
	base := &v1alpha1.MFNPipeline{Spec: v1alpha1.MFNPipelineSpec{
		ConnectorRef:  v1alpha1.ComponentReference{Name: "c"},
		PublisherRefs: []v1alpha1.ComponentReference{{Name: "p"}},
	}}
	base.Status.Connector = &v1alpha1.ComponentStatus{Name: "c", Breaker: v1alpha1.BreakerClosed}
	base.Status.Publishers = []v1alpha1.ComponentStatus{{Name: "p", Breaker: v1alpha1.BreakerClosed}}
	tests := []struct {
		name           string
		edit           func(p *v1alpha1.MFNPipeline)
		connChanged    bool
		publishChanged bool
	}{
		{name: "totals only", edit: func(p *v1alpha1.MFNPipeline) { p.Status.Totals.Processed = 9 }},
		{name: "connector breaker", edit: func(p *v1alpha1.MFNPipeline) { p.Status.Connector.Breaker = v1alpha1.BreakerOpen }, connChanged: true},
		{name: "publisher metrics", edit: func(p *v1alpha1.MFNPipeline) {
			p.Status.Publishers[0].PublisherMetrics = &v1alpha1.PublisherMetrics{MessagesSent: 1}
		}, publishChanged: true},
		{name: "connector ref", edit: func(p *v1alpha1.MFNPipeline) { p.Spec.ConnectorRef.Name = "d" }, connChanged: true},
		{name: "dead-letter ref", edit: func(p *v1alpha1.MFNPipeline) {
			p.Spec.DeadLetterPublisherRef = &v1alpha1.ComponentReference{Name: "dl"}
		}, publishChanged: true},
		{name: "deletion", edit: func(p *v1alpha1.MFNPipeline) { p.DeletionTimestamp = &now }, connChanged: true, publishChanged: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := base.DeepCopy()
			tc.edit(p)
			if got := componentsChanged(connectorView, base, p); got != tc.connChanged {
				t.Errorf("connector changed = %v, want %v", got, tc.connChanged)
			}
			if got := componentsChanged(publisherView, base, p); got != tc.publishChanged {
				t.Errorf("publisher changed = %v, want %v", got, tc.publishChanged)
			}
		})
	}
}
