#!/usr/bin/env bash
# The interleaved gate's false alarms and power on live probes:
# scenarios/gate.yaml (10 rounds) PAIRS times for each of four kinds,
# taken in turn so that drift lands on all of them alike:
#   aa     this build as base and head;
#   big    the head tracer planted with `trace --count --plant BIG`;
#   small  the head planted with `--plant SMALL`;
#   hog    as big, with a CPU hog (`sh -c 'while :; do :; done'`) beside it.
# Each is judged by `compare --base-tracer base --head-tracer head` with
# `--load-growth 1000`: a plant adds verified instructions, which the load
# gate would call on its own, and this script measures the timing gate.
# Prints per kind the exit codes, how many pairs called a regression, and
# per gated figure its verdicts and changes (jq).
# Usage, as root from the repository root:
#   scripts/plant-gate.sh PAIRS BIG SMALL [OUTDIR]
# Sizing here (2026-12-03, docs/measurements/gate-aa.md): --plant 10 was
# +3 to +23% kernel ns per getpid (median +13.7%), --plant 5 median +7.3%.
set -euo pipefail
pairs=${1:?pairs}
big=${2:?plant iterations for +10%}
small=${3:?plant iterations for +5%}
out=${4:-$(mktemp -d)}
mkdir -p "$out"
b="$PWD/bin/benchctl"
[ -x "$b" ] || make build
for n in "$big" "$small"; do
	printf '#!/bin/sh\ncmd=$1; shift\nexec %s "$cmd" --plant %d "$@"\n' "$b" "$n" > "$out/benchctl-plant$n"
	chmod +x "$out/benchctl-plant$n"
done
hog=""
trap '[ -n "$hog" ] && kill "$hog" 2>/dev/null || true' EXIT
kinds=(aa big small hog)
for i in $(seq 1 "$pairs"); do
	for kind in "${kinds[@]}"; do
		head="$b"
		case $kind in big | hog) head="$out/benchctl-plant$big" ;; small) head="$out/benchctl-plant$small" ;; esac
		if [ "$kind" = hog ]; then
			sh -c 'while :; do :; done' &
			hog=$!
		fi
		"$b" run scenarios/gate.yaml --set BASE_BENCHCTL="$b" --set HEAD_BENCHCTL="$head" --seed "$((i * 10))" -o "$out/$kind-$i.json" >/dev/null 2>&1
		if [ -n "$hog" ]; then
			kill "$hog"
			wait "$hog" 2>/dev/null || true
			hog=""
		fi
		status=0
		"$b" compare "$out/$kind-$i.json" --base-tracer base --head-tracer head --load-growth 1000 --format json -o "$out/$kind-c$i.json" >/dev/null || status=$?
		echo "$kind $i: exit $status"
	done
done
for kind in "${kinds[@]}"; do
	codes=$(for i in $(seq 1 "$pairs"); do jq -r '.status' "$out/$kind-c$i.json"; done | paste -sd' ')
	called=$(for i in $(seq 1 "$pairs"); do jq -r '[.rows[] | select(.verdict == "regression")] | length > 0' "$out/$kind-c$i.json"; done | grep -c true || true)
	echo "== $kind: statuses $codes; pairs with a regression called: $called of $pairs"
	jq -rs '[.[].rows[]] | group_by(.variant + " " + .metric)[] | "  \(.[0].variant) \(.[0].metric): " + ([.[] | "\(.verdict[0:4]) \((.change_pct // 0) * 10 | round / 10)"] | join(", "))' "$out/$kind"-c*.json
done
