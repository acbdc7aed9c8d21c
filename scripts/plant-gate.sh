#!/usr/bin/env bash
# The interleaved gate's false alarms and power on live probes:
# scenarios/gate.yaml with this build on both sides, PAIRS times as A/A,
# then PAIRS times with the head tracer planted (`trace --count --plant
# N`, through a wrapper that adds the flag), each followed by
# `compare --base-tracer base --head-tracer head` (paired, four
# verdicts). Prints, per kind, the exit codes and the verdicts of the
# gated figures (jq).
# Usage, as root from the repository root: scripts/plant-gate.sh PAIRS N [OUTDIR]
set -euo pipefail
pairs=${1:?pairs}
plant=${2:?plant iterations}
out=${3:-$(mktemp -d)}
mkdir -p "$out"
b="$PWD/bin/benchctl"
[ -x "$b" ] || make build
w="$out/benchctl-plant$plant"
printf '#!/bin/sh\ncmd=$1; shift\nexec %s "$cmd" --plant %d "$@"\n' "$b" "$plant" > "$w"
chmod +x "$w"
for kind in aa plant; do
	head="$b"
	[ "$kind" = plant ] && head="$w"
	for i in $(seq 1 "$pairs"); do
		"$b" run scenarios/gate.yaml --set BASE_BENCHCTL="$b" --set HEAD_BENCHCTL="$head" --seed "$i" -o "$out/$kind-$i.json" >/dev/null 2>&1
		status=0
		"$b" compare "$out/$kind-$i.json" --base-tracer base --head-tracer head --format json -o "$out/$kind-c$i.json" || status=$?
		echo "$kind $i: exit $status"
	done
done
for kind in aa plant; do
	echo "== $kind (plant $plant on the head for 'plant')"
	for f in "$out/$kind"-c*.json; do
		jq -r '[.status] + [.rows[] | "\(.variant) \(.metric) \(.verdict) change \((.change_pct // 0) | .*10 | round / 10)% p=\(.p | .*1000 | round / 1000) detectable \(.min_detectable_change // "inf")"] | join(" | ")' "$f"
	done
done
