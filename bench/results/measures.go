package results

import (
	"math"

	"github.com/benchctl/benchctl/bench/stats"
)

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
	// NoiseFree is set for a gate figure that machine load does not move
	// (docs/measurements/noise-hog.md): the gate keeps the values of
	// runs flagged as noisy instead of leaving them out.
	NoiseFree bool
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
func traced(v Variant) bool { return v.Mode != ModeNone && !v.Baseline }

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
		// An external tracer's events cover its whole life, the syscalls
		// the workload's window: no ratio of the two.
		if !counted(v, run, "events") || !v.Stats || v.External() || run.Derived.Syscalls == 0 {
			return 0, false
		}
		return float64(run.User.Events) / float64(run.Derived.Syscalls), true
	}},
	{Key: "events_per_sec", Label: "events/s", Kind: KindCount, Better: -1, Value: func(v Variant, run Run) (float64, bool) {
		return run.Derived.EventsPerSec, counted(v, run, "events") && !v.External()
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
	// The tracer's userspace: benchctl's whole process less the
	// workload's threads (its consumer thread alone before schema 3), or
	// an external tracer's whole process tree (its cgroup's CPU time);
	// see TracerStats.CPUMethod.
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
	{Key: "tracer_memory_mean", Label: "tracer mean memory", Kind: KindBytes, Better: -1, Value: func(v Variant, run Run) (float64, bool) {
		if run.Tracer == nil || run.Tracer.MeanMemoryBytes == 0 {
			return 0, false
		}
		return float64(run.Tracer.MeanMemoryBytes), traced(v)
	}},
	{Key: "tracer_anon_mean", Label: "tracer mean anonymous memory", Kind: KindBytes, Better: -1, Value: func(v Variant, run Run) (float64, bool) {
		if run.Tracer == nil || run.Tracer.AnonMeanBytes == 0 {
			return 0, false
		}
		return float64(run.Tracer.AnonMeanBytes), traced(v)
	}},
	{Key: "bpf_memory", Label: "BPF memory", Kind: KindBytes, Better: -1, Value: func(v Variant, run Run) (float64, bool) {
		if run.Tracer == nil || run.Tracer.BPFMemoryBytes == 0 || run.Tracer.BPFMemoryEstimate {
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
	stats.Summary
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
		vs.Measures = append(vs.Measures, MeasureSummary{Measure: m, Summary: stats.Summarize(values), Rounds: rounds})
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
	stats.Delta
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
			pc.Deltas = append(pc.Deltas, MeasureDelta{Measure: m, Delta: stats.CompareSamples(a, b, alpha)})
		}
		out = append(out, pc)
	}
	return out
}
