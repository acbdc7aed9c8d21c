package stats

import (
	"math"
	"slices"
	"testing"
)

func TestAppendOnce(t *testing.T) {
	got := appendOnce(appendOnce(appendOnce(nil, "a"), "b"), "a")
	if !slices.Equal(got, []string{"a", "b"}) {
		t.Errorf("appendOnce: %q, want [a b]", got)
	}
}

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

func TestSummarizeFiveSamplesHaveNoCI(t *testing.T) {
	s := Summarize([]float64{5, 1, 4, 2, 3})
	if s.N != 5 || s.Median != 3 || s.Min != 1 || s.Max != 5 {
		t.Fatalf("summary = %+v", s)
	}
	if s.HasCI() || !math.IsInf(s.Lo, -1) || !math.IsInf(s.Hi, 1) {
		t.Errorf("n=5 has a finite CI [%v, %v]; a 95%% CI of a median needs 6 samples", s.Lo, s.Hi)
	}
	if !slices.Contains(s.Warnings, WarnNoCI) {
		t.Errorf("warnings = %q, want %q", s.Warnings, WarnNoCI)
	}
	if !slices.Equal(s.Values, []float64{5, 1, 4, 2, 3}) {
		t.Errorf("values reordered: %v", s.Values)
	}
}

func TestSummarizeCI(t *testing.T) {
	values := []float64{10.4, 10.1, 9.8, 10.0, 10.2, 9.9, 10.3, 10.0, 9.7, 10.6}
	s := Summarize(values)
	if !s.HasCI() {
		t.Fatalf("n=10 has no CI: %+v", s)
	}
	if !(s.Lo <= s.Median && s.Median <= s.Hi) || s.Lo < s.Min || s.Hi > s.Max {
		t.Errorf("CI [%v, %v] does not bracket the median %v inside [min, max]", s.Lo, s.Hi, s.Median)
	}
	if s.Confidence < Confidence {
		t.Errorf("confidence %v < %v", s.Confidence, Confidence)
	}
	if len(s.Warnings) != 0 {
		t.Errorf("warnings = %q", s.Warnings)
	}
	if Summarize(nil).N != 0 {
		t.Error("empty sample has a count")
	}
}

func TestOutliers(t *testing.T) {
	for _, tc := range []struct {
		values []float64
		want   []int
	}{
		{[]float64{100, 101, 99, 100, 150}, []int{4}},
		{[]float64{100, 101, 99, 100.5, 99.5}, nil},
		// A tiny MAD alone does not make an outlier: 0.3% is noise.
		{[]float64{1.99387, 1.99387, 1.99387, 1.99373, 1.99387}, nil},
		// MAD 0: the mean absolute deviation takes over.
		{[]float64{0, 0, 0, 1520, 0}, []int{3}},
		{[]float64{7, 7, 7, 7}, nil},
		{[]float64{1, 100}, nil},
	} {
		if got := Summarize(tc.values).Outliers; !slices.Equal(got, tc.want) {
			t.Errorf("outliers of %v = %v, want %v", tc.values, got, tc.want)
		}
	}
}

func TestThreeSamplesCannotBeSignificant(t *testing.T) {
	// Completely separated samples 10% apart: the smallest p-value a
	// two-sided Mann-Whitney U test reaches with 3 vs 3 is 2/C(6,3) = 0.1.
	d := CompareSamples([]float64{100, 100.5, 101}, []float64{110, 110.5, 111}, 0.05)
	if math.Abs(d.P-0.1) > 1e-9 {
		t.Errorf("p = %v, want 0.1", d.P)
	}
	if d.Significant {
		t.Error("3 vs 3 called significant")
	}
	if !slices.Contains(d.Warnings, WarnNoDetect) {
		t.Errorf("warnings = %q, want %q", d.Warnings, WarnNoDetect)
	}
	if math.Abs(d.ChangePct()-9.95) > 0.01 {
		t.Errorf("change = %v%%, want 9.95%%", d.ChangePct())
	}

	// 4 vs 4 can: 2/C(8,4) = 0.029.
	d = CompareSamples([]float64{100, 100.5, 101, 100.2}, []float64{110, 110.5, 111, 110.2}, 0.05)
	if !d.Significant || math.Abs(d.P-2.0/70) > 1e-9 {
		t.Errorf("4 vs 4 separated: p = %v significant = %v, want p = 0.0286, significant", d.P, d.Significant)
	}
	// 5 vs 5: 2/C(10,5) = 0.0079, benchstat's familiar p=0.008.
	d = CompareSamples([]float64{1, 2, 3, 4, 5}, []float64{6, 7, 8, 9, 10}, 0.05)
	if got := d.String(); got != "p=0.008 n=5" {
		t.Errorf("String() = %q", got)
	}
}

func TestCompareSamplesEdges(t *testing.T) {
	d := CompareSamples([]float64{0, 0, 0, 0, 0}, []float64{0, 0, 0, 0, 0}, 0)
	if d.Significant || d.P != 1 || d.Change != 0 || len(d.Warnings) != 0 || d.Alpha != DefaultAlpha {
		t.Errorf("equal samples: %+v", d)
	}
	d = CompareSamples([]float64{0, 0, 0, 0, 0}, []float64{1, 2, 1, 3, 2}, 0.05)
	if !math.IsInf(d.Change, 1) || !d.Significant {
		t.Errorf("from zero: change %v significant %v", d.Change, d.Significant)
	}
	// A negative base (a variant faster than its baseline): going up is
	// still an increase.
	if d := CompareSamples([]float64{-1}, []float64{1}, 0.05); d.Change != 2 {
		t.Errorf("change from -1 to 1 = %v, want +2", d.Change)
	}
	if d := CompareSamples(nil, []float64{1}, 0.05); d.Significant || len(d.Warnings) == 0 {
		t.Errorf("empty side: %+v", d)
	}
}
