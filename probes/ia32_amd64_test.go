package probes

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"golang.org/x/sys/unix"
)

// ia32Getpid and ia32Writev: getpid is 20 in the 32-bit table, and 20 is
// writev in the 64-bit one.
const ia32Getpid = 20

// int80Env makes the test binary, re-executed, make one 32-bit getpid
// and print what it returned (see ia32Emulation).
const int80Env = "BENCHCTL_TEST_INT80"

func int80Child() int {
	fmt.Println(int80(ia32Getpid, 0, 0, 0))
	return 0
}

// ia32Emulation tells whether this kernel runs 32-bit syscalls made with
// int 0x80, and if not, why. The answer comes from a child that makes one:
// the kernel's configuration is not enough, since a kernel built with
// CONFIG_IA32_EMULATION=y may still turn it off at boot (ia32_emulation=0)
// or at run time, and then int 0x80 faults (SIGSEGV) rather than failing
// with -ENOSYS, which would kill this test binary.
func ia32Emulation(t *testing.T) (bool, string) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), int80Env+"=1")
	out, err := cmd.Output()
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			return false, fmt.Sprintf("int 0x80 killed a child with %v: ia32 emulation is off in this kernel", ws.Signal())
		}
		if ee.ExitCode() == 2 && strings.Contains(string(ee.Stderr), "SIGSEGV") {
			return false, fmt.Sprintf("int 0x80 faulted in a child: ia32 emulation is off in this kernel (%s)", firstLine(string(ee.Stderr)))
		}
	}
	if err != nil {
		t.Fatalf("the int 0x80 child failed: %v (stderr %q)", err, firstLine(stderrOf(err)))
	}
	got, err := strconv.Atoi(strings.TrimSpace(string(out)))
	if err != nil {
		t.Fatalf("the int 0x80 child printed %q", out)
	}
	if got == -int(unix.ENOSYS) {
		return false, "int 0x80 returned -ENOSYS: this kernel has no ia32 emulation"
	}
	if got != cmd.Process.Pid {
		t.Fatalf("a 32-bit getpid in the child returned %d, want its pid %d", got, cmd.Process.Pid)
	}
	return true, ""
}

func firstLine(s string) string {
	s, _, _ = strings.Cut(strings.TrimSpace(s), "\n")
	return s
}

func stderrOf(err error) string {
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return string(ee.Stderr)
	}
	return ""
}

// TestIa32Skipped makes getpid as a 32-bit syscall, which sys_enter and
// sys_exit report with number 20. Read with the 64-bit table that is
// writev: before the dispatchers told ia32 calls apart, tracing writev
// showed a writev that never happened. Now none shows, and the call is
// counted as skipped. Where the kernel runs no 32-bit syscalls it skips
// with the reason; the 6.1 and 6.12 guests of make test-kernels run it.
func TestIa32Skipped(t *testing.T) {
	requireKernel(t)
	if unix.SYS_WRITEV != ia32Getpid {
		t.Skip("writev is not 20 here")
	}
	if ok, why := ia32Emulation(t); !ok {
		t.Skip(why)
	}
	for _, mode := range []Mode{ModeEnterExit, ModeExitOnly} {
		t.Run(string(mode), func(t *testing.T) {
			var pid int32
			got := capture(t, Config{Mode: mode, Syscalls: []string{"writev"}}, func() {
				for i := 0; i < 3; i++ {
					pid = int80(ia32Getpid, 0, 0, 0)
				}
			})
			if int(pid) != unix.Getpid() {
				t.Fatalf("int 0x80 getpid returned %d, want %d", pid, unix.Getpid())
			}
			for _, ev := range got.events {
				t.Errorf("a 32-bit getpid was traced as %s %s: %+v", ev.Syscall, ev.Dir, ev.Params)
			}
			if got.snap.Counters.Ia32Skipped < 3 {
				t.Errorf("ia32_skipped = %d, want at least the 3 calls", got.snap.Counters.Ia32Skipped)
			}
		})
	}
}
