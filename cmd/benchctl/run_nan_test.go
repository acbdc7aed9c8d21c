package main

import (
	"os"
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

// TestRunTracerNaNCounterFailsOnlyThatRun: a tracer (benchctl trace
// --count behind a shell that prints "weird: nan" once it stopped) whose
// counter is NaN fails its runs only, each kept with an error naming the
// counter; the other variants' runs are all in the file. As that variant
// measured nothing, run exits 1. It used to abort with "json:
// unsupported value: NaN".
func TestRunTracerNaNCounterFailsOnlyThatRun(t *testing.T) {
	requireRun(t)
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	text := strings.Replace(tinyScenario, "%s", "count: 1000", 1) + `tracers:
  nan:
    shell: true
    argv: ['trap "kill -INT $p" INT; "$1" trace --count --mode exit_only --syscalls getpid & p=$!; wait $p; wait $p; echo "weird: nan"', '` + self + `']
    sets: {getpid: []}
    ready: {output: 'benchctl trace: ready'}
    stop: {signal: SIGINT}
    counters:
      - 'events received +(?P<events>\d+)'
      - 'weird: (?P<weird>\S+)'
`
	sc := writeFile(t, "nan.yaml", text)
	out := filepath.Join(t.TempDir(), "r.json")
	cmd := benchctl("run", sc, "-o", out, "--seed", "1")
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Run(); exitStatus(err) != 1 {
		t.Errorf("exit %d, want 1; stderr:\n%s", exitStatus(err), stderr.String())
	}
	res, err := results.ReadResults(out)
	if err != nil {
		t.Fatalf("%v; stderr:\n%s", err, stderr.String())
	}
	if !res.Complete || len(res.Runs) != 3 || len(res.RunsOf("baseline")) != 1 || len(res.RunsOf("getpid/exit_only")) != 1 {
		t.Errorf("complete %v, %d runs; want 3, the baseline's and exit_only's measured", res.Complete, len(res.Runs))
	}
	if n, first := res.FailedRuns("getpid/nan"); n != 1 || !strings.Contains(first, `counter weird: "nan": not a finite number`) {
		t.Errorf("getpid/nan: %d failed, %q; want its run failed naming the counter; stderr:\n%s", n, first, stderr.String())
	}
}
