package probes

import (
	"errors"
	"os"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/cilium/ebpf"
	"golang.org/x/sys/unix"

	"github.com/benchctl/benchctl/probes/syscalls"
)

// requireKernel skips a test that loads probes when this process cannot.
// CI runs as root, so there these tests run for real.
func requireKernel(t testing.TB) {
	t.Helper()
	if testing.Short() {
		t.Skip("-short runs no probes, no redis and no tracers")
	}
	if os.Geteuid() != 0 {
		t.Skip("loading BPF programs needs root (CI runs as root)")
	}
	if err := CheckEnvironment(); err != nil {
		t.Skipf("this machine cannot load probes: %v", err)
	}
}

// capture loads probes, runs fn on one locked OS thread, and returns the
// decoded events that thread produced, with the final stats.
type captured struct {
	events   []syscalls.Event
	user     ConsumerStats
	snap     Snapshot
	progIDs  []ebpf.ProgramID
	attempts uint64
}

func capture(t *testing.T, cfg Config, fn func()) captured {
	t.Helper()
	p, err := Load(cfg)
	if err != nil {
		t.Fatalf("loading %s: %+v", cfg.Mode, err)
	}
	defer p.Close()
	var (
		mu     sync.Mutex
		events []syscalls.Event
		tid    = make(chan int, 1)
	)
	var want int
	c, err := p.StartConsumer(ConsumerOptions{OnEvent: func(ev syscalls.Event) {
		mu.Lock()
		defer mu.Unlock()
		if int(ev.Tid) == want {
			events = append(events, ev)
		}
	}})
	if err != nil {
		t.Fatalf("starting consumer: %v", err)
	}
	done := make(chan struct{})
	release := make(chan struct{})
	defer close(release)
	go func() {
		// The thread stays locked until the probes are detached, so no
		// other goroutine's syscalls are attributed to it.
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
		tid <- unix.Gettid()
		<-done
		func() {
			// Sent even when fn calls t.Fatal (runtime.Goexit).
			defer func() { done <- struct{}{} }()
			fn()
		}()
		<-release
	}()
	mu.Lock()
	want = <-tid
	mu.Unlock()
	done <- struct{}{}
	<-done
	if err := p.Detach(); err != nil {
		t.Fatal(err)
	}
	snap, err := p.Snapshot()
	if err != nil {
		t.Fatal(err)
	}
	user, err := c.Stop()
	if err != nil {
		t.Fatal(err)
	}
	ids := p.ProgramIDs()
	if err := p.Close(); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	return captured{events: events, user: user, snap: snap, progIDs: ids}
}

// requireGone checks that none of the given programs is still loaded.
func requireGone(t *testing.T, ids []ebpf.ProgramID) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for _, id := range ids {
		for {
			prog, err := ebpf.NewProgramFromID(id)
			if errors.Is(err, os.ErrNotExist) {
				break
			}
			if err == nil {
				prog.Close()
			}
			if time.Now().After(deadline) {
				t.Fatalf("program %d is still loaded after Close", id)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
}

func TestModesLoadAttachRunClose(t *testing.T) {
	requireKernel(t)
	closeStats, _, err := EnableStats()
	if err != nil {
		t.Fatal(err)
	}
	defer closeStats.Close()
	for _, mode := range Modes {
		t.Run(string(mode), func(t *testing.T) {
			got := capture(t, Config{Mode: mode, Syscalls: []string{"getppid"}}, func() {
				for i := 0; i < 100; i++ {
					unix.Getppid()
				}
			})
			switch mode {
			case ModeNone:
				if len(got.snap.Programs) != 0 || len(got.progIDs) != 0 {
					t.Fatalf("mode none loaded programs: %+v", got.snap.Programs)
				}
				return
			case ModeFloor:
				if got.user.Events != 0 {
					t.Errorf("floor sent %d events", got.user.Events)
				}
			case ModeEnterExit:
				if len(got.events) != 200 {
					t.Errorf("enter_exit: %d events from 100 getppid calls, want 200", len(got.events))
				}
			case ModeExitOnly:
				if len(got.events) != 100 {
					t.Errorf("exit_only: %d events from 100 getppid calls, want 100", len(got.events))
				}
			}
			if len(got.snap.Programs) == 0 {
				t.Fatal("no program stats")
			}
			for _, ps := range got.snap.Programs {
				if ps.RunCount < 100 || ps.RunTimeNs == 0 {
					t.Errorf("%s: run_cnt %d run_time_ns %d after 100 syscalls", ps.Name, ps.RunCount, ps.RunTimeNs)
				}
			}
			requireGone(t, got.progIDs)
		})
	}
}

// TestExactCounts: nothing else on the machine calls open_by_handle_at, so
// N calls give exactly 2N events (enter_exit) or N (exit_only), and the
// kernel counters agree with what userspace received.
func TestExactCounts(t *testing.T) {
	requireKernel(t)
	mountFd, handle := fileHandle(t)
	const n = 1000
	for _, tc := range []struct {
		mode Mode
		want uint64
	}{{ModeEnterExit, 2 * n}, {ModeExitOnly, n}} {
		t.Run(string(tc.mode), func(t *testing.T) {
			got := capture(t, Config{Mode: tc.mode, Syscalls: []string{"open_by_handle_at"}}, func() {
				for i := 0; i < n; i++ {
					fd, err := unix.OpenByHandleAt(mountFd, handle, unix.O_RDONLY)
					if err != nil {
						t.Error(err)
						return
					}
					unix.Close(fd)
				}
			})
			k := got.snap.Counters
			if k.Attempted != tc.want {
				t.Errorf("kernel attempted %d events, want %d", k.Attempted, tc.want)
			}
			if got.user.Events+k.Drops() != k.Attempted {
				t.Errorf("received %d + dropped %d != attempted %d", got.user.Events, k.Drops(), k.Attempted)
			}
			if k.Drops() != 0 {
				t.Errorf("%d drops with an 8 MiB ring", k.Drops())
			}
			if uint64(len(got.events)) != tc.want {
				t.Errorf("decoded %d events of this thread, want %d", len(got.events), tc.want)
			}
			key := "open_by_handle_at_exit"
			if got.user.PerType[key] != n {
				t.Errorf("per type %s = %d, want %d (all: %v)", key, got.user.PerType[key], n, got.user.PerType)
			}
		})
	}
}

func fileHandle(t *testing.T) (int, unix.FileHandle) {
	t.Helper()
	dir := t.TempDir()
	path := dir + "/f"
	if err := os.WriteFile(path, []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	handle, _, err := unix.NameToHandleAt(unix.AT_FDCWD, path, 0)
	if err != nil {
		t.Skipf("name_to_handle_at not supported here: %v", err)
	}
	mountFd, err := unix.Open(dir, unix.O_RDONLY|unix.O_DIRECTORY, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { unix.Close(mountFd) })
	return mountFd, handle
}

// TestOverload: a one-page ring buffer under a storm of events must drop,
// and received + dropped must still equal attempted exactly.
func TestOverload(t *testing.T) {
	requireKernel(t)
	got := capture(t, Config{Mode: ModeEnterExit, Syscalls: []string{"getppid"}, RingSize: os.Getpagesize()}, func() {
		for i := 0; i < 200000; i++ {
			unix.Getppid()
		}
	})
	k := got.snap.Counters
	if k.DropsFull == 0 {
		t.Fatalf("no drops with a %d-byte ring under 400k events (attempted %d)", os.Getpagesize(), k.Attempted)
	}
	if got.user.Events+k.Drops() != k.Attempted {
		t.Fatalf("received %d + dropped %d != attempted %d", got.user.Events, k.Drops(), k.Attempted)
	}
	t.Logf("attempted %d, received %d, dropped %d", k.Attempted, got.user.Events, k.Drops())
}
