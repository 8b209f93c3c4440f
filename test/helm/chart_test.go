package helm_test

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"sigs.k8s.io/yaml"
)

const (
	release   = "mfn"
	namespace = "mfn-system"
)

var (
	repoRoot = filepath.Join("..", "..")
	chartDir = filepath.Join(repoRoot, "dist", "chart")
)

// helmBinary returns bin/helm and fails the test when it is missing.
func helmBinary(t *testing.T) string {
	t.Helper()
	path, err := filepath.Abs(filepath.Join(repoRoot, "bin", "helm"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(path); err != nil {
		t.Fatalf("%s is missing (%v): run `make envtest` (hack/envtest.sh tools) to install helm into bin/", path, err)
	}
	return path
}

// helm runs bin/helm with args and returns its standard output; the error
// carries standard error.
func helm(t *testing.T, args ...string) (string, error) {
	t.Helper()
	cmd := exec.CommandContext(t.Context(), helmBinary(t), args...)
	cmd.Env = append(os.Environ(), "HELM_CACHE_HOME="+t.TempDir(), "HELM_CONFIG_HOME="+t.TempDir(),
		"HELM_DATA_HOME="+t.TempDir())
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return stdout.String(), errors.New(err.Error() + ": " + stderr.String())
	}
	return stdout.String(), nil
}

// valuesFile writes values (YAML) to a temporary file and returns its path.
func valuesFile(t *testing.T, values string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "values.yaml")
	if err := os.WriteFile(path, []byte(values), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// rendered is the output of helm template, indexed by kind.
type rendered struct {
	objs []*unstructured.Unstructured
}

func render(t *testing.T, values string, extra ...string) rendered {
	t.Helper()
	args := append([]string{"template", release, chartDir, "--namespace", namespace,
		"--values", valuesFile(t, values)}, extra...)
	out, err := helm(t, args...)
	if err != nil {
		t.Fatalf("helm template: %v", err)
	}
	var r rendered
	reader := utilyaml.NewYAMLReader(bufio.NewReader(strings.NewReader(out)))
	for {
		doc, err := reader.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("reading rendered YAML: %v", err)
		}
		obj := &unstructured.Unstructured{}
		if err := yaml.Unmarshal(doc, &obj.Object); err != nil {
			t.Fatalf("parsing rendered YAML: %v\n%s", err, doc)
		}
		if len(obj.Object) > 0 {
			r.objs = append(r.objs, obj)
		}
	}
	return r
}

func (r rendered) ofKind(kind string) []*unstructured.Unstructured {
	var out []*unstructured.Unstructured
	for _, o := range r.objs {
		if o.GetKind() == kind {
			out = append(out, o)
		}
	}
	return out
}

// one converts the only object of kind into into, failing unless there is
// exactly one.
func (r rendered) one(t *testing.T, kind string, into any) {
	t.Helper()
	objs := r.ofKind(kind)
	if len(objs) != 1 {
		t.Fatalf("want exactly one %s, got %d", kind, len(objs))
	}
	if err := runtime.DefaultUnstructuredConverter.FromUnstructured(objs[0].Object, into); err != nil {
		t.Fatalf("converting %s: %v", kind, err)
	}
}

func manager(t *testing.T, r rendered) (*appsv1.Deployment, corev1.Container) {
	t.Helper()
	var d appsv1.Deployment
	r.one(t, "Deployment", &d)
	cs := d.Spec.Template.Spec.Containers
	if len(cs) != 1 || cs[0].Name != "manager" {
		t.Fatalf("want one container named manager, got %+v", cs)
	}
	return &d, cs[0]
}

func TestLint(t *testing.T) {
	if out, err := helm(t, "lint", "--strict", chartDir); err != nil {
		t.Fatalf("helm lint: %v\n%s", err, out)
	}
	nonDefault := valuesFile(t, nonDefaultValues)
	if out, err := helm(t, "lint", "--strict", chartDir, "--values", nonDefault); err != nil {
		t.Fatalf("helm lint with non-default values: %v\n%s", err, out)
	}
}

// TestRestrictedSecurityContext checks the fields the restricted Pod
// Security Standard requires, and a read-only root file system.
func TestRestrictedSecurityContext(t *testing.T) {
	d, c := manager(t, render(t, ""))
	pod := d.Spec.Template.Spec.SecurityContext
	if pod == nil || pod.RunAsNonRoot == nil || !*pod.RunAsNonRoot {
		t.Errorf("pod securityContext.runAsNonRoot must be true, got %+v", pod)
	}
	if pod == nil || pod.SeccompProfile == nil || pod.SeccompProfile.Type != corev1.SeccompProfileTypeRuntimeDefault {
		t.Errorf("pod seccompProfile must be RuntimeDefault, got %+v", pod)
	}
	if pod == nil || pod.RunAsUser == nil || *pod.RunAsUser != 65532 {
		t.Errorf("pod runAsUser must be 65532 (distroless nonroot), got %+v", pod)
	}
	sc := c.SecurityContext
	if sc == nil {
		t.Fatal("container securityContext missing")
	}
	if sc.AllowPrivilegeEscalation == nil || *sc.AllowPrivilegeEscalation {
		t.Error("allowPrivilegeEscalation must be false")
	}
	if sc.ReadOnlyRootFilesystem == nil || !*sc.ReadOnlyRootFilesystem {
		t.Error("readOnlyRootFilesystem must be true")
	}
	if sc.Capabilities == nil || !slices.Equal(sc.Capabilities.Drop, []corev1.Capability{"ALL"}) || len(sc.Capabilities.Add) != 0 {
		t.Errorf("capabilities must drop ALL and add nothing, got %+v", sc.Capabilities)
	}
	if sc.Privileged != nil && *sc.Privileged {
		t.Error("container must not be privileged")
	}
}

func TestDefaultValues(t *testing.T) {
	r := render(t, "")
	d, c := manager(t, r)
	if *d.Spec.Replicas != 1 {
		t.Errorf("replicas = %d, want 1", *d.Spec.Replicas)
	}
	if c.Image != "ghcr.io/mfn-io/mfn-operator:0.1.0" {
		t.Errorf("image = %q, want the chart appVersion tag", c.Image)
	}
	wantArgs := []string{
		"--metrics-bind-address=:8080",
		"--health-probe-bind-address=:8081",
		"--leader-elect",
		"--worker-image=ghcr.io/mfn-io/mfn-operator:0.1.0",
	}
	if !slices.Equal(c.Args, wantArgs) {
		t.Errorf("args = %q, want %q", c.Args, wantArgs)
	}
	if n := len(r.ofKind("ClusterRoleBinding")); n != 1 {
		t.Errorf("want one ClusterRoleBinding when every namespace is watched, got %d", n)
	}
	if n := len(r.ofKind("Role")); n != 1 {
		t.Errorf("want the leader-election Role, got %d Roles", n)
	}
	for _, kind := range []string{"ServiceMonitor", "NetworkPolicy", "CustomResourceDefinition"} {
		if n := len(r.ofKind(kind)); n != 0 {
			t.Errorf("%d %s rendered by default, want none", n, kind)
		}
	}
	var svc corev1.Service
	r.one(t, "Service", &svc)
	if len(svc.Spec.Ports) != 1 || svc.Spec.Ports[0].Name != "metrics" || svc.Spec.Ports[0].Port != 8080 {
		t.Errorf("metrics Service ports = %+v", svc.Spec.Ports)
	}
	for k, v := range map[string]string{"app.kubernetes.io/component": "manager", "app.kubernetes.io/instance": release} {
		if svc.Spec.Selector[k] != v || d.Spec.Template.Labels[k] != v {
			t.Errorf("Service selector / pod label %s: %q / %q, want %q", k, svc.Spec.Selector[k], d.Spec.Template.Labels[k], v)
		}
	}
}

const nonDefaultValues = `
image:
  repository: registry.example.com/mfn/operator
  tag: v1.2.3
replicaCount: 2
watchNamespaces: [team-a, team-b]
worker:
  image: registry.example.com/mfn/worker:v1.2.3
resources:
  limits: {cpu: "2", memory: 1Gi}
serviceMonitor:
  enabled: true
  interval: 15s
  labels: {release: kube-prometheus-stack}
networkPolicy:
  enabled: true
  additionalPeers:
    - namespaceSelector:
        matchLabels: {kubernetes.io/metadata.name: monitoring}
`

func TestNonDefaultValues(t *testing.T) {
	r := render(t, nonDefaultValues)
	d, c := manager(t, r)
	if *d.Spec.Replicas != 2 {
		t.Errorf("replicas = %d, want 2", *d.Spec.Replicas)
	}
	if c.Image != "registry.example.com/mfn/operator:v1.2.3" {
		t.Errorf("image = %q", c.Image)
	}
	for _, want := range []string{
		"--leader-elect",
		"--watch-namespaces=team-a,team-b",
		"--worker-image=registry.example.com/mfn/worker:v1.2.3",
	} {
		if !slices.Contains(c.Args, want) {
			t.Errorf("args %q lack %q", c.Args, want)
		}
	}
	if got := c.Resources.Limits.Memory().String(); got != "1Gi" {
		t.Errorf("memory limit = %s, want 1Gi", got)
	}

	// RBAC: the manager ClusterRole bound in each watched namespace only.
	if n := len(r.ofKind("ClusterRoleBinding")); n != 0 {
		t.Errorf("%d ClusterRoleBindings with watchNamespaces set, want 0", n)
	}
	bound := map[string]bool{}
	for _, o := range r.ofKind("RoleBinding") {
		var rb rbacv1.RoleBinding
		if err := runtime.DefaultUnstructuredConverter.FromUnstructured(o.Object, &rb); err != nil {
			t.Fatal(err)
		}
		if rb.RoleRef.Kind == "ClusterRole" {
			bound[rb.Namespace] = true
			if len(rb.Subjects) != 1 || rb.Subjects[0].Namespace != namespace {
				t.Errorf("RoleBinding %s/%s subjects = %+v", rb.Namespace, rb.Name, rb.Subjects)
			}
		}
	}
	if len(bound) != 2 || !bound["team-a"] || !bound["team-b"] {
		t.Errorf("manager role bound in %v, want team-a and team-b", bound)
	}

	sms := r.ofKind("ServiceMonitor")
	if len(sms) != 1 {
		t.Fatalf("want one ServiceMonitor, got %d", len(sms))
	}
	if sms[0].GetLabels()["release"] != "kube-prometheus-stack" {
		t.Errorf("ServiceMonitor labels = %v", sms[0].GetLabels())
	}
	eps, _, _ := unstructured.NestedSlice(sms[0].Object, "spec", "endpoints")
	if len(eps) != 1 || eps[0].(map[string]any)["port"] != "metrics" || eps[0].(map[string]any)["interval"] != "15s" {
		t.Errorf("ServiceMonitor endpoints = %v", eps)
	}

	checkWorkerPolicies(t, r, "team-a", "team-b")
	for _, o := range r.ofKind("NetworkPolicy") {
		var np networkingv1.NetworkPolicy
		if err := runtime.DefaultUnstructuredConverter.FromUnstructured(o.Object, &np); err != nil {
			t.Fatal(err)
		}
		from := np.Spec.Ingress[0].From
		if len(from) != 2 || from[1].NamespaceSelector == nil ||
			from[1].NamespaceSelector.MatchLabels["kubernetes.io/metadata.name"] != "monitoring" {
			t.Errorf("%s: additional peer missing from %+v", np.Namespace, from)
		}
	}
}

// checkWorkerPolicies asserts one NetworkPolicy per namespace that admits
// the operator pods to the workers' http-status port.
func checkWorkerPolicies(t *testing.T, r rendered, namespaces ...string) {
	t.Helper()
	var got []string
	for _, o := range r.ofKind("NetworkPolicy") {
		var np networkingv1.NetworkPolicy
		if err := runtime.DefaultUnstructuredConverter.FromUnstructured(o.Object, &np); err != nil {
			t.Fatal(err)
		}
		got = append(got, np.Namespace)
		if np.Spec.PodSelector.MatchLabels["app.kubernetes.io/component"] != "mfn-worker" {
			t.Errorf("%s: podSelector = %v, want the mfn-worker component", np.Namespace, np.Spec.PodSelector)
		}
		if len(np.Spec.Ingress) != 1 || len(np.Spec.Ingress[0].From) == 0 || len(np.Spec.Ingress[0].Ports) != 1 {
			t.Fatalf("%s: ingress = %+v", np.Namespace, np.Spec.Ingress)
		}
		in := np.Spec.Ingress[0]
		if p := in.Ports[0].Port; p == nil || p.String() != "http-status" {
			t.Errorf("%s: port = %v, want http-status", np.Namespace, p)
		}
		from := in.From[0]
		if from.NamespaceSelector == nil || from.NamespaceSelector.MatchLabels["kubernetes.io/metadata.name"] != namespace {
			t.Errorf("%s: namespaceSelector = %v, want the release namespace", np.Namespace, from.NamespaceSelector)
		}
		if from.PodSelector == nil || from.PodSelector.MatchLabels["app.kubernetes.io/component"] != "manager" ||
			from.PodSelector.MatchLabels["app.kubernetes.io/instance"] != release {
			t.Errorf("%s: podSelector of the peer = %v, want the operator pods", np.Namespace, from.PodSelector)
		}
	}
	slices.Sort(got)
	if !slices.Equal(got, namespaces) {
		t.Errorf("NetworkPolicies in %v, want %v", got, namespaces)
	}
}

func TestNetworkPolicyDefaultsToReleaseNamespace(t *testing.T) {
	checkWorkerPolicies(t, render(t, "networkPolicy: {enabled: true}"), namespace)
	checkWorkerPolicies(t, render(t, "networkPolicy: {enabled: true, namespaces: [ns-x, ns-y]}\nwatchNamespaces: [ns-z]"), "ns-x", "ns-y")
}

func TestLeaderElectionOff(t *testing.T) {
	r := render(t, "leaderElection: {enabled: false}")
	_, c := manager(t, r)
	if slices.Contains(c.Args, "--leader-elect") {
		t.Errorf("args %q contain --leader-elect", c.Args)
	}
	if n := len(r.ofKind("Role")); n != 0 {
		t.Errorf("%d Roles rendered without leader election, want 0", n)
	}
}

func TestRefusedValues(t *testing.T) {
	for _, tc := range []struct{ name, values, want string }{
		{"replicas without leader election", "replicaCount: 3\nleaderElection: {enabled: false}",
			"replicaCount > 1 needs leaderElection.enabled=true"},
		{"invalid namespace name", "watchNamespaces: [Team_A]", "/watchNamespaces/0"},
		{"misspelt key", "networkPolicies: {enabled: true}", "networkPolicies"},
		{"foreign service account without a name", "serviceAccount: {create: false}",
			"serviceAccount.name is required when serviceAccount.create is false"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := helm(t, "template", release, chartDir, "--namespace", namespace, "--values", valuesFile(t, tc.values))
			if err == nil {
				t.Fatalf("helm template accepted %q", tc.values)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q does not mention %q", err, tc.want)
			}
		})
	}
}

// TestCRDsInSync checks that the chart ships exactly the generated CRDs
// (make manifests copies them) and that helm installs them.
func TestCRDsInSync(t *testing.T) {
	gen, _ := filepath.Glob(filepath.Join(repoRoot, "config", "crd", "bases", "*.yaml"))
	shipped, _ := filepath.Glob(filepath.Join(chartDir, "crds", "*.yaml"))
	if len(gen) != 3 {
		t.Fatalf("want 3 generated CRDs in config/crd/bases, got %d", len(gen))
	}
	base := func(paths []string) []string {
		var out []string
		for _, p := range paths {
			out = append(out, filepath.Base(p))
		}
		return out
	}
	if !slices.Equal(base(gen), base(shipped)) {
		t.Fatalf("chart CRDs %v differ from config/crd/bases %v: run `make manifests`", base(shipped), base(gen))
	}
	for _, p := range gen {
		sameFile(t, p, filepath.Join(chartDir, "crds", filepath.Base(p)))
	}
	r := render(t, "", "--include-crds")
	if n := len(r.ofKind("CustomResourceDefinition")); n != 3 {
		t.Errorf("helm renders %d CRDs with --include-crds, want 3", n)
	}
}

// TestManagerRulesInSync checks that the chart's ClusterRole carries the
// rules controller-gen generated into config/rbac/role.yaml.
func TestManagerRulesInSync(t *testing.T) {
	generated := filepath.Join(repoRoot, "config", "rbac", "role.yaml")
	sameFile(t, generated, filepath.Join(chartDir, "files", "manager-role.yaml"))

	data, err := os.ReadFile(generated)
	if err != nil {
		t.Fatal(err)
	}
	var want rbacv1.ClusterRole
	if err := yaml.Unmarshal(data, &want); err != nil {
		t.Fatal(err)
	}
	var got rbacv1.ClusterRole
	render(t, "").one(t, "ClusterRole", &got)
	if len(want.Rules) == 0 {
		t.Fatal("config/rbac/role.yaml has no rules")
	}
	if !slices.EqualFunc(got.Rules, want.Rules, func(a, b rbacv1.PolicyRule) bool {
		return slices.Equal(a.APIGroups, b.APIGroups) && slices.Equal(a.Resources, b.Resources) &&
			slices.Equal(a.Verbs, b.Verbs)
	}) {
		t.Errorf("chart ClusterRole rules differ from config/rbac/role.yaml:\n got %+v\nwant %+v", got.Rules, want.Rules)
	}
	for _, rule := range got.Rules {
		if slices.Contains(rule.Resources, "secrets") && !slices.Equal(rule.Verbs, []string{"get", "list", "watch"}) {
			t.Errorf("secrets verbs = %v, want get, list, watch only", rule.Verbs)
		}
	}
}

func sameFile(t *testing.T, a, b string) {
	t.Helper()
	da, errA := os.ReadFile(a)
	db, errB := os.ReadFile(b)
	if errA != nil || errB != nil {
		t.Fatalf("reading %s / %s: %v / %v", a, b, errA, errB)
	}
	if !bytes.Equal(da, db) {
		t.Errorf("%s differs from %s: run `make manifests`", b, a)
	}
}
