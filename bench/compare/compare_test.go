package compare

import (
	"errors"
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/benchctl/benchctl/bench/results"
	"github.com/benchctl/benchctl/bench/stats"
)

func TestCompareAA(t *testing.T) {
	// Two runs of the same code (different noise) pass the gate.
	c, err := Compare(readFixture(t, "base.json"), readFixture(t, "head.json"), CompareOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if regressed(c) {
		for _, r := range c.Regressions() {
			t.Errorf("A/A regression: %s %s %+.1f%% %s", r.Variant, r.Metric, r.ChangePct(), r.Delta)
		}
	}
	if c.Alpha != stats.DefaultAlpha || c.Scenario != "redis" {
		t.Errorf("alpha %v scenario %q", c.Alpha, c.Scenario)
	}
	if got := c.Metrics(); !slices.Equal(got, []string{"ns_per_syscall", "overhead"}) {
		t.Errorf("metrics = %v, want the scenario's gate", got)
	}
	for _, row := range c.Rows {
		if row.Variant == "baseline" || row.Variant == "baseline_nostats" {
			t.Errorf("baseline gated: %+v", row)
		}
		if row.Variant == "small/exit_only_nostats" && row.Metric == "ns_per_syscall" {
			t.Error("stats-off variant gated on kernel time")
		}
	}
	// 7 probe variants × overhead, 6 with stats × ns_per_syscall.
	if len(c.Rows) != 13 {
		t.Errorf("%d rows, want 13", len(c.Rows))
	}
	if len(c.Warnings) != 0 {
		t.Errorf("warnings: %q", c.Warnings)
	}
}

func TestCompareTenPercentSlower(t *testing.T) {
	c, err := Compare(readFixture(t, "base.json"), readFixture(t, "head_slow.json"), CompareOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if !regressed(c) {
		t.Fatal("10% slower probes pass the gate")
	}
	flagged := map[string]bool{}
	for _, r := range c.Regressions() {
		flagged[r.Variant+" "+r.Metric] = true
		if !r.Significant || r.Change() <= r.Threshold {
			t.Errorf("regression that is not significant or within threshold: %+v", r)
		}
	}
	for _, v := range []string{"floor", "small/enter_exit", "small/exit_only", "big/enter_exit", "big/exit_only", "big/exit_only+stash"} {
		if !flagged[v+" ns_per_syscall"] {
			t.Errorf("%s ns_per_syscall not flagged", v)
		}
		if !flagged[v+" overhead"] {
			t.Errorf("%s overhead not flagged", v)
		}
	}

	// A looser threshold turns ns_per_syscall from regression into
	// "within threshold"; overhead keeps its own.
	c, err = Compare(readFixture(t, "base.json"), readFixture(t, "head_slow.json"),
		CompareOptions{Thresholds: map[string]float64{"ns_per_syscall": 15}})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range c.Rows {
		if r.Metric == "ns_per_syscall" && r.Verdict != stats.VerdictNoChange {
			t.Errorf("%s ns_per_syscall with 15%% threshold: %s", r.Variant, r.Verdict)
		}
		if r.Metric == "overhead" && r.Threshold != 5 {
			t.Errorf("overhead threshold %v, want the scenario's 5", r.Threshold)
		}
	}

	// The other way round it is an improvement.
	c, err = Compare(readFixture(t, "head_slow.json"), readFixture(t, "base.json"), CompareOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if regressed(c) {
		t.Error("faster head fails the gate")
	}
	for _, r := range c.Rows {
		if r.Metric == "ns_per_syscall" && r.Verdict != stats.VerdictImprovement {
			t.Errorf("%s: %s, want improvement", r.Variant, r.Verdict)
		}
	}
}

// keepRounds drops every measured round from n on.
func keepRounds(r *results.Results, n int) *results.Results {
	out := *r
	out.Runs = nil
	for _, run := range r.Runs {
		if run.Round < n {
			out.Runs = append(out.Runs, run)
		}
	}
	return &out
}

func TestCompareThreeSamplesNotSignificant(t *testing.T) {
	base := keepRounds(readFixture(t, "base.json"), 3)
	head := keepRounds(readFixture(t, "head_slow.json"), 3)
	c, err := Compare(base, head, CompareOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if regressed(c) {
		t.Error("a 10% change on 3 samples called a regression")
	}
	for _, r := range c.Rows {
		if r.Variant == "big/exit_only+stash" {
			continue // 2 base samples (round 2 failed)
		}
		if r.Base.N != 3 || r.Head.N != 3 {
			t.Errorf("%s %s: n=%d+%d", r.Variant, r.Metric, r.Base.N, r.Head.N)
		}
		if r.Metric == "ns_per_syscall" && (r.ChangePct() < 6 || r.ChangePct() > 14) {
			t.Errorf("%s: change %.1f%%, want ~10%%", r.Variant, r.ChangePct())
		}
		// 3+3 runs cannot reach p ≤ 0.05 (smallest p 0.1): nothing can
		// be decided, and the verdict says so (before issue 20: "~").
		if r.P < 0.1-1e-9 || r.Verdict != stats.VerdictInconclusive || !slices.Contains(r.Warnings, stats.WarnNoDetect) ||
			!strings.Contains(r.Reason, "smallest possible p is 0.100 > alpha 0.05") || !math.IsInf(r.MDC, 1) {
			t.Errorf("%s %s: p=%v verdict %q (%s) mdc %v warnings %q", r.Variant, r.Metric, r.P, r.Verdict, r.Reason, r.MDC, r.Warnings)
		}
	}
}

func TestCompareIncomparable(t *testing.T) {
	for name, mutate := range map[string]func(b, h *results.Results){
		"scenario": func(b, h *results.Results) { h.Scenario.Name = "quick" },
		"schema":   func(b, h *results.Results) { h.Schema = results.SchemaVersion + 1 },
		"missing variant": func(b, h *results.Results) {
			h.Variants = slices.DeleteFunc(h.Variants, func(v results.Variant) bool { return v.Name == "big/exit_only" })
		},
		"extra variant": func(b, h *results.Results) {
			h.Variants = append(h.Variants, results.Variant{Name: "huge/exit_only", Mode: "exit_only", Set: "huge"})
		},
		"no runs": func(b, h *results.Results) {
			h.Runs = slices.DeleteFunc(h.Runs, func(r results.Run) bool { return r.Variant == "floor" })
		},
		"unknown gate metric": func(b, h *results.Results) { b.Scenario.Gate = map[string]float64{"latency": 5} },
	} {
		t.Run(name, func(t *testing.T) {
			b, h := readFixture(t, "base.json"), readFixture(t, "head.json")
			mutate(b, h)
			_, err := Compare(b, h, CompareOptions{})
			if !errors.Is(err, ErrIncomparable) {
				t.Fatalf("err = %v, want ErrIncomparable", err)
			}
			if name == "schema" && !errors.Is(err, results.ErrSchema) {
				t.Errorf("err = %v, want ErrSchema too", err)
			}
			if name == "missing variant" && !strings.Contains(err.Error(), "big/exit_only") {
				t.Errorf("err = %v does not name the variant", err)
			}
		})
	}
}

func TestCompareWarnings(t *testing.T) {
	b, h := readFixture(t, "base.json"), readFixture(t, "head.json")
	h.Environment.Kernel = "6.12.0"
	h.Complete = false
	h.Reason = "interrupted"
	h.Variants[3].Snaplen = 256
	c, err := Compare(b, h, CompareOptions{Alpha: 0.01})
	if err != nil {
		t.Fatal(err)
	}
	joined := strings.Join(c.Warnings, "\n")
	for _, want := range []string{"head results are incomplete: interrupted", "variant small/enter_exit changed: snaplen 80 → 256"} {
		if !strings.Contains(joined, want) {
			t.Errorf("warnings %q lack %q", c.Warnings, want)
		}
	}
	if c.Alpha != 0.01 || c.Rows[0].Alpha != 0.01 {
		t.Errorf("alpha not applied: %v", c.Alpha)
	}
}

// TestThresholdsFromBase: the thresholds come from the base file's
// scenario, never from the head's: a head that raised its own gate
// (here ns_per_syscall to 50%) is still judged at the base's 5%. The
// scenario files differ, so the comparison is inconclusive unless the
// reader allows it (--allow-env-change scenario): then it is the
// regression the base's thresholds call.
func TestThresholdsFromBase(t *testing.T) {
	base, head := readFixture(t, "base.json"), readFixture(t, "head_slow.json")
	base.Scenario.Gate = map[string]float64{"ns_per_syscall": 5}
	head.Scenario.Gate = map[string]float64{"ns_per_syscall": 50}
	head.Scenario.SHA256 = "0000" + base.Scenario.SHA256
	c, err := Compare(base, head, CompareOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if b := c.Blocked(); len(b) != 1 || b[0].What != ChangeScenario || c.Status() != StatusInconclusive {
		t.Errorf("blocked by %+v, status %s; want the scenario files, inconclusive", b, c.Status())
	}
	c, err = Compare(base, head, CompareOptions{AllowEnvChange: []string{ChangeScenario}})
	if err != nil {
		t.Fatal(err)
	}
	if c.Thresholds["ns_per_syscall"] != 5 || !regressed(c) || c.Status() != StatusRegression {
		t.Errorf("thresholds %v, failed %v, status %s; want the base's 5%% and a regression", c.Thresholds, regressed(c), c.Status())
	}
	if !slices.Contains(c.Warnings, "scenario files differ (sha256); thresholds are taken from the base file") {
		t.Errorf("warnings %q", c.Warnings)
	}
}

// TestCompareCPUPerOp: the CPU-per-op figures are gate metrics like the
// others: the change against the baseline in points, as overhead is,
// the CPU per op in percent. Probes 10% slower add their extra kernel
// time to the workload's CPU: big/enter_exit's CPU per op against the
// baseline grows by over 2 points, beyond a 1-point threshold; an A/A
// pair has no regression.
func TestCompareCPUPerOp(t *testing.T) {
	th := map[string]float64{"cpu_per_op_change": 1, "cpu_per_op": 5}
	c, err := Compare(readFixture(t, "base.json"), readFixture(t, "head_slow.json"), CompareOptions{Thresholds: th})
	if err != nil {
		t.Fatal(err)
	}
	rows := map[string]GateRow{}
	for _, r := range c.Rows {
		rows[r.Variant+" "+r.Metric] = r
		if r.Variant == "baseline" || r.Variant == "baseline_nostats" {
			t.Errorf("the baseline is gated: %+v", r)
		}
	}
	r, ok := rows["big/enter_exit cpu_per_op_change"]
	if !ok {
		t.Fatalf("no big/enter_exit cpu_per_op_change row in %v", rows)
	}
	if !r.InPoints() || r.Change() < 2 || r.Verdict != stats.VerdictRegression {
		t.Errorf("big/enter_exit cpu_per_op_change: in points %v, change %.2f, %s; want a regression of over 2 points", r.InPoints(), r.Change(), r.Verdict)
	}
	if r := rows["big/enter_exit cpu_per_op"]; r.InPoints() || r.Verdict == stats.VerdictRegression {
		t.Errorf("big/enter_exit cpu_per_op: in points %v, change %.2f%%, %s; want a percent change within 5%%", r.InPoints(), r.Change(), r.Verdict)
	}

	c, err = Compare(readFixture(t, "base.json"), readFixture(t, "head.json"), CompareOptions{Thresholds: th})
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Rows) == 0 {
		t.Fatal("no rows")
	}
	for _, r := range c.Regressions() {
		t.Errorf("A/A regression: %s %s %.2f", r.Variant, r.Metric, r.Change())
	}
}

// regressed is the gate's failing outcome, as benchctl compare's exit
// code reads it.
func regressed(c *Comparison) bool { return c.Status() == StatusRegression }
