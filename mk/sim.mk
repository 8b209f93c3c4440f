# Simulation engine: bit-exactness guards and benchmarks. Included by the
# top-level Makefile.

##@ Simulation

.PHONY: sim-check-fma
sim-check-fma: ## Fail if the arm64 or amd64-v3 build of pkg/sim fuses a multiply-add (breaks bit-exactness).
	hack/check-fma.sh

.PHONY: sim-bench
sim-bench: ## Run the simulation engine benchmarks (BenchmarkSimulate).
	$(GO) test -run '^$$' -bench BenchmarkSimulate -benchmem -count 1 ./pkg/sim

test-prereqs: sim-check-fma
