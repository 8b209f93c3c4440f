package controller

// The permissions of the manager, collected by controller-gen into
// config/rbac/role.yaml (and, through `make manifests`, into the Helm chart).
//
// Secrets: the manager needs get/list/watch only to notice that a Secret
// referenced by a Connector or Publisher appeared or changed, so that the
// owning pipeline is requeued and its workers restarted with the new value.
// Kubernetes RBAC cannot grant "metadata only", so the promise not to read
// Secret data is kept in code: Secrets are watched and fetched as
// metav1.PartialObjectMetadata (the metadata.k8s.io form of the API, which
// never carries data), and worker pods receive secret values through
// valueFrom.secretKeyRef, resolved by the kubelet, never by the manager.
//
// Pods: read-only, to find the workers of a pipeline and read their
// /status documents.

// +kubebuilder:rbac:groups=mfn.mycelium.io,resources=mfnpipelines;connectors;publishers,verbs=get;list;watch;update;patch
// +kubebuilder:rbac:groups=mfn.mycelium.io,resources=mfnpipelines/status;connectors/status;publishers/status,verbs=get;update;patch
// +kubebuilder:rbac:groups=mfn.mycelium.io,resources=mfnpipelines/finalizers;connectors/finalizers;publishers/finalizers,verbs=update
// +kubebuilder:rbac:groups=apps,resources=deployments,verbs=get;list;watch;create;update;patch;delete
// +kubebuilder:rbac:groups="",resources=configmaps,verbs=get;list;watch;create;update;patch;delete
// +kubebuilder:rbac:groups="",resources=pods,verbs=get;list;watch
// +kubebuilder:rbac:groups="",resources=secrets,verbs=get;list;watch
// +kubebuilder:rbac:groups="",resources=events,verbs=create;patch
// +kubebuilder:rbac:groups=events.k8s.io,resources=events,verbs=create;patch
// +kubebuilder:rbac:groups=coordination.k8s.io,resources=leases,verbs=get;list;watch;create;update;patch;delete
