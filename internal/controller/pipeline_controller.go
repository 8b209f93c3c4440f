package controller

import (
	"context"
	"fmt"
	"net/http"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/tools/events"
	"k8s.io/klog/v2"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/predicate"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	"github.com/mfn-io/mfn-operator/api/v1alpha1"
)

// Field indexes on MFNPipelines, used to requeue the pipelines that use a
// Connector or Publisher when it changes.
const (
	// IndexConnectorRef indexes spec.connectorRef.name.
	IndexConnectorRef = "spec.connectorRef.name"
	// IndexPublisherRefs indexes every spec.publisherRefs[].name and
	// spec.deadLetterPublisherRef.name.
	IndexPublisherRefs = "spec.publisherRefs.name"
)

// MFNPipelineReconciler reconciles MFNPipelines into a worker ConfigMap and
// Deployment and reports their state in the pipeline's status.
type MFNPipelineReconciler struct {
	client.Client
	Scheme *runtime.Scheme
	// Recorder emits CircuitOpened/CircuitClosed events; nil emits none.
	Recorder events.EventRecorder

	// WorkerImage is used when spec.worker.image is empty.
	WorkerImage string
	// StatusInterval is used when spec.statusInterval is unset.
	StatusInterval time.Duration
	// MaxConcurrentReconciles bounds parallel reconciles (default 1).
	MaxConcurrentReconciles int

	// HTTPClient reads the workers' /status documents; nil uses a client
	// with a 2 s timeout.
	HTTPClient *http.Client
	// StatusURL builds the /status URL of a worker pod; nil uses
	// http://<podIP>:8080/status.
	StatusURL func(pod *corev1.Pod) string
}

// Reconcile brings the pipeline's ConfigMap and Deployment in line with its
// spec and updates its status.
func (r *MFNPipelineReconciler) Reconcile(ctx context.Context, req ctrl.Request) (_ ctrl.Result, retErr error) {
	log := ctrl.LoggerFrom(ctx)
	var p v1alpha1.MFNPipeline
	if err := r.Get(ctx, req.NamespacedName, &p); err != nil {
		return ctrl.Result{}, client.IgnoreNotFound(err)
	}
	if !p.DeletionTimestamp.IsZero() {
		// Owned objects are removed by garbage collection.
		return ctrl.Result{}, nil
	}
	old := p.DeepCopy()
	defer func() {
		if err := r.writeStatus(ctx, &p, old); err != nil && retErr == nil {
			retErr = err
		}
	}()

	refs, missing, err := r.resolveRefs(ctx, &p)
	if err != nil {
		return ctrl.Result{}, err
	}
	if len(missing) == 0 {
		if refs.secretVersions, missing, err = r.secretVersions(ctx, p.Namespace, refs); err != nil {
			return ctrl.Result{}, err
		}
	}
	if len(missing) > 0 {
		log.Info("Pipeline references missing objects", "pipeline", klog.KObj(&p), "missing", missing)
		setConfigInvalid(&p, missing)
		return ctrl.Result{}, nil
	}
	dep, err := r.reconcileWorkload(ctx, &p, refs)
	if err != nil {
		return ctrl.Result{}, err
	}
	health := r.pollWorkers(ctx, &p, refs)
	setWorkloadStatus(&p, dep, health)
	r.emitBreakerEvents(&p, old)
	return ctrl.Result{RequeueAfter: r.statusInterval(&p)}, nil
}

// statusInterval is spec.statusInterval or the operator default.
func (r *MFNPipelineReconciler) statusInterval(p *v1alpha1.MFNPipeline) time.Duration {
	if p.Spec.StatusInterval != nil && p.Spec.StatusInterval.Duration > 0 {
		return p.Spec.StatusInterval.Duration
	}
	if r.StatusInterval > 0 {
		return r.StatusInterval
	}
	return 10 * time.Second
}

// references are the objects a pipeline uses.
type references struct {
	connector  *v1alpha1.Connector
	publishers []*v1alpha1.Publisher
	deadLetter *v1alpha1.Publisher
	// secretVersions are the resourceVersions of the referenced Secrets by name.
	secretVersions map[string]string
}

// resolveRefs fetches the referenced Connector and Publishers. Objects that
// do not exist are returned as "Kind/name" in missing.
func (r *MFNPipelineReconciler) resolveRefs(ctx context.Context, p *v1alpha1.MFNPipeline) (references, []string, error) {
	var (
		refs    references
		missing []string
	)
	get := func(name string, obj client.Object, kind string) (bool, error) {
		err := r.Get(ctx, types.NamespacedName{Namespace: p.Namespace, Name: name}, obj)
		if apierrors.IsNotFound(err) {
			missing = append(missing, kind+"/"+name)
			return false, nil
		}
		if err != nil {
			return false, fmt.Errorf("get %s %s/%s: %w", kind, p.Namespace, name, err)
		}
		return true, nil
	}
	c := &v1alpha1.Connector{}
	if ok, err := get(p.Spec.ConnectorRef.Name, c, "Connector"); err != nil {
		return refs, nil, err
	} else if ok {
		refs.connector = c
	}
	for _, ref := range p.Spec.PublisherRefs {
		pub := &v1alpha1.Publisher{}
		if ok, err := get(ref.Name, pub, "Publisher"); err != nil {
			return refs, nil, err
		} else if ok {
			refs.publishers = append(refs.publishers, pub)
		}
	}
	if ref := p.Spec.DeadLetterPublisherRef; ref != nil {
		pub := &v1alpha1.Publisher{}
		if ok, err := get(ref.Name, pub, "Publisher"); err != nil {
			return refs, nil, err
		} else if ok {
			refs.deadLetter = pub
		}
	}
	return refs, missing, nil
}

// SetupWithManager registers the field indexes and the controller.
func (r *MFNPipelineReconciler) SetupWithManager(mgr ctrl.Manager) error {
	ctx := context.Background()
	idx := mgr.GetFieldIndexer()
	if err := idx.IndexField(ctx, &v1alpha1.MFNPipeline{}, IndexConnectorRef, connectorRefIndex); err != nil {
		return fmt.Errorf("index %s: %w", IndexConnectorRef, err)
	}
	if err := idx.IndexField(ctx, &v1alpha1.MFNPipeline{}, IndexPublisherRefs, publisherRefsIndex); err != nil {
		return fmt.Errorf("index %s: %w", IndexPublisherRefs, err)
	}
	if err := idx.IndexField(ctx, &v1alpha1.Connector{}, IndexSecretRefs, connectorSecretsIndex); err != nil {
		return fmt.Errorf("index Connector %s: %w", IndexSecretRefs, err)
	}
	if err := idx.IndexField(ctx, &v1alpha1.Publisher{}, IndexSecretRefs, publisherSecretsIndex); err != nil {
		return fmt.Errorf("index Publisher %s: %w", IndexSecretRefs, err)
	}
	workers := r.MaxConcurrentReconciles
	if workers < 1 {
		workers = 1
	}
	return ctrl.NewControllerManagedBy(mgr).
		For(&v1alpha1.MFNPipeline{}, builder.WithPredicates(predicate.GenerationChangedPredicate{})).
		Owns(&corev1.ConfigMap{}).
		Owns(&appsv1.Deployment{}).
		Watches(&v1alpha1.Connector{}, handler.EnqueueRequestsFromMapFunc(r.pipelinesUsing(IndexConnectorRef)),
			builder.WithPredicates(predicate.GenerationChangedPredicate{})).
		Watches(&v1alpha1.Publisher{}, handler.EnqueueRequestsFromMapFunc(r.pipelinesUsing(IndexPublisherRefs)),
			builder.WithPredicates(predicate.GenerationChangedPredicate{})).
		WatchesMetadata(secretMetadata(), handler.EnqueueRequestsFromMapFunc(r.pipelinesUsingSecret),
			builder.WithPredicates(predicate.ResourceVersionChangedPredicate{})).
		WithOptions(controller.Options{MaxConcurrentReconciles: workers}).
		Named("mfnpipeline").
		Complete(r)
}

func connectorRefIndex(o client.Object) []string {
	p, ok := o.(*v1alpha1.MFNPipeline)
	if !ok || p.Spec.ConnectorRef.Name == "" {
		return nil
	}
	return []string{p.Spec.ConnectorRef.Name}
}

func publisherRefsIndex(o client.Object) []string {
	p, ok := o.(*v1alpha1.MFNPipeline)
	if !ok {
		return nil
	}
	names := make([]string, 0, len(p.Spec.PublisherRefs)+1)
	for _, ref := range p.Spec.PublisherRefs {
		names = append(names, ref.Name)
	}
	if p.Spec.DeadLetterPublisherRef != nil {
		names = append(names, p.Spec.DeadLetterPublisherRef.Name)
	}
	return names
}

// pipelinesUsing maps a Connector or Publisher to the pipelines in its
// namespace whose index field names it.
func (r *MFNPipelineReconciler) pipelinesUsing(index string) handler.MapFunc {
	return func(ctx context.Context, o client.Object) []reconcile.Request {
		var list v1alpha1.MFNPipelineList
		if err := r.List(ctx, &list, client.InNamespace(o.GetNamespace()), client.MatchingFields{index: o.GetName()}); err != nil {
			ctrl.LoggerFrom(ctx).Error(err, "List pipelines by reference failed", "index", index, "object", klog.KObj(o))
			return nil
		}
		reqs := make([]reconcile.Request, 0, len(list.Items))
		for i := range list.Items {
			reqs = append(reqs, reconcile.Request{NamespacedName: client.ObjectKeyFromObject(&list.Items[i])})
		}
		return reqs
	}
}
