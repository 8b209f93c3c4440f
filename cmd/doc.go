// Command manager runs the mfn-operator: it reconciles MFNPipelines into a
// ConfigMap and a Deployment of `mfn worker` pods, and reads the workers'
// /status documents into the pipelines' status. Flags select the watched
// namespaces (--watch-namespaces), the default worker image
// (--worker-image), leader election and the metrics and probe addresses.
package main
