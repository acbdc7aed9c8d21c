package stats

import (
	"errors"
	"fmt"
	"math"

	"github.com/aclements/go-moremath/stats"
	mstats "github.com/montanaflynn/stats"
	"golang.org/x/perf/benchmath"
)

// Statistical settings, as benchstat uses them.
const (
	// Confidence is the level of the confidence intervals of medians.
	Confidence = 0.95
	// DefaultAlpha is the significance level of two-sample comparisons.
	DefaultAlpha = 0.05
	// MinSamplesCI is the smallest sample with a finite 95% confidence
	// interval of the median.
	MinSamplesCI = 6
	// MinSamplesDetect is the smallest per-side sample size with which a
	// Mann-Whitney U test can reach p < 0.05 at all.
	MinSamplesDetect = 4
	// OutlierZ is the modified z-score beyond which a value is flagged as
	// an outlier (Iglewicz and Hoaglin).
	OutlierZ = 3.5
	// OutlierMinRel is how far from the median, relative to it, a value
	// must also be to be flagged. With five samples the MAD is often tiny
	// and the z-score alone flags differences of a fraction of a percent,
	// well inside a machine's round-to-round noise (about ±3%).
	OutlierMinRel = 0.05
)

// Warnings that summaries and comparisons carry; renderers print them as
// notes.
const (
	WarnNoCI     = "too few samples for a CI (95% CI of a median needs n ≥ 6)"
	WarnNoDetect = "too few samples to detect a difference (Mann-Whitney needs n ≥ 4 on a side for p < 0.05)"
	// WarnNoDetectPaired: the signed-rank test's smallest p is 2/2^n.
	WarnNoDetectPaired = "too few pairs to detect a difference at this alpha (the signed-rank test's smallest p is 2/2^n)"
)

// Summary describes one sample: the values of one metric over the
// measured runs of one variant.
type Summary struct {
	// N is the number of values.
	N int
	// Values in run order (the order given to Summarize).
	Values []float64
	// Median and its confidence interval [Lo, Hi]; Lo and Hi are -Inf and
	// +Inf when N is too small for an interval (see WarnNoCI).
	Median, Lo, Hi float64
	// Confidence is the actual level of [Lo, Hi], at least Confidence.
	Confidence float64
	Min, Max   float64
	// Outliers holds the indexes into Values whose modified z-score
	// (0.6745·|x − median| / MAD) exceeds OutlierZ and that are more than
	// OutlierMinRel away from the median.
	Outliers []int
	Warnings []string
}

// HasCI tells whether the confidence interval is finite.
func (s Summary) HasCI() bool {
	return s.N > 0 && !math.IsInf(s.Lo, 0) && !math.IsInf(s.Hi, 0)
}

// Negated is the summary of the values' negatives (an overhead from a
// throughput change): median and interval mirrored, values copied.
func (s Summary) Negated() Summary {
	s.Median, s.Lo, s.Hi = -s.Median, -s.Hi, -s.Lo
	vs := make([]float64, len(s.Values))
	for i, v := range s.Values {
		vs[i] = -v
	}
	s.Values = vs
	return s
}

// Summarize returns the summary of values (which it does not modify).
// An empty sample gives a zero Summary.
func Summarize(values []float64) Summary {
	if len(values) == 0 {
		return Summary{}
	}
	s := Summary{N: len(values), Values: append([]float64(nil), values...)}
	sorted := append([]float64(nil), values...)
	sample := benchmath.NewSample(sorted, &benchmath.DefaultThresholds) // sorts sorted
	sum := benchmath.AssumeNothing.Summary(sample, Confidence)
	s.Median, s.Lo, s.Hi, s.Confidence = sum.Center, sum.Lo, sum.Hi, sum.Confidence
	s.Min, s.Max = sorted[0], sorted[len(sorted)-1]
	if !s.HasCI() {
		s.Lo, s.Hi = math.Inf(-1), math.Inf(1)
		s.Warnings = append(s.Warnings, WarnNoCI)
	}
	s.Outliers = outliers(values, s.Median)
	return s
}

// outliers returns the indexes of the values whose modified z-score
// exceeds OutlierZ and whose distance to the median exceeds
// OutlierMinRel·|median|. The scale is the median absolute deviation; when more
// than half the values equal the median (MAD 0) it falls back to the mean
// absolute deviation, and flags nothing when that is 0 too.
func outliers(values []float64, median float64) []int {
	if len(values) < 3 {
		return nil
	}
	dev := make([]float64, len(values))
	for i, v := range values {
		dev[i] = math.Abs(v - median)
	}
	mad, _ := mstats.Median(dev) // the MAD, around the given median
	// The constants make the score comparable to a z-score for normal
	// data: MAD ≈ 0.6745σ and mean absolute deviation ≈ 0.7979σ.
	scale := mad / 0.6745
	if mad == 0 {
		scale = stats.Mean(dev) / 0.7979
	}
	if scale == 0 || math.IsNaN(scale) {
		return nil
	}
	var out []int
	for i, d := range dev {
		if d/scale > OutlierZ && d > OutlierMinRel*math.Abs(median) {
			out = append(out, i)
		}
	}
	return out
}

// Delta is the comparison of two samples of one metric: a Mann-Whitney U
// test (benchmath.AssumeNothing) and the relative change of the medians.
type Delta struct {
	Base, Head Summary
	// Change is (head median − base median) / |base median|: -0.1 is 10%
	// lower. It is 0 when both medians are 0, ±Inf when only the base's is.
	Change float64
	// P is the p-value of the test; Significant is P <= Alpha (benchstat's
	// rule). Without a significant difference a change prints as "~".
	P           float64
	Alpha       float64
	Significant bool
	Warnings    []string
	// Test names the test behind P: TestMannWhitney (CompareSamples) or
	// TestWilcoxon (ComparePaired).
	Test string
}

// ChangePct is Change in percent.
func (d Delta) ChangePct() float64 { return d.Change * 100 }

// CompareSamples compares two samples with a Mann-Whitney U test at level
// alpha (DefaultAlpha when 0).
func CompareSamples(base, head []float64, alpha float64) Delta {
	if alpha <= 0 {
		alpha = DefaultAlpha
	}
	d := Delta{Base: Summarize(base), Head: Summarize(head), Alpha: alpha, P: 1, Test: TestMannWhitney}
	d.Change = relChange(d.Base.Median, d.Head.Median)
	if len(base) == 0 || len(head) == 0 {
		d.Warnings = append(d.Warnings, "no samples on one side")
		return d
	}
	th := benchmath.Thresholds{CompareAlpha: alpha}
	s1 := benchmath.NewSample(append([]float64(nil), base...), &th)
	s2 := benchmath.NewSample(append([]float64(nil), head...), &th)
	cmp := benchmath.AssumeNothing.Compare(s1, s2)
	d.P = cmp.P
	d.Significant = cmp.P <= alpha
	for _, err := range cmp.Warnings {
		switch {
		case errors.Is(err, stats.ErrSamplesEqual):
			// Identical samples: no difference, nothing to warn about.
		case alpha == DefaultAlpha && len(base) < MinSamplesDetect && len(head) < MinSamplesDetect:
			d.Warnings = appendOnce(d.Warnings, WarnNoDetect)
		default:
			d.Warnings = appendOnce(d.Warnings, err.Error())
		}
	}
	return d
}

func relChange(base, head float64) float64 {
	switch {
	case base == head:
		return 0
	case base == 0:
		return math.Inf(int(math.Copysign(1, head)))
	}
	return (head - base) / math.Abs(base)
}

func appendOnce(list []string, s string) []string {
	for _, have := range list {
		if have == s {
			return list
		}
	}
	return append(list, s)
}

// String formats the test result as benchstat does: "p=0.008 n=5", or
// "p=0.008 n=5+4" for unequal sizes.
func (d Delta) String() string {
	n1, n2 := d.Base.N, d.Head.N
	if n1 == n2 {
		return fmt.Sprintf("p=%.3f n=%d", d.P, n1)
	}
	return fmt.Sprintf("p=%.3f n=%d+%d", d.P, n1, n2)
}

// Verdict is the outcome of one gated metric of one variant.
type Verdict string

// The four verdicts. Every gate metric is lower-is-better.
const (
	// VerdictRegression: significant and worse by more than the threshold.
	VerdictRegression Verdict = "regression"
	// VerdictImprovement: significant and better by more than the threshold.
	VerdictImprovement Verdict = "improvement"
	// VerdictNoChange: no change beyond the threshold, and a change as
	// large as the threshold would have been seen: the minimum
	// detectable change (at Power) is within it. A significant change
	// within the threshold is no change too.
	VerdictNoChange Verdict = "no change"
	// VerdictInconclusive: neither a regression nor an improvement, and
	// the data cannot tell that there is none: too few values to ever
	// reach significance at this alpha (MinP > alpha), or a minimum
	// detectable change larger than the threshold.
	VerdictInconclusive Verdict = "inconclusive"
)

// Decide is the gate's rule for one figure whose change (percent, or
// points), significance and minimum detectable change (in the unit of
// the change; +Inf or NaN when nothing can be detected) are known: a
// significant change beyond the threshold is a regression (worse) or an
// improvement (better); otherwise the figure did not change by more than
// the threshold only if a change that large could have been seen, and is
// inconclusive if not. Every gated figure is lower-is-better.
func Decide(significant bool, change, threshold, mdc float64) Verdict {
	switch {
	case significant && change > threshold:
		return VerdictRegression
	case significant && change < -threshold:
		return VerdictImprovement
	case math.IsNaN(mdc) || mdc > threshold:
		return VerdictInconclusive
	}
	return VerdictNoChange
}

// Thresholds above which a run is flagged as noisy, chosen from runs on
// the 2-core KVM (Firecracker) reference machine, 2026-11-27 (README,
// "Noise"): with nothing else running in the VM, outside CPU stayed at
// 0 to 2.3% (quick.yaml and a redis baseline), while another process
// (a `while :; do :; done` loop, or other people's builds) gave 18.7 to
// 73%; steal was 0 to 2.5% when the host was calm, and runs at 7 to 48%
// steal lost throughput (redis baseline: 80-85k requests/s at 5-10%
// steal, 28-40k at 30-36%, 12-15k at 43-48%).
//
// A run is flagged when its steal time exceeds the steal threshold's
// share of the elapsed CPU time, or processes that are not benchctl's
// used more than the outside threshold's share. The thresholds travel as
// values (results.NoiseThresholds); these are their defaults.
const (
	DefaultNoiseStealPct   = 5.0
	DefaultNoiseOutsidePct = 5.0
)

// CheckNoiseThresholds checks thresholds given as percentages, 0 to 100.
func CheckNoiseThresholds(stealPct, outsidePct float64) error {
	for _, v := range []float64{stealPct, outsidePct} {
		if !(v >= 0 && v <= 100) {
			return fmt.Errorf("noise threshold %v: want a percentage from 0 to 100", v)
		}
	}
	return nil
}

// NoiseFlags returns why a run with that steal and outside CPU (percent
// of the elapsed CPU time) is noisy under the thresholds maxStealPct and
// maxOutsidePct, e.g. "steal 7.2% > 5%"; nil when it is not.
func NoiseFlags(stealPct, outsidePct, maxStealPct, maxOutsidePct float64) []string {
	var out []string
	if stealPct > maxStealPct {
		out = append(out, fmt.Sprintf("steal %.1f%% > %g%%", stealPct, maxStealPct))
	}
	if outsidePct > maxOutsidePct {
		out = append(out, fmt.Sprintf("outside CPU %.1f%% > %g%%", outsidePct, maxOutsidePct))
	}
	return out
}

// HalfWidth is the rule of adaptive repetitions: the half-width of s's
// confidence interval, (hi - lo) / 2, in points when points is set (a
// figure that is a percentage itself), else in percent of the median.
// ok is false when s has no interval, or a zero median and a non-zero
// width (a zero median has no relative width).
func HalfWidth(s Summary, points bool) (hw float64, ok bool) {
	if !s.HasCI() {
		return 0, false
	}
	hw = (s.Hi - s.Lo) / 2
	switch {
	case points:
		return hw, true
	case s.Median != 0:
		return 100 * hw / math.Abs(s.Median), true
	case hw == 0:
		return 0, true
	}
	return 0, false
}
