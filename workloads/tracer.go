package workloads

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"os"
	"os/exec"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/benchctl/benchctl/record"

	"golang.org/x/sys/unix"

	"github.com/benchctl/benchctl/internal/cgroupv2"
)

// Defaults of TracerSpec.
const (
	DefaultReadyTimeout = 30 * time.Second
	DefaultSettle       = 250 * time.Millisecond
	DefaultStopGrace    = 10 * time.Second
)

const (
	tracerOutputMax  = 1 << 20 // bytes of output kept
	tracerPoll       = 25 * time.Millisecond
	tracerEmptyWait  = 10 * time.Second // SIGKILL to an empty cgroup
	tracerErrorLines = 20
	readyLineMax     = 64 << 10 // longest line ReadyOutput is matched against
)

// ErrTracerMissing is wrapped by StartTracer's error when the tracer's
// program does not exist.
var ErrTracerMissing = errors.New("tracer program not found")

// TracerSpec says how to run one external tracer.
type TracerSpec struct {
	Name string   // for messages; default: the base name of Argv[0]
	Argv []string // Argv[0] is looked up in PATH when it has no slash
	Env  []string // extra "KEY=value", added to benchctl's environment
	// Shell runs Argv[0] as a script with /bin/sh -c, the rest of Argv
	// as its positional parameters ("$@"; $0 is "sh"), as the command
	// workload's shell does: arguments are never parsed by the shell.
	Shell bool
	// ReadyOutput, when set, must match a line of the tracer's output
	// (stdout or stderr) before the tracer counts as ready.
	ReadyOutput  *regexp.Regexp
	ReadyTimeout time.Duration  // default 30s
	Settle       time.Duration  // default 250ms: how long the attached-program count must stay the same
	StopSignal   syscall.Signal // default SIGINT
	StopGrace    time.Duration  // default 10s, then SIGKILL of the whole cgroup
}

// Tracer is a running tracer process tree, in a cgroup v2 of its own.
//
// The tracer's stdout and stderr are one pseudo-terminal when one can be
// had (else one pipe): C programs then flush each line as they would in a
// terminal, so ReadyOutput sees a "ready" line when it is printed rather
// than when the stdio buffer fills or the tracer exits.
type Tracer struct {
	spec TracerSpec
	cg   *cgroupv2.Cgroup
	dog  *watchdog
	out  *tailBuffer
	mat  *lineMatcher // nil without ReadyOutput

	pid     int
	reaped  chan struct{} // closed once the leader is reaped; waitErr is set then
	done    chan struct{} // closed once its output is drained too (after the cgroup is empty)
	waitErr error

	closing   chan struct{} // closed by Close: interrupts Stop's grace period
	closeOnce sync.Once
	emptied   chan struct{} // closed by finish once its cgroup is empty (or given up on)

	stopOnce sync.Once
	exit     TracerExit
	stopErr  error

	finishOnce sync.Once
	finishErr  error
	emptyAt    time.Time
	killedSome bool // finish found processes to SIGKILL
	resignaled bool // stop sent the stop signal a second time

	mem *tracerMemory

	mu       sync.Mutex
	final    *TracerUsage // read just before the cgroup was removed
	finalErr error
}

// TracerUsage is the CPU time and memory of a tracer's cgroup.
type TracerUsage struct {
	UserSeconds, SystemSeconds float64
	PeakMemoryBytes            uint64
	// MemoryMethod says where PeakMemoryBytes comes from: MemoryPeakV2
	// (memory.peak of its cgroup v2), MemoryPeakV1 (the peak of the
	// cgroup v1 memory cgroup its tree was born in: the kernel's figure
	// too, on a host whose memory controller is on v1) or
	// MemoryPeakHWMSampled (neither: the sum of each process's largest
	// sampled VmHWM). Empty when there is no figure: MemoryMissing says
	// why.
	MemoryMethod  string
	MemoryMissing string
}

// TracerExit says how a tracer ended; defined in package record, which
// the results schema aliases.
type TracerExit = record.TracerExit

// StartTracer starts the tracer: in a fresh cgroup v2 (named
// benchctl-tracer-<pid>-<n>), in its own process group, with SIGKILL as
// its parent death signal, its stdout and stderr captured together (in
// order) into a 1 MiB tail buffer. Its stdin is /dev/null.
//
// A missing program is an error wrapping ErrTracerMissing that names it.
// When ctx is done before the tracer is stopped, the tracer is killed as
// by Close (as exec.CommandContext does); the caller still calls Close.
func StartTracer(ctx context.Context, spec TracerSpec) (*Tracer, error) {
	if len(spec.Argv) == 0 || spec.Argv[0] == "" {
		return nil, errors.New("tracer has no command")
	}
	if spec.ReadyTimeout <= 0 {
		spec.ReadyTimeout = DefaultReadyTimeout
	}
	if spec.Settle <= 0 {
		spec.Settle = DefaultSettle
	}
	if spec.StopSignal == 0 {
		spec.StopSignal = syscall.SIGINT
	}
	if spec.StopGrace <= 0 {
		spec.StopGrace = DefaultStopGrace
	}
	argv := spec.Argv
	if spec.Shell {
		argv = append([]string{"/bin/sh", "-c", spec.Argv[0], "sh"}, spec.Argv[1:]...)
	}
	if spec.Name == "" {
		if f := strings.Fields(spec.Argv[0]); len(f) > 0 {
			spec.Name = baseName(f[0])
		} else {
			spec.Name = "tracer"
		}
	}
	path, err := exec.LookPath(argv[0])
	if err != nil {
		if errors.Is(err, exec.ErrNotFound) || errors.Is(err, fs.ErrNotExist) {
			where := ""
			if !strings.Contains(argv[0], "/") {
				where = " (not in PATH)"
			}
			return nil, fmt.Errorf("%w: %s%s", ErrTracerMissing, argv[0], where)
		}
		return nil, fmt.Errorf("finding %s: %w", argv[0], err)
	}
	if err := context.Cause(ctx); err != nil {
		return nil, fmt.Errorf("starting %s: %w", spec.Name, err)
	}

	cg, err := cgroupv2.New("benchctl-tracer")
	if err != nil {
		return nil, fmt.Errorf("a tracer runs in a cgroup v2 of its own: %w", err)
	}
	mem := newTracerMemory(cg)
	var v1Path string
	if mem.v1 != nil {
		v1Path = mem.v1.Path
	}
	dog, err := startWatchdog(cg.Path, v1Path)
	if err != nil {
		_ = mem.remove()
		_ = cg.Close()
		return nil, err
	}
	t := &Tracer{
		spec:    spec,
		cg:      cg,
		mem:     mem,
		dog:     dog,
		out:     newTailBuffer(tracerOutputMax),
		reaped:  make(chan struct{}),
		done:    make(chan struct{}),
		closing: make(chan struct{}),
		emptied: make(chan struct{}),
	}
	var w io.Writer = t.out
	if spec.ReadyOutput != nil {
		t.mat = &lineMatcher{re: spec.ReadyOutput}
		w = io.MultiWriter(t.out, t.mat)
	}
	cmd := exec.Command(path, argv[1:]...)
	cmd.Args[0] = argv[0]
	cmd.Env = append(os.Environ(), spec.Env...)
	cmd.SysProcAttr = &syscall.SysProcAttr{
		UseCgroupFD: true,
		CgroupFD:    cg.FD(),
	}
	if err := t.start(cmd, w); err != nil {
		_ = cg.Close()
		_ = mem.remove()
		dog.Close()
		return nil, fmt.Errorf("starting %s: %w", spec.Name, err)
	}
	go mem.run()
	go func() {
		select {
		case <-ctx.Done():
			_ = t.Close()
		case <-t.closing:
		}
	}()
	return t, nil
}

// start starts cmd with startLocked (own process group, parent death
// signal), its stdout and stderr on one pseudo-terminal (or one pipe when
// no pseudo-terminal can be had) copied to w. startChild is not used
// because it always feeds output through pipes.
func (t *Tracer) start(cmd *exec.Cmd, w io.Writer) error {
	r, childEnd, err := openPty()
	if err != nil {
		if r, childEnd, err = os.Pipe(); err != nil {
			return fmt.Errorf("creating output pipe: %w", err)
		}
	}
	cmd.Stdout, cmd.Stderr = childEnd, childEnd

	copied := make(chan struct{})
	started := func() {
		t.pid = cmd.Process.Pid
		go func() {
			defer close(copied)
			// A pseudo-terminal's reader gets EIO once every writer is
			// closed: that is its end of file.
			_, _ = io.Copy(w, r)
		}()
	}
	reaped := func(waitErr error) {
		t.waitErr = waitErr
		close(t.reaped)

		// The leader's children may still print (a shell's tracer
		// finishing its statistics): the output ends when every
		// process holding it is gone, and they are all in the cgroup,
		// which Stop or Close empties.
		select {
		case <-copied:
		case <-t.emptied:
			// Only a process moved out of the cgroup (or given the
			// descriptor) can still hold the output open.
			select {
			case <-copied:
			case <-time.After(drainTimeout):
			}
		}
		_ = r.Close() // unblocks the copier if still reading
		<-copied
		close(t.done)
	}
	if err := startLocked(cmd, []*os.File{childEnd}, t.mem.join(), started, reaped); err != nil {
		_ = r.Close()
		return err
	}
	return nil
}

// openPty opens a pseudo-terminal pair: the reader (master) for benchctl
// and the writer (slave) for the child's stdout and stderr, with output
// post-processing off so that "\n" stays "\n".
func openPty() (master, slave *os.File, err error) {
	m, err := os.OpenFile("/dev/ptmx", os.O_RDWR|syscall.O_NOCTTY|syscall.O_CLOEXEC, 0)
	if err != nil {
		return nil, nil, err
	}
	var sfd int
	var ioErr error
	cerr := withFd(m, func(fd int) {
		if ioErr = unix.IoctlSetPointerInt(fd, unix.TIOCSPTLCK, 0); ioErr != nil {
			return
		}
		r, _, errno := unix.Syscall(unix.SYS_IOCTL, uintptr(fd), unix.TIOCGPTPEER, uintptr(unix.O_RDWR|unix.O_NOCTTY|unix.O_CLOEXEC))
		if errno == 0 {
			sfd = int(r)
			return
		}
		// Before Linux 4.13: open the slave by name.
		n, err := unix.IoctlGetUint32(fd, unix.TIOCGPTN)
		if err != nil {
			ioErr = err
			return
		}
		sfd, ioErr = unix.Open("/dev/pts/"+strconv.FormatUint(uint64(n), 10), unix.O_RDWR|unix.O_NOCTTY|unix.O_CLOEXEC, 0)
	})
	if cerr != nil || ioErr != nil {
		m.Close()
		return nil, nil, errors.Join(cerr, ioErr)
	}
	if tio, err := unix.IoctlGetTermios(sfd, unix.TCGETS); err == nil {
		tio.Oflag &^= unix.OPOST
		tio.Lflag &^= unix.ECHO
		_ = unix.IoctlSetTermios(sfd, unix.TCSETS, tio)
	}
	return m, os.NewFile(uintptr(sfd), "pty"), nil
}

// withFd runs f on f's descriptor without putting it in blocking mode
// (as File.Fd would), so that Close still interrupts a blocked Read.
func withFd(file *os.File, f func(fd int)) error {
	rc, err := file.SyscallConn()
	if err != nil {
		return err
	}
	return rc.Control(func(fd uintptr) { f(int(fd)) })
}

// Pid is the tracer's leader process.
func (t *Tracer) Pid() int { return t.pid }

// Pids lists every process in the tracer's cgroup (cgroup.procs).
func (t *Tracer) Pids() ([]int, error) { return t.cg.Procs() }

// Output returns the captured tail (the last 1 MiB) of the tracer's
// output.
func (t *Tracer) Output() string { return t.out.String() }

// LastLines returns up to n last non-empty lines of the tracer's output.
func (t *Tracer) LastLines(n int) string { return t.out.lastLines(n) }

func (t *Tracer) exited() bool {
	select {
	case <-t.reaped:
		return true
	default:
		return false
	}
}

// exitError describes the leader's exit as "<name> <what>: exit status
// 3" or "...: killed by signal SIGSEGV", followed by its last lines.
func (t *Tracer) exitError(what string) error {
	<-t.reaped
	// The output is complete once drained, at once unless the leader
	// left children behind.
	select {
	case <-t.done:
	case <-time.After(250 * time.Millisecond):
	}
	return withOutput(fmt.Errorf("%s %s: %s", t.spec.Name, what, exitText(t.waitErr)), t.LastLines(tracerErrorLines))
}

// WaitReady polls until the tracer is ready: attached(pids of its cgroup)
// returns the same n > 0 for Settle, and ReadyOutput (if set) has matched
// a line. A nil attached skips the program check (ReadyOutput is then
// required). It fails when the tracer exits first, when ReadyTimeout
// passes (saying what is missing) or when ctx is done; it does not kill
// the tracer: the caller calls Close.
func (t *Tracer) WaitReady(ctx context.Context, attached func(pids []int) (int, error)) error {
	if attached == nil && t.mat == nil {
		return fmt.Errorf("waiting for %s: no readiness check (neither BPF programs nor ReadyOutput)", t.spec.Name)
	}
	deadline := time.Now().Add(t.spec.ReadyTimeout)
	tick := time.NewTicker(tracerPoll)
	defer tick.Stop()
	var (
		lastN       = -1
		stableSince time.Time
		progsOK     = attached == nil
	)
	for {
		// A done ctx comes first: it kills the tracer (StartTracer), and
		// that exit is the cancellation's doing, not the tracer's.
		if ctx.Err() != nil {
			return fmt.Errorf("waiting for %s to be ready: %w", t.spec.Name, context.Cause(ctx))
		}
		if t.exited() {
			return t.exitError("exited before it was ready")
		}
		if attached != nil {
			n, err := t.countAttached(attached)
			if err != nil {
				if t.exited() {
					return t.exitError("exited before it was ready")
				}
				return fmt.Errorf("waiting for %s: %w", t.spec.Name, err)
			}
			now := time.Now()
			if n != lastN {
				lastN, stableSince = n, now
			}
			progsOK = n > 0 && now.Sub(stableSince) >= t.spec.Settle
		}
		outOK := t.mat == nil || t.mat.matched.Load()
		if progsOK && outOK {
			t.mem.sample()
			return nil
		}
		if time.Now().After(deadline) {
			var missing []string
			switch {
			case attached == nil:
			case lastN <= 0:
				missing = append(missing, "no attached BPF program")
			case !progsOK:
				missing = append(missing, fmt.Sprintf("its attached BPF program count still changes (now %d)", lastN))
			}
			if !outOK {
				missing = append(missing, fmt.Sprintf("output never matched /%s/", t.spec.ReadyOutput))
			}
			return withOutput(fmt.Errorf("%s not ready after %s: %s", t.spec.Name, t.spec.ReadyTimeout, strings.Join(missing, ", ")), t.LastLines(tracerErrorLines))
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("waiting for %s to be ready: %w", t.spec.Name, context.Cause(ctx))
		case <-t.reaped:
		case <-tick.C:
		}
	}
}

func (t *Tracer) countAttached(attached func([]int) (int, error)) (int, error) {
	pids, err := t.Pids()
	if err != nil {
		return 0, err
	}
	return attached(pids)
}

// Alive returns nil while the tracer's leader runs, and an error saying
// how it ended ("<name> exited during the run: exit status 2", or
// "killed by signal SIGSEGV") with its last lines once it has exited.
func (t *Tracer) Alive() error {
	if !t.exited() {
		return nil
	}
	return t.exitError("exited during the run")
}

// Usage returns the CPU time used by the tracer's cgroup so far (every
// process it ever held) and its peak memory. After Stop it returns what
// was read just before the cgroup was removed, the shutdown included.
func (t *Tracer) Usage() (TracerUsage, error) {
	t.mu.Lock()
	if t.final != nil || t.finalErr != nil {
		defer t.mu.Unlock()
		if t.final == nil {
			return TracerUsage{}, t.finalErr
		}
		return *t.final, nil
	}
	t.mu.Unlock()
	return t.readUsage()
}

func (t *Tracer) readUsage() (TracerUsage, error) {
	cpu, err := t.cg.CPU()
	if err != nil {
		return TracerUsage{}, err
	}
	u := TracerUsage{UserSeconds: cpu.User.Seconds(), SystemSeconds: cpu.System.Seconds()}
	u.PeakMemoryBytes, u.MemoryMethod, u.MemoryMissing, err = t.mem.peak()
	if err != nil {
		return TracerUsage{}, err
	}
	return u, nil
}

// BeginSteady starts a window of resident and anonymous memory samples
// (at once, then every MemorySampleInterval): the workload's.
func (t *Tracer) BeginSteady() { t.mem.beginSteady() }

// EndSteady ends the window BeginSteady started and returns its mean and
// largest samples: of the tracer's cgroup's memory (memory.current on
// v2, memory.usage_in_bytes of its v1 memory cgroup) and anonymous
// memory (memory.stat), or, without a memory cgroup, of the sums of its
// processes' VmRSS and RssAnon.
func (t *Tracer) EndSteady() MemorySteady { return t.mem.endSteady() }

// Stop sends StopSignal to the tracer's process group, as Ctrl-C in a
// terminal does, and waits up to StopGrace for every process of its
// cgroup to exit; then it kills whatever is left with SIGKILL (Killed),
// waits for the cgroup to be empty and removes it. A tracer that exited
// on its own, or badly, is not an error: TracerExit says how its leader
// ended. Stop is idempotent; Close from another goroutine cuts the grace
// period short.
//
// The signal goes to the group rather than the leader alone so that a
// tracer run by a shell (Shell, or a wrapper script) gets it too: a
// shell waiting for a command does not pass SIGINT on. The shell itself
// then usually dies of the signal (ExitCode -1, Signal "SIGINT") once the
// tracer has exited; "exec tracer ..." avoids that.
func (t *Tracer) Stop() (TracerExit, error) {
	t.stopOnce.Do(func() { t.exit, t.stopErr = t.stop() })
	return t.exit, t.stopErr
}

func (t *Tracer) stop() (TracerExit, error) {
	start := time.Now()
	select {
	case <-t.closing:
	default:
		t.mem.sample()
		t.signal(t.spec.StopSignal)
		// A tracer can miss its stop signal: bpftrace 0.17 took SIGINT
		// and stayed in epoll_wait in 6 stops of 107 here, and a second
		// SIGINT ended it. Halfway through the grace period it gets the
		// signal again (recorded as resignaled), before SIGKILL would
		// lose its final output.
		if !t.waitEmpty(t.spec.StopGrace/2) && t.spec.StopSignal != syscall.SIGKILL {
			t.resignaled = true
			t.signal(t.spec.StopSignal)
			t.waitEmpty(t.spec.StopGrace - t.spec.StopGrace/2)
		}
	}
	err := t.finish()
	ex := exitOf(t.waitErr)
	ex.Killed = t.killedSome
	ex.Resignaled = t.resignaled
	if t.emptyAt.After(start) {
		ex.StopTime = t.emptyAt.Sub(start)
	}
	return ex, err
}

// signal sends sig to the tracer's process group, or, once the leader is
// reaped (its group id may then be reused), to each process left in its
// cgroup.
func (t *Tracer) signal(sig syscall.Signal) {
	if !t.exited() {
		_ = syscall.Kill(-t.pid, sig)
		return
	}
	pids, _ := t.cg.Procs()
	for _, pid := range pids {
		_ = syscall.Kill(pid, sig)
	}
}

// waitEmpty waits up to grace for the cgroup to hold no live process,
// or until Close. It tells whether the cgroup emptied (or could not be
// read), or Close came; false when grace ran out.
func (t *Tracer) waitEmpty(grace time.Duration) bool {
	deadline := time.NewTimer(grace)
	defer deadline.Stop()
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	for {
		if populated, err := t.cg.Populated(); err != nil || !populated {
			return true
		}
		select {
		case <-deadline.C:
			return false
		case <-t.closing:
			return true
		case <-tick.C:
		}
	}
}

// Close kills the tracer's processes at once, waits for them to exit and
// removes its cgroup. It is idempotent, safe after Stop and from another
// goroutine (while Stop waits, it ends the grace period).
func (t *Tracer) Close() error {
	t.closeOnce.Do(func() { close(t.closing) })
	return t.finish()
}

// finish kills what is left in the cgroup, waits for it to be empty and
// for the leader to be reaped and its output drained, records the final
// usage and removes the cgroup. It runs once; later callers get its
// result.
func (t *Tracer) finish() error {
	t.finishOnce.Do(func() {
		var errs []error
		if populated, err := t.cg.Populated(); err != nil || populated {
			t.killedSome = true
			if err := t.cg.Kill(); err != nil {
				errs = append(errs, err)
			}
		}
		if err := t.cg.WaitEmpty(tracerEmptyWait); err != nil {
			errs = append(errs, err)
		} else {
			t.emptyAt = time.Now()
		}
		close(t.emptied)
		select {
		case <-t.done:
		case <-time.After(tracerEmptyWait + drainTimeout):
			errs = append(errs, fmt.Errorf("%s (pid %d) not reaped after SIGKILL", t.spec.Name, t.pid))
		}
		t.mem.close()
		u, err := t.readUsage()
		t.mu.Lock()
		if err != nil {
			t.finalErr = err
		} else {
			t.final = &u
		}
		t.mu.Unlock()
		if err := t.cg.Close(); err != nil {
			errs = append(errs, err)
		}
		if err := t.mem.remove(); err != nil {
			errs = append(errs, err)
		}
		t.dog.Close()
		t.closeOnce.Do(func() { close(t.closing) })
		t.finishErr = errors.Join(errs...)
	})
	return t.finishErr
}

// exitOf turns the leader's wait error into a TracerExit.
func exitOf(err error) TracerExit {
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			return TracerExit{ExitCode: -1, Signal: signalName(ws.Signal())}
		}
		return TracerExit{ExitCode: ee.ExitCode()}
	}
	if err != nil {
		return TracerExit{ExitCode: -1}
	}
	return TracerExit{}
}

// exitText says how a process ended: "exit status 3" or "killed by
// signal SIGSEGV".
func exitText(err error) string {
	var ee *exec.ExitError
	if err != nil && !errors.As(err, &ee) {
		return err.Error()
	}
	ex := exitOf(err)
	if ex.Signal != "" {
		return "killed by signal " + ex.Signal
	}
	return fmt.Sprintf("exit status %d", ex.ExitCode)
}

func signalName(s syscall.Signal) string {
	if n := unix.SignalName(s); n != "" {
		return n
	}
	return fmt.Sprintf("signal %d", int(s))
}

func baseName(p string) string {
	if i := strings.LastIndexByte(p, '/'); i >= 0 && i+1 < len(p) {
		return p[i+1:]
	}
	return p
}

// lineMatcher records whether any line written to it matches re. A line
// not yet ended is tried too, for programs that print a prompt without a
// newline and wait.
type lineMatcher struct {
	re      *regexp.Regexp
	matched atomic.Bool
	partial []byte
}

func (m *lineMatcher) Write(p []byte) (int, error) {
	if m.matched.Load() {
		return len(p), nil
	}
	n := len(p)
	for len(p) > 0 {
		i := bytes.IndexAny(p, "\r\n")
		if i < 0 {
			m.partial = append(m.partial, p...)
			if len(m.partial) > readyLineMax {
				m.partial = m.partial[len(m.partial)-readyLineMax:]
			}
			if m.re.Match(m.partial) {
				m.matched.Store(true)
			}
			return n, nil
		}
		m.partial = append(m.partial, p[:i]...)
		if len(m.partial) > readyLineMax {
			m.partial = m.partial[len(m.partial)-readyLineMax:]
		}
		if m.re.Match(m.partial) {
			m.matched.Store(true)
			m.partial = nil
			return n, nil
		}
		m.partial = m.partial[:0]
		p = p[i+1:]
	}
	return n, nil
}

// CheckCounterRegex checks that a counter regex names at least one group
// ((?P<name>...)): each named group becomes a counter.
func CheckCounterRegex(re *regexp.Regexp) error {
	if re == nil {
		return errors.New("no counter regex")
	}
	for _, name := range re.SubexpNames() {
		if name != "" {
			return nil
		}
	}
	return fmt.Errorf("counter regex /%s/ has no named group: write (?P<name>\\d+) around the number", re)
}

// ParseCounters applies each regex to output: every named group of a
// regex that matched becomes a counter, the last match winning. A value
// is the number at the start of the group's text, with thousands
// separators (",") allowed and a trailing unit word ignored ("1,234
// bytes" is 1234). Groups that did not match, or hold no number, are
// absent. A group whose last match is a number that is not finite (NaN,
// inf, 1e999) is absent too, and named in the error, which wraps
// ErrNotFinite: the run it came from fails.
func ParseCounters(output string, res []*regexp.Regexp) (map[string]float64, error) {
	counters := make(map[string]float64)
	bad := map[string]error{}
	for _, re := range res {
		if re == nil {
			continue
		}
		names := re.SubexpNames()
		for _, m := range re.FindAllStringSubmatchIndex(output, -1) {
			for g, name := range names {
				if name == "" || m[2*g] < 0 || strings.HasSuffix(name, TextSuffix) {
					continue
				}
				v, ok, err := parseCounter(output[m[2*g]:m[2*g+1]])
				switch {
				case err != nil:
					delete(counters, name)
					bad[name] = err
				case ok:
					counters[name] = v
					delete(bad, name)
				}
			}
		}
	}
	var errs []error
	for _, name := range slices.Sorted(maps.Keys(bad)) {
		errs = append(errs, fmt.Errorf("counter %s: %w", name, bad[name]))
	}
	return counters, errors.Join(errs...)
}

// parseCounter reads the number that starts s: ok is false when there is
// none, and err wraps ErrNotFinite for NaN or an infinity.
func parseCounter(s string) (v float64, ok bool, err error) {
	fields := strings.Fields(s)
	if len(fields) == 0 {
		return 0, false, nil
	}
	v, err = ParseFinite(strings.ReplaceAll(fields[0], ",", ""))
	if errors.Is(err, ErrNotFinite) {
		return 0, false, err
	}
	if err != nil {
		return 0, false, nil
	}
	return v, true, nil
}
