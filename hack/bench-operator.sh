#!/usr/bin/env bash
# Operator scale benchmark (docs/BENCHMARKS.md, section "Operator"): starts
# its own kube-apiserver and etcd (KUBEBUILDER_ASSETS, or bin/k8s built by
# `make envtest`), runs the three reconcilers in-process, creates 10
# Connectors, 10 Publishers and 1000 MFNPipelines, and reports the seconds
# until all are rendered, the status writes per minute at steady state and
# the in-process Go memory (an approximation of the manager's RSS).
# Takes a few minutes (about 60 s of it is the steady-state window).
set -euo pipefail
cd "$(dirname "$0")/.."
go test -run '^$' -bench BenchmarkScale1000Pipelines -benchtime 1x -timeout 30m ./internal/controller
