package cgroupv2

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// sleepIn starts `sleep 1000` in the cgroup directory dir (any process
// when dir is ""), killed when the test ends; the channel yields its wait
// error.
func sleepIn(t *testing.T, dir string) (*exec.Cmd, <-chan error) {
	t.Helper()
	cmd := exec.Command("sleep", "1000")
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if dir != "" {
		fd, err := unix.Open(dir, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
		if err != nil {
			t.Fatal(err)
		}
		defer unix.Close(fd)
		cmd.SysProcAttr.UseCgroupFD, cmd.SysProcAttr.CgroupFD = true, fd
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	t.Cleanup(func() { _ = cmd.Process.Kill() })
	return cmd, done
}

// killed tells whether a process's wait error says SIGKILL ended it,
// waiting up to 5 s for it to end.
func killed(done <-chan error) bool {
	select {
	case err := <-done:
		var ee *exec.ExitError
		return errors.As(err, &ee) && ee.Sys().(syscall.WaitStatus).Signal() == syscall.SIGKILL
	case <-time.After(5 * time.Second):
		return false
	}
}

// running tells whether a process has not ended.
func running(done <-chan error) bool {
	select {
	case <-done:
		return false
	default:
		return true
	}
}

// TestRemoveStale runs RemoveStale on a cgroup of the test's own that
// stands for the mount, so that nothing else on the machine is touched.
// A cgroup named for a dead pid, with a sleep in it and one in a cgroup
// below, is removed and both sleeps are killed; those named for a pid
// that is now a process other than benchctl, a zombie or a thread are
// removed; those named for this test's own pid, for a benchctl build
// under another file name, for a process that holds the cgroup open, and
// names that are not New's are left alone.
func TestRemoveStale(t *testing.T) {
	root := newTestCgroup(t)
	t.Cleanup(func() {
		if _, err := root.Destroy(5 * time.Second); err != nil {
			t.Error(err)
		}
	})
	gone := exec.Command("true")
	if err := gone.Run(); err != nil {
		t.Fatal(err)
	}
	dead := gone.ProcessState.Pid()
	mkdir := func(name string) string {
		t.Helper()
		p := filepath.Join(root.Path, name)
		if err := os.Mkdir(p, 0o755); err != nil {
			t.Fatal(err)
		}
		return p
	}

	stale := mkdir("benchctl-tracer-" + strconv.Itoa(dead) + "-1")
	inner := filepath.Join(stale, "inner")
	if err := os.Mkdir(inner, 0o755); err != nil {
		t.Fatal(err)
	}
	_, staleDone := sleepIn(t, stale)
	_, innerDone := sleepIn(t, inner)

	own := mkdir("benchctl-tracer-" + strconv.Itoa(os.Getpid()) + "-1")
	_, ownDone := sleepIn(t, own)

	// Names that start with benchctl and are not New's, for the dead pid.
	var odd []string
	for _, name := range []string{"benchctl-keep-%d", "benchctl-%d-1", "benchctl--%d-1", "benchctl-tracer-%d-1-", "benchctlx-tracer-%d-1", "benchctl-tracer-0%d-1"} {
		odd = append(odd, mkdir(strings.Replace(name, "%d", strconv.Itoa(dead), 1)))
	}
	_, oddDone := sleepIn(t, odd[0])

	// A pid now used by a process that is not benchctl (sleep, outside
	// the cgroup): the cgroup is removed, the process is not killed.
	other, otherDone := sleepIn(t, "")
	reused := mkdir("benchctl-trace-" + strconv.Itoa(other.Process.Pid) + "-2")

	// A process that has exited and is not reaped yet (a zombie), and a
	// thread of this process: neither is a live process of that pid.
	zombie := exec.Command("true")
	if err := zombie.Start(); err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(5 * time.Second); ; {
		st, _ := os.ReadFile("/proc/" + strconv.Itoa(zombie.Process.Pid) + "/status")
		if strings.Contains(string(st), "State:\tZ") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("true did not exit: %s", st)
		}
		time.Sleep(5 * time.Millisecond)
	}
	defer zombie.Wait()
	zombieCg := mkdir("benchctl-tracer-" + strconv.Itoa(zombie.Process.Pid) + "-4")
	tasks, err := os.ReadDir("/proc/self/task")
	if err != nil {
		t.Fatal(err)
	}
	var threadCg string
	for _, task := range tasks {
		if task.Name() != strconv.Itoa(os.Getpid()) {
			threadCg = mkdir("benchctl-tracer-" + task.Name() + "-5")
			break
		}
	}
	if threadCg == "" {
		t.Fatal("this test process has one thread")
	}

	// A benchctl under another name, as the measurements' builds are
	// (benchctl-041555c): sleep copied to that name.
	sleepExe, err := exec.LookPath("sleep")
	if err != nil {
		t.Fatal(err)
	}
	bin, err := os.ReadFile(sleepExe)
	if err != nil {
		t.Fatal(err)
	}
	build := filepath.Join(t.TempDir(), "benchctl-041555c")
	if err := os.WriteFile(build, bin, 0o755); err != nil {
		t.Fatal(err)
	}
	buildProc := exec.Command(build, "1000")
	buildProc.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := buildProc.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = buildProc.Process.Kill(); _ = buildProc.Wait() })
	build2 := mkdir("benchctl-tracer-" + strconv.Itoa(buildProc.Process.Pid) + "-3")

	// A process named otherwise that holds its cgroup open, as New
	// keeps it: a renamed benchctl, alive. It opens the cgroup named for
	// its pid once told to, then becomes a sleep.
	holder := exec.Command("/bin/sh", "-c", `read _; exec 3<"$1/benchctl-verify-$$-1"; exec sleep 1000`, "sh", root.Path)
	holder.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	tell, err := holder.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := holder.Start(); err != nil {
		t.Fatal(err)
	}
	holderDone := make(chan error, 1)
	go func() { holderDone <- holder.Wait() }()
	t.Cleanup(func() { _ = holder.Process.Kill() })
	held := mkdir("benchctl-verify-" + strconv.Itoa(holder.Process.Pid) + "-1")
	tell.Write([]byte("\n"))
	for deadline := time.Now().Add(5 * time.Second); ; {
		target, _ := os.Readlink("/proc/" + strconv.Itoa(holder.Process.Pid) + "/fd/3")
		comm, _ := os.ReadFile("/proc/" + strconv.Itoa(holder.Process.Pid) + "/comm")
		if target == held && string(comm) == "sleep\n" {
			break
		}
		if time.Now().After(deadline) || !running(holderDone) {
			t.Fatalf("the holder did not open %s and become sleep: fd 3 %q, comm %q", held, target, comm)
		}
		time.Sleep(5 * time.Millisecond)
	}

	removed, err := RemoveStale(root.Path, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range removed {
		t.Logf("removed %s (%s), killed %d, err %v", s.Path, s.Why, s.Killed, s.Err)
	}
	byPath := map[string]Stale{}
	for _, s := range removed {
		byPath[s.Path] = s
	}
	if len(removed) != 4 || len(byPath) != 4 {
		t.Fatalf("RemoveStale removed %d cgroups, want 4 (%s, %s, %s and %s)", len(removed), stale, reused, zombieCg, threadCg)
	}
	if s, ok := byPath[stale]; !ok || s.Err != nil || s.Killed != 2 || s.Owner != dead || !strings.Contains(s.Why, "no process") {
		t.Errorf("stale cgroup of a dead pid: %+v, want it removed with 2 processes killed, owner %d, no process", s, dead)
	}
	if s, ok := byPath[reused]; !ok || s.Err != nil || s.Killed != 0 || !strings.Contains(s.Why, "sleep, not benchctl") {
		t.Errorf("stale cgroup of a reused pid: %+v, want it removed with nothing killed, the pid now sleep", s)
	}
	if s, ok := byPath[zombieCg]; !ok || s.Err != nil || !strings.Contains(s.Why, "zombie") {
		t.Errorf("stale cgroup of a zombie: %+v, want it removed as a zombie's", s)
	}
	if s, ok := byPath[threadCg]; !ok || s.Err != nil || !strings.Contains(s.Why, "thread of") {
		t.Errorf("stale cgroup of a pid that is now a thread: %+v, want it removed as a thread's", s)
	}
	if !killed(staleDone) || !killed(innerDone) {
		t.Error("a sleep in the stale cgroup or below it was not killed")
	}
	for _, p := range []string{stale, reused, zombieCg, threadCg} {
		if _, err := os.Stat(p); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("%s still exists (%v)", p, err)
		}
	}
	for _, p := range append([]string{own, held, build2}, odd...) {
		if _, err := os.Stat(p); err != nil {
			t.Errorf("%s was removed (%v), want it left alone", p, err)
		}
	}
	if !running(ownDone) || !running(oddDone) || !running(otherDone) || !running(holderDone) {
		t.Errorf("a process outside the stale cgroups ended: own %v, odd name %v, reused pid %v, holder %v",
			!running(ownDone), !running(oddDone), !running(otherDone), !running(holderDone))
	}
}
