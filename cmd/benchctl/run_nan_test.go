package main

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/benchctl/benchctl/bench/results"
)

// nanScenario is a command workload whose throughput line is "100
// ops/s", except in the run the counter file makes number %d (0 is the
// fingerprint's pass), which prints "NaN ops/s".
const nanScenario = `name: nan
workload:
  type: command
  shell: true
  argv: ['n=$(cat "$1" 2>/dev/null || echo 0); echo $((n+1)) > "$1"; if [ "$n" = %d ]; then echo "NaN ops/s"; else echo "100 ops/s"; fi', '%s']
  throughput_regex: '(?P<value>\S+) ops/s'
sets: {getpid: [getpid]}
modes: [exit_only]
floor: false
repetitions: 2
warmup: 0
`

// TestRunNaNFailsOnlyThatRun: a command workload printing "NaN ops/s"
// fails that run only; every other run, measured before it and after
// it, is in the results file, and the NaN run is there with its error.
// It used to abort the run with "json: unsupported value: NaN" and leave
// a file without the runs measured since the last checkpoint.
func TestRunNaNFailsOnlyThatRun(t *testing.T) {
	requireRun(t)
	for _, nanRun := range []int{1, 3} {
		dir := t.TempDir()
		sc := writeFile(t, "nan.yaml", strings.NewReplacer("%d", string(rune('0'+nanRun)), "%s", filepath.Join(dir, "count")).Replace(nanScenario))
		out := filepath.Join(dir, "r.json")
		cmd := benchctl("run", sc, "-o", out, "--seed", "1")
		var stderr strings.Builder
		cmd.Stderr = &stderr
		if err := cmd.Run(); err != nil {
			t.Errorf("NaN in run %d: %v; stderr:\n%s", nanRun, err, stderr.String())
		}
		res, err := results.ReadResults(out)
		if err != nil {
			t.Fatalf("NaN in run %d: %v; stderr:\n%s", nanRun, err, stderr.String())
		}
		if !res.Complete || len(res.Runs) != 4 {
			t.Errorf("NaN in run %d: complete %v, %d runs; want all 4", nanRun, res.Complete, len(res.Runs))
		}
		for i, run := range res.Runs {
			switch {
			case i == nanRun-1 && !strings.Contains(run.Error, "not a finite number"):
				t.Errorf("NaN in run %d: run %d error %q, want not a finite number", nanRun, i+1, run.Error)
			case i != nanRun-1 && (run.Error != "" || run.Workload.Throughput != 100):
				t.Errorf("NaN in run %d: run %d error %q, throughput %v; want 100", nanRun, i+1, run.Error, run.Workload.Throughput)
			}
		}
	}
}
