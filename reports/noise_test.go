package reports

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/benchctl/benchctl/bench/compare"
	"github.com/benchctl/benchctl/bench/results"
)

// noisyHandmade is handmadeResults with noise figures: one run, round 1
// of s/enter_exit, had 12.5% steal.
//
//	                 round 0            round 1             round 2            medians (max)
//	baseline         0.5% / 2.0% / 1.0  1.0% / 3.0% / 1.0  0.5% / 2.0% / 1.0  0.50% (1.00%), 2.00% (3.00%), 1.00
//	s/enter_exit     0.4% / 1.0% / 1.2  12.5% / 4.0% / 2.4 0.6% / 2.5% / 1.6  0.60% (12.5%), 2.50% (4.00%), 1.60
//	s/exit_only      0.5% / 2.0% / 1.0  (same)                                0.50% (0.50%), 2.00% (2.00%), 1.00
//
// (steal / outside CPU / load)
func noisyHandmade() *results.Results {
	r := handmadeResults()
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
	md := string(render(t, handmadeResults(), FormatMarkdown, Options{}))
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

// gatePair builds a results file of a baseline (always 1024 ops/s) and
// an exit_only variant v gated on overhead only, with v's throughput per
// round; the rounds in flagged have v's run noisy (45% outside CPU).
func gatePair(throughput []float64, flagged map[int]bool) *results.Results {
	r := &results.Results{
		Schema:   results.SchemaVersion,
		Scenario: results.ScenarioInfo{Name: "gate", Gate: map[string]float64{"overhead": 5}},
		Complete: true,
		Variants: []results.Variant{
			{Name: "baseline", Mode: results.ModeNone, Stats: true, Baseline: true},
			{Name: "v", Mode: results.ModeExitOnly, Stats: true, Syscalls: []string{"getpid"}},
		},
	}
	quiet := &results.Noise{StealPct: 0.5, OutsidePct: 2, Load1: 1}
	for round, tp := range throughput {
		n := quiet
		if flagged[round] {
			n = &results.Noise{StealPct: 1, OutsidePct: 45, Load1: 3}
		}
		r.Runs = append(r.Runs,
			results.Run{Variant: "baseline", Round: round, Workload: results.Result{Throughput: 1024}, Noise: quiet},
			results.Run{Variant: "v", Round: round, Workload: results.Result{Throughput: tp}, Noise: n},
		)
	}
	results.Derive(r)
	return r
}

// TestNoisyComparison: base overhead median (1024 − 963.5)/1024 =
// 5.908%; head's seven flagged rounds at 850 ops/s put its median at
// 16.992%, +11.1 points, a significant regression over all runs. Without
// them one head value remains: 8+1 runs can never reach p ≤ 0.05
// (smallest p 2/9), so the figure is inconclusive, and the gate does not
// pass (until issue 20 this was "noisy, not called", exit status 0).
func TestNoisyComparison(t *testing.T) {
	base := gatePair([]float64{960, 961, 962, 963, 964, 965, 966, 967}, nil)
	flagged := map[int]bool{0: true, 1: true, 2: true, 3: true, 4: true, 5: true, 6: true}
	head := gatePair([]float64{850, 850, 850, 850, 850, 850, 850, 963}, flagged)
	c, err := compare.Compare(base, head, compare.CompareOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if c.Failed() || c.Status() != compare.StatusInconclusive {
		t.Fatalf("failed %v, status %q; want no regression, inconclusive", c.Failed(), c.Status())
	}
	var buf bytes.Buffer
	if err := ComparisonText(&buf, c); err != nil {
		t.Fatal(err)
	}
	txt := buf.String()
	for _, want := range []string{
		"head: 16 measured runs, 7 flagged noisy\n",
		"  INCONCLUSIVE\n",
		"head is noisy: 7 of 16 measured runs flagged (steal > 5% or CPU outside benchctl > 5%): v round 0 (outside CPU 45.0% > 5%);",
		"Inconclusive: 1 figure could not be decided: v overhead (8+1 clean runs (noisy left out: 0 base, 7 head): the Mann-Whitney U test's smallest possible p is 0.222 > alpha 0.05).\n",
		"Left out as noisy: v overhead: 0 base and 7 head values (with them: +11.1 pts, p=",
		"INCONCLUSIVE: no regression called, but 1 of 1 figure could not be decided;",
	} {
		if !strings.Contains(txt, want) {
			t.Errorf("text comparison lacks %q:\n%s", want, txt)
		}
	}
	if !strings.Contains(txt, "base: 16 measured runs\n") || strings.Contains(txt, "PASS") {
		t.Errorf("base side marked noisy, or a pass:\n%s", txt)
	}

	buf.Reset()
	if err := ComparisonMarkdown(&buf, c); err != nil {
		t.Fatal(err)
	}
	if md := buf.String(); !strings.Contains(md, "| ⚠️ inconclusive |") || !strings.Contains(md, "## benchctl compare: gate — ⚠️ inconclusive: 1 figure undecided\n") ||
		!strings.Contains(md, "- Inconclusive: 1 figure could not be decided") {
		t.Errorf("markdown comparison:\n%s", md)
	}

	buf.Reset()
	if err := ComparisonJSON(&buf, c); err != nil {
		t.Fatal(err)
	}
	var js struct {
		Pass         bool   `json:"pass"`
		Status       string `json:"status"`
		Regs         int    `json:"regressions"`
		Inconclusive int    `json:"inconclusive"`
		Head         struct {
			Flagged int `json:"flagged_runs"`
		} `json:"head"`
		Rows []struct {
			Verdict string   `json:"verdict"`
			Reason  string   `json:"reason"`
			MDC     *float64 `json:"min_detectable_change"`
			Noise   *struct {
				HeadNoisy int `json:"head_noisy_values"`
				AllHead   struct {
					N      int     `json:"n"`
					Median float64 `json:"median"`
				} `json:"all_head"`
			} `json:"noise"`
		} `json:"rows"`
	}
	if err := json.Unmarshal(buf.Bytes(), &js); err != nil {
		t.Fatal(err)
	}
	if js.Pass || js.Status != "inconclusive" || js.Regs != 0 || js.Inconclusive != 1 || js.Head.Flagged != 7 || len(js.Rows) != 1 {
		t.Fatalf("json: %+v", js)
	}
	row := js.Rows[0]
	// All head runs: median overhead (1024 − 850)/1024 = 16.9921875%.
	if row.Verdict != "inconclusive" || row.MDC != nil || row.Reason == "" || row.Noise == nil || row.Noise.HeadNoisy != 7 ||
		row.Noise.AllHead.N != 8 || row.Noise.AllHead.Median != 16.9921875 {
		t.Errorf("json row: %+v %+v", row, row.Noise)
	}

	// --inconclusive pass lets it through, and says so.
	c, err = compare.Compare(base, head, compare.CompareOptions{InconclusivePass: true})
	if err != nil {
		t.Fatal(err)
	}
	buf.Reset()
	if err := ComparisonText(&buf, c); err != nil {
		t.Fatal(err)
	}
	if txt := buf.String(); c.Status() != compare.StatusPass || !strings.Contains(txt, "PASS (--inconclusive pass): no regression called; 1 of 1 figure could not be decided.\n") {
		t.Errorf("--inconclusive pass: status %q\n%s", c.Status(), txt)
	}

	// The same head without the noise flags is a called regression.
	quietHead := gatePair([]float64{850, 850, 850, 850, 850, 850, 850, 963}, nil)
	c, err = compare.Compare(base, quietHead, compare.CompareOptions{})
	if err != nil {
		t.Fatal(err)
	}
	buf.Reset()
	if err := ComparisonText(&buf, c); err != nil {
		t.Fatal(err)
	}
	if txt := buf.String(); !c.Failed() || !strings.Contains(txt, "Regression: 1 figure: v overhead +11.1 pts.\nFAIL: 1 gated figure regressed beyond threshold (1 figure compared).\n") || strings.Contains(txt, "Left out as noisy") {
		t.Errorf("quiet head:\n%s", txt)
	}
}
