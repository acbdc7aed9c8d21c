package compare

import (
	"math"
	"testing"

	"github.com/benchctl/benchctl/bench/results"
	"github.com/benchctl/benchctl/bench/stats"
	"github.com/benchctl/benchctl/probes"
	"github.com/benchctl/benchctl/workloads"
)

// gateSide is one side of a hand-made comparison: per measured round, the
// probe variant's throughput (the baseline always does 1024), its drops
// out of 1000 attempted events, and its kernel ns per syscall (over 1000
// syscalls).
type gateSide struct {
	throughput []float64
	drops      []uint64
	nsPerCall  []uint64
}

// gateResults builds a results file of scenario "gate" with a baseline
// and one exit_only variant "v", then derives it as ReadResults does.
func gateResults(s gateSide) *results.Results {
	r := &results.Results{
		Schema:   results.SchemaVersion,
		Scenario: results.ScenarioInfo{Name: "gate"},
		Complete: true,
		Variants: []results.Variant{
			{Name: "baseline", Mode: probes.ModeNone, Stats: true, Baseline: true},
			{Name: "v", Mode: probes.ModeExitOnly, Stats: true, Syscalls: []string{"getpid"}},
		},
	}
	for round, tp := range s.throughput {
		r.Runs = append(r.Runs,
			results.Run{Variant: "baseline", Round: round, Workload: workloads.Result{Throughput: 1024}},
			results.Run{Variant: "v", Round: round, Workload: workloads.Result{Throughput: tp},
				Programs: []probes.ProgramStats{{Name: "sys_exit", Role: probes.RoleExit, RunCount: 1000, RunTimeNs: 1000 * s.nsPerCall[round]}},
				Kernel:   probes.Counters{Attempted: 1000, DropsFull: s.drops[round]},
				User:     probes.ConsumerStats{Events: 1000 - s.drops[round]}},
		)
	}
	results.Derive(r)
	return r
}

// Every figure below is exact in binary floating point (the baseline is
// 1024), so the verdicts at a threshold equal to the change are exact too.
//
// overhead = 100 · (1 − throughput/1024):
//
//	base  throughput 960..964 → overhead (1024−t)/1024·100; median t = 962 → 62/1024·100 = 6.0546875
//	head  throughput 896..900 → median t = 898 → 126/1024·100 = 12.3046875
//	change in points: 12.3046875 − 6.0546875 = 6.25 (64/1024·100)
//	as a percent change it would be 6.25 / 6.0546875 = +103.2%
//
// drop_ratio = 100 · drops/1000:
//
//	base  drops 10..14 → median 12 → 1.2%;  head drops 20..24 → median 22 → 2.2%
//	change in points: 1.0; as a percent change +83.3%
//
// ns_per_syscall = run_time / run_cnt:
//
//	base 50..54 ns → median 52;  head 60..64 → median 62
//	change in percent: 10/52 = +19.23%; in "points" it would be 10
//
// Each side is completely separated (5 vs 5), so every change is
// significant: p = 2/C(10,5) = 0.0079.
var (
	gateBase = gateSide{
		throughput: []float64{960, 961, 962, 963, 964},
		drops:      []uint64{10, 11, 12, 13, 14},
		nsPerCall:  []uint64{50, 51, 52, 53, 54},
	}
	gateHead = gateSide{
		throughput: []float64{896, 897, 898, 899, 900},
		drops:      []uint64{20, 21, 22, 23, 24},
		nsPerCall:  []uint64{60, 61, 62, 63, 64},
	}
)

func gateRow(t *testing.T, c *Comparison, metric string) GateRow {
	t.Helper()
	for _, row := range c.Rows {
		if row.Variant == "v" && row.Metric == metric {
			return row
		}
	}
	t.Fatalf("no row for v %s in %+v", metric, c.Rows)
	return GateRow{}
}

// TestGatePercentagePoints pins that overhead and drop_ratio are gated in
// percentage points (head − base), and ns_per_syscall in percent of the
// base median.
func TestGatePercentagePoints(t *testing.T) {
	base, head := gateResults(gateBase), gateResults(gateHead)

	// The figures the gate reads, before any gating.
	for _, tc := range []struct {
		metric     string
		base, head float64
	}{
		{"overhead", 6.0546875, 12.3046875},
		{"drop_ratio", 1.2, 2.2},
		{"ns_per_syscall", 52, 62},
	} {
		m, _ := results.GateMeasure(tc.metric)
		b, _ := base.Sample("v", m)
		h, _ := head.Sample("v", m)
		if got := stats.Summarize(b).Median; math.Abs(got-tc.base) > 1e-12 {
			t.Errorf("base %s median %v, want %v", tc.metric, got, tc.base)
		}
		if got := stats.Summarize(h).Median; math.Abs(got-tc.head) > 1e-12 {
			t.Errorf("head %s median %v, want %v", tc.metric, got, tc.head)
		}
	}

	for _, tc := range []struct {
		name       string
		thresholds map[string]float64
		want       map[string]stats.Verdict
	}{
		{
			// 6.25 points < 7: within. Gated as a percent (+103%) it
			// would be a regression. 1 point < 2: within (+83% would not
			// be). +19.2% > 15%: regression (10 "points" would not be).
			name:       "points below threshold",
			thresholds: map[string]float64{"overhead": 7, "drop_ratio": 2, "ns_per_syscall": 15},
			want:       map[string]stats.Verdict{"overhead": stats.VerdictNoChange, "drop_ratio": stats.VerdictNoChange, "ns_per_syscall": stats.VerdictRegression},
		},
		{
			// A change equal to its threshold is not beyond it.
			name:       "change equal to threshold",
			thresholds: map[string]float64{"overhead": 6.25, "drop_ratio": 5, "ns_per_syscall": 25},
			want:       map[string]stats.Verdict{"overhead": stats.VerdictNoChange, "drop_ratio": stats.VerdictNoChange, "ns_per_syscall": stats.VerdictNoChange},
		},
		{
			// 6.25 > 6 and 1.0 > 0.9 points: regressions; +19.2% < 20%.
			name:       "points above threshold",
			thresholds: map[string]float64{"overhead": 6, "drop_ratio": 0.9, "ns_per_syscall": 20},
			want:       map[string]stats.Verdict{"overhead": stats.VerdictRegression, "drop_ratio": stats.VerdictRegression, "ns_per_syscall": stats.VerdictNoChange},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := Compare(base, head, CompareOptions{Thresholds: tc.thresholds})
			if err != nil {
				t.Fatal(err)
			}
			for metric, want := range tc.want {
				row := gateRow(t, c, metric)
				if row.Verdict != want {
					t.Errorf("%s: change %v (threshold %v, significant %v): %q, want %q",
						metric, row.Change(), row.Threshold, row.Significant, row.Verdict, want)
				}
			}
			if got := regressed(c); got != (len(c.Regressions()) > 0) {
				t.Errorf("regressed = %v with %d regressions", got, len(c.Regressions()))
			}
		})
	}

	c, err := Compare(base, head, CompareOptions{Thresholds: map[string]float64{"overhead": 7, "drop_ratio": 2, "ns_per_syscall": 15}})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		metric   string
		inPoints bool
		change   float64
	}{
		{"overhead", true, 6.25},
		{"drop_ratio", true, 1.0},
		{"ns_per_syscall", false, 100 * 10.0 / 52},
	} {
		row := gateRow(t, c, tc.metric)
		if row.InPoints() != tc.inPoints {
			t.Errorf("%s: InPoints() = %v, want %v", tc.metric, row.InPoints(), tc.inPoints)
		}
		if math.Abs(row.Change()-tc.change) > 1e-9 {
			t.Errorf("%s: Change() = %v, want %v", tc.metric, row.Change(), tc.change)
		}
		if !row.Significant || math.Abs(row.P-2.0/252) > 1e-9 {
			t.Errorf("%s: p = %v significant %v, want p = 2/252", tc.metric, row.P, row.Significant)
		}
	}
	if !regressed(c) || len(c.Regressions()) != 1 || c.Regressions()[0].Metric != "ns_per_syscall" {
		t.Errorf("regressions %+v, want only ns_per_syscall", c.Regressions())
	}

	// The other way round, the same changes are improvements in points.
	c, err = Compare(head, base, CompareOptions{Thresholds: map[string]float64{"overhead": 6, "drop_ratio": 0.9, "ns_per_syscall": 15}})
	if err != nil {
		t.Fatal(err)
	}
	for _, metric := range []string{"overhead", "drop_ratio", "ns_per_syscall"} {
		if row := gateRow(t, c, metric); row.Verdict != stats.VerdictImprovement {
			t.Errorf("head → base %s: change %v: %q, want improvement", metric, row.Change(), row.Verdict)
		}
	}
	if regressed(c) {
		t.Error("improvements fail the gate")
	}
	// An improvement exactly as large as the threshold is not beyond it.
	c, err = Compare(head, base, CompareOptions{Thresholds: map[string]float64{"overhead": 6.25}})
	if err != nil {
		t.Fatal(err)
	}
	if row := gateRow(t, c, "overhead"); row.Verdict != stats.VerdictNoChange || row.Change() != -6.25 {
		t.Errorf("head → base overhead at threshold 6.25: change %v: %q, want -6.25, within threshold", row.Change(), row.Verdict)
	}
}
