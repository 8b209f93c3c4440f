#!/usr/bin/env bash
# Fails when the compiler emitted a fused multiply-add in the bit-exact
# simulation packages. The reference (numpy) rounds every product on its
# own; Go fuses x*y+z on arm64 (and amd64 with GOAMD64=v3), which changes
# the last bit. Products are protected with explicit float64(...)
# conversions; this check proves none was missed.
set -euo pipefail
pkgs=(./pkg/sim ./pkg/sim/rng ./pkg/sim/reduce)
status=0
check() {
	local label=$1 pattern=$2
	shift 2
	local out
	out=$(env "$@" go build -gcflags=-S "${pkgs[@]}" 2>&1 | grep -E "$pattern" || true)
	if [[ -n $out ]]; then
		echo "fused multiply-add in $label build:"
		echo "$out"
		status=1
	else
		echo "$label: no fused multiply-add"
	fi
}
check arm64 '\b(FMADDD|FMSUBD|FNMADDD|FNMSUBD)\b' GOARCH=arm64
check amd64-v3 '\bVF(N)?M(ADD|SUB)[0-9]+SD\b' GOARCH=amd64 GOAMD64=v3
exit $status
