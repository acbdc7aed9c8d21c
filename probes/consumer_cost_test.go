package probes

import (
	"runtime"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/benchctl/benchctl/probes/syscalls"
)

func ev(dir string, merged bool, tid uint32, nr int, name string, ts uint64, params ...syscalls.Value) syscalls.Event {
	return syscalls.Event{Ts: ts, Pid: 100, Tid: tid, Nr: nr, Syscall: name, Dir: dir, Merged: merged, Params: params}
}

func TestStatefulJoinsEnterWithExit(t *testing.T) {
	s := newStateful()
	// Two threads with an enter in flight each: the table holds two.
	s.event(ev("enter", false, 1, 0, "read", 10, syscalls.Value{Name: "fd", Val: int64(3)}))
	s.event(ev("enter", false, 2, 1, "write", 11, syscalls.Value{Name: "fd", Val: int64(4)}))
	s.event(ev("exit", false, 1, 0, "read", 20, syscalls.Value{Name: "res", Val: int64(64)}))
	s.event(ev("exit", false, 2, 1, "write", 21, syscalls.Value{Name: "res", Val: int64(8)}))
	// An exit whose enter was never seen.
	s.event(ev("exit", false, 3, 0, "read", 30, syscalls.Value{Name: "res", Val: int64(1)}))
	if s.peak != 2 || len(s.pending) != 0 {
		t.Errorf("table peak %d, held %d; want 2, 0", s.peak, len(s.pending))
	}
	if s.joined != 2 || s.unmatched != 1 {
		t.Errorf("joined %d, unmatched %d; want 2, 1", s.joined, s.unmatched)
	}
	// The exit's fd came from its enter: the fd table knows fd 3's bytes.
	if f := s.fds[fdKey{100, 3}]; f == nil || f.bytes != 64 || f.ops != 1 {
		t.Errorf("fd 3 state %+v, want 64 bytes in one op", f)
	}
	if th := s.threads[1]; th == nil || th.latencyNs != 10 || th.syscalls != 1 {
		t.Errorf("thread 1 state %+v, want one syscall of 10 ns", th)
	}
}

func TestStatefulExitOnlyNeedsNoTable(t *testing.T) {
	s := newStateful()
	s.event(ev("exit", true, 1, 257, "openat", 10, syscalls.Value{Name: "res", Val: int64(5)}))
	s.event(ev("exit", true, 1, 0, "read", 20, syscalls.Value{Name: "res", Val: int64(9)}, syscalls.Value{Name: "fd", Val: int64(5)}))
	if f := s.fds[fdKey{100, 5}]; f == nil || f.bytes != 9 || f.openedBy != 257 {
		t.Errorf("fd 5 state %+v, want opened by openat, 9 bytes", f)
	}
	s.event(ev("exit", true, 1, 3, "close", 30, syscalls.Value{Name: "res", Val: int64(0)}, syscalls.Value{Name: "fd", Val: int64(5)}))
	if _, ok := s.fds[fdKey{100, 5}]; ok {
		t.Error("close left fd 5 in the table")
	}
	if s.peak != 0 || s.joined != 0 || s.unmatched != 0 {
		t.Errorf("merged events used the table: peak %d joined %d unmatched %d", s.peak, s.joined, s.unmatched)
	}
	if s.threads[1].syscalls != 3 {
		t.Errorf("thread 1 counted %d syscalls, want 3", s.threads[1].syscalls)
	}
}

// TestSpinTakesItsDuration checks that a spin lasts at least its
// duration and is busy: it burns the CPU time it lasts, less what the
// scheduler gave to others (so only the lower bound on wall time is exact).
func TestSpinTakesItsDuration(t *testing.T) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	const per, n = 20 * time.Microsecond, 1000
	t0, cpu0 := time.Now(), threadCPU()
	for range n {
		spin(per)
	}
	wall, cpu := time.Since(t0), threadCPU()-cpu0
	if wall < n*per {
		t.Errorf("%d spins of %s took %s, less than %s", n, per, wall, n*per)
	}
	if cpu <= 0 {
		t.Errorf("spinning took no CPU time (%s)", cpu)
	}
	t.Logf("%d spins of %s: %s wall, %s CPU", n, per, wall, cpu)
}

// TestStatefulConsumerOnRealProbes traces a pipe's write+read in both
// modes with the stateful consumer: with enter_exit every exit of this
// thread is joined with its enter, which the table held; exit_only's
// merged events leave the table empty.
func TestStatefulConsumerOnRealProbes(t *testing.T) {
	requireKernel(t)
	const n = 2000
	for _, mode := range []Mode{ModeEnterExit, ModeExitOnly} {
		t.Run(string(mode), func(t *testing.T) {
			p, err := Load(Config{Mode: mode, Syscalls: []string{"write", "read"}, RingSize: 4 << 20})
			if err != nil {
				t.Fatal(err)
			}
			defer p.Close()
			c, err := p.StartConsumer(ConsumerOptions{Cost: ConsumerCost{Stateful: true, Spin: time.Microsecond}})
			if err != nil {
				t.Fatal(err)
			}
			var fds [2]int
			if err := unix.Pipe(fds[:]); err != nil {
				t.Fatal(err)
			}
			buf := make([]byte, 16)
			for range n {
				unix.Write(fds[1], buf)
				unix.Read(fds[0], buf)
			}
			unix.Close(fds[0])
			unix.Close(fds[1])
			if err := p.Detach(); err != nil {
				t.Fatal(err)
			}
			snap, err := p.Snapshot()
			if err != nil {
				t.Fatal(err)
			}
			st, err := c.Stop()
			if err != nil {
				t.Fatal(err)
			}
			if st.Cost != "stateful + spin 1µs" {
				t.Errorf("cost %q", st.Cost)
			}
			if d := snap.Counters.Drops(); d != 0 {
				t.Fatalf("%d drops: the test's counts need none", d)
			}
			exits := st.PerType["write_exit"] + st.PerType["read_exit"]
			switch mode {
			case ModeEnterExit:
				// Other processes' reads and writes count too; this
				// thread's 2n are joined at least.
				if st.Joined < 2*n || st.TablePeak < 1 {
					t.Errorf("joined %d (want >= %d), table peak %d (want >= 1)", st.Joined, 2*n, st.TablePeak)
				}
				if st.Joined+st.Unmatched != exits {
					t.Errorf("joined %d + unmatched %d != %d exits", st.Joined, st.Unmatched, exits)
				}
			case ModeExitOnly:
				if st.TablePeak != 0 || st.Joined != 0 {
					t.Errorf("exit_only used the table: peak %d, joined %d", st.TablePeak, st.Joined)
				}
				if exits < 2*n {
					t.Errorf("%d exits, want >= %d", exits, 2*n)
				}
			}
			if st.Threads == 0 {
				t.Error("no thread state kept")
			}
		})
	}
}
