// Package external is the life of an external tracer as benchctl runs
// one: started from a scenario's tracer spec, waited for until its
// process tree holds attached BPF programs (and its ready line was seen)
// or classified as refused by the kernel, its BPF objects listed, stopped
// (its stop signal, resent at half the grace period, then SIGKILL), and
// waited for until the kernel freed every program and map it held.
//
// The runner's runs of an external tracer's variant and `benchctl doctor
// SCENARIO.yaml` (CheckTracerLoads) go through it. Underneath, the
// tracer's process tree (its cgroup, its output, its stop and exit
// record, its CPU and memory sampling) is workloads.Tracer's, and what
// reads the kernel (the BPF objects of a process tree, the classification
// of a refusal) is probes'.
package external

import (
	"context"
	"fmt"
	"time"

	"github.com/benchctl/benchctl/bench/results"
	"github.com/benchctl/benchctl/bench/scenario"
	"github.com/benchctl/benchctl/probes"
	"github.com/benchctl/benchctl/workloads"
)

// GoneTimeout bounds the wait for the kernel to free an external
// tracer's programs and maps after it exits.
const GoneTimeout = 30 * time.Second

// Tracer is one external tracer started by benchctl: its process tree,
// and the BPF objects it held when last listed (Find).
type Tracer struct {
	*workloads.Tracer
	Spec    scenario.TracerSpec
	started time.Time
	held    probes.TreeBPF
}

// Start starts t with the arguments of set. A tracer whose program is
// missing here is not started: the error wraps workloads.ErrTracerMissing.
func Start(ctx context.Context, t scenario.TracerSpec, set string) (*Tracer, error) {
	if t.Missing != "" {
		return nil, fmt.Errorf("%w: %s", workloads.ErrTracerMissing, t.Missing)
	}
	started := time.Now()
	tr, err := workloads.StartTracer(ctx, t.Spec(set))
	if err != nil {
		return nil, err
	}
	return &Tracer{Tracer: tr, Spec: t, started: started}, nil
}

// WaitReady waits until the tracer is ready: its process tree holds
// attached BPF programs, and its output matched the ready regex if one
// is set. It returns how long the tracer took from its start.
func (t *Tracer) WaitReady(ctx context.Context) (time.Duration, error) {
	err := t.Tracer.WaitReady(ctx, func(pids []int) (int, error) {
		tb, err := probes.FindBPF(pids)
		return len(tb.Attached), err
	})
	return time.Since(t.started), err
}

// Refusal classifies why the tracer did not get ready: from its output
// once it exited (with its exit status; it is stopped if it has not
// exited), or, while it still runs, only when its output names a refused
// program. nil when there is nothing to say.
func (t *Tracer) Refusal() *results.Load {
	re := t.Spec.RefusedRegexp()
	if t.Alive() != nil {
		exit, _ := t.Stop()
		return &results.Load{Refusal: probes.ClassifyTracerOutput(t.Output(), re, exit.Code())}
	}
	if re == nil {
		re = probes.DefaultRefused
	}
	if re.MatchString(t.Output()) {
		return &results.Load{Refusal: probes.ClassifyTracerOutput(t.Output(), re, nil)}
	}
	return nil
}

// Find lists the BPF objects the tracer's process tree holds, with the
// maps held only inside its maps of maps (Falco's per-CPU rings), and
// returns them with the memory of those inner maps. WaitGone waits for
// what the last call found. On an error it returns what it found so far.
func (t *Tracer) Find() (probes.TreeBPF, uint64, error) {
	pids, err := t.Pids()
	if err != nil {
		return probes.TreeBPF{}, 0, fmt.Errorf("listing the tracer's processes: %w", err)
	}
	tb, err := probes.FindBPF(pids)
	t.held = tb
	if err != nil {
		return tb, 0, fmt.Errorf("finding the tracer's BPF programs: %w", err)
	}
	inner, innerMem, err := probes.InnerMaps(tb.Maps)
	tb.Maps = append(tb.Maps, inner...)
	t.held = tb
	if err != nil {
		return tb, innerMem, fmt.Errorf("reading the tracer's maps of maps: %w", err)
	}
	return tb, innerMem, nil
}

// WaitGone waits, once the tracer was stopped, until the kernel freed
// every program and map Find found (GoneTimeout at most).
func (t *Tracer) WaitGone() error {
	if err := probes.WaitGone(t.held.Programs, t.held.Maps, GoneTimeout); err != nil {
		return fmt.Errorf("tracer %s exited but its BPF objects stay loaded: %w", t.Spec.Name, err)
	}
	return nil
}

// RecordSteady ends the memory sampling that BeginSteady began (over the
// workload) and records in ts the resident and anonymous memory sampled.
func (t *Tracer) RecordSteady(ts *results.TracerStats) {
	m := t.EndSteady()
	ts.MeanMemoryBytes, ts.MemorySamples, ts.ResidentMethod = m.MeanBytes, m.Samples, m.Method
	ts.AnonMeanBytes, ts.AnonPeakBytes, ts.AnonMethod = m.AnonMeanBytes, m.AnonMaxBytes, m.AnonMethod
}

// RecordUsage records in ts the CPU time the tracer's cgroup used since
// u0 (read with error uerr) and its peak memory: from the start of the
// workload to the tracer's exit, when called after Stop. Nothing is
// recorded when either reading failed.
func (t *Tracer) RecordUsage(ts *results.TracerStats, u0 workloads.TracerUsage, uerr error) {
	u1, uerr1 := t.Usage()
	if uerr != nil || uerr1 != nil {
		return
	}
	ts.UserSeconds = u1.UserSeconds - u0.UserSeconds
	ts.SystemSeconds = u1.SystemSeconds - u0.SystemSeconds
	ts.CPUSeconds = ts.UserSeconds + ts.SystemSeconds
	ts.PeakMemoryBytes, ts.MemoryMethod, ts.MemoryMissing = u1.PeakMemoryBytes, u1.MemoryMethod, u1.MemoryMissing
	ts.CPUWindow = results.CPUWindowWorkloadToExit
	ts.CPUMethod = results.TracerCPUCgroup
}

// EndedBadly says how the tracer ended when it did not exit with status 0
// after its stop signal; nil when it did.
func (t *Tracer) EndedBadly(e workloads.TracerExit) error {
	if e.Signal == "" && e.ExitCode == 0 {
		return nil
	}
	return fmt.Errorf("tracer %s ended badly after %s: %s", t.Spec.Name, t.Spec.StopSignalName(), DescribeExit(e))
}

// DescribeExit says how a tracer ended.
func DescribeExit(e workloads.TracerExit) string {
	s := fmt.Sprintf("exit status %d", e.ExitCode)
	if e.Signal != "" {
		s = "killed by " + e.Signal
	}
	if e.Killed {
		s += " (it was still running after the grace period)"
	}
	return s
}
