package probes

import (
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"reflect"
	"sync"
	"testing"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/benchctl/benchctl/probes/syscalls"
)

// fillerCase makes one syscall with known arguments and says which
// parameters its enter and exit events must carry.
type fillerCase struct {
	syscall string
	// run makes the syscall on the traced thread and returns the
	// expected value of every parameter its events carry, by name ("any"
	// accepts any value): each event is checked parameter by parameter,
	// and a parameter the map does not name fails the test.
	run func(t *testing.T) map[string]any
	// match picks our event among this thread's events of the syscall
	// (default: the last one).
	match func(ev syscalls.Event) bool
}

func raw(t *testing.T, nr uintptr, args ...uintptr) int64 {
	t.Helper()
	var a [6]uintptr
	copy(a[:], args)
	r, _, errno := unix.Syscall6(nr, a[0], a[1], a[2], a[3], a[4], a[5])
	if errno != 0 {
		return -int64(errno)
	}
	return int64(r)
}

// cstrings keeps every string cstr handed out reachable, so the memory a
// returned address points to is never freed while a syscall reads it
// (Go's collector does not move objects, only frees unreachable ones).
var (
	cstringsMu sync.Mutex
	cstrings   [][]byte
)

// cstr returns the address of a NUL-terminated copy of s that stays valid
// for the rest of the test binary's life.
func cstr(s string) uintptr {
	b := append([]byte(s), 0)
	cstringsMu.Lock()
	cstrings = append(cstrings, b)
	cstringsMu.Unlock()
	return uintptr(unsafe.Pointer(&b[0]))
}

func fillerCases(t *testing.T) []fillerCase {
	dir := t.TempDir()
	file := filepath.Join(dir, "known-file")
	if err := os.WriteFile(file, []byte("content"), 0o600); err != nil {
		t.Fatal(err)
	}
	var p [2]int
	if err := unix.Pipe2(p[:], unix.O_CLOEXEC); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { unix.Close(p[0]); unix.Close(p[1]) })

	// A TCP listener for connect and accept.
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	lnAddr := netip.MustParseAddrPort(ln.Addr().String())

	// A UDP pair for sendto and recvfrom.
	udp := func() (int, netip.AddrPort) {
		fd, err := unix.Socket(unix.AF_INET, unix.SOCK_DGRAM, 0)
		if err != nil {
			t.Fatal(err)
		}
		if err := unix.Bind(fd, &unix.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}}); err != nil {
			t.Fatal(err)
		}
		sa, _ := unix.Getsockname(fd)
		in := sa.(*unix.SockaddrInet4)
		t.Cleanup(func() { unix.Close(fd) })
		return fd, netip.AddrPortFrom(netip.AddrFrom4(in.Addr), uint16(in.Port))
	}
	udpA, addrA := udp()
	udpB, addrB := udp()
	sockaddrB := [16]byte{2, 0, byte(addrB.Port() >> 8), byte(addrB.Port()), 127, 0, 0, 1}

	// A fresh listener, so accept takes the connection just made and
	// not one queued by an earlier case.
	listen := func(t *testing.T) (int, netip.AddrPort) {
		fd, err := unix.Socket(unix.AF_INET, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { unix.Close(fd) })
		if err := unix.Bind(fd, &unix.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}}); err != nil {
			t.Fatal(err)
		}
		if err := unix.Listen(fd, 4); err != nil {
			t.Fatal(err)
		}
		sa, _ := unix.Getsockname(fd)
		in := sa.(*unix.SockaddrInet4)
		return fd, netip.AddrPortFrom(netip.AddrFrom4(in.Addr), uint16(in.Port))
	}
	dial := func(t *testing.T, to netip.AddrPort) (int, netip.AddrPort) {
		fd, err := unix.Socket(unix.AF_INET, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { unix.Close(fd) })
		if err := unix.Connect(fd, &unix.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}, Port: int(to.Port())}); err != nil {
			t.Fatal(err)
		}
		sa, _ := unix.Getsockname(fd)
		in := sa.(*unix.SockaddrInet4)
		return fd, netip.AddrPortFrom(netip.AddrFrom4(in.Addr), uint16(in.Port))
	}

	// devIno returns what the fillers send as dev and ino for a file: the
	// kernel's own dev_t encoding (major << 20 | minor).
	devIno := func(t *testing.T, path string) (uint32, uint64) {
		var st unix.Stat_t
		if err := unix.Stat(path, &st); err != nil {
			t.Fatal(err)
		}
		return unix.Major(st.Dev)<<20 | unix.Minor(st.Dev), st.Ino
	}
	generic := func(nr uintptr) map[string]any {
		return map[string]any{"id": uint16(nr), "native_id": uint16(nr)}
	}

	return []fillerCase{
		{syscall: "read", run: func(t *testing.T) map[string]any {
			unix.Write(p[1], []byte("hello"))
			buf := make([]byte, 64)
			res := raw(t, unix.SYS_READ, uintptr(p[0]), uintptr(unsafe.Pointer(&buf[0])), 64)
			return map[string]any{"fd": int64(p[0]), "size": uint32(64), "res": res, "data": []byte("hello")}
		}},
		{syscall: "write", run: func(t *testing.T) map[string]any {
			msg := []byte("hello world")
			res := raw(t, unix.SYS_WRITE, uintptr(p[1]), uintptr(unsafe.Pointer(&msg[0])), uintptr(len(msg)))
			unix.Read(p[0], make([]byte, 64))
			return map[string]any{"fd": int64(p[1]), "size": uint32(11), "res": res, "data": msg}
		}},
		{syscall: "close", run: func(t *testing.T) map[string]any {
			fd, _ := unix.Dup(p[0])
			res := raw(t, unix.SYS_CLOSE, uintptr(fd))
			return map[string]any{"fd": int64(fd), "res": res}
		}},
		{syscall: "fcntl", run: func(t *testing.T) map[string]any {
			res := raw(t, unix.SYS_FCNTL, uintptr(p[0]), unix.F_SETFD, unix.FD_CLOEXEC)
			return map[string]any{"fd": int64(p[0]), "cmd": uint8(unix.F_SETFD), "arg": uint64(unix.FD_CLOEXEC), "res": res}
		}},
		{syscall: "epoll_ctl", run: func(t *testing.T) map[string]any {
			ep, _ := unix.EpollCreate1(unix.EPOLL_CLOEXEC)
			defer unix.Close(ep)
			ev := unix.EpollEvent{Events: unix.EPOLLIN}
			raw(t, unix.SYS_EPOLL_CTL, uintptr(ep), unix.EPOLL_CTL_ADD, uintptr(p[0]), uintptr(unsafe.Pointer(&ev)))
			return generic(unix.SYS_EPOLL_CTL)
		}},
		{syscall: "epoll_wait", run: func(t *testing.T) map[string]any {
			ep, _ := unix.EpollCreate1(unix.EPOLL_CLOEXEC)
			defer unix.Close(ep)
			evs := make([]unix.EpollEvent, 4)
			res := raw(t, unix.SYS_EPOLL_WAIT, uintptr(ep), uintptr(unsafe.Pointer(&evs[0])), 4, 0)
			return map[string]any{"maxevents": int64(4), "res": res}
		}},
		{syscall: "epoll_pwait", run: func(t *testing.T) map[string]any {
			ep, _ := unix.EpollCreate1(unix.EPOLL_CLOEXEC)
			defer unix.Close(ep)
			evs := make([]unix.EpollEvent, 3)
			raw(t, unix.SYS_EPOLL_PWAIT, uintptr(ep), uintptr(unsafe.Pointer(&evs[0])), 3, 1, 0, 8)
			return generic(unix.SYS_EPOLL_PWAIT)
		}},
		{syscall: "clock_gettime", run: func(t *testing.T) map[string]any {
			var ts unix.Timespec
			raw(t, unix.SYS_CLOCK_GETTIME, unix.CLOCK_BOOTTIME, uintptr(unsafe.Pointer(&ts)))
			return generic(unix.SYS_CLOCK_GETTIME)
		}},
		{syscall: "gettimeofday", run: func(t *testing.T) map[string]any {
			var tv unix.Timeval
			raw(t, unix.SYS_GETTIMEOFDAY, uintptr(unsafe.Pointer(&tv)), 0)
			return generic(unix.SYS_GETTIMEOFDAY)
		}},
		{syscall: "clock_nanosleep", run: func(t *testing.T) map[string]any {
			ts := unix.Timespec{Nsec: 1000}
			raw(t, unix.SYS_CLOCK_NANOSLEEP, unix.CLOCK_MONOTONIC, 0, uintptr(unsafe.Pointer(&ts)), 0)
			return generic(unix.SYS_CLOCK_NANOSLEEP)
		}},
		{syscall: "socket", run: func(t *testing.T) map[string]any {
			res := raw(t, unix.SYS_SOCKET, unix.AF_INET6, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, unix.IPPROTO_UDP)
			unix.Close(int(res))
			return map[string]any{"domain": uint32(unix.AF_INET6), "type": uint32(unix.SOCK_DGRAM | unix.SOCK_CLOEXEC),
				"proto": uint32(unix.IPPROTO_UDP), "flags": uint32(unix.SOCK_CLOEXEC), "res": res}
		}},
		{syscall: "connect", run: func(t *testing.T) map[string]any {
			fd, err := unix.Socket(unix.AF_INET, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
			if err != nil {
				t.Fatal(err)
			}
			defer unix.Close(fd)
			sa := [16]byte{2, 0, byte(lnAddr.Port() >> 8), byte(lnAddr.Port()), 127, 0, 0, 1}
			res := raw(t, unix.SYS_CONNECT, uintptr(fd), uintptr(unsafe.Pointer(&sa[0])), 16)
			local, _ := unix.Getsockname(fd)
			in := local.(*unix.SockaddrInet4)
			client := netip.AddrPortFrom(netip.AddrFrom4(in.Addr), uint16(in.Port))
			return map[string]any{"fd": int64(fd), "addr": syscalls.SockAddr{Family: 2, Addr: lnAddr},
				"res": res, "tuple": syscalls.Tuple{Family: 2, Src: client, Dst: lnAddr}}
		}},
		{syscall: "sendto", run: func(t *testing.T) map[string]any {
			// udpA has no peer: the tuple's destination is the address
			// the call names.
			msg := []byte("ping over udp")
			res := raw(t, unix.SYS_SENDTO, uintptr(udpA), uintptr(unsafe.Pointer(&msg[0])), uintptr(len(msg)), 0, uintptr(unsafe.Pointer(&sockaddrB[0])), 16)
			unix.Read(udpB, make([]byte, 64))
			return map[string]any{"fd": int64(udpA), "size": uint32(len(msg)), "tuple": syscalls.Tuple{Family: 2, Src: addrA, Dst: addrB},
				"res": res, "data": msg}
		}},
		{syscall: "recvfrom", run: func(t *testing.T) map[string]any {
			unix.Sendto(udpA, []byte("pong"), 0, &unix.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}, Port: int(addrB.Port())})
			buf := make([]byte, 32)
			var from [16]byte
			fromLen := uint32(16)
			res := raw(t, unix.SYS_RECVFROM, uintptr(udpB), uintptr(unsafe.Pointer(&buf[0])), 32, 0, uintptr(unsafe.Pointer(&from[0])), uintptr(unsafe.Pointer(&fromLen)))
			// Inbound: the source is the peer, from the address the
			// kernel wrote for the caller (udpB has no peer of its own).
			return map[string]any{"fd": int64(udpB), "size": uint32(32),
				"res": res, "data": []byte("pong"), "tuple": syscalls.Tuple{Family: 2, Src: addrA, Dst: addrB}}
		}},
		{syscall: "setsockopt", run: func(t *testing.T) map[string]any {
			one := int32(1)
			res := raw(t, unix.SYS_SETSOCKOPT, uintptr(udpA), unix.SOL_SOCKET, unix.SO_REUSEADDR, uintptr(unsafe.Pointer(&one)), 4)
			return map[string]any{"res": res, "fd": int64(udpA), "level": uint8(unix.SOL_SOCKET), "optname": uint8(unix.SO_REUSEADDR),
				"val": []byte{1, 0, 0, 0}, "optlen": uint32(4)}
		}},
		{syscall: "accept", run: func(t *testing.T) map[string]any {
			lfd, server := listen(t)
			_, client := dial(t, server)
			res := raw(t, unix.SYS_ACCEPT, uintptr(lfd), 0, 0)
			if res >= 0 {
				defer unix.Close(int(res))
			}
			return map[string]any{"res": res, "tuple": syscalls.Tuple{Family: 2, Src: client, Dst: server},
				"queuepct": uint8(0), "queuelen": uint32(0), "queuemax": uint32(4)}
		}},
		{syscall: "accept4", run: func(t *testing.T) map[string]any {
			lfd, server := listen(t)
			_, client := dial(t, server)
			res := raw(t, unix.SYS_ACCEPT4, uintptr(lfd), 0, 0, unix.SOCK_CLOEXEC)
			if res >= 0 {
				defer unix.Close(int(res))
			}
			return map[string]any{"flags": uint32(unix.SOCK_CLOEXEC), "res": res, "tuple": syscalls.Tuple{Family: 2, Src: client, Dst: server},
				"queuepct": uint8(0), "queuelen": uint32(0), "queuemax": uint32(4)}
		}},
		{syscall: "open", run: func(t *testing.T) map[string]any {
			res := raw(t, unix.SYS_OPEN, cstr(file), unix.O_RDONLY|unix.O_CLOEXEC, 0)
			unix.Close(int(res))
			dev, ino := devIno(t, file)
			return map[string]any{"name": file, "flags": uint32(unix.O_RDONLY | unix.O_CLOEXEC), "mode": uint32(0),
				"res": res, "dev": dev, "ino": ino}
		}},
		{syscall: "openat", run: func(t *testing.T) map[string]any {
			name := filepath.Join(dir, "created-by-openat")
			res := raw(t, unix.SYS_OPENAT, atFdcwd(), cstr(name), unix.O_CREAT|unix.O_WRONLY|unix.O_CLOEXEC, 0o640)
			unix.Close(int(res))
			dev, ino := devIno(t, name)
			return map[string]any{"dirfd": int64(unix.AT_FDCWD), "name": name, "flags": uint32(unix.O_CREAT | unix.O_WRONLY | unix.O_CLOEXEC),
				"mode": uint32(0o640), "res": res, "dev": dev, "ino": ino}
		}},
		{syscall: "openat2", run: func(t *testing.T) map[string]any {
			how := unix.OpenHow{Flags: unix.O_RDONLY | unix.O_CLOEXEC, Resolve: unix.RESOLVE_NO_SYMLINKS}
			res := raw(t, unix.SYS_OPENAT2, atFdcwd(), cstr(file), uintptr(unsafe.Pointer(&how)), unsafe.Sizeof(how))
			unix.Close(int(res))
			dev, ino := devIno(t, file)
			return map[string]any{"dirfd": int64(unix.AT_FDCWD), "name": file, "flags": uint32(unix.O_RDONLY | unix.O_CLOEXEC),
				"mode": uint32(0), "resolve": uint32(unix.RESOLVE_NO_SYMLINKS), "res": res, "dev": dev, "ino": ino}
		}},
		{syscall: "creat", run: func(t *testing.T) map[string]any {
			name := filepath.Join(dir, "created-by-creat")
			res := raw(t, unix.SYS_CREAT, cstr(name), 0o600)
			unix.Close(int(res))
			dev, ino := devIno(t, name)
			return map[string]any{"name": name, "mode": uint32(0o600), "res": res, "dev": dev, "ino": ino, "creat_flags": uint16(0)}
		}},
		{syscall: "open_by_handle_at", run: func(t *testing.T) map[string]any {
			mountFd, handle := fileHandle(t)
			fd, err := unix.OpenByHandleAt(mountFd, handle, unix.O_RDONLY)
			if err != nil {
				t.Fatal(err)
			}
			var st unix.Stat_t
			if err := unix.Fstat(fd, &st); err != nil {
				t.Fatal(err)
			}
			unix.Close(fd)
			// benchctl does not resolve the opened file's path: empty.
			return map[string]any{"res": int64(fd), "mountfd": int64(mountFd), "flags": uint32(unix.O_RDONLY), "path": nil,
				"dev": unix.Major(st.Dev)<<20 | unix.Minor(st.Dev), "ino": st.Ino}
		}},
		{syscall: "getppid", run: func(t *testing.T) map[string]any {
			raw(t, unix.SYS_GETPPID)
			return generic(unix.SYS_GETPPID)
		}},
	}
}

// TestFillers makes every syscall with a specific filler (and one generic)
// with known arguments, and checks the decoded parameters: the enter and
// exit events in enter_exit, and the one merged exit event in exit_only.
func TestFillers(t *testing.T) {
	requireKernel(t)
	cases := fillerCases(t)
	covered := map[string]bool{}
	for _, tc := range cases {
		covered[tc.syscall] = true
		sc, err := syscalls.Lookup(tc.syscall)
		if err != nil {
			t.Fatal(err)
		}
		for _, mode := range []Mode{ModeEnterExit, ModeExitOnly} {
			t.Run(tc.syscall+"/"+string(mode), func(t *testing.T) {
				var want map[string]any
				got := capture(t, Config{Mode: mode, Syscalls: []string{tc.syscall}}, func() {
					want = tc.run(t)
				})
				var evs []syscalls.Event
				for _, ev := range got.events {
					if ev.Syscall == tc.syscall {
						evs = append(evs, ev)
					}
				}
				if mode == ModeEnterExit {
					if len(evs) < 2 {
						t.Fatalf("got %d events, want an enter and an exit: %+v", len(evs), evs)
					}
					e, x := evs[len(evs)-2], evs[len(evs)-1]
					if e.Dir != "enter" || x.Dir != "exit" || x.Merged {
						t.Fatalf("want enter then exit, got %s then %s (merged %v)", e.Dir, x.Dir, x.Merged)
					}
					checkParams(t, e, sc.Enter, want)
					checkParams(t, x, sc.Exit, want)
					return
				}
				if len(evs) < 1 {
					t.Fatal("no event")
				}
				x := evs[len(evs)-1]
				if x.Dir != "exit" || !x.Merged {
					t.Fatalf("want a merged exit event, got %s (merged %v)", x.Dir, x.Merged)
				}
				for _, ev := range evs {
					if ev.Dir == "enter" {
						t.Fatalf("exit_only sent an enter event: %+v", ev)
					}
				}
				checkParams(t, x, sc.Merged, want)
			})
		}
	}
	tbl := syscalls.Native()
	for _, name := range tbl.Names() {
		if s, _ := tbl.Lookup(name); !s.Generic() && !covered[s.Name] {
			t.Errorf("syscall %s has a specific filler but no test case", s.Name)
		}
	}
}

// checkParams checks that ev carries exactly params, in order, each with
// the value want gives it.
func checkParams(t *testing.T, ev syscalls.Event, params []syscalls.Param, want map[string]any) {
	t.Helper()
	if len(ev.Params) != len(params) {
		t.Fatalf("%s %s: %d params, want %d", ev.Syscall, ev.Dir, len(ev.Params), len(params))
	}
	for i, p := range params {
		v := ev.Params[i]
		if v.Name != p.Name {
			t.Errorf("%s %s: parameter %d is %s, want %s", ev.Syscall, ev.Dir, i, v.Name, p.Name)
			continue
		}
		w, ok := want[p.Name]
		if !ok {
			t.Errorf("%s %s: the test case gives no value for %s (got %#v)", ev.Syscall, ev.Dir, p.Name, v.Val)
			continue
		}
		if w == "any" {
			continue
		}
		if !reflect.DeepEqual(v.Val, w) {
			t.Errorf("%s %s: %s = %#v, want %#v", ev.Syscall, ev.Dir, p.Name, v.Val, w)
		}
	}
}

func atFdcwd() uintptr {
	fd := unix.AT_FDCWD
	return uintptr(fd)
}
