package workloads

import (
	"context"
	"errors"
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

	"github.com/benchctl/benchctl/internal/cgroupv2"
	"github.com/benchctl/benchctl/internal/tracertest"
	"github.com/benchctl/benchctl/probes"
)

// requireCgroup2 skips the test when not root or without cgroup v2.
func requireCgroup2(t *testing.T) {
	t.Helper()
	if testing.Short() {
		t.Skip("-short runs no probes, no redis and no tracers")
	}
	if os.Geteuid() != 0 {
		t.Skip("tracers run in a cgroup v2 of their own, which needs root (CI runs as root)")
	}
	if _, err := cgroupv2.Mount(); err != nil {
		t.Skipf("no cgroup v2 here: %v (mount -t cgroup2 none /sys/fs/cgroup/unified)", err)
	}
}

// startTestTracer starts spec and closes the tracer when the test ends.
func startTestTracer(t *testing.T, spec TracerSpec) *Tracer {
	t.Helper()
	tr, err := StartTracer(context.Background(), spec)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { tr.Close() })
	return tr
}

// bpfProgFDs counts the BPF program descriptors the processes hold
// (links to anon_inode:bpf-prog in /proc/<pid>/fd). It stands in for the
// probes package's program finder in these tests.
func bpfProgFDs(pids []int) (int, error) {
	n := 0
	for _, pid := range pids {
		dir := "/proc/" + strconv.Itoa(pid) + "/fd"
		entries, err := os.ReadDir(dir)
		if err != nil {
			continue // exited meanwhile
		}
		for _, e := range entries {
			if l, err := os.Readlink(filepath.Join(dir, e.Name())); err == nil && l == "anon_inode:bpf-prog" {
				n++
			}
		}
	}
	return n, nil
}

// alwaysOne counts one attached program: for shell "tracers".
func alwaysOne([]int) (int, error) { return 1, nil }

func never([]int) (int, error) { return 0, nil }

// requireGone checks that the tracer left nothing: its pids are dead and
// its cgroup is removed.
func requireGone(t *testing.T, tr *Tracer, pids []int) {
	t.Helper()
	for _, pid := range append(pids, tr.Pid()) {
		if alive(pid) {
			t.Errorf("process %d still alive", pid)
		}
	}
	if _, err := os.Stat(tr.cg.Path); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("cgroup %s: %v, want it removed", tr.cg.Path, err)
	}
}

// waitPids waits until the tracer's cgroup holds n processes.
func waitPids(t *testing.T, tr *Tracer, n int) []int {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		pids, err := tr.Pids()
		if err == nil && len(pids) == n {
			return pids
		}
		if time.Now().After(deadline) {
			t.Fatalf("tracer cgroup holds %v (%v), want %d processes", pids, err, n)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func requireBpftrace(t *testing.T) string {
	t.Helper()
	requireCgroup2(t)
	return tracertest.Bpftrace(t)
}

// scapOpen returns the path of a scap-open build of ../shared/tracers,
// skipping the test when it is not there.
func scapOpen(t *testing.T, version string) string {
	t.Helper()
	requireCgroup2(t)
	return tracertest.Shared(t, "scap-open-"+version)
}

// waitReadyOrRefused waits until tr, a tracer this project did not build,
// is ready. When it exited unready, its output is classified as the runner
// classifies it, and tracertest's rule applies: a kernel's refusal skips
// the test with that classification, anything else fails it.
func waitReadyOrRefused(t *testing.T, tr *Tracer) {
	t.Helper()
	err := tr.WaitReady(context.Background(), bpfProgFDs)
	if err == nil {
		return
	}
	if tr.Alive() != nil {
		exit, _ := tr.Stop()
		tracertest.SkipRefused(t, tr.spec.Name, probes.ClassifyTracerOutput(tr.Output(), nil, exit.Code()), tr.Output())
	}
	t.Fatal(err)
}

func TestTracerBpftraceReady(t *testing.T) {
	requireBpftrace(t)
	start := time.Now()
	tr := startTestTracer(t, TracerSpec{
		Name:        "bpftrace",
		Argv:        []string{"bpftrace", "-e", "tracepoint:raw_syscalls:sys_enter { @e = count(); }"},
		ReadyOutput: regexp.MustCompile(`Attaching \d+ probe`),
	})
	waitReadyOrRefused(t, tr)
	t.Logf("bpftrace ready after %v", time.Since(start))
	if n, _ := bpfProgFDs([]int{tr.Pid()}); n == 0 {
		t.Error("ready, but bpftrace holds no BPF program")
	}
	if err := tr.Alive(); err != nil {
		t.Fatal(err)
	}
	u, err := tr.Usage()
	if err != nil {
		t.Fatal(err)
	}
	if u.UserSeconds+u.SystemSeconds <= 0 || u.PeakMemoryBytes == 0 || u.MemoryMethod == "" {
		t.Errorf("Usage = %+v, want CPU time and memory", u)
	}
	t.Logf("usage when ready: %+v", u)
	exit, err := tr.Stop()
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("stop: %+v", exit)
	if exit.ExitCode != 0 || exit.Signal != "" || exit.Killed {
		t.Errorf("Stop = %+v, want exit code 0, not killed; output:\n%s", exit, tr.Output())
	}
	if exit.StopTime <= 0 {
		t.Errorf("StopTime = %v", exit.StopTime)
	}
	if !regexp.MustCompile(`(?m)^@e: \d+$`).MatchString(tr.Output()) {
		t.Errorf("output lacks the map line:\n%s", tr.Output())
	}
	c, err := ParseCounters(tr.Output(), []*regexp.Regexp{regexp.MustCompile(`@e: (?P<events>\d+)`)})
	if err != nil || c["events"] <= 0 {
		t.Errorf("counters = %v, want events > 0", c)
	}
	requireGone(t, tr, nil)
	// After Stop, Usage reports the final values; Stop and Close are
	// idempotent.
	if u2, err := tr.Usage(); err != nil || u2.UserSeconds+u2.SystemSeconds < u.UserSeconds+u.SystemSeconds {
		t.Errorf("Usage after Stop = %+v, %v", u2, err)
	}
	if again, err := tr.Stop(); err != nil || again != exit {
		t.Errorf("second Stop = %+v, %v; want %+v", again, err, exit)
	}
	if err := tr.Close(); err != nil {
		t.Errorf("Close after Stop: %v", err)
	}
}

func TestTracerReadyTimeout(t *testing.T) {
	requireCgroup2(t)
	tr := startTestTracer(t, TracerSpec{Argv: []string{"sleep", "60"}, ReadyTimeout: 500 * time.Millisecond})
	start := time.Now()
	err := tr.WaitReady(context.Background(), never)
	if err == nil || !strings.Contains(err.Error(), "sleep not ready after 500ms: no attached BPF program") {
		t.Fatalf("WaitReady = %v, want a timeout naming the missing program", err)
	}
	if d := time.Since(start); d < 500*time.Millisecond || d > 2*time.Second {
		t.Errorf("WaitReady gave up after %v, want about 500ms", d)
	}
	if err := tr.Alive(); err != nil {
		t.Errorf("WaitReady killed the tracer: %v", err)
	}
	if err := tr.Close(); err != nil {
		t.Fatal(err)
	}
	requireGone(t, tr, nil)
}

func TestTracerReadyOutputNeverMatched(t *testing.T) {
	requireCgroup2(t)
	tr := startTestTracer(t, TracerSpec{
		Name:         "quiet",
		Argv:         []string{"sh", "-c", "echo starting; sleep 60"},
		ReadyOutput:  regexp.MustCompile(`^ready$`),
		ReadyTimeout: 300 * time.Millisecond,
		Settle:       50 * time.Millisecond,
	})
	err := tr.WaitReady(context.Background(), alwaysOne)
	if err == nil || !strings.Contains(err.Error(), "quiet not ready after 300ms: output never matched /^ready$/") || !strings.Contains(err.Error(), "starting") {
		t.Fatalf("WaitReady = %v, want a timeout naming the regex, with the output", err)
	}
}

func TestTracerReadyOutputOnly(t *testing.T) {
	requireCgroup2(t)
	// printf without a newline, then a long wait: the line is matched
	// while unfinished, and printf's stdio buffer is flushed because the
	// output is a terminal.
	tr := startTestTracer(t, TracerSpec{
		Argv:        []string{"sh", "-c", `sleep 0.2; printf 'ready> '; sleep 60`},
		ReadyOutput: regexp.MustCompile(`ready>`),
	})
	start := time.Now()
	if err := tr.WaitReady(context.Background(), nil); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d < 150*time.Millisecond {
		t.Errorf("ready after %v, before the line was printed", d)
	}
}

func TestTracerEarlyExit(t *testing.T) {
	requireCgroup2(t)
	tr := startTestTracer(t, TracerSpec{Name: "boomer", Argv: []string{"sh", "-c", "echo boom >&2; exit 3"}})
	err := tr.WaitReady(context.Background(), bpfProgFDs)
	if err == nil {
		t.Fatal("WaitReady succeeded for a tracer that exited")
	}
	for _, want := range []string{"boomer exited before it was ready", "exit status 3", "boom"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("WaitReady = %q, want it to contain %q", err, want)
		}
	}
	exit, err := tr.Stop()
	if err != nil || exit.ExitCode != 3 || exit.Killed {
		t.Errorf("Stop = %+v, %v; want exit code 3", exit, err)
	}
	requireGone(t, tr, nil)
}

func TestTracerCrashMidRun(t *testing.T) {
	requireCgroup2(t)
	tr := startTestTracer(t, TracerSpec{Name: "crasher", Argv: []string{"sh", "-c", "echo up; sleep 1; kill -SEGV $$"}})
	if err := tr.WaitReady(context.Background(), alwaysOne); err != nil {
		t.Fatal(err)
	}
	if err := tr.Alive(); err != nil {
		t.Fatalf("Alive right after ready: %v", err)
	}
	deadline := time.Now().Add(5 * time.Second)
	var err error
	for err = tr.Alive(); err == nil; err = tr.Alive() {
		if time.Now().After(deadline) {
			t.Fatal("the tracer did not die")
		}
		time.Sleep(20 * time.Millisecond)
	}
	for _, want := range []string{"crasher exited during the run", "killed by signal SIGSEGV", "up"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("Alive = %q, want it to contain %q", err, want)
		}
	}
	exit, err := tr.Stop()
	if err != nil || exit.ExitCode != -1 || exit.Signal != "SIGSEGV" || exit.Killed {
		t.Errorf("Stop = %+v, %v; want killed by SIGSEGV, not by benchctl", exit, err)
	}
}

func TestTracerGraceThenKill(t *testing.T) {
	requireCgroup2(t)
	// "; true" keeps sh from exec'ing sleep: sleep is sh's child, and
	// ignores SIGINT too (inherited).
	tr := startTestTracer(t, TracerSpec{
		Argv:      []string{"sh", "-c", `trap "" INT; sleep 60; true`},
		StopGrace: 300 * time.Millisecond,
	})
	pids := waitPids(t, tr, 2)
	start := time.Now()
	exit, err := tr.Stop()
	if err != nil {
		t.Fatal(err) // includes "cgroup still holds processes"
	}
	if !exit.Killed || exit.Signal != "SIGKILL" || exit.ExitCode != -1 {
		t.Errorf("Stop = %+v, want killed with SIGKILL after the grace period", exit)
	}
	if d := time.Since(start); d < 300*time.Millisecond || d > 3*time.Second {
		t.Errorf("Stop took %v, want the 300ms grace period and a little", d)
	}
	if exit.StopTime < 300*time.Millisecond {
		t.Errorf("StopTime = %v, want at least the grace period", exit.StopTime)
	}
	requireGone(t, tr, pids)
}

// TestTracerStopSignalAgain: a tracer that misses its stop signal (as
// bpftrace 0.17 now and then does) gets it again halfway through the
// grace period, and ends cleanly rather than SIGKILLed; one that stops on
// the first is not signalled twice.
func TestTracerStopSignalAgain(t *testing.T) {
	requireCgroup2(t)
	for _, tc := range []struct {
		name, script string
		again        bool
	}{
		{"misses the first", `n=0; trap 'n=$((n+1)); [ "$n" -ge 2 ] && exit 0' INT; echo up; while :; do sleep 0.05; done`, true},
		{"stops on the first", `trap 'exit 0' INT; echo up; while :; do sleep 0.05; done`, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tr := startTestTracer(t, TracerSpec{
				Argv:        []string{"sh", "-c", tc.script},
				ReadyOutput: regexp.MustCompile(`^up$`),
				StopGrace:   4 * time.Second,
			})
			if err := tr.WaitReady(context.Background(), func([]int) (int, error) { return 1, nil }); err != nil {
				t.Fatal(err)
			}
			exit, err := tr.Stop()
			if err != nil {
				t.Fatal(err)
			}
			if exit.ExitCode != 0 || exit.Signal != "" || exit.Killed || exit.Resignaled != tc.again {
				t.Errorf("Stop = %+v, want exit 0, not killed, resignaled %v; output:\n%s", exit, tc.again, tr.Output())
			}
		})
	}
}

// TestTracerCloseDuringStop checks that Close from another goroutine
// (Ctrl-C) ends Stop's grace period at once.
func TestTracerCloseDuringStop(t *testing.T) {
	requireCgroup2(t)
	tr := startTestTracer(t, TracerSpec{
		Argv:      []string{"sh", "-c", `trap "" INT; sleep 60; true`},
		StopGrace: time.Minute,
	})
	pids := waitPids(t, tr, 2)
	var (
		wg      sync.WaitGroup
		exit    TracerExit
		stopErr error
	)
	wg.Add(1)
	go func() { defer wg.Done(); exit, stopErr = tr.Stop() }()
	time.Sleep(200 * time.Millisecond)
	start := time.Now()
	if err := tr.Close(); err != nil {
		t.Fatal(err)
	}
	wg.Wait()
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("Close and Stop took %v after Close", d)
	}
	if stopErr != nil || !exit.Killed || exit.Signal != "SIGKILL" {
		t.Errorf("Stop = %+v, %v; want killed", exit, stopErr)
	}
	requireGone(t, tr, pids)
}

func TestTracerContextCancelKills(t *testing.T) {
	requireCgroup2(t)
	ctx, cancel := context.WithCancel(context.Background())
	tr, err := StartTracer(ctx, TracerSpec{Argv: []string{"sleep", "60"}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { tr.Close() })
	cancel()
	err = tr.WaitReady(ctx, never)
	if !errors.Is(err, context.Canceled) {
		t.Errorf("WaitReady = %v, want context.Canceled", err)
	}
	waitGone(t, tr.Pid())
	if err := tr.Close(); err != nil {
		t.Fatal(err)
	}
	requireGone(t, tr, nil)
}

// TestTracerShellStopReachesTracer checks that the stop signal reaches
// a tracer run by a shell: it goes to the process group, as Ctrl-C does.
func TestTracerShellStopReachesTracer(t *testing.T) {
	requireCgroup2(t)
	tr := startTestTracer(t, TracerSpec{
		Argv:        []string{`sh -c 'trap "echo inner-stats; exit 0" INT; echo inner-up; while :; do sleep 0.05; done'; echo outer-after`},
		Shell:       true,
		ReadyOutput: regexp.MustCompile(`^inner-up$`),
		StopGrace:   5 * time.Second,
	})
	if err := tr.WaitReady(context.Background(), alwaysOne); err != nil {
		t.Fatal(err)
	}
	pids, _ := tr.Pids()
	exit, err := tr.Stop()
	if err != nil {
		t.Fatal(err)
	}
	if exit.Killed || !strings.Contains(tr.Output(), "inner-stats") {
		t.Errorf("Stop = %+v, output %q; want the inner tracer to get SIGINT and exit on its own", exit, tr.Output())
	}
	t.Logf("stop: %+v (the outer shell's exit)", exit)
	requireGone(t, tr, pids)
}

// TestTracerLeaderExitLeavesChild checks a leader that exits while a
// child of it runs on: Alive reports the exit at once, and Stop kills the
// child (which ignores SIGINT, as background jobs of a shell do).
func TestTracerLeaderExitLeavesChild(t *testing.T) {
	requireCgroup2(t)
	tr := startTestTracer(t, TracerSpec{Argv: []string{"sh", "-c", "sleep 60 & echo forked"}, StopGrace: 200 * time.Millisecond})
	deadline := time.Now().Add(5 * time.Second)
	for tr.Alive() == nil {
		if time.Now().After(deadline) {
			t.Fatal("the leader did not exit")
		}
		time.Sleep(10 * time.Millisecond)
	}
	start := time.Now()
	err := tr.Alive()
	if d := time.Since(start); d > time.Second {
		t.Errorf("Alive took %v while the child holds the output", d)
	}
	if err == nil || !strings.Contains(err.Error(), "exit status 0") || !strings.Contains(err.Error(), "forked") {
		t.Errorf("Alive = %v, want the leader's exit status 0 and its output", err)
	}
	pids := waitPids(t, tr, 1)
	exit, err := tr.Stop()
	if err != nil || exit.ExitCode != 0 || !exit.Killed {
		t.Errorf("Stop = %+v, %v; want the leader's exit code 0 and the child killed", exit, err)
	}
	requireGone(t, tr, pids)
}

const tracerHelperEnv = "BENCHCTL_TRACER_HELPER"

// TestTracerHelperProcess is not a test: it is the body of the helper
// process that TestTracerParentDeath starts and kills. It starts
// "sleep 60" as a tracer, writes "<pid> <cgroup>" to the file named by
// $BENCHCTL_TRACER_HELPER, and waits to be killed.
func TestTracerHelperProcess(t *testing.T) {
	file := os.Getenv(tracerHelperEnv)
	if file == "" {
		t.Skip("helper process only")
	}
	spec := TracerSpec{Argv: []string{"sleep", "60"}}
	if os.Getenv(tracerHelperEnv+"_SHELL") != "" {
		// A shell that does not exec its last command: the real
		// tracer is sh's child, which the parent death signal misses.
		spec = TracerSpec{Argv: []string{"sleep 60; true"}, Shell: true}
	}
	tr, err := StartTracer(context.Background(), spec)
	if err != nil {
		os.Exit(2)
	}
	if err := os.WriteFile(file, []byte(strconv.Itoa(tr.Pid())+" "+tr.cg.Path+"\n"), 0o600); err != nil {
		os.Exit(2)
	}
	select {}
}

// TestTracerParentDeath checks that a tracer dies with benchctl, even
// when benchctl is killed with SIGKILL and cannot clean up.
func TestTracerParentDeath(t *testing.T) {
	requireCgroup2(t)
	file := filepath.Join(t.TempDir(), "pid")
	helper := exec.Command(os.Args[0], "-test.run=^TestTracerHelperProcess$", "-test.count=1")
	helper.Env = append(os.Environ(), tracerHelperEnv+"="+file)
	if err := helper.Start(); err != nil {
		t.Fatal(err)
	}
	pidStr, cgPath, _ := strings.Cut(waitForFile(t, file), " ")
	pid, _ := strconv.Atoi(pidStr)
	t.Cleanup(func() {
		syscall.Kill(pid, syscall.SIGKILL)
		os.Remove(cgPath) // nobody else will: the helper died
	})
	if !alive(pid) {
		t.Fatalf("tracer %d not running", pid)
	}
	helper.Process.Kill()
	helper.Wait()
	waitGone(t, pid)
}

func TestTracerMissingBinary(t *testing.T) {
	for _, argv0 := range []string{"/nonexistent/tracer", "benchctl-no-such-tracer"} {
		_, err := StartTracer(context.Background(), TracerSpec{Argv: []string{argv0, "--x"}})
		if !errors.Is(err, ErrTracerMissing) || !strings.Contains(err.Error(), argv0) {
			t.Errorf("StartTracer(%s) = %v, want ErrTracerMissing naming it", argv0, err)
		}
	}
}

func TestTracerOutputShellEnv(t *testing.T) {
	requireCgroup2(t)
	tr := startTestTracer(t, TracerSpec{
		Argv:  []string{`echo a; echo "$BENCHCTL_T_VALUE" >&2; echo "$1"; exit 0`, "c"},
		Env:   []string{"BENCHCTL_T_VALUE=b"},
		Shell: true,
	})
	for tr.Alive() == nil {
		time.Sleep(10 * time.Millisecond)
	}
	exit, err := tr.Stop()
	if err != nil || exit.ExitCode != 0 {
		t.Fatalf("Stop = %+v, %v", exit, err)
	}
	if got := tr.Output(); got != "a\nb\nc\n" {
		t.Errorf("output = %q, want stdout and stderr interleaved, LF line ends", got)
	}
	if got := tr.LastLines(2); got != "b\nc" {
		t.Errorf("LastLines(2) = %q", got)
	}
}

func TestTracerCPUUsage(t *testing.T) {
	requireCgroup2(t)
	tr := startTestTracer(t, TracerSpec{Argv: []string{"sh", "-c", `i=0; while [ $i -lt 300000 ]; do i=$((i+1)); done; sleep 60`}})
	deadline := time.Now().Add(10 * time.Second)
	for {
		u, err := tr.Usage()
		if err != nil {
			t.Fatal(err)
		}
		if u.UserSeconds+u.SystemSeconds > 0.05 {
			if u.PeakMemoryBytes == 0 || (u.MemoryMethod != MemoryPeakV2 && u.MemoryMethod != MemoryPeakV1 && u.MemoryMethod != MemoryPeakHWMSampled) {
				t.Errorf("Usage = %+v, want a peak memory and its method", u)
			}
			t.Logf("usage: %+v", u)
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("Usage = %+v after a busy loop, want CPU time", u)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func TestTracerScapOpen(t *testing.T) {
	for _, version := range []string{"0.21.0", "0.25.4"} {
		t.Run(version, func(t *testing.T) {
			path := scapOpen(t, version)
			start := time.Now()
			tr := startTestTracer(t, TracerSpec{
				Name:        "scap-open",
				Argv:        []string{path, "--modern_bpf", "--ppm_sc", "249", "--ppm_sc", "250"},
				ReadyOutput: regexp.MustCompile(`Live capture in progress`),
			})
			waitReadyOrRefused(t, tr)
			progs, _ := bpfProgFDs([]int{tr.Pid()})
			u, _ := tr.Usage()
			t.Logf("ready after %v holding %d BPF program fds; usage %+v", time.Since(start), progs, u)
			exit, err := tr.Stop()
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("stop: %+v", exit)
			if exit.ExitCode != 0 || exit.Signal != "" || exit.Killed {
				t.Fatalf("Stop = %+v, want exit code 0; output:\n%s", exit, tr.Output())
			}
			if !strings.Contains(tr.Output(), "[SCAP-OPEN]: Bye!") {
				t.Errorf("output lacks the goodbye:\n%s", tr.LastLines(20))
			}
			c, err := ParseCounters(tr.Output(), []*regexp.Regexp{
				regexp.MustCompile(`Seen by driver \(kernel side events\): (?P<events>\d+)`),
				regexp.MustCompile(`\[1\] n_drops: (?P<drops>\d+)`),
			})
			if err != nil {
				t.Error(err)
			}
			if _, ok := c["events"]; !ok {
				t.Errorf("counters = %v, want events", c)
			}
			if _, ok := c["drops"]; !ok {
				t.Errorf("counters = %v, want drops", c)
			}
			t.Logf("counters: %v", c)
			requireGone(t, tr, nil)
		})
	}
}

func TestParseCounters(t *testing.T) {
	out := strings.Join([]string{
		"events: 10",
		"Number of bytes received: 1,234,567 bytes",
		"rate: 12.5/s",
		"events: 20",
		"drops: none",
		"",
	}, "\n")
	res := []*regexp.Regexp{
		regexp.MustCompile(`events: (?P<events>\d+)`),
		regexp.MustCompile(`bytes received: (?P<bytes>[\d,]+ bytes)`),
		regexp.MustCompile(`rate: (?P<rate>[\d.]+)`),
		regexp.MustCompile(`drops: (?P<drops>\S+)`),
		regexp.MustCompile(`lost: (?P<lost>\d+)`),
		regexp.MustCompile(`(?P<a>x)?(?P<b>absent)`),
	}
	got, err := ParseCounters(out, res)
	if err != nil {
		t.Error(err)
	}
	want := map[string]float64{"events": 20, "bytes": 1234567, "rate": 12.5}
	if len(got) != len(want) {
		t.Errorf("ParseCounters = %v, want %v", got, want)
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s = %v, want %v (all: %v)", k, got[k], v, got)
		}
	}
}

func TestCheckCounterRegex(t *testing.T) {
	if err := CheckCounterRegex(regexp.MustCompile(`n_evts: (?P<events>\d+)`)); err != nil {
		t.Errorf("named group: %v", err)
	}
	for _, re := range []*regexp.Regexp{regexp.MustCompile(`n_evts: (\d+)`), regexp.MustCompile(`n_evts`), nil} {
		if err := CheckCounterRegex(re); err == nil {
			t.Errorf("CheckCounterRegex(%v) = nil, want an error", re)
		}
	}
}

func TestTracerLineMatcher(t *testing.T) {
	m := &lineMatcher{re: regexp.MustCompile(`^Attaching \d+ probes?\.\.\.$`)}
	for _, chunk := range []string{"ERROR: x\nAttach", "ing 1"} {
		m.Write([]byte(chunk))
	}
	if m.matched.Load() {
		t.Fatal("matched an unfinished line")
	}
	m.Write([]byte(" probe...\nmore\n"))
	if !m.matched.Load() {
		t.Fatal("line split across writes not matched")
	}
	long := &lineMatcher{re: regexp.MustCompile(`ready`)}
	long.Write([]byte(strings.Repeat("x", 2*readyLineMax)))
	long.Write([]byte("\nready\n"))
	if !long.matched.Load() {
		t.Error("long line broke the matcher")
	}
}

// TestTracerShellArgs: a shell tracer's Argv[0] is the script and the
// rest its positional parameters, as for the command workload: a path with
// a space stays one argument and a "$(...)" value is not run.
func TestTracerShellArgs(t *testing.T) {
	requireCgroup2(t)
	dir := t.TempDir()
	pwned := filepath.Join(dir, "pwned")
	tr := startTestTracer(t, TracerSpec{
		Argv:  []string{`printf '<%s>\n' "$@"`, filepath.Join(dir, "a b"), "$(touch " + pwned + ")"},
		Shell: true,
	})
	for tr.Alive() == nil {
		time.Sleep(10 * time.Millisecond)
	}
	if _, err := tr.Stop(); err != nil {
		t.Fatal(err)
	}
	want := "<" + filepath.Join(dir, "a b") + ">\n<$(touch " + pwned + ")>\n"
	if got := tr.Output(); got != want {
		t.Errorf("output %q, want %q", got, want)
	}
	if _, err := os.Stat(pwned); err == nil {
		t.Error("an argument's $(...) ran")
	}
}

// TestTracerShellParentDeath: when benchctl is killed with SIGKILL, the
// real tracer a shell started dies too, not only the shell (the parent
// death signal reaches the shell alone): a watchdog kills the tracer's
// cgroup and removes it.
func TestTracerShellParentDeath(t *testing.T) {
	requireCgroup2(t)
	file := filepath.Join(t.TempDir(), "pid")
	helper := exec.Command(os.Args[0], "-test.run=^TestTracerHelperProcess$", "-test.count=1")
	helper.Env = append(os.Environ(), tracerHelperEnv+"="+file, tracerHelperEnv+"_SHELL=1")
	if err := helper.Start(); err != nil {
		t.Fatal(err)
	}
	_, cgPath, _ := strings.Cut(waitForFile(t, file), " ")
	procs := func() []string {
		b, _ := os.ReadFile(filepath.Join(cgPath, "cgroup.procs"))
		return strings.Fields(string(b))
	}
	t.Cleanup(func() {
		for _, p := range procs() {
			pid, _ := strconv.Atoi(p)
			syscall.Kill(pid, syscall.SIGKILL)
		}
		time.Sleep(100 * time.Millisecond)
		os.Remove(cgPath)
	})
	deadline := time.Now().Add(5 * time.Second)
	for len(procs()) < 2 { // sh and its sleep
		if time.Now().After(deadline) {
			t.Fatalf("tracer cgroup holds %v, want the shell and its sleep", procs())
		}
		time.Sleep(10 * time.Millisecond)
	}
	helper.Process.Kill()
	helper.Wait()
	deadline = time.Now().Add(10 * time.Second)
	for {
		if _, err := os.Stat(cgPath); os.IsNotExist(err) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("10 s after benchctl's SIGKILL the tracer's cgroup %s still exists, holding %v", cgPath, procs())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestParseCountersNotFinite: a counter whose last value is NaN or an
// infinity is absent and named in an error wrapping ErrNotFinite (the
// run fails); one that is finite in its last match is kept.
func TestParseCountersNotFinite(t *testing.T) {
	out := strings.Join([]string{
		"events: 10",
		"drops: nan",
		"bytes: 1e999",
		"rate: -Inf",
		"events: NaN",
		"lost: inf",
		"lost: 3",
		"",
	}, "\n")
	res := []*regexp.Regexp{
		regexp.MustCompile(`events: (?P<events>\S+)`),
		regexp.MustCompile(`drops: (?P<drops>\S+)`),
		regexp.MustCompile(`bytes: (?P<bytes>\S+)`),
		regexp.MustCompile(`rate: (?P<rate>\S+)`),
		regexp.MustCompile(`lost: (?P<lost>\S+)`),
	}
	got, err := ParseCounters(out, res)
	if !errors.Is(err, ErrNotFinite) {
		t.Fatalf("err = %v, want ErrNotFinite", err)
	}
	for _, name := range []string{"events", "drops", "bytes", "rate"} {
		if !strings.Contains(err.Error(), "counter "+name+": ") {
			t.Errorf("the error does not name %s: %v", name, err)
		}
		if v, ok := got[name]; ok {
			t.Errorf("%s = %v, want it absent", name, v)
		}
	}
	if strings.Contains(err.Error(), "lost") || got["lost"] != 3 {
		t.Errorf("lost = %v (error %v), want 3, its last value", got["lost"], err)
	}
}
