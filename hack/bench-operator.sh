#!/usr/bin/env bash
# Operator benchmarks (docs/BENCHMARKS.md, section "Operator"). Each starts
# its own kube-apiserver and etcd (KUBEBUILDER_ASSETS, or bin/k8s built by
# `make envtest`) and creates 10 Connectors, 10 Publishers and 1000
# MFNPipelines:
#
#   BenchmarkScale1000Pipelines runs the three reconcilers in-process and
#   reports the seconds until all are rendered and the status writes per
#   minute at steady state;
#   BenchmarkManagerRSS runs the manager binary (cmd/main.go, built here with
#   CGO_ENABLED=0) as its own process and reports its VmRSS when idle, its
#   VmHWM (peak) and its VmRSS after the steady-state window, read from
#   /proc/<pid>/status.
#
# RUNS (default 3) repetitions of each, alternating. Takes several minutes
# (each run has a 60 s steady-state window).
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${RUNS:-3}
BUILD=$(mktemp -d)
trap 'rm -rf "$BUILD"' EXIT
CGO_ENABLED=0 go build -o "$BUILD/manager" ./cmd
go test -c -o "$BUILD/controller.test" ./internal/controller
for i in $(seq "$RUNS"); do
	echo "== run $i of $RUNS"
	(cd internal/controller && "$BUILD/controller.test" -test.run '^$' -test.bench 'BenchmarkScale1000Pipelines' -test.benchtime 1x -test.timeout 30m)
	(cd internal/controller && MFN_MANAGER_BIN="$BUILD/manager" "$BUILD/controller.test" -test.run '^$' -test.bench 'BenchmarkManagerRSS' -test.benchtime 1x -test.timeout 30m -test.v)
done
