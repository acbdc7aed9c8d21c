package bench

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"testing"

	"github.com/cilium/ebpf"
	"github.com/cilium/ebpf/asm"
	"github.com/cilium/ebpf/link"

	"github.com/benchctl/benchctl/bench/results"
	"github.com/benchctl/benchctl/bench/scenario"
	"github.com/benchctl/benchctl/probes"
)

// perSyscallTracerEnv makes the test binary, re-executed with
// -test.run=^TestPerSyscallTracerChild$, a small tracer of its own.
const perSyscallTracerEnv = "BENCHCTL_TEST_PER_SYSCALL_TRACER"

// TestPerSyscallTracerChild is, in a child re-executed by
// TestRunExternalPerSyscall, a per-syscall tracer: it loads two empty
// programs with cilium/ebpf, attaches them to syscalls:sys_enter_openat
// and sys_exit_openat, prints "ready", and holds them until SIGINT. It
// does nothing in a normal test run.
func TestPerSyscallTracerChild(t *testing.T) {
	if os.Getenv(perSyscallTracerEnv) == "" {
		t.Skip("the tracer of TestRunExternalPerSyscall, run by it")
	}
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, os.Interrupt)
	for _, tp := range []string{"sys_enter_openat", "sys_exit_openat"} {
		prog, err := ebpf.NewProgram(&ebpf.ProgramSpec{
			Name:         "tp_" + strings.TrimPrefix(tp, "sys_"),
			Type:         ebpf.TracePoint,
			License:      "GPL",
			Instructions: asm.Instructions{asm.Mov.Imm(asm.R0, 0), asm.Return()},
		})
		if err != nil {
			t.Fatalf("loading the program for %s: %v", tp, err)
		}
		defer prog.Close()
		l, err := link.Tracepoint("syscalls", tp, prog, nil)
		if err != nil {
			t.Fatalf("attaching to syscalls:%s: %v", tp, err)
		}
		defer l.Close()
	}
	fmt.Println("ready")
	<-sig
}

// TestRunExternalPerSyscall runs a tracer that traces openat on its own
// tracepoints, syscalls:sys_enter_openat and sys_exit_openat, as a
// variant: its two programs are openat's enter and exit sides, not
// "other"; they fill the enter and exit columns, pair by syscall, each
// ran on every openat of the workload, and count no syscalls for ns per
// syscall (they run on openat only). The runner waits for the tracer's
// objects to go after each run. (The tracer is this test binary, not
// bpftrace: bpftrace 0.17 here misses a SIGINT now and then, stays in
// epoll_wait, and fails its run; see TestRunExternalBpftrace.)
func TestRunExternalPerSyscall(t *testing.T) {
	requireProbes(t)
	const calls = 20000
	sc, err := scenario.ParseBytes("per-syscall.yaml", []byte(`name: per-syscall
workload: {type: syscalls, mix: openclose, threads: 1, count: 20000}
sets: {openat: [openat]}
floor: false
repetitions: 1
warmup: 0
tracers:
  openat-tp:
    family: tp
    design: enter_exit
    argv: [`+strconv.Quote(os.Args[0])+`, -test.run=^TestPerSyscallTracerChild$]
    env: {`+perSyscallTracerEnv+`: "1"}
    sets: {openat: []}
    ready: {output: '^ready$'}
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
	runs := res.RunsOf("openat/openat-tp")
	if len(runs) != 1 {
		n, first := res.FailedRuns("openat/openat-tp")
		t.Fatalf("%d measured runs (%d failed: %s)", len(runs), n, first)
	}
	run := runs[0]
	for _, p := range run.Programs {
		t.Logf("%s id %d at %s: role %s syscall %q, %d runs, %.0f ns/run", p.Name, p.ID, p.AttachPoint, p.Role, p.Syscall, p.RunCount, p.AvgNs())
	}
	if len(run.Programs) != 2 {
		t.Fatalf("programs %+v, want the tracer's two", run.Programs)
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
		if vv.Name == "openat/openat-tp" {
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
