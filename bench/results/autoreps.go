package results

import (
	"fmt"
	"math"
	"sort"

	"github.com/benchctl/benchctl/bench/stats"
)

// Adaptive repetitions (`repetitions: auto`): rounds are added until the
// 95% confidence interval of the median of every gated metric of every
// measured variant is narrow enough, or the maximum is reached.
//
// An interval's width is judged by its half-width, (hi - lo) / 2: in
// percent of the median for the metrics whose gate threshold is a percent
// change (ns_per_syscall, kernel_time), in percentage points for the
// metrics that are percentages themselves (overhead, drop_ratio). The
// target is HalfWidth when set, else half of each metric's gate threshold:
// an interval that narrow lets a change as large as the threshold stand
// out of the noise.
//
// Stopping on the data inflates the false alarm rate of a fixed-n test a
// little (a round is added only while the data look noisy); the minimum
// of 6 rounds and the Mann-Whitney tests of compare keep it small, and
// the rule is recorded in the results.

// Auto-repetition defaults.
const (
	DefaultAutoMin = 6
	DefaultAutoMax = 20
)

// AutoRepetitions configures `repetitions: auto`.
type AutoRepetitions struct {
	Min int `json:"min"`
	Max int `json:"max"`
	// HalfWidth is the target half-width of every gated metric's
	// interval (percent of the median, or points); 0 means half of each
	// metric's gate threshold.
	HalfWidth float64 `json:"half_width,omitempty"`
}

// AutoOutcome says how an adaptive run ended.
type AutoOutcome struct {
	AutoRepetitions
	// Rounds is the number of measured rounds made.
	Rounds int `json:"rounds"`
	// Narrow is true when every interval reached its target, false when
	// the maximum was reached first (or the run ended early).
	Narrow bool `json:"narrow"`
	// Widest is the interval furthest from its target at the end.
	Widest *IntervalWidth `json:"widest,omitempty"`
}

// IntervalWidth is one gated metric's interval against its target.
type IntervalWidth struct {
	Variant string  `json:"variant"`
	Metric  string  `json:"metric"`
	Median  float64 `json:"median"`
	// NoInterval is set while the runs are too few for an interval; Lo,
	// Hi and HalfWidth are then 0.
	NoInterval bool    `json:"no_interval,omitempty"`
	Lo         float64 `json:"lo"`
	Hi         float64 `json:"hi"`
	// HalfWidth and Target are in percent of the median, or in points
	// for overhead and drop_ratio.
	HalfWidth float64 `json:"half_width"`
	Target    float64 `json:"target"`
	// Points is true when HalfWidth and Target are percentage points.
	Points bool `json:"points,omitempty"`
}

// Ok says whether the interval is narrow enough.
func (w IntervalWidth) Ok() bool { return !w.NoInterval && w.HalfWidth <= w.Target }

func (w IntervalWidth) String() string {
	unit := "% of the median"
	if w.Points {
		unit = " points"
	}
	hw := "no interval yet"
	if !w.NoInterval {
		hw = fmt.Sprintf("±%.3g%s", w.HalfWidth, unit)
	}
	return fmt.Sprintf("%s %s: %s (target ±%.3g%s)", w.Variant, w.Metric, hw, w.Target, unit)
}

// pointMetrics are the gate metrics that are percentages themselves.
var pointMetrics = map[string]bool{"overhead": true, "drop_ratio": true}

// IntervalWidths returns, for every measured variant and every gated
// metric it has, its interval's half-width against the target, widest
// (relative to its target) first. gate holds the thresholds (the
// scenario's gate, or DefaultGate); halfWidth overrides the targets when
// positive.
func (r *Results) IntervalWidths(gate map[string]float64, halfWidth float64) []IntervalWidth {
	if len(gate) == 0 {
		gate = DefaultGate
	}
	names := make([]string, 0, len(gate))
	for n := range gate {
		names = append(names, n)
	}
	sort.Strings(names)
	var out []IntervalWidth
	for _, v := range r.Variants {
		if v.Baseline {
			continue
		}
		for _, metric := range names {
			m, ok := GateMeasure(metric)
			if !ok {
				continue
			}
			values, _ := r.Sample(v.Name, m)
			if len(values) == 0 {
				continue // the variant has no such figure (e.g. stats off)
			}
			target := gate[metric] / 2
			if halfWidth > 0 {
				target = halfWidth
			}
			s := stats.Summarize(values)
			w := IntervalWidth{Variant: v.Name, Metric: metric, Median: s.Median, NoInterval: true,
				Target: target, Points: pointMetrics[metric]}
			if hw, ok := stats.HalfWidth(s, w.Points); ok {
				w.NoInterval, w.Lo, w.Hi, w.HalfWidth = false, s.Lo, s.Hi, hw
			}
			out = append(out, w)
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return excess(out[i]) > excess(out[j]) })
	return out
}

// excess is how far w is from its target, as a ratio.
func excess(w IntervalWidth) float64 {
	if w.NoInterval {
		return math.Inf(1)
	}
	if w.Target <= 0 {
		if w.HalfWidth == 0 {
			return 0
		}
		return math.Inf(1)
	}
	return w.HalfWidth / w.Target
}
