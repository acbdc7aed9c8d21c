package probes

import (
	"context"
	"os"
	"os/exec"
	"syscall"
	"testing"

	"golang.org/x/sys/unix"
)

// countHelperEnv makes TestCountHelperProcess, in a re-executed test
// binary, make countCalls calls of the syscall it names.
const countHelperEnv = "BENCHCTL_TEST_COUNT_HELPER"

const countCalls = 1000

// TestCountHelperProcess is the other process of the fingerprint tests.
func TestCountHelperProcess(t *testing.T) {
	switch os.Getenv(countHelperEnv) {
	case "getppid":
		for range countCalls {
			unix.Getppid()
		}
	case "getsid":
		for range countCalls {
			_, _ = unix.Getsid(0)
		}
	default:
		t.Skip("run by the fingerprint tests")
	}
}

// countHelper returns the test binary, re-executed to make countCalls
// calls of name (getppid or getsid).
func countHelper(name string) *exec.Cmd {
	cmd := exec.Command(os.Args[0], "-test.run=^TestCountHelperProcess$")
	cmd.Env = append(os.Environ(), countHelperEnv+"="+name)
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	return cmd
}

// TestCountSyscallsCgroup: the fingerprint of a workload in a cgroup
// counts that cgroup's syscalls, not those another process makes
// outside it at the same time. Each side makes its own syscall
// (getppid inside, getsid outside), so what the rest of a busy machine
// does changes neither figure.
func TestCountSyscallsCgroup(t *testing.T) {
	requireKernel(t)
	cg, err := NewCgroup("benchctl-test-count")
	if err != nil {
		t.Fatal(err)
	}
	defer cg.Close()
	counts, err := CountSyscalls(context.Background(), CountOptions{CgroupFD: cg.FD()}, func(context.Context) error {
		inside := countHelper("getppid")
		inside.SysProcAttr.UseCgroupFD, inside.SysProcAttr.CgroupFD = true, cg.FD()
		if err := inside.Start(); err != nil {
			return err
		}
		// Outside the cgroup, while the workload runs (or before it got
		// going: all of it is inside the counting window either way).
		outside := countHelper("getsid")
		outErr := outside.Run()
		for range countCalls {
			_, _ = unix.Getsid(0)
		}
		if err := inside.Wait(); err != nil {
			return err
		}
		return outErr
	})
	if err != nil {
		t.Fatalf("counting: %+v", err)
	}
	if counts["getppid"] < countCalls {
		t.Errorf("getppid counted %d times, want at least the workload's %d", counts["getppid"], countCalls)
	}
	if counts["getsid"] != 0 {
		t.Errorf("getsid counted %d times: made outside the cgroup (%d by another process, %d by the test), it must not count", counts["getsid"], countCalls, countCalls)
	}
}

// TestCountSyscallsProcess: the fingerprint of the built-in generator,
// whose threads are benchctl's, counts benchctl's process only, not a
// process making syscalls beside it.
func TestCountSyscallsProcess(t *testing.T) {
	requireKernel(t)
	counts, err := CountSyscalls(context.Background(), CountOptions{Pid: os.Getpid()}, func(context.Context) error {
		other := countHelper("getsid")
		if err := other.Start(); err != nil {
			return err
		}
		for range countCalls {
			unix.Getppid()
		}
		return other.Wait()
	})
	if err != nil {
		t.Fatalf("counting: %+v", err)
	}
	if counts["getppid"] < countCalls {
		t.Errorf("getppid counted %d times, want at least this process's %d", counts["getppid"], countCalls)
	}
	if counts["getsid"] != 0 {
		t.Errorf("getsid counted %d times: another process made them, they must not count", counts["getsid"])
	}
}
