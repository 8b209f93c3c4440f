package controller

import (
	"slices"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	"github.com/mfn-io/mfn-operator/api/v1alpha1"
	"github.com/mfn-io/mfn-operator/pkg/manifest"
)

func sel(name, key string, optional bool) corev1.SecretKeySelector {
	s := corev1.SecretKeySelector{LocalObjectReference: corev1.LocalObjectReference{Name: name}, Key: key}
	if optional {
		s.Optional = ptr.To(true)
	}
	return s
}

func TestConfigHash(t *testing.T) {
	base := map[string]string{"a": "1", "b": "2"}
	tests := []struct {
		name  string
		other map[string]string
		same  bool
	}{
		{"identical", map[string]string{"b": "2", "a": "1"}, true},
		{"value changed", map[string]string{"a": "1", "b": "3"}, false},
		{"key added", map[string]string{"a": "1", "b": "2", "c": ""}, false},
		{"boundary moved between key and value", map[string]string{"a": "1", "b2": ""}, false},
	}
	h := configHash(base)
	if len(h) != 64 {
		t.Fatalf("configHash length = %d, want 64 hex digits", len(h))
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := configHash(tc.other) == h; got != tc.same {
				t.Errorf("configHash(%v) == configHash(%v) is %v, want %v", tc.other, base, got, tc.same)
			}
		})
	}
}

func TestSecretEnvCollectsEveryReference(t *testing.T) {
	conn := v1alpha1.ConnectorSpec{
		Type: v1alpha1.ConnectorREST,
		REST: &v1alpha1.RESTConnector{
			BaseURL: "https://api.example.com", Endpoint: "/p",
			HeadersFrom: []v1alpha1.SecretHeader{{Name: "Authorization", ValueSecretRef: sel("api", "token", false)}},
		},
	}
	webhook := v1alpha1.PublisherSpec{
		Type: v1alpha1.PublisherWebhook,
		Webhook: &v1alpha1.WebhookPublisher{
			URLSecretRef:      ptr.To(sel("hook", "url", false)),
			SigningSecretRefs: []corev1.SecretKeySelector{sel("hook", "current", false), sel("hook", "previous", true)},
		},
	}
	redis := v1alpha1.PublisherSpec{
		Type:  v1alpha1.PublisherRedis,
		Redis: &v1alpha1.RedisPublisher{URL: "redis://r", PasswordSecretRef: ptr.To(sel("api", "token", true)), Channel: "c"},
	}
	env := secretEnv(secretRefs(conn, webhook, redis))

	want := []string{
		manifest.SecretEnvName("api", "token"),
		manifest.SecretEnvName("hook", "current"),
		manifest.SecretEnvName("hook", "previous"),
		manifest.SecretEnvName("hook", "url"),
	}
	slices.Sort(want)
	var got []string
	for _, e := range env {
		got = append(got, e.Name)
		if e.Value != "" || e.ValueFrom == nil || e.ValueFrom.SecretKeyRef == nil {
			t.Errorf("%s: want valueFrom.secretKeyRef only, got %+v", e.Name, e)
		}
	}
	if !slices.Equal(got, want) {
		t.Fatalf("env names = %v, want %v", got, want)
	}
	byName := map[string]corev1.EnvVar{}
	for _, e := range env {
		byName[e.Name] = e
	}
	// api/token is required by the connector, optional for redis: required wins.
	if o := byName[manifest.SecretEnvName("api", "token")].ValueFrom.SecretKeyRef.Optional; o != nil {
		t.Errorf("api/token optional = %v, want unset (one use requires it)", *o)
	}
	if o := byName[manifest.SecretEnvName("hook", "previous")].ValueFrom.SecretKeyRef.Optional; o == nil || !*o {
		t.Errorf("hook/previous optional = %v, want true", o)
	}
	if r := byName[manifest.SecretEnvName("hook", "url")].ValueFrom.SecretKeyRef; r.Name != "hook" || r.Key != "url" {
		t.Errorf("hook/url ref = %s/%s", r.Name, r.Key)
	}
}

func TestSecretRefsOfSpecWithoutSecrets(t *testing.T) {
	spec := v1alpha1.PublisherSpec{Type: v1alpha1.PublisherJSONL, JSONL: &v1alpha1.JSONLPublisher{Directory: "/out"}}
	if got := secretRefs(spec); len(got) != 0 {
		t.Fatalf("secretRefs = %v, want none", got)
	}
}

func TestDesiredReplicas(t *testing.T) {
	tests := []struct {
		name     string
		replicas *int32
		suspend  *bool
		want     int32
	}{
		{"default", nil, nil, 1},
		{"set", ptr.To[int32](5), nil, 5},
		{"suspended", ptr.To[int32](5), ptr.To(true), 0},
		{"not suspended", ptr.To[int32](3), ptr.To(false), 3},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := &v1alpha1.MFNPipeline{Spec: v1alpha1.MFNPipelineSpec{Replicas: tc.replicas, Suspend: tc.suspend}}
			if got := desiredReplicas(p); got != tc.want {
				t.Errorf("desiredReplicas = %d, want %d", got, tc.want)
			}
		})
	}
}

func TestRenderConfigOrderAndContent(t *testing.T) {
	p := &v1alpha1.MFNPipeline{
		ObjectMeta: metav1.ObjectMeta{Name: "p", Namespace: "ns", Labels: map[string]string{"x": "y"}},
		Spec: v1alpha1.MFNPipelineSpec{
			ConnectorRef:  v1alpha1.ComponentReference{Name: "c"},
			PublisherRefs: []v1alpha1.ComponentReference{{Name: "b"}, {Name: "a"}},
		},
		Status: v1alpha1.MFNPipelineStatus{Phase: v1alpha1.PhaseRunning},
	}
	pub := func(name string) *v1alpha1.Publisher {
		return &v1alpha1.Publisher{ObjectMeta: metav1.ObjectMeta{Name: name}, Spec: v1alpha1.PublisherSpec{
			Type: v1alpha1.PublisherJSONL, JSONL: &v1alpha1.JSONLPublisher{Directory: "/" + name},
		}}
	}
	refs := references{
		connector:  &v1alpha1.Connector{ObjectMeta: metav1.ObjectMeta{Name: "c"}, Spec: v1alpha1.ConnectorSpec{Type: v1alpha1.ConnectorFile, File: &v1alpha1.FileConnector{Directory: "/in"}}},
		publishers: []*v1alpha1.Publisher{pub("b"), pub("a")},
		deadLetter: pub("dl"),
	}
	out, err := renderConfig(p, refs)
	if err != nil {
		t.Fatal(err)
	}
	docs := strings.Split(out, "---\n")
	wantNames := []string{"name: p", "name: c", "name: b", "name: a", "name: dl"}
	if len(docs) != len(wantNames) {
		t.Fatalf("rendered %d documents, want %d:\n%s", len(docs), len(wantNames), out)
	}
	for i, d := range docs {
		if !strings.Contains(d, wantNames[i]) {
			t.Errorf("document %d does not contain %q:\n%s", i, wantNames[i], d)
		}
		for _, banned := range []string{"status:", "namespace:", "labels:", "Running"} {
			if strings.Contains(d, banned) {
				t.Errorf("document %d contains %q; only apiVersion, kind, metadata.name and spec belong:\n%s", i, banned, d)
			}
		}
	}
	again, _ := renderConfig(p, refs)
	if again != out {
		t.Error("renderConfig is not deterministic")
	}
}

func TestDataVolumes(t *testing.T) {
	p := &v1alpha1.MFNPipeline{ObjectMeta: metav1.ObjectMeta{Name: "p"}}
	refs := references{
		connector: &v1alpha1.Connector{Spec: v1alpha1.ConnectorSpec{File: &v1alpha1.FileConnector{Directory: "/in", ClaimName: "input"}}},
		publishers: []*v1alpha1.Publisher{
			{Spec: v1alpha1.PublisherSpec{JSONL: &v1alpha1.JSONLPublisher{Directory: "/out"}}},
			{Spec: v1alpha1.PublisherSpec{JSONL: &v1alpha1.JSONLPublisher{Directory: "/out", ClaimName: "ignored"}}},
		},
	}
	vols, mounts := dataVolumes(p, refs)
	if len(vols) != len(mounts) {
		t.Fatalf("%d volumes but %d mounts", len(vols), len(mounts))
	}
	byPath := map[string]corev1.Volume{}
	for i, m := range mounts {
		if vols[i].Name != m.Name {
			t.Fatalf("mount %d names %q, volume %d is %q", i, m.Name, i, vols[i].Name)
		}
		byPath[m.MountPath] = vols[i]
	}
	if v := byPath["/etc/mfn"]; v.ConfigMap == nil || v.ConfigMap.Name != WorkloadName("p") {
		t.Errorf("/etc/mfn volume = %+v, want ConfigMap %s", v, WorkloadName("p"))
	}
	if v := byPath["/tmp"]; v.EmptyDir == nil {
		t.Errorf("/tmp volume = %+v, want emptyDir", v)
	}
	if v := byPath["/in"]; v.PersistentVolumeClaim == nil || v.PersistentVolumeClaim.ClaimName != "input" {
		t.Errorf("/in volume = %+v, want claim input", v)
	}
	if v := byPath["/out"]; v.EmptyDir == nil {
		t.Errorf("/out volume = %+v, want emptyDir from the first publisher naming it", v)
	}
	if len(vols) != 4 {
		t.Errorf("%d volumes, want 4 (config, tmp, /in, /out once)", len(vols))
	}
}
