package bench

import (
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/benchctl/benchctl/probes"
	"github.com/benchctl/benchctl/workloads"
)

// TestSummarizePinnedCI pins the distribution-free 95% interval of a
// median: the narrowest pair of order statistics [x(k), x(n+1−k)] whose
// coverage 1 − 2·P(Binomial(n, ½) < k) is at least 0.95.
//
//	n = 6:  k = 1 covers 1 − 2/64 = 0.96875 (k = 2: 1 − 2·7/64 = 0.78)
//	n = 10: k = 2 covers 1 − 2·11/1024 = 0.978515625 (k = 3: 1 − 2·56/1024 = 0.89)
func TestSummarizePinnedCI(t *testing.T) {
	for _, tc := range []struct {
		values                 []float64
		median, lo, hi, confid float64
	}{
		// sorted 1 2 3 4 5 6: median (3+4)/2, interval [x(1), x(6)]
		{[]float64{6, 1, 5, 2, 4, 3}, 3.5, 1, 6, 0.96875},
		// sorted 9.7 9.8 9.9 10.0 10.0 10.1 10.2 10.3 10.4 10.6:
		// median (10.0+10.1)/2, interval [x(2), x(9)]
		{[]float64{10.4, 10.1, 9.8, 10.0, 10.2, 9.9, 10.3, 10.0, 9.7, 10.6}, 10.05, 9.8, 10.4, 0.978515625},
	} {
		s := Summarize(tc.values)
		if math.Abs(s.Median-tc.median) > 1e-12 || s.Lo != tc.lo || s.Hi != tc.hi || math.Abs(s.Confidence-tc.confid) > 1e-12 {
			t.Errorf("Summarize(%v): median %v [%v, %v] at %v, want %v [%v, %v] at %v",
				tc.values, s.Median, s.Lo, s.Hi, s.Confidence, tc.median, tc.lo, tc.hi, tc.confid)
		}
		if !s.HasCI() || len(s.Warnings) != 0 || s.N != len(tc.values) {
			t.Errorf("Summarize(%v): HasCI %v warnings %q n %d", tc.values, s.HasCI(), s.Warnings, s.N)
		}
	}
}

// TestRelChange pins the relative change of medians, (head − base)/|base|.
func TestRelChange(t *testing.T) {
	for _, tc := range []struct{ base, head, want float64 }{
		{200, 150, -0.25},
		{-2, -1, 0.5}, // up from a negative base is an increase
		{-2, -3, -0.5},
		{0, 0, 0},
		{0, -3, math.Inf(-1)},
		{0, 3, math.Inf(1)},
	} {
		if got := relChange(tc.base, tc.head); got != tc.want {
			t.Errorf("relChange(%v, %v) = %v, want %v", tc.base, tc.head, got, tc.want)
		}
	}
}

// TestDeriveIgnoresZeroBaseline: a baseline run without a throughput is
// no baseline (a change against 0 would be +Inf); one with a throughput
// is, and a probe run is compared with it.
func TestDeriveIgnoresZeroBaseline(t *testing.T) {
	r := &Results{
		Variants: []Variant{
			{Name: "baseline", Mode: probes.ModeNone, Stats: true, Baseline: true},
			{Name: "v", Mode: probes.ModeExitOnly, Stats: true},
		},
		Runs: []Run{
			{Variant: "baseline", Round: 0, Workload: workloads.Result{Throughput: 0}},
			{Variant: "v", Round: 0, Workload: workloads.Result{Throughput: 90}},
			{Variant: "baseline", Round: 1, Workload: workloads.Result{Throughput: 120}},
			{Variant: "v", Round: 1, Workload: workloads.Result{Throughput: 90}},
		},
	}
	Derive(r)
	if c := r.Runs[1].Derived.ThroughputChange; c != nil {
		t.Errorf("change against a zero baseline: %v, want none", *c)
	}
	// 90/120 − 1 = −0.25
	if c := r.Runs[3].Derived.ThroughputChange; c == nil || *c != -0.25 {
		t.Errorf("change against 120: %v, want -0.25", fmtPtr(c))
	}
}

// TestCompareScenarioHashWarning: two different scenario hashes warn;
// a missing hash on either side does not.
func TestCompareScenarioHashWarning(t *testing.T) {
	for _, tc := range []struct {
		base, head string
		warn       bool
	}{
		{"aaaa", "bbbb", true},
		{"aaaa", "aaaa", false},
		{"aaaa", "", false},
		{"", "bbbb", false},
	} {
		b, h := gateResults(gateBase), gateResults(gateHead)
		b.Scenario.SHA256, h.Scenario.SHA256 = tc.base, tc.head
		c, err := Compare(b, h, CompareOptions{})
		if err != nil {
			t.Fatal(err)
		}
		got := strings.Contains(strings.Join(c.Warnings, "\n"), "scenario files differ")
		if got != tc.warn {
			t.Errorf("sha256 %q vs %q: warning %v, want %v (%q)", tc.base, tc.head, got, tc.warn, c.Warnings)
		}
	}
}

// TestOutlierScale pins the modified z-score 0.6745·|x − median| / MAD
// (mean absolute deviation / 0.7979 when the MAD is 0) against 3.5, and
// the 5%-of-the-median floor.
func TestOutlierScale(t *testing.T) {
	for _, tc := range []struct {
		values []float64
		want   []int
	}{
		// median 10, deviations 0 .2 .2 0 .6, MAD .2: z(10.6) = 0.6745·0.6/0.2 = 2.02.
		{[]float64{10, 10.2, 9.8, 10, 10.6}, nil},
		// deviation 1.06: z = 0.6745·1.06/0.2 = 3.57 > 3.5, and 1.06 > 0.5.
		{[]float64{10, 10.2, 9.8, 10, 11.06}, []int{4}},
		// MAD 0 (three 10s): mean deviation (0+0+0+2+1)/5 = 0.6,
		// z(12) = 0.7979·2/0.6 = 2.66.
		{[]float64{10, 10, 10, 12, 9}, nil},
		// median 100, deviation exactly 5 = 5% of it: not more than 5%,
		// however large z is (0.6745·5/0.1 = 33.7).
		{[]float64{100, 100.1, 99.9, 100, 105}, nil},
		// Three values are enough: median 101, deviations 1 0 899, MAD 1,
		// z(1000) = 0.6745·899 = 606.
		{[]float64{100, 101, 1000}, []int{2}},
	} {
		if got := Summarize(tc.values).Outliers; !slices.Equal(got, tc.want) {
			t.Errorf("outliers of %v = %v, want %v", tc.values, got, tc.want)
		}
	}
	if s := Summarize(nil); s.HasCI() {
		t.Errorf("an empty summary has a CI: %+v", s)
	}
}

// TestGateSideMeasures reads the per-variant figures of the hand-made
// gate results (see gateBase): sys_exit runs 1000 times a run for
// 50..54 µs, so its average is 50..54 ns (median 52), all of the kernel
// time is on the exit side, and events are 1000 − drops (median 988).
func TestGateSideMeasures(t *testing.T) {
	vs := gateResults(gateBase).SummarizeVariant("v")
	for key, want := range map[string]float64{
		"exit_avg_ns":    52,
		"exit_time_ns":   52_000,
		"kernel_time_ns": 52_000,
		"ns_per_syscall": 52,
		"exit_share":     100,
		"enter_share":    0,
		"events":         988,
		"drops":          12,
		"syscalls":       1000,
	} {
		ms, ok := vs.Get(key)
		if !ok || ms.Median != want || ms.N != 5 {
			t.Errorf("%s: median %v n %d (present %v), want %v over 5 runs", key, ms.Median, ms.N, ok, want)
		}
	}
	if ms, ok := vs.Get("enter_avg_ns"); ok {
		t.Errorf("enter_avg_ns present without an enter program: %+v", ms.Summary)
	}
}

// TestParseThresholdZero: 0 is a threshold (any significant worsening
// fails); below 0 is not.
func TestParseThresholdZero(t *testing.T) {
	if m, pct, err := ParseThreshold("overhead=0"); err != nil || m != "overhead" || pct != 0 {
		t.Errorf("overhead=0: %q %v %v", m, pct, err)
	}
	if _, _, err := ParseThreshold("overhead=-0.5"); err == nil {
		t.Error("overhead=-0.5 accepted")
	}
}
