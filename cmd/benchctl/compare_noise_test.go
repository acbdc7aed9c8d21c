package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/benchctl/benchctl/bench/results"
)

// TestCompareNoisy: head_slow.json regresses against base.json (exit 1).
// With every run of either side flagged as noisy, ns_per_syscall (a figure
// noise does not move: results.Measure.NoiseFree) still regresses, and
// overhead, judged without the noisy runs, has nothing left to decide on:
// inconclusive. Until issue 20 all of it was "noisy, not called", exit 0.
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
		{"noisy head", withNoise("base.json", quiet), withNoise("head_slow.json", loud), nil, 1,
			[]string{"head is noisy: 45 of 45 measured runs flagged",
				"Regression: 6 figures: floor ns_per_syscall +10.9%; ",
				"Inconclusive: 7 figures could not be decided: floor overhead (no clean values on a side (noisy left out: 0 base, 5 head)); ",
				"Left out as noisy: floor overhead: 0 base and 5 head values (with them: +8.1 pts, p=0.008 n=5); ",
				"FAIL: 6 gated figures regressed beyond threshold (13 figures compared)."}},
		{"noisy head, ns_per_syscall loose", withNoise("base.json", quiet), withNoise("head_slow.json", loud), []string{"--threshold", "ns_per_syscall=50"}, 4,
			[]string{"INCONCLUSIVE: no regression called, but 7 of 13 figures could not be decided"}},
		{"noisy base", withNoise("base.json", loud), withNoise("head_slow.json", quiet), []string{"--threshold", "ns_per_syscall=50"}, 4,
			[]string{"base is noisy: 44 of 44 measured runs flagged", "Inconclusive: 7 figures"}},
		{"--inconclusive pass", withNoise("base.json", loud), withNoise("head_slow.json", quiet), []string{"--threshold", "ns_per_syscall=50", "--inconclusive", "pass"}, 0,
			[]string{"PASS (--inconclusive pass): no regression called; 7 of 13 figures could not be decided."}},
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
// every variant at 6% steal. It exited 0 before ("noisy, not called").
// Now ns_per_syscall keeps its noisy values (noise does not move it) and
// regresses: exit 1. The overhead, judged without the noisy runs, is
// undecidable with 5+2 runs (smallest p 2/21 > 0.05): inconclusive.
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
	if code := exitCode(err); code != 1 {
		t.Errorf("50%% slower, 3 of 5 runs at 6%% steal: exit %d (%v), want 1, never a pass", code, err)
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
	for _, want := range []string{"Inconclusive: 7 figures could not be decided: floor overhead (5+2 clean runs (noisy left out: 0 base, 3 head): " +
		"the Mann-Whitney U test's smallest possible p is 0.095 > alpha 0.05)", "Regression: 6 figures: floor ns_per_syscall +50.0%", "FAIL: "} {
		if !strings.Contains(string(data), want) || strings.Contains(string(data), "PASS") {
			t.Errorf("output lacks %q (or passes):\n%s", want, data)
		}
	}
}

// TestCompareScenarioNoiseThresholds: the base file's scenario noise
// thresholds apply unless the command line sets its own. Head runs at 6%
// steal: flagged at the default 5% (its overhead judged on 2 clean runs:
// inconclusive, exit 4); not flagged at the scenario's 10% (every
// figure decided); flagged again with --noise-steal 5.
func TestCompareScenarioNoiseThresholds(t *testing.T) {
	quiet := results.Noise{StealPct: 0.5, OutsidePct: 1, Load1: 1}
	base := func(noise *results.NoiseThresholds) string {
		return writeModified(t, "base.json", func(r *results.Results) {
			r.Scenario.Noise = noise
			for i := range r.Runs {
				n := quiet
				r.Runs[i].Noise = &n
			}
		})
	}
	head := writeModified(t, "base.json", func(r *results.Results) {
		for i := range r.Runs {
			n := quiet
			if !r.Runs[i].Warmup && r.Runs[i].Round < 3 {
				n.StealPct = 6
			}
			r.Runs[i].Noise = &n
		}
	})
	out := filepath.Join(t.TempDir(), "out.txt")
	ten := &results.NoiseThresholds{StealPct: 10, OutsidePct: 5}
	for _, tc := range []struct {
		name string
		base string
		args []string
		want int
	}{
		{"default 5%", base(nil), nil, 4},
		{"scenario 10%", base(ten), nil, 0},
		{"scenario 10%, --noise-steal 5", base(ten), []string{"--noise-steal", "5"}, 4},
	} {
		err := run(append([]string{"compare", "-o", out, tc.base, head, "--threshold", "ns_per_syscall=100"}, tc.args...))
		if code := exitCode(err); code != tc.want {
			data, _ := os.ReadFile(out)
			t.Errorf("%s: exit %d (%v), want %d\n%s", tc.name, code, err, tc.want, data)
		}
	}
}
