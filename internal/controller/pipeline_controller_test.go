package controller

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync/atomic"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	eventsv1 "k8s.io/api/events/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/mfn-io/mfn-operator/api/v1alpha1"
	"github.com/mfn-io/mfn-operator/pkg/manifest"
	"github.com/mfn-io/mfn-operator/pkg/status"
)

// secretValue is stored in a Secret the pipeline references; it must never
// appear in anything the operator writes.
const secretValue = "s3cr3t-value-never-rendered"

func newNamespace(ctx SpecContext) string {
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{GenerateName: "pipeline-"}}
	Expect(k8sClient.Create(ctx, ns)).To(Succeed())
	return ns.Name
}

func databaseConnector(ns, name string) *v1alpha1.Connector {
	return &v1alpha1.Connector{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
		Spec: v1alpha1.ConnectorSpec{
			Type: v1alpha1.ConnectorDatabase,
			Database: &v1alpha1.DatabaseConnector{
				Driver: "postgres",
				ConnectionStringSecretRef: corev1.SecretKeySelector{
					LocalObjectReference: corev1.LocalObjectReference{Name: "mfn-db"}, Key: "dsn",
				},
				Query:     "SELECT id, grid_size FROM params",
				KeyColumn: "id",
				AckQuery:  "DELETE FROM params WHERE id = $1",
			},
		},
	}
}

func redisPublisher(ns, name string) *v1alpha1.Publisher {
	return &v1alpha1.Publisher{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
		Spec: v1alpha1.PublisherSpec{
			Type: v1alpha1.PublisherRedis,
			Redis: &v1alpha1.RedisPublisher{
				URL: "redis://redis:6379/0",
				PasswordSecretRef: &corev1.SecretKeySelector{
					LocalObjectReference: corev1.LocalObjectReference{Name: "mfn-redis"}, Key: "password",
				},
				Channel: "mfn:results",
			},
			BatchSize: ptr.To[int32](10),
		},
	}
}

func jsonlPublisher(ns, name string) *v1alpha1.Publisher {
	return &v1alpha1.Publisher{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
		Spec: v1alpha1.PublisherSpec{
			Type:  v1alpha1.PublisherJSONL,
			JSONL: &v1alpha1.JSONLPublisher{Directory: "/data/dead"},
		},
	}
}

// secrets are the Secrets databaseConnector and redisPublisher reference.
func secrets(ns string) []client.Object {
	return []client.Object{
		&corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "mfn-db"}, StringData: map[string]string{"dsn": secretValue}},
		&corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "mfn-redis"}, StringData: map[string]string{"password": secretValue}},
	}
}

// workloadHashOf is the hash the pod template must carry for cm and the
// current resourceVersions of the Secrets databaseConnector and
// redisPublisher reference.
func workloadHashOf(ctx SpecContext, g Gomega, cm *corev1.ConfigMap) string {
	versions := map[string]string{}
	for _, name := range []string{"mfn-db", "mfn-redis"} {
		s := &corev1.Secret{}
		g.Expect(k8sClient.Get(ctx, types.NamespacedName{Namespace: cm.Namespace, Name: name}, s)).To(Succeed())
		versions[name] = s.ResourceVersion
	}
	return workloadHash(cm.Data, versions)
}

func newPipeline(ns, name, connector string, publishers ...string) *v1alpha1.MFNPipeline {
	p := &v1alpha1.MFNPipeline{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
		Spec: v1alpha1.MFNPipelineSpec{
			ConnectorRef:   v1alpha1.ComponentReference{Name: connector},
			Replicas:       ptr.To[int32](2),
			StatusInterval: &metav1.Duration{Duration: time.Second},
		},
	}
	for _, pub := range publishers {
		p.Spec.PublisherRefs = append(p.Spec.PublisherRefs, v1alpha1.ComponentReference{Name: pub})
	}
	return p
}

// create creates every object.
func create(ctx SpecContext, objs ...client.Object) {
	GinkgoHelper()
	for _, o := range objs {
		Expect(k8sClient.Create(ctx, o)).To(Succeed())
	}
}

// workerDeployment waits for the pipeline's Deployment and returns it.
func workerDeployment(ctx SpecContext, ns, pipeline string) *appsv1.Deployment {
	GinkgoHelper()
	dep := &appsv1.Deployment{}
	Eventually(ctx, func() error {
		return k8sClient.Get(ctx, types.NamespacedName{Namespace: ns, Name: WorkloadName(pipeline)}, dep)
	}).Should(Succeed())
	return dep
}

func getPipeline(ctx SpecContext, g Gomega, ns, name string) *v1alpha1.MFNPipeline {
	p := &v1alpha1.MFNPipeline{}
	g.Expect(k8sClient.Get(ctx, types.NamespacedName{Namespace: ns, Name: name}, p)).To(Succeed())
	return p
}

var _ = Describe("MFNPipeline reconciler", func() {
	It("renders a ConfigMap without secret values and a restricted worker Deployment", func(ctx SpecContext) {
		ns := newNamespace(ctx)
		create(ctx, secrets(ns)...)
		create(ctx, databaseConnector(ns, "params"), redisPublisher(ns, "results"), jsonlPublisher(ns, "dead"))
		p := newPipeline(ns, "render", "params", "results")
		p.Spec.DeadLetterPublisherRef = &v1alpha1.ComponentReference{Name: "dead"}
		p.Spec.Worker.NodeSelector = map[string]string{"pool": "sim"}
		p.Spec.Worker.Labels = map[string]string{"team": "fungi"}
		create(ctx, p)

		dep := workerDeployment(ctx, ns, "render")
		cm := &corev1.ConfigMap{}
		Expect(k8sClient.Get(ctx, types.NamespacedName{Namespace: ns, Name: WorkloadName("render")}, cm)).To(Succeed())

		By("rendering every object, spec only, with no secret value")
		rendered := cm.Data[ConfigKey]
		Expect(rendered).NotTo(ContainSubstring(secretValue))
		Expect(rendered).NotTo(ContainSubstring("status:"))
		path := filepath.Join(GinkgoT().TempDir(), "pipeline.yaml")
		Expect(os.WriteFile(path, []byte(rendered), 0o600)).To(Succeed())
		set, err := manifest.LoadFiles(path)
		Expect(err).NotTo(HaveOccurred())
		Expect(set.Pipelines).To(HaveKey("render"))
		Expect(set.Connectors).To(HaveKey("params"))
		Expect(set.Publishers).To(HaveKey("results"))
		Expect(set.Publishers).To(HaveKey("dead"))
		Expect(set.Connectors["params"].Spec.Database.ConnectionStringSecretRef.Name).To(Equal("mfn-db"))

		By("owning both objects")
		for _, o := range []metav1.Object{cm, dep} {
			owner := metav1.GetControllerOf(o)
			Expect(owner).NotTo(BeNil())
			Expect(owner.Kind).To(Equal("MFNPipeline"))
			Expect(owner.Name).To(Equal("render"))
		}

		By("running the worker with secretKeyRef variables and a restricted security context")
		Expect(*dep.Spec.Replicas).To(Equal(int32(2)))
		tmpl := dep.Spec.Template
		Expect(tmpl.Labels).To(HaveKeyWithValue(v1alpha1.LabelComponent, v1alpha1.ComponentWorker))
		Expect(tmpl.Labels).To(HaveKeyWithValue(v1alpha1.LabelPipeline, "render"))
		Expect(tmpl.Labels).To(HaveKeyWithValue("team", "fungi"))
		Expect(tmpl.Annotations).To(HaveKeyWithValue(AnnotationConfigHash, workloadHashOf(ctx, Default, cm)))
		Expect(tmpl.Spec.NodeSelector).To(Equal(map[string]string{"pool": "sim"}))
		Expect(*tmpl.Spec.AutomountServiceAccountToken).To(BeFalse())
		Expect(*tmpl.Spec.SecurityContext.RunAsNonRoot).To(BeTrue())
		Expect(tmpl.Spec.SecurityContext.SeccompProfile.Type).To(Equal(corev1.SeccompProfileTypeRuntimeDefault))

		Expect(tmpl.Spec.Containers).To(HaveLen(1))
		c := tmpl.Spec.Containers[0]
		Expect(c.Image).To(Equal(testWorkerImage))
		Expect(c.Args).To(Equal([]string{"worker", "-config", "/etc/mfn/pipeline.yaml", "-listen", ":8080"}))
		env := map[string]corev1.EnvVar{}
		for _, e := range c.Env {
			Expect(e.Value).To(BeEmpty(), "env %s must come from a reference", e.Name)
			env[e.Name] = e
		}
		Expect(env).To(HaveLen(3))
		Expect(env["POD_NAME"].ValueFrom.FieldRef.FieldPath).To(Equal("metadata.name"))
		dsn := env[manifest.SecretEnvName("mfn-db", "dsn")]
		Expect(dsn.ValueFrom).NotTo(BeNil())
		Expect(dsn.ValueFrom.SecretKeyRef.Name).To(Equal("mfn-db"))
		Expect(dsn.ValueFrom.SecretKeyRef.Key).To(Equal("dsn"))
		pw := env[manifest.SecretEnvName("mfn-redis", "password")]
		Expect(pw.ValueFrom).NotTo(BeNil())
		Expect(pw.ValueFrom.SecretKeyRef.Name).To(Equal("mfn-redis"))

		sc := c.SecurityContext
		Expect(*sc.RunAsNonRoot).To(BeTrue())
		Expect(*sc.ReadOnlyRootFilesystem).To(BeTrue())
		Expect(*sc.AllowPrivilegeEscalation).To(BeFalse())
		Expect(sc.Capabilities.Drop).To(ConsistOf(corev1.Capability("ALL")))
		Expect(sc.SeccompProfile.Type).To(Equal(corev1.SeccompProfileTypeRuntimeDefault))
		Expect(c.Ports).To(ConsistOf(HaveField("Name", v1alpha1.WorkerStatusPortName)))
		Expect(c.Ports[0].ContainerPort).To(Equal(int32(v1alpha1.WorkerStatusPort)))
		Expect(c.LivenessProbe.HTTPGet.Path).To(Equal("/healthz"))
		Expect(c.ReadinessProbe.HTTPGet.Path).To(Equal("/readyz"))
		Expect(c.ReadinessProbe.HTTPGet.Port.StrVal).To(Equal(v1alpha1.WorkerStatusPortName))
		Expect(c.VolumeMounts).To(ContainElement(And(HaveField("MountPath", "/etc/mfn"), HaveField("ReadOnly", true))))
		Expect(c.VolumeMounts).To(ContainElement(HaveField("MountPath", "/data/dead")))

		By("reporting valid config and no available workers")
		Eventually(ctx, func(g Gomega) {
			p := getPipeline(ctx, g, ns, "render")
			g.Expect(p.Status.ObservedGeneration).To(Equal(p.Generation))
			g.Expect(meta.IsStatusConditionTrue(p.Status.Conditions, v1alpha1.ConditionConfigValid)).To(BeTrue())
			g.Expect(meta.FindStatusCondition(p.Status.Conditions, v1alpha1.ConditionWorkersAvailable)).To(
				HaveField("Reason", v1alpha1.ReasonWorkersUnavailable))
			g.Expect(meta.IsStatusConditionFalse(p.Status.Conditions, v1alpha1.ConditionReady)).To(BeTrue())
			g.Expect(p.Status.Phase).To(Equal(v1alpha1.PhasePending))
		}).Should(Succeed())
	})

	It("rolls the workers when a referenced Publisher changes", func(ctx SpecContext) {
		ns := newNamespace(ctx)
		create(ctx, secrets(ns)...)
		create(ctx, databaseConnector(ns, "params"), redisPublisher(ns, "results"), newPipeline(ns, "roll", "params", "results"))
		before := workerDeployment(ctx, ns, "roll").Spec.Template.Annotations[AnnotationConfigHash]
		Expect(before).NotTo(BeEmpty())

		pub := &v1alpha1.Publisher{}
		Expect(k8sClient.Get(ctx, types.NamespacedName{Namespace: ns, Name: "results"}, pub)).To(Succeed())
		pub.Spec.BatchSize = ptr.To[int32](77)
		Expect(k8sClient.Update(ctx, pub)).To(Succeed())

		Eventually(ctx, func(g Gomega) {
			dep := &appsv1.Deployment{}
			g.Expect(k8sClient.Get(ctx, types.NamespacedName{Namespace: ns, Name: WorkloadName("roll")}, dep)).To(Succeed())
			g.Expect(dep.Spec.Template.Annotations[AnnotationConfigHash]).NotTo(Equal(before))
			cm := &corev1.ConfigMap{}
			g.Expect(k8sClient.Get(ctx, types.NamespacedName{Namespace: ns, Name: WorkloadName("roll")}, cm)).To(Succeed())
			g.Expect(cm.Data[ConfigKey]).To(ContainSubstring("batchSize: 77"))
			g.Expect(dep.Spec.Template.Annotations[AnnotationConfigHash]).To(Equal(workloadHashOf(ctx, g, cm)))
		}).Should(Succeed())
	})

	It("rolls the workers when a referenced Secret changes, without rendering its value", func(ctx SpecContext) {
		ns := newNamespace(ctx)
		create(ctx, secrets(ns)...)
		create(ctx, databaseConnector(ns, "params"), redisPublisher(ns, "results"), newPipeline(ns, "rotate", "params", "results"))
		before := workerDeployment(ctx, ns, "rotate").Spec.Template.Annotations[AnnotationConfigHash]

		s := &corev1.Secret{}
		Expect(k8sClient.Get(ctx, types.NamespacedName{Namespace: ns, Name: "mfn-redis"}, s)).To(Succeed())
		s.Data["password"] = []byte("rotated-" + secretValue)
		Expect(k8sClient.Update(ctx, s)).To(Succeed())

		Eventually(ctx, func(g Gomega) {
			dep := &appsv1.Deployment{}
			g.Expect(k8sClient.Get(ctx, types.NamespacedName{Namespace: ns, Name: WorkloadName("rotate")}, dep)).To(Succeed())
			g.Expect(dep.Spec.Template.Annotations[AnnotationConfigHash]).NotTo(Equal(before))
		}).Should(Succeed())
		cm := &corev1.ConfigMap{}
		Expect(k8sClient.Get(ctx, types.NamespacedName{Namespace: ns, Name: WorkloadName("rotate")}, cm)).To(Succeed())
		Expect(cm.Data[ConfigKey]).NotTo(ContainSubstring(secretValue))
	})

	It("reports a missing required Secret and deploys once it exists", func(ctx SpecContext) {
		ns := newNamespace(ctx)
		create(ctx, secrets(ns)[0])
		create(ctx, databaseConnector(ns, "params"), redisPublisher(ns, "results"), newPipeline(ns, "nosecret", "params", "results"))
		Eventually(ctx, func(g Gomega) {
			p := getPipeline(ctx, g, ns, "nosecret")
			c := meta.FindStatusCondition(p.Status.Conditions, v1alpha1.ConditionConfigValid)
			g.Expect(c).NotTo(BeNil())
			g.Expect(c.Reason).To(Equal(v1alpha1.ReasonReferenceNotFound))
			g.Expect(c.Message).To(ContainSubstring("Secret/mfn-redis"))
			g.Expect(c.Message).NotTo(ContainSubstring("mfn-db"))
		}).Should(Succeed())
		create(ctx, secrets(ns)[1])
		workerDeployment(ctx, ns, "nosecret")
	})

	It("does not rewrite the Deployment when nothing changed", func(ctx SpecContext) {
		ns := newNamespace(ctx)
		create(ctx, secrets(ns)...)
		create(ctx, databaseConnector(ns, "params"), redisPublisher(ns, "results"), newPipeline(ns, "steady", "params", "results"))
		workerDeployment(ctx, ns, "steady")
		// Wait for one status poll (statusInterval 1s) to have happened.
		Eventually(ctx, func(g Gomega) {
			c := meta.FindStatusCondition(getPipeline(ctx, g, ns, "steady").Status.Conditions, v1alpha1.ConditionConnectorHealthy)
			g.Expect(c).NotTo(BeNil())
		}).Should(Succeed())
		rv := workerDeployment(ctx, ns, "steady").ResourceVersion
		Consistently(ctx, func(g Gomega) {
			g.Expect(workerDeployment(ctx, ns, "steady").ResourceVersion).To(Equal(rv))
		}, "2500ms").Should(Succeed())
	})

	It("scales to zero when suspended", func(ctx SpecContext) {
		ns := newNamespace(ctx)
		create(ctx, secrets(ns)...)
		create(ctx, databaseConnector(ns, "params"), redisPublisher(ns, "results"), newPipeline(ns, "sleepy", "params", "results"))
		Expect(*workerDeployment(ctx, ns, "sleepy").Spec.Replicas).To(Equal(int32(2)))

		Eventually(ctx, func(g Gomega) {
			p := getPipeline(ctx, g, ns, "sleepy")
			p.Spec.Suspend = ptr.To(true)
			g.Expect(k8sClient.Update(ctx, p)).To(Succeed())
		}).Should(Succeed())
		Eventually(ctx, func(g Gomega) {
			dep := &appsv1.Deployment{}
			g.Expect(k8sClient.Get(ctx, types.NamespacedName{Namespace: ns, Name: WorkloadName("sleepy")}, dep)).To(Succeed())
			g.Expect(*dep.Spec.Replicas).To(BeZero())
			p := getPipeline(ctx, g, ns, "sleepy")
			g.Expect(p.Status.Phase).To(Equal(v1alpha1.PhaseSuspended))
			g.Expect(meta.FindStatusCondition(p.Status.Conditions, v1alpha1.ConditionReady)).To(HaveField("Reason", v1alpha1.ReasonSuspended))
		}).Should(Succeed())
	})

	It("reports a missing Connector and recovers when it is created", func(ctx SpecContext) {
		ns := newNamespace(ctx)
		create(ctx, secrets(ns)...)
		create(ctx, redisPublisher(ns, "results"), newPipeline(ns, "orphan", "later", "results"))

		Eventually(ctx, func(g Gomega) {
			p := getPipeline(ctx, g, ns, "orphan")
			c := meta.FindStatusCondition(p.Status.Conditions, v1alpha1.ConditionConfigValid)
			g.Expect(c).NotTo(BeNil())
			g.Expect(c.Status).To(Equal(metav1.ConditionFalse))
			g.Expect(c.Reason).To(Equal(v1alpha1.ReasonReferenceNotFound))
			g.Expect(c.Message).To(ContainSubstring("Connector/later"))
			g.Expect(meta.IsStatusConditionFalse(p.Status.Conditions, v1alpha1.ConditionReady)).To(BeTrue())
			g.Expect(p.Status.Phase).To(Equal(v1alpha1.PhaseFailed))
		}).Should(Succeed())
		Consistently(ctx, func() error {
			return k8sClient.Get(ctx, types.NamespacedName{Namespace: ns, Name: WorkloadName("orphan")}, &appsv1.Deployment{})
		}, "500ms").ShouldNot(Succeed())

		create(ctx, databaseConnector(ns, "later"))
		Eventually(ctx, func(g Gomega) {
			p := getPipeline(ctx, g, ns, "orphan")
			g.Expect(meta.IsStatusConditionTrue(p.Status.Conditions, v1alpha1.ConditionConfigValid)).To(BeTrue())
		}).Should(Succeed())
		workerDeployment(ctx, ns, "orphan")
	})

	It("aggregates worker /status documents and records breaker transitions", func(ctx SpecContext) {
		ns := newNamespace(ctx)
		create(ctx, secrets(ns)...)
		create(ctx, databaseConnector(ns, "params"), redisPublisher(ns, "results"), newPipeline(ns, "watched", "params", "results"))
		workerDeployment(ctx, ns, "watched")

		var breaker atomic.Value
		breaker.Store(status.BreakerOpen)
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			_ = json.NewEncoder(w).Encode(workerReport("watched", breaker.Load().(string), 7))
		}))
		DeferCleanup(srv.Close)
		statusURLs.Store(ns+"-w0", srv.URL+"/status")
		DeferCleanup(func() { statusURLs.Delete(ns + "-w0") })

		// One ready pod served by srv and one ready pod nobody answers for.
		for _, name := range []string{ns + "-w0", ns + "-w1"} {
			pod := &corev1.Pod{
				ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name, Labels: selectorLabels(newPipeline(ns, "watched", ""))},
				Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "worker", Image: testWorkerImage}}},
			}
			create(ctx, pod)
			pod.Status = corev1.PodStatus{
				Phase: corev1.PodRunning, PodIP: "127.0.0.1", PodIPs: []corev1.PodIP{{IP: "127.0.0.1"}},
				Conditions: []corev1.PodCondition{{Type: corev1.PodReady, Status: corev1.ConditionTrue}},
			}
			Expect(k8sClient.Status().Update(ctx, pod)).To(Succeed())
		}

		Eventually(ctx, func(g Gomega) {
			p := getPipeline(ctx, g, ns, "watched")
			g.Expect(p.Status.ConnectorBreaker).To(Equal(v1alpha1.BreakerOpen))
			g.Expect(p.Status.Connector.BreakerWorkers).To(Equal(v1alpha1.BreakerWorkers{Open: 1}))
			g.Expect(p.Status.Totals.Processed).To(Equal(int64(7)))
			g.Expect(p.Status.Publishers).To(ConsistOf(HaveField("Breaker", v1alpha1.BreakerClosed)))
			c := meta.FindStatusCondition(p.Status.Conditions, v1alpha1.ConditionConnectorHealthy)
			g.Expect(c).NotTo(BeNil())
			g.Expect(c.Reason).To(Equal(v1alpha1.ReasonCircuitOpen))
			g.Expect(meta.IsStatusConditionTrue(p.Status.Conditions, v1alpha1.ConditionPublishersHealthy)).To(BeTrue())
		}).Should(Succeed())
		Eventually(ctx, func(g Gomega) { g.Expect(eventReasons(ctx, g, ns)).To(ContainElement(EventCircuitOpened)) }).Should(Succeed())

		breaker.Store(status.BreakerClosed)
		Eventually(ctx, func(g Gomega) {
			p := getPipeline(ctx, g, ns, "watched")
			g.Expect(p.Status.ConnectorBreaker).To(Equal(v1alpha1.BreakerClosed))
			g.Expect(meta.IsStatusConditionTrue(p.Status.Conditions, v1alpha1.ConditionConnectorHealthy)).To(BeTrue())
		}).Should(Succeed())
		Eventually(ctx, func(g Gomega) { g.Expect(eventReasons(ctx, g, ns)).To(ContainElement(EventCircuitClosed)) }).Should(Succeed())
	})
})

// eventReasons lists the reasons of the events in ns.
func eventReasons(ctx SpecContext, g Gomega, ns string) []string {
	var list eventsv1.EventList
	g.Expect(k8sClient.List(ctx, &list, client.InNamespace(ns))).To(Succeed())
	var out []string
	for _, e := range list.Items {
		out = append(out, e.Reason)
	}
	return out
}

// workerReport is a /status document whose connector breaker is in state.
func workerReport(pipeline, state string, processed int64) status.Report {
	now := time.Now().UTC()
	return status.Report{
		SchemaVersion: status.SchemaVersion, Pipeline: pipeline, Worker: "w0", StartTime: now, Time: now, Ready: true,
		Connector: status.ComponentReport{
			Name: "params", Kind: "database", Status: status.ComponentConnected,
			Breaker: status.BreakerReport{State: state, ConsecutiveFailures: 3},
		},
		Publishers: []status.ComponentReport{{
			Name: "results", Kind: "redis", Status: status.ComponentConnected,
			Breaker:   status.BreakerReport{State: status.BreakerClosed},
			Publisher: &status.PublisherMetrics{MessagesSent: processed},
		}},
		Totals: status.Totals{Processed: processed},
	}
}
