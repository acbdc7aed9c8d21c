package compare

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"sort"
	"strings"

	"github.com/benchctl/benchctl/bench/results"
	"github.com/benchctl/benchctl/bench/stats"
)

// ErrIncomparable is returned (wrapped, with the reason) when two results
// files cannot be compared: another scenario, an unknown schema version,
// variants missing on one side.
var ErrIncomparable = errors.New("results cannot be compared")

// CompareOptions tune Compare.
type CompareOptions struct {
	// Thresholds override the gate section of the base file's scenario
	// (bench.DefaultGate when it has none): metric -> percent.
	Thresholds map[string]float64
	// Alpha is the significance level; 0 means DefaultAlpha.
	Alpha float64
	// Paired compares the runs of base and head round by round with a
	// Wilcoxon signed-rank test of their differences, for base and head
	// measured in the same rounds (SplitTracers); otherwise the two
	// samples are compared with a Mann-Whitney U test.
	Paired bool
	// InconclusivePass lets inconclusive figures pass the gate
	// (`--inconclusive pass`); by default they fail it (see Status).
	InconclusivePass bool
	// LoadGrowth and LoadLimit are the load gate's thresholds in percent
	// (see gateLoad); 0 means DefaultLoadGrowth and DefaultLoadLimit.
	LoadGrowth, LoadLimit float64
	// AllowEnvChange names the differences of EnvChanges the comparison
	// may span (`--allow-env-change`); any other makes it inconclusive.
	AllowEnvChange []string
}

// Side describes one of the two compared files.
type Side struct {
	Scenario    results.ScenarioInfo
	Environment results.Environment
	Complete    bool
	Reason      string
	// Runs is the number of measured runs in the file; Flagged how many
	// of them are flagged as noisy (see Noise).
	Runs    int
	Flagged int
	// Tracer is the side's external tracer when it has exactly one with
	// provenance (a side of SplitTracers: the base or head build).
	Tracer *results.TracerProvenance
	// Build is the benchctl that measured the side (schema 2 on).
	Build *results.Build
}

// GateRow is one gated metric of one variant.
type GateRow struct {
	Variant   string
	Metric    string // a GateMetrics name
	Measure   results.Measure
	Threshold float64 // percent
	stats.Delta
	Verdict stats.Verdict
	// MDC is the minimum detectable change of the comparison that
	// decided (stats.MinDetectable at stats.Power), in the unit of Change
	// (percent of the base median, or points): no regression larger than
	// it could have gone unseen. +Inf when the samples are too small for
	// the test to reach alpha, NaN when a side has no values.
	MDC float64
	// Reason says why an inconclusive row could not be decided.
	Reason string
	// Noise is set when either sample holds values of runs flagged as
	// noisy: those values are left out of Delta, the comparison that
	// decides (see judge).
	Noise *RowNoise
}

// InPoints reports whether the row's metric is itself a percentage
// (overhead, drop_ratio): its change and threshold are then percentage
// points, head − base, since a relative change of a figure near zero is
// noise (an overhead of 1% becoming 2% would be +100%).
func (r GateRow) InPoints() bool { return r.Measure.Kind == results.KindPercent }

// Change is the change the verdict judges: percentage points (InPoints)
// or the percent change of the median.
func (r GateRow) Change() float64 {
	if r.InPoints() {
		return r.Head.Median - r.Base.Median
	}
	return r.ChangePct()
}

// Comparison is what `benchctl compare` decides: every gated metric of
// every variant present in both files, with its verdict.
type Comparison struct {
	Scenario   string
	Alpha      float64
	Thresholds map[string]float64
	// Paired is set when rows were decided by the paired test (see
	// CompareOptions.Paired and Test).
	Paired bool
	// InconclusivePass is CompareOptions.InconclusivePass.
	InconclusivePass bool
	Base, Head       Side
	// Differences are the ways base and head differ in what decides
	// whether they can be compared (see EnvChanges, DiffTCG, DiffSame):
	// one not Allowed makes the comparison inconclusive, whatever its
	// rows say (see Status and Blocked).
	Differences []Difference
	Rows        []GateRow
	// Warnings are things a reader should know that do not stop the
	// comparison (incomplete file, changed variant, other host).
	Warnings []string
	// Missing are the gated figures that could not be computed on a
	// side: no value in any of its measured runs (programs missing, a
	// workload without latency), or values that are not finite (+Inf,
	// NaN), which the test cannot take and which must not be dropped in
	// silence (an infinite overhead is the worst change there is). Each
	// makes the comparison inconclusive, and --inconclusive pass does not
	// let it through: there the data could not decide a figure, here
	// there is no figure to decide (see Status).
	Missing []string
	// Load compares every program's verified instructions (LoadRow),
	// with the thresholds applied.
	Load                  []LoadRow
	LoadGrowth, LoadLimit float64
}

// Metrics returns the gated metric names, sorted.
func (c *Comparison) Metrics() []string {
	return slices.Sorted(maps.Keys(c.Thresholds))
}

// Regressions returns the rows whose verdict is a regression.
func (c *Comparison) Regressions() []GateRow { return c.rowsWith(stats.VerdictRegression) }

// rowsWith returns the rows whose verdict is v.
func (c *Comparison) rowsWith(v stats.Verdict) []GateRow {
	var out []GateRow
	for _, row := range c.Rows {
		if row.Verdict == v {
			out = append(out, row)
		}
	}
	return out
}

func incomparable(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrIncomparable, fmt.Sprintf(format, args...))
}

// Compare gates head against base. Variants are matched by name; each
// gated metric's samples are compared with a Mann-Whitney U test (or,
// with opts.Paired, a Wilcoxon signed-rank test of the per-round
// differences) without the values of noisy runs, and each gets one of
// four verdicts (stats.Decide): a change is a regression when it is
// significant and beyond its threshold, no change when it is not and a
// change as large as the threshold would have been detected, and
// inconclusive when it would not.
//
// It fails, wrapping ErrIncomparable, when no row could be formed: the
// files come from different scenarios, a schema version this code does
// not read, their variants differ, and on an unknown metric name in the
// thresholds. Files it can read but that were measured apart in a way
// that decides what timings mean (another kernel, CPU, kind of machine,
// workload, scenario file or schema version; a TCG guest; one
// measurement on both sides) are compared, and the comparison is
// inconclusive, naming what differed (Differences), unless
// opts.AllowEnvChange allows it: before, different schema versions were
// said to fail here, and passed; a version the code reads still is a
// file it can read, and a reader who means it can span it.
func Compare(base, head *results.Results, opts CompareOptions) (*Comparison, error) {
	if err := checkReadable(base, head); err != nil {
		return nil, err
	}
	alpha := opts.Alpha
	if alpha <= 0 {
		alpha = stats.DefaultAlpha
	}
	thresholds, err := Thresholds(base.Scenario.Gate, opts.Thresholds)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrIncomparable, err)
	}
	c := &Comparison{
		Scenario:   base.Scenario.Name,
		Alpha:      alpha,
		Thresholds: thresholds,
		Paired:     opts.Paired,
		Base:       side(base),
		// set below, beside Paired
		InconclusivePass: opts.InconclusivePass,
		Head:             side(head),
	}
	if err := checkMeasured(base, head); err != nil {
		return nil, err
	}
	c.Differences = differences(base, head, opts.AllowEnvChange, opts.Paired)
	c.Warnings = append(compareWarnings(base, head), noiseWarnings(base, head)...)
	c.Warnings = append(c.Warnings, foreignWarnings(base, head)...)
	if bt, ht := c.Base.Tracer, c.Head.Tracer; bt != nil && ht != nil && bt.SHA256 != "" && bt.SHA256 == ht.SHA256 {
		c.Warnings = append(c.Warnings, fmt.Sprintf("base and head tracers %s and %s are the same executable (sha256 %s): an A/A comparison", bt.Name, ht.Name, bt.SHA256))
	}

	metrics := c.Metrics()
	for _, v := range base.Variants {
		for _, metric := range metrics {
			c.gate(base, head, v.Name, metric, opts.Paired)
		}
	}
	c.LoadGrowth, c.LoadLimit = opts.LoadGrowth, opts.LoadLimit
	if c.LoadGrowth == 0 {
		c.LoadGrowth = DefaultLoadGrowth
	}
	if c.LoadLimit == 0 {
		c.LoadLimit = DefaultLoadLimit
	}
	var lw []string
	c.Load, lw = gateLoad(base, head, c.LoadGrowth, c.LoadLimit)
	c.Warnings = append(c.Warnings, lw...)
	// A gated metric no variant has on either side gates nothing: the
	// gate cannot pass it (e.g. latency gated on a workload or a
	// redis-benchmark that reports none).
	for _, metric := range metrics {
		found := slices.ContainsFunc(c.Rows, func(row GateRow) bool { return row.Metric == metric })
		if !found && !slices.ContainsFunc(c.Missing, func(w string) bool { return strings.Contains(w, " "+metric+" ") }) {
			c.Missing = append(c.Missing, fmt.Sprintf("%s is gated, but no variant has %s figures in either file", metric, metric))
		}
	}
	return c, nil
}

// checkReadable refuses a side that is missing or of a schema version
// this code does not read, and two scenarios.
func checkReadable(base, head *results.Results) error {
	for _, f := range []struct {
		side string
		r    *results.Results
	}{{"base", base}, {"head", head}} {
		if f.r == nil {
			return incomparable("no %s results", f.side)
		}
		if err := results.CheckSchema(f.r.Schema); err != nil {
			return fmt.Errorf("%w: %s: %w", ErrIncomparable, f.side, err)
		}
	}
	if base.Scenario.Name != head.Scenario.Name {
		return incomparable("base is scenario %q, head is scenario %q", base.Scenario.Name, head.Scenario.Name)
	}
	return nil
}

// checkMeasured refuses sides whose variants differ, or with a variant
// measured nothing of that the kernel did not refuse.
func checkMeasured(base, head *results.Results) error {
	if missing := missingVariants(base, head); missing != "" {
		return incomparable("%s", missing)
	}
	for _, r := range []struct {
		side string
		r    *results.Results
	}{{"base", base}, {"head", head}} {
		for _, v := range r.r.Variants {
			if !measuredSomehow(r.r, v.Name) {
				if l := r.r.LoadOf(v.Name); l != nil && l.Refusal != nil {
					continue // refused: the load gate judges it
				}
				return incomparable("variant %q has no measured runs in %s", v.Name, r.side)
			}
		}
	}
	return nil
}

// gate judges metric of variant between base and head into a row of c,
// or says in c.Missing why it cannot.
func (c *Comparison) gate(base, head *results.Results, variant, metric string, paired bool) {
	m, _ := results.GateMeasure(metric)
	b := figureOf(base, variant, metric, m)
	h := figureOf(head, variant, metric, m)
	if !b.applies() && !h.applies() {
		return // the metric does not apply (e.g. overhead of the baseline)
	}
	// A figure that cannot be computed on a side decides nothing: the
	// gate cannot pass it (see Missing).
	computed := true
	for _, f := range []struct {
		side string
		f    figure
	}{{"base", b}, {"head", h}} {
		if why := f.f.missing(); why != "" {
			c.Missing = append(c.Missing, fmt.Sprintf("%s: %s %s %s", f.side, variant, metric, why))
			computed = computed && len(f.f.values) > 0
		}
	}
	if !computed {
		return
	}
	row := GateRow{Variant: variant, Metric: metric, Measure: m, Threshold: c.Thresholds[metric]}
	var s gateSamples
	if metric == results.GateCapacity {
		// Capacity searches are not rounds and carry no noise flags.
		s = gateSamples{allBase: b.values, allHead: h.values, cleanBase: b.values, cleanHead: h.values}
	} else {
		s = samplesOf(base, head, variant, m, paired)
		if len(s.allBase) == 0 {
			// Paired, and no round has a value on both sides: nothing of
			// the figure was compared.
			c.Missing = append(c.Missing, fmt.Sprintf("base and head: %s %s has no round with a value on both sides", variant, metric))
			return
		}
	}
	judge(&row, s, paired && metric != results.GateCapacity, c.Alpha)
	c.Rows = append(c.Rows, row)
}

func side(r *results.Results) Side {
	s := Side{
		Scenario:    r.Scenario,
		Environment: r.Environment,
		Complete:    r.Complete,
		Reason:      r.Reason,
		Runs:        len(r.Measured()),
		Flagged:     r.FlaggedCount(),
	}
	if p := r.Provenance; p != nil {
		b := p.Build
		s.Build = &b
		if len(p.Tracers) == 1 {
			t := p.Tracers[0]
			s.Tracer = &t
		}
	}
	return s
}

func missingVariants(base, head *results.Results) string {
	var msgs []string
	for _, pair := range []struct {
		from, to   *results.Results
		fromN, toN string
	}{{base, head, "base", "head"}, {head, base, "head", "base"}} {
		var names []string
		for _, v := range pair.from.Variants {
			if _, ok := pair.to.Variant(v.Name); !ok {
				names = append(names, v.Name)
			}
		}
		if len(names) > 0 {
			msgs = append(msgs, fmt.Sprintf("variants in %s missing from %s: %s", pair.fromN, pair.toN, strings.Join(names, ", ")))
		}
	}
	return strings.Join(msgs, "; ")
}

func compareWarnings(base, head *results.Results) []string {
	var w []string
	for _, f := range []struct {
		side string
		r    *results.Results
	}{{"base", base}, {"head", head}} {
		if !f.r.Complete {
			reason := f.r.Reason
			if reason == "" {
				reason = "no reason recorded"
			}
			w = append(w, fmt.Sprintf("%s results are incomplete: %s", f.side, reason))
		}
	}
	be, he := base.Environment, head.Environment
	diff := func(what, a, b string) {
		if a != b {
			w = append(w, fmt.Sprintf("%s differs: base %q, head %q", what, a, b))
		}
	}
	// What decides whether the files can be compared is in
	// Differences; these only change what a reader makes of it.
	diff("clock source", be.ClockSource, he.ClockSource)
	diff("stats method", be.StatsMethod, he.StatsMethod)
	diff("host", be.Hostname, he.Hostname)
	if base.Scenario.SHA256 != head.Scenario.SHA256 && base.Scenario.SHA256 != "" && head.Scenario.SHA256 != "" {
		w = append(w, "scenario files differ (sha256); thresholds are taken from the base file")
	}
	for _, v := range base.Variants {
		hv, _ := head.Variant(v.Name)
		if d := variantDiff(v, hv); d != "" {
			w = append(w, fmt.Sprintf("variant %s changed: %s", v.Name, d))
		}
	}
	return w
}

func variantDiff(a, b results.Variant) string {
	var d []string
	add := func(what string, x, y any) {
		if fmt.Sprint(x) != fmt.Sprint(y) {
			d = append(d, fmt.Sprintf("%s %v → %v", what, x, y))
		}
	}
	add("mode", a.Mode, b.Mode)
	add("toctou", a.TOCTOU, b.TOCTOU)
	add("set", a.Set, b.Set)
	as, bs := slices.Clone(a.Syscalls), slices.Clone(b.Syscalls)
	sort.Strings(as)
	sort.Strings(bs)
	add("syscalls", strings.Join(as, ","), strings.Join(bs, ","))
	add("stats", a.Stats, b.Stats)
	add("ring size", a.RingSize, b.RingSize)
	add("snaplen", a.Snaplen, b.Snaplen)
	return strings.Join(d, ", ")
}
