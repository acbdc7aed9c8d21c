package workloads

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// drainTimeout bounds how long a child's output is still read after the
// child and its process group are gone; it only matters when a grandchild
// left the group (setsid) while holding the output pipe open.
const drainTimeout = 2 * time.Second

// child is a process started by startChild: the leader of its own process
// group, with SIGKILL as its parent death signal.
type child struct {
	pid  int
	done chan struct{} // closed once the child is reaped and its output drained

	// Set before done is closed; read only after.
	waitErr error
	exited  time.Time // when the leader was reaped
	// cpu is the leader's CPU time (user + system, its reaped children's
	// included) from its rusage at wait.
	cpu time.Duration
}

// startChild starts cmd in its own process group with Pdeathsig SIGKILL,
// as startLocked does.
//
// cmd.Stdout and cmd.Stderr, when set, are fed through pipes that this
// function owns, so that waiting returns as soon as the child exits even
// if a grandchild keeps the pipe open. When the leader exits, whatever is
// left of its process group is killed, then the output is drained.
func startChild(cmd *exec.Cmd) (*child, error) {
	var (
		readers   []*os.File // parent ends, read by copy goroutines
		childEnds []*os.File // child ends, closed in the parent after Start
		writers   []io.Writer
	)
	attach := func(w io.Writer) (*os.File, error) {
		r, cw, err := os.Pipe()
		if err != nil {
			return nil, fmt.Errorf("creating output pipe: %w", err)
		}
		readers = append(readers, r)
		childEnds = append(childEnds, cw)
		writers = append(writers, w)
		return cw, nil
	}
	outW, errW := cmd.Stdout, cmd.Stderr
	if outW != nil {
		f, err := attach(outW)
		if err != nil {
			return nil, err
		}
		cmd.Stdout = f
	}
	if errW != nil {
		if errW == outW {
			cmd.Stderr = cmd.Stdout // one pipe keeps the interleaving
		} else {
			f, err := attach(errW)
			if err != nil {
				closeFiles(readers)
				closeFiles(childEnds)
				return nil, err
			}
			cmd.Stderr = f
		}
	}

	c := &child{done: make(chan struct{})}
	var copiers sync.WaitGroup
	started := func() {
		c.pid = cmd.Process.Pid
		for i, r := range readers {
			copiers.Add(1)
			go func(r *os.File, w io.Writer) {
				defer copiers.Done()
				_, _ = io.Copy(w, r)
			}(r, writers[i])
		}
	}
	reaped := func(waitErr error) {
		c.waitErr = waitErr
		c.exited = time.Now()
		if ps := cmd.ProcessState; ps != nil {
			c.cpu = ps.UserTime() + ps.SystemTime()
		}
		// Sweep what is left of the group (background grandchildren).
		// The group id cannot be reused while any member is alive.
		_ = syscall.Kill(-c.pid, syscall.SIGKILL)

		drained := make(chan struct{})
		go func() { copiers.Wait(); close(drained) }()
		select {
		case <-drained:
		case <-time.After(drainTimeout):
		}
		closeFiles(readers) // unblocks copiers still reading
		<-drained
		close(c.done)
	}
	if err := startLocked(cmd, childEnds, nil, started, reaped); err != nil {
		closeFiles(readers)
		return nil, err
	}
	return c, nil
}

// startLocked starts cmd in its own process group (Setpgid) with SIGKILL
// as its parent death signal (Pdeathsig), and waits for it.
//
// The parent death signal fires when the thread that forked the child
// exits, not the process, so the child is forked from a goroutine locked
// to its OS thread that stays alive (blocked in wait4) for the child's
// whole life: Go never ends that thread while the goroutine holds it.
//
// childEnds, the parent's copies of files given to the child, are closed
// once cmd.Start returns. When the child has started, started runs before
// startLocked returns, and reaped runs on the locked goroutine with
// cmd.Wait's error as soon as the child is reaped. Otherwise startLocked
// returns cmd.Start's error and runs neither.
//
// join, when not nil, runs on the locked thread just before the fork with
// the thread's id, and the function it returns just after: it puts the
// thread into a cgroup v1 for the child to be born in (memcgv1.Join),
// and takes it back out. When taking it back fails, the thread is never
// unlocked, so that Go ends it with the goroutine instead of running
// other goroutines in that cgroup.
func startLocked(cmd *exec.Cmd, childEnds []*os.File, join func(tid int) (func() error, error), started func(), reaped func(waitErr error)) error {
	if cmd.SysProcAttr == nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{}
	}
	cmd.SysProcAttr.Setpgid = true
	cmd.SysProcAttr.Pgid = 0
	cmd.SysProcAttr.Pdeathsig = syscall.SIGKILL

	errc := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		unlock := true
		defer func() {
			if unlock {
				runtime.UnlockOSThread()
			}
		}()

		var back func() error
		if join != nil {
			b, err := join(unix.Gettid())
			if err != nil {
				closeFiles(childEnds)
				errc <- err
				return
			}
			back = b
		}
		err := cmd.Start()
		if back != nil && back() != nil {
			unlock = false
		}
		closeFiles(childEnds)
		if err != nil {
			errc <- err
			return
		}
		started()
		errc <- nil
		reaped(cmd.Wait())
	}()
	return <-errc
}

func closeFiles(fs []*os.File) {
	for _, f := range fs {
		_ = f.Close()
	}
}

// kill sends SIGKILL to the child's whole process group, unless the child
// has already been reaped (its group was swept then).
func (c *child) kill() {
	select {
	case <-c.done:
		return
	default:
	}
	_ = syscall.Kill(-c.pid, syscall.SIGKILL)
}

// stop kills the process group and waits until the child is reaped.
func (c *child) stop(timeout time.Duration) error {
	c.kill()
	select {
	case <-c.done:
		return nil
	case <-time.After(timeout):
		return fmt.Errorf("waiting for pid %d to exit: still running after SIGKILL and %s", c.pid, timeout)
	}
}

// wait waits for the child to exit. If ctx is done first, it kills the
// process group, waits for it, and returns an error wrapping ctx.Err().
func (c *child) wait(ctx context.Context) error {
	select {
	case <-c.done:
		return c.waitErr
	case <-ctx.Done():
		c.kill()
		<-c.done
		return fmt.Errorf("interrupted: %w", context.Cause(ctx))
	}
}

// hasExited reports whether the child has already exited and been reaped.
func (c *child) hasExited() bool {
	select {
	case <-c.done:
		return true
	default:
		return false
	}
}

// tailBuffer keeps the last max bytes written to it. It is safe for
// concurrent use.
type tailBuffer struct {
	mu        sync.Mutex
	max       int
	buf       []byte
	truncated bool
}

func newTailBuffer(max int) *tailBuffer { return &tailBuffer{max: max} }

func (t *tailBuffer) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	n := len(p)
	if len(p) >= t.max {
		t.buf = append(t.buf[:0], p[len(p)-t.max:]...)
		t.truncated = true
		return n, nil
	}
	if over := len(t.buf) + len(p) - t.max; over > 0 {
		t.buf = append(t.buf[:0], t.buf[over:]...)
		t.truncated = true
	}
	t.buf = append(t.buf, p...)
	return n, nil
}

// String returns what the buffer holds.
func (t *tailBuffer) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return string(t.buf)
}

// Truncated reports whether earlier output was dropped.
func (t *tailBuffer) Truncated() bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.truncated
}

// lastLines returns up to n last non-empty lines, joined by newlines.
func (t *tailBuffer) lastLines(n int) string {
	return lastLines(t.String(), n)
}

func lastLines(s string, n int) string {
	var lines []string
	for _, l := range strings.Split(strings.TrimRight(s, "\n"), "\n") {
		if strings.TrimSpace(l) != "" {
			lines = append(lines, strings.TrimRight(l, "\r"))
		}
	}
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// withOutput appends the last lines of a program's output to err, so
// that a failure says what the program printed.
func withOutput(err error, out string) error {
	if out == "" {
		return err
	}
	return fmt.Errorf("%w; last output:\n%s", err, out)
}

// describeExit describes a child's failure: its exit status or the signal
// that killed it.
func describeExit(err error) error {
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			return fmt.Errorf("killed by signal %v", ws.Signal())
		}
		return fmt.Errorf("exit status %d", ee.ExitCode())
	}
	return err
}

// lockedBuffer is a bytes.Buffer safe for one writer and later readers.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) Bytes() []byte {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]byte(nil), b.buf.Bytes()...)
}
