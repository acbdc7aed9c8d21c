package probes

import (
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/benchctl/benchctl/probes/syscalls"
)

// TestCgroupFilterFollowsChildCgroups: a process the traced command puts
// into a cgroup below the traced one (as a container runtime or
// systemd-run does) stays traced; a process in a sibling cgroup is not.
func TestCgroupFilterFollowsChildCgroups(t *testing.T) {
	requireKernel(t)
	cg, err := NewCgroup("benchctl-test-filter")
	if err != nil {
		t.Fatal(err)
	}
	defer cg.Close()
	child := filepath.Join(cg.Path, "child")
	if err := os.Mkdir(child, 0o755); err != nil {
		t.Fatal(err)
	}
	defer os.Remove(child)
	childFD, err := unix.Open(child, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(childFD)
	sibling, err := NewCgroup("benchctl-test-filter-sibling")
	if err != nil {
		t.Fatal(err)
	}
	defer sibling.Close()

	// enter_event: the per-syscall tracepoint programs filter too, and
	// send an enter event besides the merged exit.
	for _, tc := range []struct {
		toctou TOCTOU
		per    int
	}{{TOCTOUNone, 1}, {TOCTOUEnterEvent, 2}} {
		t.Run(string(tc.toctou), func(t *testing.T) {
			p, err := Load(Config{Mode: ModeExitOnly, TOCTOU: tc.toctou, Syscalls: []string{"openat"}, CgroupID: cg.ID, CgroupFD: cg.FD()})
			if err != nil {
				t.Fatalf("loading: %+v", err)
			}
			defer p.Close()
			dir := t.TempDir()
			paths := map[string]string{"traced": filepath.Join(dir, "traced"), "child": filepath.Join(dir, "child"), "sibling": filepath.Join(dir, "sibling")}
			var mu sync.Mutex
			seen := map[string]int{}
			c, err := p.StartConsumer(ConsumerOptions{OnEvent: func(ev syscalls.Event) {
				if v, ok := ev.Param("name"); ok {
					for k, path := range paths {
						if v.Format() == path {
							mu.Lock()
							seen[k]++
							mu.Unlock()
						}
					}
				}
			}})
			if err != nil {
				t.Fatal(err)
			}
			for k, fd := range map[string]int{"traced": cg.FD(), "child": childFD, "sibling": sibling.FD()} {
				cmd := exec.Command("cat", paths[k]) // a missing file: one failing openat naming it
				cmd.SysProcAttr = &syscall.SysProcAttr{UseCgroupFD: true, CgroupFD: fd, Pdeathsig: syscall.SIGKILL}
				_ = cmd.Run()
			}
			if err := p.Detach(); err != nil {
				t.Fatal(err)
			}
			if _, err := c.Stop(); err != nil {
				t.Fatal(err)
			}
			if seen["traced"] != tc.per || seen["child"] != tc.per || seen["sibling"] != 0 {
				t.Fatalf("events naming each path: %v; want traced %d, child %d (a cgroup below the traced one), sibling 0", seen, tc.per, tc.per)
			}
		})
	}
}

// TestThreadFilter: probes loaded with ThreadFilter send the events of the
// thread TraceThread names, from the call on, and nothing from the other
// threads (a busy one makes the same syscall all along).
func TestThreadFilter(t *testing.T) {
	requireKernel(t)
	p, err := Load(Config{Mode: ModeEnterExit, Syscalls: []string{"getppid"}, ThreadFilter: true})
	if err != nil {
		t.Fatalf("loading: %+v", err)
	}
	defer p.Close()
	c, err := p.StartConsumer(ConsumerOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var stop atomic.Bool
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { // another thread, making the traced syscall all along
		defer wg.Done()
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
		for !stop.Load() {
			unix.Getppid()
		}
	}()
	runtime.LockOSThread()
	for range 100 {
		unix.Getppid() // before the filter names this thread
	}
	const calls = 1000
	if err := p.TraceThread(unix.Gettid()); err != nil {
		t.Fatal(err)
	}
	for range calls {
		unix.Getppid()
	}
	if err := p.TraceThread(0); err != nil {
		t.Fatal(err)
	}
	for range 100 {
		unix.Getppid()
	}
	runtime.UnlockOSThread()
	stop.Store(true)
	wg.Wait()
	if err := p.Detach(); err != nil {
		t.Fatal(err)
	}
	st, err := c.Stop()
	if err != nil {
		t.Fatal(err)
	}
	if got := st.PerType["getppid_enter"] + st.PerType["getppid_exit"]; got != 2*calls || st.Events != 2*calls {
		t.Fatalf("received %d getppid events (%d in all), want %d: the enter and exit of the %d calls the filter let through", got, st.Events, 2*calls, calls)
	}
	q, err := Load(Config{Mode: ModeEnterExit, Syscalls: []string{"getppid"}})
	if err != nil {
		t.Fatal(err)
	}
	defer q.Close()
	if err := q.TraceThread(1); err == nil {
		t.Error("TraceThread on probes loaded without ThreadFilter: no error")
	}
}
