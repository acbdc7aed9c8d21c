package bench

import (
	"context"
	"os"
	"runtime"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/benchctl/benchctl/bench/results"
	"github.com/benchctl/benchctl/bench/scenario"
	"github.com/benchctl/benchctl/internal/cgroupv2"
	"github.com/benchctl/benchctl/probes"
	"github.com/benchctl/benchctl/workloads"
)

// helperTracer is package probes whose consumer hands work to another
// thread when it stops: before the real drain, a goroutine locked to a
// thread of its own burns spin of CPU, as a tracer's helper thread (or
// its garbage collector) does with the events it was handed.
type helperTracer struct {
	realTracer
	spin time.Duration
	spun chan time.Duration
}

func (h *helperTracer) Load(cfg probes.Config) (probeSet, error) {
	ps, err := h.realTracer.Load(cfg)
	if err != nil {
		return nil, err
	}
	return helperProbes{ps.(realProbes), h}, nil
}

type helperProbes struct {
	realProbes
	h *helperTracer
}

func (p helperProbes) StartConsumer(opts probes.ConsumerOptions) (consumer, error) {
	c, err := p.realProbes.StartConsumer(opts)
	if err != nil {
		return nil, err
	}
	return helperConsumer{c, p.h}, nil
}

type helperConsumer struct {
	consumer
	h *helperTracer
}

func (c helperConsumer) Stop() (probes.ConsumerStats, error) {
	done := make(chan time.Duration)
	go func() {
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
		t0 := clock(unix.CLOCK_THREAD_CPUTIME_ID)
		deadline := time.Now().Add(40 * c.h.spin)
		for clock(unix.CLOCK_THREAD_CPUTIME_ID)-t0 < c.h.spin && time.Now().Before(deadline) {
			for i := 0; i < 1e5; i++ {
			}
		}
		done <- clock(unix.CLOCK_THREAD_CPUTIME_ID) - t0
	}()
	c.h.spun <- <-done
	return c.consumer.Stop()
}

// TestOwnTracerCPUIsTheProcessLessTheGenerator loads real probes under
// the built-in generator: benchctl's tracer CPU is its whole process's
// over the window, so the CPU a thread other than the consumer's spends
// on the tracer's behalf (300 ms here) is in it, as it would be in an
// external tracer's cgroup; the generator's threads, in the same
// process, are not. The consumer thread's own figure stays apart.
func TestOwnTracerCPUIsTheProcessLessTheGenerator(t *testing.T) {
	requireProbes(t)
	sc := mustParse(t, `name: cpu
workload: {type: syscalls, mix: getpid, threads: 1, duration: 1s}
sets: {getpid: [getpid]}
modes: [exit_only]
floor: false
repetitions: 1
warmup: 0
`)
	r, err := NewRunner(sc, RunOptions{Only: []string{"getpid/exit_only"}})
	if err != nil {
		t.Fatal(err)
	}
	h := &helperTracer{spin: 300 * time.Millisecond, spun: make(chan time.Duration, 1)}
	r.tr = h
	var v results.Variant
	for _, x := range r.Variants() {
		if x.Name == "getpid/exit_only" {
			v = x
		}
	}
	if v.Name == "" {
		t.Fatalf("no getpid/exit_only in %v", names(r.Variants()))
	}
	run, _, err := r.runOne(context.Background(), v)
	if err != nil {
		t.Fatal(err)
	}
	spun := <-h.spun
	tr, wl, cons := run.Tracer, run.Workload, run.User.CPUSeconds
	if tr == nil {
		t.Fatal("no tracer figures")
	}
	t.Logf("tracer %.3f s (%s), consumer thread %.3f s, helper thread %s, generator %.3f s over %s",
		tr.CPUSeconds, tr.CPUMethod, cons, spun, wl.CPUSeconds, wl.Wall)
	if spun < 200*time.Millisecond {
		t.Skipf("the helper thread got only %s of CPU", spun)
	}
	if tr.CPUMethod != results.TracerCPUProcess || tr.CPUWindow != results.CPUWindowWorkloadToDrain {
		t.Errorf("tracer CPU by %q over %q", tr.CPUMethod, tr.CPUWindow)
	}
	if wl.CPUMethod != results.WorkloadCPUThreads || wl.CPUSeconds < 0.3*wl.Wall.Seconds() || wl.CPUSeconds > 1.05*wl.Wall.Seconds()+0.01 {
		t.Errorf("generator CPU %.3f s by %q over %s: one busy thread's, want most of its wall time", wl.CPUSeconds, wl.CPUMethod, wl.Wall)
	}
	// The helper's CPU is the tracer's: with the consumer thread's clock
	// alone it would not be.
	if tr.CPUSeconds < cons+0.9*spun.Seconds() {
		t.Errorf("tracer CPU %.3f s < consumer %.3f s + 90%% of the helper's %s: the other threads are missing", tr.CPUSeconds, cons, spun)
	}
	// The generator's CPU is not: what is left beside the consumer and
	// the helper (the runtime, stats reads, detaching) is far below it.
	if rest := tr.CPUSeconds - cons - spun.Seconds(); rest > 0.25*wl.CPUSeconds {
		t.Errorf("tracer CPU %.3f s has %.3f s beside the consumer and the helper: the generator's %.3f s is counted", tr.CPUSeconds, rest, wl.CPUSeconds)
	}
	run.Variant = v.Name
	res := &results.Results{Variants: r.Variants(), Runs: []results.Run{run}}
	results.Derive(res)
	if d := res.Runs[0].Derived; d.TracerCPUNsPerOp <= 0 || d.WorkloadCPUNsPerOp <= 0 {
		t.Errorf("no CPU per op: %+v", d)
	}
	assertNoProbeFDs(t)
}

// TestNoiseMeterCountsWorkloadCgroupOnce runs a busy command in the
// workload's cgroup under the noise meter: its CPU is benchctl's own
// (not outside), and once, though benchctl reaps the command (its
// rusage is in RUSAGE_CHILDREN too).
func TestNoiseMeterCountsWorkloadCgroupOnce(t *testing.T) {
	if testing.Short() || os.Geteuid() != 0 {
		t.Skip("needs root for a cgroup, and not -short")
	}
	if _, err := cgroupv2.Mount(); err != nil {
		t.Skipf("no cgroup v2: %v", err)
	}
	wl, err := scenario.WorkloadSpec{Type: "command", Command: workloads.CommandConfig{Argv: []string{"sh", "-c",
		`i=0; while [ $i -lt 300000 ]; do i=$((i+1)); done`}}}.New()
	if err != nil {
		t.Fatal(err)
	}
	defer wl.Close()
	if err := wl.Prepare(context.Background()); err != nil {
		t.Fatal(err)
	}
	cgs := workloadCgroups(wl)
	if len(cgs) != 1 {
		t.Fatalf("workload cgroups %v, want the command's", cgs)
	}
	m := startNoise(cgs...)
	if m.Err() != nil {
		t.Skipf("no /proc here: %v", m.Err())
	}
	p0 := clock(unix.CLOCK_PROCESS_CPUTIME_ID)
	res, err := wl.Run(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	self := (clock(unix.CLOCK_PROCESS_CPUTIME_ID) - p0).Seconds()
	n := m.End()
	if n == nil {
		t.Fatal("no noise figures")
	}
	t.Logf("own %.3f s: the command %.3f s, benchctl's process %.3f s; attributed to %s", n.OwnSeconds, res.CPUSeconds, self, n.Attributed)
	if res.CPUSeconds < 0.05 {
		t.Skipf("the command used only %.3f s", res.CPUSeconds)
	}
	if n.Attributed != "benchctl process tree, workload cgroup" {
		t.Errorf("attributed to %q", n.Attributed)
	}
	// Ticks (USER_HZ) of the process tree blur the sum by a few 10 ms.
	if n.OwnSeconds < 0.9*res.CPUSeconds {
		t.Errorf("own %.3f s, less than the command's %.3f s: it is counted as outside", n.OwnSeconds, res.CPUSeconds)
	}
	if n.OwnSeconds > res.CPUSeconds+self+0.05 {
		t.Errorf("own %.3f s, more than the command's %.3f s and the process's %.3f s: counted twice", n.OwnSeconds, res.CPUSeconds, self)
	}
}
