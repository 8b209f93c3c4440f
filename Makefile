# mfn-operator Makefile. Area-specific targets live in mk/*.mk.

SHELL := /usr/bin/env bash -o pipefail
.SHELLFLAGS := -ec

GO      ?= go
BIN     := $(CURDIR)/bin
export PATH := $(BIN):$(PATH)

# Packages that are concurrent run under the race detector in `make test`;
# the numeric engine runs without it (it is single-goroutine per run and the
# race detector slows the golden tests tenfold).
RACE_PKGS   = $(shell $(GO) list ./... | grep -v -e /pkg/sim)
NORACE_PKGS = $(shell $(GO) list ./pkg/sim/...)

.PHONY: all
all: build

##@ Development

.PHONY: fmt
fmt: ## Run gofmt on the tree.
	gofmt -w $$(git ls-files '*.go')

.PHONY: vet
vet: ## Run go vet (amd64 and arm64).
	$(GO) vet ./...
	GOARCH=arm64 $(GO) vet ./...

.PHONY: lint
lint: vet ## Run the linters that are available offline (gofmt check + vet).
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi

.PHONY: services
services: ## Start Redis, RabbitMQ and PostgreSQL for the tests (installs them when missing).
	hack/services.sh

.PHONY: test
test: services test-prereqs ## Run every test against real servers (and envtest).
	$(GO) test -count=1 $(NORACE_PKGS)
	$(TEST_ENV) $(GO) test -count=1 -race -timeout 20m $(RACE_PKGS)

.PHONY: bench
bench: ## Run the Go benchmarks.
	$(GO) test -run '^$$' -bench . -benchmem ./pkg/...

##@ Build

.PHONY: build
build: ## Build the mfn CLI and the manager into bin/.
	CGO_ENABLED=0 $(GO) build -o $(BIN)/mfn ./cmd/mfn
	@if [ -f cmd/main.go ]; then CGO_ENABLED=0 $(GO) build -o $(BIN)/manager ./cmd; fi

.PHONY: help
help: ## Show this help.
	@awk 'BEGIN {FS = ":.*##"} /^[a-zA-Z_0-9-]+:.*?##/ { printf "  %-20s %s\n", $$1, $$2 } /^##@/ { printf "\n%s\n", substr($$0, 5) }' $(MAKEFILE_LIST)

# Extra prerequisites of `make test` (envtest binaries, …) and the environment
# it runs with are added by the mk/*.mk files.
TEST_ENV ?=
.PHONY: test-prereqs
test-prereqs:

-include mk/*.mk
