package bench

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/benchctl/benchctl/bench/results"
	"github.com/benchctl/benchctl/bench/scenario"
	"github.com/benchctl/benchctl/internal/tracertest"
	"github.com/benchctl/benchctl/probes"
	"github.com/benchctl/benchctl/workloads"
)

// requireBpftrace skips without bpftrace, except in CI (tracertest.Bpftrace).
func requireBpftrace(t *testing.T) { tracertest.Bpftrace(t) }

// skipRefused applies tracertest's rule to the variants of res that ran a
// third-party tracer: when the kernel refused one, the refusal must be
// classified, and the test skips with the classification as its reason.
func skipRefused(t *testing.T, res *results.Results, variants ...string) {
	t.Helper()
	for _, name := range variants {
		if l := res.LoadOf(name); l != nil && l.Refusal != nil {
			_, first := res.FailedRuns(name)
			tracertest.SkipRefused(t, name, l.Refusal, first)
		}
	}
}

// externalScenario is a getpid generator traced by the tracers given as
// YAML, on one set "getpid".
func externalScenario(t *testing.T, tracers string, reps int) *scenario.Scenario {
	t.Helper()
	yaml := `name: ext
workload: {type: syscalls, mix: getpid, threads: 1, count: 200000}
sets: {getpid: [getpid]}
floor: false
repetitions: ` + strconv.Itoa(reps) + `
warmup: 0
tracers:
` + tracers
	sc, err := scenario.ParseBytes("ext.yaml", []byte(yaml))
	if err != nil {
		t.Fatal(err)
	}
	return sc
}

const bpftraceTracers = `  bt-ee:
    family: bt
    design: enter_exit
    argv: [bpftrace, -e]
    sets:
      getpid: ['tracepoint:raw_syscalls:sys_enter /args->id == 39/ { @enter = count(); } tracepoint:raw_syscalls:sys_exit /args->id == 39/ { @exit = count(); }']
    ready: {output: 'Attaching \d+ probes?'}
    counters: ['@enter: (?P<enter_calls>\d+)', '@exit: (?P<exit_calls>\d+)']
  bt-xo:
    family: bt
    design: exit_only
    argv: [bpftrace, -e]
    sets:
      getpid: ['tracepoint:raw_syscalls:sys_exit /args->id == 39/ { @exit = count(); }']
    counters: ['@exit: (?P<exit_calls>\d+)']
`

// TestRunExternalBpftrace measures two bpftrace scripts as variants: the
// programs found are exactly the script's (two on the raw_syscalls
// tracepoints for enter+exit, one for exit only), with roles by attach
// point; their run counts are the machine's syscalls; the counters read
// from bpftrace's output count at least the generator's getpid calls; the
// tracer's CPU and memory are recorded; its programs are gone afterwards;
// and the report pairs the two designs of the family.
func TestRunExternalBpftrace(t *testing.T) {
	requireProbes(t)
	requireBpftrace(t)
	sc := externalScenario(t, bpftraceTracers, 1)
	r, err := NewRunner(sc, RunOptions{Seed: 3})
	if err != nil {
		t.Fatal(err)
	}
	res, err := r.Run(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	calls := uint64(sc.Workload.Syscalls.Count)
	skipRefused(t, res, "getpid/bt-ee", "getpid/bt-xo")
	for _, name := range []string{"getpid/bt-ee", "getpid/bt-xo"} {
		runs := res.RunsOf(name)
		if len(runs) != 1 {
			n, first := res.FailedRuns(name)
			t.Fatalf("%s: %d measured runs (%d failed: %s)", name, len(runs), n, first)
		}
		run := runs[0]
		roles := map[string]int{}
		for _, p := range run.Programs {
			roles[p.Role]++
			if !strings.HasPrefix(p.AttachPoint, "tracepoint/sys_e") || p.ID == 0 {
				t.Errorf("%s: program %+v", name, p)
			}
		}
		wantEnter := 0
		if name == "getpid/bt-ee" {
			wantEnter = 1
		}
		if roles[probes.RoleEnter] != wantEnter || roles[probes.RoleExit] != 1 || len(run.Programs) != wantEnter+1 {
			t.Errorf("%s: programs %+v, want %d enter and 1 exit program", name, run.Programs, wantEnter)
		}
		if run.Derived.Syscalls < calls {
			t.Errorf("%s: %d syscalls counted by the exit program, want at least the %d getpid calls", name, run.Derived.Syscalls, calls)
		}
		ts := run.Tracer
		if ts == nil {
			t.Fatalf("%s: no tracer stats", name)
		}
		if ts.Counters["exit_calls"] < float64(calls) {
			t.Errorf("%s: counters %v, want exit_calls >= %d", name, ts.Counters, calls)
		}
		if name == "getpid/bt-ee" && ts.Counters["enter_calls"] < float64(calls) {
			t.Errorf("%s: counters %v, want enter_calls >= %d", name, ts.Counters, calls)
		}
		// bpftrace only counts in kernel maps: its userspace may well use
		// no CPU at all during a workload this short, so CPU is only
		// checked to be a measured, non-negative figure.
		t.Logf("%s: BPF memory %d bytes, %d of them perf buffers", name, ts.BPFMemoryBytes, ts.PerfBufferBytes)
		if ts.CPUSeconds < 0 || ts.PeakMemoryBytes == 0 || ts.BPFMemoryBytes == 0 || ts.ProgramsAttached != wantEnter+1 {
			t.Errorf("%s: tracer stats %+v", name, ts)
		}
		if ts.Exit == nil || ts.Exit.ExitCode != 0 || ts.Exit.Killed {
			t.Errorf("%s: exit %+v, want a clean exit on SIGINT", name, ts.Exit)
		}
		// Memory: a peak read as the host allows, and the workload's
		// resident and anonymous samples, none above the peak where the
		// peak is the kernel's (the cgroup's samples are part of it).
		if ts.MemoryMethod == "" || ts.MeanMemoryBytes == 0 || ts.MemorySamples < 2 || ts.ResidentMethod == "" || ts.AnonMethod == "" {
			t.Errorf("%s: memory figures %+v", name, ts)
		}
		if (ts.MemoryMethod == workloads.MemoryPeakV1 || ts.MemoryMethod == workloads.MemoryPeakV2) && (ts.MeanMemoryBytes > ts.PeakMemoryBytes || ts.AnonPeakBytes > ts.PeakMemoryBytes) {
			t.Errorf("%s: mean %d or anonymous %d above the peak %d (%s)", name, ts.MeanMemoryBytes, ts.AnonPeakBytes, ts.PeakMemoryBytes, ts.MemoryMethod)
		}
		t.Logf("%s: peak %d (%s), mean %d over %d samples (%s), anon mean %d peak %d (%s)", name, ts.PeakMemoryBytes, ts.MemoryMethod, ts.MeanMemoryBytes, ts.MemorySamples, ts.ResidentMethod, ts.AnonMeanBytes, ts.AnonPeakBytes, ts.AnonMethod)
	}
	pairs := res.ModePairs()
	found := false
	for _, p := range pairs {
		if p.EnterExit.Name == "getpid/bt-ee" && p.ExitOnly.Name == "getpid/bt-xo" {
			found = true
		}
		if p.EnterExit.FamilyName() != p.ExitOnly.FamilyName() {
			t.Errorf("pair across families: %s and %s", p.EnterExit.Name, p.ExitOnly.Name)
		}
	}
	if !found {
		t.Errorf("no bt-ee/bt-xo pair in %+v", pairs)
	}
	// Provenance: the bpftrace binary that ran, hashed.
	if res.Provenance == nil || len(res.Provenance.Tracers) == 0 {
		t.Fatalf("no tracer provenance: %+v", res.Provenance)
	}
	for _, tp := range res.Provenance.Tracers {
		if !strings.HasSuffix(tp.Executable, "bpftrace") || len(tp.SHA256) != 64 || len(tp.Argv) == 0 {
			t.Errorf("tracer provenance %+v, want bpftrace's path and SHA-256", tp)
		}
	}
}

// TestRunExternalFailures: a tracer that exits before it is ready, one
// that never gets ready and one that dies during the workload each fail
// their own run, with the exit status and the last lines of output in
// the results; the other variants still run.
func TestRunExternalFailures(t *testing.T) {
	requireProbes(t)
	requireBpftrace(t)
	tracers := `  early:
    argv: [sh, -c, 'echo cannot open the driver >&2; exit 3']
    sets: {getpid: []}
  never:
    argv: [sleep, "60"]
    sets: {getpid: []}
    ready: {timeout: 1s}
  dies:
    argv: [bpftrace, -e]
    sets:
      getpid: ['tracepoint:raw_syscalls:sys_exit /args->id == 39/ { @n = count(); } interval:ms:1000 { exit(); }']
`
	sc := externalScenario(t, tracers, 1)
	// bpftrace is ready after ~0.3 s and exits 1 s after it attached, in
	// the first quarter of a 5 s workload, so that it has exited well
	// before the workload ends. With exit() at 1.5 s of a 3 s workload a
	// CI run once found it still alive at the end (cause not known:
	// a slow readiness poll or a slow teardown).
	sc.Workload.Syscalls.Count = 0
	sc.Workload.Syscalls.Duration = 5 * time.Second
	r, err := NewRunner(sc, RunOptions{Seed: 5})
	if err != nil {
		t.Fatal(err)
	}
	res, err := r.Run(context.Background())
	if err != nil {
		t.Fatalf("an external tracer's failure must not stop the scenario: %v", err)
	}
	if !res.Complete {
		t.Fatalf("incomplete: %s", res.Reason)
	}
	want := map[string][]string{
		"getpid/early": {"exited before it was ready", "exit status 3"},
		"getpid/never": {"not ready after 1s"},
		"getpid/dies":  {"exited during the run"},
	}
	for name, parts := range want {
		n, first := res.FailedRuns(name)
		if n != 1 {
			t.Errorf("%s: %d failed runs, want 1", name, n)
			continue
		}
		for _, p := range parts {
			if !strings.Contains(first, p) {
				t.Errorf("%s: error %q does not say %q", name, first, p)
			}
		}
	}
	for _, run := range res.Runs {
		if run.Variant == "getpid/early" && (run.Tracer == nil || !strings.Contains(run.Tracer.Output, "cannot open the driver")) {
			t.Errorf("early: the run keeps no output: %+v", run.Tracer)
		}
	}
	if len(res.RunsOf(results.BaselineName)) != 1 {
		t.Errorf("the baseline did not run")
	}
}

// TestRunExternalMissing: a tracer whose program does not exist is
// reported by the parser (validate and run say it, exit 3) and refused by
// the runner as an environment error, before anything is started.
func TestRunExternalMissing(t *testing.T) {
	sc := externalScenario(t, `  gone:
    argv: ["${NO_SUCH_DIR:-/nonexistent}/tracer"]
    sets: {getpid: []}
`, 1)
	missing := sc.MissingTracers()
	if len(missing) != 1 || !strings.Contains(missing[0], "/nonexistent/tracer") {
		t.Fatalf("missing %v, want the tracer's path", missing)
	}
	_, err := scenario.ParseWith(writeScenario(t, `name: x
workload: {type: syscalls, mix: getpid, count: 10}
sets: {getpid: [getpid]}
tracers:
  t:
    argv: ["${TRACER_DIR_FOR_TEST}/x"]
    sets: {getpid: []}
`), scenario.ParseOptions{})
	var se *scenario.Error
	if !errors.As(err, &se) || !strings.Contains(err.Error(), "TRACER_DIR_FOR_TEST") || !strings.Contains(err.Error(), "--set") {
		t.Fatalf("unset variable: %v, want an error naming it and --set", err)
	}
	sc2, err := scenario.ParseWith(writeScenario(t, `name: x
workload: {type: syscalls, mix: getpid, count: 10}
sets: {getpid: [getpid]}
tracers:
  t:
    argv: ["${TRACER_DIR_FOR_TEST}/sh"]
    sets: {getpid: []}
`), scenario.ParseOptions{Vars: map[string]string{"TRACER_DIR_FOR_TEST": "/bin"}})
	if err != nil || sc2.Tracers[0].Argv[0] != "/bin/sh" || sc2.Tracers[0].Missing != "" {
		t.Fatalf("--set value: %v %+v", err, sc2)
	}
}

func writeScenario(t *testing.T, text string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "s.yaml")
	if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestRunExternalInterrupted cancels the run while a tracer measures:
// the tracer process is gone and so are its programs.
func TestRunExternalInterrupted(t *testing.T) {
	requireProbes(t)
	requireBpftrace(t)
	sc := externalScenario(t, `  bt:
    argv: [bpftrace, -e]
    sets:
      getpid: ['tracepoint:raw_syscalls:sys_exit /args->id == 39/ { @n = count(); }']
`, 1)
	sc.Workload.Syscalls.Count = 0
	sc.Workload.Syscalls.Duration = 4 * time.Second
	r, err := NewRunner(sc, RunOptions{Seed: 1, Only: []string{"getpid/bt"}})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	var (
		pid  int
		held probes.TreeBPF
	)
	go func() {
		// Cancel once bpftrace is measuring: its process holds programs.
		deadline := time.Now().Add(60 * time.Second)
		for time.Now().Before(deadline) {
			// Only this run's bpftrace: it is in a tracer cgroup named
			// after this process (another may run on a busy machine).
			if out, err := exec.Command("pgrep", "-x", "bpftrace").Output(); err == nil {
				var p int
				for _, f := range strings.Fields(string(out)) {
					if q, _ := strconv.Atoi(f); inOurTracerCgroup(q) {
						p = q
					}
				}
				if tb, err := probes.FindBPF([]int{p}); p != 0 && err == nil && len(tb.Attached) > 0 {
					pid, held = p, tb
					time.Sleep(500 * time.Millisecond)
					cancel()
					return
				}
			}
			time.Sleep(50 * time.Millisecond)
		}
		cancel()
	}()
	_, err = r.Run(ctx)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("Run: %v, want an interruption", err)
	}
	if pid == 0 {
		t.Fatal("bpftrace never held attached programs")
	}
	if err := syscall.Kill(pid, 0); !errors.Is(err, syscall.ESRCH) {
		t.Errorf("bpftrace (pid %d) still runs after the interruption: %v", pid, err)
	}
	if err := probes.WaitGone(held.Programs, held.Maps, 10*time.Second); err != nil {
		t.Errorf("bpftrace's BPF objects after the interruption: %v", err)
	}
}

// TestRunExternalCPUWindow: a tracer's CPU time runs from the start of the
// workload to its exit, its drain included: this one (a shell around
// bpftrace) spends a few hundred ms of CPU after the stop signal, which a
// window ending with the workload misses. Its counters cover its whole
// life, so no per-second or per-syscall figure is made of them.
func TestRunExternalCPUWindow(t *testing.T) {
	requireProbes(t)
	requireBpftrace(t)
	sc := externalScenario(t, `  drainer:
    argv: [sh, -c]
    sets:
      getpid: ['trap "i=0; while [ \$i -lt 200000 ]; do i=\$((i+1)); done; echo events: 7; exit 0" INT; bpftrace -e "tracepoint:raw_syscalls:sys_exit /args->id == 39/ { @exit = count(); }" & wait']
    ready: {output: 'Attaching \d+ probes?'}
    counters: ['events: (?P<events>\d+)']
`, 1)
	r, err := NewRunner(sc, RunOptions{Seed: 3})
	if err != nil {
		t.Fatal(err)
	}
	res, err := r.Run(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	runs := res.RunsOf("getpid/drainer")
	if len(runs) != 1 {
		n, first := res.FailedRuns("getpid/drainer")
		t.Fatalf("%d measured runs (%d failed: %s)", len(runs), n, first)
	}
	run := runs[0]
	// 200000 rounds of a shell loop take well over 50 ms of CPU anywhere
	// this runs (about 0.3 s here); bpftrace itself uses almost none.
	if run.Tracer == nil || run.Tracer.CPUSeconds < 0.05 || run.Tracer.CPUMethod != results.TracerCPUCgroup {
		t.Errorf("tracer CPU %+v: want the drain after the stop signal (>= 0.05 s) counted, from its cgroup", run.Tracer)
	}
	if run.User.Events != 7 {
		t.Errorf("events %d, want the 7 the tracer printed", run.User.Events)
	}
	v, _ := res.Variant("getpid/drainer")
	for _, key := range []string{"events_per_sec", "events_per_syscall"} {
		m, _ := results.MeasureByKey(key)
		if x, ok := m.Value(v, run); ok {
			t.Errorf("%s = %v from whole-life counters over the workload's window", key, x)
		}
	}
	if run.Derived.EventsPerSec != 0 || run.Derived.BytesPerSec != 0 {
		t.Errorf("derived events/s %v, bytes/s %v: want none for an external tracer", run.Derived.EventsPerSec, run.Derived.BytesPerSec)
	}
}

// inOurTracerCgroup tells whether pid runs in a tracer cgroup that this
// test process made (workloads.StartTracer names them
// benchctl-tracer-<pid>-<n>).
func inOurTracerCgroup(pid int) bool {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/cgroup", pid))
	return err == nil && strings.Contains(string(b), fmt.Sprintf("/benchctl-tracer-%d-", os.Getpid()))
}
