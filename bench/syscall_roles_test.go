package bench

import (
	"context"
	"testing"

	"github.com/benchctl/benchctl/bench/results"
	"github.com/benchctl/benchctl/bench/scenario"
	"github.com/benchctl/benchctl/probes"
)

// TestRunExternalPerSyscall runs a tracer that traces openat on its own
// tracepoints, syscalls:sys_enter_openat and sys_exit_openat, as a
// variant: its two programs are openat's enter and exit sides, not
// "other"; they fill the enter and exit columns, pair by syscall, each
// ran on every openat of the workload, and count no syscalls for ns per
// syscall (they run on openat only). The runner waits for the tracer's
// objects to go after each run.
func TestRunExternalPerSyscall(t *testing.T) {
	requireProbes(t)
	requireBpftrace(t)
	const calls = 20000
	sc, err := scenario.ParseBytes("per-syscall.yaml", []byte(`name: per-syscall
workload: {type: syscalls, mix: openclose, threads: 1, count: 20000}
sets: {openat: [openat]}
floor: false
repetitions: 1
warmup: 0
tracers:
  bt-openat:
    family: bt
    design: enter_exit
    argv: [bpftrace, -e]
    sets:
      openat: ['tracepoint:syscalls:sys_enter_openat { @e = count(); } tracepoint:syscalls:sys_exit_openat { @x = count(); }']
    ready: {output: 'Attaching \d+ probes?'}
`))
	if err != nil {
		t.Fatal(err)
	}
	r, err := NewRunner(sc, RunOptions{Seed: 5})
	if err != nil {
		t.Fatal(err)
	}
	res, err := r.Run(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	runs := res.RunsOf("openat/bt-openat")
	if len(runs) != 1 {
		n, first := res.FailedRuns("openat/bt-openat")
		t.Fatalf("%d measured runs (%d failed: %s)", len(runs), n, first)
	}
	run := runs[0]
	for _, p := range run.Programs {
		t.Logf("%s id %d at %s: role %s syscall %q, %d runs, %.0f ns/run", p.Name, p.ID, p.AttachPoint, p.Role, p.Syscall, p.RunCount, p.AvgNs())
	}
	if len(run.Programs) != 2 {
		t.Fatalf("programs %+v, want bpftrace's two", run.Programs)
	}
	for _, p := range run.Programs {
		want := map[string]string{"tracepoint/sys_enter_openat": probes.RoleEnter, "tracepoint/sys_exit_openat": probes.RoleExit}[p.AttachPoint]
		if p.Role != want || p.Syscall != "openat" {
			t.Errorf("program at %s: role %q syscall %q, want %q of openat", p.AttachPoint, p.Role, p.Syscall, want)
		}
	}
	sides := results.SyscallSides(run)
	if len(sides) != 1 || sides[0].Syscall != "openat" || sides[0].EnterRuns < calls || sides[0].ExitRuns < calls {
		t.Errorf("sides %+v, want openat's two sides, each run at least %d times", sides, calls)
	}
	v := results.Variant{}
	for _, vv := range res.Variants {
		if vv.Name == "openat/bt-openat" {
			v = vv
		}
	}
	for key, ok := range map[string]bool{"enter_avg_ns": true, "exit_avg_ns": true, "other_avg_ns": false} {
		m, _ := results.MeasureByKey(key)
		if _, got := m.Value(v, run); got != ok {
			t.Errorf("%s present %v, want %v", key, got, ok)
		}
	}
	if run.Derived.Syscalls != 0 || run.Derived.NsPerSyscall != 0 {
		t.Errorf("derived syscalls %d, ns/syscall %v: openat's exit program counts no machine syscalls", run.Derived.Syscalls, run.Derived.NsPerSyscall)
	}
}
