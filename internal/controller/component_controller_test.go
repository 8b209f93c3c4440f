package controller

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/mfn-io/mfn-operator/api/v1alpha1"
	"github.com/mfn-io/mfn-operator/pkg/status"
)

// fakeWorkers serves one /status document per pipeline, at
// <url>/status?pipeline=<name>, with a connector breaker state the spec sets.
type fakeWorkers struct {
	mu       sync.Mutex
	breakers map[string]string
	srv      *httptest.Server
}

func newFakeWorkers() *fakeWorkers {
	f := &fakeWorkers{breakers: map[string]string{}}
	f.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		name := req.URL.Query().Get("pipeline")
		f.mu.Lock()
		state := f.breakers[name]
		f.mu.Unlock()
		_ = json.NewEncoder(w).Encode(componentReport(name, state))
	}))
	DeferCleanup(f.srv.Close)
	return f
}

func (f *fakeWorkers) set(pipeline, state string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.breakers[pipeline] = state
}

// componentReport is a fixed /status document (constant times, so that an
// unchanged report changes nothing) of a worker of pipeline "alpha" or
// "beta": connector "params" with the given breaker state and
// messagesReceived 5 (alpha) or 7 (beta), publisher "results" closed with
// messagesSent 3 or 4, and for alpha the dead-letter publisher "dead".
func componentReport(pipeline, connectorBreaker string) status.Report {
	at := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	received, sent := int64(5), int64(3)
	if pipeline == "beta" {
		received, sent = 7, 4
	}
	r := status.Report{
		SchemaVersion: status.SchemaVersion, Pipeline: pipeline, Worker: pipeline + "-w0", StartTime: at, Time: at, Ready: true,
		Connector: status.ComponentReport{
			Name: "params", Kind: "database", Status: status.ComponentConnected,
			Breaker:   status.BreakerReport{State: connectorBreaker, Rejections: 1},
			Connector: &status.ConnectorMetrics{MessagesReceived: received, BytesReceived: 100},
		},
		Publishers: []status.ComponentReport{{
			Name: "results", Kind: "redis", Status: status.ComponentConnected,
			Breaker:   status.BreakerReport{State: status.BreakerClosed},
			Publisher: &status.PublisherMetrics{MessagesSent: sent},
		}},
	}
	if pipeline == "alpha" {
		r.DeadLetter = &status.ComponentReport{
			Name: "dead", Kind: "jsonl", Status: status.ComponentConnected,
			Breaker:   status.BreakerReport{State: status.BreakerClosed},
			Publisher: &status.PublisherMetrics{MessagesSent: 2},
		}
	}
	return r
}

// readyWorkerPod creates a ready pod of pipeline whose /status is url.
func readyWorkerPod(ctx SpecContext, ns, pipeline, url string) {
	GinkgoHelper()
	name := ns + "-" + pipeline + "-w0"
	statusURLs.Store(name, url)
	DeferCleanup(func() { statusURLs.Delete(name) })
	pod := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name, Labels: selectorLabels(newPipeline(ns, pipeline, ""))},
		Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "worker", Image: testWorkerImage}}},
	}
	create(ctx, pod)
	pod.Status = corev1.PodStatus{
		Phase: corev1.PodRunning, PodIP: "127.0.0.1", PodIPs: []corev1.PodIP{{IP: "127.0.0.1"}},
		Conditions: []corev1.PodCondition{{Type: corev1.PodReady, Status: corev1.ConditionTrue}},
	}
	Expect(k8sClient.Status().Update(ctx, pod)).To(Succeed())
}

func getConnector(ctx SpecContext, g Gomega, ns, name string) *v1alpha1.Connector {
	c := &v1alpha1.Connector{}
	g.Expect(k8sClient.Get(ctx, types.NamespacedName{Namespace: ns, Name: name}, c)).To(Succeed())
	return c
}

func getPublisher(ctx SpecContext, g Gomega, ns, name string) *v1alpha1.Publisher {
	p := &v1alpha1.Publisher{}
	g.Expect(k8sClient.Get(ctx, types.NamespacedName{Namespace: ns, Name: name}, p)).To(Succeed())
	return p
}

// resourceVersions returns the resourceVersion of every object, by type/name.
func resourceVersions(ctx SpecContext, g Gomega, objs ...client.Object) map[string]string {
	out := map[string]string{}
	for _, o := range objs {
		g.Expect(k8sClient.Get(ctx, client.ObjectKeyFromObject(o), o)).To(Succeed())
		out[fmt.Sprintf("%T/%s", o, o.GetName())] = o.GetResourceVersion()
	}
	return out
}

var _ = Describe("Connector and Publisher reconcilers", func() {
	var (
		ns      string
		workers *fakeWorkers
	)

	// setUp creates Connectors params (used by alpha and beta) and spare
	// (used by nobody), Publishers results (used by both) and dead (the
	// dead-letter publisher of alpha), the two pipelines and a ready worker
	// pod each answering from workers.
	setUp := func(ctx SpecContext) {
		ns = newNamespace(ctx)
		workers = newFakeWorkers()
		workers.set("alpha", status.BreakerOpen)
		workers.set("beta", status.BreakerClosed)
		create(ctx, secrets(ns)...)
		create(ctx, databaseConnector(ns, "params"), databaseConnector(ns, "spare"), redisPublisher(ns, "results"), jsonlPublisher(ns, "dead"))
		alpha := newPipeline(ns, "alpha", "params", "results")
		alpha.Spec.DeadLetterPublisherRef = &v1alpha1.ComponentReference{Name: "dead"}
		create(ctx, alpha, newPipeline(ns, "beta", "params", "results"))
		for _, p := range []string{"alpha", "beta"} {
			readyWorkerPod(ctx, ns, p, workers.srv.URL+"/status?pipeline="+p)
		}
	}

	It("aggregates the breaker and counters of the pipelines using them", func(ctx SpecContext) {
		setUp(ctx)

		By("reporting the connector open in alpha only")
		Eventually(ctx, func(g Gomega) {
			c := getConnector(ctx, g, ns, "params")
			g.Expect(c.Status.UsedBy).To(Equal([]string{"alpha", "beta"}))
			g.Expect(c.Status.Pipelines).To(Equal(int32(2)))
			g.Expect(c.Status.Breaker).To(Equal(v1alpha1.BreakerSummary{
				State: v1alpha1.BreakerOpen, Workers: v1alpha1.BreakerWorkers{Open: 1, Closed: 1},
			}))
			g.Expect(c.Status.Metrics).NotTo(BeNil())
			g.Expect(c.Status.Metrics.MessagesReceived).To(Equal(int64(12)))
			g.Expect(c.Status.Metrics.BytesReceived).To(Equal(int64(200)))
			g.Expect(c.Status.Metrics.Rejections).To(Equal(int64(2)))
			h := meta.FindStatusCondition(c.Status.Conditions, v1alpha1.ConditionHealthy)
			g.Expect(h).NotTo(BeNil())
			g.Expect(h.Status).To(Equal(metav1.ConditionFalse))
			g.Expect(h.Reason).To(Equal(v1alpha1.ReasonCircuitOpen))
			g.Expect(h.Message).To(Equal("circuit breaker open in pipelines: alpha"))
			g.Expect(h.ObservedGeneration).To(Equal(c.Generation))
			g.Expect(c.Status.ObservedGeneration).To(Equal(c.Generation))
		}).Should(Succeed())

		By("summing the publisher over both pipelines and the dead-letter publisher over alpha")
		Eventually(ctx, func(g Gomega) {
			p := getPublisher(ctx, g, ns, "results")
			g.Expect(p.Status.UsedBy).To(Equal([]string{"alpha", "beta"}))
			g.Expect(p.Status.Pipelines).To(Equal(int32(2)))
			g.Expect(p.Status.Breaker).To(Equal(v1alpha1.BreakerSummary{
				State: v1alpha1.BreakerClosed, Workers: v1alpha1.BreakerWorkers{Closed: 2},
			}))
			g.Expect(p.Status.Metrics).NotTo(BeNil())
			g.Expect(p.Status.Metrics.MessagesSent).To(Equal(int64(7)))
			g.Expect(meta.FindStatusCondition(p.Status.Conditions, v1alpha1.ConditionHealthy)).To(HaveField("Reason", v1alpha1.ReasonAllClosed))

			d := getPublisher(ctx, g, ns, "dead")
			g.Expect(d.Status.UsedBy).To(Equal([]string{"alpha"}))
			g.Expect(d.Status.Pipelines).To(Equal(int32(1)))
			g.Expect(d.Status.Breaker.Workers).To(Equal(v1alpha1.BreakerWorkers{Closed: 1}))
			g.Expect(d.Status.Metrics).NotTo(BeNil())
			g.Expect(d.Status.Metrics.MessagesSent).To(Equal(int64(2)))
		}).Should(Succeed())

		By("showing a connector nobody uses as not in use")
		Eventually(ctx, func(g Gomega) {
			c := getConnector(ctx, g, ns, "spare")
			g.Expect(c.Status.UsedBy).To(BeEmpty())
			g.Expect(c.Status.Pipelines).To(BeZero())
			g.Expect(c.Status.Metrics).To(BeNil())
			h := meta.FindStatusCondition(c.Status.Conditions, v1alpha1.ConditionHealthy)
			g.Expect(h).NotTo(BeNil())
			g.Expect(h.Status).To(Equal(metav1.ConditionUnknown))
			g.Expect(h.Reason).To(Equal(v1alpha1.ReasonNotInUse))
		}).Should(Succeed())

		By("closing alpha's breaker")
		workers.set("alpha", status.BreakerClosed)
		Eventually(ctx, func(g Gomega) {
			c := getConnector(ctx, g, ns, "params")
			g.Expect(c.Status.Breaker).To(Equal(v1alpha1.BreakerSummary{
				State: v1alpha1.BreakerClosed, Workers: v1alpha1.BreakerWorkers{Closed: 2},
			}))
			h := meta.FindStatusCondition(c.Status.Conditions, v1alpha1.ConditionHealthy)
			g.Expect(h).NotTo(BeNil())
			g.Expect(h.Status).To(Equal(metav1.ConditionTrue))
			g.Expect(h.Reason).To(Equal(v1alpha1.ReasonAllClosed))
		}).Should(Succeed())

		By("dropping a pipeline from usedBy when it is deleted")
		Expect(k8sClient.Delete(ctx, &v1alpha1.MFNPipeline{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "alpha"}})).To(Succeed())
		Eventually(ctx, func(g Gomega) {
			c := getConnector(ctx, g, ns, "params")
			g.Expect(c.Status.UsedBy).To(Equal([]string{"beta"}))
			g.Expect(c.Status.Pipelines).To(Equal(int32(1)))
			g.Expect(c.Status.Metrics).NotTo(BeNil())
			g.Expect(c.Status.Metrics.MessagesReceived).To(Equal(int64(7)))
			d := getPublisher(ctx, g, ns, "dead")
			g.Expect(d.Status.Pipelines).To(BeZero())
			g.Expect(meta.FindStatusCondition(d.Status.Conditions, v1alpha1.ConditionHealthy)).To(HaveField("Reason", v1alpha1.ReasonNotInUse))
		}).Should(Succeed())
	})

	It("idle objects cause no status writes", func(ctx SpecContext) {
		setUp(ctx)
		workers.set("alpha", status.BreakerClosed)
		Eventually(ctx, func(g Gomega) {
			c := getConnector(ctx, g, ns, "params")
			g.Expect(c.Status.Breaker.Workers).To(Equal(v1alpha1.BreakerWorkers{Closed: 2}))
			g.Expect(getPublisher(ctx, g, ns, "dead").Status.Pipelines).To(Equal(int32(1)))
			g.Expect(getConnector(ctx, g, ns, "spare").Status.Conditions).NotTo(BeEmpty())
		}).Should(Succeed())

		objs := func() []client.Object {
			return []client.Object{
				&v1alpha1.Connector{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "params"}},
				&v1alpha1.Connector{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "spare"}},
				&v1alpha1.Publisher{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "results"}},
				&v1alpha1.Publisher{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "dead"}},
				&v1alpha1.MFNPipeline{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "alpha"}},
				&v1alpha1.MFNPipeline{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "beta"}},
			}
		}
		// The pipelines poll their workers every second; three seconds
		// cover several polls and the reconciles they could trigger.
		before := resourceVersions(ctx, Default, objs()...)
		Consistently(ctx, func(g Gomega) {
			g.Expect(resourceVersions(ctx, g, objs()...)).To(Equal(before))
		}, "3s").Should(Succeed())
	})
})
