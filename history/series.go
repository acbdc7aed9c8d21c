package history

import (
	"fmt"
	"math"
	"sort"
	"strings"
	"time"

	"github.com/benchctl/benchctl/bench/changepoint"
	"github.com/benchctl/benchctl/bench/results"
	"github.com/benchctl/benchctl/bench/stats"
)

// RunRef names one results file of a series: its run.
type RunRef struct {
	SHA256         string    `json:"sha256"`
	Path           string    `json:"path"`
	ScenarioSHA256 string    `json:"scenario_sha256"`
	Started        time.Time `json:"started"`
	Build          Build     `json:"build"`
}

// Point is one file's figure in a series.
type Point struct {
	Run      RunRef
	Scenario string
	Variant  string
	Metric   string
	Env      Env
	PointValue
	Gate map[string]float64
}

// EnvKeys are the environment keys that keep series apart, as --env and
// --merge name them.
var EnvKeys = []string{"host", "kernel", "cpu_model", "guest"}

func (e Env) get(key string) string {
	switch key {
	case "host":
		return e.Host
	case "kernel":
		return e.Kernel
	case "cpu_model":
		return e.CPUModel
	case "guest":
		return e.Guest
	}
	return ""
}

// CheckEnvKey fails for a key that is not one of EnvKeys.
func CheckEnvKey(key string) error {
	for _, k := range EnvKeys {
		if k == key {
			return nil
		}
	}
	return fmt.Errorf("unknown environment key %q (valid: %s)", key, strings.Join(EnvKeys, ", "))
}

// Key identifies a series: one figure of one variant of one scenario on
// one environment. A merged environment key is "*".
type Key struct {
	Scenario string `json:"scenario"`
	Variant  string `json:"variant"`
	Metric   string `json:"metric"`
	Env      Env    `json:"env"`
}

func (k Key) String() string {
	env := []string{}
	for _, e := range EnvKeys {
		v := k.Env.get(e)
		if v == "" {
			v = "-"
		}
		env = append(env, e+"="+v)
	}
	return fmt.Sprintf("%s / %s / %s [%s]", k.Scenario, k.Variant, k.Metric, strings.Join(env, " "))
}

// Series is the points of one Key, in time order.
type Series struct {
	Key    Key
	Points []Point
}

// Filter keeps the points whose environment has every KEY=VALUE of env
// (exact match).
func Filter(points []Point, env map[string]string) []Point {
	if len(env) == 0 {
		return points
	}
	var out []Point
next:
	for _, p := range points {
		for k, v := range env {
			if p.Env.get(k) != v {
				continue next
			}
		}
		out = append(out, p)
	}
	return out
}

// Group splits points (in time order) into series; the environment keys
// in merge do not split them. Series come sorted by key.
func Group(points []Point, merge []string) []Series {
	index := map[Key]int{}
	var out []Series
	for _, p := range points {
		k := Key{Scenario: p.Scenario, Variant: p.Variant, Metric: p.Metric, Env: Env{Host: p.Env.Host, Kernel: p.Env.Kernel, CPUModel: p.Env.CPUModel, Guest: p.Env.Guest}}
		for _, m := range merge {
			switch m {
			case "host":
				k.Env.Host = "*"
			case "kernel":
				k.Env.Kernel = "*"
			case "cpu_model":
				k.Env.CPUModel = "*"
			case "guest":
				k.Env.Guest = "*"
			}
		}
		i, ok := index[k]
		if !ok {
			i = len(out)
			index[k] = i
			out = append(out, Series{Key: k})
		}
		out[i].Points = append(out[i].Points, p)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Key.String() < out[j].Key.String() })
	return out
}

// Interval is a median with its 95% confidence interval (stats.Summarize);
// Lo and Hi are null in JSON when the segment is too short for one.
type Interval struct {
	Median float64  `json:"median"`
	Lo     *float64 `json:"lo"`
	Hi     *float64 `json:"hi"`
	N      int      `json:"n"`
}

func interval(values []float64) Interval {
	s := stats.Summarize(values)
	iv := Interval{Median: s.Median, N: s.N}
	if s.HasCI() {
		lo, hi := s.Lo, s.Hi
		iv.Lo, iv.Hi = &lo, &hi
	}
	return iv
}

// Change is one change point of a series.
type Change struct {
	// Index is the first point after the change.
	Index  int      `json:"index"`
	Before Interval `json:"before"`
	After  Interval `json:"after"`
	// Change is after − before: in percent of before, or in percentage
	// points for the figures that are percentages (Points).
	Change float64 `json:"change"`
	Points bool    `json:"in_points"`
	// P is the permutation test's p-value.
	P float64 `json:"p"`
	// Regression is set when the change is for the worse (every gated
	// figure is lower-is-better).
	Regression bool   `json:"regression"`
	LastBefore RunRef `json:"last_before"`
	FirstAfter RunRef `json:"first_after"`
}

// DriftChange is a series' drift (changepoint.Drift) in its figure's
// terms.
type DriftChange struct {
	// From and To are the fitted values at the first and the last run;
	// Change is To against From (percent, or points), PerRun the change
	// per run.
	From   float64 `json:"from"`
	To     float64 `json:"to"`
	Change float64 `json:"change"`
	PerRun float64 `json:"per_run"`
	Points bool    `json:"in_points"`
	P      float64 `json:"p"`
	First  RunRef  `json:"first"`
	Last   RunRef  `json:"last"`
	// Regression is set when it drifts for the worse.
	Regression bool `json:"regression"`
}

// Analysis is what Analyze found in a series.
type Analysis struct {
	Series Series
	// TooShort is set when the series has fewer points than a change
	// point needs (changepoint.Options.MinSeries).
	TooShort bool
	Changes  []Change
	Drift    *DriftChange
}

// inPoints tells whether metric's changes are in percentage points.
func inPoints(metric string) bool {
	m, ok := results.GateMeasure(metric)
	return ok && m.Kind == results.KindPercent
}

func change(before, after float64, points bool) float64 {
	if points {
		return after - before
	}
	if before == 0 {
		return math.Inf(1)
	}
	return 100 * (after - before) / math.Abs(before)
}

// Analyze finds the change points of s.
func Analyze(s Series, o changepoint.Options) Analysis {
	a := Analysis{Series: s}
	if len(s.Points) < o.MinSeries() {
		a.TooShort = true
		return a
	}
	x := make([]float64, len(s.Points))
	for i, p := range s.Points {
		x[i] = p.Median
	}
	points := inPoints(s.Key.Metric)
	r := changepoint.Detect(x, o)
	if d := r.Drift; d != nil {
		n := len(x)
		a.Drift = &DriftChange{From: d.From, To: d.To, Change: change(d.From, d.To, points), Points: points, P: d.P,
			First: s.Points[0].Run, Last: s.Points[n-1].Run, Regression: d.To > d.From}
		a.Drift.PerRun = a.Drift.Change / float64(max(n-1, 1))
	}
	for i, cp := range r.Points {
		lo, hi := 0, len(x)
		if i > 0 {
			lo = r.Points[i-1].Index
		}
		if i+1 < len(r.Points) {
			hi = r.Points[i+1].Index
		}
		c := Change{Index: cp.Index, P: cp.P, Points: points,
			Before: interval(x[lo:cp.Index]), After: interval(x[cp.Index:hi]),
			LastBefore: s.Points[cp.Index-1].Run, FirstAfter: s.Points[cp.Index].Run}
		if a.Drift != nil {
			// Steps on top of a drift: the medians around the fitted line.
			c.Before, c.After = detrended(x[lo:cp.Index], lo, r.Drift), detrended(x[cp.Index:hi], cp.Index, r.Drift)
		}
		c.Change = change(c.Before.Median, c.After.Median, points)
		c.Regression = c.After.Median > c.Before.Median
		a.Changes = append(a.Changes, c)
	}
	return a
}

// detrended is the interval of x (starting at index from) less the
// drift's line, put back at the line's value at the change: the step as
// it would be without the drift.
func detrended(x []float64, from int, d *changepoint.Drift) Interval {
	y := make([]float64, len(x))
	for i, v := range x {
		y[i] = v - d.Slope*float64(from+i)
	}
	return interval(y)
}

// Verdict is what Check decided for one series.
type Verdict struct {
	Analysis  Analysis
	Threshold float64
	// Status is "regression", "ok" or "inconclusive"; Reason says why.
	Status string
	Reason string
}

// Check statuses.
const (
	StatusRegression   = "regression"
	StatusOK           = "ok"
	StatusInconclusive = "inconclusive"
)

// Check judges one analysed series for the nightly gate: a regression
// when its latest change point (first run after it at or after since,
// when since is not zero) is for the worse by more than threshold
// (percent, or points), or when it drifts for the worse by more than the
// threshold over the runs since then; inconclusive when it is too short.
func Check(a Analysis, threshold float64, since time.Time) Verdict {
	v := Verdict{Analysis: a, Threshold: threshold, Status: StatusOK}
	unit := "%"
	if inPoints(a.Series.Key.Metric) {
		unit = " points"
	}
	if a.TooShort {
		v.Status = StatusInconclusive
		v.Reason = fmt.Sprintf("%d runs: too few for a change point", len(a.Series.Points))
		return v
	}
	if d := a.Drift; d != nil && !a.Series.Points[len(a.Series.Points)-1].Run.Started.Before(since) {
		// The part of the drift since `since`.
		n := 0
		for _, p := range a.Series.Points {
			if !p.Run.Started.Before(since) {
				n++
			}
		}
		total := d.PerRun * float64(max(n-1, 0))
		if d.Regression && total > threshold {
			v.Status = StatusRegression
			v.Reason = fmt.Sprintf("drifts by %+.2f%s per run, %+.2f%s over the %d runs checked (threshold %g%s, p %.2g)", d.PerRun, unit, total, unit, n, threshold, unit, d.P)
			return v
		}
	}
	for i := len(a.Changes) - 1; i >= 0; i-- {
		c := a.Changes[i]
		if c.FirstAfter.Started.Before(since) {
			break
		}
		if c.Regression && c.Change > threshold {
			v.Status = StatusRegression
			v.Reason = fmt.Sprintf("%+.2f%s from run %s (build %s) on, p %.3g (threshold %g%s)", c.Change, unit, shortHash(c.FirstAfter.SHA256), c.FirstAfter.Build, c.P, threshold, unit)
		} else {
			v.Reason = fmt.Sprintf("latest change %+.2f%s from build %s on (threshold %g%s)", c.Change, unit, c.FirstAfter.Build, threshold, unit)
		}
		return v
	}
	v.Reason = "no change point"
	return v
}

func shortHash(h string) string {
	if len(h) > 12 {
		return h[:12]
	}
	return h
}

// Relative makes the series of variant against base, measured in the
// same results files: each file's median of variant as a percentage of
// base's (its whisker, variant's smallest and largest, against base's
// median), or, for the figures that are percentages themselves, the
// difference in percentage points. Machine drift between files moves
// both variants of a file alike, so it cancels out here: the series is
// what the interleaved gate compares, file after file. Files without
// both variants are left out; the points keep variant's other fields,
// named "variant vs base".
func Relative(points []Point, variant, base string) []Point {
	type fileKey struct{ sha, scenario string }
	bases := map[fileKey]Point{}
	for _, p := range points {
		if p.Variant == base {
			bases[fileKey{p.Run.SHA256, p.Scenario}] = p
		}
	}
	var out []Point
	for _, p := range points {
		if p.Variant != variant {
			continue
		}
		b, ok := bases[fileKey{p.Run.SHA256, p.Scenario}]
		if !ok || (!inPoints(p.Metric) && b.Median == 0) {
			continue
		}
		r := p
		r.Variant = variant + " vs " + base
		if inPoints(p.Metric) {
			r.Median, r.Min, r.Max = p.Median-b.Median, p.Min-b.Median, p.Max-b.Median
		} else {
			r.Median, r.Min, r.Max = 100*p.Median/b.Median, 100*p.Min/b.Median, 100*p.Max/b.Median
		}
		out = append(out, r)
	}
	return out
}
