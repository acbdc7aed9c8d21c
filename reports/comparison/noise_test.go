package comparison

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/benchctl/benchctl/bench/compare"
	"github.com/benchctl/benchctl/bench/results"
)

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
	if (c.Status() == compare.StatusRegression) || c.Status() != compare.StatusInconclusive {
		t.Fatalf("failed %v, status %q; want no regression, inconclusive", (c.Status() == compare.StatusRegression), c.Status())
	}
	var buf bytes.Buffer
	if err := Text(&buf, c); err != nil {
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
	if err := Markdown(&buf, c); err != nil {
		t.Fatal(err)
	}
	if md := buf.String(); !strings.Contains(md, "| ⚠️ inconclusive |") || !strings.Contains(md, "## benchctl compare: gate — ⚠️ inconclusive: 1 figure undecided\n") ||
		!strings.Contains(md, "- Inconclusive: 1 figure could not be decided") {
		t.Errorf("markdown comparison:\n%s", md)
	}

	buf.Reset()
	if err := JSON(&buf, c); err != nil {
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
	if err := Text(&buf, c); err != nil {
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
	if err := Text(&buf, c); err != nil {
		t.Fatal(err)
	}
	if txt := buf.String(); !(c.Status() == compare.StatusRegression) || !strings.Contains(txt, "Regression: 1 figure: v overhead +11.1 pts.\nFAIL: 1 gated figure regressed beyond threshold (1 figure compared).\n") || strings.Contains(txt, "Left out as noisy") {
		t.Errorf("quiet head:\n%s", txt)
	}
}
