#!/usr/bin/env bash
# Benchmarks of the integration core (breaker, retry loop, batching engine,
# message envelopes). Results go into docs/BENCHMARKS.md, section
# "Integration core".
set -euo pipefail
cd "$(dirname "$0")/.."
go test -run '^$' -bench . -benchmem -count "${COUNT:-5}" \
	./pkg/integration/breaker ./pkg/integration/retry \
	./pkg/integration/batch ./pkg/integration/schema
