#!/usr/bin/env bash
# Publisher throughput through our publishers vs the bare client libraries
# (same messages, same per-message acknowledged operation, same batch size,
# loopback servers), for docs/BENCHMARKS.md, section "Publishers".
#
# Needs Redis on 127.0.0.1:6379 and RabbitMQ on 127.0.0.1:5672 (make services);
# Kafka is the in-process kfake cluster, the webhook server an httptest server.
#
#   hack/bench-publishers.sh                 # 3000 messages per run, 5 runs
#   BENCH_N=10000 BENCH_COUNT=9 hack/bench-publishers.sh
#
# Runs of "ours" and "bare" alternate inside each package (go test -count),
# and the table uses the median ns/op of each, so background load affects
# both sides alike.
set -euo pipefail
cd "$(dirname "$0")/.."

N=${BENCH_N:-3000}
COUNT=${BENCH_COUNT:-5}
PKGS=(./pkg/integration/webhook ./pkg/integration/redis ./pkg/integration/rabbitmq ./pkg/integration/kafka)

raw=$(go test -run '^$' -bench '^BenchmarkPublisher$' -benchtime "${N}x" -count "$COUNT" "${PKGS[@]}" 2>&1 |
	grep -E '^(pkg:|BenchmarkPublisher/|FAIL|ok)' || true)
if grep -q '^FAIL' <<<"$raw"; then
	echo "$raw" >&2
	exit 1
fi

echo "Publisher throughput, $N messages per run, median of $COUNT runs, GOMAXPROCS=$(nproc)"
echo
awk '
function median(key,   n, i, j, t, a) {
	n = cnt[key]
	for (i = 1; i <= n; i++) a[i] = val[key, i]
	for (i = 2; i <= n; i++) { t = a[i]; for (j = i - 1; j >= 1 && a[j] > t; j--) a[j + 1] = a[j]; a[j + 1] = t }
	return (n % 2) ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
}
/^pkg:/ { n = split($2, parts, "/"); pkg = parts[n]; if (!(pkg in seen)) { seen[pkg] = 1; order[++npkg] = pkg } }
/^BenchmarkPublisher\// {
	split($1, name, "/"); variant = name[2]; sub(/-[0-9]+$/, "", variant)
	for (i = 2; i <= NF; i++) if ($(i + 1) == "ns/op") ns = $i
	key = pkg SUBSEP variant; val[key, ++cnt[key]] = ns
}
END {
	printf "| publisher | ours (msgs/s) | bare client (msgs/s) | overhead |\n|---|---:|---:|---:|\n"
	for (k = 1; k <= npkg; k++) {
		p = order[k]; o = median(p SUBSEP "ours"); b = median(p SUBSEP "bare")
		printf "| %s | %.0f | %.0f | %+.1f %% |\n", p, 1e9 / o, 1e9 / b, (o - b) / b * 100
	}
	for (k = 1; k <= npkg; k++) {
		p = order[k]
		if (cnt[p SUBSEP "bare-one-by-one"] > 0)
			printf "\nReference: bare %s client sending one message per call: %.0f msgs/s\n",
				p, 1e9 / median(p SUBSEP "bare-one-by-one")
	}
}' <<<"$raw"
