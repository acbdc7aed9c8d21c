#!/usr/bin/env bash
# A/A test of the pull-request gate: the same benchctl build on both sides,
# gated the sequential way (scenarios/ci.yaml run twice, then compare) and
# the interleaved way (scenarios/gate.yaml once, compare --base-tracer
# --head-tracer), PAIRS times each. Then counts regressions called,
# significant changes and the spread of the changes (python3).
# Usage, as root from the repository root: scripts/aa-gate.sh [PAIRS] [OUTDIR]
set -euo pipefail
pairs=${1:-6}
out=${2:-$(mktemp -d)}
mkdir -p "$out"
b="$PWD/bin/benchctl"
[ -x "$b" ] || make build
for i in $(seq 1 "$pairs"); do
	"$b" run scenarios/ci.yaml --only getpid/enter_exit,getpid/exit_only --repetitions 6 --warmup 1 --seed "$i" -o "$out/seq-a$i.json" >/dev/null 2>&1
	"$b" run scenarios/ci.yaml --only getpid/enter_exit,getpid/exit_only --repetitions 6 --warmup 1 --seed $((i + 100)) -o "$out/seq-b$i.json" >/dev/null 2>&1
	"$b" compare "$out/seq-a$i.json" "$out/seq-b$i.json" --format json -o "$out/seq-c$i.json" || true
	"$b" run scenarios/gate.yaml --set BASE_BENCHCTL="$b" --set HEAD_BENCHCTL="$b" --seed "$i" -o "$out/int-$i.json" >/dev/null 2>&1
	"$b" compare "$out/int-$i.json" --base-tracer base --head-tracer head --format json -o "$out/int-c$i.json" || true
	echo "pair $i of $pairs done"
done
python3 - "$out" <<'PY'
import glob, json, statistics, sys
out = sys.argv[1]
for kind, pat in [("sequential", "seq-c*.json"), ("interleaved", "int-c*.json")]:
    files = sorted(glob.glob(f"{out}/{pat}"))
    rows = [r for f in files for r in json.load(open(f))["rows"]]
    regs = sum(r["verdict"] == "regression" for r in rows)
    sig = sum(r["significant"] for r in rows)
    print(f"{kind}: {len(files)} pairs, {len(rows)} gated figures, {regs} regressions, {sig} significant changes")
    for metric in sorted({r["metric"] for r in rows}):
        ch = [abs(r["change_pct"]) if r["threshold_unit"] == "percent" else abs(r["head"]["median"] - r["base"]["median"])
              for r in rows if r["metric"] == metric]
        unit = "%" if rows and any(r["threshold_unit"] == "percent" for r in rows if r["metric"] == metric) else " points"
        print(f"  {metric}: |change| median {statistics.median(ch):.1f}{unit}, max {max(ch):.1f}{unit}")
PY
