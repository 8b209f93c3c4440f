#!/usr/bin/env bash
# Publisher throughput through our publishers vs the bare client libraries
# (same messages, same per-message acknowledged operation, same batch size,
# loopback servers), for docs/BENCHMARKS.md, section "Publishers".
#
# Needs Redis on 127.0.0.1:6379 and RabbitMQ on 127.0.0.1:5672 (make services);
# Kafka is the in-process kfake cluster, the webhook server an httptest server.
#
#   hack/bench-publishers.sh                 # 20000 messages per side, 9 rounds
#   BENCH_N=20000 BENCH_COUNT=15 hack/bench-publishers.sh
#   BENCH_PKGS="redis kafka" hack/bench-publishers.sh
#
# Redis, RabbitMQ and Kafka run the "paired" sub-benchmark: "ours" and
# "bare" in the same process, alternating chunks of 5000 messages (ours
# first, then bare first, …), which is what the table compares; Redis and
# Kafka also run "paired-inflight4" (MaxInFlight 4). The webhook package
# has no paired benchmark: its "ours" and "bare" run back to back in
# separate processes, the order swapped every round. Each package's test
# binary is built once and run COUNT rounds; the table gives medians and
# the range over the rounds, the overhead being computed per round.
set -euo pipefail
cd "$(dirname "$0")/.."

N=${BENCH_N:-20000}
COUNT=${BENCH_COUNT:-9}
PKGS=(${BENCH_PKGS:-webhook redis rabbitmq kafka})

bin=$(mktemp -d)
trap 'rm -rf "$bin"' EXIT
for p in "${PKGS[@]}"; do
	go test -c -o "$bin/$p.test" "./pkg/integration/$p"
done

# bench PKG VARIANT [MESSAGES] runs one variant of BenchmarkPublisher once.
bench() {
	(cd "pkg/integration/$1" && "$bin/$1.test" -test.run '^$' -test.bench "^BenchmarkPublisher/$2\$" \
		-test.benchtime "${3:-$N}x" -test.count 1 -test.benchmem) 2>&1 |
		grep -E '^(pkg:|BenchmarkPublisher/|FAIL|panic)' || true
}

raw=$(for ((r = 1; r <= COUNT; r++)); do
	for p in "${PKGS[@]}"; do
		case $p in
		redis | kafka) bench "$p" paired && bench "$p" paired-inflight4 ;;
		rabbitmq) bench "$p" paired ;;
		*)
			if ((r % 2)); then bench "$p" ours && bench "$p" bare; else bench "$p" bare && bench "$p" ours; fi
			;;
		esac
		bench "$p" bare-one-by-one $((N / 10))
	done
done)
if grep -qE '^(FAIL|panic)' <<<"$raw"; then
	echo "$raw" >&2
	exit 1
fi

echo "Publisher throughput, $N messages per side and round, median (and range) of $COUNT rounds, GOMAXPROCS=$(nproc)"
echo
awk '
function sortv(a, n,   i, j, t) {
	for (i = 2; i <= n; i++) { t = a[i]; for (j = i - 1; j >= 1 && a[j] > t; j--) a[j + 1] = a[j]; a[j + 1] = t }
}
function med(a, n) { return (n % 2) ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2 }
# stat(key, n): sets M (median), LO, HI of vals[key, 1..n].
function stat(key,   n, i, a) {
	n = cnt[key]
	for (i = 1; i <= n; i++) a[i] = vals[key, i]
	sortv(a, n); M = med(a, n); LO = a[1]; HI = a[n]
}
function add(key, v) { vals[key, ++cnt[key]] = v }
/^pkg:/ { n = split($2, parts, "/"); pkg = parts[n]; if (!(pkg in seen)) { seen[pkg] = 1; order[++npkg] = pkg } }
/^BenchmarkPublisher\// {
	split($1, name, "/"); variant = name[2]; sub(/-[0-9]+$/, "", variant)
	for (i = 2; i < NF; i++) {
		if ($(i + 1) == "ns/op") ns = $i
		if ($(i + 1) == "ours-msgs/s") om = $i
		if ($(i + 1) == "bare-msgs/s") bm = $i
		if ($(i + 1) == "overhead-%") ov = $i
	}
	if (variant ~ /^paired/) {
		add(pkg SUBSEP variant SUBSEP "ours", om); add(pkg SUBSEP variant SUBSEP "bare", bm)
		add(pkg SUBSEP variant SUBSEP "ov", ov)
	} else if (variant == "ours" || variant == "bare") {
		add(pkg SUBSEP "sep" SUBSEP variant, 1e9 / ns)
	} else {
		add(pkg SUBSEP variant, 1e9 / ns)
	}
}
function row(label, key,   o, olo, ohi, b, blo, bhi) {
	stat(key SUBSEP "ours"); o = M; olo = LO; ohi = HI
	stat(key SUBSEP "bare"); b = M; blo = LO; bhi = HI
	stat(key SUBSEP "ov")
	printf "| %s | %.0f (%.0f–%.0f) | %.0f (%.0f–%.0f) | %+.1f %% (%+.1f … %+.1f) |\n", label, o, olo, ohi, b, blo, bhi, M, LO, HI
}
END {
	printf "| publisher | ours (msgs/s) | bare client (msgs/s) | overhead per round: median (range) |\n"
	printf "|---|---:|---:|---:|\n"
	for (k = 1; k <= npkg; k++) {
		p = order[k]
		if (cnt[p SUBSEP "paired" SUBSEP "ours"] > 0) { row(p, p SUBSEP "paired"); continue }
		# separate processes: pair the i-th ours with the i-th bare (same round)
		n = cnt[p SUBSEP "sep" SUBSEP "ours"]; if (cnt[p SUBSEP "sep" SUBSEP "bare"] < n) n = cnt[p SUBSEP "sep" SUBSEP "bare"]
		for (i = 1; i <= n; i++) {
			add(p SUBSEP "sepr" SUBSEP "ours", vals[p SUBSEP "sep" SUBSEP "ours", i])
			add(p SUBSEP "sepr" SUBSEP "bare", vals[p SUBSEP "sep" SUBSEP "bare", i])
			add(p SUBSEP "sepr" SUBSEP "ov", (vals[p SUBSEP "sep" SUBSEP "bare", i] / vals[p SUBSEP "sep" SUBSEP "ours", i] - 1) * 100)
		}
		row(p " (separate runs)", p SUBSEP "sepr")
	}
	for (k = 1; k <= npkg; k++) {
		p = order[k]
		if (cnt[p SUBSEP "paired-inflight4" SUBSEP "ours"] > 0) row(p " max_in_flight 4", p SUBSEP "paired-inflight4")
	}
	print ""
	for (k = 1; k <= npkg; k++) {
		p = order[k]
		if (cnt[p SUBSEP "bare-one-by-one"] > 0) {
			stat(p SUBSEP "bare-one-by-one")
			printf "Reference: bare %s client sending one message per call: %.0f msgs/s (%.0f–%.0f)\n", p, M, LO, HI
		}
	}
}' <<<"$raw"
