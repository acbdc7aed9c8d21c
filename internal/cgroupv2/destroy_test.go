package cgroupv2

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestDestroy: a command that daemonized (its child outlives it) and a
// process in a cgroup below are killed, and every directory is removed.
func TestDestroy(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("making cgroups needs root (CI runs as root)")
	}
	cg, err := New("benchctl-test-destroy")
	if err != nil {
		t.Skipf("no cgroup v2 here: %v", err)
	}
	defer cg.Close()
	// sh starts sleep in the background and exits: sleep stays.
	out, err := (&exec.Cmd{Path: "/bin/sh", Args: []string{"sh", "-c", "sleep 1000 >/dev/null 2>&1 & echo $!"},
		SysProcAttr: &syscall.SysProcAttr{UseCgroupFD: true, CgroupFD: cg.FD()}}).Output()
	if err != nil {
		t.Fatal(err)
	}
	daemon, err := strconv.Atoi(strings.TrimSpace(string(out)))
	if err != nil {
		t.Fatalf("pid %q: %v", out, err)
	}
	child := filepath.Join(cg.Path, "inner", "deeper")
	if err := os.MkdirAll(child, 0o755); err != nil {
		t.Fatal(err)
	}
	fd, err := syscall.Open(child, syscall.O_RDONLY|syscall.O_DIRECTORY, 0)
	if err != nil {
		t.Fatal(err)
	}
	inner := exec.Command("sleep", "1000")
	inner.SysProcAttr = &syscall.SysProcAttr{UseCgroupFD: true, CgroupFD: fd}
	if err := inner.Start(); err != nil {
		t.Fatal(err)
	}
	syscall.Close(fd)
	waited := make(chan error, 1)
	go func() { waited <- inner.Wait() }()

	left, err := cg.Destroy(5 * time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if left != 2 {
		t.Errorf("Destroy found %d processes, want 2 (the daemonized sleep and the one below)", left)
	}
	select {
	case <-waited:
	case <-time.After(5 * time.Second):
		t.Error("the process in the cgroup below is still alive")
	}
	if err := syscall.Kill(daemon, 0); err == nil {
		// A zombie until init reaps it is dead enough: check its state.
		if b, _ := os.ReadFile("/proc/" + strconv.Itoa(daemon) + "/stat"); !strings.Contains(string(b), ") Z") {
			t.Errorf("the daemonized sleep %d is alive: %s", daemon, b)
		}
	}
	if _, err := os.Stat(cg.Path); !os.IsNotExist(err) {
		t.Errorf("%s still exists (%v)", cg.Path, err)
	}
}
