package controller

import (
	"context"
	"fmt"

	apiequality "k8s.io/apimachinery/pkg/api/equality"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/util/workqueue"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/predicate"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	"github.com/mfn-io/mfn-operator/api/v1alpha1"
)

// componentView selects, from one pipeline, the names of the components of
// one kind it references and the status entries describing the component
// called name.
type componentView struct {
	names   func(o client.Object) []string
	entries func(p *v1alpha1.MFNPipeline, name string) []v1alpha1.ComponentStatus
}

// connectorView is the Connector side of a pipeline.
var connectorView = componentView{
	names: connectorRefIndex,
	entries: func(p *v1alpha1.MFNPipeline, name string) []v1alpha1.ComponentStatus {
		if c := p.Status.Connector; c != nil && c.Name == name {
			return []v1alpha1.ComponentStatus{*c}
		}
		return nil
	},
}

// publisherView is the Publisher side of a pipeline: its publishers and its
// dead-letter publisher.
var publisherView = componentView{
	names: publisherRefsIndex,
	entries: func(p *v1alpha1.MFNPipeline, name string) []v1alpha1.ComponentStatus {
		var out []v1alpha1.ComponentStatus
		for _, c := range p.Status.Publishers {
			if c.Name == name {
				out = append(out, c)
			}
		}
		if dl := p.Status.DeadLetter; dl != nil && dl.Name == name {
			out = append(out, *dl)
		}
		return out
	},
}

// listUses lists, through the field index, the pipelines in ns that
// reference the component name and returns their views of it. Pipelines
// being deleted no longer count.
func listUses(ctx context.Context, c client.Reader, ns, index, name string, view componentView) ([]componentUse, error) {
	var list v1alpha1.MFNPipelineList
	if err := c.List(ctx, &list, client.InNamespace(ns), client.MatchingFields{index: name}); err != nil {
		return nil, fmt.Errorf("list MFNPipelines in %s using %s: %w", ns, name, err)
	}
	uses := make([]componentUse, 0, len(list.Items))
	for i := range list.Items {
		p := &list.Items[i]
		if !p.DeletionTimestamp.IsZero() {
			continue
		}
		uses = append(uses, componentUse{pipeline: p.Name, entries: view.entries(p, name)})
	}
	return uses, nil
}

// pipelineEvents enqueues the components of one kind that a pipeline
// references: on create and delete all of them; on update those referenced
// before or after, but only when the references or the status entries of
// that kind changed, so that pipeline churn elsewhere causes no work.
func pipelineEvents(view componentView) handler.EventHandler {
	type queue = workqueue.TypedRateLimitingInterface[reconcile.Request]
	enqueue := func(q queue, p *v1alpha1.MFNPipeline) {
		for _, name := range view.names(p) {
			q.Add(reconcile.Request{NamespacedName: types.NamespacedName{Namespace: p.Namespace, Name: name}})
		}
	}
	pipeline := func(o client.Object) *v1alpha1.MFNPipeline {
		p, _ := o.(*v1alpha1.MFNPipeline)
		return p
	}
	return handler.Funcs{
		CreateFunc: func(_ context.Context, e event.CreateEvent, q queue) {
			if p := pipeline(e.Object); p != nil {
				enqueue(q, p)
			}
		},
		UpdateFunc: func(_ context.Context, e event.UpdateEvent, q queue) {
			oldP, newP := pipeline(e.ObjectOld), pipeline(e.ObjectNew)
			if oldP == nil || newP == nil || !componentsChanged(view, oldP, newP) {
				return
			}
			enqueue(q, oldP)
			enqueue(q, newP)
		},
		DeleteFunc: func(_ context.Context, e event.DeleteEvent, q queue) {
			if p := pipeline(e.Object); p != nil {
				enqueue(q, p)
			}
		},
	}
}

// componentsChanged reports whether a pipeline update matters to the
// components of view's kind.
func componentsChanged(view componentView, oldP, newP *v1alpha1.MFNPipeline) bool {
	if oldP.DeletionTimestamp.IsZero() != newP.DeletionTimestamp.IsZero() {
		return true
	}
	oldNames, newNames := view.names(oldP), view.names(newP)
	if !apiequality.Semantic.DeepEqual(oldNames, newNames) {
		return true
	}
	for _, name := range newNames {
		if !apiequality.Semantic.DeepEqual(view.entries(oldP, name), view.entries(newP, name)) {
			return true
		}
	}
	return false
}

// reconcileComponent is the Reconcile of the Connector and Publisher
// controllers: it fetches obj, aggregates the pipelines that reference it
// through index, lets apply write the summary into obj's status and patches
// the status subresource when that changed anything.
func reconcileComponent[T client.Object](ctx context.Context, c client.Client, req ctrl.Request, obj T,
	index string, view componentView, apply func(obj T, s componentSummary)) (ctrl.Result, error) {
	if err := c.Get(ctx, req.NamespacedName, obj); err != nil {
		return ctrl.Result{}, client.IgnoreNotFound(err)
	}
	if !obj.GetDeletionTimestamp().IsZero() {
		return ctrl.Result{}, nil
	}
	uses, err := listUses(ctx, c, obj.GetNamespace(), index, obj.GetName(), view)
	if err != nil {
		return ctrl.Result{}, err
	}
	s := summarizeComponent(uses)
	s.healthy.ObservedGeneration = obj.GetGeneration()
	old, ok := obj.DeepCopyObject().(client.Object)
	if !ok {
		return ctrl.Result{}, fmt.Errorf("copy of %T is not a client.Object", obj)
	}
	apply(obj, s)
	if apiequality.Semantic.DeepEqual(old, obj) {
		return ctrl.Result{}, nil
	}
	if err := c.Status().Patch(ctx, obj, client.MergeFrom(old)); err != nil {
		return ctrl.Result{}, client.IgnoreNotFound(fmt.Errorf("patch status of %T %s/%s: %w", obj, obj.GetNamespace(), obj.GetName(), err))
	}
	return ctrl.Result{}, nil
}

// setupComponentController registers a Connector or Publisher controller.
// Status writes of the object itself do not trigger it (generation
// predicate); pipeline changes that touch its references or their status
// entries of view's kind do.
func setupComponentController(mgr ctrl.Manager, obj client.Object, view componentView, name string, r reconcile.Reconciler) error {
	return ctrl.NewControllerManagedBy(mgr).
		For(obj, builder.WithPredicates(predicate.GenerationChangedPredicate{})).
		Watches(&v1alpha1.MFNPipeline{}, pipelineEvents(view)).
		Named(name).
		Complete(r)
}
