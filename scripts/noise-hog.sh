#!/usr/bin/env bash
# Which figures does machine load move? scenarios/ci.yaml (both modes on
# getpid, with program stats) PAIRS times quiet and PAIRS times beside a
# CPU hog (`sh -c 'while :; do :; done'`, not pinned; killed by its pid
# afterwards), alternating. Then each hog run is compared with the quiet
# run before it, and each quiet run with the previous quiet run (the A/A
# floor), on every figure the gate can judge that ci.yaml has; the
# comparison over all runs (noisy ones included) is used, since the hog
# flags every run it touches. Prints per figure the median |change| of
# quiet→quiet and quiet→hog (python3).
# Usage, as root from the repository root: scripts/noise-hog.sh [PAIRS] [OUTDIR]
set -euo pipefail
pairs=${1:-3}
out=${2:-$(mktemp -d)}
mkdir -p "$out"
b="$PWD/bin/benchctl"
[ -x "$b" ] || make build
hog=""
trap '[ -n "$hog" ] && kill "$hog" 2>/dev/null || true' EXIT
only=(--only baseline,getpid/enter_exit,getpid/exit_only)
th=(--threshold ns_per_syscall=10 --threshold kernel_time=10 --threshold overhead=10 --threshold drop_ratio=10 --inconclusive pass)
for i in $(seq 1 "$pairs"); do
	"$b" run scenarios/ci.yaml "${only[@]}" --seed "$i" -o "$out/quiet-$i.json" >/dev/null 2>&1
	sh -c 'while :; do :; done' &
	hog=$!
	"$b" run scenarios/ci.yaml "${only[@]}" --seed "$i" -o "$out/hog-$i.json" >/dev/null 2>&1
	kill "$hog"
	wait "$hog" 2>/dev/null || true
	hog=""
	"$b" compare "$out/quiet-$i.json" "$out/hog-$i.json" "${th[@]}" --format json -o "$out/c-hog-$i.json" || true
	if [ "$i" -gt 1 ]; then
		"$b" compare "$out/quiet-$((i - 1)).json" "$out/quiet-$i.json" "${th[@]}" --format json -o "$out/c-aa-$i.json" || true
	fi
	echo "pair $i of $pairs done ($out)"
done
python3 - "$out" <<'PY'
import glob, json, statistics, sys
out = sys.argv[1]
def change(r):
    n = r.get("noise") or {}
    b = (n.get("all_base") or r["base"])["median"]
    h = (n.get("all_head") or r["head"])["median"]
    if r["threshold_unit"] == "points":
        return h - b, " pts"
    return (100 * (h - b) / abs(b) if b else float("nan")), "%"
for kind in ["aa", "hog"]:
    files = sorted(glob.glob(f"{out}/c-{kind}-*.json"))
    rows = [r for f in files for r in json.load(open(f))["rows"]]
    print(f"{'quiet→quiet' if kind == 'aa' else 'quiet→hog'}: {len(files)} comparisons")
    for metric in sorted({r["metric"] for r in rows}):
        ch = [change(r) for r in rows if r["metric"] == metric]
        vals = [c for c, _ in ch]
        unit = ch[0][1]
        print(f"  {metric}: change median {statistics.median(vals):+.1f}{unit}, |change| max {max(abs(v) for v in vals):.1f}{unit} (n={len(vals)})")
    steal = [run["noise"]["steal_pct"] for f in sorted(glob.glob(f"{out}/{'quiet' if kind == 'aa' else 'hog'}-*.json"))
             for run in json.load(open(f))["runs"] if run.get("noise")]
    outside = [run["noise"]["outside_pct"] for f in sorted(glob.glob(f"{out}/{'quiet' if kind == 'aa' else 'hog'}-*.json"))
               for run in json.load(open(f))["runs"] if run.get("noise")]
    print(f"  runs' steal median {statistics.median(steal):.1f}% (max {max(steal):.1f}%), outside CPU median {statistics.median(outside):.1f}% (max {max(outside):.1f}%)")
PY
