package controller

import (
	"context"

	"k8s.io/apimachinery/pkg/api/meta"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/mfn-io/mfn-operator/api/v1alpha1"
)

// PublisherReconciler reports on each Publisher the pipelines that use it
// (as a publisher or as the dead-letter publisher) and its breaker state
// and counters aggregated over their status.publishers and
// status.deadLetter. It reads the field index IndexPublisherRefs, which
// MFNPipelineReconciler.SetupWithManager registers: set that reconciler up
// on the same manager first.
type PublisherReconciler struct {
	client.Client
}

// Reconcile recomputes the Publisher's status from the pipelines that
// reference it and patches it when it changed.
func (r *PublisherReconciler) Reconcile(ctx context.Context, req ctrl.Request) (ctrl.Result, error) {
	return reconcileComponent(ctx, r.Client, req, &v1alpha1.Publisher{}, IndexPublisherRefs, publisherView,
		func(p *v1alpha1.Publisher, s componentSummary) {
			st := &p.Status
			st.ObservedGeneration = p.Generation
			st.UsedBy, st.Pipelines = s.usedBy, s.pipelines()
			st.Breaker, st.Metrics = s.breaker, s.publisherMetrics
			meta.SetStatusCondition(&st.Conditions, s.healthy)
		})
}

// SetupWithManager registers the controller; it watches Publishers and the
// MFNPipelines that reference them.
func (r *PublisherReconciler) SetupWithManager(mgr ctrl.Manager) error {
	return setupComponentController(mgr, &v1alpha1.Publisher{}, publisherView, "publisher", r)
}
