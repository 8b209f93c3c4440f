#!/usr/bin/env bash
# Builds the binaries the envtest suites and the chart tests need, from the
# Go module proxy only (no release tarballs):
#
#   bin/k8s/kube-apiserver   k8s.io/kubernetes        v$K8S_VERSION
#   bin/k8s/etcd             go.etcd.io/etcd/server/v3 v$ETCD_VERSION
#   bin/controller-gen       sigs.k8s.io/controller-tools v$CONTROLLER_GEN_VERSION
#   bin/helm                 helm.sh/helm/v3           v$HELM_VERSION
#
# k8s.io/kubernetes and the etcd server module point their sibling modules at
# directories inside their own repositories (replace => ./staging/src/...,
# replace => ../api, ...). Replace directives of a dependency are ignored, so
# each binary is built from a throwaway module that repeats those replaces
# with the published versions. Every binary is static (CGO_ENABLED=0).
#
# A binary is rebuilt only when it is missing or its version stamp differs,
# so running the script again is cheap. From empty module and build caches
# the whole run took 6m17s on a busy 2-core machine (kube-apiserver 225 s,
# helm 73 s, etcd 48 s, controller-gen 31 s). KUBEBUILDER_ASSETS=bin/k8s points
# envtest at the result.
set -euo pipefail

K8S_VERSION=${K8S_VERSION:-1.37.2}
ETCD_VERSION=${ETCD_VERSION:-3.6.16}
CONTROLLER_GEN_VERSION=${CONTROLLER_GEN_VERSION:-0.23.0}
HELM_VERSION=${HELM_VERSION:-3.22.0}

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BIN=$ROOT/bin
ASSETS=$BIN/k8s
GO=${GO:-go}
export CGO_ENABLED=0 GOFLAGS=-mod=mod GOTOOLCHAIN=local
mkdir -p "$ASSETS"
SCRATCH=$(mktemp -d)
trap 'rm -rf "$SCRATCH"' EXIT

log() { echo "envtest: $*" >&2; }

# stamped NAME VERSION: true when bin/.../NAME exists and its stamp matches.
stamped() {
	[[ -x $1 && -f $1.version && $(<"$1.version") == "$2" ]]
}

# local_replaces GOMOD: the required module paths that GOMOD replaces with a
# directory inside the same repository ("mod => ./staging/..." or "../api");
# replaces of modules it does not require (etcd's FORBIDDEN_DEPENDENCY
# guards) are left out. Plain awk over the go.mod text, so that a fresh
# machine needs nothing but Go.
local_replaces() {
	awk '
		/^require[ \t]*\(/ { block = "require"; next }
		/^replace[ \t]*\(/ { block = "replace"; next }
		/^\)/ { block = ""; next }
		{ sub(/\/\/.*/, "") }
		/^require[ \t]/ { req[$2] = 1; next }
		block == "require" && NF >= 2 { req[$1] = 1; next }
		/^replace[ \t]/ || block == "replace" {
			line = $0
			sub(/^replace[ \t]+/, "", line)
			split(line, side, "=>")
			split(side[1], old, " ")
			split(side[2], new, " ")
			if (new[1] ~ /^\.\.?\//) rep[old[1]] = 1
		}
		END { for (m in rep) if (m in req) print m }
	' "$1" | sort
}

# scratch_module DIR MODULE VERSION: a throwaway module in DIR that requires
# MODULE@VERSION and replaces each sibling module with its published
# SIBLING_VERSION (given as $4).
scratch_module() {
	local dir=$1 mod=$2 version=$3 sibling_version=$4 gomod args=()
	mkdir -p "$dir"
	(
		cd "$dir"
		"$GO" mod init envtest.local/build >/dev/null 2>&1
		gomod=$("$GO" mod download -json "$mod@$version" | sed -n 's/^[[:space:]]*"GoMod": "\(.*\)",*$/\1/p')
		[[ -f $gomod ]] || { log "no go.mod for $mod@$version"; exit 1; }
		while read -r sib; do
			[[ -n $sib ]] && args+=(-replace "$sib=$sib@$sibling_version")
		done < <(local_replaces "$gomod")
		((${#args[@]})) || { log "$mod@$version replaces no sibling modules: unexpected layout"; exit 1; }
		"$GO" mod edit -require "$mod@$version" "${args[@]}"
	)
}

build_apiserver() {
	local out=$ASSETS/kube-apiserver want=v$K8S_VERSION
	if stamped "$out" "$want"; then log "kube-apiserver $want already built"; return; fi
	local tmp=$SCRATCH/kubernetes start=$SECONDS
	log "building kube-apiserver $want (a few minutes)"
	scratch_module "$tmp" k8s.io/kubernetes "$want" "v0.${K8S_VERSION#1.}"
	local minor=${K8S_VERSION#1.}
	minor=${minor%%.*}
	local v=k8s.io/component-base/version
	(
		cd "$tmp"
		"$GO" build -trimpath -o "$out.tmp" \
			-ldflags "-s -w -X $v.gitVersion=$want -X $v.gitMajor=1 -X $v.gitMinor=$minor -X $v.gitTreeState=clean" \
			k8s.io/kubernetes/cmd/kube-apiserver
	)
	mv "$out.tmp" "$out"
	echo "$want" >"$out.version"
	log "kube-apiserver $want built in $((SECONDS - start))s"
}

build_etcd() {
	local out=$ASSETS/etcd want=v$ETCD_VERSION
	if stamped "$out" "$want"; then log "etcd $want already built"; return; fi
	local tmp=$SCRATCH/etcd start=$SECONDS
	log "building etcd $want"
	scratch_module "$tmp" go.etcd.io/etcd/server/v3 "$want" "$want"
	(
		cd "$tmp"
		"$GO" build -trimpath -o "$out.tmp" -ldflags "-s -w" go.etcd.io/etcd/server/v3
	)
	mv "$out.tmp" "$out"
	echo "$want" >"$out.version"
	log "etcd $want built in $((SECONDS - start))s"
}

# go_install NAME PACKAGE VERSION: go install into bin/ with a version stamp.
go_install() {
	local name=$1 pkg=$2 want=v$3
	if stamped "$BIN/$name" "$want"; then log "$name $want already installed"; return; fi
	local start=$SECONDS
	log "installing $name $want"
	GOBIN=$BIN "$GO" install -trimpath "$pkg@$want"
	echo "$want" >"$BIN/$name.version"
	log "$name $want installed in $((SECONDS - start))s"
}

case ${1:-all} in
all)
	build_etcd
	go_install controller-gen sigs.k8s.io/controller-tools/cmd/controller-gen "$CONTROLLER_GEN_VERSION"
	go_install helm helm.sh/helm/v3/cmd/helm "$HELM_VERSION"
	build_apiserver
	;;
tools)
	go_install controller-gen sigs.k8s.io/controller-tools/cmd/controller-gen "$CONTROLLER_GEN_VERSION"
	go_install helm helm.sh/helm/v3/cmd/helm "$HELM_VERSION"
	;;
k8s)
	build_etcd
	build_apiserver
	;;
*)
	echo "usage: $0 [all|tools|k8s]" >&2
	exit 2
	;;
esac
