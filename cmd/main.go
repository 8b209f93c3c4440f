package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	utilruntime "k8s.io/apimachinery/pkg/util/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/healthz"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"

	mfnv1alpha1 "github.com/mfn-io/mfn-operator/api/v1alpha1"
	"github.com/mfn-io/mfn-operator/internal/controller"
)

// options are the command-line flags of the manager.
type options struct {
	leaderElect             bool
	metricsAddr             string
	probeAddr               string
	watchNamespaces         string
	maxConcurrentReconciles int
	statusInterval          time.Duration
	workerImage             string
}

func main() {
	var o options
	flag.BoolVar(&o.leaderElect, "leader-elect", false, "Elect a leader so that only one manager replica reconciles.")
	flag.StringVar(&o.metricsAddr, "metrics-bind-address", ":8080", "Address the Prometheus metrics endpoint binds to; 0 disables it.")
	flag.StringVar(&o.probeAddr, "health-probe-bind-address", ":8081", "Address the /healthz and /readyz endpoints bind to.")
	flag.StringVar(&o.watchNamespaces, "watch-namespaces", "", "Comma-separated namespaces to watch; empty watches all namespaces.")
	flag.IntVar(&o.maxConcurrentReconciles, "max-concurrent-reconciles", 2, "Number of MFNPipelines reconciled at once.")
	flag.DurationVar(&o.statusInterval, "status-interval", 10*time.Second, "Default interval between reads of the workers' /status documents.")
	flag.StringVar(&o.workerImage, "worker-image", "ghcr.io/mfn-io/mfn-operator:dev", "Worker image used when a pipeline does not set spec.worker.image.")
	zapOpts := zap.Options{}
	zapOpts.BindFlags(flag.CommandLine)
	flag.Parse()
	ctrl.SetLogger(zap.New(zap.UseFlagOptions(&zapOpts)))

	if err := run(ctrl.SetupSignalHandler(), o); err != nil {
		ctrl.Log.Error(err, "Manager failed")
		os.Exit(1)
	}
}

// validate checks the flag values, naming the flag and the bound.
func (o options) validate() error {
	if o.maxConcurrentReconciles < 1 {
		return fmt.Errorf("--max-concurrent-reconciles must be at least 1, got %d", o.maxConcurrentReconciles)
	}
	if o.statusInterval < time.Second {
		return fmt.Errorf("--status-interval must be at least 1s, got %s", o.statusInterval)
	}
	if o.workerImage == "" {
		return fmt.Errorf("--worker-image must not be empty")
	}
	return nil
}

// namespaces parses --watch-namespaces into the cache's DefaultNamespaces.
func (o options) namespaces() map[string]cache.Config {
	var ns map[string]cache.Config
	for n := range strings.SplitSeq(o.watchNamespaces, ",") {
		if n = strings.TrimSpace(n); n == "" {
			continue
		}
		if ns == nil {
			ns = map[string]cache.Config{}
		}
		ns[n] = cache.Config{}
	}
	return ns
}

// cacheOptions restricts the cache to the watched namespaces and, for Pods,
// to worker pods: the manager reads no other Pods.
func (o options) cacheOptions() cache.Options {
	workers := labels.SelectorFromSet(labels.Set{mfnv1alpha1.LabelComponent: mfnv1alpha1.ComponentWorker})
	return cache.Options{
		DefaultNamespaces: o.namespaces(),
		ByObject:          map[client.Object]cache.ByObject{&corev1.Pod{}: {Label: workers}},
	}
}

func run(ctx context.Context, o options) error {
	if err := o.validate(); err != nil {
		return err
	}
	scheme := runtime.NewScheme()
	utilruntime.Must(clientgoscheme.AddToScheme(scheme))
	utilruntime.Must(mfnv1alpha1.AddToScheme(scheme))

	mgr, err := ctrl.NewManager(ctrl.GetConfigOrDie(), ctrl.Options{
		Scheme:                 scheme,
		Metrics:                metricsserver.Options{BindAddress: o.metricsAddr},
		HealthProbeBindAddress: o.probeAddr,
		LeaderElection:         o.leaderElect,
		LeaderElectionID:       "mfn-operator.mfn.mycelium.io",
		Cache:                  o.cacheOptions(),
	})
	if err != nil {
		return fmt.Errorf("create manager: %w", err)
	}
	r := &controller.MFNPipelineReconciler{
		Client:                  mgr.GetClient(),
		Scheme:                  mgr.GetScheme(),
		Recorder:                mgr.GetEventRecorder("mfn-operator"),
		WorkerImage:             o.workerImage,
		StatusInterval:          o.statusInterval,
		MaxConcurrentReconciles: o.maxConcurrentReconciles,
	}
	if err := r.SetupWithManager(mgr); err != nil {
		return fmt.Errorf("set up MFNPipeline controller: %w", err)
	}
	// Both read the field indexes the MFNPipeline controller registered above.
	if err := (&controller.ConnectorReconciler{Client: mgr.GetClient()}).SetupWithManager(mgr); err != nil {
		return fmt.Errorf("set up Connector controller: %w", err)
	}
	if err := (&controller.PublisherReconciler{Client: mgr.GetClient()}).SetupWithManager(mgr); err != nil {
		return fmt.Errorf("set up Publisher controller: %w", err)
	}
	if err := mgr.AddHealthzCheck("healthz", healthz.Ping); err != nil {
		return fmt.Errorf("add health check: %w", err)
	}
	if err := mgr.AddReadyzCheck("readyz", healthz.Ping); err != nil {
		return fmt.Errorf("add ready check: %w", err)
	}
	ctrl.Log.Info("Starting manager", "watchNamespaces", o.watchNamespaces, "workerImage", o.workerImage)
	return mgr.Start(ctx)
}
