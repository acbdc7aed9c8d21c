package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/benchctl/benchctl/bench/results"
)

// TestCompareNoisy: head_slow.json regresses against base.json (exit 1).
// With every run of either side flagged as noisy the regression rests on
// noisy data alone: it is printed as not called and the exit status is 0;
// with quiet noise figures on both sides it still fails.
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
		want       int
		says       []string
	}{
		{"quiet sides fail", withNoise("base.json", quiet), withNoise("head_slow.json", quiet), 1, []string{"FAIL: "}},
		{"noisy head is not called", withNoise("base.json", quiet), withNoise("head_slow.json", loud), 0,
			[]string{"noisy, not called", "head is noisy: 45 of 45 measured runs flagged", "PASS: ",
				"Not called: 13 regressions seen only with runs flagged as noisy: floor ns_per_syscall +10.9% (without the 5 noisy runs: ~, p=1.000 n=5+0); ", "; and 10 more; measure again"}},
		{"noisy base is not called", withNoise("base.json", loud), withNoise("head_slow.json", quiet), 0,
			[]string{"noisy, not called", "base is noisy: 44 of 44 measured runs flagged", "Not called: "}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "out.txt")
			err := run([]string{"compare", "-o", out, tc.base, tc.head})
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
