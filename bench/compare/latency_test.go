package compare

import (
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/benchctl/benchctl/bench/results"
	"github.com/benchctl/benchctl/bench/stats"
	"github.com/benchctl/benchctl/probes"
	"github.com/benchctl/benchctl/workloads"
)

// lat is a workload latency with p50 and p99 in ms (the other figures do
// not matter here and are left 0).
func lat(p50, p99 float64) *workloads.Latency {
	return &workloads.Latency{P50Ms: p50, P99Ms: p99}
}

// TestLatencyMeasures pins how a run's p50 and p99 and their change
// against the baseline are read: the run's Workload.Latency in ns (0.25 ms
// → 250,000 ns), the Derived change in percent (0.25 → 25%), only for
// traced variants for the change, and nothing without latency.
func TestLatencyMeasures(t *testing.T) {
	own := results.Variant{Name: "v", Mode: probes.ModeExitOnly, Stats: true}
	base := results.Variant{Name: "baseline", Mode: probes.ModeNone, Stats: true, Baseline: true}
	c50, c99 := 0.25, -0.125
	run := results.Run{
		Workload: workloads.Result{Throughput: 100, Latency: lat(0.25, 0.75)},
		Derived:  results.Derived{LatencyP50Change: &c50, LatencyP99Change: &c99},
	}
	noLatency := results.Run{Workload: workloads.Result{Throughput: 100}}
	zeroP99 := results.Run{Workload: workloads.Result{Throughput: 100, Latency: lat(0.25, 0)}}
	failed := run
	failed.Error = "boom"

	type want struct {
		v  float64
		ok bool
	}
	for _, tc := range []struct {
		name string
		v    results.Variant
		run  results.Run
		want map[string]want
	}{
		{"traced", own, run, map[string]want{
			"latency_p50_ns": {250_000, true}, "latency_p99_ns": {750_000, true},
			"latency_p50_change": {25, true}, "latency_p99_change": {-12.5, true},
		}},
		{"baseline: its latency, no change", base, run, map[string]want{
			"latency_p50_ns": {250_000, true}, "latency_p99_ns": {750_000, true},
			"latency_p50_change": {0, false}, "latency_p99_change": {0, false},
		}},
		{"no latency", own, noLatency, map[string]want{
			"latency_p50_ns": {0, false}, "latency_p99_ns": {0, false},
			"latency_p50_change": {0, false}, "latency_p99_change": {0, false},
		}},
		{"a zero percentile is no measurement", own, zeroP99, map[string]want{
			"latency_p50_ns": {0, false}, "latency_p99_ns": {0, false},
		}},
		{"failed run", own, failed, map[string]want{
			"latency_p50_ns": {0, false}, "latency_p99_ns": {0, false},
		}},
	} {
		for key, w := range tc.want {
			m, ok := results.MeasureByKey(key)
			if !ok {
				t.Fatalf("no measure %q", key)
			}
			if m.Better != -1 {
				t.Errorf("%s: Better = %d, want -1 (lower is better)", key, m.Better)
			}
			v, ok := m.Value(tc.v, tc.run)
			if ok != w.ok || (ok && v != w.v) {
				t.Errorf("%s: %s = %v, %v; want %v, %v", tc.name, key, v, ok, w.v, w.ok)
			}
		}
	}
	for key, kind := range map[string]results.Kind{
		"latency_p50_ns": results.KindDuration, "latency_p99_ns": results.KindDuration,
		"latency_p50_change": results.KindPercent, "latency_p99_change": results.KindPercent,
	} {
		if m, _ := results.MeasureByKey(key); m.Kind != kind {
			t.Errorf("%s: kind %v, want %v", key, m.Kind, kind)
		}
	}
}

// TestDeriveLatencyChange: each run's p50 and p99 are compared with those
// of the baseline run of its own round and stats state. All figures are
// exact in binary, so the changes are too:
//
//	round 0  baseline 0.25 / 0.5 ms   v 0.3125 / 0.75 → +25% / +50%
//	                                  v_nostats 0.5 / 1 ms against baseline_nostats 0.5 / 0.5 → 0% / +100%
//	round 1  baseline 0.5 / 1 ms      v 0.375 / 1.25 → -25% / +25%
//	                                  v_nostats: baseline_nostats failed → none
//	round 2  baseline without latency → none (throughput change still 0.5)
//	round 3  baseline 0.25 / 0.5, v without latency → none
func TestDeriveLatencyChange(t *testing.T) {
	r := &results.Results{Variants: []results.Variant{
		{Name: "baseline", Mode: probes.ModeNone, Stats: true, Baseline: true},
		{Name: "baseline_nostats", Mode: probes.ModeNone, Baseline: true},
		{Name: "v", Mode: probes.ModeExitOnly, Stats: true},
		{Name: "v_nostats", Mode: probes.ModeExitOnly},
	}}
	add := func(variant string, round int, l *workloads.Latency, errMsg string) {
		r.Runs = append(r.Runs, results.Run{Variant: variant, Round: round, Error: errMsg,
			Workload: workloads.Result{Throughput: 100, Latency: l}})
	}
	add("baseline", 0, lat(0.25, 0.5), "")
	add("baseline_nostats", 0, lat(0.5, 0.5), "")
	add("v", 0, lat(0.3125, 0.75), "")
	add("v_nostats", 0, lat(0.5, 1), "")
	add("baseline", 1, lat(0.5, 1), "")
	add("baseline_nostats", 1, lat(0.5, 0.5), "redis-benchmark: exit status 1")
	add("v", 1, lat(0.375, 1.25), "")
	add("v_nostats", 1, lat(0.5, 1), "")
	add("baseline", 2, nil, "")
	add("v", 2, lat(0.25, 0.5), "")
	r.Runs[len(r.Runs)-1].Workload.Throughput = 150
	add("baseline", 3, lat(0.25, 0.5), "")
	add("v", 3, nil, "")
	results.Derive(r)

	type want struct {
		has      bool
		c50, c99 float64
	}
	for i, w := range []want{
		{}, {}, {true, 0.25, 0.5}, {true, 0, 1},
		{}, {}, {true, -0.25, 0.25}, {},
		{}, {},
		{}, {},
	} {
		run := r.Runs[i]
		d := run.Derived
		if (d.LatencyP50Change != nil) != w.has || (d.LatencyP99Change != nil) != w.has {
			t.Errorf("round %d %s: p50 change %v, p99 change %v; want them set: %v", run.Round, run.Variant, d.LatencyP50Change, d.LatencyP99Change, w.has)
			continue
		}
		if w.has && (*d.LatencyP50Change != w.c50 || *d.LatencyP99Change != w.c99) {
			t.Errorf("round %d %s: changes %v / %v, want %v / %v", run.Round, run.Variant, *d.LatencyP50Change, *d.LatencyP99Change, w.c50, w.c99)
		}
	}
	// The throughput change does not depend on latency: round 2's v has one.
	if c := r.Runs[9].Derived.ThroughputChange; c == nil || *c != 0.5 {
		t.Errorf("round 2 v throughput change %v, want 0.5", c)
	}
}

// latencySide is one side of a hand-made latency comparison: per measured
// round, the baseline's p99 and the probe variant's p99, in ms; each p50
// is half its p99. Every value is a multiple of 1/256 ms, exact in binary.
type latencySide struct {
	baseline, v []float64
}

func latencyResults(s latencySide) *results.Results {
	r := &results.Results{
		Schema:   results.SchemaVersion,
		Scenario: results.ScenarioInfo{Name: "gate"},
		Complete: true,
		Variants: []results.Variant{
			{Name: "baseline", Mode: probes.ModeNone, Stats: true, Baseline: true},
			{Name: "v", Mode: probes.ModeExitOnly, Stats: true, Syscalls: []string{"getpid"}},
		},
	}
	for round := range s.v {
		r.Runs = append(r.Runs,
			results.Run{Variant: "baseline", Round: round, Workload: workloads.Result{Throughput: 1000,
				Latency: lat(s.baseline[round]/2, s.baseline[round])}},
			results.Run{Variant: "v", Round: round, Workload: workloads.Result{Throughput: 900,
				Latency: lat(s.v[round]/2, s.v[round])}},
		)
	}
	results.Derive(r)
	return r
}

// The hand-made sides (p99 of v in ms; the baseline is 0.5 ms unless said):
//
//	base      0.5, 0.515625, 0.53125, 0.546875, 0.5625   median 0.53125
//	          vs baseline 0, 3.125, 6.25, 9.375, 12.5 %    median 6.25%
//	slower    0.59375 … 0.65625 (+1/16 ms each)           median 0.625: +17.647% (0.625/0.53125 − 1)
//	          vs baseline 18.75 … 31.25 %                   median 25%: +18.75 points
//	same      base + 1/128 ms: 0.5078125 … 0.5703125     median 0.5390625: +1.47%, interleaved with base
//	drift     baseline 0.625, v = 1.25 × base             median 0.6640625: +25%; vs baseline exactly base's
//
// p50 is half of p99 throughout, so its percent changes are the same.
var (
	latencyBase   = latencySide{baseline: []float64{0.5, 0.5, 0.5, 0.5, 0.5}, v: []float64{0.5, 0.515625, 0.53125, 0.546875, 0.5625}}
	latencySlower = latencySide{baseline: []float64{0.5, 0.5, 0.5, 0.5, 0.5}, v: []float64{0.59375, 0.609375, 0.625, 0.640625, 0.65625}}
	latencySame   = latencySide{baseline: []float64{0.5, 0.5, 0.5, 0.5, 0.5}, v: []float64{0.5078125, 0.5234375, 0.5390625, 0.5546875, 0.5703125}}
	latencyDrift  = latencySide{baseline: []float64{0.625, 0.625, 0.625, 0.625, 0.625}, v: []float64{0.625, 0.64453125, 0.6640625, 0.68359375, 0.703125}}
)

func TestGateLatency(t *testing.T) {
	all := map[string]float64{"latency_p50": 10, "latency_p99": 10, "latency_p50_change": 10, "latency_p99_change": 10}
	for _, tc := range []struct {
		name       string
		head       latencySide
		thresholds map[string]float64
		want       map[string]stats.Verdict
		change     map[string]float64 // GateRow.Change(): percent, or points
		p          float64            // the p-value of every row, when not 0
	}{
		{
			// +17.6% > 10%, +18.75 points > 10: every metric regressed,
			// and every sample is separated (p = 2/252).
			name: "regression", head: latencySlower, thresholds: all,
			want: map[string]stats.Verdict{"latency_p50": stats.VerdictRegression, "latency_p99": stats.VerdictRegression,
				"latency_p50_change": stats.VerdictRegression, "latency_p99_change": stats.VerdictRegression},
			change: map[string]float64{"latency_p50": 100 * (0.625/0.53125 - 1), "latency_p99": 100 * (0.625/0.53125 - 1),
				"latency_p50_change": 18.75, "latency_p99_change": 18.75},
		},
		{
			// The same regression under a larger threshold: significant,
			// but within it (17.6% < 20%, 18.75 < 20 points).
			name: "regression within threshold", head: latencySlower,
			thresholds: map[string]float64{"latency_p99": 20, "latency_p99_change": 20},
			want:       map[string]stats.Verdict{"latency_p99": stats.VerdictNoChange, "latency_p99_change": stats.VerdictNoChange},
		},
		{
			// +1.47%, with the two samples interleaved (U = 15 of 25):
			// not significant, p = 174/252 = 0.69, so no alarm even at a
			// 1% threshold; but five runs this spread could miss a 1%
			// change, so the verdict is inconclusive, not "no change".
			name: "no false alarm", head: latencySame, p: 174.0 / 252,
			thresholds: map[string]float64{"latency_p50": 1, "latency_p99": 1, "latency_p99_change": 1},
			want:       map[string]stats.Verdict{"latency_p50": stats.VerdictInconclusive, "latency_p99": stats.VerdictInconclusive, "latency_p99_change": stats.VerdictInconclusive},
			change:     map[string]float64{"latency_p99": 100 * (0.5390625/0.53125 - 1), "latency_p99_change": 1.5625},
		},
		{
			// A machine 25% slower for every variant, baseline included:
			// the absolute p99 regresses, the change against the
			// baseline does not move at all; its runs spread over 12.5
			// points, though, so five of them could miss a change of
			// 10 points: inconclusive.
			name: "drift", head: latencyDrift, thresholds: all,
			want: map[string]stats.Verdict{"latency_p99": stats.VerdictRegression, "latency_p50": stats.VerdictRegression,
				"latency_p99_change": stats.VerdictInconclusive, "latency_p50_change": stats.VerdictInconclusive},
			change: map[string]float64{"latency_p99": 25, "latency_p99_change": 0},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := Compare(latencyResults(latencyBase), latencyResults(tc.head), CompareOptions{Thresholds: tc.thresholds})
			if err != nil {
				t.Fatal(err)
			}
			for _, row := range c.Rows {
				if row.Variant == "baseline" {
					t.Errorf("baseline gated on %s", row.Metric)
				}
			}
			for metric, want := range tc.want {
				row := gateRow(t, c, metric)
				if row.Verdict != want {
					t.Errorf("%s: change %v (threshold %v, p %v): %q, want %q", metric, row.Change(), row.Threshold, row.P, row.Verdict, want)
				}
			}
			for _, row := range c.Rows {
				if tc.p != 0 && strings.HasPrefix(row.Metric, "latency_") && math.Abs(row.P-tc.p) > 1e-9 {
					t.Errorf("%s: p = %v, want %v", row.Metric, row.P, tc.p)
				}
			}
			for metric, want := range tc.change {
				if got := gateRow(t, c, metric).Change(); math.Abs(got-want) > 1e-9 {
					t.Errorf("%s: Change() = %v, want %v", metric, got, want)
				}
			}
			if got, want := regressed(c), tc.want["latency_p99"] == stats.VerdictRegression; got != want {
				t.Errorf("regressed = %v, want %v", got, want)
			}
		})
	}

	// The figures the gate reads from the base side: p99 in ns, p50 half
	// of it, and the changes in percent.
	base := latencyResults(latencyBase)
	for metric, want := range map[string]float64{"latency_p99": 531_250, "latency_p50": 265_625, "latency_p99_change": 6.25, "latency_p50_change": 6.25} {
		m, ok := results.GateMeasure(metric)
		if !ok {
			t.Fatalf("no gate measure %s", metric)
		}
		b, _ := base.Sample("v", m)
		if got := stats.Summarize(b).Median; got != want {
			t.Errorf("base %s median %v, want %v", metric, got, want)
		}
		if bl, _ := base.Sample("baseline", m); len(bl) != 0 {
			t.Errorf("baseline has %s figures %v", metric, bl)
		}
	}
	// The _change metrics are percentages gated in points; the others in percent.
	c, err := Compare(base, latencyResults(latencySlower), CompareOptions{Thresholds: all})
	if err != nil {
		t.Fatal(err)
	}
	for metric, points := range map[string]bool{"latency_p50": false, "latency_p99": false, "latency_p50_change": true, "latency_p99_change": true} {
		if row := gateRow(t, c, metric); row.InPoints() != points || math.Abs(row.P-2.0/252) > 1e-9 {
			t.Errorf("%s: InPoints %v p %v, want %v and 2/252", metric, row.InPoints(), row.P, points)
		}
	}
}

// TestGateLatencyWithoutFigures: a latency gate on results without
// latency (another workload, redis-benchmark before 6.2) gates nothing,
// and the comparison says so and is inconclusive instead of passing in
// silence, even with --inconclusive pass: there is no figure to decide.
func TestGateLatencyWithoutFigures(t *testing.T) {
	r := gateResults(gateBase)
	other := gateResults(gateBase)
	other.Seed = 2 // another measurement of the same figures
	c, err := Compare(r, other, CompareOptions{Thresholds: map[string]float64{"latency_p99": 10}, InconclusivePass: true})
	if err != nil {
		t.Fatal(err)
	}
	for _, row := range c.Rows {
		if strings.HasPrefix(row.Metric, "latency") {
			t.Errorf("row for %s without latency: %+v", row.Metric, row)
		}
	}
	want := "latency_p99 is gated, but no variant has latency_p99 figures in either file"
	if !slices.Equal(c.Missing, []string{want}) || c.Status() != StatusInconclusive {
		t.Errorf("missing %q, status %s: want %q once, inconclusive", c.Missing, c.Status(), want)
	}
	// A metric that has figures is not missing.
	c, err = Compare(r, other, CompareOptions{Thresholds: map[string]float64{"overhead": 10}})
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Missing) != 0 {
		t.Errorf("missing for a metric with figures: %q", c.Missing)
	}
}

// TestGateLatencyFixtures gates latency on the redis fixtures, whose
// latency follows each run's throughput: head against base (another
// seed, same code) raises no alarm at 5%; head_slow against head (the
// same runs with the probe variants 10% slower, their latency ×1.1)
// regresses on every probe variant, and never on a baseline.
func TestGateLatencyFixtures(t *testing.T) {
	th := map[string]float64{"latency_p50": 5, "latency_p99": 5, "latency_p50_change": 5, "latency_p99_change": 5}
	base := readFixture(t, "base.json")
	probesVariants := 0
	for _, v := range base.Variants {
		if !v.Baseline {
			probesVariants++
		}
	}

	c, err := Compare(base, readFixture(t, "head.json"), CompareOptions{Thresholds: th})
	if err != nil {
		t.Fatal(err)
	}
	rows := 0
	for _, r := range c.Rows {
		if !strings.HasPrefix(r.Metric, "latency_") {
			continue
		}
		rows++
		if r.Verdict == stats.VerdictRegression {
			t.Errorf("A/A: %s %s regressed: %+.2f %s", r.Variant, r.Metric, r.Change(), r.Delta)
		}
	}
	if rows != 4*probesVariants {
		t.Errorf("A/A: %d latency rows, want 4 per probe variant (%d)", rows, 4*probesVariants)
	}

	c, err = Compare(readFixture(t, "head.json"), readFixture(t, "head_slow.json"), CompareOptions{Thresholds: th})
	if err != nil {
		t.Fatal(err)
	}
	regressed := map[string]int{}
	for _, r := range c.Regressions() {
		if strings.HasPrefix(r.Metric, "latency_") {
			regressed[r.Metric]++
		}
		if v, _ := base.Variant(r.Variant); v.Baseline {
			t.Errorf("baseline %s gated", r.Variant)
		}
	}
	for metric := range th {
		if regressed[metric] != probesVariants {
			t.Errorf("10%% slower: %s regressed in %d variants, want all %d", metric, regressed[metric], probesVariants)
		}
	}
	// 10% slower is +10% on the absolute p99, within the rounding of
	// every figure to 1 µs (0.5 µs of ~600 µs: 0.1%).
	for _, r := range c.Rows {
		if r.Metric == "latency_p99" && math.Abs(r.Change()-10) > 0.2 {
			t.Errorf("%s p99 change %+.2f%%, want about +10%%", r.Variant, r.Change())
		}
	}
}

func TestLatencyGateNames(t *testing.T) {
	for _, s := range []string{"latency_p50=10", "latency_p99=2.5%", "latency_p50_change=5", "latency_p99_change=5"} {
		name, pct, err := ParseThreshold(s)
		if err != nil || !strings.HasPrefix(s, name+"=") || pct <= 0 {
			t.Errorf("ParseThreshold(%q) = %q, %v, %v", s, name, pct, err)
		}
	}
	if _, _, err := ParseThreshold("latency_p95=10"); err == nil {
		t.Error("latency_p95 accepted as a gate metric")
	}

}
