# Features, reductions and the engine + features benchmark. Included by the
# top-level Makefile.

##@ Features

.PHONY: sim-bench-run
sim-bench-run: ## Benchmark simulation + features against the Python baseline and measure peak memory (hack/bench-sim.sh).
	hack/bench-sim.sh

.PHONY: sim-test-purego
sim-test-purego: ## Test the reductions and features with the Go loops only (no assembly kernels).
	$(GO) test -count=1 -tags purego ./pkg/sim/reduce ./pkg/sim/features

test-prereqs: sim-test-purego
