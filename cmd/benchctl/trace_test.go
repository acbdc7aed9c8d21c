package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/benchctl/benchctl/probes"
)

func exitCode(err error) int {
	if err == nil {
		return 0
	}
	var ee *exitError
	if errors.As(err, &ee) {
		return ee.code
	}
	return 1
}

func TestTraceBadInput(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--mode", "bogus", "--syscalls", "read", "--", "true"}, "unknown mode"},
		{[]string{"--mode", "exit_only", "--syscalls", "opnat", "--", "true"}, "did you mean openat"},
		{[]string{"--mode", "exit_only", "--syscalls", ",", "--", "true"}, "--syscalls is empty"},
		{[]string{"--mode", "exit_only", "--syscalls", "read"}, "no command"},
		{[]string{"--mode", "enter_exit", "--toctou", "stash", "--syscalls", "read", "--", "true"}, "exit_only only"},
		{[]string{"--mode", "exit_only", "--syscalls", "read", "--format", "xml", "--", "true"}, "unknown format"},
		{[]string{"--mode", "exit_only", "--syscalls", "read", "--", "/no/such/program"}, "no/such/program"},
		{[]string{"--count", "--mode", "exit_only", "--syscalls", "getpid", "--plant", "2000000"}, "at most 1048576"},
		{[]string{"--count", "--mode", "floor", "--plant", "10"}, "--plant needs --mode enter_exit or exit_only"},
	} {
		err := cmdTrace(tc.args)
		if exitCode(err) != 2 || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("trace %v: exit %d, error %v; want exit 2 mentioning %q", tc.args, exitCode(err), err, tc.want)
		}
	}
}

// requireTrace skips a test of benchctl trace where it cannot load BPF
// programs.
func requireTrace(t *testing.T) {
	t.Helper()
	if testing.Short() {
		t.Skip("-short runs no probes, no redis and no tracers")
	}
	if os.Geteuid() != 0 {
		t.Skip("trace loads BPF programs: needs root (CI runs as root)")
	}
	if err := probes.CheckEnvironment(); err != nil {
		t.Skip(err)
	}
}

// TestTraceJSON traces cat reading a known file and checks the JSON lines:
// the openat of that file appears as an enter/exit pair in enter_exit and
// as one merged exit event in exit_only; events of other processes do not.
func TestTraceJSON(t *testing.T) {
	requireTrace(t)
	file := filepath.Join(t.TempDir(), "traced-file")
	os.WriteFile(file, []byte("payload"), 0o600)
	for _, mode := range []probes.Mode{probes.ModeEnterExit, probes.ModeExitOnly} {
		t.Run(string(mode), func(t *testing.T) {
			var out, stderr bytes.Buffer
			err := trace(traceOptions{
				cfg:  probes.Config{Mode: mode, Syscalls: []string{"openat", "read"}},
				argv: []string{"cat", file}, json: true, out: &out, stderr: &stderr,
			})
			if err != nil {
				t.Fatal(err)
			}
			var opens, enters int
			openatByDir := map[string]int{}
			pids := map[uint32]bool{}
			for _, line := range strings.Split(strings.TrimSpace(out.String()), "\n") {
				var ev jsonEvent
				if err := json.Unmarshal([]byte(line), &ev); err != nil {
					t.Fatalf("bad JSON line %q: %v", line, err)
				}
				pids[ev.Pid] = true
				if ev.Dir == "enter" {
					enters++
				}
				if ev.Syscall == "openat" {
					openatByDir[ev.Dir]++
				}
				if ev.Syscall == "openat" && ev.Params["name"] == file {
					opens++
					if ev.Dir == "exit" {
						if _, ok := ev.Params["res"]; !ok {
							t.Errorf("exit event without res: %s", line)
						}
					}
				}
				if ev.Syscall == "read" && ev.Dir == "exit" && ev.Params["data"] == "payload" && ev.Params["res"] != float64(7) {
					t.Errorf("read of the file: %s", line)
				}
			}
			if len(pids) != 1 {
				t.Errorf("events from %d processes, want only cat's: %v", len(pids), pids)
			}
			switch mode {
			case probes.ModeEnterExit:
				// Falco's shapes: both the enter and the exit event name it.
				if opens != 2 {
					t.Errorf("enter_exit: %d openat events name the file, want 2 (the enter and the exit)", opens)
				}
			case probes.ModeExitOnly:
				if opens != 1 || enters != 0 {
					t.Errorf("exit_only: %d openat events name the file, %d enter events; want 1 and 0", opens, enters)
				}
			}
			if !strings.Contains(stderr.String(), "events received") || !strings.Contains(stderr.String(), "sys_exit") {
				t.Errorf("no stats block on stderr:\n%s", stderr.String())
			}
			// Every openat event read one path: the path read counters
			// of each side match the events of that side.
			for dir, n := range openatByDir {
				m := regexp.MustCompile(`openat_` + dir + ` +(\d+) +(\d+)`).FindStringSubmatch(stderr.String())
				if m == nil {
					t.Errorf("no path reads row for openat_%s in the stats block:\n%s", dir, stderr.String())
					continue
				}
				if reads, _ := strconv.Atoi(m[1]); reads != n {
					t.Errorf("openat_%s: %d path reads, %d events", dir, reads, n)
				}
			}
			if mode == probes.ModeExitOnly && strings.Contains(stderr.String(), "openat_enter") {
				t.Errorf("exit_only (toctou none) read a path at enter:\n%s", stderr.String())
			}
		})
	}
}

// readyWriter passes writes to a buffer and closes ready when the text
// so far contains "ready".
type readyWriter struct {
	mu    sync.Mutex
	buf   bytes.Buffer
	ready chan struct{}
	once  sync.Once
}

func (w *readyWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf.Write(p)
	if strings.Contains(w.buf.String(), "ready") {
		w.once.Do(func() { close(w.ready) })
	}
	return len(p), nil
}

// TestTraceCount runs `trace --count` as an external tracer would be run:
// it says ready, counts the machine's events of the traced syscall until
// SIGINT, and prints a stats block whose counters account for every
// event: at least the 2000 getppid calls made here, each one exit_only
// event, and received + dropped = attempted.
func TestTraceCount(t *testing.T) {
	requireTrace(t)
	if err := cmdTrace([]string{"--count", "--mode", "exit_only", "--syscalls", "getppid", "--", "true"}); exitCode(err) != 2 {
		t.Errorf("--count with a command: %v, want exit 2", err)
	}
	w := &readyWriter{ready: make(chan struct{})}
	done := make(chan error, 1)
	go func() {
		done <- traceCount(probes.Config{Mode: probes.ModeExitOnly, Syscalls: []string{"getppid"}}, w)
	}()
	select {
	case <-w.ready:
	case err := <-done:
		t.Fatalf("trace --count ended before it was ready: %v", err)
	case <-time.After(30 * time.Second):
		t.Fatal("trace --count not ready after 30s")
	}
	const calls = 2000
	for range calls {
		unix.Getppid()
	}
	syscall.Kill(os.Getpid(), syscall.SIGINT)
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("trace --count did not stop on SIGINT")
	}
	w.mu.Lock()
	out := w.buf.String()
	w.mu.Unlock()
	num := func(label string) uint64 {
		m := regexp.MustCompile(regexp.QuoteMeta(label) + ` +(\d+)`).FindStringSubmatch(out)
		if m == nil {
			t.Fatalf("no %q in the stats block:\n%s", label, out)
		}
		n, _ := strconv.ParseUint(m[1], 10, 64)
		return n
	}
	received, attempted := num("events received"), num("events attempted")
	dropped := num("drops (full)") + num("drops (too large)")
	if received < calls {
		t.Errorf("received %d events, want at least the %d getppid calls made", received, calls)
	}
	if received+dropped != attempted {
		t.Errorf("received %d + dropped %d != attempted %d", received, dropped, attempted)
	}
}

// TestTraceStatsLate: the stats block says how many events came late (out
// of timestamp order) when the consumer ordered them, and says that it
// did not look when it did not (--count).
func TestTraceStatsLate(t *testing.T) {
	cfg := probes.Config{Mode: probes.ModeExitOnly, Syscalls: []string{"read"}}
	var b bytes.Buffer
	printTraceStats(&b, cfg, "BPF_ENABLE_STATS", time.Second, probes.Snapshot{}, probes.Counters{}, probes.ConsumerStats{Events: 10, Decoded: 10, Late: 3})
	if !regexp.MustCompile(`late events\s+3 `).MatchString(b.String()) {
		t.Errorf("ordered consumer with 3 late events:\n%s", b.String())
	}
	b.Reset()
	printTraceStats(&b, cfg, "BPF_ENABLE_STATS", time.Second, probes.Snapshot{}, probes.Counters{}, probes.ConsumerStats{Events: 10})
	if !strings.Contains(b.String(), "late events        not measured") {
		t.Errorf("counting consumer:\n%s", b.String())
	}
}

// leftCgroups lists the cgroups named prefix-<this pid>-* under the cgroup
// v2 mount.
func leftCgroups(t *testing.T, prefix string) []string {
	mnt, err := probes.Cgroup2Mount()
	if err != nil {
		t.Fatal(err)
	}
	m, _ := filepath.Glob(filepath.Join(mnt, prefix+"-"+strconv.Itoa(os.Getpid())+"-*"))
	return m
}

// TestTraceLeavesNothing: a command that daemonizes leaves a process in
// its cgroup; trace kills it, removes the cgroup and says so.
func TestTraceLeavesNothing(t *testing.T) {
	requireTrace(t)
	pidFile := filepath.Join(t.TempDir(), "pid")
	var out, stderr bytes.Buffer
	err := trace(traceOptions{
		cfg:  probes.Config{Mode: probes.ModeExitOnly, Syscalls: []string{"getpid"}},
		argv: []string{"sh", "-c", "sleep 1000 >/dev/null 2>&1 & echo $! > " + pidFile},
		out:  &out, stderr: &stderr,
	})
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(pidFile)
	if err != nil {
		t.Fatal(err)
	}
	pid, _ := strconv.Atoi(strings.TrimSpace(string(b)))
	if pid <= 0 {
		t.Fatalf("pid file %q", b)
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		st, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
		if err != nil || strings.Contains(string(st), ") Z") {
			break
		}
		if time.Now().After(deadline) {
			syscall.Kill(pid, syscall.SIGKILL)
			t.Fatalf("the daemonized sleep %d outlived trace", pid)
		}
		time.Sleep(10 * time.Millisecond)
	}
	if left := leftCgroups(t, "benchctl-trace"); len(left) != 0 {
		t.Errorf("cgroups left behind: %v", left)
	}
	if !strings.Contains(stderr.String(), "killed 1 process") {
		t.Errorf("stderr does not say what was killed:\n%s", stderr.String())
	}
}

// TestTraceRemovesStale: trace starts by killing and removing a cgroup
// that a benchctl which is gone left under the mount, and says so.
func TestTraceRemovesStale(t *testing.T) {
	requireTrace(t)
	mnt, err := probes.Cgroup2Mount()
	if err != nil {
		t.Skip(err)
	}
	gone := exec.Command("true")
	if err := gone.Run(); err != nil {
		t.Fatal(err)
	}
	dead := gone.ProcessState.Pid()
	stale := filepath.Join(mnt, "benchctl-test-stale-"+strconv.Itoa(dead)+"-1")
	if err := os.Mkdir(stale, 0o755); err != nil {
		t.Fatal(err)
	}
	fd, err := unix.Open(stale, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	sleep := exec.Command("sleep", "1000")
	sleep.SysProcAttr = &syscall.SysProcAttr{UseCgroupFD: true, CgroupFD: fd, Pdeathsig: syscall.SIGKILL}
	err = sleep.Start()
	unix.Close(fd)
	if err != nil {
		t.Fatal(err)
	}
	waited := make(chan struct{})
	go func() { _ = sleep.Wait(); close(waited) }()
	t.Cleanup(func() {
		_ = sleep.Process.Kill()
		select {
		case <-waited:
		case <-time.After(5 * time.Second):
		}
		_ = os.Remove(stale)
	})

	var out, stderr bytes.Buffer
	if err := trace(traceOptions{
		cfg:  probes.Config{Mode: probes.ModeExitOnly, Syscalls: []string{"getpid"}},
		argv: []string{"true"},
		out:  &out, stderr: &stderr,
	}); err != nil {
		t.Fatal(err)
	}
	want := "benchctl: removed stale cgroup " + stale + " (no process " + strconv.Itoa(dead) + "), killed 1 process\n"
	if !strings.Contains(stderr.String(), want) {
		t.Errorf("stderr does not say %q:\n%s", want, stderr.String())
	}
	select {
	case <-waited:
	case <-time.After(5 * time.Second):
		t.Error("the sleep in the stale cgroup outlived trace")
	}
	if _, err := os.Stat(stale); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("%s still exists (%v)", stale, err)
	}
}

// TestTraceOutputKeepsFiles: trace -o never truncates a file it did not
// create unless told to, and writes into a named pipe without replacing it.
func TestTraceOutputKeepsFiles(t *testing.T) {
	dir := t.TempDir()
	kept := filepath.Join(dir, "kept.txt")
	if err := os.WriteFile(kept, []byte("someone else's\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	err := cmdTrace([]string{"--mode", "exit_only", "--syscalls", "read", "-o", kept, "--", "true"})
	if exitCode(err) != 2 || !strings.Contains(err.Error(), "--force") {
		t.Errorf("trace -o onto an existing file: exit %d, error %v; want exit 2 naming --force", exitCode(err), err)
	}
	if b, _ := os.ReadFile(kept); string(b) != "someone else's\n" {
		t.Errorf("the existing file was changed: %q", b)
	}
	err = cmdTrace([]string{"--mode", "exit_only", "--syscalls", "read", "-o", dir, "--", "true"})
	if exitCode(err) != 2 || !strings.Contains(err.Error(), "directory") {
		t.Errorf("trace -o onto a directory: exit %d, error %v; want exit 2", exitCode(err), err)
	}

	fifo := filepath.Join(dir, "events.fifo")
	if err := unix.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	got := make(chan []byte, 1)
	go func() {
		r, err := os.Open(fifo)
		if err != nil {
			got <- nil
			return
		}
		defer r.Close()
		b, _ := io.ReadAll(r)
		got <- b
	}()
	w, err := openTraceOutput(fifo, false)
	if err != nil {
		t.Fatalf("opening a named pipe: %v", err)
	}
	fmt.Fprintln(w, "event")
	w.Close()
	if b := <-got; string(b) != "event\n" {
		t.Errorf("read %q through the pipe, want %q", b, "event\n")
	}
	if fi, err := os.Lstat(fifo); err != nil || fi.Mode()&os.ModeNamedPipe == 0 {
		t.Errorf("the named pipe was replaced: %v %v", fi, err)
	}

	fresh := filepath.Join(dir, "fresh.txt")
	w, err = openTraceOutput(fresh, false)
	if err != nil {
		t.Fatal(err)
	}
	w.Close()
	w, err = openTraceOutput(kept, true)
	if err != nil {
		t.Fatalf("--force: %v", err)
	}
	w.Close()
	if b, _ := os.ReadFile(kept); len(b) != 0 {
		t.Errorf("--force left %q; want the file replaced", b)
	}
}
