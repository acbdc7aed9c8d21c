package workloads

import (
	"context"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/benchctl/benchctl/internal/cgroupv2"
	"github.com/benchctl/benchctl/record"
)

func processCPU() time.Duration {
	var ts unix.Timespec
	_ = unix.ClockGettime(unix.CLOCK_PROCESS_CPUTIME_ID, &ts)
	return time.Duration(ts.Nano())
}

// TestSyscallsCPUIsItsThreads: the generator's CPU time is its worker
// threads' alone. A goroutine of the same process burns CPU on a thread
// of its own all through the run: the process's CPU time grows by both,
// the workload's by its threads' only, which a thread cannot exceed its
// wall time by.
func TestSyscallsCPUIsItsThreads(t *testing.T) {
	w, err := NewSyscalls(SyscallsConfig{Mix: "getpid", Threads: 2, Duration: 400 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	if err := w.Prepare(context.Background()); err != nil {
		t.Fatal(err)
	}
	var stop atomic.Bool
	burned := make(chan time.Duration)
	go func() {
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
		t0 := threadCPU()
		for x := 0; !stop.Load(); x++ {
		}
		burned <- threadCPU() - t0
	}()
	p0 := processCPU()
	res, err := w.Run(context.Background())
	stop.Store(true)
	other := <-burned
	process := processCPU() - p0
	if err != nil {
		t.Fatal(err)
	}
	cpu := time.Duration(res.CPUSeconds * 1e9)
	t.Logf("workload %s over %s wall on 2 threads, the other thread %s, the process %s", cpu, res.Wall, other, process)
	if res.CPUMethod != record.WorkloadCPUThreads || cpu <= 0 {
		t.Fatalf("CPU %s by %q, want the generator threads' (%s)", cpu, res.CPUMethod, record.WorkloadCPUThreads)
	}
	if limit := 2*res.Wall + 20*time.Millisecond; cpu > limit {
		t.Errorf("2 threads used %s in %s of wall time: more than they can", cpu, res.Wall)
	}
	if other < 50*time.Millisecond {
		t.Skipf("the other thread got only %s of CPU", other)
	}
	if cpu > process-other+5*time.Millisecond {
		t.Errorf("workload %s, but the process used %s of which %s on the other thread: the workload's figure has more than its threads", cpu, process, other)
	}
}

// requireCgroup skips when no workload cgroup can be made here.
func requireCgroup(t *testing.T) {
	t.Helper()
	requireRoot(t)
	if _, err := cgroupv2.Mount(); err != nil {
		t.Skipf("no cgroup v2: %v", err)
	}
}

// TestCommandCgroupCPU: a command's CPU time is its cgroup's, its
// children's included: what benchctl reaped of it (the shell's rusage,
// which holds the child it waited for) to within cpu.stat's rounding. A
// daemon it leaves behind dies with the cgroup at Close.
func TestCommandCgroupCPU(t *testing.T) {
	requireCgroup(t)
	pidFile := t.TempDir() + "/daemon.pid"
	w := newTestCommand(t, CommandConfig{Argv: []string{"sh", "-c",
		`setsid sleep 300 </dev/null >/dev/null 2>&1 & echo $! > "$1"
		sh -c 'i=0; while [ $i -lt 200000 ]; do i=$((i+1)); done'`, "sh", pidFile}})
	cw := w.(*commandWorkload)
	g := cw.Cgroup()
	if g == nil {
		t.Fatal("no cgroup after Prepare, as root with cgroup v2")
	}
	path := g.cg.Path
	if !strings.Contains(path, "benchctl-workload-") {
		t.Errorf("cgroup %s is not named benchctl-workload-<pid>-<n>", path)
	}
	res, err := w.Run(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	reaped := g.ReapedSeconds()
	t.Logf("cgroup %.4f s, reaped %.4f s", res.CPUSeconds, reaped)
	if res.CPUMethod != record.WorkloadCPUCgroup || res.CPUSeconds < 0.02 {
		t.Fatalf("CPU %v s by %q, want the busy loop's, from %s", res.CPUSeconds, res.CPUMethod, record.WorkloadCPUCgroup)
	}
	if d := res.CPUSeconds - reaped; d < -0.005 || d > 0.1*reaped+0.01 {
		t.Errorf("cgroup %.4f s against the reaped command's %.4f s", res.CPUSeconds, reaped)
	}
	data, err := os.ReadFile(pidFile)
	if err != nil {
		t.Fatal(err)
	}
	daemon, err := strconv.Atoi(strings.TrimSpace(string(data)))
	if err != nil {
		t.Fatal(err)
	}
	if !alive(daemon) {
		t.Fatalf("the daemon %d is not running before Close", daemon)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(path); !os.IsNotExist(err) {
		t.Errorf("cgroup %s still there after Close: %v", path, err)
	}
	for deadline := time.Now().Add(5 * time.Second); alive(daemon) && time.Now().Before(deadline); {
		time.Sleep(10 * time.Millisecond)
	}
	if alive(daemon) {
		t.Errorf("the daemon %d outlived Close", daemon)
	}
}

// TestRedisCgroupCPU: redis-server and redis-benchmark run in the
// workload's cgroup, whose CPU over the run is at least what the reaped
// redis-benchmark used (the server's is in it too).
func TestRedisCgroupCPU(t *testing.T) {
	requireRedis(t)
	requireCgroup(t)
	w := newTestRedis(t, RedisConfig{Tests: []string{"ping_inline", "set"}, Requests: 20000})
	if err := w.Prepare(context.Background()); err != nil {
		t.Fatal(err)
	}
	g := w.Cgroup()
	if g == nil {
		t.Fatal("no cgroup after Prepare, as root with cgroup v2")
	}
	server, _ := w.serverPID()
	pids, err := g.Pids()
	if err != nil {
		t.Fatal(err)
	}
	if !slicesContains(pids, server) {
		t.Errorf("redis-server %d is not in the workload's cgroup (%v)", server, pids)
	}
	res, err := w.Run(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	reaped := g.ReapedSeconds()
	t.Logf("cgroup %.4f s, redis-benchmark %.4f s, %v requests", res.CPUSeconds, reaped, res.Ops)
	if res.CPUMethod != record.WorkloadCPUCgroup || reaped <= 0 || res.CPUSeconds < reaped {
		t.Errorf("CPU %v s by %q, want at least redis-benchmark's %v s, from %s", res.CPUSeconds, res.CPUMethod, reaped, record.WorkloadCPUCgroup)
	}
}

func slicesContains(s []int, x int) bool {
	for _, y := range s {
		if y == x {
			return true
		}
	}
	return false
}

// TestCommandWithoutCgroup: where no cgroup can be made, the command
// runs all the same and its CPU is not measured (the fallback is the
// nil Cgroup).
func TestCommandWithoutCgroup(t *testing.T) {
	if _, err := exec.LookPath("true"); err != nil {
		t.Skip(err)
	}
	wl, err := NewCommand(CommandConfig{Argv: []string{"true"}})
	if err != nil {
		t.Fatal(err)
	}
	w := wl.(*commandWorkload)
	defer w.Close()
	w.cg = nil // as Prepare leaves it without cgroup v2
	res, err := w.Run(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if res.CPUMethod != "" || res.CPUSeconds != 0 || res.Ops != 1 {
		t.Errorf("result %+v, want no CPU figure and one run", res)
	}
}
