package bench

// Derive fills the Derived figures of every run of r from its raw ones.
// ThroughputChange compares a run with the baseline run of the same round
// that had the same program stats state (baseline or baseline_nostats);
// baseline runs themselves, failed runs and runs without such a baseline
// get none. Runs of variants with program stats off get no kernel time,
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
	for _, run := range r.Runs {
		v, ok := variants[run.Variant]
		if !ok || !v.Baseline || run.Error != "" || run.Workload.Throughput <= 0 {
			continue
		}
		baselines[key{run.Round, v.Stats}] = run.Workload.Throughput
	}
	for i := range r.Runs {
		run := &r.Runs[i]
		run.Derived = deriveRun(run)
		v, ok := variants[run.Variant]
		if ok && !v.Stats {
			// Without stats the kernel counts nothing, or only while
			// someone else happens to have them on: no kernel figures.
			run.Derived.KernelTimeNs, run.Derived.Syscalls, run.Derived.NsPerSyscall = 0, 0, 0
		}
		if !ok || v.Baseline || run.Error != "" || run.Workload.Throughput <= 0 {
			continue
		}
		if base, ok := baselines[key{run.Round, v.Stats}]; ok {
			c := run.Workload.Throughput/base - 1
			run.Derived.ThroughputChange = &c
		}
	}
}

// deriveRun computes everything but ThroughputChange.
func deriveRun(run *Run) Derived {
	var d Derived
	for _, p := range run.Programs {
		d.KernelTimeNs += p.RunTimeNs
	}
	// A program on sys_exit runs once per syscall of the whole machine:
	// its run count is the number of syscalls made while it was attached.
	for _, p := range run.Programs {
		if RoleOf(p) == RoleExit && p.RunCount > d.Syscalls {
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
	return d
}
