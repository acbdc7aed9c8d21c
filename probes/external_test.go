package probes

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"reflect"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/benchctl/benchctl/internal/tracertest"
	"github.com/cilium/ebpf"
	"github.com/cilium/ebpf/asm"
	"github.com/cilium/ebpf/link"
	"golang.org/x/sys/unix"
)

// holdProbesEnv makes the test binary, re-executed, a stand-in for an
// external tracer: it loads benchctl's probes in the mode the variable
// names, prints "ready", and holds them until SIGINT or stdin closes.
const holdProbesEnv = "BENCHCTL_TEST_HOLD_PROBES"

func TestMain(m *testing.M) {
	if mode := os.Getenv(holdProbesEnv); mode != "" {
		os.Exit(holdProbes(Mode(mode)))
	}
	if os.Getenv(pathReadsEnv) != "" {
		os.Exit(runPathReadsChild())
	}
	if os.Getenv(int80Env) != "" {
		os.Exit(int80Child())
	}
	os.Exit(m.Run())
}

func holdProbes(mode Mode) int {
	p, err := Load(Config{Mode: mode, Syscalls: []string{"getppid"}})
	if err != nil {
		fmt.Fprintf(os.Stderr, "loading %s: %+v\n", mode, err)
		return 1
	}
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, os.Interrupt, syscall.SIGTERM)
	eof := make(chan struct{})
	go func() {
		io.Copy(io.Discard, os.Stdin)
		close(eof)
	}()
	fmt.Println("ready")
	select {
	case <-sig:
	case <-eof:
	}
	if err := p.Close(); err != nil {
		fmt.Fprintf(os.Stderr, "closing: %v\n", err)
		return 1
	}
	return 0
}

// syncBuffer collects a child's output.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// child is a process a test started; it is SIGKILLed at cleanup if still
// running, and dies with the test (Pdeathsig) if the test binary dies.
type child struct {
	cmd    *exec.Cmd
	out    *syncBuffer // stdout and stderr, after "ready" for holders
	waited chan struct{}
	err    error
	// thirdParty marks a tracer this project did not build: when it exits
	// before attaching, tracertest's rule decides (a kernel's refusal
	// skips the test with its classification).
	thirdParty bool
}

func startChild(t *testing.T, cmd *exec.Cmd) *child {
	t.Helper()
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	c := &child{cmd: cmd, waited: make(chan struct{})}
	if cmd.Stdout == nil {
		c.out = &syncBuffer{}
		cmd.Stdout = c.out
	}
	if cmd.Stderr == nil {
		if c.out == nil {
			c.out = &syncBuffer{}
		}
		cmd.Stderr = c.out
	}
	if err := cmd.Start(); err != nil {
		t.Fatalf("starting %s: %v", cmd.Path, err)
	}
	go func() {
		c.err = cmd.Wait()
		close(c.waited)
	}()
	t.Cleanup(func() {
		select {
		case <-c.waited:
		default:
			cmd.Process.Kill()
			<-c.waited
		}
	})
	return c
}

func (c *child) pid() int { return c.cmd.Process.Pid }

// stop sends SIGINT and waits up to timeout for the child to exit,
// sending SIGINT again halfway, as the runner does for a tracer:
// bpftrace 0.17 now and then misses the first.
func (c *child) stop(t *testing.T, timeout time.Duration) time.Time {
	t.Helper()
	if err := c.cmd.Process.Signal(os.Interrupt); err != nil {
		t.Fatalf("interrupting pid %d: %v", c.pid(), err)
	}
	select {
	case <-c.waited:
	case <-time.After(timeout / 2):
		t.Logf("pid %d still running %v after SIGINT: sending it again", c.pid(), timeout/2)
		_ = c.cmd.Process.Signal(os.Interrupt)
		select {
		case <-c.waited:
		case <-time.After(timeout - timeout/2):
			t.Fatalf("pid %d still running %v after two SIGINTs", c.pid(), timeout)
		}
	}
	if c.err != nil {
		t.Errorf("pid %d exited with %v; output:\n%s", c.pid(), c.err, c.output())
	}
	return time.Now()
}

func (c *child) output() string {
	if c.out == nil {
		return ""
	}
	return c.out.String()
}

// startHolder re-executes the test binary to hold benchctl's probes in
// mode, and returns once it printed "ready".
func startHolder(t *testing.T, mode Mode) *child {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), holdProbesEnv+"="+string(mode))
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { stdin.Close() })
	c := startChild(t, cmd)
	ready := make(chan bool, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		ok := sc.Scan() && sc.Text() == "ready"
		ready <- ok
		io.Copy(io.Discard, stdout)
	}()
	select {
	case ok := <-ready:
		if !ok {
			<-c.waited
			t.Fatalf("holder of %s probes did not get ready: %v; stderr:\n%s", mode, c.err, c.output())
		}
	case <-time.After(30 * time.Second):
		t.Fatalf("holder of %s probes not ready after 30s; stderr:\n%s", mode, c.output())
	}
	return c
}

// pollFindBPF calls FindBPF on pid until ok accepts the result.
func pollFindBPF(t *testing.T, c *child, timeout time.Duration, ok func(TreeBPF) bool) TreeBPF {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		tree, err := FindBPF([]int{c.pid()})
		if err != nil {
			t.Fatal(err)
		}
		if ok(tree) {
			return tree
		}
		select {
		case <-c.waited:
			if c.thirdParty {
				tracertest.SkipRefused(t, c.cmd.Path, ClassifyTracerOutput(c.output(), nil, tracertest.ExitCode(c.cmd.ProcessState)), c.output())
			}
			t.Fatalf("pid %d exited (%v) before its programs were attached; output:\n%s", c.pid(), c.err, c.output())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("after %v FindBPF(%d) found %d programs, %d maps, attachments %+v; output:\n%s",
				timeout, c.pid(), len(tree.Programs), len(tree.Maps), tree.Attached, c.output())
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// hasAttachPoints reports whether tree has exactly the attach points want.
func hasAttachPoints(tree TreeBPF, want ...string) bool {
	var got []string
	for _, a := range tree.Attached {
		got = append(got, a.AttachPoint)
	}
	slices.Sort(got)
	want = slices.Clone(want)
	slices.Sort(want)
	return slices.Equal(got, want)
}

// checkAttachments checks that tree's attachments are one on sys_enter
// and one on sys_exit, with the link type and roles expected, and that
// their programs are among tree.Programs.
func checkAttachments(t *testing.T, tree TreeBPF, kind string) (enter, exit Attachment) {
	t.Helper()
	if len(tree.Attached) != 2 {
		t.Fatalf("%d attachments, want 2: %+v", len(tree.Attached), tree.Attached)
	}
	for _, a := range tree.Attached {
		switch a.Target {
		case "sys_enter":
			enter = a
			if a.Role != RoleEnter {
				t.Errorf("attachment on sys_enter has role %q", a.Role)
			}
		case "sys_exit":
			exit = a
			if a.Role != RoleExit {
				t.Errorf("attachment on sys_exit has role %q", a.Role)
			}
		default:
			t.Errorf("unexpected attachment %+v", a)
		}
		if want := kind + "/" + a.Target; a.AttachPoint != want {
			t.Errorf("attach point %q, want %q", a.AttachPoint, want)
		}
		if !slices.Contains(tree.Programs, a.ProgramID) {
			t.Errorf("attached program %d not among the programs %v", a.ProgramID, tree.Programs)
		}
	}
	if enter.ProgramID == 0 || exit.ProgramID == 0 || enter.ProgramID == exit.ProgramID {
		t.Fatalf("want distinct programs on sys_enter and sys_exit: %+v", tree.Attached)
	}
	return enter, exit
}

func enableStats(t *testing.T) {
	t.Helper()
	c, _, err := EnableStats()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
}

// TestExternalOwnProbes treats a child holding benchctl's enter_exit
// probes as an external tracer: FindBPF sees its two links, OpenExternal
// reads the programs' stats by id, and once the child stopped WaitGone
// sees every program and map go.
func TestExternalOwnProbes(t *testing.T) {
	requireKernel(t)
	c := startHolder(t, ModeEnterExit)
	tree, err := FindBPF([]int{c.pid()})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("holder pid %d: %d programs, %d maps, %d bytes memlock, attached %+v",
		c.pid(), len(tree.Programs), len(tree.Maps), tree.MemlockBytes, tree.Attached)
	enter, exit := checkAttachments(t, tree, enter0(tree).LinkType)
	if enter.LinkType != "raw_tracepoint" && enter.LinkType != "tracing" {
		t.Errorf("link type %q for a tp_btf program", enter.LinkType)
	}
	if len(tree.Maps) == 0 {
		t.Error("no maps found")
	}
	if tree.MemlockBytes == 0 {
		t.Error("memlock 0")
	}
	// The enter_exit probes hold sys_enter, sys_exit and getppid's two
	// fillers.
	if len(tree.Programs) != 4 {
		t.Errorf("%d programs, want 4: %v", len(tree.Programs), tree.Programs)
	}

	const n = 1000
	d, ext := statsAround(t, tree.Attached, n)
	defer ext.Close()
	if len(d.Programs) != 2 || d.Time.IsZero() || !reflect.DeepEqual(d.Counters, Counters{}) {
		t.Fatalf("external snapshot difference %+v, want 2 programs, time set, counters zero", d)
	}
	for _, ps := range d.Programs {
		t.Logf("%s id %d type %s role %s at %s: %d runs, %d ns (%.0f ns/run)",
			ps.Name, ps.ID, ps.Type, ps.Role, ps.AttachPoint, ps.RunCount, ps.RunTimeNs, ps.AvgNs())
		var want Attachment
		switch ps.ID {
		case enter.ProgramID:
			want = enter
		case exit.ProgramID:
			want = exit
		default:
			t.Errorf("program %d in snapshot was not attached", ps.ID)
			continue
		}
		if ps.Name != want.Target || ps.Role != want.Role || ps.AttachPoint != want.AttachPoint || ps.Type != ebpf.Tracing.String() {
			t.Errorf("program %+v, want name %s, role %s, attach point %s, type %s", ps, want.Target, want.Role, want.AttachPoint, ebpf.Tracing)
		}
		// Every syscall of the machine runs both dispatchers.
		if ps.RunCount < n || ps.RunTimeNs == 0 {
			t.Errorf("%s ran %d times in %d ns around %d getppid calls", ps.Name, ps.RunCount, ps.RunTimeNs, n)
		}
	}
	if err := ext.Close(); err != nil {
		t.Fatal(err)
	}
	if err := ext.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	if _, err := ext.Snapshot(); err == nil {
		t.Error("Snapshot after Close did not fail")
	}

	exited := c.stop(t, 10*time.Second)
	if err := WaitGone(tree.Programs, tree.Maps, 10*time.Second); err != nil {
		t.Fatal(err)
	}
	t.Logf("programs and maps gone %v after the holder exited", time.Since(exited).Round(time.Millisecond))

	// A program this process holds does not go.
	prog, err := ebpf.NewProgram(&ebpf.ProgramSpec{
		Type:         ebpf.SocketFilter,
		License:      "MIT",
		Instructions: asm.Instructions{asm.Mov.Imm(asm.R0, 0), asm.Return()},
	})
	if err != nil {
		t.Fatal(err)
	}
	defer prog.Close()
	info, err := prog.Info()
	if err != nil {
		t.Fatal(err)
	}
	id, _ := info.ID()
	start := time.Now()
	err = WaitGone([]uint32{uint32(id)}, tree.Maps, 300*time.Millisecond)
	if err == nil {
		t.Fatalf("WaitGone returned nil for program %d, still loaded", id)
	}
	if !strings.Contains(err.Error(), fmt.Sprint(id)) {
		t.Errorf("WaitGone's error does not name program %d: %v", id, err)
	}
	if el := time.Since(start); el < 300*time.Millisecond || el > 2*time.Second {
		t.Errorf("WaitGone gave up after %v, timeout 300ms", el)
	}
	t.Logf("WaitGone on a held program: %v", err)
}

// enter0 returns tree's first attachment (for its link type).
func enter0(tree TreeBPF) Attachment {
	if len(tree.Attached) == 0 {
		return Attachment{}
	}
	return tree.Attached[0]
}

// TestFindBPFOnlyTracerPrograms: FindBPF on the tracer's pid reports the
// tracer's programs only, not those another process (this one) loaded.
func TestFindBPFOnlyTracerPrograms(t *testing.T) {
	requireKernel(t)
	c := startHolder(t, ModeEnterExit)
	own, err := Load(Config{Mode: ModeFloor})
	if err != nil {
		t.Fatalf("loading floor: %+v", err)
	}
	defer own.Close()
	ownIDs := own.ProgramIDs()
	if len(ownIDs) != 2 {
		t.Fatalf("floor loaded %d programs", len(ownIDs))
	}

	tree, err := FindBPF([]int{c.pid()})
	if err != nil {
		t.Fatal(err)
	}
	checkAttachments(t, tree, enter0(tree).LinkType)
	for _, id := range ownIDs {
		if slices.Contains(tree.Programs, uint32(id)) {
			t.Errorf("this process's program %d reported among the tracer's %v", id, tree.Programs)
		}
	}

	// Looking at this process finds its own programs, attached on the
	// same tracepoints, and none of the tracer's.
	mine, err := FindBPF([]int{os.Getpid()})
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range ownIDs {
		if !slices.Contains(mine.Programs, uint32(id)) {
			t.Errorf("own program %d not found in this process: %v", id, mine.Programs)
		}
	}
	for _, id := range tree.Programs {
		if slices.Contains(mine.Programs, id) {
			t.Errorf("tracer's program %d found in this process", id)
		}
	}
	if !hasAttachPoints(mine, enter0(tree).LinkType+"/sys_enter", enter0(tree).LinkType+"/sys_exit") {
		t.Errorf("own attachments %+v", mine.Attached)
	}

	// Both together: the union, each attachment once.
	both, err := FindBPF([]int{c.pid(), os.Getpid(), c.pid()})
	if err != nil {
		t.Fatal(err)
	}
	if len(both.Attached) != 4 || len(both.Programs) != len(tree.Programs)+len(mine.Programs) {
		t.Errorf("both: %d attachments, %d programs; want 4, %d", len(both.Attached), len(both.Programs), len(tree.Programs)+len(mine.Programs))
	}
}

// TestFindBPFVanishedPid: a pid that is gone is skipped, not an error.
func TestFindBPFVanishedPid(t *testing.T) {
	cmd := exec.Command("true")
	if err := cmd.Run(); err != nil {
		t.Skipf("cannot run true: %v", err)
	}
	tree, err := FindBPF([]int{cmd.Process.Pid})
	if err != nil {
		t.Fatalf("FindBPF on an exited pid: %v", err)
	}
	if len(tree.Programs)+len(tree.Maps)+len(tree.Attached) != 0 {
		t.Errorf("exited pid holds %+v", tree)
	}
}

// TestExternalBpftrace: bpftrace attaches with perf events (no links);
// BPF_TASK_FD_QUERY names the tracepoints.
func TestExternalBpftrace(t *testing.T) {
	requireKernel(t)
	path := tracertest.Bpftrace(t)
	c := startChild(t, exec.Command(path, "-e",
		"tracepoint:raw_syscalls:sys_enter { @e = count(); } tracepoint:raw_syscalls:sys_exit { @x = count(); }"))
	c.thirdParty = true
	start := time.Now()
	tree := pollFindBPF(t, c, 30*time.Second, func(tr TreeBPF) bool {
		return hasAttachPoints(tr, "tracepoint/sys_enter", "tracepoint/sys_exit")
	})
	t.Logf("bpftrace pid %d attached after %v: %d programs, %d maps, %d bytes memlock, attached %+v",
		c.pid(), time.Since(start).Round(time.Millisecond), len(tree.Programs), len(tree.Maps), tree.MemlockBytes, tree.Attached)
	checkAttachments(t, tree, "tracepoint")
	for _, a := range tree.Attached {
		if a.LinkType != "perf_event" {
			t.Errorf("link type %q, want perf_event", a.LinkType)
		}
	}

	const n = 1000
	d, ext := statsAround(t, tree.Attached, n)
	defer ext.Close()
	if len(d.Programs) != 2 {
		t.Fatalf("%d programs in the snapshot, want 2: %+v", len(d.Programs), d.Programs)
	}
	for _, ps := range d.Programs {
		t.Logf("%s id %d type %s role %s at %s: %d runs, %.0f ns/run", ps.Name, ps.ID, ps.Type, ps.Role, ps.AttachPoint, ps.RunCount, ps.AvgNs())
		if ps.Type != ebpf.TracePoint.String() {
			t.Errorf("program %d type %s, want %s", ps.ID, ps.Type, ebpf.TracePoint)
		}
		if ps.RunCount < n {
			t.Errorf("%s (%s) ran %d times around %d getppid calls", ps.Name, ps.AttachPoint, ps.RunCount, n)
		}
	}
	if err := ext.Close(); err != nil {
		t.Fatal(err)
	}

	exited := c.stop(t, 30*time.Second)
	if err := WaitGone(tree.Programs, tree.Maps, 10*time.Second); err != nil {
		t.Fatal(err)
	}
	t.Logf("bpftrace's programs and maps gone %v after it exited", time.Since(exited).Round(time.Millisecond))
}

// TestExternalScapOpen: Falco's modern_bpf driver (scap-open 0.21.0)
// attaches sys_enter and sys_exit dispatchers with raw tracepoint links
// and holds hundreds of tail-called fillers; all of it goes once it
// stopped. Nothing here opens a BPF object after the SIGINT.
func TestExternalScapOpen(t *testing.T) {
	requireKernel(t)
	path := tracertest.Shared(t, "scap-open-0.21.0")
	c := startChild(t, exec.Command(path, "--modern_bpf", "--ppm_sc", "249", "--ppm_sc", "250"))
	c.thirdParty = true
	start := time.Now()
	tree := pollFindBPF(t, c, 60*time.Second, func(tr TreeBPF) bool {
		return hasAttachPoints(tr, "raw_tracepoint/sys_enter", "raw_tracepoint/sys_exit")
	})
	t.Logf("scap-open pid %d attached after %v: %d programs, %d maps, %d bytes memlock, attached %+v",
		c.pid(), time.Since(start).Round(time.Millisecond), len(tree.Programs), len(tree.Maps), tree.MemlockBytes, tree.Attached)
	checkAttachments(t, tree, "raw_tracepoint")
	if len(tree.Programs) <= 100 {
		t.Errorf("%d programs, want the fillers too (> 100)", len(tree.Programs))
	}
	if len(tree.Maps) == 0 || tree.MemlockBytes == 0 {
		t.Errorf("%d maps, %d bytes memlock", len(tree.Maps), tree.MemlockBytes)
	}

	const n = 1000
	d, ext := statsAround(t, tree.Attached, n)
	// Closed before the SIGINT below (Close is idempotent), also when the
	// test fails meanwhile.
	defer ext.Close()
	for _, ps := range d.Programs {
		t.Logf("%s id %d type %s role %s at %s: %d runs, %.0f ns/run", ps.Name, ps.ID, ps.Type, ps.Role, ps.AttachPoint, ps.RunCount, ps.AvgNs())
		// Falco's dispatchers are tp_btf programs (prog_type 26, Tracing)
		// attached with raw tracepoint links.
		if ps.Type != ebpf.Tracing.String() || ps.Name != strings.TrimPrefix(ps.AttachPoint, "raw_tracepoint/") {
			t.Errorf("program %+v", ps)
		}
		if ps.RunCount < n {
			t.Errorf("%s ran %d times around %d getppid calls", ps.Name, ps.RunCount, n)
		}
	}
	if err := ext.Close(); err != nil {
		t.Fatal(err)
	}

	exited := c.stop(t, 30*time.Second)
	if err := WaitGone(tree.Programs, tree.Maps, 10*time.Second); err != nil {
		t.Fatal(err)
	}
	t.Logf("scap-open's %d programs and %d maps gone %v after it exited", len(tree.Programs), len(tree.Maps), time.Since(exited).Round(time.Millisecond))
	out := c.output()
	if i := strings.Index(out, "STATS"); i >= 0 {
		out = out[i:]
	}
	t.Logf("scap-open output (from its STATS block):\n%s", out)
}

// TestFindBPFPerfLink: a tracepoint attached through a perf link (as
// cilium/ebpf's link.Tracepoint does, for exit_only's TOCTOU programs)
// is reported once, named as the tracepoint, with the link's type,
// although the process also holds the link's perf event.
func TestFindBPFPerfLink(t *testing.T) {
	requireKernel(t)
	p, err := Load(Config{Mode: ModeExitOnly, TOCTOU: TOCTOUStash, Syscalls: []string{"openat"}})
	if err != nil {
		t.Fatalf("loading exit_only: %+v", err)
	}
	defer p.Close()
	snap, err := p.Snapshot()
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]Attachment{}
	for _, ps := range snap.Programs {
		switch ps.Name {
		case "sys_exit":
			want[ps.Name] = Attachment{ProgramID: ps.ID, LinkType: "raw_tracepoint", Target: "sys_exit", AttachPoint: "raw_tracepoint/sys_exit", Role: RoleExit}
		case "toctou_openat":
			// Seen from outside, as an external tracer's, the stash
			// program is openat's enter side; benchctl's own snapshot
			// keeps it in "other", by name (a TOCTOU helper).
			want[ps.Name] = Attachment{ProgramID: ps.ID, LinkType: "perf", Target: "sys_enter_openat", AttachPoint: "tracepoint/sys_enter_openat", Role: RoleEnter, Syscall: "openat"}
		}
		wantRole := map[string]string{"sys_exit": RoleExit, "toctou_openat": RoleOther}[ps.Name]
		if ps.Role != wantRole || ps.ID == 0 || ps.Type == "" {
			t.Errorf("own program stats %+v: want role %q, an id and a type", ps, wantRole)
		}
	}
	if len(want) != 2 {
		t.Fatalf("exit_only with stash attached %+v", snap.Programs)
	}
	tree, err := FindBPF([]int{os.Getpid()})
	if err != nil {
		t.Fatal(err)
	}
	if len(tree.Attached) != 2 {
		t.Errorf("%d attachments, want 2: %+v", len(tree.Attached), tree.Attached)
	}
	for name, a := range want {
		if !slices.Contains(tree.Attached, a) {
			t.Errorf("%s: attachments %+v do not include %+v", name, tree.Attached, a)
		}
	}
}

// TestFindBPFTracingLink: an fentry program's tracing link has no name
// in its fdinfo, only a BTF id, which FindBPF resolves in the kernel's BTF.
func TestFindBPFTracingLink(t *testing.T) {
	requireKernel(t)
	const fn = "__x64_sys_acct" // called by nobody here
	prog, err := ebpf.NewProgram(&ebpf.ProgramSpec{
		Type:         ebpf.Tracing,
		AttachType:   ebpf.AttachTraceFEntry,
		AttachTo:     fn,
		License:      "GPL",
		Instructions: asm.Instructions{asm.Mov.Imm(asm.R0, 0), asm.Return()},
	})
	if err != nil {
		t.Skipf("cannot load an fentry program on %s here: %+v", fn, err)
	}
	defer prog.Close()
	l, err := link.AttachTracing(link.TracingOptions{Program: prog})
	if err != nil {
		t.Skipf("cannot attach fentry here: %v", err)
	}
	defer l.Close()
	info, err := prog.Info()
	if err != nil {
		t.Fatal(err)
	}
	id, _ := info.ID()
	tree, err := FindBPF([]int{os.Getpid()})
	if err != nil {
		t.Fatal(err)
	}
	want := Attachment{ProgramID: uint32(id), LinkType: "tracing", Target: fn, AttachPoint: "tracing/" + fn, Role: RoleEnter, Syscall: "acct"}
	if !slices.Contains(tree.Attached, want) {
		t.Errorf("attachments %+v do not include %+v", tree.Attached, want)
	}
}

func TestSnapshotSubMatchesByID(t *testing.T) {
	earlier := Snapshot{Programs: []ProgramStats{
		{Name: "dup", ID: 1, RunCount: 10},
		{Name: "dup", ID: 2, RunCount: 100},
		{Name: "own", RunCount: 5},
		{Name: "mixed", ID: 7, RunCount: 3},
	}}
	later := Snapshot{Programs: []ProgramStats{
		{Name: "dup", ID: 2, RunCount: 150},
		{Name: "dup", ID: 1, RunCount: 11},
		{Name: "own", RunCount: 9},
		{Name: "mixed", RunCount: 4},        // no ID now: by name
		{Name: "dup", ID: 3, RunCount: 20},  // new program: as is
		{Name: "own", ID: 9, RunCount: 100}, // ID here, none before: by name
	}}
	var got []uint64
	for _, p := range later.Sub(earlier).Programs {
		got = append(got, p.RunCount)
	}
	want := []uint64{50, 1, 4, 1, 20, 95}
	if !slices.Equal(got, want) {
		t.Errorf("run counts %v, want %v", got, want)
	}
}

// statsAround turns program stats on, opens the attached programs, and
// returns the difference of two snapshots taken around n getppid calls,
// with the programs still open: the caller closes them.
func statsAround(t *testing.T, att []Attachment, n int) (Snapshot, *ExternalPrograms) {
	t.Helper()
	enableStats(t)
	ext, err := OpenExternal(att)
	if err != nil {
		t.Fatal(err)
	}
	before, err := ext.Snapshot()
	if err != nil {
		ext.Close()
		t.Fatal(err)
	}
	for range n {
		unix.Getppid()
	}
	after, err := ext.Snapshot()
	if err != nil {
		ext.Close()
		t.Fatal(err)
	}
	return after.Sub(before), ext
}
