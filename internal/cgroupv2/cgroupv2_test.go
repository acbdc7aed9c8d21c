package cgroupv2

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// newTestCgroup skips the test when not root or without cgroup v2, and
// makes a cgroup that is killed and removed when the test ends.
func newTestCgroup(t *testing.T) *Cgroup {
	t.Helper()
	if testing.Short() {
		t.Skip("-short runs no probes, no redis and no tracers")
	}
	if os.Geteuid() != 0 {
		t.Skip("making cgroups needs root (CI runs as root)")
	}
	if _, err := Mount(); err != nil {
		t.Skipf("no cgroup v2 here: %v (mount -t cgroup2 none /sys/fs/cgroup/unified)", err)
	}
	cg, err := New("benchctl-test")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cg.Kill()
		_ = cg.WaitEmpty(5 * time.Second)
		if err := cg.Close(); err != nil {
			t.Error(err)
		}
	})
	return cg
}

// startIn starts argv in cg and reaps it in the background; the returned
// channel yields its wait error.
func startIn(t *testing.T, cg *Cgroup, argv ...string) (*exec.Cmd, <-chan error) {
	t.Helper()
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.SysProcAttr = &syscall.SysProcAttr{UseCgroupFD: true, CgroupFD: cg.FD(), Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	return cmd, done
}

func TestCgroupLifecycle(t *testing.T) {
	cg := newTestCgroup(t)
	mnt, _ := Mount()
	if filepath.Dir(cg.Path) != mnt || !strings.HasPrefix(filepath.Base(cg.Path), "benchctl-test-") {
		t.Errorf("cgroup path %s, want %s/benchctl-test-<pid>-<n>", cg.Path, mnt)
	}
	var st syscall.Stat_t
	if err := syscall.Stat(cg.Path, &st); err != nil || st.Ino != cg.ID {
		t.Errorf("ID %d, want the directory's inode %d (%v)", cg.ID, st.Ino, err)
	}
	other := newTestCgroup(t)
	if other.Path == cg.Path {
		t.Fatalf("two New calls gave the same cgroup %s", cg.Path)
	}

	if pids, err := cg.Procs(); err != nil || len(pids) != 0 {
		t.Fatalf("fresh cgroup holds %v (%v)", pids, err)
	}
	if pop, err := cg.Populated(); err != nil || pop {
		t.Fatalf("fresh cgroup populated=%v (%v)", pop, err)
	}

	sleep, sleepDone := startIn(t, cg, "sleep", "30")
	pids, err := cg.Procs()
	if err != nil || !slices.Contains(pids, sleep.Process.Pid) {
		t.Fatalf("Procs = %v (%v), want it to hold sleep's pid %d", pids, err, sleep.Process.Pid)
	}
	data, _ := os.ReadFile("/proc/" + strconv.Itoa(sleep.Process.Pid) + "/cgroup")
	if !strings.Contains(string(data), "0::/"+filepath.Base(cg.Path)+"\n") {
		t.Errorf("/proc/%d/cgroup = %q, want the v2 line to name %s", sleep.Process.Pid, data, filepath.Base(cg.Path))
	}

	before, err := cg.CPU()
	if err != nil {
		t.Fatal(err)
	}
	_, burnDone := startIn(t, cg, "sh", "-c", `i=0; while [ $i -lt 300000 ]; do i=$((i+1)); done`)
	if err := <-burnDone; err != nil {
		t.Fatalf("busy loop: %v", err)
	}
	after, err := cg.CPU()
	if err != nil {
		t.Fatal(err)
	}
	if after.Usage-before.Usage < 10*time.Millisecond || after.User+after.System <= before.User+before.System {
		t.Errorf("CPU usage went from %+v to %+v across a busy loop, want it to grow (by 10ms at least)", before, after)
	}
	t.Logf("busy loop used %v (user %v, system %v)", after.Usage-before.Usage, after.User-before.User, after.System-before.System)

	peak, ok, err := cg.MemoryPeak()
	_, statErr := os.Stat(filepath.Join(cg.Path, "memory.peak"))
	if err != nil || ok != (statErr == nil) || (ok && peak == 0) {
		t.Errorf("MemoryPeak = %d, %v, %v; memory.peak exists: %v", peak, ok, err, statErr == nil)
	}
	t.Logf("memory.peak available: %v (%d bytes)", ok, peak)

	start := time.Now()
	if err := cg.Kill(); err != nil {
		t.Fatal(err)
	}
	if err := cg.WaitEmpty(5 * time.Second); err != nil {
		t.Fatal(err)
	}
	t.Logf("kill to empty: %v", time.Since(start))
	err = <-sleepDone
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.Sys().(syscall.WaitStatus).Signal() != syscall.SIGKILL {
		t.Errorf("sleep ended with %v, want SIGKILL", err)
	}
	if pids, err := cg.Procs(); err != nil || len(pids) != 0 {
		t.Errorf("after Kill and WaitEmpty, Procs = %v (%v)", pids, err)
	}
	if err := cg.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(cg.Path); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("after Close, %s: %v, want it removed", cg.Path, err)
	}
	if err := cg.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
}

// TestCgroupKillEach checks the fallback for kernels without cgroup.kill,
// on a tree whose parent forks.
func TestCgroupKillEach(t *testing.T) {
	cg := newTestCgroup(t)
	_, done := startIn(t, cg, "sh", "-c", `sleep 30 & sleep 30 & wait`)
	deadline := time.Now().Add(5 * time.Second)
	for {
		pids, _ := cg.Procs()
		if len(pids) == 3 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("cgroup holds %v, want sh and two sleeps", pids)
		}
		time.Sleep(5 * time.Millisecond)
	}
	if err := cg.killEach(5 * time.Second); err != nil {
		t.Fatal(err)
	}
	if err := cg.WaitEmpty(time.Second); err != nil {
		t.Fatal(err)
	}
	<-done
}

func TestCgroupWaitEmptyTimeout(t *testing.T) {
	cg := newTestCgroup(t)
	_, done := startIn(t, cg, "sleep", "30")
	err := cg.WaitEmpty(50 * time.Millisecond)
	if err == nil || !strings.Contains(err.Error(), "still holds processes") {
		t.Errorf("WaitEmpty on a running sleep = %v, want a timeout", err)
	}
	if err := cg.Close(); err == nil {
		t.Error("Close of a populated cgroup succeeded")
	}
	_ = cg.Kill()
	<-done
	if err := cg.WaitEmpty(5 * time.Second); err != nil {
		t.Fatal(err)
	}
	if err := cg.Close(); err != nil {
		t.Errorf("Close after a failed Close: %v", err)
	}
}
