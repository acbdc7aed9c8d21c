package compare

import (
	"math"
	"slices"
	"testing"

	"github.com/benchctl/benchctl/bench/stats"
)

// Exact two-sided Mann-Whitney p-values, from the null distribution of U
// (every split of the pooled ranks equally likely):
//
//	3 vs 3, separated:         2·1/C(6,3)  = 2/20  = 0.1
//	4 vs 4, separated:         2·1/C(8,4)  = 2/70  = 0.02857
//	5 vs 5, separated:         2·1/C(10,5) = 2/252 = 0.00794
//	5 vs 5, one pair crossed:  2·2/C(10,5) = 4/252 = 0.01587 (U ≤ 1: the
//	                           separated split and the one with one swap)

// TestCompareSamplesAlpha pins that alpha decides significance: p ≤ alpha.
func TestCompareSamplesAlpha(t *testing.T) {
	base := []float64{1, 2, 3, 4, 6}
	head := []float64{5, 7, 8, 9, 10} // 5 < 6: one crossed pair, U = 1
	const p = 4.0 / 252
	for _, tc := range []struct {
		alpha, wantAlpha float64
		significant      bool
	}{
		{0.05, 0.05, true},
		{0, stats.DefaultAlpha, true}, // 0 means the default, 0.05
		{0.02, 0.02, true},
		{p + 1e-9, p + 1e-9, true},
		{p - 1e-9, p - 1e-9, false},
		{0.015, 0.015, false},
		{0.01, 0.01, false},
	} {
		d := stats.CompareSamples(base, head, tc.alpha)
		if math.Abs(d.P-p) > 1e-12 {
			t.Errorf("alpha %v: p = %v, want 4/252 = %v", tc.alpha, d.P, p)
		}
		if d.Alpha != tc.wantAlpha || d.Significant != tc.significant {
			t.Errorf("alpha %v: Alpha %v Significant %v, want %v %v", tc.alpha, d.Alpha, d.Significant, tc.wantAlpha, tc.significant)
		}
		// The change does not depend on alpha: medians 3 → 8, +166.7%.
		if math.Abs(d.Change-5.0/3) > 1e-12 {
			t.Errorf("alpha %v: change %v, want 5/3", tc.alpha, d.Change)
		}
	}

	// A p-value equal to alpha is significant (benchstat's rule, p ≤ α).
	// The p-value is the test's own, since 4/252 in floating point is not
	// bit-for-bit what the test's sum gives.
	d := stats.CompareSamples(base, head, 0.05)
	if e := stats.CompareSamples(base, head, d.P); !e.Significant {
		t.Errorf("p = alpha = %v: not significant", d.P)
	}

	// 3 vs 3 can reach p = 0.1 and no lower: significant at alpha 0.2,
	// and then the "cannot detect at 0.05" warning does not apply.
	d = stats.CompareSamples([]float64{1, 2, 3}, []float64{4, 5, 6}, 0.2)
	if math.Abs(d.P-0.1) > 1e-12 || !d.Significant {
		t.Errorf("3 vs 3 at alpha 0.2: p = %v significant %v, want 0.1, true", d.P, d.Significant)
	}
	if slices.Contains(d.Warnings, stats.WarnNoDetect) {
		t.Errorf("3 vs 3 at alpha 0.2 warns %q", stats.WarnNoDetect)
	}
	// At 0.05 it cannot be significant, and says why.
	d = stats.CompareSamples([]float64{1, 2, 3}, []float64{4, 5, 6}, 0.05)
	if d.Significant || !slices.Contains(d.Warnings, stats.WarnNoDetect) {
		t.Errorf("3 vs 3 at alpha 0.05: significant %v warnings %q", d.Significant, d.Warnings)
	}
}

// TestCompareAlphaDecidesVerdict pins that --alpha reaches the gate: the
// same overhead change of +6.25 points (threshold 5) with p = 4/252 =
// 0.0159 is a regression at alpha 0.05 (and the default) and inconclusive at 0.01.
func TestCompareAlphaDecidesVerdict(t *testing.T) {
	base := gateResults(gateBase)
	// Head as gateHead, but its last round at 960.5 req/s: an overhead of
	// 63.5/1024·100 = 6.2 %, below only the base's largest (t = 960,
	// 6.25 %): one crossed pair. The head median stays t = 898 → 12.3046875,
	// the base median 6.0546875: +6.25 points.
	// Its kernel ns/syscall are the base's, so the default ns_per_syscall
	// gate sees no change and only overhead decides.
	side := gateHead
	side.throughput = []float64{896, 897, 898, 899, 960.5}
	side.nsPerCall = gateBase.nsPerCall
	head := gateResults(side)
	for _, tc := range []struct {
		alpha, wantAlpha float64
		want             stats.Verdict
	}{
		{0, stats.DefaultAlpha, stats.VerdictRegression},
		{0.05, 0.05, stats.VerdictRegression},
		{0.02, 0.02, stats.VerdictRegression},
		// Not significant at these levels, and 5+5 runs this spread
		// could miss a change of 5 points: inconclusive (before issue
		// 20: "~", which passed).
		{0.015, 0.015, stats.VerdictInconclusive},
		{0.01, 0.01, stats.VerdictInconclusive},
	} {
		c, err := Compare(base, head, CompareOptions{Alpha: tc.alpha, Thresholds: map[string]float64{"overhead": 5}})
		if err != nil {
			t.Fatal(err)
		}
		row := gateRow(t, c, "overhead")
		if c.Alpha != tc.wantAlpha || row.Alpha != tc.wantAlpha {
			t.Errorf("alpha %v: comparison alpha %v, row alpha %v, want %v", tc.alpha, c.Alpha, row.Alpha, tc.wantAlpha)
		}
		if math.Abs(row.P-4.0/252) > 1e-12 || math.Abs(row.Change()-6.25) > 1e-9 {
			t.Errorf("alpha %v: p %v change %v, want 4/252 and 6.25 points", tc.alpha, row.P, row.Change())
		}
		if row.Verdict != tc.want {
			t.Errorf("alpha %v: verdict %q, want %q", tc.alpha, row.Verdict, tc.want)
		}
		if regressed(c) != (tc.want == stats.VerdictRegression) {
			t.Errorf("alpha %v: regressed = %v", tc.alpha, regressed(c))
		}
	}
}
