package results

// CPU per unit of work: what a run's workload and its tracer spent in
// CPU time (user + system) per operation the workload did (Workload.Ops:
// a redis request, a generator op, a command's run). A throughput moves
// with everything else the machine does; the CPU a task spends per op
// moves less, since time waiting for a CPU (or stolen by the hypervisor,
// on a kernel that accounts steal apart) is not charged to it.

// deriveCPUPerOp fills the workload's, the tracer's and the summed CPU
// per op of run; CPUPerOpChange is left to Derive.
func deriveCPUPerOp(run *Run, d *Derived) {
	ops := run.Workload.Ops
	if ops <= 0 || run.Error != "" || run.Workload.CPUSeconds <= 0 {
		return
	}
	d.WorkloadCPUNsPerOp = run.Workload.CPUSeconds * 1e9 / ops
	d.CPUNsPerOp = d.WorkloadCPUNsPerOp
	if t := run.Tracer; t != nil && t.CPUMethod != "" {
		d.TracerCPUNsPerOp = t.CPUSeconds * 1e9 / ops
		d.CPUNsPerOp += d.TracerCPUNsPerOp
	}
}

// tracerPerOp reads the tracer's CPU per op of a traced run; a tracer
// whose CPU time was measured has the figure even when it is 0.
func tracerPerOp(v Variant, run Run) (float64, bool) {
	t := run.Tracer
	if !traced(v) || t == nil || t.CPUMethod == "" || run.Derived.WorkloadCPUNsPerOp <= 0 {
		return 0, false
	}
	return run.Derived.TracerCPUNsPerOp, true
}

// cpuPerOp reads the workload's and the tracer's CPU per op: a traced
// run has it only with its tracer's figure, the baseline with its
// workload's alone.
func cpuPerOp(v Variant, run Run) (float64, bool) {
	if run.Derived.CPUNsPerOp <= 0 {
		return 0, false
	}
	if traced(v) {
		if _, ok := tracerPerOp(v, run); !ok {
			return 0, false
		}
	}
	return run.Derived.CPUNsPerOp, true
}

func workloadPerOp(_ Variant, run Run) (float64, bool) {
	return run.Derived.WorkloadCPUNsPerOp, run.Derived.WorkloadCPUNsPerOp > 0
}

// cpuPerOpChange reads the change of a traced run's CPU per op against
// the same round's baseline run's, in percent (positive: more CPU).
func cpuPerOpChange(v Variant, run Run) (float64, bool) {
	c := run.Derived.CPUPerOpChange
	if !traced(v) || c == nil {
		return 0, false
	}
	return 100 * *c, true
}

func init() {
	Measures = append(Measures,
		Measure{Key: "workload_cpu_per_op", Label: "workload CPU/op", Kind: KindDuration, Better: -1, Value: workloadPerOp},
		Measure{Key: "tracer_cpu_per_op", Label: "tracer CPU/op", Kind: KindDuration, Better: -1, Value: tracerPerOp},
		Measure{Key: "cpu_per_op", Label: "CPU/op", Kind: KindDuration, Better: -1, Value: cpuPerOp},
		Measure{Key: "cpu_per_op_change", Label: "CPU/op vs baseline", Kind: KindPercent, Better: -1, Value: cpuPerOpChange},
	)
	GateMetrics["workload_cpu_per_op"] = "the workload's CPU time (user + system, the BPF programs' time included) per unit of work in the runs of traced variants (lower is better)"
	GateMetrics["tracer_cpu_per_op"] = "the tracer's userspace CPU time per unit of work: an external tracer's cgroup, or benchctl's process less the workload's threads (lower is better)"
	GateMetrics["cpu_per_op"] = "workload_cpu_per_op + tracer_cpu_per_op (lower is better)"
	GateMetrics["cpu_per_op_change"] = "CPU per unit of work added against the same round's baseline run's, in percent: the CPU counterpart of overhead; its threshold is in percentage points (lower is better)"
	for _, m := range []Measure{
		{Key: "workload_cpu_per_op", Label: "workload CPU/op", Kind: KindDuration, Better: -1, Value: tracedOnly(workloadPerOp)},
		{Key: "tracer_cpu_per_op", Label: "tracer CPU/op", Kind: KindDuration, Better: -1, Value: tracerPerOp},
		{Key: "cpu_per_op", Label: "CPU/op", Kind: KindDuration, Better: -1, Value: tracedOnly(cpuPerOp)},
		{Key: "cpu_per_op_change", Label: "CPU/op vs baseline", Kind: KindPercent, Better: -1, Value: cpuPerOpChange},
	} {
		gateMeasures[m.Key] = m
	}
}
