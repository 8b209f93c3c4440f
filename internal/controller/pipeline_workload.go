package controller

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"maps"
	"reflect"
	"slices"
	"strings"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/utils/ptr"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"
	"sigs.k8s.io/yaml"

	"github.com/mfn-io/mfn-operator/api/v1alpha1"
	"github.com/mfn-io/mfn-operator/pkg/manifest"
)

const (
	// ConfigKey is the ConfigMap key holding the rendered manifests.
	ConfigKey = "pipeline.yaml"
	// AnnotationConfigHash on the worker pod template is the sha256 of the
	// rendered ConfigMap data; any change rolls the workers.
	AnnotationConfigHash = v1alpha1.ReservedLabelPrefix + "config-hash"

	configMountPath = "/etc/mfn"
	containerName   = "worker"
	labelManagedBy  = "app.kubernetes.io/managed-by"
	managerName     = "mfn-operator"
)

// WorkloadName is the name of the ConfigMap and Deployment of a pipeline.
func WorkloadName(pipeline string) string { return pipeline + "-worker" }

// manifestDoc is one rendered object: apiVersion, kind, name and spec only.
type manifestDoc struct {
	APIVersion string       `json:"apiVersion"`
	Kind       string       `json:"kind"`
	Metadata   manifestMeta `json:"metadata"`
	Spec       any          `json:"spec"`
}

type manifestMeta struct {
	Name string `json:"name"`
}

// renderConfig renders the pipeline and the objects it references as
// multi-document YAML. Specs hold Secret references, never Secret values.
func renderConfig(p *v1alpha1.MFNPipeline, refs references) (string, error) {
	gv := v1alpha1.GroupVersion.String()
	docs := []manifestDoc{
		{gv, manifest.KindPipeline, manifestMeta{p.Name}, p.Spec},
		{gv, manifest.KindConnector, manifestMeta{refs.connector.Name}, refs.connector.Spec},
	}
	for _, pub := range refs.all() {
		docs = append(docs, manifestDoc{gv, manifest.KindPublisher, manifestMeta{pub.Name}, pub.Spec})
	}
	var b strings.Builder
	for i, d := range docs {
		out, err := yaml.Marshal(d)
		if err != nil {
			return "", fmt.Errorf("render %s %s: %w", d.Kind, d.Metadata.Name, err)
		}
		if i > 0 {
			b.WriteString("---\n")
		}
		b.Write(out)
	}
	return b.String(), nil
}

// configHash is the hex sha256 of ConfigMap data, keys in sorted order.
func configHash(data map[string]string) string {
	h := sha256.New()
	for _, k := range slices.Sorted(maps.Keys(data)) {
		fmt.Fprintf(h, "%d:%s%d:%s", len(k), k, len(data[k]), data[k])
	}
	return hex.EncodeToString(h.Sum(nil))
}

// workloadHash is the config hash of the ConfigMap data and the referenced
// Secrets' resourceVersions (keys "Secret/<name>", which cannot collide with
// ConfigMap keys as those never contain '/').
func workloadHash(data, secretVersions map[string]string) string {
	hashed := maps.Clone(data)
	for name, rv := range secretVersions {
		hashed["Secret/"+name] = rv
	}
	return configHash(hashed)
}

var secretKeySelectorType = reflect.TypeFor[corev1.SecretKeySelector]()

// secretRefs collects every corev1.SecretKeySelector reachable from the
// given specs (through structs, pointers, slices and maps).
func secretRefs(specs ...any) []corev1.SecretKeySelector {
	var out []corev1.SecretKeySelector
	var walk func(v reflect.Value)
	walk = func(v reflect.Value) {
		switch v.Kind() {
		case reflect.Pointer, reflect.Interface:
			if !v.IsNil() {
				walk(v.Elem())
			}
		case reflect.Struct:
			if v.Type() == secretKeySelectorType {
				if sel := v.Interface().(corev1.SecretKeySelector); sel.Name != "" && sel.Key != "" {
					out = append(out, sel)
				}
				return
			}
			for i := range v.NumField() {
				if v.Type().Field(i).IsExported() {
					walk(v.Field(i))
				}
			}
		case reflect.Slice, reflect.Array:
			for i := range v.Len() {
				walk(v.Index(i))
			}
		case reflect.Map:
			for _, k := range v.MapKeys() {
				walk(v.MapIndex(k))
			}
		}
	}
	for _, s := range specs {
		walk(reflect.ValueOf(s))
	}
	return out
}

// secretEnv turns Secret references into environment variables named by
// manifest.SecretEnvName, resolved by the kubelet. The result is sorted by
// name without duplicates; a reference is optional only if every use of it is.
func secretEnv(refs []corev1.SecretKeySelector) []corev1.EnvVar {
	byName := map[string]*corev1.EnvVar{}
	for _, ref := range refs {
		name := manifest.SecretEnvName(ref.Name, ref.Key)
		optional := ref.Optional != nil && *ref.Optional
		if ev, ok := byName[name]; ok {
			if !optional {
				ev.ValueFrom.SecretKeyRef.Optional = nil
			}
			continue
		}
		sel := &corev1.SecretKeySelector{LocalObjectReference: corev1.LocalObjectReference{Name: ref.Name}, Key: ref.Key}
		if optional {
			sel.Optional = ptr.To(true)
		}
		byName[name] = &corev1.EnvVar{Name: name, ValueFrom: &corev1.EnvVarSource{SecretKeyRef: sel}}
	}
	out := make([]corev1.EnvVar, 0, len(byName))
	for _, name := range slices.Sorted(maps.Keys(byName)) {
		out = append(out, *byName[name])
	}
	return out
}

// all lists the publishers followed by the dead-letter publisher.
func (refs references) all() []*v1alpha1.Publisher {
	if refs.deadLetter == nil {
		return refs.publishers
	}
	return append(slices.Clip(refs.publishers), refs.deadLetter)
}

// specs lists the specs of the referenced objects.
func (refs references) specs() []any {
	out := []any{refs.connector.Spec}
	for _, p := range refs.all() {
		out = append(out, p.Spec)
	}
	return out
}

// selectorLabels select the worker pods of a pipeline.
func selectorLabels(p *v1alpha1.MFNPipeline) map[string]string {
	return map[string]string{v1alpha1.LabelComponent: v1alpha1.ComponentWorker, v1alpha1.LabelPipeline: p.Name}
}

func ownedLabels(p *v1alpha1.MFNPipeline) map[string]string {
	l := selectorLabels(p)
	l[labelManagedBy] = managerName
	return l
}

// desiredReplicas is spec.replicas (default 1), or 0 when suspended.
func desiredReplicas(p *v1alpha1.MFNPipeline) int32 {
	if p.Spec.Suspend != nil && *p.Spec.Suspend {
		return 0
	}
	if p.Spec.Replicas != nil {
		return *p.Spec.Replicas
	}
	return 1
}

// podTemplate renders the worker pod template.
func (r *MFNPipelineReconciler) podTemplate(p *v1alpha1.MFNPipeline, refs references, hash string) corev1.PodTemplateSpec {
	w := p.Spec.Worker
	labels := maps.Clone(w.Labels)
	if labels == nil {
		labels = map[string]string{}
	}
	maps.Copy(labels, ownedLabels(p))
	annotations := maps.Clone(w.Annotations)
	if annotations == nil {
		annotations = map[string]string{}
	}
	annotations[AnnotationConfigHash] = hash
	image := w.Image
	if image == "" {
		image = r.WorkerImage
	}
	env := append([]corev1.EnvVar{{
		Name:      "POD_NAME",
		ValueFrom: &corev1.EnvVarSource{FieldRef: &corev1.ObjectFieldSelector{APIVersion: "v1", FieldPath: "metadata.name"}},
	}}, secretEnv(secretRefs(refs.specs()...))...)
	volumes, mounts := dataVolumes(p, refs)
	probe := func(path string) *corev1.Probe {
		return &corev1.Probe{
			ProbeHandler: corev1.ProbeHandler{HTTPGet: &corev1.HTTPGetAction{
				Path: path, Port: intstr.FromString(v1alpha1.WorkerStatusPortName), Scheme: corev1.URISchemeHTTP,
			}},
			PeriodSeconds: 10, TimeoutSeconds: 2, FailureThreshold: 3, SuccessThreshold: 1,
		}
	}
	return corev1.PodTemplateSpec{
		ObjectMeta: metav1.ObjectMeta{Labels: labels, Annotations: annotations},
		Spec: corev1.PodSpec{
			AutomountServiceAccountToken: ptr.To(false),
			ServiceAccountName:           w.ServiceAccountName,
			ImagePullSecrets:             w.ImagePullSecrets,
			NodeSelector:                 w.NodeSelector,
			Tolerations:                  w.Tolerations,
			Affinity:                     w.Affinity,
			SecurityContext: &corev1.PodSecurityContext{
				RunAsNonRoot:   ptr.To(true),
				SeccompProfile: &corev1.SeccompProfile{Type: corev1.SeccompProfileTypeRuntimeDefault},
			},
			Containers: []corev1.Container{{
				Name:            containerName,
				Image:           image,
				ImagePullPolicy: w.ImagePullPolicy,
				Command:         []string{"/mfn"},
				Args: []string{"worker", "-config", configMountPath + "/" + ConfigKey,
					"-listen", fmt.Sprintf(":%d", v1alpha1.WorkerStatusPort)},
				Env:            env,
				Ports:          []corev1.ContainerPort{{Name: v1alpha1.WorkerStatusPortName, ContainerPort: v1alpha1.WorkerStatusPort, Protocol: corev1.ProtocolTCP}},
				Resources:      w.Resources,
				LivenessProbe:  probe("/healthz"),
				ReadinessProbe: probe("/readyz"),
				SecurityContext: &corev1.SecurityContext{
					RunAsNonRoot:             ptr.To(true),
					ReadOnlyRootFilesystem:   ptr.To(true),
					AllowPrivilegeEscalation: ptr.To(false),
					Capabilities:             &corev1.Capabilities{Drop: []corev1.Capability{"ALL"}},
					SeccompProfile:           &corev1.SeccompProfile{Type: corev1.SeccompProfileTypeRuntimeDefault},
				},
				VolumeMounts: mounts,
			}},
			Volumes: volumes,
		},
	}
}

// dataVolumes returns the volumes and mounts of the worker pod: the
// ConfigMap, an emptyDir at /tmp (the root filesystem is read-only), the
// file connector's directory (its claimName, if set) and every JSONL
// publisher's directory (its claimName, else an emptyDir). A directory is
// mounted once, by the first component that names it.
func dataVolumes(p *v1alpha1.MFNPipeline, refs references) ([]corev1.Volume, []corev1.VolumeMount) {
	volumes := []corev1.Volume{
		{Name: "config", VolumeSource: corev1.VolumeSource{ConfigMap: &corev1.ConfigMapVolumeSource{
			LocalObjectReference: corev1.LocalObjectReference{Name: WorkloadName(p.Name)},
		}}},
		{Name: "tmp", VolumeSource: corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{}}},
	}
	mounts := []corev1.VolumeMount{
		{Name: "config", MountPath: configMountPath, ReadOnly: true},
		{Name: "tmp", MountPath: "/tmp"},
	}
	seen := map[string]bool{configMountPath: true, "/tmp": true}
	add := func(dir, claim string, emptyDir bool) {
		if dir == "" || seen[dir] || (claim == "" && !emptyDir) {
			return
		}
		seen[dir] = true
		name := fmt.Sprintf("data-%d", len(volumes)-2)
		src := corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{}}
		if claim != "" {
			src = corev1.VolumeSource{PersistentVolumeClaim: &corev1.PersistentVolumeClaimVolumeSource{ClaimName: claim}}
		}
		volumes = append(volumes, corev1.Volume{Name: name, VolumeSource: src})
		mounts = append(mounts, corev1.VolumeMount{Name: name, MountPath: dir})
	}
	if f := refs.connector.Spec.File; f != nil {
		add(f.Directory, f.ClaimName, false)
	}
	for _, pub := range refs.all() {
		if j := pub.Spec.JSONL; j != nil {
			add(j.Directory, j.ClaimName, true)
		}
	}
	return volumes, mounts
}

// reconcileWorkload creates or updates the ConfigMap and the Deployment and
// returns the Deployment as stored.
func (r *MFNPipelineReconciler) reconcileWorkload(ctx context.Context, p *v1alpha1.MFNPipeline, refs references) (*appsv1.Deployment, error) {
	rendered, err := renderConfig(p, refs)
	if err != nil {
		return nil, err
	}
	data := map[string]string{ConfigKey: rendered}
	cm := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: WorkloadName(p.Name), Namespace: p.Namespace}}
	if _, err := controllerutil.CreateOrUpdate(ctx, r.Client, cm, func() error {
		cm.Labels = mergeLabels(cm.Labels, ownedLabels(p))
		cm.Data = data
		return ctrl.SetControllerReference(p, cm, r.Scheme)
	}); err != nil {
		return nil, fmt.Errorf("apply ConfigMap %s: %w", cm.Name, err)
	}
	// The hash also covers the referenced Secrets' resourceVersions (not
	// their data), so a rotated Secret restarts the workers with the new value.
	tmpl := r.podTemplate(p, refs, workloadHash(data, refs.secretVersions))
	dep := &appsv1.Deployment{ObjectMeta: metav1.ObjectMeta{Name: WorkloadName(p.Name), Namespace: p.Namespace}}
	if _, err := controllerutil.CreateOrUpdate(ctx, r.Client, dep, func() error {
		dep.Labels = mergeLabels(dep.Labels, ownedLabels(p))
		dep.Spec.Replicas = ptr.To(desiredReplicas(p))
		if dep.CreationTimestamp.IsZero() {
			dep.Spec.Selector = &metav1.LabelSelector{MatchLabels: selectorLabels(p)}
		}
		mergePodTemplate(&dep.Spec.Template, tmpl)
		return ctrl.SetControllerReference(p, dep, r.Scheme)
	}); err != nil {
		return nil, fmt.Errorf("apply Deployment %s: %w", dep.Name, err)
	}
	return dep, nil
}

// mergeLabels returns have with want's entries set.
func mergeLabels(have, want map[string]string) map[string]string {
	if have == nil {
		have = map[string]string{}
	}
	maps.Copy(have, want)
	return have
}

// mergePodTemplate sets the fields the operator owns on a stored pod
// template, keeping the API server's defaults for fields it left unset so
// that reconciling an unchanged pipeline does not update the Deployment.
func mergePodTemplate(dst *corev1.PodTemplateSpec, want corev1.PodTemplateSpec) {
	dst.Labels = want.Labels
	dst.Annotations = want.Annotations
	keep := dst.Spec
	dst.Spec = want.Spec
	// Fields the API server defaults and the operator does not set.
	dst.Spec.RestartPolicy = keep.RestartPolicy
	dst.Spec.TerminationGracePeriodSeconds = keep.TerminationGracePeriodSeconds
	dst.Spec.DNSPolicy = keep.DNSPolicy
	dst.Spec.SchedulerName = keep.SchedulerName
	dst.Spec.DeprecatedServiceAccount = keep.DeprecatedServiceAccount
	if dst.Spec.ServiceAccountName == "" {
		dst.Spec.ServiceAccountName = keep.ServiceAccountName
	}
	if len(keep.Containers) == 1 {
		k, c := keep.Containers[0], &dst.Spec.Containers[0]
		c.TerminationMessagePath = k.TerminationMessagePath
		c.TerminationMessagePolicy = k.TerminationMessagePolicy
		if c.ImagePullPolicy == "" {
			c.ImagePullPolicy = k.ImagePullPolicy
		}
	}
	for i := range dst.Spec.Volumes {
		v := &dst.Spec.Volumes[i]
		for _, k := range keep.Volumes {
			if k.Name == v.Name && k.ConfigMap != nil && v.ConfigMap != nil {
				v.ConfigMap.DefaultMode = k.ConfigMap.DefaultMode
			}
		}
	}
}
