package controller

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/envtest"
	"sigs.k8s.io/yaml"
)

// managerBinEnv names the manager binary BenchmarkManagerRSS runs
// (hack/bench-operator.sh builds cmd/main.go with CGO_ENABLED=0).
const managerBinEnv = "MFN_MANAGER_BIN"

// managerUser is the identity the manager binary authenticates as; it is
// bound to config/rbac/role.yaml only, so the run also checks that the
// generated least-privilege role suffices.
const managerUser = "mfn-manager-bench"

// BenchmarkManagerRSS runs the real manager binary ($MFN_MANAGER_BIN) as a
// separate process against its own kube-apiserver and etcd, with a
// kubeconfig for a user that has only the generated manager ClusterRole and
// the manager's default flags (metrics and probes bound to loopback ports of
// their own). It creates the same 10 Connectors, 10 Publishers and 1000
// MFNPipelines as BenchmarkScale1000Pipelines, waits until all are rendered,
// watches 60 s of steady state, and reports from /proc/<pid>/status:
//
//   - idle-RSS-MiB: VmRSS once the manager is ready, before any object exists;
//   - peak-RSS-MiB: VmHWM (the peak resident set) at the end of the run;
//   - steady-RSS-MiB: VmRSS at the end of the steady-state window;
//
// plus s-to-all-rendered and status-writes/min as the in-process benchmark.
// It is skipped unless MFN_MANAGER_BIN is set; run it with
// hack/bench-operator.sh.
func BenchmarkManagerRSS(b *testing.B) {
	bin := os.Getenv(managerBinEnv)
	if bin == "" {
		b.Skipf("%s is not set: build cmd/main.go and point it at the binary (hack/bench-operator.sh does)", managerBinEnv)
	}
	if b.N != 1 {
		b.Fatalf("run with -benchtime 1x (one manager process per run), got b.N = %d", b.N)
	}
	env, direct := startBenchEnv(b)
	kubeconfig := managerKubeconfig(b, env, direct)

	logs := managerLog{path: filepath.Join(b.TempDir(), "manager.log")}
	out, err := os.Create(logs.path)
	if err != nil {
		b.Fatal(err)
	}
	defer out.Close()
	cmd := exec.Command(bin, "--metrics-bind-address=127.0.0.1:0", "--health-probe-bind-address=127.0.0.1:0")
	cmd.Env = append(os.Environ(), "KUBECONFIG="+kubeconfig)
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		b.Fatalf("start %s: %v", bin, err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	b.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(30 * time.Second):
			_ = cmd.Process.Kill()
			<-exited
		}
	})
	// controller-runtime logs "Starting workers" once per controller.
	waitForLog(b, logs, exited, "Starting workers", 3, 60*time.Second)
	pid := cmd.Process.Pid
	idle := procStatusMiB(b, pid, "VmRSS")

	ctx := b.Context()
	secs, writes := scaleRun(ctx, b, direct, "rss")
	select {
	case err := <-exited:
		b.Fatalf("manager exited during the run: %v\n%s", err, logs.tail(b, 4096))
	default:
	}
	steady := procStatusMiB(b, pid, "VmRSS")
	peak := procStatusMiB(b, pid, "VmHWM")
	if strings.Contains(logs.text(b), "forbidden") {
		b.Errorf("the manager was refused an API call with the generated role:\n%s", logs.tail(b, 4096))
	}
	b.Logf("manager pid %d: idle VmRSS %.1f MiB, VmHWM %.1f MiB, steady VmRSS %.1f MiB", pid, idle, peak, steady)
	b.ReportMetric(secs, "s-to-all-rendered")
	b.ReportMetric(writes, "status-writes/min")
	b.ReportMetric(idle, "idle-RSS-MiB")
	b.ReportMetric(peak, "peak-RSS-MiB")
	b.ReportMetric(steady, "steady-RSS-MiB")
	b.ReportMetric(0, "ns/op")
}

// managerKubeconfig provisions managerUser, binds it to the ClusterRole of
// config/rbac/role.yaml and writes its kubeconfig into a temp file.
func managerKubeconfig(b *testing.B, env *envtest.Environment, c client.Client) string {
	b.Helper()
	raw, err := os.ReadFile(filepath.Join(repoRoot, "config", "rbac", "role.yaml"))
	if err != nil {
		b.Fatal(err)
	}
	role := &rbacv1.ClusterRole{}
	if err := yaml.UnmarshalStrict(bytes.TrimPrefix(raw, []byte("---\n")), role); err != nil {
		b.Fatalf("config/rbac/role.yaml: %v", err)
	}
	role.Name = "mfn-manager-bench"
	binding := &rbacv1.ClusterRoleBinding{
		ObjectMeta: metav1.ObjectMeta{Name: "mfn-manager-bench"},
		RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: role.Name},
		Subjects:   []rbacv1.Subject{{APIGroup: rbacv1.GroupName, Kind: rbacv1.UserKind, Name: managerUser}},
	}
	for _, o := range []client.Object{role, binding} {
		if err := c.Create(b.Context(), o); err != nil {
			b.Fatalf("create %s: %v", o.GetName(), err)
		}
	}
	user, err := env.AddUser(envtest.User{Name: managerUser}, nil)
	if err != nil {
		b.Fatalf("add user: %v", err)
	}
	kc, err := user.KubeConfig()
	if err != nil {
		b.Fatal(err)
	}
	path := filepath.Join(b.TempDir(), "kubeconfig")
	if err := os.WriteFile(path, kc, 0o600); err != nil {
		b.Fatal(err)
	}
	return path
}

// procStatusMiB reads one "<field>: <n> kB" line of /proc/<pid>/status.
func procStatusMiB(b *testing.B, pid int, field string) float64 {
	b.Helper()
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		name, value, ok := strings.Cut(sc.Text(), ":")
		if !ok || name != field {
			continue
		}
		kb, err := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(value), " kB"), 64)
		if err != nil {
			b.Fatalf("/proc/%d/status %s: %v", pid, field, err)
		}
		return kb / 1024
	}
	b.Fatalf("/proc/%d/status has no %s", pid, field)
	return 0
}

// waitForLog waits until the manager logged want n times, failing when it
// exits or the timeout passes.
func waitForLog(b *testing.B, logs managerLog, exited <-chan error, want string, n int, timeout time.Duration) {
	b.Helper()
	deadline := time.Now().Add(timeout)
	for strings.Count(logs.text(b), want) < n {
		select {
		case err := <-exited:
			b.Fatalf("manager exited before %q: %v\n%s", want, err, logs.tail(b, 4096))
		case <-time.After(100 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			b.Fatalf("manager did not log %q %d times within %s:\n%s", want, n, timeout, logs.tail(b, 4096))
		}
	}
}

// managerLog is the file the manager's output goes to.
type managerLog struct{ path string }

func (l managerLog) text(b *testing.B) string {
	data, err := os.ReadFile(l.path)
	if err != nil {
		b.Fatal(err)
	}
	return string(data)
}

// tail returns the last n bytes of the output.
func (l managerLog) tail(b *testing.B, n int) string {
	s := l.text(b)
	return s[max(0, len(s)-n):]
}
