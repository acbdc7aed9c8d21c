package bench

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"
)

// TestRunnerFailureBeforeFirstRunLeavesOutput: a run that fails before
// its first run ends (here the fingerprint's run of a command that exits
// 1) leaves the results file at Output byte-identical (run --force gets
// this far with one), and says it wrote nothing. It used to remove it.
func TestRunnerFailureBeforeFirstRunLeavesOutput(t *testing.T) {
	requireProbes(t)
	sc := mustParse(t, `name: fails
workload: {type: command, argv: [/bin/false]}
sets: {getpid: [getpid]}
modes: [exit_only]
floor: false
repetitions: 1
warmup: 0
`)
	out := filepath.Join(t.TempDir(), "r.json")
	old := []byte(`{"schema": 3, "earlier": "results"}` + "\n")
	if err := os.WriteFile(out, old, 0o644); err != nil {
		t.Fatal(err)
	}
	r, err := NewRunner(sc, RunOptions{Output: out})
	if err != nil {
		t.Fatal(err)
	}
	res, err := r.Run(context.Background())
	if err == nil || len(res.Runs) != 0 {
		t.Fatalf("err = %v, %d runs; want a failure before the first run", err, len(res.Runs))
	}
	if got, rerr := os.ReadFile(out); !bytes.Equal(got, old) {
		t.Errorf("the results file now holds %q (%v), want it as it was", got, rerr)
	}
	if r.Saved() {
		t.Error("Saved() is true, but nothing was written")
	}
}
