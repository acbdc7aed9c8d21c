package results

import "strings"

// deriveConsumer fills the userspace cost per event and per syscall;
// tracedFromFingerprint may replace the syscalls counted here.
func deriveConsumer(run *Run, d *Derived) {
	for k, n := range run.User.PerType {
		if strings.HasSuffix(k, "_exit") {
			d.TracedSyscalls += n
		}
	}
	cpu := run.User.CPUSeconds
	events := float64(run.User.Events)
	if t := run.Tracer; t != nil {
		cpu = t.CPUSeconds
		if n, ok := t.Counters["syscalls"]; ok && d.TracedSyscalls == 0 && n > 0 {
			d.TracedSyscalls = uint64(n)
		}
		if n, ok := t.Counters["events"]; ok && events == 0 {
			events = n
		}
	}
	if cpu <= 0 {
		return
	}
	if events > 0 {
		d.ConsumerNsPerEvent = cpu * 1e9 / events
	}
	if d.TracedSyscalls > 0 {
		d.ConsumerNsPerSyscall = cpu * 1e9 / float64(d.TracedSyscalls)
	}
}

// tracedFromFingerprint makes the workload's own syscalls of v's set, as
// the results' fingerprint counted them, the traced syscalls of run, and
// recomputes the CPU per syscall over them: one denominator for every
// tracer, whatever it counts or prints (sinsp-example prints no syscall
// count, and exit events received include other processes' syscalls).
// Nothing changes without a fingerprint or for a set it has none of.
func tracedFromFingerprint(r *Results, v Variant, run *Run) {
	if r.Fingerprint == nil || len(v.Syscalls) == 0 || run.Error != "" {
		return
	}
	var n uint64
	for _, s := range v.Syscalls {
		n += r.Fingerprint.Syscalls[s]
	}
	if n == 0 {
		return
	}
	run.Derived.TracedSyscalls = n
	cpu := run.User.CPUSeconds
	if run.Tracer != nil {
		cpu = run.Tracer.CPUSeconds
	}
	if cpu > 0 {
		run.Derived.ConsumerNsPerSyscall = cpu * 1e9 / float64(n)
	}
}

func init() {
	// The tracer's userspace per event and per traced syscall, for every
	// report: appended so that the measures before them keep their order.
	Measures = append(Measures,
		Measure{Key: "consumer_ns_per_event", Label: "userspace CPU/event", Kind: KindDuration, Better: -1, Value: func(v Variant, run Run) (float64, bool) {
			return run.Derived.ConsumerNsPerEvent, traced(v) && run.Derived.ConsumerNsPerEvent > 0
		}},
		Measure{Key: "consumer_ns_per_syscall", Label: "userspace CPU/syscall", Kind: KindDuration, Better: -1, Value: func(v Variant, run Run) (float64, bool) {
			return run.Derived.ConsumerNsPerSyscall, traced(v) && run.Derived.ConsumerNsPerSyscall > 0
		}},
	)
}
