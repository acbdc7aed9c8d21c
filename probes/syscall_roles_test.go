package probes

import (
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/cilium/ebpf"
	"github.com/cilium/ebpf/asm"
	"github.com/cilium/ebpf/link"

	"github.com/benchctl/benchctl/bench/results"
)

func TestAttachRole(t *testing.T) {
	for _, c := range []struct {
		kind, target, role, syscall string
	}{
		{"raw_tracepoint", "sys_enter", RoleEnter, ""},
		{"tracepoint", "sys_exit", RoleExit, ""},
		{"tracing", "sys_enter", RoleEnter, ""}, // tp_btf
		{"tracepoint", "raw_syscalls:sys_exit", RoleExit, ""},
		{"tracepoint", "sys_enter_openat", RoleEnter, "openat"},
		{"tracepoint", "syscalls:sys_exit_openat", RoleExit, "openat"},
		{"perf_event", "sys_exit_read", RoleExit, "read"},
		{"fentry", "__x64_sys_openat", RoleEnter, "openat"},
		{"fexit", "__x64_sys_openat", RoleExit, "openat"},
		{"kprobe", "__x64_sys_openat", RoleEnter, "openat"},
		{"kretprobe", "__x64_sys_openat", RoleExit, "openat"},
		{"kprobe", "__arm64_sys_read", RoleEnter, "read"},
		{"kprobe", "__x64_sys_openat+0x4", RoleOther, ""}, // inside the function
		{"fmod_ret", "__x64_sys_openat", RoleOther, ""},
		{"kprobe", "do_sys_openat2", RoleOther, ""},
		{"fentry", "sys_enter_openat", RoleOther, ""}, // a function, not the tracepoint
		{"tracepoint", "__x64_sys_openat", RoleOther, ""},
		{"uprobe", "/bin/sh:0x10", RoleOther, ""},
		{"tracepoint", "sched_switch", RoleOther, ""},
		{"tracepoint", "sys_enter_", RoleOther, ""},
		{"kprobe", "__x64_sys_", RoleOther, ""},
	} {
		role, sc := attachRole(c.kind, c.target)
		if role != c.role || sc != c.syscall {
			t.Errorf("attachRole(%q, %q) = %q, %q; want %q, %q", c.kind, c.target, role, sc, c.role, c.syscall)
		}
	}
}

// perSyscallProgram loads an empty program of typ (and attach type for
// tracing programs).
func perSyscallProgram(t *testing.T, name string, typ ebpf.ProgramType, at ebpf.AttachType, to string) (*ebpf.Program, error) {
	t.Helper()
	prog, err := ebpf.NewProgram(&ebpf.ProgramSpec{
		Name:         name,
		Type:         typ,
		AttachType:   at,
		AttachTo:     to,
		License:      "GPL",
		Instructions: asm.Instructions{asm.Mov.Imm(asm.R0, 0), asm.Return()},
	})
	if err != nil {
		return nil, err
	}
	t.Cleanup(func() { prog.Close() })
	return prog, nil
}

// TestFindBPFPerSyscallRoles attaches what a per-syscall tracer attaches
// to openat, by each of the kernel's means: its two tracepoints, fentry
// and fexit, kprobe and kretprobe on __x64_sys_openat. FindBPF gives each
// the enter or exit role of openat, the programs' stats keep them, and
// the results pair the two sides of openat, each run on every openat.
func TestFindBPFPerSyscallRoles(t *testing.T) {
	requireKernel(t)
	if runtime.GOARCH != "amd64" {
		t.Skip("attaches to __x64_sys_openat")
	}
	const fn = "__x64_sys_openat"
	type want struct{ kind, role string }
	wants := map[uint32]want{}
	perSide := map[string]int{}
	add := func(prog *ebpf.Program, l link.Link, err error, kind, role string) {
		t.Helper()
		if err != nil {
			t.Fatalf("attaching %s: %v", kind, err)
		}
		perSide[role]++
		t.Cleanup(func() { l.Close() })
		info, err := prog.Info()
		if err != nil {
			t.Fatal(err)
		}
		id, _ := info.ID()
		wants[uint32(id)] = want{kind, role}
	}
	must := func(p *ebpf.Program, err error) *ebpf.Program {
		t.Helper()
		if err != nil {
			t.Fatalf("loading: %+v", err)
		}
		return p
	}
	tpEnter := must(perSyscallProgram(t, "tp_enter", ebpf.TracePoint, 0, ""))
	l, err := link.Tracepoint("syscalls", "sys_enter_openat", tpEnter, nil)
	add(tpEnter, l, err, "tracepoint enter", RoleEnter)
	tpExit := must(perSyscallProgram(t, "tp_exit", ebpf.TracePoint, 0, ""))
	l, err = link.Tracepoint("syscalls", "sys_exit_openat", tpExit, nil)
	add(tpExit, l, err, "tracepoint exit", RoleExit)
	// Kprobes, fentry and fexit need kernel options that not every
	// kernel has: the reference machine's 6.18.44 has no kprobe PMU and
	// refuses to load fentry programs (EPERM). TestAttachRole covers
	// their names; here they are tried where the kernel has them.
	kp := must(perSyscallProgram(t, "kp_openat", ebpf.Kprobe, 0, ""))
	if l, err = link.Kprobe(fn, kp, nil); err != nil {
		t.Logf("no kprobes here: %v", err)
	} else {
		add(kp, l, err, "kprobe", RoleEnter)
		krp := must(perSyscallProgram(t, "krp_openat", ebpf.Kprobe, 0, ""))
		l, err = link.Kretprobe(fn, krp, nil)
		add(krp, l, err, "kretprobe", RoleExit)
	}
	if fentry, err := perSyscallProgram(t, "fentry_openat", ebpf.Tracing, ebpf.AttachTraceFEntry, fn); err != nil {
		t.Logf("no fentry and fexit here: %v", err)
	} else {
		l, err = link.AttachTracing(link.TracingOptions{Program: fentry})
		if err == nil && !tracingTargetShown(t, fentry) {
			// Linux 6.1's tracing-link fdinfo has attach_type but no
			// target_btf_id (6.12's has both): the syscall cannot be read.
			t.Logf("this kernel's tracing-link fdinfo names no target: fentry and fexit are left out")
			l.Close()
		} else {
			add(fentry, l, err, "fentry", RoleEnter)
			fexit := must(perSyscallProgram(t, "fexit_openat", ebpf.Tracing, ebpf.AttachTraceFExit, fn))
			l, err = link.AttachTracing(link.TracingOptions{Program: fexit})
			add(fexit, l, err, "fexit", RoleExit)
		}
	}

	tree, err := FindBPF([]int{os.Getpid()})
	if err != nil {
		t.Fatal(err)
	}
	var ours []Attachment
	for _, a := range tree.Attached {
		w, ok := wants[a.ProgramID]
		if !ok {
			continue
		}
		t.Logf("%s: %+v", w.kind, a)
		ours = append(ours, a)
		if a.Role != w.role || a.Syscall != "openat" {
			t.Errorf("%s at %s: role %q syscall %q, want %q of openat; the links' fdinfo:\n%s", w.kind, a.AttachPoint, a.Role, a.Syscall, w.role, linkFdinfo(t))
		}
	}
	if len(ours) != len(wants) {
		t.Fatalf("FindBPF found %d of our %d programs: %+v", len(ours), len(wants), tree.Attached)
	}

	const n = 200
	enableStats(t)
	ext, err := OpenExternal(ours)
	if err != nil {
		t.Fatal(err)
	}
	defer ext.Close()
	before, err := ext.Snapshot()
	if err != nil {
		t.Fatal(err)
	}
	for range n {
		f, err := os.Open("/dev/null") // openat(2)
		if err != nil {
			t.Fatal(err)
		}
		f.Close()
	}
	after, err := ext.Snapshot()
	if err != nil {
		t.Fatal(err)
	}
	run := results.Run{Programs: after.Sub(before).Programs}
	for _, p := range run.Programs {
		t.Logf("%s id %d %s role %s syscall %s: %d runs, %.0f ns/run", p.Name, p.ID, p.AttachPoint, p.Role, p.Syscall, p.RunCount, p.AvgNs())
		if p.Role != wants[p.ID].role || p.Syscall != "openat" {
			t.Errorf("program %s stats: role %q syscall %q, want %q of openat", p.Name, p.Role, p.Syscall, wants[p.ID].role)
		}
		if p.RunCount < n {
			t.Errorf("%s ran %d times around %d openat calls", p.Name, p.RunCount, n)
		}
	}
	sides := results.SyscallSides(run)
	enters, exits := perSide[RoleEnter], perSide[RoleExit]
	if len(sides) != 1 || sides[0].Syscall != "openat" || sides[0].EnterProgs != enters || sides[0].ExitProgs != exits ||
		sides[0].EnterRuns < uint64(enters*n) || sides[0].ExitRuns < uint64(exits*n) {
		t.Errorf("syscall sides %+v, want openat with %d and %d programs, each run at least %d times", sides, enters, exits, n)
	}
	results.Derive(&results.Results{Variants: []results.Variant{{Name: "v", Stats: true}}, Runs: []results.Run{run}})
	for _, role := range []string{RoleEnter, RoleExit} {
		if cnt, _, ok := results.RoleStats(run, role); !ok || cnt < uint64(perSide[role]*n) {
			t.Errorf("%s column: %d runs, %v", role, cnt, ok)
		}
	}
	if cnt, _, ok := results.RoleStats(run, RoleOther); ok {
		t.Errorf("other column has %d runs, want none", cnt)
	}
}

// TestExternalPerSyscallBpftrace: a tracer nobody here wrote that traces
// openat on its per-syscall tracepoints (bpftrace: perf events, no
// links). Its two programs get openat's enter and exit roles, pair, and
// are gone once it stopped.
func TestExternalPerSyscallBpftrace(t *testing.T) {
	requireKernel(t)
	path, err := exec.LookPath("bpftrace")
	if err != nil {
		t.Skip("bpftrace is not on PATH (CI installs it)")
	}
	c := startChild(t, exec.Command(path, "-e",
		"tracepoint:syscalls:sys_enter_openat { @e = count(); } tracepoint:syscalls:sys_exit_openat { @x = count(); }"))
	tree := pollFindBPF(t, c, 30*time.Second, func(tr TreeBPF) bool {
		return hasAttachPoints(tr, "tracepoint/sys_enter_openat", "tracepoint/sys_exit_openat")
	})
	roles := map[string]string{}
	for _, a := range tree.Attached {
		roles[a.Target] = a.Role + " " + a.Syscall
	}
	if roles["sys_enter_openat"] != "enter openat" || roles["sys_exit_openat"] != "exit openat" {
		t.Errorf("roles %v, want enter and exit of openat", roles)
	}

	const n = 500
	enableStats(t)
	ext, err := OpenExternal(tree.Attached)
	if err != nil {
		t.Fatal(err)
	}
	before, err := ext.Snapshot()
	if err != nil {
		ext.Close()
		t.Fatal(err)
	}
	for range n {
		if f, err := os.Open("/dev/null"); err == nil {
			f.Close()
		}
	}
	after, err := ext.Snapshot()
	if err != nil {
		ext.Close()
		t.Fatal(err)
	}
	if err := ext.Close(); err != nil {
		t.Fatal(err)
	}
	run := results.Run{Programs: after.Sub(before).Programs}
	sides := results.SyscallSides(run)
	t.Logf("bpftrace's programs %+v; sides %+v", run.Programs, sides)
	if len(sides) != 1 || sides[0].Syscall != "openat" || sides[0].EnterProgs != 1 || sides[0].ExitProgs != 1 ||
		sides[0].EnterRuns < n || sides[0].ExitRuns < n || sides[0].EnterAvgNs() <= 0 || sides[0].ExitAvgNs() <= 0 {
		t.Errorf("sides %+v, want openat's enter and exit programs, each run at least %d times", sides, n)
	}
	if slices.ContainsFunc(run.Programs, func(p ProgramStats) bool { return p.Role == RoleOther }) {
		t.Errorf("programs %+v: want none in the other column", run.Programs)
	}

	stopBpftrace(t, c)
	// Opening a tracer's objects during its teardown can leave an empty
	// prog_array behind: wait for the kernel's deferred free of them all.
	if err := WaitGone(tree.Programs, tree.Maps, 10*time.Second); err != nil {
		t.Fatal(err)
	}
}

// stopBpftrace stops bpftrace with SIGINT, and with SIGINT again should it
// miss the first: bpftrace 0.17 here now and then (6 stops of 107)
// takes the signal and stays in epoll_wait, which a second one ends.
func stopBpftrace(t *testing.T, c *child) {
	t.Helper()
	for i := 0; ; i++ {
		if err := c.cmd.Process.Signal(os.Interrupt); err != nil {
			t.Fatalf("interrupting bpftrace (pid %d): %v", c.pid(), err)
		}
		select {
		case <-c.waited:
			if c.err != nil {
				t.Errorf("bpftrace exited with %v; output:\n%s", c.err, c.output())
			}
			return
		case <-time.After(10 * time.Second):
		}
		if i == 2 {
			t.Fatalf("bpftrace (pid %d) still runs after 3 SIGINTs", c.pid())
		}
		t.Logf("bpftrace (pid %d) missed SIGINT; sending another", c.pid())
	}
}

// linkFdinfo is the fdinfo of every BPF link this process holds, to show
// what FindBPF read when a role comes out wrong.
func linkFdinfo(t *testing.T) string {
	t.Helper()
	fds, _ := os.ReadDir("/proc/self/fd")
	var b strings.Builder
	for _, fd := range fds {
		if target, _ := os.Readlink("/proc/self/fd/" + fd.Name()); target != "anon_inode:bpf_link" {
			continue
		}
		info, _ := os.ReadFile("/proc/self/fdinfo/" + fd.Name())
		fmt.Fprintf(&b, "fd %s:\n%s", fd.Name(), info)
	}
	return b.String()
}

// tracingTargetShown tells whether FindBPF names the function that prog,
// attached with a tracing link, is attached to.
func tracingTargetShown(t *testing.T, prog *ebpf.Program) bool {
	t.Helper()
	info, err := prog.Info()
	if err != nil {
		t.Fatal(err)
	}
	id, _ := info.ID()
	tree, err := FindBPF([]int{os.Getpid()})
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range tree.Attached {
		if a.ProgramID == uint32(id) {
			return a.Target != ""
		}
	}
	t.Fatalf("FindBPF does not find the tracing link of program %d: %+v", id, tree.Attached)
	return false
}
