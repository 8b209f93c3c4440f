package v1alpha1_test

import (
	"github.com/mfn-io/mfn-operator/internal/envtestassets"
	"path/filepath"
	"testing"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/envtest"

	mfnv1alpha1 "github.com/mfn-io/mfn-operator/api/v1alpha1"
)

// The admission suite installs the generated CRDs into a real kube-apiserver
// and etcd (built by `make envtest` into bin/k8s) and checks what the API
// server accepts and refuses.

var (
	testEnv   *envtest.Environment
	k8sClient client.Client
	restCfg   *rest.Config
	namespace string
)

func TestAPI(t *testing.T) {
	RegisterFailHandler(Fail)
	RunSpecs(t, "mfn.mycelium.io/v1alpha1 admission")
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

var _ = BeforeSuite(func(ctx SpecContext) {
	testEnv = &envtest.Environment{
		CRDDirectoryPaths:     []string{filepath.Join(repoRoot, "config", "crd", "bases")},
		ErrorIfCRDPathMissing: true,
		BinaryAssetsDirectory: assetsDir(),
	}
	cfg, err := testEnv.Start()
	Expect(err).NotTo(HaveOccurred(), "starting kube-apiserver and etcd")
	restCfg = cfg
	DeferCleanup(func() {
		Expect(testEnv.Stop()).To(Succeed())
	})

	scheme := runtime.NewScheme()
	Expect(clientgoscheme.AddToScheme(scheme)).To(Succeed())
	Expect(mfnv1alpha1.AddToScheme(scheme)).To(Succeed())
	k8sClient, err = client.New(cfg, client.Options{Scheme: scheme})
	Expect(err).NotTo(HaveOccurred())

	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{GenerateName: "admission-"}}
	Expect(k8sClient.Create(ctx, ns)).To(Succeed())
	namespace = ns.Name
})
