// Package manifest loads the YAML manifests a user applies to a cluster
// (MFNPipeline, Connector, Publisher and, for local runs, Secret), resolves
// the references between them and turns them into the configuration of the
// pipeline runtime.
//
// The same loader serves `mfn run -f` (secrets come from Secret manifests in
// the files) and `mfn worker --config` (the operator renders the pipeline's
// manifests into a ConfigMap and passes every referenced secret key as an
// environment variable named by [SecretEnvName]).
package manifest
