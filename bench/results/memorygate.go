package results

// The memory gate metric: the tracer's peak userspace memory. Memory does
// not move with machine load as time does (a CPU hog leaves it be), so
// noisy runs keep it.

// rssPeakMethods are the peak memory methods rss_peak gates: the kernel's
// peak of an external tracer's memory cgroup (v2 memory.peak, v1
// memory.max_usage_in_bytes, the same figure) and benchctl's own
// process's VmHWM since its consumer started. A sampled VmHWM sum counts
// shared pages once per process and may miss short-lived processes, and
// files before issue 33 missed exited ones: neither is gated.
var rssPeakMethods = map[string]bool{
	"memory.peak":               true,
	"memory.max_usage_in_bytes": true,
	MemoryProcessHWM:            true,
}

func rssPeak(v Variant, run Run) (float64, bool) {
	t := run.Tracer
	if !traced(v) || t == nil || t.PeakMemoryBytes == 0 || !rssPeakMethods[t.MemoryMethod] {
		return 0, false
	}
	return float64(t.PeakMemoryBytes), true
}

func init() {
	GateMetrics["rss_peak"] = "the tracer's peak userspace memory: the kernel's peak of an external tracer's memory cgroup (memory.peak, or memory.max_usage_in_bytes of its v1 memory cgroup), or benchctl's process VmHWM over the run; runs whose peak was a sampled VmHWM sum, or read before issue 33, have none (lower is better)"
	gateMeasures["rss_peak"] = Measure{Key: "rss_peak", Label: "tracer peak memory", Kind: KindBytes, Better: -1, Value: rssPeak, NoiseFree: true}
}
