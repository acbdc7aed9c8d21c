#!/bin/sh
# Builds the test cluster's binaries into OUTDIR: kube (kube-apiserver,
# kube-controller-manager and kubelet in one binary) and pause (the sandbox
# container's program). Usage: build.sh OUTDIR
#
# OUTDIR/sources.sha256 records the sources they were built from (this
# directory and ../VERSION): while they match, nothing is rebuilt.
set -eu
out=$1
cd "$(dirname "$0")"
version=$(cat ../VERSION)
sum=$(cat ../VERSION build.sh go.mod go.sum main.go pause/main.go | sha256sum | cut -d' ' -f1)
if [ -x "$out/kube" ] && [ -x "$out/pause" ] && [ "$(cat "$out/sources.sha256" 2>/dev/null)" = "$sum" ]; then
	echo "Kubernetes $version binaries in $out are up to date"
	exit 0
fi
echo "building Kubernetes $version (kube-apiserver, kube-controller-manager, kubelet) into $out: the first build takes a while"
minor=$(echo "$version" | cut -d. -f2)

mkdir -p "$out"
go build -trimpath \
	-ldflags "-s -w -X k8s.io/component-base/version.gitVersion=$version -X k8s.io/component-base/version.gitMajor=1 -X k8s.io/component-base/version.gitMinor=$minor -X k8s.io/component-base/version.gitTreeState=clean" \
	-o "$out/kube.tmp" .
CGO_ENABLED=0 go build -trimpath -ldflags "-s -w" -o "$out/pause.tmp" ./pause
mv "$out/pause.tmp" "$out/pause"
mv "$out/kube.tmp" "$out/kube"
echo "$sum" >"$out/sources.sha256"
