package v1alpha1

// Condition types. Every condition carries observedGeneration.
const (
	// ConditionReady summarises the object. On an MFNPipeline it is True
	// when the configuration is valid, enough workers are available and no
	// component's breaker is open; on a Connector or Publisher it is True
	// when the spec is valid and every referenced Secret exists.
	ConditionReady = "Ready"

	// ConditionConfigValid is True when the spec passed the checks the API
	// server cannot do (referenced objects exist, Secret keys are present,
	// the connector/publisher combination is supported).
	ConditionConfigValid = "ConfigValid"

	// ConditionWorkersAvailable is True when the worker Deployment has the
	// desired number of available replicas.
	ConditionWorkersAvailable = "WorkersAvailable"

	// ConditionConnectorHealthy is True when every worker reports the
	// connector's breaker closed.
	ConditionConnectorHealthy = "ConnectorHealthy"

	// ConditionPublishersHealthy is True when every worker reports every
	// publisher's breaker closed.
	ConditionPublishersHealthy = "PublishersHealthy"

	// ConditionHealthy is used on Connector and Publisher objects: True when
	// the component's breaker is closed on every worker of every pipeline
	// that uses it.
	ConditionHealthy = "Healthy"
)

// Condition reasons. Events about a condition use the same reason.
const (
	// ReasonReconciled: the object was reconciled and the condition holds.
	ReasonReconciled = "Reconciled"

	// ReasonInvalidSpec: the spec is invalid in a way only the operator can
	// detect; the message names the field and the rule.
	ReasonInvalidSpec = "InvalidSpec"

	// ReasonReferenceNotFound: a referenced Connector, Publisher or Secret
	// does not exist in the namespace.
	ReasonReferenceNotFound = "ReferenceNotFound"

	// ReasonSecretKeyMissing: a referenced Secret exists but lacks the key.
	ReasonSecretKeyMissing = "SecretKeyMissing"

	// ReasonWorkersAvailable: every desired worker is available.
	ReasonWorkersAvailable = "WorkersAvailable"

	// ReasonWorkersUnavailable: fewer workers are available than desired.
	ReasonWorkersUnavailable = "WorkersUnavailable"

	// ReasonProgressing: the worker Deployment is rolling out.
	ReasonProgressing = "Progressing"

	// ReasonSuspended: spec.suspend is true and the workers are scaled to zero.
	ReasonSuspended = "Suspended"

	// ReasonAllClosed: every breaker of the component(s) is closed.
	ReasonAllClosed = "AllClosed"

	// ReasonCircuitOpen: at least one worker reports an open breaker.
	ReasonCircuitOpen = "CircuitOpen"

	// ReasonCircuitHalfOpen: no breaker is open but at least one is half-open.
	ReasonCircuitHalfOpen = "CircuitHalfOpen"

	// ReasonStatusUnavailable: no worker /status document could be read, so
	// component health is unknown.
	ReasonStatusUnavailable = "StatusUnavailable"

	// ReasonNotInUse: no pipeline references the Connector or Publisher.
	ReasonNotInUse = "NotInUse"
)

// PipelinePhase is a one-word summary of an MFNPipeline for humans; programs
// should read the conditions.
// +kubebuilder:validation:Enum=Pending;Running;Degraded;Suspended;Failed
type PipelinePhase string

// Pipeline phases.
const (
	// PhasePending: workers are being created or none is available yet.
	PhasePending PipelinePhase = "Pending"
	// PhaseRunning: workers are available and every breaker is closed.
	PhaseRunning PipelinePhase = "Running"
	// PhaseDegraded: workers run but some are unavailable or a breaker is not closed.
	PhaseDegraded PipelinePhase = "Degraded"
	// PhaseSuspended: spec.suspend is true.
	PhaseSuspended PipelinePhase = "Suspended"
	// PhaseFailed: the configuration is invalid; see the ConfigValid condition.
	PhaseFailed PipelinePhase = "Failed"
)

// Well-known labels, annotations and names on the objects the operator
// creates for a pipeline.
const (
	// LabelPipeline carries the MFNPipeline name on worker pods and their owners.
	LabelPipeline = "mfn.mycelium.io/pipeline"

	// LabelComponent is app.kubernetes.io/component; worker pods carry
	// ComponentWorker (the chart's NetworkPolicy selects on it).
	LabelComponent = "app.kubernetes.io/component"

	// ComponentWorker is the LabelComponent value of worker pods.
	ComponentWorker = "mfn-worker"

	// WorkerStatusPortName names the worker container port that serves
	// /status, /healthz, /readyz and /metrics.
	WorkerStatusPortName = "http-status"

	// WorkerStatusPort is the default number of WorkerStatusPortName.
	WorkerStatusPort = 8080

	// ReservedLabelPrefix starts labels and annotations only the operator may set.
	ReservedLabelPrefix = "mfn.mycelium.io/"
)
