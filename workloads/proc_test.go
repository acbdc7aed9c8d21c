package workloads

import (
	"context"
	"errors"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
)

func TestTailBuffer(t *testing.T) {
	b := newTailBuffer(10)
	b.Write([]byte("abc"))
	b.Write([]byte("defg"))
	if got := b.String(); got != "abcdefg" || b.Truncated() {
		t.Fatalf("got %q truncated=%v, want abcdefg untruncated", got, b.Truncated())
	}
	b.Write([]byte("hijk"))
	if got := b.String(); got != "bcdefghijk" || !b.Truncated() {
		t.Fatalf("got %q truncated=%v, want bcdefghijk truncated", got, b.Truncated())
	}
	b.Write([]byte("0123456789ABC"))
	if got := b.String(); got != "3456789ABC" {
		t.Fatalf("got %q, want 3456789ABC", got)
	}
}

func TestLastLines(t *testing.T) {
	in := "one\ntwo\r\n\n  \nthree\nfour\n"
	if got := lastLines(in, 2); got != "three\nfour" {
		t.Errorf("lastLines(2) = %q", got)
	}
	if got := lastLines(in, 10); got != "one\ntwo\nthree\nfour" {
		t.Errorf("lastLines(10) = %q", got)
	}
	if got := lastLines("", 3); got != "" {
		t.Errorf("lastLines of empty = %q", got)
	}
}

func TestStartChildOwnGroupAndOutput(t *testing.T) {
	out := newTailBuffer(1024)
	cmd := exec.Command("sh", "-c", `echo out; echo err >&2; cut -d" " -f5 /proc/$$/stat`)
	cmd.Stdout, cmd.Stderr = out, out
	c, err := startChild(cmd)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.wait(context.Background()); err != nil {
		t.Fatal(err)
	}
	lines := strings.Fields(out.String())
	if len(lines) != 3 || lines[0] != "out" || lines[1] != "err" {
		t.Fatalf("output = %q", out.String())
	}
	if pgid, _ := strconv.Atoi(lines[2]); pgid != c.pid {
		t.Errorf("child's process group is %s, want its own pid %d", lines[2], c.pid)
	}
	if c.exited.IsZero() {
		t.Error("exit time not recorded")
	}
}

func TestStartChildCancelKillsGroup(t *testing.T) {
	dir := t.TempDir()
	pidFile := filepath.Join(dir, "pid")
	// The shell starts a grandchild in the same group and waits for it.
	cmd := exec.Command("sh", "-c", `sleep 60 & echo $! > `+pidFile+`; wait`)
	c, err := startChild(cmd)
	if err != nil {
		t.Fatal(err)
	}
	grandchild, _ := strconv.Atoi(waitForFile(t, pidFile))
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	err = c.wait(ctx)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("wait error = %v, want context.Canceled", err)
	}
	if alive(c.pid) {
		t.Errorf("child %d still alive", c.pid)
	}
	waitGone(t, grandchild) // reparented to init: reaped asynchronously
	if groupAlive(c.pid) {
		t.Errorf("process group %d still has live members", c.pid)
	}
}

// The child of a process killed with SIGKILL must die with it.
func TestStartChildPdeathsig(t *testing.T) {
	pidFile := filepath.Join(t.TempDir(), "pid")
	helper := helperCommand("child-sleep:" + pidFile)
	if err := helper.Start(); err != nil {
		t.Fatal(err)
	}
	defer helper.Process.Kill()
	pid, _ := strconv.Atoi(waitForFile(t, pidFile))
	if !alive(pid) {
		t.Fatalf("sleep %d not running before the parent was killed", pid)
	}
	if err := helper.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = helper.Wait()
	waitGone(t, pid)
}

func TestDescribeExit(t *testing.T) {
	err := exec.Command("sh", "-c", "exit 7").Run()
	if got := describeExit(err).Error(); got != "exit status 7" {
		t.Errorf("describeExit = %q", got)
	}
	err = exec.Command("sh", "-c", "kill -9 $$").Run()
	if got := describeExit(err).Error(); got != "killed by signal killed" {
		t.Errorf("describeExit = %q", got)
	}
}
