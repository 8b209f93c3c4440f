package controller

import (
	"context"

	"k8s.io/apimachinery/pkg/api/meta"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/mfn-io/mfn-operator/api/v1alpha1"
)

// ConnectorReconciler reports on each Connector the pipelines that use it
// and its breaker state and counters aggregated over their
// status.connector. It reads the field index IndexConnectorRef, which
// MFNPipelineReconciler.SetupWithManager registers: set that reconciler up
// on the same manager first.
type ConnectorReconciler struct {
	client.Client
}

// Reconcile recomputes the Connector's status from the pipelines that
// reference it and patches it when it changed.
func (r *ConnectorReconciler) Reconcile(ctx context.Context, req ctrl.Request) (ctrl.Result, error) {
	return reconcileComponent(ctx, r.Client, req, &v1alpha1.Connector{}, IndexConnectorRef, connectorView,
		func(c *v1alpha1.Connector, s componentSummary) {
			st := &c.Status
			st.ObservedGeneration = c.Generation
			st.UsedBy, st.Pipelines = s.usedBy, s.pipelines()
			st.Breaker, st.Metrics = s.breaker, s.connectorMetrics
			meta.SetStatusCondition(&st.Conditions, s.healthy)
		})
}

// SetupWithManager registers the controller; it watches Connectors and the
// MFNPipelines that reference them.
func (r *ConnectorReconciler) SetupWithManager(mgr ctrl.Manager) error {
	return setupComponentController(mgr, &v1alpha1.Connector{}, connectorView, "connector", r)
}
