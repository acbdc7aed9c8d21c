package probes

import (
	"os"
	"os/exec"
	"os/signal"
	"reflect"
	"runtime"
	"sync"
	"testing"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/benchctl/benchctl/probes/syscalls"
)

// collectAll loads cfg, runs fn, and returns every event of the given
// syscall, from any process.
func collectAll(t *testing.T, cfg Config, syscallName string, fn func()) []syscalls.Event {
	t.Helper()
	p, err := Load(cfg)
	if err != nil {
		t.Fatalf("loading %s: %+v", cfg.Mode, err)
	}
	defer p.Close()
	var (
		mu  sync.Mutex
		evs []syscalls.Event
	)
	c, err := p.StartConsumer(ConsumerOptions{OnEvent: func(ev syscalls.Event) {
		if ev.Syscall != syscallName {
			return
		}
		ev.Raw = nil
		mu.Lock()
		evs = append(evs, ev)
		mu.Unlock()
	}})
	if err != nil {
		t.Fatal(err)
	}
	fn()
	if err := p.Detach(); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Stop(); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	return evs
}

// TestMergedExecve: a successful execve has replaced the registers by the
// time sys_exit runs, so its merged event must carry nothing read from
// them. Generic events are Falco's: the syscall's number twice, no
// arguments (before, the merged event sent the new program's zeroed
// registers as the call's six arguments).
func TestMergedExecve(t *testing.T) {
	requireKernel(t)
	truePath, err := exec.LookPath("true")
	if err != nil {
		t.Skip("no true(1) on this machine")
	}
	missing := cstr("/nonexistent/benchctl-execve-test")
	argv := []uintptr{missing, 0}
	var child int
	var failedRes int64
	evs := collectAll(t, Config{Mode: ModeExitOnly, Syscalls: []string{"execve"}}, "execve", func() {
		cmd := exec.Command(truePath)
		if err := cmd.Start(); err != nil {
			t.Error(err)
			return
		}
		child = cmd.Process.Pid
		cmd.Wait()
		failedRes = raw(t, unix.SYS_EXECVE, missing, uintptr(unsafe.Pointer(&argv[0])), 0)
	})
	if failedRes != -int64(unix.ENOENT) {
		t.Fatalf("execve of a missing file returned %d, want -ENOENT", failedRes)
	}
	want := []syscalls.Value{{Name: "id", Type: syscalls.PTU16, Val: uint16(unix.SYS_EXECVE)}, {Name: "native_id", Type: syscalls.PTU16, Val: uint16(unix.SYS_EXECVE)}}
	sawChild, sawSelf := false, false
	for _, ev := range evs {
		if !ev.Merged {
			t.Errorf("exit_only sent a %s event that is not merged", ev.Dir)
		}
		switch int(ev.Pid) {
		case child:
			sawChild = true
		case os.Getpid():
			sawSelf = true
		default:
			continue
		}
		if !reflect.DeepEqual(ev.Params, want) {
			t.Errorf("execve of pid %d: %+v, want %+v", ev.Pid, ev.Params, want)
		}
	}
	if !sawChild || !sawSelf {
		t.Errorf("execve events: from the child %v, from the failed call %v, want both (%d events)", sawChild, sawSelf, len(evs))
	}
}

// TestRtSigreturnHasNoExit pins what the docs say of rt_sigreturn: it
// sets orig_ax to -1, so sys_exit carries no syscall number for it and
// only its enter event exists.
func TestRtSigreturnHasNoExit(t *testing.T) {
	requireKernel(t)
	for _, mode := range []Mode{ModeEnterExit, ModeExitOnly} {
		t.Run(string(mode), func(t *testing.T) {
			notify := make(chan os.Signal, 16)
			signal.Notify(notify, unix.SIGUSR1)
			defer signal.Stop(notify)
			evs := collectAll(t, Config{Mode: mode, Syscalls: []string{"rt_sigreturn"}}, "rt_sigreturn", func() {
				// A signal sent with tgkill to the calling thread is
				// handled on that thread before tgkill returns to Go,
				// so each handler's rt_sigreturn has run when the loop
				// goes on. With kill(2) the kernel may pick another
				// thread, whose rt_sigreturn can come after the probe
				// is detached (CI saw 4 of 5 that way).
				runtime.LockOSThread()
				defer runtime.UnlockOSThread()
				for i := 0; i < 5; i++ {
					if err := unix.Tgkill(unix.Getpid(), unix.Gettid(), unix.SIGUSR1); err != nil {
						t.Error(err)
						return
					}
					select {
					case <-notify:
					case <-time.After(2 * time.Second):
						t.Error("SIGUSR1 not delivered")
					}
				}
			})
			enters, exits := 0, 0
			for _, ev := range evs {
				if unix.Getpid() != int(ev.Pid) {
					continue
				}
				if ev.Dir == "enter" {
					enters++
				} else {
					exits++
				}
			}
			if exits != 0 {
				t.Errorf("%d rt_sigreturn exit events, want none", exits)
			}
			if mode == ModeEnterExit && enters < 5 {
				t.Errorf("%d rt_sigreturn enter events for 5 signals", enters)
			}
		})
	}
}
