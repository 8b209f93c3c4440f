package controller

import (
	"context"
	"fmt"
	"strings"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apiequality "k8s.io/apimachinery/pkg/api/equality"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/mfn-io/mfn-operator/api/v1alpha1"
)

// Event reasons for breaker transitions.
const (
	// EventCircuitOpened: a component's aggregated breaker became Open.
	EventCircuitOpened = "CircuitOpened"
	// EventCircuitClosed: a component's aggregated breaker became Closed again.
	EventCircuitClosed = "CircuitClosed"
)

// setCondition sets a condition with the pipeline's generation.
func setCondition(p *v1alpha1.MFNPipeline, typ string, status metav1.ConditionStatus, reason, msg string) {
	meta.SetStatusCondition(&p.Status.Conditions, metav1.Condition{
		Type: typ, Status: status, Reason: reason, Message: msg, ObservedGeneration: p.Generation,
	})
}

// setConfigInvalid reports missing references.
func setConfigInvalid(p *v1alpha1.MFNPipeline, missing []string) {
	msg := "referenced objects not found in namespace " + p.Namespace + ": " + strings.Join(missing, ", ")
	p.Status.ObservedGeneration = p.Generation
	setCondition(p, v1alpha1.ConditionConfigValid, metav1.ConditionFalse, v1alpha1.ReasonReferenceNotFound, msg)
	setCondition(p, v1alpha1.ConditionReady, metav1.ConditionFalse, v1alpha1.ReasonReferenceNotFound, msg)
	p.Status.Phase = v1alpha1.PhaseFailed
}

// setWorkloadStatus derives replicas, conditions and phase from the
// Deployment and the aggregated worker reports (nil when none was read).
func setWorkloadStatus(p *v1alpha1.MFNPipeline, dep *appsv1.Deployment, health *aggregate) {
	st := &p.Status
	st.ObservedGeneration = p.Generation
	st.Replicas = dep.Status.Replicas
	st.ReadyReplicas = dep.Status.ReadyReplicas
	setCondition(p, v1alpha1.ConditionConfigValid, metav1.ConditionTrue, v1alpha1.ReasonReconciled, "references resolved and rendered")

	desired := desiredReplicas(p)
	workersOK := setWorkersCondition(p, dep, desired)
	if health != nil {
		health.apply(st)
	}
	connOK := setBreakerCondition(p, v1alpha1.ConditionConnectorHealthy, health, func(a *aggregate) v1alpha1.BreakerState { return a.connectorState() })
	pubOK := setBreakerCondition(p, v1alpha1.ConditionPublishersHealthy, health, func(a *aggregate) v1alpha1.BreakerState { return a.publishersState() })

	switch {
	case desired == 0:
		st.Phase = v1alpha1.PhaseSuspended
		setCondition(p, v1alpha1.ConditionReady, metav1.ConditionFalse, v1alpha1.ReasonSuspended, "spec.suspend is true; workers are scaled to zero")
	case connOK == breakerOpen || pubOK == breakerOpen:
		// Before the workers' availability: a worker whose breaker is
		// open fails /readyz, so an outage of a source or sink also makes
		// the workers unavailable, and the breaker is the cause to show.
		st.Phase = v1alpha1.PhaseDegraded
		setCondition(p, v1alpha1.ConditionReady, metav1.ConditionFalse, v1alpha1.ReasonCircuitOpen,
			fmt.Sprintf("a worker reports an open circuit breaker; %d of %d workers available", dep.Status.AvailableReplicas, desired))
	case !workersOK:
		st.Phase = v1alpha1.PhaseDegraded
		if dep.Status.AvailableReplicas == 0 {
			st.Phase = v1alpha1.PhasePending
		}
		setCondition(p, v1alpha1.ConditionReady, metav1.ConditionFalse, v1alpha1.ReasonWorkersUnavailable,
			fmt.Sprintf("%d of %d workers available", dep.Status.AvailableReplicas, desired))
	case connOK == breakerHalfOpen || pubOK == breakerHalfOpen:
		st.Phase = v1alpha1.PhaseDegraded
		setCondition(p, v1alpha1.ConditionReady, metav1.ConditionTrue, v1alpha1.ReasonCircuitHalfOpen, "workers available; a circuit breaker is half-open")
	default:
		st.Phase = v1alpha1.PhaseRunning
		setCondition(p, v1alpha1.ConditionReady, metav1.ConditionTrue, v1alpha1.ReasonReconciled, "workers available")
	}
}

// setWorkersCondition sets WorkersAvailable and reports whether it is True.
func setWorkersCondition(p *v1alpha1.MFNPipeline, dep *appsv1.Deployment, desired int32) bool {
	avail := dep.Status.AvailableReplicas
	switch {
	case desired == 0:
		setCondition(p, v1alpha1.ConditionWorkersAvailable, metav1.ConditionTrue, v1alpha1.ReasonSuspended, "no workers desired")
		return true
	case avail >= desired && dep.Status.UpdatedReplicas >= desired && dep.Status.ObservedGeneration >= dep.Generation:
		setCondition(p, v1alpha1.ConditionWorkersAvailable, metav1.ConditionTrue, v1alpha1.ReasonWorkersAvailable,
			fmt.Sprintf("%d of %d workers available", avail, desired))
		return true
	case avail >= desired:
		setCondition(p, v1alpha1.ConditionWorkersAvailable, metav1.ConditionFalse, v1alpha1.ReasonProgressing,
			fmt.Sprintf("rolling out: %d of %d workers updated", dep.Status.UpdatedReplicas, desired))
		return false
	default:
		setCondition(p, v1alpha1.ConditionWorkersAvailable, metav1.ConditionFalse, v1alpha1.ReasonWorkersUnavailable,
			fmt.Sprintf("%d of %d workers available", avail, desired))
		return false
	}
}

// breakerHealth is the outcome of a health condition.
type breakerHealth int

const (
	breakerUnknown breakerHealth = iota
	breakerClosed
	breakerHalfOpen
	breakerOpen
)

// setBreakerCondition sets ConnectorHealthy or PublishersHealthy from the
// aggregated breaker state.
func setBreakerCondition(p *v1alpha1.MFNPipeline, typ string, a *aggregate, state func(*aggregate) v1alpha1.BreakerState) breakerHealth {
	if a == nil || a.reports == 0 {
		setCondition(p, typ, metav1.ConditionUnknown, v1alpha1.ReasonStatusUnavailable, "no worker /status document could be read")
		return breakerUnknown
	}
	switch state(a) {
	case v1alpha1.BreakerOpen:
		setCondition(p, typ, metav1.ConditionFalse, v1alpha1.ReasonCircuitOpen, "a worker reports an open circuit breaker")
		return breakerOpen
	case v1alpha1.BreakerHalfOpen:
		setCondition(p, typ, metav1.ConditionFalse, v1alpha1.ReasonCircuitHalfOpen, "a worker reports a half-open circuit breaker")
		return breakerHalfOpen
	default:
		setCondition(p, typ, metav1.ConditionTrue, v1alpha1.ReasonAllClosed, fmt.Sprintf("breakers closed on %d workers", a.reports))
		return breakerClosed
	}
}

// writeStatus patches the status subresource when it differs from old.
func (r *MFNPipelineReconciler) writeStatus(ctx context.Context, p *v1alpha1.MFNPipeline, old *v1alpha1.MFNPipeline) error {
	if apiequality.Semantic.DeepEqual(old.Status, p.Status) {
		return nil
	}
	if err := r.Status().Patch(ctx, p, client.MergeFrom(old)); err != nil {
		return client.IgnoreNotFound(fmt.Errorf("patch status of MFNPipeline %s/%s: %w", p.Namespace, p.Name, err))
	}
	return nil
}

// emitBreakerEvents records CircuitOpened/CircuitClosed when a component's
// aggregated breaker changed between old and p.
func (r *MFNPipelineReconciler) emitBreakerEvents(p *v1alpha1.MFNPipeline, old *v1alpha1.MFNPipeline) {
	if r.Recorder == nil {
		return
	}
	for _, t := range breakerTransitions(&old.Status, &p.Status) {
		typ, reason := corev1.EventTypeNormal, EventCircuitClosed
		if t.to == v1alpha1.BreakerOpen {
			typ, reason = corev1.EventTypeWarning, EventCircuitOpened
		}
		r.Recorder.Eventf(p, nil, typ, reason, "Aggregate", "%s %s circuit breaker %s (was %s)", t.kind, t.name, t.to, t.from)
	}
}

// transition is a component whose breaker moved to Open or to Closed.
type transition struct {
	kind, name string
	from, to   v1alpha1.BreakerState
}

// breakerTransitions lists components whose breaker opened, or closed after
// being open or half-open. A component with no previous state only counts
// when it appears open.
func breakerTransitions(old, cur *v1alpha1.MFNPipelineStatus) []transition {
	prev := map[string]v1alpha1.BreakerState{}
	key := func(kind, name string) string { return kind + "/" + name }
	each := func(st *v1alpha1.MFNPipelineStatus, fn func(kind string, c *v1alpha1.ComponentStatus)) {
		if st.Connector != nil {
			fn("Connector", st.Connector)
		}
		for i := range st.Publishers {
			fn("Publisher", &st.Publishers[i])
		}
		if st.DeadLetter != nil {
			fn("Publisher", st.DeadLetter)
		}
	}
	each(old, func(kind string, c *v1alpha1.ComponentStatus) { prev[key(kind, c.Name)] = c.Breaker })
	var out []transition
	each(cur, func(kind string, c *v1alpha1.ComponentStatus) {
		from := prev[key(kind, c.Name)]
		switch {
		case c.Breaker == from || c.Breaker == "":
		case c.Breaker == v1alpha1.BreakerOpen:
			out = append(out, transition{kind, c.Name, from, c.Breaker})
		case c.Breaker == v1alpha1.BreakerClosed && from != "":
			out = append(out, transition{kind, c.Name, from, c.Breaker})
		}
	})
	return out
}
