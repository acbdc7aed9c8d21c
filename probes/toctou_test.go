package probes

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/benchctl/benchctl/probes/syscalls"
)

// The TOCTOU proof. A thread calls a path syscall on a FIFO, which blocks
// inside the kernel after the kernel copied the path; the test waits until
// /proc says the thread is inside that syscall, overwrites the path buffer
// with another path of the same length, then opens the FIFO's other end to
// release the call. The kernel opened the original path; only the probes
// that read it at enter (or stash it there) can report it. connect does
// the same on a unix socket whose listener's backlog is full: connect
// blocks until the listener accepts.

// waitInSyscall waits until thread tid is blocked inside syscall nr.
func waitInSyscall(t *testing.T, tid int, nr int) {
	t.Helper()
	path := fmt.Sprintf("/proc/self/task/%d/syscall", tid)
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		b, _ := os.ReadFile(path)
		if f := strings.Fields(string(b)); len(f) > 0 && f[0] == fmt.Sprint(nr) {
			return
		}
		time.Sleep(time.Millisecond)
	}
	t.Fatalf("thread %d never blocked in syscall %d", tid, nr)
}

type raceCase struct {
	syscall string
	param   string // the parameter the race targets
	// start makes the blocking call with buf as the path (or sockaddr)
	// and returns its result; release unblocks it.
	prepare func(t *testing.T)
	start   func(buf []byte) int64
	release func(t *testing.T)
	// original and rewritten are what buf holds before and after the race
	// (as decoded: a path, or a unix sockaddr's string).
	original, rewritten string
}

func raceCases(t *testing.T) []raceCase {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "fifo-A")
	other := filepath.Join(dir, "fifo-B")
	for _, p := range []string{fifo, other} {
		if err := unix.Mkfifo(p, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	openOther := func(flags int) func(t *testing.T) {
		return func(t *testing.T) {
			fd, err := unix.Open(fifo, flags|unix.O_NONBLOCK|unix.O_CLOEXEC, 0)
			if err != nil {
				t.Errorf("releasing the FIFO: %v", err)
				return
			}
			unix.Close(fd)
		}
	}
	ptr := func(b []byte) uintptr { return uintptr(unsafe.Pointer(&b[0])) }
	ret := func(r uintptr, _ uintptr, e unix.Errno) int64 {
		if e != 0 {
			return -int64(e)
		}
		unix.Close(int(r))
		return int64(r)
	}
	cases := []raceCase{
		{syscall: "open", param: "name", start: func(b []byte) int64 {
			return ret(unix.Syscall(unix.SYS_OPEN, ptr(b), unix.O_RDONLY|unix.O_CLOEXEC, 0))
		}, release: openOther(unix.O_WRONLY)},
		{syscall: "openat", param: "name", start: func(b []byte) int64 {
			return ret(unix.Syscall6(unix.SYS_OPENAT, atFdcwd(), ptr(b), unix.O_RDONLY|unix.O_CLOEXEC, 0, 0, 0))
		}, release: openOther(unix.O_WRONLY)},
		{syscall: "openat2", param: "name", start: func(b []byte) int64 {
			how := unix.OpenHow{Flags: unix.O_RDONLY | unix.O_CLOEXEC}
			return ret(unix.Syscall6(unix.SYS_OPENAT2, atFdcwd(), ptr(b), uintptr(unsafe.Pointer(&how)), unsafe.Sizeof(how), 0, 0))
		}, release: openOther(unix.O_WRONLY)},
		// creat opens for writing, which blocks until there is a reader.
		{syscall: "creat", param: "name", start: func(b []byte) int64 {
			return ret(unix.Syscall(unix.SYS_CREAT, ptr(b), 0o600, 0))
		}, release: openOther(unix.O_RDONLY)},
	}
	for i := range cases {
		cases[i].original, cases[i].rewritten = fifo, other
	}

	// connect: a unix listener with backlog 0 holds one pending connection;
	// the next blocking connect waits until the listener accepts.
	sockA := filepath.Join(dir, "sock-A")
	sockB := filepath.Join(dir, "sock-B")
	ln, err := unix.Socket(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { unix.Close(ln) })
	if err := unix.Bind(ln, &unix.SockaddrUnix{Name: sockA}); err != nil {
		t.Fatal(err)
	}
	if err := unix.Listen(ln, 0); err != nil {
		t.Fatal(err)
	}
	var held []int
	t.Cleanup(func() {
		for _, fd := range held {
			unix.Close(fd)
		}
	})
	cases = append(cases, raceCase{syscall: "connect", param: "addr",
		original: "unix:" + sockA, rewritten: "unix:" + sockB,
		// One pending connection fills the backlog of 0.
		prepare: func(t *testing.T) {
			fd, _ := unix.Socket(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC|unix.SOCK_NONBLOCK, 0)
			if err := unix.Connect(fd, &unix.SockaddrUnix{Name: sockA}); err != nil {
				t.Fatalf("filling the backlog: %v", err)
			}
			held = append(held, fd)
		},
		start: func(b []byte) int64 {
			fd, err := unix.Socket(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
			if err != nil {
				return -1
			}
			r, _, e := unix.Syscall(unix.SYS_CONNECT, uintptr(fd), ptr(b), uintptr(len(b)))
			unix.Close(fd)
			if e != 0 {
				return -int64(e)
			}
			return int64(r)
		},
		// Accepting the pending connection lets the blocked one in;
		// accept that one too, to leave the backlog empty.
		release: func(t *testing.T) {
			for i := 0; i < 2; i++ {
				fd, _, err := unix.Accept(ln)
				if err != nil {
					t.Errorf("accept: %v", err)
					return
				}
				unix.Close(fd)
			}
		}})
	return cases
}

func sockaddrUnix(path string) []byte {
	b := make([]byte, 2+len(path)+1)
	b[0] = unix.AF_UNIX
	copy(b[2:], path)
	return b
}

// TestTOCTOURace runs each race under each mode and checks which path the
// events report: exit_only with toctou none reports the rewritten one (the
// race is real), stash reports the original in the exit event, enter_event
// reports it in its enter event, and enter_exit in the enter event.
func TestTOCTOURace(t *testing.T) {
	requireKernel(t)
	if err := ensureTracefs(); err != nil {
		t.Skip(err)
	}
	for _, rc := range raceCases(t) {
		for _, mc := range []struct {
			name   string
			mode   Mode
			toctou TOCTOU
		}{
			{"enter_exit", ModeEnterExit, TOCTOUNone},
			{"exit_only-none", ModeExitOnly, TOCTOUNone},
			{"exit_only-stash", ModeExitOnly, TOCTOUStash},
			{"exit_only-enter_event", ModeExitOnly, TOCTOUEnterEvent},
		} {
			t.Run(rc.syscall+"/"+mc.name, func(t *testing.T) {
				if rc.prepare != nil {
					rc.prepare(t)
				}
				var buf []byte
				if rc.syscall == "connect" {
					buf = sockaddrUnix(strings.TrimPrefix(rc.original, "unix:"))
				} else {
					buf = append([]byte(rc.original), 0)
				}
				sc, err := syscalls.Lookup(rc.syscall)
				if err != nil {
					t.Fatal(err)
				}
				nr := sc.Nr
				var res int64
				got := capture(t, Config{Mode: mc.mode, TOCTOU: mc.toctou, Syscalls: []string{rc.syscall}}, func() {
					tid := unix.Gettid()
					done := make(chan struct{})
					go func() {
						defer close(done)
						waitInSyscall(t, tid, nr)
						// The kernel holds its copy; rewrite ours.
						if rc.syscall == "connect" {
							copy(buf, sockaddrUnix(strings.TrimPrefix(rc.rewritten, "unix:")))
						} else {
							copy(buf, rc.rewritten)
						}
						rc.release(t)
					}()
					res = rc.start(buf)
					<-done
				})
				if res < 0 {
					t.Fatalf("%s returned %d", rc.syscall, res)
				}
				var enter, exit *syscalls.Event
				for i := range got.events {
					ev := &got.events[i]
					if ev.Syscall != rc.syscall {
						continue
					}
					if ev.Dir == "enter" {
						enter = ev
					} else {
						exit = ev
					}
				}
				if exit == nil {
					t.Fatalf("no exit event among %d", len(got.events))
				}
				param := func(ev *syscalls.Event) string {
					v, ok := ev.Param(rc.param)
					if !ok {
						t.Fatalf("%s %s has no %s", ev.Syscall, ev.Dir, rc.param)
					}
					return v.Format()
				}
				switch {
				case mc.mode == ModeEnterExit || mc.toctou == TOCTOUEnterEvent:
					if enter == nil {
						t.Fatal("no enter event")
					}
					if p := param(enter); p != rc.original {
						t.Errorf("enter event reports %s %q, want the original %q", rc.param, p, rc.original)
					}
				case mc.toctou == TOCTOUStash:
					if enter != nil {
						t.Errorf("stash sent an enter event")
					}
					if p := param(exit); p != rc.original {
						t.Errorf("stash: exit reports %s %q, want the original %q", rc.param, p, rc.original)
					}
				case mc.toctou == TOCTOUNone:
					if p := param(exit); p != rc.rewritten {
						t.Errorf("toctou none: exit reports %s %q, want the rewritten %q (the race did not happen?)", rc.param, p, rc.rewritten)
					}
				}
				if rc.syscall == "connect" {
					v, _ := exit.Param("tuple")
					if tu, ok := v.Val.(syscalls.Tuple); !ok || "unix:"+tu.Path != rc.original {
						t.Errorf("tuple = %v, want the listener's real path %s", v.Val, rc.original)
					}
				}
			})
		}
	}
}

// TestStashConsumed: every stash entry is disarmed by the exit filler that
// uses it, so after many opens from one thread no entry is armed and the
// thread has one entry, not one per call; the map is an LRU hash, so the
// entry of a thread that is gone is evicted when the map fills instead of
// staying for ever.
func TestStashConsumed(t *testing.T) {
	requireKernel(t)
	if err := ensureTracefs(); err != nil {
		t.Skip(err)
	}
	stats, _, err := EnableStats()
	if err != nil {
		t.Fatal(err)
	}
	defer stats.Close()
	p, err := Load(Config{Mode: ModeExitOnly, TOCTOU: TOCTOUStash, Syscalls: []string{"openat", "open"}})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	c, err := p.StartConsumer(ConsumerOptions{})
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	for i := 0; i < 2000; i++ {
		fd, err := unix.Open(filepath.Join(dir, fmt.Sprint("f", i%10)), unix.O_CREAT|unix.O_RDWR|unix.O_CLOEXEC, 0o600)
		if err != nil {
			t.Fatal(err)
		}
		unix.Close(fd)
	}
	p.Detach()
	snap, _ := p.Snapshot()
	u, _ := c.Stop()
	m := p.coll.Maps["stash_map"]
	if m.Type().String() != "LRUHash" {
		t.Errorf("stash map is %s, want an LRU hash", m.Type())
	}
	var key uint64
	var val stashValue
	entries, armed := 0, 0
	for it := m.Iterate(); it.Next(&key, &val); {
		entries++
		if val.Armed != 0 {
			armed++
		}
	}
	if armed != 0 {
		t.Errorf("%d stash entries still armed after the opens returned", armed)
	}
	if entries == 0 || entries > 64 {
		t.Errorf("%d stash entries after 2000 opens from one goroutine, want a few (one per thread)", entries)
	}
	var toctouRuns uint64
	for _, ps := range snap.Programs {
		if strings.HasPrefix(ps.Name, "toctou_") {
			toctouRuns += ps.RunCount
			if ps.AttachPoint != "tracepoint/syscalls/sys_enter_"+strings.TrimPrefix(ps.Name, "toctou_") {
				t.Errorf("%s attached at %s", ps.Name, ps.AttachPoint)
			}
		}
	}
	if u.Events < 2000 {
		t.Errorf("received %d events for 2000 opens", u.Events)
	}
	if toctouRuns < 2000 {
		t.Errorf("the toctou programs ran %d times for 2000 opens", toctouRuns)
	}
}

// stashValue mirrors struct stash for iterating the map.
type stashValue struct {
	Nr, Armed, Len, _ uint32
	Args              [6]uint64
	How               [3]uint64
	Data              [4096]byte
}
