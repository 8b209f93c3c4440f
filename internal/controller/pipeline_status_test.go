package controller

import (
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	appsv1 "k8s.io/api/apps/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	"github.com/mfn-io/mfn-operator/api/v1alpha1"
	"github.com/mfn-io/mfn-operator/pkg/status"
)

func statusPipeline() *v1alpha1.MFNPipeline {
	return &v1alpha1.MFNPipeline{
		ObjectMeta: metav1.ObjectMeta{Name: "p", Generation: 4},
		Spec: v1alpha1.MFNPipelineSpec{
			ConnectorRef:           v1alpha1.ComponentReference{Name: "in"},
			PublisherRefs:          []v1alpha1.ComponentReference{{Name: "out1"}, {Name: "out2"}},
			DeadLetterPublisherRef: &v1alpha1.ComponentReference{Name: "dl"},
			Replicas:               ptr.To[int32](3),
		},
	}
}

func component(name, st, breaker string, failures int64) status.ComponentReport {
	return status.ComponentReport{Name: name, Kind: "kind-" + name, Status: st,
		Breaker: status.BreakerReport{State: breaker, ConsecutiveFailures: failures, Rejections: 1}}
}

func TestAggregateReports(t *testing.T) {
	t0 := time.Date(2026, 1, 2, 3, 4, 5, 600_000_000, time.UTC)
	t1 := t0.Add(time.Minute)
	w1 := status.Report{
		Connector:  component("in", status.ComponentConnected, status.BreakerClosed, 0),
		Publishers: []status.ComponentReport{component("out1", status.ComponentConnected, status.BreakerClosed, 0), component("out2", status.ComponentConnecting, status.BreakerHalfOpen, 2)},
		Totals:     status.Totals{Processed: 10, Failed: 1, DeadLettered: 1, InFlight: 2, LastProcessedTime: &t0},
	}
	w1.Connector.Connector = &status.ConnectorMetrics{MessagesReceived: 11, BytesReceived: 100}
	w1.Connector.LastError, w1.Connector.LastErrorTime = "old error", &t0
	w2 := status.Report{
		Connector:  component("in", status.ComponentError, status.BreakerOpen, 5),
		Publishers: []status.ComponentReport{component("out1", status.ComponentConnected, status.BreakerClosed, 0)},
		DeadLetter: ptr.To(component("dl", status.ComponentConnected, status.BreakerClosed, 0)),
		Totals:     status.Totals{Processed: 5, InFlight: 1, LastProcessedTime: &t1},
	}
	w2.Connector.Connector = &status.ConnectorMetrics{MessagesReceived: 6, BytesReceived: 50}
	w2.Connector.LastError, w2.Connector.LastErrorTime = "new error", &t1

	a := aggregateReports(statusPipeline(), []status.Report{w1, w2})

	if a.reports != 2 {
		t.Errorf("reports = %d, want 2", a.reports)
	}
	c := a.connector
	if c.Status != v1alpha1.ComponentError || c.Breaker != v1alpha1.BreakerOpen || c.Type != "kind-in" {
		t.Errorf("connector = %s/%s/%s, want error/Open/kind-in", c.Status, c.Breaker, c.Type)
	}
	if c.BreakerWorkers != (v1alpha1.BreakerWorkers{Closed: 1, Open: 1}) || c.ConsecutiveFailures != 5 {
		t.Errorf("connector workers = %+v failures %d", c.BreakerWorkers, c.ConsecutiveFailures)
	}
	if c.LastError != "new error" || !c.LastErrorTime.Time.Equal(t1.Truncate(time.Second)) {
		t.Errorf("connector lastError = %q at %v, want the latest", c.LastError, c.LastErrorTime)
	}
	if m := c.ConnectorMetrics; m == nil || m.MessagesReceived != 17 || m.BytesReceived != 150 || m.Rejections != 2 {
		t.Errorf("connector metrics = %+v, want sums 17/150 and 2 rejections", m)
	}
	if len(a.publishers) != 2 || a.publishers[0].Name != "out1" || a.publishers[1].Name != "out2" {
		t.Fatalf("publishers = %+v, want out1, out2 in reference order", a.publishers)
	}
	if p := a.publishers[0]; p.Breaker != v1alpha1.BreakerClosed || p.BreakerWorkers.Closed != 2 {
		t.Errorf("out1 = %+v", p)
	}
	if p := a.publishers[1]; p.Breaker != v1alpha1.BreakerHalfOpen || p.Status != v1alpha1.ComponentConnecting || p.BreakerWorkers.HalfOpen != 1 {
		t.Errorf("out2 = %+v", p)
	}
	if a.deadLetter == nil || a.deadLetter.Breaker != v1alpha1.BreakerClosed {
		t.Errorf("deadLetter = %+v", a.deadLetter)
	}
	want := v1alpha1.PipelineTotals{Processed: 15, Failed: 1, DeadLettered: 1, InFlight: 3}
	if a.totals != want {
		t.Errorf("totals = %+v, want %+v", a.totals, want)
	}
	if a.lastProcessed == nil || !a.lastProcessed.Time.Equal(t1.Truncate(time.Second)) {
		t.Errorf("lastProcessed = %v, want %v", a.lastProcessed, t1)
	}
	if got := a.publishersState(); got != v1alpha1.BreakerHalfOpen {
		t.Errorf("publishersState = %s, want HalfOpen", got)
	}
}

func TestAggregateUnreportedComponentIsUnknown(t *testing.T) {
	a := aggregateReports(statusPipeline(), []status.Report{{Connector: component("other", status.ComponentConnected, status.BreakerClosed, 0)}})
	if a.connector.Status != v1alpha1.ComponentUnknown || a.connector.Breaker != "" {
		t.Errorf("connector = %+v, want unknown with no breaker state", a.connector)
	}
	if a.deadLetter.Status != v1alpha1.ComponentUnknown {
		t.Errorf("deadLetter = %+v, want unknown", a.deadLetter)
	}
	a.setTypes(references{
		connector:  &v1alpha1.Connector{Spec: v1alpha1.ConnectorSpec{Type: v1alpha1.ConnectorKafka}},
		publishers: []*v1alpha1.Publisher{{ObjectMeta: metav1.ObjectMeta{Name: "out1"}, Spec: v1alpha1.PublisherSpec{Type: v1alpha1.PublisherRedis}}},
		deadLetter: &v1alpha1.Publisher{Spec: v1alpha1.PublisherSpec{Type: v1alpha1.PublisherJSONL}},
	})
	if a.connector.Type != "kafka" || a.publishers[0].Type != "redis" || a.publishers[1].Type != "" || a.deadLetter.Type != "jsonl" {
		t.Errorf("types after setTypes = %s %s %q %s", a.connector.Type, a.publishers[0].Type, a.publishers[1].Type, a.deadLetter.Type)
	}
}

func TestBreakerTransitions(t *testing.T) {
	st := func(conn v1alpha1.BreakerState, pubs ...v1alpha1.BreakerState) *v1alpha1.MFNPipelineStatus {
		s := &v1alpha1.MFNPipelineStatus{}
		if conn != "-" {
			s.Connector = &v1alpha1.ComponentStatus{Name: "in", Breaker: conn}
		}
		for i, b := range pubs {
			s.Publishers = append(s.Publishers, v1alpha1.ComponentStatus{Name: string(rune('a' + i)), Breaker: b})
		}
		return s
	}
	open, closed, half := v1alpha1.BreakerOpen, v1alpha1.BreakerClosed, v1alpha1.BreakerHalfOpen
	tests := []struct {
		name     string
		old, cur *v1alpha1.MFNPipelineStatus
		want     []string
	}{
		{"first report closed is quiet", st("-"), st(closed, closed), nil},
		{"first report open", st("-"), st(open), []string{"Connector/in Open"}},
		{"opened", st(closed, closed), st(open, closed), []string{"Connector/in Open"}},
		{"publisher opened", st(closed, closed, closed), st(closed, closed, open), []string{"Publisher/b Open"}},
		{"closed after half-open", st(half), st(closed), []string{"Connector/in Closed"}},
		{"half-open is no event", st(open), st(half), nil},
		{"unchanged", st(open), st(open), nil},
		{"unknown now is no event", st(open), st(""), nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var got []string
			for _, tr := range breakerTransitions(tc.old, tc.cur) {
				got = append(got, tr.kind+"/"+tr.name+" "+string(tr.to))
			}
			if strings.Join(got, ",") != strings.Join(tc.want, ",") {
				t.Errorf("transitions = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestSetWorkloadStatus(t *testing.T) {
	closedReport := []status.Report{{
		Connector:  component("in", status.ComponentConnected, status.BreakerClosed, 0),
		Publishers: []status.ComponentReport{component("out1", status.ComponentConnected, status.BreakerClosed, 0), component("out2", status.ComponentConnected, status.BreakerClosed, 0)},
		DeadLetter: ptr.To(component("dl", status.ComponentConnected, status.BreakerClosed, 0)),
	}}
	openReport := []status.Report{closedReport[0]}
	openReport[0].Publishers = []status.ComponentReport{component("out1", status.ComponentCircuitOpen, status.BreakerOpen, 5)}
	dep := func(avail, updated int32) *appsv1.Deployment {
		return &appsv1.Deployment{Status: appsv1.DeploymentStatus{Replicas: 3, ReadyReplicas: avail, AvailableReplicas: avail, UpdatedReplicas: updated}}
	}
	tests := []struct {
		name        string
		suspend     bool
		dep         *appsv1.Deployment
		reports     []status.Report
		phase       v1alpha1.PipelinePhase
		readyReason string
		workers     string
		pubHealth   string
	}{
		{"running", false, dep(3, 3), closedReport, v1alpha1.PhaseRunning, v1alpha1.ReasonReconciled, v1alpha1.ReasonWorkersAvailable, v1alpha1.ReasonAllClosed},
		{"no workers yet", false, dep(0, 3), nil, v1alpha1.PhasePending, v1alpha1.ReasonWorkersUnavailable, v1alpha1.ReasonWorkersUnavailable, v1alpha1.ReasonStatusUnavailable},
		{"some workers", false, dep(1, 3), closedReport, v1alpha1.PhaseDegraded, v1alpha1.ReasonWorkersUnavailable, v1alpha1.ReasonWorkersUnavailable, v1alpha1.ReasonAllClosed},
		{"rolling out", false, dep(3, 1), closedReport, v1alpha1.PhaseDegraded, v1alpha1.ReasonWorkersUnavailable, v1alpha1.ReasonProgressing, v1alpha1.ReasonAllClosed},
		{"circuit open", false, dep(3, 3), openReport, v1alpha1.PhaseDegraded, v1alpha1.ReasonCircuitOpen, v1alpha1.ReasonWorkersAvailable, v1alpha1.ReasonCircuitOpen},
		// The open breaker fails the workers' /readyz, so none is
		// available; Ready names the breaker, WorkersAvailable the count.
		{"circuit open, workers not ready", false, dep(0, 3), openReport, v1alpha1.PhaseDegraded, v1alpha1.ReasonCircuitOpen, v1alpha1.ReasonWorkersUnavailable, v1alpha1.ReasonCircuitOpen},
		{"suspended", true, dep(0, 0), nil, v1alpha1.PhaseSuspended, v1alpha1.ReasonSuspended, v1alpha1.ReasonSuspended, v1alpha1.ReasonStatusUnavailable},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := statusPipeline()
			p.Spec.Suspend = ptr.To(tc.suspend)
			var a *aggregate
			if tc.reports != nil {
				a = aggregateReports(p, tc.reports)
			}
			setWorkloadStatus(p, tc.dep, a)
			if p.Status.Phase != tc.phase {
				t.Errorf("phase = %s, want %s", p.Status.Phase, tc.phase)
			}
			for typ, want := range map[string]string{
				v1alpha1.ConditionReady:             tc.readyReason,
				v1alpha1.ConditionWorkersAvailable:  tc.workers,
				v1alpha1.ConditionPublishersHealthy: tc.pubHealth,
				v1alpha1.ConditionConfigValid:       v1alpha1.ReasonReconciled,
			} {
				c := meta.FindStatusCondition(p.Status.Conditions, typ)
				if c == nil || c.Reason != want || c.ObservedGeneration != 4 {
					t.Errorf("%s = %+v, want reason %s at generation 4", typ, c, want)
				}
			}
			if p.Status.ObservedGeneration != 4 || p.Status.ReadyReplicas != tc.dep.Status.ReadyReplicas {
				t.Errorf("observedGeneration %d readyReplicas %d", p.Status.ObservedGeneration, p.Status.ReadyReplicas)
			}
		})
	}
}

func TestTruncateKeepsRunes(t *testing.T) {
	s := strings.Repeat("é", 600) // 1200 bytes
	got := truncate(s, maxLastError)
	if len(got) > maxLastError || !utf8.ValidString(got) {
		t.Fatalf("truncate gave %d bytes, valid UTF-8 %v", len(got), utf8.ValidString(got))
	}
	if truncate("short", maxLastError) != "short" {
		t.Error("truncate changed a short string")
	}
}
