package controller

import (
	"context"
	"fmt"
	"github.com/mfn-io/mfn-operator/internal/envtestassets"
	"io"
	"path/filepath"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apimeta "k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	k8sruntime "k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/watch"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/utils/ptr"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/envtest"
	logf "sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"

	v1alpha1 "github.com/mfn-io/mfn-operator/api/v1alpha1"
)

// Scale benchmark sizes and timings (issue 5).
const (
	scaleComponents = 10
	scalePipelines  = 1000
	scalePoll       = 500 * time.Millisecond
	scaleRenderWait = 10 * time.Minute
	scaleSteady     = 60 * time.Second
)

// BenchmarkScale1000Pipelines starts its own kube-apiserver and etcd and a
// manager running the three reconcilers configured as cmd/main.go does with
// its default flags, creates 10 Connectors, 10 Publishers and then 1000
// MFNPipelines at once in one namespace, and reports:
//
//   - s-to-all-rendered: wall time from the first pipeline create until every
//     pipeline has its ConfigMap and Deployment and ConfigValid=True, seen by
//     List calls of a direct client every 500 ms;
//   - status-writes/min: modifications of MFNPipelines, Connectors and
//     Publishers seen by a watch over 60 s after that (no worker pods exist,
//     so nothing should change);
//   - approx-manager-MiB: Go HeapInuse+StackInuse of the test process after a
//     GC (the manager runs in-process; this includes the benchmark's own
//     client). BenchmarkManagerRSS measures the resident memory of the real
//     manager binary instead.
//
// The Ginkgo suite only starts its environment inside TestController, so
// `go test -run '^$' -bench Scale` starts only this benchmark's environment.
// Run it with hack/bench-operator.sh.
func BenchmarkScale1000Pipelines(b *testing.B) {
	env, direct := startBenchEnv(b)
	mgr, err := ctrl.NewManager(env.Config, ctrl.Options{
		Scheme:                 direct.Scheme(),
		Metrics:                metricsserver.Options{BindAddress: "0"},
		HealthProbeBindAddress: "0",
	})
	if err != nil {
		b.Fatal(err)
	}
	// The defaults of cmd/main.go's --status-interval and
	// --max-concurrent-reconciles flags.
	r := &MFNPipelineReconciler{
		Client:                  mgr.GetClient(),
		Scheme:                  mgr.GetScheme(),
		Recorder:                mgr.GetEventRecorder("mfn-operator"),
		WorkerImage:             testWorkerImage,
		StatusInterval:          10 * time.Second,
		MaxConcurrentReconciles: 2,
	}
	if err := r.SetupWithManager(mgr); err != nil {
		b.Fatal(err)
	}
	if err := (&ConnectorReconciler{Client: mgr.GetClient()}).SetupWithManager(mgr); err != nil {
		b.Fatal(err)
	}
	if err := (&PublisherReconciler{Client: mgr.GetClient()}).SetupWithManager(mgr); err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithCancel(b.Context())
	done := make(chan error, 1)
	go func() { done <- mgr.Start(ctx) }()
	b.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			b.Errorf("manager: %v", err)
		}
	})

	var renderSecs, writesPerMin float64
	for i := 0; i < b.N; i++ {
		ns := fmt.Sprintf("scale-%d", i)
		secs, writes := scaleRun(ctx, b, direct, ns)
		renderSecs += secs
		writesPerMin += writes
	}
	b.StopTimer()
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	b.ReportMetric(renderSecs/float64(b.N), "s-to-all-rendered")
	b.ReportMetric(writesPerMin/float64(b.N), "status-writes/min")
	b.ReportMetric(float64(ms.HeapInuse+ms.StackInuse)/(1<<20), "approx-manager-MiB")
	b.ReportMetric(0, "ns/op")
}

// startBenchEnv starts kube-apiserver and etcd with the CRDs installed
// (stopped when b ends) and returns them with a direct client.
func startBenchEnv(b *testing.B) (*envtest.Environment, client.WithWatch) {
	b.Helper()
	logf.SetLogger(zap.New(zap.WriteTo(io.Discard)))
	env := &envtest.Environment{
		CRDDirectoryPaths:     []string{filepath.Join(repoRoot, "config", "crd", "bases")},
		ErrorIfCRDPathMissing: true,
		BinaryAssetsDirectory: benchAssetsDir(b),
	}
	cfg, err := env.Start()
	if err != nil {
		b.Fatalf("starting kube-apiserver and etcd: %v", err)
	}
	b.Cleanup(func() {
		if err := env.Stop(); err != nil {
			b.Errorf("stopping envtest: %v", err)
		}
	})
	scheme := k8sruntime.NewScheme()
	if err := clientgoscheme.AddToScheme(scheme); err != nil {
		b.Fatal(err)
	}
	if err := v1alpha1.AddToScheme(scheme); err != nil {
		b.Fatal(err)
	}
	direct, err := client.NewWithWatch(cfg, client.Options{Scheme: scheme})
	if err != nil {
		b.Fatal(err)
	}
	return env, direct
}

// benchAssetsDir is KUBEBUILDER_ASSETS or the repository's bin/k8s.
func benchAssetsDir(b *testing.B) string {
	b.Helper()
	dir, err := envtestassets.Dir(repoRoot)
	if err != nil {
		b.Fatal(err)
	}
	return dir
}

// scaleRun creates the components and pipelines in namespace ns and returns
// the seconds until all pipelines are rendered and the status writes per
// minute over the following steady-state window.
func scaleRun(ctx context.Context, b *testing.B, c client.WithWatch, ns string) (float64, float64) {
	b.Helper()
	if err := c.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}); err != nil {
		b.Fatalf("create namespace %s: %v", ns, err)
	}
	for i := range scaleComponents {
		conn := &v1alpha1.Connector{
			ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: fmt.Sprintf("conn-%d", i)},
			Spec: v1alpha1.ConnectorSpec{
				Type: v1alpha1.ConnectorFile,
				File: &v1alpha1.FileConnector{Directory: "/data/in"},
			},
		}
		pub := &v1alpha1.Publisher{
			ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: fmt.Sprintf("pub-%d", i)},
			Spec: v1alpha1.PublisherSpec{
				Type:  v1alpha1.PublisherJSONL,
				JSONL: &v1alpha1.JSONLPublisher{Directory: "/data/out"},
			},
		}
		for _, o := range []client.Object{conn, pub} {
			if err := c.Create(ctx, o); err != nil {
				b.Fatalf("create %s: %v", o.GetName(), err)
			}
		}
	}

	b.StartTimer()
	start := time.Now()
	createPipelines(ctx, b, c, ns)
	for !allRendered(ctx, b, c, ns) {
		if time.Since(start) > scaleRenderWait {
			b.Fatalf("not all %d pipelines rendered after %s", scalePipelines, scaleRenderWait)
		}
		time.Sleep(scalePoll)
	}
	secs := time.Since(start).Seconds()
	b.StopTimer()
	return secs, countWrites(ctx, b, c, ns)
}

// createPipelines creates all pipelines with 8 concurrent creators, each
// referencing one connector and one publisher round-robin.
func createPipelines(ctx context.Context, b *testing.B, c client.Client, ns string) {
	b.Helper()
	next := atomic.Int64{}
	errs := make(chan error, scalePipelines)
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for {
				i := int(next.Add(1) - 1)
				if i >= scalePipelines {
					return
				}
				p := &v1alpha1.MFNPipeline{
					ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: fmt.Sprintf("pipe-%04d", i)},
					Spec: v1alpha1.MFNPipelineSpec{
						ConnectorRef:  v1alpha1.ComponentReference{Name: fmt.Sprintf("conn-%d", i%scaleComponents)},
						PublisherRefs: []v1alpha1.ComponentReference{{Name: fmt.Sprintf("pub-%d", i%scaleComponents)}},
						Replicas:      ptr.To[int32](1),
					},
				}
				if err := c.Create(ctx, p); err != nil {
					errs <- fmt.Errorf("create pipeline %s: %w", p.Name, err)
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		b.Fatal(err)
	}
}

// allRendered reports whether every pipeline in ns has ConfigValid=True and
// its ConfigMap and Deployment exist.
func allRendered(ctx context.Context, b *testing.B, c client.Client, ns string) bool {
	b.Helper()
	var pipes v1alpha1.MFNPipelineList
	var cms corev1.ConfigMapList
	var deps appsv1.DeploymentList
	for _, l := range []client.ObjectList{&pipes, &cms, &deps} {
		if err := c.List(ctx, l, client.InNamespace(ns)); err != nil {
			b.Fatalf("list: %v", err)
		}
	}
	if len(pipes.Items) != scalePipelines {
		return false
	}
	have := map[string]int{}
	for _, cm := range cms.Items {
		have[cm.Name]++
	}
	for _, d := range deps.Items {
		have[d.Name]++
	}
	for i := range pipes.Items {
		p := &pipes.Items[i]
		if have[WorkloadName(p.Name)] != 2 {
			return false
		}
		valid := false
		for _, cond := range p.Status.Conditions {
			if cond.Type == v1alpha1.ConditionConfigValid && cond.Status == metav1.ConditionTrue {
				valid = true
			}
		}
		if !valid {
			return false
		}
	}
	return true
}

// countWrites watches MFNPipelines, Connectors and Publishers in ns from
// their current resourceVersions for the steady-state window and returns the
// modifications seen per minute.
func countWrites(ctx context.Context, b *testing.B, c client.WithWatch, ns string) float64 {
	b.Helper()
	lists := []client.ObjectList{&v1alpha1.MFNPipelineList{}, &v1alpha1.ConnectorList{}, &v1alpha1.PublisherList{}}
	var watches []watch.Interface
	before := map[string]string{}
	for _, l := range lists {
		if err := c.List(ctx, l, client.InNamespace(ns)); err != nil {
			b.Fatalf("list: %v", err)
		}
		recordVersions(b, l, before)
		w, err := c.Watch(ctx, l, client.InNamespace(ns), &client.ListOptions{Raw: &metav1.ListOptions{ResourceVersion: l.GetResourceVersion()}})
		if err != nil {
			b.Fatalf("watch: %v", err)
		}
		watches = append(watches, w)
	}
	var writes atomic.Int64
	var stopped atomic.Bool // Stop makes the watches report a closed stream
	var wg sync.WaitGroup
	for _, w := range watches {
		wg.Go(func() {
			for ev := range w.ResultChan() {
				switch ev.Type {
				case watch.Modified, watch.Added, watch.Deleted:
					writes.Add(1)
				case watch.Error:
					if stopped.Load() {
						continue
					}
					b.Errorf("watch error: %v", ev.Object)
				}
			}
		})
	}
	time.Sleep(scaleSteady)
	stopped.Store(true)
	for _, w := range watches {
		w.Stop()
	}
	wg.Wait()
	// Cross-check the watches against the resourceVersions: every object
	// whose version changed must have been seen at least once.
	after := map[string]string{}
	for _, l := range lists {
		if err := c.List(ctx, l, client.InNamespace(ns)); err != nil {
			b.Fatalf("list: %v", err)
		}
		recordVersions(b, l, after)
	}
	changed := 0
	for key, rv := range after {
		if before[key] != rv {
			changed++
		}
	}
	if int64(changed) > writes.Load() {
		b.Fatalf("%d objects changed their resourceVersion but the watches saw only %d writes", changed, writes.Load())
	}
	b.Logf("steady state: %d writes seen by the watches, %d of %d objects changed resourceVersion", writes.Load(), changed, len(after))
	return float64(writes.Load()) / scaleSteady.Minutes()
}

// recordVersions stores kind/name → resourceVersion of every item of l.
func recordVersions(b *testing.B, l client.ObjectList, into map[string]string) {
	b.Helper()
	items, err := apimeta.ExtractList(l)
	if err != nil {
		b.Fatalf("extract list: %v", err)
	}
	for _, item := range items {
		o := item.(client.Object)
		into[fmt.Sprintf("%T/%s", o, o.GetName())] = o.GetResourceVersion()
	}
}
