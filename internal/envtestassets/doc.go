// Package envtestassets locates the kube-apiserver and etcd binaries that
// envtest suites run against: $KUBEBUILDER_ASSETS, or the repository's
// bin/k8s where hack/envtest.sh builds them.
package envtestassets
