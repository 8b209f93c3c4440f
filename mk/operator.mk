# Operator foundation: envtest binaries, code and manifest generation, Helm
# chart and container image. Included by the top-level Makefile.

CONTROLLER_GEN ?= $(BIN)/controller-gen
HELM           ?= $(BIN)/helm
IMG            ?= ghcr.io/mfn-io/mfn-operator:dev
CONTAINER_TOOL ?= docker
CHART_DIR      := dist/chart

# Files written by `make generate manifests`; verify-gen fails when they
# differ from what is committed.
GENERATED_PATHS = api/v1alpha1/zz_generated.deepcopy.go config/crd/bases config/rbac/role.yaml \
	$(CHART_DIR)/crds $(CHART_DIR)/files/manager-role.yaml

##@ Operator

.PHONY: envtest
envtest: ## Build kube-apiserver and etcd into bin/k8s and install controller-gen and helm into bin/ (cached by version).
	hack/envtest.sh all

$(CONTROLLER_GEN) $(HELM):
	hack/envtest.sh tools

.PHONY: generate
generate: $(CONTROLLER_GEN) ## Generate zz_generated.deepcopy.go for api/.
	$(CONTROLLER_GEN) object:headerFile=hack/boilerplate.go.txt paths=./api/...

.PHONY: manifests
manifests: $(CONTROLLER_GEN) ## Generate CRDs and RBAC into config/ and copy the CRDs into the Helm chart.
	$(CONTROLLER_GEN) rbac:roleName=manager-role crd \
		paths=./api/... paths=./internal/controller/... \
		output:crd:artifacts:config=config/crd/bases output:rbac:artifacts:config=config/rbac
	$(MAKE) --no-print-directory chart-sync

.PHONY: chart-sync
chart-sync: ## Copy the generated CRDs and manager role rules into the Helm chart.
	mkdir -p $(CHART_DIR)/crds $(CHART_DIR)/files
	rm -f $(CHART_DIR)/crds/*.yaml
	cp config/crd/bases/*.yaml $(CHART_DIR)/crds/
	cp config/rbac/role.yaml $(CHART_DIR)/files/manager-role.yaml

.PHONY: verify-gen
verify-gen: generate manifests ## Fail when the committed generated files differ from a fresh generation.
	@out=$$(git status --porcelain -- $(GENERATED_PATHS)); \
	if [ -n "$$out" ]; then \
		echo "verify-gen: generated files are out of date; run 'make generate manifests' and commit:"; \
		echo "$$out"; git --no-pager diff -- $(GENERATED_PATHS) | head -100; exit 1; \
	fi

.PHONY: helm-lint
helm-lint: $(HELM) ## Lint the Helm chart in dist/chart.
	$(HELM) lint --strict $(CHART_DIR)

.PHONY: docker-build
docker-build: ## Build the image $(IMG) (manager and mfn binaries); needs a Docker engine.
	$(CONTAINER_TOOL) build -t $(IMG) .

.PHONY: docker-push
docker-push: ## Push the image $(IMG).
	$(CONTAINER_TOOL) push $(IMG)

test-prereqs: envtest verify-gen

TEST_ENV += KUBEBUILDER_ASSETS=$(CURDIR)/bin/k8s
