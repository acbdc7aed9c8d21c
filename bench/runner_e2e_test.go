package bench

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cilium/ebpf"

	"github.com/benchctl/benchctl/bench/results"
	"github.com/benchctl/benchctl/bench/scenario"
	"github.com/benchctl/benchctl/probes"
)

// requireProbes skips a test that loads BPF programs where that cannot
// work: CI runs as root, so there these tests run for real.
func requireProbes(t *testing.T) {
	t.Helper()
	if testing.Short() {
		t.Skip("-short runs no probes, no redis and no tracers")
	}
	if os.Geteuid() != 0 {
		t.Skip("loading BPF programs needs root (CI runs these tests as root)")
	}
	if err := probes.CheckEnvironment(); err != nil {
		t.Skipf("this machine cannot run the probes: %v", err)
	}
}

// TestRunCIScenario runs scenarios/ci.yaml for real and checks the
// results file.
func TestRunCIScenario(t *testing.T) {
	requireProbes(t)
	sc, err := scenario.Parse("../scenarios/ci.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if testing.Short() {
		sc.Repetitions, sc.Warmup = 2, 0
	}
	out := filepath.Join(t.TempDir(), "ci.json")
	r, err := NewRunner(sc, RunOptions{Seed: 1, Output: out, Version: "test"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	res, err := results.ReadResults(out)
	if err != nil {
		t.Fatal(err)
	}
	if !res.Complete {
		t.Fatalf("incomplete: %s", res.Reason)
	}
	if res.Environment.StatsMethod == "off" || res.Environment.Kernel == "" || res.Environment.CPUs < 1 {
		t.Errorf("environment %+v", res.Environment)
	}
	count := uint64(sc.Workload.Syscalls.Count) * uint64(max(sc.Workload.Syscalls.Threads, 1))
	if res.Fingerprint == nil || res.Fingerprint.Syscalls["getpid"] < count {
		t.Errorf("fingerprint %+v, want at least %d getpid", res.Fingerprint, count)
	}

	// Every variant ran every measured round.
	all, _ := sc.Expand()
	for _, v := range all {
		if got := len(res.RunsOf(v.Name)); got != sc.Repetitions {
			t.Errorf("%s: %d measured runs, want %d", v.Name, got, sc.Repetitions)
		}
	}

	events := map[string]map[int]uint64{} // variant -> round -> attempted
	for _, run := range res.Measured() {
		v, _ := res.Variant(run.Variant)
		if run.Workload.Throughput <= 0 {
			t.Errorf("%s round %d: no throughput", run.Variant, run.Round)
		}
		if v.Baseline {
			if len(run.Programs) != 0 || run.Kernel.Attempted != 0 || run.User.Events != 0 {
				t.Errorf("%s round %d: programs %v, %d events: a baseline has none", run.Variant, run.Round, run.Programs, run.Kernel.Attempted)
			}
			continue
		}
		if run.Derived.ThroughputChange == nil {
			t.Errorf("%s round %d: no throughput change", run.Variant, run.Round)
		}
		if len(run.Programs) == 0 {
			t.Errorf("%s round %d: no programs", run.Variant, run.Round)
			continue
		}
		// Dispatch counts: each attached program ran at least once per
		// getpid the workload made (it also runs for everyone else's).
		// The kernel counts runs only while stats are on.
		for _, p := range run.Programs {
			if v.Stats && p.RunCount < count {
				t.Errorf("%s round %d: %s ran %d times, want at least %d", run.Variant, run.Round, p.Name, p.RunCount, count)
			}
			if v.Stats && p.RunTimeNs == 0 {
				t.Errorf("%s round %d: %s has no run time with stats on", run.Variant, run.Round, p.Name)
			}
		}
		if v.Stats && (run.Derived.Syscalls < count || run.Derived.NsPerSyscall <= 0) {
			t.Errorf("%s round %d: derived %+v", run.Variant, run.Round, run.Derived)
		}
		if v.Mode == probes.ModeFloor {
			continue
		}
		if run.User.Events == 0 || run.Kernel.Attempted < count {
			t.Errorf("%s round %d: %d events received, %d attempted, want at least %d", run.Variant, run.Round, run.User.Events, run.Kernel.Attempted, count)
		}
		// Exact, as the README promises: the probes are detached and an
		// RCU grace period has passed before the counters are read and
		// the rings drained for the last time.
		if run.User.Events+run.Kernel.Drops() != run.Kernel.Attempted {
			t.Errorf("%s round %d: received %d + dropped %d != attempted %d", run.Variant, run.Round, run.User.Events, run.Kernel.Drops(), run.Kernel.Attempted)
		}
		if events[run.Variant] == nil {
			events[run.Variant] = map[int]uint64{}
		}
		events[run.Variant][run.Round] = run.Kernel.Attempted
	}

	// enter_exit sends two events per traced syscall, exit_only one. Other
	// processes only ever add events (a test running getpid in parallel,
	// say), so compare the quietest round of each: min over rounds.
	for _, pair := range [][2]string{{"getpid/enter_exit", "getpid/exit_only"}, {"getpid/enter_exit_nostats", "getpid/exit_only_nostats"}} {
		quietest := func(name string) uint64 {
			var least uint64
			for _, n := range events[name] {
				if least == 0 || n < least {
					least = n
				}
			}
			return least
		}
		ee, eo := quietest(pair[0]), quietest(pair[1])
		if eo == 0 {
			t.Errorf("%s: no events", pair[1])
			continue
		}
		if ratio := float64(ee) / float64(eo); ratio < 1.9 || ratio > 2.1 {
			t.Errorf("%s / %s events: %d / %d = %.3f (per round %v / %v), want about 2", pair[0], pair[1], ee, eo, ratio, events[pair[0]], events[pair[1]])
		}
		if ee < 2*count || eo < count {
			t.Errorf("%s: %d events, %s: %d events; the workload alone makes %d and %d", pair[0], ee, pair[1], eo, 2*count, count)
		}
	}
	assertNoProbeFDs(t)
}

// TestRunCancelLeavesNothingAttached cancels a real run while a probe
// variant is attached and checks that the results file, if a run ended
// before, is marked incomplete and no program is left behind.
func TestRunCancelLeavesNothingAttached(t *testing.T) {
	requireProbes(t)
	sc, err := scenario.Parse("../scenarios/ci.yaml")
	if err != nil {
		t.Fatal(err)
	}
	// Runs long enough for the cancel to land while the workload runs.
	sc.Workload.Syscalls.Count, sc.Workload.Syscalls.Duration = 0, 3*time.Second
	sc.Repetitions, sc.Warmup = 1, 0
	out := filepath.Join(t.TempDir(), "cancel.json")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()

	tr := &recordingTracer{loaded: make(chan []ebpf.ProgramID, 1)}
	go func() {
		// Once a variant's programs are attached, let it run a little, cancel.
		select {
		case <-tr.loaded:
			time.Sleep(300 * time.Millisecond)
			cancel()
		case <-ctx.Done():
		}
	}()
	r, err := NewRunner(sc, RunOptions{Seed: 5, Output: out})
	if err != nil {
		t.Fatal(err)
	}
	r.tr = tr
	_, err = r.Run(ctx)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
	// A results file is written once a run has ended: none when the
	// cancelled run was the first.
	res, rerr := results.ReadResults(out)
	if errors.Is(rerr, os.ErrNotExist) {
		res = &results.Results{Reason: "interrupted (no file)"}
	} else if rerr != nil {
		t.Fatal(rerr)
	}
	if res.Complete || !strings.Contains(res.Reason, "interrupted") {
		t.Errorf("complete %v, reason %q", res.Complete, res.Reason)
	}
	for _, run := range res.Runs {
		if v, _ := res.Variant(run.Variant); !v.Baseline {
			t.Errorf("run of %s kept, but only baselines can have finished", run.Variant)
		}
	}
	ids := tr.ids()
	if len(ids) == 0 {
		t.Fatal("no programs were loaded")
	}
	assertNoProbeFDs(t)
	// Program IDs are freed after an RCU grace period: wait a little.
	deadline := time.Now().Add(5 * time.Second)
	for {
		var left []ebpf.ProgramID
		for _, id := range ids {
			if p, err := ebpf.NewProgramFromID(id); err == nil {
				p.Close()
				left = append(left, id)
			}
		}
		if len(left) == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("programs %v are still loaded after the cancelled run", left)
		}
		time.Sleep(50 * time.Millisecond)
	}
	// By name too: none of ours is left (checked above); others may be
	// loaded by a test running in parallel.
	if left := probePrograms(); len(left) > 0 {
		t.Logf("programs %v named like benchctl's dispatchers are loaded, not by this run", left)
	}
}

// recordingTracer is package probes, without the fingerprint pass (its
// run would be long here), noting the IDs of the programs it loads.
type recordingTracer struct {
	realTracer
	mu     sync.Mutex
	all    []ebpf.ProgramID
	loaded chan []ebpf.ProgramID
}

func (r *recordingTracer) Load(cfg probes.Config) (probeSet, error) {
	ps, err := r.realTracer.Load(cfg)
	if err != nil {
		return nil, err
	}
	ids := ps.(realProbes).ProgramIDs()
	r.mu.Lock()
	r.all = append(r.all, ids...)
	r.mu.Unlock()
	select {
	case r.loaded <- ids:
	default:
	}
	return ps, nil
}

func (r *recordingTracer) ids() []ebpf.ProgramID {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.all)
}

func (*recordingTracer) CountSyscalls(context.Context, probes.CountOptions, func(context.Context) error) (map[string]uint64, error) {
	return nil, errors.New("skipped by the test")
}

// probePrograms lists the IDs of loaded programs named as benchctl's
// dispatchers and floor programs.
func probePrograms() []ebpf.ProgramID {
	var out []ebpf.ProgramID
	id := ebpf.ProgramID(0)
	for {
		next, err := ebpf.ProgramGetNextID(id)
		if err != nil {
			return out
		}
		id = next
		p, err := ebpf.NewProgramFromID(id)
		if err != nil {
			continue
		}
		info, err := p.Info()
		p.Close()
		if err != nil {
			continue
		}
		switch name := info.Name; {
		case name == "sys_enter", name == "sys_exit", strings.HasPrefix(name, "floor_"):
			out = append(out, id)
		}
	}
}

// assertNoProbeFDs fails if this process still holds a BPF program or
// link: a program stays attached only while someone holds one of them.
func assertNoProbeFDs(t *testing.T) {
	t.Helper()
	entries, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		target, err := os.Readlink(filepath.Join("/proc/self/fd", e.Name()))
		if err != nil {
			continue
		}
		if target == "anon_inode:bpf-prog" || target == "anon_inode:bpf_link" {
			t.Errorf("fd %s is still %s", e.Name(), target)
		}
	}
}
