package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/benchctl/benchctl/bench/results"
)

// historyFiles writes n results files (copies of base.json, an hour
// apart) into a new folder; from run step on, every program's run time
// is 10% longer, so ns_per_syscall steps up by 10%.
func historyFiles(t *testing.T, n, step int) string {
	t.Helper()
	dir := t.TempDir()
	r0, err := results.ReadResults(fixture("base.json"))
	if err != nil {
		t.Fatal(err)
	}
	data, _ := json.Marshal(r0)
	for i := range n {
		var r results.Results
		if err := json.Unmarshal(data, &r); err != nil {
			t.Fatal(err)
		}
		r.Started = r.Started.Add(time.Duration(i) * time.Hour)
		for j := range r.Runs {
			f := 1 + 0.003*float64((i*7+j)%5-2)
			if i >= step {
				f *= 1.10
			}
			for k := range r.Runs[j].Programs {
				r.Runs[j].Programs[k].RunTimeNs = uint64(float64(r.Runs[j].Programs[k].RunTimeNs) * f)
			}
		}
		if err := r.Write(filepath.Join(dir, fmt.Sprintf("run-%02d.json", i))); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func processExit(t *testing.T, err error) int {
	t.Helper()
	var ee *exec.ExitError
	switch {
	case err == nil:
		return 0
	case errors.As(err, &ee):
		return ee.ExitCode()
	}
	t.Fatal(err)
	return -1
}

func TestHistoryCommand(t *testing.T) {
	dir := historyFiles(t, 16, 8)
	db := filepath.Join(t.TempDir(), "h.db")
	run := func(args ...string) (string, int) {
		t.Helper()
		out, err := benchctl(append([]string{"history"}, args...)...).CombinedOutput()
		return string(out), processExit(t, err)
	}
	if out, code := run("import", "--db", db, dir); code != 0 || !strings.Contains(out, "16 results files read: 16 recorded, 0 already there") {
		t.Fatalf("import: exit %d\n%s", code, out)
	}
	if out, code := run("import", "--db", db, dir, filepath.Join(dir, "run-03.json")); code != 0 || !strings.Contains(out, "17 results files read: 0 recorded, 17 already there") {
		t.Fatalf("second import: exit %d\n%s", code, out)
	}
	out, code := run("show", "--db", db, "--metric", "ns_per_syscall", "--variant", "small/exit_only", "--format", "json")
	var shown struct {
		Series []struct {
			Runs    int `json:"runs"`
			Changes []struct {
				Index      int     `json:"index"`
				Change     float64 `json:"change"`
				FirstAfter struct {
					Path string `json:"path"`
				} `json:"first_after"`
			} `json:"changes"`
		} `json:"series"`
	}
	if err := json.Unmarshal([]byte(out), &shown); err != nil || code != 0 {
		t.Fatalf("show: exit %d, %v\n%s", code, err, out)
	}
	if len(shown.Series) != 1 || shown.Series[0].Runs != 16 || len(shown.Series[0].Changes) != 1 {
		t.Fatalf("show: %+v", shown)
	}
	if c := shown.Series[0].Changes[0]; c.Index != 8 || c.Change < 8 || c.Change > 12 || filepath.Base(c.FirstAfter.Path) != "run-08.json" {
		t.Errorf("change: %+v, want at run-08.json, about +10%%", c)
	}
	if out, code := run("show", "--db", db, "--metric", "ns_per_syscall", "--variant", "small/exit_only", "--format", "markdown"); code != 0 || !strings.Contains(out, "| 9 | +") {
		t.Errorf("markdown: exit %d\n%s", code, out)
	}
	if out, code := run("show", "--db", db, "--metric", "ns_per_syscall", "--env", "host=elsewhere"); code != 0 || !strings.Contains(out, "no series") {
		t.Errorf("another host: exit %d\n%s", code, out)
	}
	if out, code := run("check", "--db", db, "--metric", "ns_per_syscall"); code != 1 || !strings.Contains(out, "regression") {
		t.Errorf("check: exit %d, want 1\n%s", code, out)
	}
	if out, code := run("check", "--db", db, "--metric", "ns_per_syscall", "--threshold", "ns_per_syscall=20"); code != 0 {
		t.Errorf("check with a 20%% threshold: exit %d, want 0\n%s", code, out)
	}
	r0, _ := results.ReadResults(fixture("base.json"))
	since := r0.Started.Add(10 * time.Hour).UTC().Format(time.RFC3339)
	if out, code := run("check", "--db", db, "--metric", "ns_per_syscall", "--since", since); code != 0 {
		t.Errorf("check --since after the step: exit %d, want 0\n%s", code, out)
	}
	short := filepath.Join(t.TempDir(), "short.db")
	run("import", "--db", short, filepath.Join(dir, "run-00.json"), filepath.Join(dir, "run-01.json"))
	if out, code := run("check", "--db", short); code != 4 || !strings.Contains(out, "too few") {
		t.Errorf("check of 2 runs: exit %d, want 4\n%s", code, out)
	}
	if out, code := run("show", "--db", db, "--metric", "nope"); code != 2 {
		t.Errorf("unknown metric: exit %d, want 2\n%s", code, out)
	}
}
