package controller

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/klog/v2"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/mfn-io/mfn-operator/api/v1alpha1"
	"github.com/mfn-io/mfn-operator/pkg/status"
)

const (
	// statusTimeout bounds one GET /status.
	statusTimeout = 2 * time.Second
	// maxStatusBytes bounds one /status document.
	maxStatusBytes = 1 << 20
	// maxLastError is the CRD bound of ComponentStatus.lastError.
	maxLastError = 1024
)

var defaultStatusClient = &http.Client{Timeout: statusTimeout}

// statusURL is http://<podIP>:8080/status, or the injected builder.
func (r *MFNPipelineReconciler) statusURL(pod *corev1.Pod) string {
	if r.StatusURL != nil {
		return r.StatusURL(pod)
	}
	host := net.JoinHostPort(pod.Status.PodIP, strconv.Itoa(v1alpha1.WorkerStatusPort))
	return "http://" + host + "/status"
}

// pollWorkers reads /status from every running worker pod concurrently
// and aggregates the documents. Unreachable pods are logged and skipped;
// nil means no pod was listed.
//
// Running, not Ready: a worker's /readyz fails while one of its breakers
// is open (so Services and rollouts treat it as unavailable), and that is
// exactly when its /status matters most.
func (r *MFNPipelineReconciler) pollWorkers(ctx context.Context, p *v1alpha1.MFNPipeline, refs references) *aggregate {
	log := ctrl.LoggerFrom(ctx)
	var pods corev1.PodList
	if err := r.List(ctx, &pods, client.InNamespace(p.Namespace), client.MatchingLabels(selectorLabels(p))); err != nil {
		log.Error(err, "List worker pods failed", "pipeline", klog.KObj(p))
		return nil
	}
	var running []*corev1.Pod
	for i := range pods.Items {
		if podPollable(&pods.Items[i]) {
			running = append(running, &pods.Items[i])
		}
	}
	reports := make([]*status.Report, len(running))
	var wg sync.WaitGroup
	for i, pod := range running {
		wg.Go(func() {
			rep, err := r.fetchStatus(ctx, pod)
			if err != nil {
				log.V(1).Info("Worker status unavailable", "pod", klog.KObj(pod), "error", err.Error())
				return
			}
			reports[i] = rep
		})
	}
	wg.Wait()
	var got []status.Report
	for _, rep := range reports {
		if rep != nil {
			got = append(got, *rep)
		}
	}
	a := aggregateReports(p, got)
	a.setTypes(refs)
	return a
}

// setTypes fills the component types from the specs where no worker
// reported them.
func (a *aggregate) setTypes(refs references) {
	if a.connector.Type == "" && refs.connector != nil {
		a.connector.Type = string(refs.connector.Spec.Type)
	}
	for i := range a.publishers {
		if a.publishers[i].Type == "" && i < len(refs.publishers) && refs.publishers[i].Name == a.publishers[i].Name {
			a.publishers[i].Type = string(refs.publishers[i].Spec.Type)
		}
	}
	if a.deadLetter != nil && a.deadLetter.Type == "" && refs.deadLetter != nil {
		a.deadLetter.Type = string(refs.deadLetter.Spec.Type)
	}
}

// podPollable reports whether a pod's /status can be read: it is not
// terminating, has an IP, and is Running or Ready. Readiness is not
// required, because a worker whose breaker is open fails /readyz.
func podPollable(pod *corev1.Pod) bool {
	if pod.DeletionTimestamp != nil || pod.Status.PodIP == "" {
		return false
	}
	if pod.Status.Phase == corev1.PodRunning {
		return true
	}
	for _, c := range pod.Status.Conditions {
		if c.Type == corev1.PodReady {
			return c.Status == corev1.ConditionTrue
		}
	}
	return false
}

// fetchStatus GETs and decodes one worker's /status document.
func (r *MFNPipelineReconciler) fetchStatus(ctx context.Context, pod *corev1.Pod) (*status.Report, error) {
	ctx, cancel := context.WithTimeout(ctx, statusTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, r.statusURL(pod), nil)
	if err != nil {
		return nil, err
	}
	hc := r.HTTPClient
	if hc == nil {
		hc = defaultStatusClient
	}
	resp, err := hc.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET %s: HTTP %d", req.URL, resp.StatusCode)
	}
	var rep status.Report
	if err := json.NewDecoder(io.LimitReader(resp.Body, maxStatusBytes)).Decode(&rep); err != nil {
		return nil, fmt.Errorf("decode %s: %w", req.URL, err)
	}
	if rep.SchemaVersion != status.SchemaVersion {
		return nil, fmt.Errorf("%s: schemaVersion %q, want %q", req.URL, rep.SchemaVersion, status.SchemaVersion)
	}
	return &rep, nil
}

// aggregate is the workers' /status documents folded into status fields.
type aggregate struct {
	reports       int
	connector     v1alpha1.ComponentStatus
	publishers    []v1alpha1.ComponentStatus
	deadLetter    *v1alpha1.ComponentStatus
	totals        v1alpha1.PipelineTotals
	lastProcessed *metav1.Time
}

// aggregateReports folds reports into per-component states in the order of
// the pipeline's references. Components no worker reported are unknown.
func aggregateReports(p *v1alpha1.MFNPipeline, reports []status.Report) *aggregate {
	a := &aggregate{reports: len(reports)}
	a.connector = foldComponent(p.Spec.ConnectorRef.Name, reports, func(r *status.Report) []status.ComponentReport {
		return []status.ComponentReport{r.Connector}
	})
	for _, ref := range p.Spec.PublisherRefs {
		a.publishers = append(a.publishers, foldComponent(ref.Name, reports, func(r *status.Report) []status.ComponentReport { return r.Publishers }))
	}
	if ref := p.Spec.DeadLetterPublisherRef; ref != nil {
		dl := foldComponent(ref.Name, reports, func(r *status.Report) []status.ComponentReport {
			if r.DeadLetter == nil {
				return nil
			}
			return []status.ComponentReport{*r.DeadLetter}
		})
		a.deadLetter = &dl
	}
	for i := range reports {
		t := reports[i].Totals
		a.totals.Processed += t.Processed
		a.totals.Failed += t.Failed
		a.totals.DeadLettered += t.DeadLettered
		a.totals.InFlight += t.InFlight
		a.lastProcessed = laterTime(a.lastProcessed, t.LastProcessedTime)
	}
	return a
}

// statusRank orders component status values from best to worst.
var statusRank = map[v1alpha1.ComponentStatusValue]int{
	v1alpha1.ComponentConnected: 1, v1alpha1.ComponentDisconnected: 2, v1alpha1.ComponentConnecting: 3,
	v1alpha1.ComponentCircuitOpen: 4, v1alpha1.ComponentError: 5,
}

// foldComponent aggregates the reports of one named component.
func foldComponent(name string, reports []status.Report, pick func(*status.Report) []status.ComponentReport) v1alpha1.ComponentStatus {
	cs := v1alpha1.ComponentStatus{Name: name, Status: v1alpha1.ComponentUnknown}
	var lastErrAt *metav1.Time
	for i := range reports {
		for _, c := range pick(&reports[i]) {
			if c.Name != name {
				continue
			}
			cs.Type = c.Kind
			if v := v1alpha1.ComponentStatusValue(c.Status); statusRank[v] > statusRank[cs.Status] {
				cs.Status = v
			}
			switch st, _ := v1alpha1.ParseBreakerState(c.Breaker.State); st {
			case v1alpha1.BreakerClosed:
				cs.BreakerWorkers.Closed++
			case v1alpha1.BreakerOpen:
				cs.BreakerWorkers.Open++
			case v1alpha1.BreakerHalfOpen:
				cs.BreakerWorkers.HalfOpen++
			}
			cs.ConsecutiveFailures = max(cs.ConsecutiveFailures, c.Breaker.ConsecutiveFailures)
			cs.LastTransitionTime = laterTime(cs.LastTransitionTime, c.Breaker.LastTransitionTime)
			if c.LastError != "" && (lastErrAt == nil || (c.LastErrorTime != nil && c.LastErrorTime.After(lastErrAt.Time))) {
				cs.LastError = truncate(c.LastError, maxLastError)
				lastErrAt = laterTime(nil, c.LastErrorTime)
				cs.LastErrorTime = lastErrAt
			}
			addMetrics(&cs, &c)
		}
	}
	switch w := cs.BreakerWorkers; {
	case w.Open > 0:
		cs.Breaker = v1alpha1.BreakerOpen
	case w.HalfOpen > 0:
		cs.Breaker = v1alpha1.BreakerHalfOpen
	case w.Closed > 0:
		cs.Breaker = v1alpha1.BreakerClosed
	}
	return cs
}

// addMetrics sums one worker's counters into cs (the sums are those of the
// Connector and Publisher status, addConnectorMetrics/addPublisherMetrics).
func addMetrics(cs *v1alpha1.ComponentStatus, c *status.ComponentReport) {
	if m := c.Connector; m != nil {
		cs.ConnectorMetrics = addConnectorMetrics(cs.ConnectorMetrics, &v1alpha1.ConnectorMetrics{
			MessagesReceived: m.MessagesReceived, MessagesFailed: m.MessagesFailed,
			BytesReceived: m.BytesReceived, ConnectionErrors: m.ConnectionErrors,
			RetryCount: m.RetryCount, Rejections: c.Breaker.Rejections,
			LastSuccessTime: laterTime(nil, m.LastSuccessTime),
		})
	}
	if m := c.Publisher; m != nil {
		cs.PublisherMetrics = addPublisherMetrics(cs.PublisherMetrics, &v1alpha1.PublisherMetrics{
			MessagesSent: m.MessagesSent, MessagesFailed: m.MessagesFailed,
			BytesSent: m.BytesSent, BatchesSent: m.BatchesSent, PublishErrors: m.PublishErrors,
			RetryCount: m.RetryCount, Buffered: m.Buffered, Rejections: c.Breaker.Rejections,
			LastSuccessTime: laterTime(nil, m.LastSuccessTime),
		})
	}
}

// laterTime returns the later of cur and t, truncated to the second that the
// API stores, so that an unchanged report does not look like a change.
func laterTime(cur *metav1.Time, t *time.Time) *metav1.Time {
	if t == nil {
		return cur
	}
	tt := metav1.NewTime(t.UTC().Truncate(time.Second))
	if cur == nil || tt.After(cur.Time) {
		return &tt
	}
	return cur
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	// Cut at a rune boundary.
	for n > 0 && s[n]&0xC0 == 0x80 {
		n--
	}
	return s[:n]
}

// connectorState is the connector's aggregated breaker state.
func (a *aggregate) connectorState() v1alpha1.BreakerState { return a.connector.Breaker }

// publishersState is the worst breaker state over publishers and the
// dead-letter publisher.
func (a *aggregate) publishersState() v1alpha1.BreakerState {
	worst := v1alpha1.BreakerClosed
	all := a.publishers
	if a.deadLetter != nil {
		all = append(all[:len(all):len(all)], *a.deadLetter)
	}
	for _, p := range all {
		switch p.Breaker {
		case v1alpha1.BreakerOpen:
			return v1alpha1.BreakerOpen
		case v1alpha1.BreakerHalfOpen:
			worst = v1alpha1.BreakerHalfOpen
		}
	}
	return worst
}

// apply writes the aggregate into a pipeline status.
func (a *aggregate) apply(st *v1alpha1.MFNPipelineStatus) {
	c := a.connector
	st.Connector = &c
	st.ConnectorBreaker = c.Breaker
	st.Publishers = a.publishers
	st.DeadLetter = a.deadLetter
	st.Totals = a.totals
	st.LastProcessedTime = a.lastProcessed
}
