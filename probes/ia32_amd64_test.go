package probes

import (
	"testing"

	"golang.org/x/sys/unix"
)

// ia32Getpid and ia32Writev: getpid is 20 in the 32-bit table, and 20 is
// writev in the 64-bit one.
const ia32Getpid = 20

// TestIa32Skipped makes getpid as a 32-bit syscall, which sys_enter and
// sys_exit report with number 20. Read with the 64-bit table that is
// writev: before the dispatchers told ia32 calls apart, tracing writev
// showed a writev that never happened. Now none shows, and the call is
// counted as skipped.
func TestIa32Skipped(t *testing.T) {
	requireKernel(t)
	if unix.SYS_WRITEV != ia32Getpid {
		t.Skip("writev is not 20 here")
	}
	for _, mode := range []Mode{ModeEnterExit, ModeExitOnly} {
		t.Run(string(mode), func(t *testing.T) {
			var pid int32
			got := capture(t, Config{Mode: mode, Syscalls: []string{"writev"}}, func() {
				for i := 0; i < 3; i++ {
					pid = int80(ia32Getpid, 0, 0, 0)
				}
			})
			if pid == -int32(unix.ENOSYS) {
				t.Skip("this kernel has no ia32 emulation")
			}
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
