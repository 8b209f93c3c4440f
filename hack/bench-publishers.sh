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
# Each package's test binary is built once; then, COUNT rounds, each
# running "ours" and "bare" back to back in separate processes, the order
# swapped every round (ours first in odd rounds, bare in the middle; Redis
# and Kafka also run "ours-inflight4", MaxInFlight 4),
# so background load and warm-up affect both sides alike. The table gives
# the median ns/op of each side and the range over the rounds.
set -euo pipefail
cd "$(dirname "$0")/.."

N=${BENCH_N:-3000}
COUNT=${BENCH_COUNT:-5}
PKGS=(${BENCH_PKGS:-webhook redis rabbitmq kafka})

bin=$(mktemp -d)
trap 'rm -rf "$bin"' EXIT
for p in "${PKGS[@]}"; do
	go test -c -o "$bin/$p.test" "./pkg/integration/$p"
done

# bench PKG VARIANT runs one variant of BenchmarkPublisher once.
bench() {
	(cd "pkg/integration/$1" && "$bin/$1.test" -test.run '^$' -test.bench "^BenchmarkPublisher/$2\$" \
		-test.benchtime "${N}x" -test.count 1 -test.benchmem) 2>&1 |
		grep -E '^(pkg:|BenchmarkPublisher/|FAIL|panic)' || true
}

raw=$(for ((r = 1; r <= COUNT; r++)); do
	for p in "${PKGS[@]}"; do
		if ((r % 2)); then order=(ours bare ours-inflight4); else order=(ours-inflight4 bare ours); fi
		for v in "${order[@]}"; do bench "$p" "$v"; done
		bench "$p" bare-one-by-one
	done
done)
if grep -qE '^(FAIL|panic)' <<<"$raw"; then
	echo "$raw" >&2
	exit 1
fi

echo "Publisher throughput, $N messages per run, median (and range) of $COUNT alternating rounds, GOMAXPROCS=$(nproc)"
echo
awk '
function sortv(a, n,   i, j, t) {
	for (i = 2; i <= n; i++) { t = a[i]; for (j = i - 1; j >= 1 && a[j] > t; j--) a[j + 1] = a[j]; a[j + 1] = t }
}
function med(a, n) { return (n % 2) ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2 }
# stat(key): sets M (median), LO, HI of the ns/op values of key.
function stat(key,   n, i, a) {
	n = cnt[key]
	for (i = 1; i <= n; i++) a[i] = val[key, i]
	sortv(a, n); M = med(a, n); LO = a[1]; HI = a[n]
}
/^pkg:/ { n = split($2, parts, "/"); pkg = parts[n]; if (!(pkg in seen)) { seen[pkg] = 1; order[++npkg] = pkg } }
/^BenchmarkPublisher\// {
	split($1, name, "/"); variant = name[2]; sub(/-[0-9]+$/, "", variant)
	for (i = 2; i <= NF; i++) if ($(i + 1) == "ns/op") ns = $i
	key = pkg SUBSEP variant; val[key, ++cnt[key]] = ns
}
END {
	printf "| publisher | ours (msgs/s) | bare client (msgs/s) | overhead, medians | overhead per round: median (range) |\n"
	printf "|---|---:|---:|---:|---:|\n"
	for (k = 1; k <= npkg; k++) {
		p = order[k]
		stat(p SUBSEP "ours"); o = M; olo = LO; ohi = HI
		stat(p SUBSEP "bare"); b = M; blo = LO; bhi = HI
		# ours and bare of the same round are paired (same load).
		n = cnt[p SUBSEP "ours"]; if (cnt[p SUBSEP "bare"] < n) n = cnt[p SUBSEP "bare"]
		delete r
		for (i = 1; i <= n; i++) r[i] = (val[p SUBSEP "ours", i] / val[p SUBSEP "bare", i] - 1) * 100
		sortv(r, n)
		printf "| %s | %.0f (%.0f–%.0f) | %.0f (%.0f–%.0f) | %+.1f %% | %+.1f %% (%+.1f … %+.1f) |\n",
			p, 1e9 / o, 1e9 / ohi, 1e9 / olo, 1e9 / b, 1e9 / bhi, 1e9 / blo, (o - b) / b * 100, med(r, n), r[1], r[n]
	}
	for (k = 1; k <= npkg; k++) {
		p = order[k]
		if (cnt[p SUBSEP "ours-inflight4"] == 0) continue
		stat(p SUBSEP "ours-inflight4"); o = M; olo = LO; ohi = HI
		stat(p SUBSEP "bare"); b = M
		n = cnt[p SUBSEP "ours-inflight4"]; if (cnt[p SUBSEP "bare"] < n) n = cnt[p SUBSEP "bare"]
		delete r
		for (i = 1; i <= n; i++) r[i] = (val[p SUBSEP "ours-inflight4", i] / val[p SUBSEP "bare", i] - 1) * 100
		sortv(r, n)
		printf "\n%s with max_in_flight 4: %.0f msgs/s (%.0f–%.0f), overhead %+.1f %% on medians, per round %+.1f %% (%+.1f … %+.1f)\n",
			p, 1e9 / o, 1e9 / ohi, 1e9 / olo, (o - b) / b * 100, med(r, n), r[1], r[n]
	}
	for (k = 1; k <= npkg; k++) {
		p = order[k]
		if (cnt[p SUBSEP "bare-one-by-one"] > 0) {
			stat(p SUBSEP "bare-one-by-one")
			printf "\nReference: bare %s client sending one message per call: %.0f msgs/s (%.0f–%.0f)\n",
				p, 1e9 / M, 1e9 / HI, 1e9 / LO
		}
	}
}' <<<"$raw"
