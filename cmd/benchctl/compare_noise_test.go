package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/benchctl/benchctl/bench/results"
)

// TestCompareNoisy: head_slow.json regresses against base.json (exit 1).
// With every run of either side flagged as noisy nothing is left to
// decide on: every figure is inconclusive and the exit status is 4 (until
// issue 20 this was "noisy, not called", exit 0); with quiet noise figures
// on both sides it still fails.
func TestCompareNoisy(t *testing.T) {
	withNoise := func(name string, n results.Noise) string {
		return writeModified(t, name, func(r *results.Results) {
			for i := range r.Runs {
				n := n
				r.Runs[i].Noise = &n
			}
		})
	}
	quiet := results.Noise{StealPct: 0.5, OutsidePct: 2, Load1: 1}
	loud := results.Noise{StealPct: 14, OutsidePct: 48, Load1: 4}
	for _, tc := range []struct {
		name       string
		base, head string
		args       []string
		want       int
		says       []string
	}{
		{"quiet sides fail", withNoise("base.json", quiet), withNoise("head_slow.json", quiet), nil, 1, []string{"FAIL: "}},
		{"noisy head is inconclusive", withNoise("base.json", quiet), withNoise("head_slow.json", loud), nil, 4,
			[]string{"INCONCLUSIVE\n", "head is noisy: 45 of 45 measured runs flagged",
				"Inconclusive: 13 figures could not be decided: floor ns_per_syscall (no clean values on a side (noisy left out: 0 base, 5 head)); ",
				"Left out as noisy: floor ns_per_syscall: 0 base and 5 head values (with them: +10.9%, p=0.008 n=5); ",
				"INCONCLUSIVE: no regression called, but 13 of 13 figures could not be decided"}},
		{"noisy base is inconclusive", withNoise("base.json", loud), withNoise("head_slow.json", quiet), nil, 4,
			[]string{"base is noisy: 44 of 44 measured runs flagged", "Inconclusive: "}},
		{"--inconclusive pass", withNoise("base.json", loud), withNoise("head_slow.json", quiet), []string{"--inconclusive", "pass"}, 0,
			[]string{"PASS (--inconclusive pass): no regression called; 13 of 13 figures could not be decided."}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "out.txt")
			err := run(append([]string{"compare", "-o", out, tc.base, tc.head}, tc.args...))
			if code := exitCode(err); code != tc.want {
				t.Errorf("exit %d (%v), want %d", code, err, tc.want)
			}
			data, err := os.ReadFile(out)
			if err != nil {
				t.Fatal(err)
			}
			for _, s := range tc.says {
				if !strings.Contains(string(data), s) {
					t.Errorf("output lacks %q:\n%s", s, data)
				}
			}
		})
	}
}

// TestCompareNoisyRegressionNeverPasses is the case issue 20 confirmed:
// head is base.json with every program 50% slower and 3 of the 5 runs of
// every variant at 6% steal. Without the steal it is a regression (exit
// 1); with it, the two clean runs per variant cannot decide the program
// figures (2+5 runs: smallest p 2/21 > 0.05), so the gate must not pass:
// it exited 0 before ("noisy, not called").
func TestCompareNoisyRegressionNeverPasses(t *testing.T) {
	slower := func(steal bool) func(r *results.Results) {
		return func(r *results.Results) {
			for i := range r.Runs {
				run := &r.Runs[i]
				for j := range run.Programs {
					run.Programs[j].RunTimeNs = run.Programs[j].RunTimeNs * 3 / 2
				}
				n := results.Noise{StealPct: 0.5, OutsidePct: 1, Load1: 1}
				if steal && !run.Warmup && run.Round < 3 {
					n.StealPct = 6
				}
				run.Noise = &n
			}
			results.Derive(r)
		}
	}
	base := writeModified(t, "base.json", func(r *results.Results) {
		for i := range r.Runs {
			r.Runs[i].Noise = &results.Noise{StealPct: 0.5, OutsidePct: 1, Load1: 1}
		}
	})
	quietHead := writeModified(t, "base.json", slower(false))
	stolenHead := writeModified(t, "base.json", slower(true))
	out := filepath.Join(t.TempDir(), "out.txt")
	if code := exitCode(run([]string{"compare", "-o", out, base, quietHead})); code != 1 {
		t.Errorf("50%% slower, quiet: exit %d, want 1", code)
	}
	err := run([]string{"compare", "-o", out, base, stolenHead})
	if code := exitCode(err); code == 0 || code == 2 {
		t.Errorf("50%% slower, 3 of 5 runs at 6%% steal: exit %d (%v), want 1 or 4, never a pass", code, err)
	}
	data, _ := os.ReadFile(out)
	// The noise thresholds are the command line's: at --noise-steal 10
	// the 6% runs are not flagged, and the regression is called.
	if code := exitCode(run([]string{"compare", "-o", out + ".2", base, stolenHead, "--noise-steal", "10"})); code != 1 {
		t.Errorf("--noise-steal 10: exit %d, want 1", code)
	}
	if code := exitCode(run([]string{"compare", "-o", out + ".3", base, stolenHead, "--noise-outside", "-1"})); code != 2 {
		t.Errorf("--noise-outside -1: exit %d, want 2", code)
	}
	for _, want := range []string{"Inconclusive: 13 figures could not be decided: floor ns_per_syscall (5+2 clean runs (noisy left out: 0 base, 3 head): " +
		"the Mann-Whitney U test's smallest possible p is 0.095 > alpha 0.05)", "INCONCLUSIVE: "} {
		if !strings.Contains(string(data), want) || strings.Contains(string(data), "PASS") {
			t.Errorf("output lacks %q (or passes):\n%s", want, data)
		}
	}
}
