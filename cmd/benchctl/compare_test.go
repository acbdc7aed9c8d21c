package main

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/benchctl/benchctl/bench/results"
)

func TestCompareExitCodes(t *testing.T) {
	scenario := writeModified(t, "head.json", func(r *results.Results) { r.Scenario.Name = "quick" })
	missing := writeModified(t, "head.json", func(r *results.Results) {
		r.Variants = slices.DeleteFunc(r.Variants, func(v results.Variant) bool { return v.Name == "floor" })
	})
	future := writeModified(t, "head.json", func(r *results.Results) { r.Schema = 99 })
	three := func(name string) string {
		return writeModified(t, name, func(r *results.Results) {
			r.Runs = slices.DeleteFunc(r.Runs, func(run results.Run) bool { return run.Round >= 3 })
		})
	}
	base3, slow3 := three("base.json"), three("head_slow.json")
	out := filepath.Join(t.TempDir(), "out")
	for _, tc := range []struct {
		name string
		args []string
		want int
	}{
		{"A/A passes", []string{fixture("base.json"), fixture("head.json")}, 0},
		{"10% slower fails", []string{fixture("base.json"), fixture("head_slow.json")}, 1},
		{"looser thresholds pass", []string{fixture("base.json"), fixture("head_slow.json"), "--threshold", "ns_per_syscall=15", "--threshold=overhead=100"}, 0},
		{"stricter alpha still fails", []string{"--alpha", "0.01", fixture("base.json"), fixture("head_slow.json")}, 1},
		// 3+3 runs can never reach p ≤ 0.05: nothing is decided, and
		// the gate says so (exit 4; before issue 20 this passed, exit 0).
		{"3 samples are inconclusive", []string{base3, slow3}, 4},
		{"3 samples pass when told", []string{base3, slow3, "--inconclusive", "pass"}, 0},
		{"bad --inconclusive", []string{fixture("base.json"), fixture("head.json"), "--inconclusive", "maybe"}, 2},
		{"faster passes", []string{fixture("head_slow.json"), fixture("base.json")}, 0},
		{"other scenario", []string{fixture("base.json"), scenario}, 2},
		{"missing variant", []string{fixture("base.json"), missing}, 2},
		{"unknown schema", []string{fixture("base.json"), future}, 2},
		{"missing file", []string{fixture("base.json"), filepath.Join(t.TempDir(), "none.json")}, 2},
		{"one file", []string{fixture("base.json")}, 2},
		{"unknown metric", []string{fixture("base.json"), fixture("head.json"), "--threshold", "rps=5"}, 2},
		{"bad percentage", []string{fixture("base.json"), fixture("head.json"), "--threshold", "overhead=lots"}, 2},
		{"bad format", []string{fixture("base.json"), fixture("head.json"), "--format", "xml"}, 2},
		{"bad alpha", []string{fixture("base.json"), fixture("head.json"), "--alpha", "0"}, 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			args := append([]string{"compare", "-o", out}, tc.args...)
			err := run(args)
			if code := exitCode(err); code != tc.want {
				t.Errorf("exit %d (%v), want %d", code, err, tc.want)
			}
			if tc.want == 2 && err != nil && !errors.Is(err, errSilent) && err.Error() == "" {
				t.Error("exit 2 without a reason")
			}
		})
	}
}

func TestCompareFormats(t *testing.T) {
	dir := t.TempDir()
	out := func(name string) string { return filepath.Join(dir, name) }
	if code := exitCode(run([]string{"compare", fixture("base.json"), fixture("head_slow.json"), "--format", "json", "-o", out("c.json")})); code != 1 {
		t.Fatalf("exit %d, want 1", code)
	}
	var js struct {
		Pass        bool `json:"pass"`
		Regressions int  `json:"regressions"`
		Rows        []struct {
			Variant, Metric, Verdict string
			ChangePct                *float64 `json:"change_pct"`
		} `json:"rows"`
	}
	data, _ := os.ReadFile(out("c.json"))
	if err := json.Unmarshal(data, &js); err != nil {
		t.Fatal(err)
	}
	if js.Pass || js.Regressions == 0 || len(js.Rows) == 0 || js.Rows[0].ChangePct == nil {
		t.Errorf("json comparison: %+v", js)
	}

	if err := run([]string{"compare", fixture("base.json"), fixture("head.json"), "--format", "github-action-benchmark", "-o", out("gab.json")}); err != nil {
		t.Fatal(err)
	}
	var entries []map[string]any
	data, _ = os.ReadFile(out("gab.json"))
	if err := json.Unmarshal(data, &entries); err != nil {
		t.Fatal(err)
	}
	if len(entries) == 0 {
		t.Fatal("no entries")
	}
	for _, e := range entries {
		if _, ok := e["name"].(string); !ok {
			t.Errorf("entry without a name: %v", e)
		}
		if _, ok := e["value"].(float64); !ok {
			t.Errorf("entry without a numeric value: %v", e)
		}
		if _, ok := e["unit"].(string); !ok {
			t.Errorf("entry without a unit: %v", e)
		}
	}

	if err := run([]string{"compare", fixture("base.json"), fixture("head.json"), "--format", "markdown", "-o", out("c.md")}); err != nil {
		t.Fatal(err)
	}
	md, _ := os.ReadFile(out("c.md"))
	if !strings.Contains(string(md), "✅ no regression") || !strings.Contains(string(md), "| `floor` | `ns_per_syscall` |") {
		t.Errorf("markdown comparison:\n%s", md)
	}
}

// TestCompareCannotPassWhatItCouldNotCompare (issue 29, findings 1 and
// 2): a gated figure a side could not compute, and files measured apart,
// are inconclusive (exit 4), never a pass; --inconclusive pass lifts
// neither, --allow-env-change lifts only the difference it names, and
// nothing lifts a TCG guest or a file compared with itself.
func TestCompareCannotPassWhatItCouldNotCompare(t *testing.T) {
	head := func(mutate func(r *results.Results)) string { return writeModified(t, "head.json", mutate) }
	noPrograms := head(func(r *results.Results) {
		for i := range r.Runs {
			if r.Runs[i].Variant == "small/exit_only" {
				r.Runs[i].Programs = nil
			}
		}
	})
	// A baseline throughput so small that a traced run's throughput over
	// it overflows: an overhead of -Inf in round 0 (not a figure).
	infOverhead := head(func(r *results.Results) {
		for i := range r.Runs {
			if r.Runs[i].Variant == "baseline" && r.Runs[i].Round == 0 {
				r.Runs[i].Workload.Throughput = 1e-305
			}
		}
	})
	tcg := head(func(r *results.Results) {
		r.Environment.Hostname, r.Environment.Guest = "elsewhere", "qemu-tcg"
	})
	kernel := head(func(r *results.Results) { r.Environment.Kernel = "6.1.0-28-amd64" })
	cpu := head(func(r *results.Results) { r.Environment.CPUModel = "Intel(R) Xeon(R) Platinum 8375C" })
	workload := head(func(r *results.Results) { r.Scenario.Workload = "redis: -t get -n 1000" })
	sha := head(func(r *results.Results) { r.Scenario.SHA256 = strings.Repeat("0", 64) })
	schema1 := writeModified(t, "base.json", func(r *results.Results) { r.Schema = 1 })
	both := head(func(r *results.Results) {
		r.Environment.Kernel = "6.1.0-28-amd64"
		r.Environment.CPUs = 16
	})
	for _, tc := range []struct {
		name string
		args []string
		want int
	}{
		{"head without programs", []string{fixture("base.json"), noPrograms}, 4},
		{"head without programs, --inconclusive pass", []string{fixture("base.json"), noPrograms, "--inconclusive", "pass"}, 4},
		{"overhead not finite", []string{fixture("base.json"), infOverhead, "--inconclusive", "pass"}, 4},
		{"TCG guest", []string{fixture("base.json"), tcg}, 4},
		{"TCG guest, every flag", []string{fixture("base.json"), tcg, "--inconclusive", "pass", "--allow-env-change", "kernel,cpu,guest,workload,scenario,schema"}, 4},
		{"other kernel", []string{fixture("base.json"), kernel}, 4},
		{"other kernel allowed", []string{fixture("base.json"), kernel, "--allow-env-change", "kernel"}, 0},
		{"other kernel, the CPU allowed", []string{fixture("base.json"), kernel, "--allow-env-change", "cpu"}, 4},
		{"other CPU model", []string{fixture("base.json"), cpu}, 4},
		{"other CPU model allowed", []string{fixture("base.json"), cpu, "--allow-env-change=cpu"}, 0},
		{"other workload", []string{fixture("base.json"), workload}, 4},
		{"other workload allowed", []string{fixture("base.json"), workload, "--allow-env-change", "workload"}, 0},
		{"other scenario file", []string{fixture("base.json"), sha}, 4},
		{"other scenario file allowed", []string{fixture("base.json"), sha, "--allow-env-change", "scenario"}, 0},
		{"schema 1 against 3", []string{schema1, fixture("head.json")}, 4},
		{"schema 1 against 3 allowed", []string{schema1, fixture("head.json"), "--allow-env-change", "schema"}, 0},
		{"kernel and CPUs, both allowed, repeated", []string{fixture("base.json"), both, "--allow-env-change", "kernel", "--allow-env-change", "cpu"}, 0},
		{"kernel and CPUs, one allowed", []string{fixture("base.json"), both, "--allow-env-change", "kernel"}, 4},
		{"a file with itself", []string{fixture("base.json"), fixture("base.json")}, 4},
		{"a file with itself, every flag", []string{fixture("base.json"), fixture("base.json"), "--inconclusive", "pass", "--allow-env-change", "kernel,cpu,guest,workload,scenario,schema"}, 4},
		{"unknown --allow-env-change", []string{fixture("base.json"), kernel, "--allow-env-change", "tcg"}, 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := run(append([]string{"compare", "-o", filepath.Join(t.TempDir(), "out")}, tc.args...))
			if code := exitCode(err); code != tc.want {
				t.Errorf("exit %d (%v), want %d", code, err, tc.want)
			}
		})
	}
}
