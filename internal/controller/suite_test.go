package controller

import (
	"context"
	"github.com/mfn-io/mfn-operator/internal/envtestassets"
	"path/filepath"
	"sync"
	"testing"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/envtest"
	logf "sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"

	mfnv1alpha1 "github.com/mfn-io/mfn-operator/api/v1alpha1"
)

// The suite runs the MFNPipeline reconciler in a manager against a real
// kube-apiserver and etcd (built by `make envtest` into bin/k8s) and checks
// the objects it writes through a direct client, not the manager's cache.
// Envtest runs no Deployment or Pod controllers, so worker pods used by the
// status specs are created by the specs themselves.

const testWorkerImage = "example.test/mfn:test"

var (
	testEnv   *envtest.Environment
	k8sClient client.Client

	// statusURLs maps a pod name to the /status URL the reconciler reads
	// (the worker port is fixed to 8080, so the specs point pods at
	// httptest servers instead).
	statusURLs sync.Map
)

func TestController(t *testing.T) {
	RegisterFailHandler(Fail)
	RunSpecs(t, "MFNPipeline controller")
}

// repoRoot is the repository root, two levels above this package.
var repoRoot = filepath.Join("..", "..")

// assetsDir returns KUBEBUILDER_ASSETS, or the repository's bin/k8s when it
// is unset, after checking that kube-apiserver and etcd are there.
func assetsDir() string {
	dir, err := envtestassets.Dir(repoRoot)
	if err != nil {
		Fail(err.Error())
	}
	return dir
}

var _ = BeforeSuite(func() {
	logf.SetLogger(zap.New(zap.WriteTo(GinkgoWriter), zap.UseDevMode(true)))
	SetDefaultEventuallyPollingInterval(100 * time.Millisecond)
	SetDefaultEventuallyTimeout(20 * time.Second)
	SetDefaultConsistentlyPollingInterval(100 * time.Millisecond)

	testEnv = &envtest.Environment{
		CRDDirectoryPaths:     []string{filepath.Join(repoRoot, "config", "crd", "bases")},
		ErrorIfCRDPathMissing: true,
		BinaryAssetsDirectory: assetsDir(),
	}
	cfg, err := testEnv.Start()
	Expect(err).NotTo(HaveOccurred(), "starting kube-apiserver and etcd")
	DeferCleanup(func() {
		Expect(testEnv.Stop()).To(Succeed())
	})

	scheme := runtime.NewScheme()
	Expect(clientgoscheme.AddToScheme(scheme)).To(Succeed())
	Expect(mfnv1alpha1.AddToScheme(scheme)).To(Succeed())
	k8sClient, err = client.New(cfg, client.Options{Scheme: scheme})
	Expect(err).NotTo(HaveOccurred())

	mgr, err := ctrl.NewManager(cfg, ctrl.Options{
		Scheme:                 scheme,
		Metrics:                metricsserver.Options{BindAddress: "0"},
		HealthProbeBindAddress: "0",
	})
	Expect(err).NotTo(HaveOccurred())
	r := &MFNPipelineReconciler{
		Client:         mgr.GetClient(),
		Scheme:         mgr.GetScheme(),
		Recorder:       mgr.GetEventRecorder("mfn-operator"),
		WorkerImage:    testWorkerImage,
		StatusInterval: time.Second,
		StatusURL: func(pod *corev1.Pod) string {
			if u, ok := statusURLs.Load(pod.Name); ok {
				return u.(string)
			}
			return "http://127.0.0.1:1/status" // nothing listens on port 1
		},
	}
	Expect(r.SetupWithManager(mgr)).To(Succeed())
	Expect((&ConnectorReconciler{Client: mgr.GetClient()}).SetupWithManager(mgr)).To(Succeed())
	Expect((&PublisherReconciler{Client: mgr.GetClient()}).SetupWithManager(mgr)).To(Succeed())

	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer GinkgoRecover()
		defer close(done)
		Expect(mgr.Start(ctx)).To(Succeed())
	}()
	DeferCleanup(func() {
		cancel()
		<-done
	})
})
