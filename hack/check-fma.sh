#!/usr/bin/env bash
# Fails when the compiler emitted a fused multiply-add in the bit-exact
# simulation packages. The reference (numpy) rounds every product on its
# own; Go fuses x*y+z on arm64 (and amd64 with GOAMD64=v3), which changes
# the last bit. Products are protected with explicit float64(...)
# conversions; this check proves none was missed. The one intended use,
# the out-of-line fma helper of pkg/sim/rng/log1p.go (the reference's libm
# fuses there), is exempt.
set -euo pipefail
pkgs=(./pkg/sim ./pkg/sim/rng ./pkg/sim/reduce)
status=0
check() {
	local label=$1 pattern=$2
	shift 2
	local out
	# The -S listing starts each function with an unindented header line;
	# report fused instructions of every function except rng.fma.
	out=$(env "$@" go build -gcflags=-S "${pkgs[@]}" 2>&1 | awk -v pat="$pattern" '
		/^[^ \t]/ { fn = $1 }
		$0 ~ pat && fn !~ /\/pkg\/sim\/rng\.fma$/ { print fn ": " $0 }
	' || true)
	if [[ -n $out ]]; then
		echo "fused multiply-add in $label build:"
		echo "$out"
		status=1
	else
		echo "$label: no fused multiply-add"
	fi
}
check arm64 '(FMADDD|FMSUBD|FNMADDD|FNMSUBD)[[:space:]]' GOARCH=arm64
check amd64-v3 'VF(N)?M(ADD|SUB)[0-9]+SD[[:space:]]' GOARCH=amd64 GOAMD64=v3
# Hand-written assembly must not use fused multiply-adds either.
asm=$(grep -n -i -E '^[[:space:]]*(V?F(N)?M(ADD|SUB)[0-9A-Z]*)[[:space:]]' pkg/sim/*.s pkg/sim/rng/*.s pkg/sim/reduce/*.s 2>/dev/null || true)
if [[ -n $asm ]]; then
	echo "fused multiply-add in assembly:"
	echo "$asm"
	status=1
else
	echo "assembly: no fused multiply-add"
fi
exit $status
