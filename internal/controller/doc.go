// Package controller holds the mfn-operator reconcilers. The MFNPipeline
// reconciler renders a pipeline, its Connector and its Publishers into a
// ConfigMap, runs them with a Deployment of `mfn worker` pods that receive
// secret values through secretKeyRef environment variables (the operator
// never reads Secret data), and reports the Deployment's availability and
// the workers' /status documents in the pipeline's status.
package controller
