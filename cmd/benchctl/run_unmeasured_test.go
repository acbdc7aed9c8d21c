package main

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/benchctl/benchctl/bench/results"
)

// TestRunVariantMeasuredNothing: a tracer that exits at once fails every
// run of its variant; the others are measured. run writes the results
// and the report, then exits 1, and its summary says which variant
// measured nothing and why. It used to exit 0.
func TestRunVariantMeasuredNothing(t *testing.T) {
	requireRun(t)
	text := strings.NewReplacer("%s", "count: 1000", "repetitions: 1\n", "repetitions: 2\n").Replace(tinyScenario)
	sc := writeFile(t, "quitter.yaml", text+`tracers:
  quitter:
    argv: [/bin/true]
    sets: {getpid: []}
`)
	out := filepath.Join(t.TempDir(), "r.json")
	cmd := benchctl("run", sc, "-o", out, "--seed", "1")
	var stdout, stderr strings.Builder
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	if exitStatus(err) != 1 || !strings.Contains(stderr.String(), "1 of 3 variants measured nothing: getpid/quitter") {
		t.Errorf("exit %d, stderr:\n%s\nwant exit 1 naming getpid/quitter", exitStatus(err), stderr.String())
	}
	if !strings.Contains(stdout.String(), "measured nothing: getpid/quitter: all 2 of its runs failed; the first: ") {
		t.Errorf("the summary does not say why:\n%s", stdout.String())
	}
	res, rerr := results.ReadResults(out)
	if rerr != nil {
		t.Fatal(rerr)
	}
	if !res.Complete || len(res.RunsOf("getpid/exit_only")) != 2 || len(res.RunsOf("baseline")) != 2 {
		t.Errorf("results: complete %v, %d runs", res.Complete, len(res.Runs))
	}
	if n, _ := res.FailedRuns("getpid/quitter"); n != 2 {
		t.Errorf("%d failed runs of getpid/quitter, want 2", n)
	}
}
