package bench

import (
	"errors"
	"fmt"
	"math"

	"github.com/aclements/go-moremath/stats"
	mstats "github.com/montanaflynn/stats"
	"golang.org/x/perf/benchmath"

	"github.com/benchctl/benchctl/probes"
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
}

// ChangePct is Change in percent.
func (d Delta) ChangePct() float64 { return d.Change * 100 }

// CompareSamples compares two samples with a Mann-Whitney U test at level
// alpha (DefaultAlpha when 0).
func CompareSamples(base, head []float64, alpha float64) Delta {
	if alpha <= 0 {
		alpha = DefaultAlpha
	}
	d := Delta{Base: Summarize(base), Head: Summarize(head), Alpha: alpha, P: 1}
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

// Kind says how a measure's values are expressed, for renderers.
type Kind int

// Measure kinds.
const (
	KindCount      Kind = iota // a plain count (events, drops)
	KindDuration               // nanoseconds
	KindBytes                  // bytes
	KindPercent                // percent (already multiplied by 100)
	KindRatio                  // a dimensionless ratio (events per syscall)
	KindThroughput             // the workload's own unit (Run.Workload.Unit)
)

// Measure is one figure reports summarize per variant: how to read it
// from a run, and what it means.
type Measure struct {
	Key   string // stable identifier, used in CSV and gobench units
	Label string // column or row label
	Kind  Kind
	// Better is -1 when lower is better, +1 when higher is, 0 when neither.
	Better int
	// Value reads the measure from one run of variant v; ok is false when
	// the run has no such figure (e.g. no programs in a baseline run).
	Value func(v Variant, run Run) (value float64, ok bool)
}

// Program run times and counts mean something only when the variant ran
// with program stats on; with them off any counts a run recorded are
// leftovers and are ignored.

func roleAvg(role string) func(Variant, Run) (float64, bool) {
	return func(v Variant, run Run) (float64, bool) {
		cnt, ns, ok := RoleStats(run, role)
		if !ok || !v.Stats {
			return 0, false
		}
		return float64(ns) / float64(cnt), true
	}
}

func roleTime(role string) func(Variant, Run) (float64, bool) {
	return func(v Variant, run Run) (float64, bool) {
		_, ns, ok := RoleStats(run, role)
		return float64(ns), ok && v.Stats
	}
}

func roleShare(role string) func(Variant, Run) (float64, bool) {
	return func(v Variant, run Run) (float64, bool) {
		var total, mine uint64
		for _, p := range run.Programs {
			total += p.RunTimeNs
			if RoleOf(p) == role {
				mine += p.RunTimeNs
			}
		}
		if total == 0 || !v.Stats {
			return 0, false
		}
		return 100 * float64(mine) / float64(total), true
	}
}

// traced tells whether v attaches programs that send events.
func traced(v Variant) bool { return v.Mode != probes.ModeNone && !v.Baseline }

// counted tells whether run of v has the figure that an external
// tracer's counter named counter gives (see applyCounters): benchctl's
// own probes always have it, an external tracer only when its output
// had that counter.
func counted(v Variant, run Run, counter string) bool {
	if !traced(v) {
		return false
	}
	if !v.External() {
		return true
	}
	if run.Tracer == nil {
		return false
	}
	_, ok := run.Tracer.Counters[counter]
	return ok
}

func kernelTime(v Variant, run Run) (float64, bool) {
	if run.Derived.KernelTimeNs == 0 || !v.Stats {
		return 0, false
	}
	return float64(run.Derived.KernelTimeNs), true
}

func nsPerSyscall(v Variant, run Run) (float64, bool) {
	if run.Derived.NsPerSyscall == 0 || !v.Stats {
		return 0, false
	}
	return run.Derived.NsPerSyscall, true
}

func overhead(v Variant, run Run) (float64, bool) {
	if !traced(v) || run.Derived.ThroughputChange == nil {
		return 0, false
	}
	return -100 * *run.Derived.ThroughputChange, true
}

func dropRatio(v Variant, run Run) (float64, bool) {
	if !counted(v, run, "drops") || !counted(v, run, "kernel_events") {
		return 0, false
	}
	return 100 * run.Derived.DropRatio, true
}

// latencyNs reads a run's latency p50 (or p99, when p99 is set) in ns:
// see RunLatency for what it is. Any variant whose workload reports
// latency has it, the baseline too.
func latencyNs(p99 bool) func(Variant, Run) (float64, bool) {
	return func(_ Variant, run Run) (float64, bool) {
		p50Ms, p99Ms, ok := RunLatency(run)
		if p99 {
			return p99Ms * 1e6, ok
		}
		return p50Ms * 1e6, ok
	}
}

// latencyChange reads the change of a run's latency p50 (or p99) against
// the same round's baseline, in percent; positive is slower.
func latencyChange(p99 bool) func(Variant, Run) (float64, bool) {
	return func(v Variant, run Run) (float64, bool) {
		c := run.Derived.LatencyP50Change
		if p99 {
			c = run.Derived.LatencyP99Change
		}
		if !traced(v) || c == nil {
			return 0, false
		}
		return 100 * *c, true
	}
}

// Measures are the figures reports show per variant, in report order.
var Measures = []Measure{
	{Key: "enter_avg_ns", Label: "sys_enter avg", Kind: KindDuration, Better: -1, Value: roleAvg(RoleEnter)},
	{Key: "exit_avg_ns", Label: "sys_exit avg", Kind: KindDuration, Better: -1, Value: roleAvg(RoleExit)},
	{Key: "other_avg_ns", Label: "other avg", Kind: KindDuration, Better: -1, Value: roleAvg(RoleOther)},
	{Key: "enter_time_ns", Label: "sys_enter time", Kind: KindDuration, Better: -1, Value: roleTime(RoleEnter)},
	{Key: "exit_time_ns", Label: "sys_exit time", Kind: KindDuration, Better: -1, Value: roleTime(RoleExit)},
	{Key: "other_time_ns", Label: "other time", Kind: KindDuration, Better: -1, Value: roleTime(RoleOther)},
	{Key: "kernel_time_ns", Label: "kernel time", Kind: KindDuration, Better: -1, Value: kernelTime},
	{Key: "ns_per_syscall", Label: "kernel ns/syscall", Kind: KindDuration, Better: -1, Value: nsPerSyscall},
	{Key: "enter_share", Label: "enter share", Kind: KindPercent, Value: roleShare(RoleEnter)},
	{Key: "exit_share", Label: "exit share", Kind: KindPercent, Value: roleShare(RoleExit)},
	{Key: "syscalls", Label: "syscalls", Kind: KindCount, Value: func(v Variant, run Run) (float64, bool) {
		return float64(run.Derived.Syscalls), run.Derived.Syscalls > 0 && v.Stats
	}},
	{Key: "events", Label: "events", Kind: KindCount, Better: -1, Value: func(v Variant, run Run) (float64, bool) {
		return float64(run.User.Events), counted(v, run, "events")
	}},
	{Key: "events_per_syscall", Label: "events/syscall", Kind: KindRatio, Better: -1, Value: func(v Variant, run Run) (float64, bool) {
		if !counted(v, run, "events") || !v.Stats || run.Derived.Syscalls == 0 {
			return 0, false
		}
		return float64(run.User.Events) / float64(run.Derived.Syscalls), true
	}},
	{Key: "events_per_sec", Label: "events/s", Kind: KindCount, Better: -1, Value: func(v Variant, run Run) (float64, bool) {
		return run.Derived.EventsPerSec, counted(v, run, "events")
	}},
	{Key: "bytes", Label: "bytes", Kind: KindBytes, Better: -1, Value: func(v Variant, run Run) (float64, bool) {
		return float64(run.User.Bytes), counted(v, run, "bytes")
	}},
	{Key: "avg_event_size", Label: "avg event", Kind: KindBytes, Value: func(v Variant, run Run) (float64, bool) {
		return run.Derived.AvgEventSize, counted(v, run, "bytes") && counted(v, run, "events") && run.User.Events > 0
	}},
	{Key: "drops", Label: "drops", Kind: KindCount, Better: -1, Value: func(v Variant, run Run) (float64, bool) {
		return float64(run.Kernel.Drops()), counted(v, run, "drops")
	}},
	{Key: "drop_ratio", Label: "drop ratio", Kind: KindPercent, Better: -1, Value: dropRatio},
	// Fidelity: paths read from user memory that came back failed (sent
	// empty), from benchctl's own probes' kernel counters.
	{Key: "path_reads_failed", Label: "failed path reads", Kind: KindCount, Better: -1, Value: func(v Variant, run Run) (float64, bool) {
		t := run.Kernel.PathReadsTotal("")
		return float64(t.Failed), traced(v) && !v.External() && t.Reads > 0
	}},
	{Key: "path_read_failure", Label: "failed path read share", Kind: KindPercent, Better: -1, Value: func(v Variant, run Run) (float64, bool) {
		t := run.Kernel.PathReadsTotal("")
		if !traced(v) || v.External() || t.Reads == 0 {
			return 0, false
		}
		return 100 * float64(t.Failed) / float64(t.Reads), true
	}},
	{Key: "consumer_cpu_s", Label: "consumer CPU", Kind: KindDuration, Better: -1, Value: func(v Variant, run Run) (float64, bool) {
		return run.User.CPUSeconds * 1e9, traced(v) && run.User.CPUSeconds > 0
	}},
	// The tracer's userspace: benchctl's consumer thread, or an external
	// tracer's whole process tree (its cgroup's CPU time).
	{Key: "tracer_cpu_s", Label: "tracer CPU", Kind: KindDuration, Better: -1, Value: func(v Variant, run Run) (float64, bool) {
		if run.Tracer != nil {
			return run.Tracer.CPUSeconds * 1e9, traced(v)
		}
		return run.User.CPUSeconds * 1e9, traced(v) && run.User.CPUSeconds > 0
	}},
	{Key: "tracer_memory", Label: "tracer peak memory", Kind: KindBytes, Better: -1, Value: func(v Variant, run Run) (float64, bool) {
		if run.Tracer == nil || run.Tracer.PeakMemoryBytes == 0 {
			return 0, false
		}
		return float64(run.Tracer.PeakMemoryBytes), traced(v)
	}},
	{Key: "bpf_memory", Label: "BPF memory", Kind: KindBytes, Better: -1, Value: func(v Variant, run Run) (float64, bool) {
		if run.Tracer == nil || run.Tracer.BPFMemoryBytes == 0 {
			return 0, false
		}
		return float64(run.Tracer.BPFMemoryBytes), traced(v)
	}},
	{Key: "throughput", Label: "throughput", Kind: KindThroughput, Better: +1, Value: func(_ Variant, run Run) (float64, bool) {
		return run.Workload.Throughput, run.Workload.Throughput > 0
	}},
	{Key: "ns_per_event", Label: "kernel ns/event", Kind: KindDuration, Better: -1, Value: func(v Variant, run Run) (float64, bool) {
		if !v.Stats || v.External() || run.Kernel.Attempted == 0 || run.Derived.KernelTimeNs == 0 {
			return 0, false
		}
		return float64(run.Derived.KernelTimeNs) / float64(run.Kernel.Attempted), true
	}},
	{Key: "unseen_overhead", Label: "overhead unseen by BPF stats", Kind: KindPercent, Better: -1, Value: unseenOverhead},
	{Key: "throughput_change", Label: "vs baseline", Kind: KindPercent, Better: +1, Value: func(v Variant, run Run) (float64, bool) {
		if !traced(v) || run.Derived.ThroughputChange == nil {
			return 0, false
		}
		return 100 * *run.Derived.ThroughputChange, true
	}},
	// The workload's latency percentiles (redis-benchmark 6.2 and later):
	// see RunLatency for what a run's p50 and p99 are.
	{Key: "latency_p50_ns", Label: "p50 latency", Kind: KindDuration, Better: -1, Value: latencyNs(false)},
	{Key: "latency_p99_ns", Label: "p99 latency", Kind: KindDuration, Better: -1, Value: latencyNs(true)},
	{Key: "latency_p50_change", Label: "p50 vs baseline", Kind: KindPercent, Better: -1, Value: latencyChange(false)},
	{Key: "latency_p99_change", Label: "p99 vs baseline", Kind: KindPercent, Better: -1, Value: latencyChange(true)},
}

// MeasureByKey returns the measure with that key.
func MeasureByKey(key string) (Measure, bool) {
	for _, m := range Measures {
		if m.Key == key {
			return m, true
		}
	}
	return Measure{}, false
}

// Sample reads measure m from every measured run of the variant named
// name. rounds holds the round of each value.
func (r *Results) Sample(name string, m Measure) (values []float64, rounds []int) {
	v, _ := r.Variant(name)
	for _, run := range r.RunsOf(name) {
		if x, ok := m.Value(v, run); ok && !math.IsNaN(x) && !math.IsInf(x, 0) {
			values = append(values, x)
			rounds = append(rounds, run.Round)
		}
	}
	return values, rounds
}

// MeasureSummary is the summary of one measure over a variant's runs.
type MeasureSummary struct {
	Measure Measure
	Summary
	// Rounds holds the round of each value in Summary.Values.
	Rounds []int
}

// VariantStats summarizes every measure of one variant.
type VariantStats struct {
	Variant Variant
	// Runs is the number of measured runs; Failed the number of failed
	// ones, FirstError the error of the first failure.
	Runs       int
	Failed     int
	FirstError string
	// Unit is the workload's throughput unit (e.g. "req/s").
	Unit string
	// Measures holds the available measures, in the order of Measures.
	Measures []MeasureSummary
}

// Get returns the summary of the measure with key, ok false when the
// variant has no such figure.
func (vs VariantStats) Get(key string) (MeasureSummary, bool) {
	for _, m := range vs.Measures {
		if m.Measure.Key == key {
			return m, true
		}
	}
	return MeasureSummary{}, false
}

// SummarizeVariant summarizes every measure of the variant named name.
func (r *Results) SummarizeVariant(name string) VariantStats {
	v, _ := r.Variant(name)
	runs := r.RunsOf(name)
	vs := VariantStats{Variant: v, Runs: len(runs)}
	vs.Failed, vs.FirstError = r.FailedRuns(name)
	for _, run := range runs {
		if run.Workload.Unit != "" {
			vs.Unit = run.Workload.Unit
			break
		}
	}
	for _, m := range Measures {
		values, rounds := r.Sample(name, m)
		if len(values) == 0 {
			continue
		}
		vs.Measures = append(vs.Measures, MeasureSummary{Measure: m, Summary: Summarize(values), Rounds: rounds})
	}
	return vs
}

// SummarizeVariants summarizes every variant, in file order.
func (r *Results) SummarizeVariants() []VariantStats {
	out := make([]VariantStats, 0, len(r.Variants))
	for _, v := range r.Variants {
		out = append(out, r.SummarizeVariant(v.Name))
	}
	return out
}

// PairMeasures are the measures a report compares between the
// enter_exit and the exit_only variant of a syscall set.
var PairMeasures = []string{"kernel_time_ns", "ns_per_syscall", "exit_avg_ns", "events", "bytes", "throughput"}

// MeasureDelta is the comparison of one measure between two variants.
type MeasureDelta struct {
	Measure Measure
	Delta
}

// PairComparison compares the enter_exit and exit_only variants of one
// syscall set inside one results file.
type PairComparison struct {
	VariantPair
	Deltas []MeasureDelta
}

// ComparePairs compares, for every pair of ModePairs, the PairMeasures of
// the exit_only variant against the enter_exit one, at level alpha
// (DefaultAlpha when 0).
func (r *Results) ComparePairs(alpha float64) []PairComparison {
	var out []PairComparison
	for _, p := range r.ModePairs() {
		pc := PairComparison{VariantPair: p}
		for _, key := range PairMeasures {
			m, _ := MeasureByKey(key)
			a, _ := r.Sample(p.EnterExit.Name, m)
			b, _ := r.Sample(p.ExitOnly.Name, m)
			if len(a) == 0 || len(b) == 0 {
				continue
			}
			pc.Deltas = append(pc.Deltas, MeasureDelta{Measure: m, Delta: CompareSamples(a, b, alpha)})
		}
		out = append(out, pc)
	}
	return out
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
