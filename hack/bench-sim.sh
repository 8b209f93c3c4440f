#!/usr/bin/env bash
# Engine + features vs the Python reference.
#
# Runs BenchmarkRun (pkg/sim: seed-42 simulation + the 18 features, the
# workload of shared/perf/python-baseline.md) and prints a markdown table
# with the Python totals beside the Go times and the speed-up; then
# measures the peak resident memory of `mfn simulate` for a 256 x 256,
# 1000-step run with streamed features (jitter off and on).
#
# Environment: BENCHTIME (default 5x), COUNT (default 1), MEM_STEPS (1000).
set -euo pipefail
cd "$(dirname "$0")/.."

benchtime=${BENCHTIME:-5x}
count=${COUNT:-1}
mem_steps=${MEM_STEPS:-1000}

# Python totals in ms (simulate with history + compute_features(history)),
# from shared/perf/python-baseline.md: numpy 1.24.2, 2 vCPU AMD EPYC.
declare -A python=(
	[false/32/64]=12.8 [false/32/200]=45.5 [false/64/64]=22.8 [false/64/200]=60.7
	[false/128/64]=54.2 [false/128/200]=142.7 [false/256/64]=185.1 [false/256/200]=477.9
	[true/32/64]=28.6 [true/32/200]=58.4 [true/64/64]=81.7 [true/64/200]=136.9
	[true/128/64]=298.7 [true/128/200]=458.2 [true/256/64]=1192.9 [true/256/200]=2135.2
)

out=$(go test -run '^$' -bench '^BenchmarkRun$' -benchmem -benchtime "$benchtime" -count "$count" ./pkg/sim)

echo "| jitter | grid | steps | Go ms/op | Python ms | speed-up | B/op | allocs/op |"
echo "|---|---:|---:|---:|---:|---:|---:|---:|"
# With -count > 1 the median of the runs is reported.
echo "$out" | gawk '
	/^BenchmarkRun\// {
		split($1, p, "/"); sub(/-[0-9]+$/, "", p[4])
		key = substr(p[2], 8) "/" substr(p[3], 6) "/" substr(p[4], 7)
		ns[key] = ns[key] " " $3; bytes[key] = $5; allocs[key] = $7
		if (!(key in seen)) { seen[key] = 1; order[++n] = key }
	}
	END {
		for (i = 1; i <= n; i++) {
			k = order[i]; m = split(substr(ns[k], 2), v, " ")
			asort(v); med = (m % 2) ? v[(m + 1) / 2] : (v[m / 2] + v[m / 2 + 1]) / 2
			print k, med / 1e6, bytes[k], allocs[k]
		}
	}' | while read -r key ms bytes allocs; do
	IFS=/ read -r jitter grid steps <<<"$key"
	py=${python[$key]}
	printf '| %s | %s | %s | %.2f | %s | %.1fx | %s | %s |\n' \
		"$jitter" "$grid" "$steps" "$ms" "$py" "$(echo "$py / $ms" | bc -l)" "$bytes" "$allocs"
done

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
go build -o "$tmp/mfn" ./cmd/mfn
echo
echo "| peak memory: mfn simulate, grid 256, $mem_steps steps, streamed features | max RSS |"
echo "|---|---:|"
for jitter in false true; do
	msg="{\"grid_size\": 256, \"steps\": $mem_steps, \"seed\": 42, \"quantum_jitter\": $jitter}"
	rss=$(echo "$msg" | /usr/bin/time -v "$tmp/mfn" simulate --max-steps "$mem_steps" 2>&1 >/dev/null |
		awk -F: '/Maximum resident set size/ { gsub(/ /, "", $2); print $2 }')
	printf '| jitter=%s | %.1f MiB |\n' "$jitter" "$(echo "$rss / 1024" | bc -l)"
done
