package results

import (
	"sort"
)

// GateMetrics are the metrics a scenario's gate section and
// `compare --threshold METRIC=PCT` may name, with what each measures.
// Most are relative figures measured inside one run, so results from two
// machines can be compared; kernel_time, latency_p50 and latency_p99 are
// absolute and mean most between files from one machine (or tracers
// interleaved in one file), and latency_p50_change and latency_p99_change
// are their relative counterparts.
var GateMetrics = map[string]string{
	"ns_per_syscall": "kernel ns of all attached programs per syscall the machine made (lower is better)",
	"kernel_time":    "total kernel time of all attached programs (lower is better)",
	"overhead":       "throughput lost against the same round's baseline run, in percent; its threshold is in percentage points (lower is better)",
	"drop_ratio":     "events dropped / events attempted, in percent; its threshold is in percentage points (lower is better)",
	// Latency, when the workload reports it (redis-benchmark 6.2 and
	// later); see RunLatency for what a run's p50 and p99 are.
	"latency_p50":        "the workload's latency p50 in the runs of traced variants (lower is better)",
	"latency_p99":        "the workload's latency p99 in the runs of traced variants (lower is better)",
	"latency_p50_change": "latency p50 added against the same round's baseline run, in percent; its threshold is in percentage points (lower is better)",
	"latency_p99_change": "latency p99 added against the same round's baseline run, in percent; its threshold is in percentage points (lower is better)",
}

// DefaultGate are the thresholds (percent change) used when a scenario
// names none.
var DefaultGate = map[string]float64{
	"ns_per_syscall": 5,
	"overhead":       5,
}

// gateMeasures reads each gate metric from a run. Every one is lower-is-
// better; the gate's thresholds are percent changes of their medians.
var gateMeasures = map[string]Measure{
	"ns_per_syscall": {Key: "ns_per_syscall", Label: "kernel ns/syscall", Kind: KindDuration, Better: -1, Value: nsPerSyscall},
	"kernel_time":    {Key: "kernel_time", Label: "kernel time", Kind: KindDuration, Better: -1, Value: kernelTime},
	"overhead":       {Key: "overhead", Label: "throughput overhead", Kind: KindPercent, Better: -1, Value: overhead},
	"drop_ratio":     {Key: "drop_ratio", Label: "drop ratio", Kind: KindPercent, Better: -1, Value: dropRatio},
	// The baseline's latency is the machine's and the workload's, not a
	// tracer's: like the other gate metrics, it is not gated.
	"latency_p50":        {Key: "latency_p50", Label: "p50 latency", Kind: KindDuration, Better: -1, Value: tracedOnly(latencyNs(false))},
	"latency_p99":        {Key: "latency_p99", Label: "p99 latency", Kind: KindDuration, Better: -1, Value: tracedOnly(latencyNs(true))},
	"latency_p50_change": {Key: "latency_p50_change", Label: "p50 vs baseline", Kind: KindPercent, Better: -1, Value: latencyChange(false)},
	"latency_p99_change": {Key: "latency_p99_change", Label: "p99 vs baseline", Kind: KindPercent, Better: -1, Value: latencyChange(true)},
}

// tracedOnly restricts value to the runs of traced variants.
func tracedOnly(value func(Variant, Run) (float64, bool)) func(Variant, Run) (float64, bool) {
	return func(v Variant, run Run) (float64, bool) {
		if !traced(v) {
			return 0, false
		}
		return value(v, run)
	}
}

// GateMeasure returns how the gate metric named name (a key of
// GateMetrics) is read from one run: overhead is -ThroughputChange in
// percent, ns_per_syscall Derived.NsPerSyscall, kernel_time
// Derived.KernelTimeNs, drop_ratio Derived.DropRatio in percent,
// latency_p50 and latency_p99 RunLatency in ns, latency_p50_change and
// latency_p99_change Derived.LatencyP50Change and LatencyP99Change in
// percent. Baseline runs have none of them.
func GateMeasure(name string) (Measure, bool) {
	m, ok := gateMeasures[name]
	return m, ok
}

// GateMetricNames returns the gate metric names, sorted.
func GateMetricNames() []string {
	names := make([]string, 0, len(GateMetrics))
	for n := range GateMetrics {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}
