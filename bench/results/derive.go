package results

// Derive fills the Derived figures of every run of r from its raw ones.
// ThroughputChange compares a run with the baseline run of the same round
// that had the same program stats state (baseline or baseline_nostats);
// baseline runs themselves, failed runs and runs without such a baseline
// get none. LatencyP50Change and LatencyP99Change compare the run's
// RunLatency with that same baseline run's, when both have latency;
// CPUPerOpChange compares the run's CPU per op (workload and tracer)
// with that baseline run's (its workload's alone), when both have it.
// Runs of variants with program stats off get no kernel time,
// syscall count or ns per syscall, whatever their programs' counters say.
func Derive(r *Results) {
	type key struct {
		round int
		stats bool
	}
	variants := make(map[string]Variant, len(r.Variants))
	for _, v := range r.Variants {
		variants[v.Name] = v
	}
	baselines := map[key]float64{}
	baseLatency := map[key][2]float64{} // p50, p99 in ms
	baseCPU := map[key]float64{}        // ns per op
	for _, run := range r.Runs {
		v, ok := variants[run.Variant]
		if !ok || !v.Baseline || run.Error != "" {
			continue
		}
		var d Derived
		if deriveCPUPerOp(&run, &d); d.CPUNsPerOp > 0 {
			baseCPU[key{run.Round, v.Stats}] = d.CPUNsPerOp
		}
		if p50, p99, ok := RunLatency(run); ok {
			baseLatency[key{run.Round, v.Stats}] = [2]float64{p50, p99}
		}
		if run.Workload.Throughput <= 0 {
			continue
		}
		baselines[key{run.Round, v.Stats}] = run.Workload.Throughput
	}
	for i := range r.Runs {
		run := &r.Runs[i]
		run.Derived = deriveRun(run)
		v, ok := variants[run.Variant]
		if ok && !v.Baseline {
			tracedFromFingerprint(r, v, run)
		}
		if ok && v.External() {
			// An external tracer's events and bytes are what it printed
			// at exit, over its whole life: not a rate of the workload.
			run.Derived.EventsPerSec, run.Derived.BytesPerSec = 0, 0
		}
		if ok && !v.Stats {
			// Without stats the kernel counts nothing, or only while
			// someone else happens to have them on: no kernel figures.
			run.Derived.KernelTimeNs, run.Derived.Syscalls, run.Derived.NsPerSyscall = 0, 0, 0
		}
		if !ok || v.Baseline || run.Error != "" {
			continue
		}
		if base, ok := baseLatency[key{run.Round, v.Stats}]; ok {
			if p50, p99, ok := RunLatency(*run); ok {
				c50, c99 := p50/base[0]-1, p99/base[1]-1
				run.Derived.LatencyP50Change, run.Derived.LatencyP99Change = &c50, &c99
			}
		}
		if base, ok := baseCPU[key{run.Round, v.Stats}]; ok && run.Derived.CPUNsPerOp > 0 {
			c := run.Derived.CPUNsPerOp/base - 1
			run.Derived.CPUPerOpChange = &c
		}
		if run.Workload.Throughput <= 0 {
			continue
		}
		if base, ok := baselines[key{run.Round, v.Stats}]; ok {
			c := run.Workload.Throughput/base - 1
			run.Derived.ThroughputChange = &c
		}
	}
}

// RunLatency returns a run's latency p50 and p99, in milliseconds, as the
// workload reported them in Workload.Latency; ok is false for a failed
// run and when the workload has no latency (the syscalls and command
// workloads, redis-benchmark before 6.2).
//
// For redis these are not percentiles of all of the run's requests:
// redis-benchmark reports percentiles per test, and percentiles do not
// combine. A run's p50 (p99) is the mean of its tests' p50s (p99s), each
// test weighted by its requests, which is a plain mean as every test
// makes -n requests (see workloads.aggregateRedis). It is an index
// of the tests' percentiles that moves when they move: with tests of
// 0.2 ms and 0.4 ms p99, the run's p99 is 0.3 ms. With a single test it
// is that test's own percentile.
func RunLatency(run Run) (p50Ms, p99Ms float64, ok bool) {
	l := run.Workload.Latency
	if run.Error != "" || l == nil || l.P50Ms <= 0 || l.P99Ms <= 0 {
		return 0, 0, false
	}
	return l.P50Ms, l.P99Ms, true
}

// deriveRun computes everything but ThroughputChange and the latency
// changes.
func deriveRun(run *Run) Derived {
	var d Derived
	for _, p := range run.Programs {
		d.KernelTimeNs += p.RunTimeNs
	}
	// A program on sys_exit runs once per syscall of the whole machine:
	// its run count is the number of syscalls made while it was attached.
	// One syscall's exit program (Syscall set) counts that syscall only.
	for _, p := range run.Programs {
		if RoleOf(p) == RoleExit && p.Syscall == "" && p.RunCount > d.Syscalls {
			d.Syscalls = p.RunCount
		}
	}
	if d.Syscalls > 0 {
		d.NsPerSyscall = float64(d.KernelTimeNs) / float64(d.Syscalls)
	}
	if secs := run.Wall.Seconds(); secs > 0 {
		d.EventsPerSec = float64(run.User.Events) / secs
		d.BytesPerSec = float64(run.User.Bytes) / secs
	}
	if run.User.Events > 0 {
		d.AvgEventSize = float64(run.User.Bytes) / float64(run.User.Events)
	}
	if run.Kernel.Attempted > 0 {
		d.DropRatio = float64(run.Kernel.Drops()) / float64(run.Kernel.Attempted)
	}
	deriveConsumer(run, &d)
	deriveCPUPerOp(run, &d)
	return d
}
