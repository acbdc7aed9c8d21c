package reports

import (
	"strings"
	"testing"

	"github.com/benchctl/benchctl/bench/results"
	"github.com/benchctl/benchctl/reports/internal/golden"
)

// noisyHandmade is golden.Handmade with noise figures: one run, round 1
// of s/enter_exit, had 12.5% steal.
//
//	                 round 0            round 1             round 2            medians (max)
//	baseline         0.5% / 2.0% / 1.0  1.0% / 3.0% / 1.0  0.5% / 2.0% / 1.0  0.50% (1.00%), 2.00% (3.00%), 1.00
//	s/enter_exit     0.4% / 1.0% / 1.2  12.5% / 4.0% / 2.4 0.6% / 2.5% / 1.6  0.60% (12.5%), 2.50% (4.00%), 1.60
//	s/exit_only      0.5% / 2.0% / 1.0  (same)                                0.50% (0.50%), 2.00% (2.00%), 1.00
//
// (steal / outside CPU / load)
func noisyHandmade() *results.Results {
	r := golden.Handmade()
	type key struct {
		variant string
		round   int
	}
	set := map[key]*results.Noise{
		{"baseline", 1}:     {StealPct: 1, OutsidePct: 3, Load1: 1},
		{"s/enter_exit", 0}: {StealPct: 0.4, OutsidePct: 1, Load1: 1.2},
		{"s/enter_exit", 1}: {StealPct: 12.5, OutsidePct: 4, Load1: 2.4},
		{"s/enter_exit", 2}: {StealPct: 0.6, OutsidePct: 2.5, Load1: 1.6},
	}
	for i := range r.Runs {
		run := &r.Runs[i]
		run.Noise = &results.Noise{StealPct: 0.5, OutsidePct: 2, Load1: 1}
		if n, ok := set[key{run.Variant, run.Round}]; ok {
			run.Noise = n
		}
	}
	return r
}

func TestNoiseReport(t *testing.T) {
	md := string(render(t, noisyHandmade(), FormatMarkdown, Options{}))
	for _, want := range []string{
		"Warning: 1 of 9 measured runs were flagged as noisy (steal above 5%, or CPU time used outside benchctl above 5%, of the machine's CPU time): `s/enter_exit` 1.",
		"## Noise",
		"| variant | runs | flagged | steal | outside CPU | load |\n" +
			"| --- | ---: | ---: | ---: | ---: | ---: |\n" +
			"| `baseline` | 3 | 0 | 0.50% (1.00%) | 2.00% (3.00%) | 1.00 |\n" +
			"| `s/enter_exit` | 3 | 1 | 0.60% (12.5%) | 2.50% (4.00%) | 1.60 |\n" +
			"| `s/exit_only` | 3 | 0 | 0.50% (0.50%) | 2.00% (2.00%) | 1.00 |\n",
		"Noise: steal 0.60%, outside CPU 2.50%, load 1.60 (medians); flagged as noisy: round 1 (steal 12.5% &gt; 5%).", // markdown escapes ">"
		"Noise: steal 0.50%, outside CPU 2.00%, load 1.00 (medians); no run flagged.",
	} {
		if !strings.Contains(md, want) {
			t.Errorf("markdown report lacks:\n%s\n--- report:\n%s", want, md)
			return
		}
	}
	txt := string(render(t, noisyHandmade(), FormatText, Options{}))
	if !strings.Contains(txt, "s/enter_exit     3        1  0.60% (12.5%)  2.50% (4.00%)  1.60\n") {
		t.Errorf("text report lacks the noise line of s/enter_exit:\n%s", txt)
	}
	r := noisyHandmade()
	if got := noisyMark(r, "s/enter_exit", 1); got != ", noisy" {
		t.Errorf("mark of a flagged round: %q", got)
	}
	if got := noisyMark(r, "s/enter_exit", 0) + noisyMark(r, "s/exit_only", 1); got != "" {
		t.Errorf("mark of quiet rounds: %q", got)
	}
}

// TestNoiseReportQuiet: a file without noise figures gets no noise
// section and no warning; one with only quiet runs gets the section and
// no warning.
func TestNoiseReportQuiet(t *testing.T) {
	md := string(render(t, golden.Handmade(), FormatMarkdown, Options{}))
	if strings.Contains(md, "Noise") || strings.Contains(md, "noisy") {
		t.Errorf("a file without noise figures mentions noise:\n%s", md)
	}
	r := noisyHandmade()
	for i := range r.Runs {
		r.Runs[i].Noise = &results.Noise{StealPct: 0.5, OutsidePct: 2, Load1: 1}
	}
	md = string(render(t, r, FormatMarkdown, Options{}))
	if !strings.Contains(md, "## Noise") || strings.Contains(md, "flagged as noisy") || !strings.Contains(md, "| `s/enter_exit` | 3 | 0 | 0.50% (0.50%) | 2.00% (2.00%) | 1.00 |") {
		t.Errorf("quiet file:\n%s", md)
	}
}

// TestNoiseReportThresholds: the report flags by the thresholds given
// with the results (the command line's --noise-steal and --noise-outside,
// or the scenario's), and says those, not the defaults. At 15% steal the
// 12.5% run is quiet; at 2% outside CPU four runs are above it.
func TestNoiseReportThresholds(t *testing.T) {
	r := noisyHandmade()
	r.SetNoiseThresholds(results.NoiseThresholds{StealPct: 15, OutsidePct: 2})
	md := string(render(t, r, FormatMarkdown, Options{}))
	for _, want := range []string{
		"Warning: 3 of 9 measured runs were flagged as noisy (steal above 15%, or CPU time used outside benchctl above 2%, of the machine's CPU time)",
		"A run is flagged with steal above 15%, or CPU time used outside benchctl above 2%, of the machine's CPU time;",
		"flagged as noisy: round 1 (outside CPU 4.0% &gt; 2%); round 2 (outside CPU 2.5% &gt; 2%).",
	} {
		if !strings.Contains(md, want) {
			t.Errorf("markdown report lacks:\n%s\n--- report:\n%s", want, md)
		}
	}
}
