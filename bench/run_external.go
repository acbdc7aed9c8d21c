package bench

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/benchctl/benchctl/bench/external"
	"github.com/benchctl/benchctl/bench/noise"
	"github.com/benchctl/benchctl/bench/results"
	"github.com/benchctl/benchctl/probes"
	"github.com/benchctl/benchctl/workloads"
)

// runExternal measures one run of an external tracer's variant, with wl
// prepared: enable stats, start the tracer, wait until it is ready (its
// process tree holds attached BPF programs, and its output matched the
// ready regex if one is set), snapshot its attached programs, run the
// workload, snapshot, stop the tracer, read its counters from its output,
// and wait until the kernel freed every program and map it held.
func (r *Runner) runExternal(ctx context.Context, v results.Variant, wl workloads.Workload) (run results.Run, method string, err error) {
	t, ok := r.sc.Tracer(v.Tracer)
	if !ok {
		return run, "", fmt.Errorf("variant %s: no tracer named %q", v.Name, v.Tracer)
	}
	if t.Missing != "" {
		return run, "", fmt.Errorf("tracer %s: %w: %s", t.Name, workloads.ErrTracerMissing, t.Missing)
	}
	var stats io.Closer
	if v.Stats {
		stats, method, err = r.tr.EnableStats()
		if err != nil {
			return run, "", fmt.Errorf("enabling program stats: %w", err)
		}
		defer r.track(stats)()
		defer stats.Close()
	}

	tr, err := external.Start(ctx, t, v.Set)
	if err != nil {
		return run, method, fmt.Errorf("starting tracer %s: %w", t.Name, err)
	}
	defer r.track(tr)()
	defer tr.Close()
	run.Tracer = &results.TracerStats{}
	progs, err := readyExternal(ctx, tr, &run)
	if err == nil {
		defer progs.Close()
		err = r.measureExternal(ctx, wl, tr, progs, &run)
	}
	if err != nil {
		run.Tracer.Output = tr.LastLines(20)
		return run, method, err
	}
	return run, method, nil
}

// readyExternal waits until tr is ready (or records its refusal in run),
// records what it loaded and holds, and opens its attached programs for
// their stats.
func readyExternal(ctx context.Context, tr *external.Tracer, run *results.Run) (*probes.ExternalPrograms, error) {
	ts := run.Tracer
	ready, err := tr.WaitReady(ctx)
	if err != nil {
		run.Load = tr.Refusal()
		return nil, err
	}
	ts.ReadyNs = ready
	tb, innerMem, err := tr.Find()
	if err != nil {
		return nil, err
	}
	ts.ProgramsLoaded, ts.ProgramsAttached = len(tb.Programs), len(tb.Attached)
	// Maps held only inside the tracer's maps-of-maps (Falco's per-CPU
	// rings) count too, and are waited for after it exits.
	setKernelMemory(ts, probes.KernelMemory{Memlock: tb.MemlockBytes, InnerMemlock: innerMem, PerfBuffers: tb.PerfBufferBytes})
	loads, err := probes.ExternalLoads(tb.Programs, tb.Attached)
	if err != nil {
		return nil, fmt.Errorf("reading the load cost of the tracer's programs: %w", err)
	}
	run.Load = &results.Load{ReadyNs: ts.ReadyNs, Programs: loads}
	progs, err := probes.OpenExternal(tb.Attached)
	if err != nil {
		return nil, fmt.Errorf("opening the tracer's programs: %w", err)
	}
	return progs, nil
}

// measureExternal runs the workload under the ready tracer tr, whose
// attached programs progs are, then stops the tracer and records what it
// cost and printed. The run fails when the workload fails, the tracer
// died during it, did not stop cleanly, left BPF objects behind or
// printed counters that cannot be read.
func (r *Runner) measureExternal(ctx context.Context, wl workloads.Workload, tr *external.Tracer, progs *probes.ExternalPrograms, run *results.Run) error {
	ts := run.Tracer
	meter := startNoise(append(workloadCgroups(wl), noise.TracerCgroup(tr.Tracer))...)
	u0, uerr := tr.Usage()
	before, err := progs.Snapshot()
	if err != nil {
		return fmt.Errorf("reading program stats: %w", err)
	}
	tr.BeginSteady()
	run.Start = time.Now().UTC()
	result, runErr := wl.Run(ctx)
	run.Wall = time.Since(run.Start)
	run.Workload = result
	tr.RecordSteady(ts)
	after, err := progs.Snapshot()
	if err != nil && runErr == nil {
		return fmt.Errorf("reading program stats: %w", err)
	}
	run.Programs = after.Sub(before).Programs
	run.Noise = meter.End()
	// A tracer that died during the workload fails the run; so does one
	// that does not stop cleanly.
	aliveErr := tr.Alive()
	// Our references go first: the programs must be freed by the
	// tracer's exit alone.
	progs.Close()
	exit, stopErr := tr.Stop()
	ts.Exit = &exit
	// CPU from the start of the workload to the tracer's exit: what it
	// spent on the workload's events includes draining them after the
	// workload ended (and, unavoidably, its own shutdown), as benchctl's
	// consumer's window ends with its drain.
	tr.RecordUsage(ts, u0, uerr)
	ts.CountersWindow = results.CountersTracerLife
	counters, counterErr := workloads.ParseCounters(tr.Output(), tr.Spec.CounterRegexps())
	ts.Counters = counters
	ts.Texts = workloads.ParseTexts(tr.Output(), tr.Spec.CounterRegexps())
	applyCounters(run, ts.Counters)
	goneErr := tr.WaitGone()
	badErr := tr.EndedBadly(exit)

	switch {
	case runErr != nil:
		return fmt.Errorf("running workload: %w", runErr)
	case aliveErr != nil:
		return aliveErr
	case stopErr != nil:
		return fmt.Errorf("stopping tracer %s: %w", tr.Spec.Name, stopErr)
	case badErr != nil:
		return badErr
	case goneErr != nil:
		return goneErr
	case counterErr != nil:
		return fmt.Errorf("reading the counters tracer %s printed: %w", tr.Spec.Name, counterErr)
	}
	return nil
}

// applyCounters puts the counters whose names benchctl knows into the
// run's figures, so the events, bytes and drops columns fill for an
// external tracer as for benchctl's own probes: events (received by its
// userspace), bytes (received), drops; kernel_events (what its programs
// tried to send) fills the attempted count when given.
func applyCounters(run *results.Run, c map[string]float64) {
	if v, ok := c["events"]; ok {
		run.User.Events = uint64(v)
	}
	if v, ok := c["bytes"]; ok {
		run.User.Bytes = uint64(v)
	}
	if v, ok := c["drops"]; ok {
		run.Kernel.DropsFull = uint64(v)
	}
	if v, ok := c["kernel_events"]; ok {
		run.Kernel.Attempted = uint64(v)
	}
}

// setSelfMemory records benchctl's own process's memory as its
// consumer's: the peak resident set (VmHWM, reset when the consumer
// started) and the means of the VmRSS and RssAnon samples.
func setSelfMemory(ts *results.TracerStats, m workloads.SelfMemoryStats) {
	if m.Samples == 0 {
		ts.MemoryMissing = "benchctl's /proc/self/status could not be read"
		return
	}
	ts.PeakMemoryBytes, ts.MemoryMethod = m.PeakBytes, results.MemoryProcessHWM
	if !m.Reset {
		ts.MemoryMethod = results.MemoryProcessHWMLife
	}
	ts.MeanMemoryBytes, ts.MemorySamples, ts.ResidentMethod = m.MeanBytes, m.Samples, "VmRSS"
	ts.AnonMeanBytes, ts.AnonPeakBytes, ts.AnonMethod = m.AnonMeanBytes, m.AnonMaxBytes, "RssAnon"
}

// ownTracerStats is what benchctl's own probes cost outside the kernel:
// the memory of the BPF objects benchctl holds (runOne adds the CPU
// time), so the tracer columns compare with an external tracer's.
func ownTracerStats(user probes.ConsumerStats) *results.TracerStats {
	ts := &results.TracerStats{CPUSeconds: user.CPUSeconds}
	if tb, err := probes.FindBPF([]int{os.Getpid()}); err == nil {
		if km, err := probes.ReadKernelMemory(tb); err == nil {
			setKernelMemory(ts, km)
		}
		ts.ProgramsLoaded, ts.ProgramsAttached = len(tb.Programs), len(tb.Attached)
	}
	return ts
}

// setKernelMemory records what a tracer held in the kernel through BPF:
// one figure, with its perf buffers' part.
func setKernelMemory(ts *results.TracerStats, km probes.KernelMemory) {
	ts.BPFMemoryBytes, ts.PerfBufferBytes = km.Bytes(), km.PerfBuffers
	ts.BPFMemoryEstimate = probes.MemlockIsEstimate()
}

// isEnvironmentError tells whether err means the machine cannot run the
// scenario at all (no privilege, no BTF, a missing tracer): then the
// runner stops instead of going on with the other variants.
func isEnvironmentError(err error) bool {
	return errors.Is(err, probes.ErrPermission) || errors.Is(err, probes.ErrNoBTF) || errors.Is(err, workloads.ErrTracerMissing)
}

// refused tells whether run failed because the kernel refused to load or
// attach its programs: a result about that kernel, not a reason to stop
// measuring the other variants.
func refused(run results.Run) bool { return run.Load != nil && run.Load.Refusal != nil }
