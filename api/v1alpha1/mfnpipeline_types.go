package v1alpha1

import (
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// MFNPipelineSpec is the desired state of an MFNPipeline: where simulation
// parameters come from, where results go, the defaults and limits applied
// to each simulation, and the worker pods that run them.
// +kubebuilder:validation:XValidation:rule="!has(self.deadLetterPublisherRef) || !self.publisherRefs.exists(p, p.name == self.deadLetterPublisherRef.name)",message="deadLetterPublisherRef must not also be listed in publisherRefs"
// +kubebuilder:validation:XValidation:rule="!has(self.simulation) || !has(self.simulation.gridSize) || !has(self.limits) || !has(self.limits.maxGridSize) || self.simulation.gridSize <= self.limits.maxGridSize",message="simulation.gridSize must not exceed limits.maxGridSize"
// +kubebuilder:validation:XValidation:rule="!has(self.simulation) || !has(self.simulation.steps) || !has(self.limits) || !has(self.limits.maxSteps) || self.simulation.steps <= self.limits.maxSteps",message="simulation.steps must not exceed limits.maxSteps"
type MFNPipelineSpec struct {
	// connectorRef names the Connector (same namespace) the workers read
	// simulation parameters from.
	// +required
	ConnectorRef ComponentReference `json:"connectorRef"`

	// publisherRefs name the Publishers (same namespace) every result is
	// sent to; a message is acknowledged once all of them accepted it.
	// +kubebuilder:validation:MinItems=1
	// +kubebuilder:validation:MaxItems=16
	// +listType=map
	// +listMapKey=name
	// +required
	PublisherRefs []ComponentReference `json:"publisherRefs"`

	// deadLetterPublisherRef names a Publisher that receives messages that
	// failed validation or simulation, and results given up by a publisher.
	// Without it such messages are counted, logged and dropped.
	// +optional
	DeadLetterPublisherRef *ComponentReference `json:"deadLetterPublisherRef,omitempty"`

	// simulation holds defaults for parameters a message leaves out.
	// +optional
	Simulation *SimulationDefaults `json:"simulation,omitempty"`

	// limits bound the parameters a message may ask for, protecting the
	// workers' CPU and memory; larger requests are rejected (dead-letter).
	// +kubebuilder:default={}
	// +optional
	Limits *SimulationLimits `json:"limits,omitempty"`

	// replicas is the number of worker pods (0 … 100).
	// +kubebuilder:validation:Minimum=0
	// +kubebuilder:validation:Maximum=100
	// +kubebuilder:default=1
	// +optional
	Replicas *int32 `json:"replicas,omitempty"`

	// concurrency is the number of simulations a worker runs at once (1 … 64).
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=64
	// +kubebuilder:default=1
	// +optional
	Concurrency *int32 `json:"concurrency,omitempty"`

	// suspend scales the workers to zero without deleting anything.
	// +kubebuilder:default=false
	// +optional
	Suspend *bool `json:"suspend,omitempty"`

	// statusInterval is how often the operator reads the workers' /status
	// documents into this object's status (1s … 10m).
	// +kubebuilder:validation:Type=string
	// +kubebuilder:validation:Pattern=`^([0-9]+([.][0-9]+)?(ns|us|ms|s|m|h))+$`
	// +kubebuilder:validation:XValidation:rule="duration(self) >= duration('1s') && duration(self) <= duration('10m')",message="statusInterval must be between 1s and 10m"
	// +kubebuilder:default="10s"
	// +optional
	StatusInterval *metav1.Duration `json:"statusInterval,omitempty"`

	// worker customises the worker pods.
	// +optional
	Worker WorkerSpec `json:"worker,omitzero"`
}

// BoundaryCondition is the boundary rule of the discrete Laplacian.
// +kubebuilder:validation:Enum=periodic;neumann;dirichlet
type BoundaryCondition string

// Boundary conditions (ENGINE.md §4.3).
const (
	BoundaryPeriodic  BoundaryCondition = "periodic"
	BoundaryNeumann   BoundaryCondition = "neumann"
	BoundaryDirichlet BoundaryCondition = "dirichlet"
)

// SimulationDefaults are used for every simulation parameter a message
// leaves out. An unset field falls back to the engine default given in its
// description. Ranges are the engine's (ENGINE.md §2.2).
type SimulationDefaults struct {
	// gridSize is the side of the square grid (4 … 1024; engine default 64).
	// +kubebuilder:validation:Minimum=4
	// +kubebuilder:validation:Maximum=1024
	// +optional
	GridSize *int32 `json:"gridSize,omitempty"`

	// steps is the number of time steps (1 … 10000; engine default 64).
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=10000
	// +optional
	Steps *int32 `json:"steps,omitempty"`

	// alpha is the field diffusion coefficient, a decimal in [0.05, 0.25)
	// (engine default "0.18").
	// +kubebuilder:validation:XValidation:rule="double(self) >= 0.05 && double(self) < 0.25",message="alpha must be at least 0.05 and below 0.25 (CFL stability limit)"
	// +optional
	Alpha *Decimal `json:"alpha,omitempty"`

	// spikeProbability is the per-step spike probability, a decimal in
	// [0, 1] (engine default "0.25").
	// +kubebuilder:validation:XValidation:rule="double(self) >= 0.0 && double(self) <= 1.0",message="spikeProbability must be between 0 and 1"
	// +optional
	SpikeProbability *Decimal `json:"spikeProbability,omitempty"`

	// turingEnabled turns the reaction-diffusion (Turing) stage on (engine
	// default true).
	// +optional
	TuringEnabled *bool `json:"turingEnabled,omitempty"`

	// turingThreshold is the activation threshold, a decimal in
	// [0.5, 0.95] (engine default "0.75").
	// +kubebuilder:validation:XValidation:rule="double(self) >= 0.5 && double(self) <= 0.95",message="turingThreshold must be between 0.5 and 0.95"
	// +optional
	TuringThreshold *Decimal `json:"turingThreshold,omitempty"`

	// quantumJitter adds Gaussian jitter to the field (engine default false).
	// +optional
	QuantumJitter *bool `json:"quantumJitter,omitempty"`

	// jitterVar is the jitter variance, a decimal in [0, 0.01] (engine
	// default "0.0005").
	// +kubebuilder:validation:XValidation:rule="double(self) >= 0.0 && double(self) <= 0.01",message="jitterVar must be between 0 and 0.01"
	// +optional
	JitterVar *Decimal `json:"jitterVar,omitempty"`

	// seed makes runs reproducible (≥ 0); unset means a random seed per
	// simulation.
	// +kubebuilder:validation:Minimum=0
	// +optional
	Seed *int64 `json:"seed,omitempty"`

	// boundaryCondition is periodic, neumann or dirichlet (engine default
	// periodic).
	// +optional
	BoundaryCondition BoundaryCondition `json:"boundaryCondition,omitempty"`

	// dActivator is the activator diffusion D_a, a decimal in [0.01, 0.25)
	// (engine default "0.1").
	// +kubebuilder:validation:XValidation:rule="double(self) >= 0.01 && double(self) < 0.25",message="dActivator must be at least 0.01 and below 0.25 (CFL stability limit)"
	// +optional
	DActivator *Decimal `json:"dActivator,omitempty"`

	// dInhibitor is the inhibitor diffusion D_i, a decimal in [0.01, 0.25)
	// (engine default "0.05").
	// +kubebuilder:validation:XValidation:rule="double(self) >= 0.01 && double(self) < 0.25",message="dInhibitor must be at least 0.01 and below 0.25 (CFL stability limit)"
	// +optional
	DInhibitor *Decimal `json:"dInhibitor,omitempty"`

	// rActivator is the activator reaction rate r_a, a decimal in
	// [0.001, 0.1] (engine default "0.01").
	// +kubebuilder:validation:XValidation:rule="double(self) >= 0.001 && double(self) <= 0.1",message="rActivator must be between 0.001 and 0.1"
	// +optional
	RActivator *Decimal `json:"rActivator,omitempty"`

	// rInhibitor is the inhibitor reaction rate r_i, a decimal in
	// [0.001, 0.1] (engine default "0.02").
	// +kubebuilder:validation:XValidation:rule="double(self) >= 0.001 && double(self) <= 0.1",message="rInhibitor must be between 0.001 and 0.1"
	// +optional
	RInhibitor *Decimal `json:"rInhibitor,omitempty"`
}

// SimulationLimits bound what a single message may request.
type SimulationLimits struct {
	// maxGridSize is the largest gridSize accepted (4 … 1024; default 256,
	// the HTTP API bound).
	// +kubebuilder:validation:Minimum=4
	// +kubebuilder:validation:Maximum=1024
	// +kubebuilder:default=256
	// +optional
	MaxGridSize *int32 `json:"maxGridSize,omitempty"`

	// maxSteps is the largest steps accepted (1 … 10000; default 1000, the
	// HTTP API bound).
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=10000
	// +kubebuilder:default=1000
	// +optional
	MaxSteps *int32 `json:"maxSteps,omitempty"`
}

// WorkerSpec customises the worker pods of a pipeline.
type WorkerSpec struct {
	// image is the worker image; unset uses the operator's default
	// (--worker-image).
	// +kubebuilder:validation:MaxLength=512
	// +optional
	Image string `json:"image,omitempty"`

	// imagePullPolicy is Always, IfNotPresent or Never.
	// +kubebuilder:validation:Enum=Always;IfNotPresent;Never
	// +optional
	ImagePullPolicy corev1.PullPolicy `json:"imagePullPolicy,omitempty"`

	// imagePullSecrets are Secrets used to pull image.
	// +kubebuilder:validation:MaxItems=8
	// +listType=atomic
	// +optional
	ImagePullSecrets []corev1.LocalObjectReference `json:"imagePullSecrets,omitempty"`

	// resources of the worker container.
	// +optional
	Resources corev1.ResourceRequirements `json:"resources,omitzero"`

	// nodeSelector constrains the nodes workers run on.
	// +kubebuilder:validation:MaxProperties=32
	// +optional
	NodeSelector map[string]string `json:"nodeSelector,omitempty"`

	// tolerations of the worker pods.
	// +kubebuilder:validation:MaxItems=32
	// +listType=atomic
	// +optional
	Tolerations []corev1.Toleration `json:"tolerations,omitempty"`

	// affinity of the worker pods.
	// +optional
	Affinity *corev1.Affinity `json:"affinity,omitempty"`

	// labels are added to the worker pods. Keys with the mfn.mycelium.io/
	// prefix are reserved.
	// +kubebuilder:validation:MaxProperties=32
	// +kubebuilder:validation:XValidation:rule="self.all(k, !k.startsWith('mfn.mycelium.io/') && k != 'app.kubernetes.io/component' && k != 'app.kubernetes.io/managed-by')",message="worker.labels must not set mfn.mycelium.io/*, app.kubernetes.io/component or app.kubernetes.io/managed-by: the operator owns them"
	// +optional
	Labels map[string]string `json:"labels,omitempty"`

	// annotations are added to the worker pods. Keys with the
	// mfn.mycelium.io/ prefix are reserved.
	// +kubebuilder:validation:MaxProperties=32
	// +kubebuilder:validation:XValidation:rule="self.all(k, !k.startsWith('mfn.mycelium.io/'))",message="worker.annotations must not set mfn.mycelium.io/* keys: the operator owns them"
	// +optional
	Annotations map[string]string `json:"annotations,omitempty"`

	// serviceAccountName runs the workers under this ServiceAccount (the
	// namespace's default when unset). Workers need no API access.
	// +kubebuilder:validation:MaxLength=253
	// +optional
	ServiceAccountName string `json:"serviceAccountName,omitempty"`
}

// ComponentStatusValue is the connection status of a component as reported
// by the workers (INTEGRATION.md §1.3), or unknown when no worker reported.
// +kubebuilder:validation:Enum=disconnected;connecting;connected;error;circuit_open;unknown
type ComponentStatusValue string

// Component status values.
const (
	ComponentDisconnected ComponentStatusValue = "disconnected"
	ComponentConnecting   ComponentStatusValue = "connecting"
	ComponentConnected    ComponentStatusValue = "connected"
	ComponentError        ComponentStatusValue = "error"
	ComponentCircuitOpen  ComponentStatusValue = "circuit_open"
	ComponentUnknown      ComponentStatusValue = "unknown"
)

// ComponentStatus is the state of the pipeline's connector or of one of its
// publishers, aggregated over the pipeline's workers.
type ComponentStatus struct {
	// name is the Connector or Publisher name.
	// +required
	Name string `json:"name"`

	// type is the component type (kafka, file, rest, database, webhook,
	// redis, rabbitmq, jsonl).
	// +optional
	Type string `json:"type,omitempty"`

	// status is the worst status any worker reports (error, circuit_open,
	// connecting, disconnected, connected in that order), or unknown.
	// +optional
	Status ComponentStatusValue `json:"status,omitempty"`

	// breaker is the aggregated breaker state.
	// +optional
	Breaker BreakerState `json:"breaker,omitempty"`

	// breakerWorkers counts workers per breaker state.
	// +optional
	BreakerWorkers BreakerWorkers `json:"breakerWorkers"`

	// consecutiveFailures is the highest consecutive-failure count of any
	// worker's breaker.
	// +optional
	ConsecutiveFailures int64 `json:"consecutiveFailures"`

	// lastTransitionTime is the latest breaker state change on any worker.
	// +optional
	LastTransitionTime *metav1.Time `json:"lastTransitionTime,omitempty"`

	// lastError is the latest error any worker reports, scrubbed of credentials.
	// +kubebuilder:validation:MaxLength=1024
	// +optional
	LastError string `json:"lastError,omitempty"`

	// lastErrorTime is when lastError happened.
	// +optional
	LastErrorTime *metav1.Time `json:"lastErrorTime,omitempty"`

	// connectorMetrics are the connector counters summed over workers (set
	// for the connector).
	// +optional
	ConnectorMetrics *ConnectorMetrics `json:"connectorMetrics,omitempty"`

	// publisherMetrics are the publisher counters summed over workers (set
	// for publishers).
	// +optional
	PublisherMetrics *PublisherMetrics `json:"publisherMetrics,omitempty"`
}

// PipelineTotals are the pipeline counters summed over workers.
type PipelineTotals struct {
	// processed counts messages whose results every publisher accepted.
	// +optional
	Processed int64 `json:"processed"`
	// failed counts messages that could not be simulated.
	// +optional
	Failed int64 `json:"failed"`
	// deadLettered counts failed messages accepted by the dead-letter publisher.
	// +optional
	DeadLettered int64 `json:"deadLettered"`
	// inFlight is the number of messages taken from the connector and not yet acknowledged.
	// +optional
	InFlight int64 `json:"inFlight"`
}

// MFNPipelineStatus is the observed state of an MFNPipeline.
type MFNPipelineStatus struct {
	// observedGeneration is the metadata.generation last reconciled.
	// +optional
	ObservedGeneration int64 `json:"observedGeneration,omitempty"`

	// conditions: Ready, ConfigValid, WorkersAvailable, ConnectorHealthy,
	// PublishersHealthy.
	// +listType=map
	// +listMapKey=type
	// +optional
	Conditions []metav1.Condition `json:"conditions,omitempty"`

	// phase is a one-word summary: Pending, Running, Degraded, Suspended
	// or Failed.
	// +optional
	Phase PipelinePhase `json:"phase,omitempty"`

	// replicas is the number of worker pods that exist.
	// +optional
	Replicas int32 `json:"replicas"`

	// readyReplicas is the number of worker pods that are ready.
	// +optional
	ReadyReplicas int32 `json:"readyReplicas"`

	// connectorBreaker is connector.breaker, repeated for the printer column.
	// +optional
	ConnectorBreaker BreakerState `json:"connectorBreaker,omitempty"`

	// connector is the state of the connector.
	// +optional
	Connector *ComponentStatus `json:"connector,omitempty"`

	// publishers is the state of each publisher, in publisherRefs order.
	// +listType=map
	// +listMapKey=name
	// +optional
	Publishers []ComponentStatus `json:"publishers,omitempty"`

	// deadLetter is the state of the dead-letter publisher.
	// +optional
	DeadLetter *ComponentStatus `json:"deadLetter,omitempty"`

	// totals are the pipeline counters summed over workers.
	// +optional
	Totals PipelineTotals `json:"totals"`

	// lastProcessedTime is the latest time any worker processed a message.
	// +optional
	LastProcessedTime *metav1.Time `json:"lastProcessedTime,omitempty"`
}

// MFNPipeline runs the mycelium simulation on messages from a Connector and
// sends the results to Publishers, with a Deployment of worker pods.
// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:resource:shortName=mfnp,categories=mfn
// +kubebuilder:printcolumn:name="Ready",type=string,JSONPath=`.status.conditions[?(@.type=="Ready")].status`
// +kubebuilder:printcolumn:name="Phase",type=string,JSONPath=`.status.phase`
// +kubebuilder:printcolumn:name="Replicas",type=integer,JSONPath=`.status.readyReplicas`
// +kubebuilder:printcolumn:name="Connector",type=string,JSONPath=`.status.connectorBreaker`
// +kubebuilder:printcolumn:name="Processed",type=integer,JSONPath=`.status.totals.processed`
// +kubebuilder:printcolumn:name="Failed",type=integer,JSONPath=`.status.totals.failed`,priority=1
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`
type MFNPipeline struct {
	metav1.TypeMeta `json:",inline"`
	// metadata is the standard object metadata.
	// +optional
	metav1.ObjectMeta `json:"metadata,omitempty"`

	// spec is the desired state.
	// +required
	Spec MFNPipelineSpec `json:"spec"`

	// status is the observed state.
	// +optional
	Status MFNPipelineStatus `json:"status,omitzero"`
}

// MFNPipelineList is a list of MFNPipelines.
// +kubebuilder:object:root=true
type MFNPipelineList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []MFNPipeline `json:"items"`
}

func init() {
	SchemeBuilder.Register(&MFNPipeline{}, &MFNPipelineList{})
}
