package controller

import (
	"context"
	"crypto/hmac"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"github.com/prometheus/client_golang/prometheus"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	eventsv1 "k8s.io/api/events/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/rest"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/mfn-io/mfn-operator/api/v1alpha1"
	"github.com/mfn-io/mfn-operator/pkg/integration/webhook"
	"github.com/mfn-io/mfn-operator/pkg/manifest"
	"github.com/mfn-io/mfn-operator/pkg/pipeline"
)

// The status round trip runs the real worker runtime (pkg/pipeline with the
// file connector and the webhook publisher) in-process behind a Pod that
// matches the Deployment's selector, the way the kubelet would run the
// rendered container, and checks what the operator makes of its /status
// documents while the webhook target fails and after it recovers.

// hookTarget is the webhook receiver. While failing it answers 500 to every
// request; afterwards it verifies the V1 signature (replay and duplicate
// detection included) and records each accepted result. Every request's
// legacy signature is checked too, failing or not.
type hookTarget struct {
	secret   string
	verifier *webhook.Verifier
	failing  atomic.Bool

	refused       atomic.Int64 // 500 answers
	badSignatures atomic.Int64 // requests whose signature did not verify

	mu         sync.Mutex
	accepted   map[string]string // X-Webhook-Id → simulation_id
	duplicates int
}

func newHookTarget(secret string) *hookTarget {
	v, err := webhook.NewVerifier(webhook.VerifierConfig{Secrets: []string{secret}})
	Expect(err).NotTo(HaveOccurred())
	h := &hookTarget{secret: secret, verifier: v, accepted: map[string]string{}}
	h.failing.Store(true)
	return h
}

func (h *hookTarget) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if h.failing.Load() {
		body, err := webhook.ReadBody(r, 1<<20)
		if err != nil || !hmac.Equal([]byte(r.Header.Get(webhook.HeaderSignature)), []byte(webhook.Sign(h.secret, body))) {
			h.badSignatures.Add(1)
		}
		h.refused.Add(1)
		http.Error(w, "target down", http.StatusInternalServerError)
		return
	}
	body, res, err := h.verifier.VerifyRequest(r, 1<<20)
	switch {
	case errors.Is(err, webhook.ErrDuplicate):
		h.mu.Lock()
		h.duplicates++
		h.mu.Unlock()
		return
	case err != nil:
		h.badSignatures.Add(1)
		http.Error(w, err.Error(), webhook.StatusCode(err))
		return
	}
	var env struct {
		Event        string `json:"event"`
		SimulationID string `json:"simulation_id"`
	}
	if json.Unmarshal(body, &env) != nil || env.Event != "simulation_complete" {
		http.Error(w, "not a simulation_complete envelope", http.StatusBadRequest)
		return
	}
	h.mu.Lock()
	h.accepted[res.EventID] = env.SimulationID
	h.mu.Unlock()
}

// received returns the accepted simulation ids, sorted, and the number of
// duplicate deliveries.
func (h *hookTarget) received() ([]string, int) {
	h.mu.Lock()
	defer h.mu.Unlock()
	ids := make([]string, 0, len(h.accepted))
	for _, id := range h.accepted {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	return ids, h.duplicates
}

// runWorkerPod starts the real worker runtime for pod as the kubelet would
// start its container: the ConfigMap volume mounted at the directory of the
// -config argument, POD_NAME from the downward API and every secretKeyRef
// variable read from its Secret. The status server listens on a loopback
// port of its own instead of -listen (:8080 may be taken on a test machine).
// It returns the base URL of the worker's HTTP endpoints; the runtime stops
// when the spec ends.
func runWorkerPod(ctx SpecContext, pod *corev1.Pod) string {
	GinkgoHelper()
	Expect(pod.Spec.Containers).To(HaveLen(1))
	c := pod.Spec.Containers[0]
	Expect(c.Args).NotTo(BeEmpty())
	Expect(c.Args[0]).To(Equal("worker"))
	cfgAt := slices.Index(c.Args, "-config")
	Expect(cfgAt).To(BeNumerically(">", 0))
	Expect(len(c.Args)).To(BeNumerically(">", cfgAt+1))
	configPath := c.Args[cfgAt+1]

	By("mounting the ConfigMap the reconciler rendered at " + configPath)
	mount := slices.IndexFunc(c.VolumeMounts, func(m corev1.VolumeMount) bool { return m.MountPath == filepath.Dir(configPath) })
	Expect(mount).To(BeNumerically(">=", 0), "no volume mounted at %s", filepath.Dir(configPath))
	vol := slices.IndexFunc(pod.Spec.Volumes, func(v corev1.Volume) bool { return v.Name == c.VolumeMounts[mount].Name })
	Expect(vol).To(BeNumerically(">=", 0))
	Expect(pod.Spec.Volumes[vol].ConfigMap).NotTo(BeNil(), "the config volume must be a ConfigMap")
	cm := &corev1.ConfigMap{}
	Expect(k8sClient.Get(ctx, types.NamespacedName{Namespace: pod.Namespace, Name: pod.Spec.Volumes[vol].ConfigMap.Name}, cm)).To(Succeed())
	rendered, ok := cm.Data[filepath.Base(configPath)]
	Expect(ok).To(BeTrue(), "ConfigMap %s has no key %s", cm.Name, filepath.Base(configPath))
	path := filepath.Join(GinkgoT().TempDir(), filepath.Base(configPath))
	Expect(os.WriteFile(path, []byte(rendered), 0o600)).To(Succeed())

	By("resolving the container environment")
	env := map[string]string{}
	for _, e := range c.Env {
		switch src := e.ValueFrom; {
		case src == nil:
			env[e.Name] = e.Value
		case src.FieldRef != nil:
			Expect(src.FieldRef.FieldPath).To(Equal("metadata.name"), "env %s", e.Name)
			env[e.Name] = pod.Name
		case src.SecretKeyRef != nil:
			s := &corev1.Secret{}
			Expect(k8sClient.Get(ctx, types.NamespacedName{Namespace: pod.Namespace, Name: src.SecretKeyRef.Name}, s)).To(Succeed())
			v, ok := s.Data[src.SecretKeyRef.Key]
			Expect(ok).To(BeTrue(), "Secret %s has no key %s", s.Name, src.SecretKeyRef.Key)
			env[e.Name] = string(v)
		default:
			Fail("unsupported env source for " + e.Name)
		}
	}

	set, err := manifest.LoadFiles(path)
	Expect(err).NotTo(HaveOccurred())
	resolved, err := set.Resolve("")
	Expect(err).NotTo(HaveOccurred())
	reg := prometheus.NewRegistry()
	log := slog.New(slog.NewTextHandler(GinkgoWriter, &slog.HandlerOptions{Level: slog.LevelInfo}))
	lookup := func(name string) (string, bool) { v, ok := env[name]; return v, ok }
	built, err := manifest.DefaultRegistry().Build(resolved, manifest.Env{
		Secrets: manifest.EnvSecrets{Lookup: lookup}, Registerer: reg, Logger: log, Worker: env["POD_NAME"],
	})
	Expect(err).NotTo(HaveOccurred())
	rt, err := pipeline.New(pipeline.Config{
		Name: built.Name, Worker: env["POD_NAME"],
		Connector: built.Connector, Publishers: built.Publishers, DeadLetter: built.DeadLetter,
		Processor: pipeline.NewSimProcessor(pipeline.SimConfig{Params: built.Params, Limits: built.Limits}),
		Workers:   built.Workers, ShutdownGrace: 2 * time.Second, Logger: log,
	})
	Expect(err).NotTo(HaveOccurred())
	reg.MustRegister(rt)

	ln, err := (&net.ListenConfig{}).Listen(ctx, "tcp", "127.0.0.1:0")
	Expect(err).NotTo(HaveOccurred())
	srv := &http.Server{Handler: pipeline.Handler(rt, reg), ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	runCtx, stop := context.WithCancel(context.Background())
	stopped := make(chan error, 1)
	go func() { stopped <- rt.Run(runCtx) }()
	DeferCleanup(func() {
		stop()
		Eventually(stopped, 10*time.Second).Should(Receive(BeNil()), "the worker runtime did not stop cleanly")
		Expect(srv.Close()).To(Succeed())
	})
	return "http://" + ln.Addr().String()
}

// markRunning sets what the kubelet and the Deployment controller would
// while the readiness probe passes (ready) or fails (!ready): the pod
// Running on 127.0.0.1 with its Ready condition, and the Deployment's
// replicas, up to date, available or not.
func markRunning(ctx SpecContext, pod *corev1.Pod, dep *appsv1.Deployment, ready bool) {
	GinkgoHelper()
	cond := corev1.ConditionFalse
	if ready {
		cond = corev1.ConditionTrue
	}
	Eventually(ctx, func(g Gomega) {
		p := &corev1.Pod{}
		g.Expect(k8sClient.Get(ctx, client.ObjectKeyFromObject(pod), p)).To(Succeed())
		p.Status = corev1.PodStatus{
			Phase: corev1.PodRunning, PodIP: "127.0.0.1", PodIPs: []corev1.PodIP{{IP: "127.0.0.1"}},
			Conditions: []corev1.PodCondition{{Type: corev1.PodReady, Status: cond}},
		}
		g.Expect(k8sClient.Status().Update(ctx, p)).To(Succeed())
	}).Should(Succeed())
	Eventually(ctx, func(g Gomega) {
		d := &appsv1.Deployment{}
		g.Expect(k8sClient.Get(ctx, client.ObjectKeyFromObject(dep), d)).To(Succeed())
		n := *d.Spec.Replicas
		d.Status = appsv1.DeploymentStatus{ObservedGeneration: d.Generation, Replicas: n, UpdatedReplicas: n}
		if ready {
			d.Status.ReadyReplicas, d.Status.AvailableReplicas = n, n
		} else {
			d.Status.UnavailableReplicas = n
		}
		g.Expect(k8sClient.Status().Update(ctx, d)).To(Succeed())
	}).Should(Succeed())
}

// probeReadiness plays the readiness probe: it waits until the worker's
// /readyz answers 200 (ready) or 503 (!ready), then marks the pod and the
// Deployment accordingly.
func probeReadiness(ctx SpecContext, base string, pod *corev1.Pod, dep *appsv1.Deployment, ready bool) {
	GinkgoHelper()
	want := http.StatusServiceUnavailable
	if ready {
		want = http.StatusOK
	}
	Eventually(ctx, func(g Gomega) {
		g.Expect(httpStatus(base + "/readyz")).To(Equal(want))
	}).Should(Succeed())
	markRunning(ctx, pod, dep, ready)
}

// httpStatus is the status code of a GET, or 0 when the request failed.
func httpStatus(url string) int {
	resp, err := http.Get(url)
	if err != nil {
		return 0
	}
	_ = resp.Body.Close()
	return resp.StatusCode
}

// printerColumns reads the object as `kubectl get` does, as a Table the API
// server builds from the CRD's additionalPrinterColumns, and returns each
// column's cell as kubectl prints it ("<none>" for a missing value).
func printerColumns(ctx context.Context, g Gomega, resource, ns, name string) map[string]string {
	hc, err := rest.HTTPClientFor(testEnv.Config)
	g.Expect(err).NotTo(HaveOccurred())
	url := fmt.Sprintf("%s/apis/%s/%s/namespaces/%s/%s/%s", strings.TrimSuffix(testEnv.Config.Host, "/"),
		v1alpha1.GroupVersion.Group, v1alpha1.GroupVersion.Version, ns, resource, name)
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	g.Expect(err).NotTo(HaveOccurred())
	req.Header.Set("Accept", "application/json;as=Table;v=v1;g=meta.k8s.io")
	resp, err := hc.Do(req)
	g.Expect(err).NotTo(HaveOccurred())
	defer resp.Body.Close()
	g.Expect(resp.StatusCode).To(Equal(http.StatusOK))
	var table metav1.Table
	g.Expect(json.NewDecoder(resp.Body).Decode(&table)).To(Succeed())
	g.Expect(table.Rows).To(HaveLen(1))
	out := map[string]string{}
	for i, col := range table.ColumnDefinitions {
		cell := table.Rows[0].Cells[i]
		if cell == nil {
			out[col.Name] = "<none>"
			continue
		}
		out[col.Name] = fmt.Sprint(cell)
	}
	return out
}

// breakerEvents returns the notes of the events with reason in ns.
func breakerEvents(ctx SpecContext, g Gomega, ns, reason string) []string {
	var list eventsv1.EventList
	g.Expect(k8sClient.List(ctx, &list, client.InNamespace(ns))).To(Succeed())
	var notes []string
	for _, e := range list.Items {
		if e.Reason == reason {
			notes = append(notes, e.Type+" "+e.Regarding.Kind+"/"+e.Regarding.Name+": "+e.Note)
		}
	}
	return notes
}

var _ = Describe("Status round trip with the real worker runtime", func() {
	const (
		files      = 12
		hookSecret = "roundtrip-hmac-key-never-rendered"
	)

	It("shows a webhook outage as an open breaker and the recovery with exact counts", func(ctx SpecContext) {
		ns := newNamespace(ctx)
		inbox := GinkgoT().TempDir()
		target := newHookTarget(hookSecret)
		srv := httptest.NewServer(target)
		DeferCleanup(srv.Close)

		By("creating the Secret, a file Connector, a webhook Publisher and the MFNPipeline")
		create(ctx,
			&corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "hook-hmac"}, StringData: map[string]string{"key": hookSecret}},
			&v1alpha1.Connector{
				ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "params"},
				Spec: v1alpha1.ConnectorSpec{Type: v1alpha1.ConnectorFile, File: &v1alpha1.FileConnector{
					Directory: inbox, WatchMode: ptr.To(true), PollInterval: &metav1.Duration{Duration: 100 * time.Millisecond},
				}},
			},
			&v1alpha1.Publisher{
				ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "hook"},
				Spec: v1alpha1.PublisherSpec{
					Type: v1alpha1.PublisherWebhook,
					Webhook: &v1alpha1.WebhookPublisher{
						URL: srv.URL + "/results", AllowInsecureHTTP: true, SignatureVersion: v1alpha1.SignatureV1,
						SigningSecretRefs: []corev1.SecretKeySelector{{LocalObjectReference: corev1.LocalObjectReference{Name: "hook-hmac"}, Key: "key"}},
					},
					// Short batches, retries and breaker timeout keep the
					// spec fast.
					BatchSize:    ptr.To[int32](4),
					BatchTimeout: &metav1.Duration{Duration: 50 * time.Millisecond},
					ComponentOptions: v1alpha1.ComponentOptions{
						RetryStrategy:           v1alpha1.RetryFixedDelay,
						MaxRetries:              ptr.To[int32](1),
						InitialRetryDelay:       &metav1.Duration{Duration: 50 * time.Millisecond},
						MaxRetryDelay:           &metav1.Duration{Duration: 50 * time.Millisecond},
						Timeout:                 &metav1.Duration{Duration: 5 * time.Second},
						CircuitBreakerThreshold: ptr.To[int32](3),
						CircuitBreakerTimeout:   &metav1.Duration{Duration: 2 * time.Second},
					},
				},
			},
			&v1alpha1.MFNPipeline{
				ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "roundtrip"},
				Spec: v1alpha1.MFNPipelineSpec{
					ConnectorRef:   v1alpha1.ComponentReference{Name: "params"},
					PublisherRefs:  []v1alpha1.ComponentReference{{Name: "hook"}},
					Replicas:       ptr.To[int32](1),
					Concurrency:    ptr.To[int32](2),
					StatusInterval: &metav1.Duration{Duration: time.Second},
				},
			},
		)

		By("creating a worker pod from the Deployment's template")
		dep := workerDeployment(ctx, ns, "roundtrip")
		pod := &corev1.Pod{
			ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: dep.Name + "-0", Labels: dep.Spec.Template.Labels},
			Spec:       *dep.Spec.Template.Spec.DeepCopy(),
		}
		sel, err := metav1.LabelSelectorAsSelector(dep.Spec.Selector)
		Expect(err).NotTo(HaveOccurred())
		Expect(sel.Matches(labels.Set(pod.Labels))).To(BeTrue(), "the pod must match the Deployment's selector")
		create(ctx, pod)
		cm := &corev1.ConfigMap{}
		Expect(k8sClient.Get(ctx, types.NamespacedName{Namespace: ns, Name: WorkloadName("roundtrip")}, cm)).To(Succeed())
		Expect(cm.Data[ConfigKey]).NotTo(ContainSubstring(hookSecret))

		base := runWorkerPod(ctx, pod)
		statusURLs.Store(pod.Name, base+"/status")
		DeferCleanup(func() { statusURLs.Delete(pod.Name) })

		By("marking the pod ready once /readyz answers, as its readiness probe would")
		probeReadiness(ctx, base, pod, dep, true)
		Eventually(ctx, func(g Gomega) {
			p := getPipeline(ctx, g, ns, "roundtrip")
			g.Expect(p.Status.Phase).To(Equal(v1alpha1.PhaseRunning))
			g.Expect(p.Status.Publishers).To(ConsistOf(HaveField("Breaker", v1alpha1.BreakerClosed)))
		}).Should(Succeed())

		By(fmt.Sprintf("dropping %d parameter files into the watched directory while the target answers 500", files))
		var want []string
		for i := range files {
			id := fmt.Sprintf("rt-%02d", i)
			want = append(want, id)
			tmp := filepath.Join(inbox, id+".tmp")
			Expect(os.WriteFile(tmp, fmt.Appendf(nil, `{"simulation_id":%q,"grid_size":8,"steps":4,"seed":%d}`, id, i), 0o600)).To(Succeed())
			Expect(os.Rename(tmp, filepath.Join(inbox, id+".json"))).To(Succeed())
		}

		By("reporting the publisher's breaker Open on the MFNPipeline, the Publisher and their printer columns")
		Eventually(ctx, func(g Gomega) {
			p := getPipeline(ctx, g, ns, "roundtrip")
			g.Expect(p.Status.Publishers).To(HaveLen(1))
			hook := p.Status.Publishers[0]
			g.Expect(hook.Name).To(Equal("hook"))
			g.Expect(hook.Type).To(Equal("webhook"))
			g.Expect(hook.Breaker).To(Equal(v1alpha1.BreakerOpen))
			g.Expect(hook.BreakerWorkers).To(Equal(v1alpha1.BreakerWorkers{Open: 1}))
			g.Expect(hook.ConsecutiveFailures).To(BeNumerically(">=", 3))
			g.Expect(hook.LastError).To(Or(ContainSubstring("HTTP 500"), ContainSubstring("Circuit breaker is open")))
			g.Expect(hook.PublisherMetrics).NotTo(BeNil())
			g.Expect(hook.PublisherMetrics.PublishErrors).To(BeNumerically(">", 0))
			g.Expect(hook.PublisherMetrics.MessagesSent).To(BeZero())
			g.Expect(p.Status.ConnectorBreaker).To(Equal(v1alpha1.BreakerClosed))
			g.Expect(p.Status.Totals.Processed).To(BeZero())
			c := meta.FindStatusCondition(p.Status.Conditions, v1alpha1.ConditionPublishersHealthy)
			g.Expect(c).NotTo(BeNil())
			g.Expect(c.Reason).To(Equal(v1alpha1.ReasonCircuitOpen))
			g.Expect(p.Status.Phase).To(Equal(v1alpha1.PhaseDegraded))

			pub := getPublisher(ctx, g, ns, "hook")
			g.Expect(pub.Status.Breaker).To(Equal(v1alpha1.BreakerSummary{State: v1alpha1.BreakerOpen, Workers: v1alpha1.BreakerWorkers{Open: 1}}))
			g.Expect(pub.Status.Metrics).NotTo(BeNil())
			g.Expect(pub.Status.Metrics.PublishErrors).To(BeNumerically(">", 0))
			g.Expect(pub.Status.UsedBy).To(Equal([]string{"roundtrip"}))

			g.Expect(printerColumns(ctx, g, "publishers", ns, "hook")).To(And(
				HaveKeyWithValue("Type", "webhook"), HaveKeyWithValue("Breaker", "Open"), HaveKeyWithValue("Sent", "0")))
			g.Expect(printerColumns(ctx, g, "mfnpipelines", ns, "roundtrip")).To(And(
				HaveKeyWithValue("Ready", "False"), HaveKeyWithValue("Phase", "Degraded"), HaveKeyWithValue("Replicas", "1"),
				HaveKeyWithValue("Connector", "Closed"), HaveKeyWithValue("Processed", "0")))
			g.Expect(printerColumns(ctx, g, "connectors", ns, "params")).To(And(
				HaveKeyWithValue("Type", "file"), HaveKeyWithValue("Breaker", "Closed"), HaveKeyWithValue("Pipelines", "1")))
		}).Should(Succeed())
		Eventually(ctx, func(g Gomega) {
			g.Expect(breakerEvents(ctx, g, ns, EventCircuitOpened)).To(ContainElement(
				"Warning MFNPipeline/roundtrip: Publisher hook circuit breaker Open (was Closed)"))
		}).Should(Succeed())
		Expect(target.refused.Load()).To(BeNumerically(">=", 3))

		By("marking the pod NotReady, as its readiness probe would once /readyz fails with the breaker open")
		probeReadiness(ctx, base, pod, dep, false)
		Eventually(ctx, func(g Gomega) {
			p := getPipeline(ctx, g, ns, "roundtrip")
			g.Expect(p.Status.ReadyReplicas).To(BeZero())
			g.Expect(p.Status.Publishers).To(ConsistOf(And(
				HaveField("Breaker", v1alpha1.BreakerOpen), HaveField("BreakerWorkers", v1alpha1.BreakerWorkers{Open: 1}))))
			ready := meta.FindStatusCondition(p.Status.Conditions, v1alpha1.ConditionReady)
			g.Expect(ready).NotTo(BeNil())
			g.Expect(ready.Reason).To(Equal(v1alpha1.ReasonCircuitOpen))
			workers := meta.FindStatusCondition(p.Status.Conditions, v1alpha1.ConditionWorkersAvailable)
			g.Expect(workers).NotTo(BeNil())
			g.Expect(workers.Status).To(Equal(metav1.ConditionFalse))
			g.Expect(getPublisher(ctx, g, ns, "hook").Status.Breaker.State).To(Equal(v1alpha1.BreakerOpen))
		}).Should(Succeed())

		By("recovering the target; the pod turns Ready again once /readyz answers 200")
		target.failing.Store(false)
		probeReadiness(ctx, base, pod, dep, true)
		Eventually(ctx, func(g Gomega) {
			p := getPipeline(ctx, g, ns, "roundtrip")
			g.Expect(p.Status.Publishers).To(HaveLen(1))
			hook := p.Status.Publishers[0]
			g.Expect(hook.Breaker).To(Equal(v1alpha1.BreakerClosed))
			g.Expect(hook.BreakerWorkers).To(Equal(v1alpha1.BreakerWorkers{Closed: 1}))
			g.Expect(hook.ConsecutiveFailures).To(BeZero())
			g.Expect(hook.PublisherMetrics).NotTo(BeNil())
			g.Expect(hook.PublisherMetrics.MessagesSent).To(Equal(int64(files)))
			g.Expect(p.Status.Totals.Processed).To(Equal(int64(files)))
			g.Expect(p.Status.Totals.Failed).To(BeZero())
			g.Expect(p.Status.Totals.InFlight).To(BeZero())
			g.Expect(p.Status.Connector.ConnectorMetrics).NotTo(BeNil())
			g.Expect(p.Status.Connector.ConnectorMetrics.MessagesReceived).To(BeNumerically(">=", files))
			g.Expect(meta.IsStatusConditionTrue(p.Status.Conditions, v1alpha1.ConditionPublishersHealthy)).To(BeTrue())
			g.Expect(meta.IsStatusConditionTrue(p.Status.Conditions, v1alpha1.ConditionReady)).To(BeTrue())
			g.Expect(p.Status.Phase).To(Equal(v1alpha1.PhaseRunning))

			pub := getPublisher(ctx, g, ns, "hook")
			g.Expect(pub.Status.Breaker).To(Equal(v1alpha1.BreakerSummary{State: v1alpha1.BreakerClosed, Workers: v1alpha1.BreakerWorkers{Closed: 1}}))
			g.Expect(pub.Status.Metrics).NotTo(BeNil())
			g.Expect(pub.Status.Metrics.MessagesSent).To(Equal(int64(files)))

			g.Expect(printerColumns(ctx, g, "publishers", ns, "hook")).To(And(
				HaveKeyWithValue("Breaker", "Closed"), HaveKeyWithValue("Sent", fmt.Sprint(files))))
			g.Expect(printerColumns(ctx, g, "mfnpipelines", ns, "roundtrip")).To(And(
				HaveKeyWithValue("Ready", "True"), HaveKeyWithValue("Phase", "Running"),
				HaveKeyWithValue("Connector", "Closed"), HaveKeyWithValue("Processed", fmt.Sprint(files))))
			g.Expect(printerColumns(ctx, g, "connectors", ns, "params")).To(HaveKeyWithValue("Breaker", "Closed"))
		}).Should(Succeed())
		Eventually(ctx, func(g Gomega) {
			g.Expect(breakerEvents(ctx, g, ns, EventCircuitClosed)).To(ContainElement(
				MatchRegexp(`^Normal MFNPipeline/roundtrip: Publisher hook circuit breaker Closed \(was (Open|HalfOpen)\)$`)))
		}).Should(Succeed())

		By("delivering every result once, signed with the key from the Secret")
		ids, dups := target.received()
		Expect(ids).To(Equal(want))
		Expect(dups).To(BeZero())
		Expect(target.badSignatures.Load()).To(BeZero())
		left, err := filepath.Glob(filepath.Join(inbox, "*.json"))
		Expect(err).NotTo(HaveOccurred())
		Expect(left).To(BeEmpty())
	})
})
