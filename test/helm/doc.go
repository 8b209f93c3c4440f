// Package helm tests the Helm chart in dist/chart: it runs bin/helm (built by
// `make envtest` / hack/envtest.sh) to lint and render the chart with
// default and non-default values, parses the rendered objects and checks
// the security context, the manager arguments, the RBAC bindings, the
// optional ServiceMonitor and NetworkPolicy, and that the chart's CRDs and
// manager rules are the ones generated into config/.
package helm
