package controller

import (
	"context"
	"fmt"
	"maps"
	"slices"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/klog/v2"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	"github.com/mfn-io/mfn-operator/api/v1alpha1"
)

// IndexSecretRefs indexes Connectors and Publishers by the names of the
// Secrets their specs reference.
const IndexSecretRefs = "spec.secretRefs.name"

// secretMetadata returns a metadata-only Secret object: the manager fetches
// and watches Secrets in this form, which never carries data.
func secretMetadata() *metav1.PartialObjectMetadata {
	m := &metav1.PartialObjectMetadata{}
	m.SetGroupVersionKind(corev1.SchemeGroupVersion.WithKind("Secret"))
	return m
}

// secretNames lists the distinct Secret names referenced by specs, sorted;
// required lists those referenced at least once without optional: true.
func secretNames(specs ...any) (all, required []string) {
	seen := map[string]bool{} // name → required
	for _, ref := range secretRefs(specs...) {
		req := ref.Optional == nil || !*ref.Optional
		seen[ref.Name] = seen[ref.Name] || req
	}
	all = slices.Sorted(maps.Keys(seen))
	for _, n := range all {
		if seen[n] {
			required = append(required, n)
		}
	}
	return all, required
}

// secretVersions reads the metadata of every referenced Secret. It returns
// resourceVersions by Secret name (fed into the config hash so that a Secret
// change rolls the workers) and the required Secrets that do not exist as
// "Secret/name".
func (r *MFNPipelineReconciler) secretVersions(ctx context.Context, ns string, refs references) (versions map[string]string, missing []string, err error) {
	all, required := secretNames(refs.specs()...)
	versions = map[string]string{}
	for _, name := range all {
		m := secretMetadata()
		err := r.Get(ctx, types.NamespacedName{Namespace: ns, Name: name}, m)
		switch {
		case apierrors.IsNotFound(err):
			if slices.Contains(required, name) {
				missing = append(missing, "Secret/"+name)
			}
		case err != nil:
			return nil, nil, fmt.Errorf("get Secret metadata %s/%s: %w", ns, name, err)
		default:
			versions[name] = m.ResourceVersion
		}
	}
	return versions, missing, nil
}

func connectorSecretsIndex(o client.Object) []string {
	c, ok := o.(*v1alpha1.Connector)
	if !ok {
		return nil
	}
	all, _ := secretNames(c.Spec)
	return all
}

func publisherSecretsIndex(o client.Object) []string {
	p, ok := o.(*v1alpha1.Publisher)
	if !ok {
		return nil
	}
	all, _ := secretNames(p.Spec)
	return all
}

// pipelinesUsingSecret maps a Secret to the pipelines whose Connector or
// Publishers reference it.
func (r *MFNPipelineReconciler) pipelinesUsingSecret(ctx context.Context, o client.Object) []reconcile.Request {
	log := ctrl.LoggerFrom(ctx)
	inNS, bySecret := client.InNamespace(o.GetNamespace()), client.MatchingFields{IndexSecretRefs: o.GetName()}
	var reqs []reconcile.Request
	var conns v1alpha1.ConnectorList
	if err := r.List(ctx, &conns, inNS, bySecret); err != nil {
		log.Error(err, "List connectors by Secret failed", "secret", klog.KObj(o))
	}
	for i := range conns.Items {
		reqs = append(reqs, r.pipelinesUsing(IndexConnectorRef)(ctx, &conns.Items[i])...)
	}
	var pubs v1alpha1.PublisherList
	if err := r.List(ctx, &pubs, inNS, bySecret); err != nil {
		log.Error(err, "List publishers by Secret failed", "secret", klog.KObj(o))
	}
	for i := range pubs.Items {
		reqs = append(reqs, r.pipelinesUsing(IndexPublisherRefs)(ctx, &pubs.Items[i])...)
	}
	return reqs
}
