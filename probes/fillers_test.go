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
)

// fillerCase makes one syscall with known arguments and says which
// parameters its enter and exit events must carry.
type fillerCase struct {
	syscall string
	// run makes the syscall on the traced thread and returns the
	// expected enter and exit parameters (exit without res unless res
	// is checked: set "res" in exit to check it).
	run func(t *testing.T) (enter, exit map[string]any)
	// match picks our event among this thread's events of the syscall
	// (default: the last one).
	match func(ev Event) bool
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

	return []fillerCase{
		{syscall: "read", run: func(t *testing.T) (map[string]any, map[string]any) {
			unix.Write(p[1], []byte("hello"))
			buf := make([]byte, 64)
			res := raw(t, unix.SYS_READ, uintptr(p[0]), uintptr(unsafe.Pointer(&buf[0])), 64)
			return map[string]any{"fd": int64(p[0]), "size": uint64(64)}, map[string]any{"res": res, "data": []byte("hello")}
		}},
		{syscall: "write", run: func(t *testing.T) (map[string]any, map[string]any) {
			msg := []byte("hello world")
			res := raw(t, unix.SYS_WRITE, uintptr(p[1]), uintptr(unsafe.Pointer(&msg[0])), uintptr(len(msg)))
			unix.Read(p[0], make([]byte, 64))
			return map[string]any{"fd": int64(p[1]), "size": uint64(11)}, map[string]any{"res": int64(11), "data": msg[:res]}
		}},
		{syscall: "close", run: func(t *testing.T) (map[string]any, map[string]any) {
			fd, _ := unix.Dup(p[0])
			res := raw(t, unix.SYS_CLOSE, uintptr(fd))
			return map[string]any{"fd": int64(fd)}, map[string]any{"res": res}
		}},
		{syscall: "fcntl", run: func(t *testing.T) (map[string]any, map[string]any) {
			res := raw(t, unix.SYS_FCNTL, uintptr(p[0]), unix.F_GETFD)
			return map[string]any{"fd": int64(p[0]), "cmd": uint32(unix.F_GETFD)}, map[string]any{"res": res}
		}},
		{syscall: "epoll_ctl", run: func(t *testing.T) (map[string]any, map[string]any) {
			ep, _ := unix.EpollCreate1(unix.EPOLL_CLOEXEC)
			defer unix.Close(ep)
			ev := unix.EpollEvent{Events: unix.EPOLLIN}
			res := raw(t, unix.SYS_EPOLL_CTL, uintptr(ep), unix.EPOLL_CTL_ADD, uintptr(p[0]), uintptr(unsafe.Pointer(&ev)))
			return map[string]any{"epfd": int64(ep), "op": uint32(unix.EPOLL_CTL_ADD), "fd": int64(p[0])}, map[string]any{"res": res}
		}},
		{syscall: "epoll_wait", run: func(t *testing.T) (map[string]any, map[string]any) {
			ep, _ := unix.EpollCreate1(unix.EPOLL_CLOEXEC)
			defer unix.Close(ep)
			evs := make([]unix.EpollEvent, 4)
			res := raw(t, unix.SYS_EPOLL_WAIT, uintptr(ep), uintptr(unsafe.Pointer(&evs[0])), 4, 0)
			return map[string]any{"epfd": int64(ep), "maxevents": uint32(4), "timeout": int64(0)}, map[string]any{"res": res}
		}},
		{syscall: "epoll_pwait", run: func(t *testing.T) (map[string]any, map[string]any) {
			ep, _ := unix.EpollCreate1(unix.EPOLL_CLOEXEC)
			defer unix.Close(ep)
			evs := make([]unix.EpollEvent, 3)
			res := raw(t, unix.SYS_EPOLL_PWAIT, uintptr(ep), uintptr(unsafe.Pointer(&evs[0])), 3, 1, 0, 8)
			return map[string]any{"epfd": int64(ep), "maxevents": uint32(3), "timeout": int64(1)}, map[string]any{"res": res}
		}},
		{syscall: "clock_gettime", run: func(t *testing.T) (map[string]any, map[string]any) {
			var ts unix.Timespec
			res := raw(t, unix.SYS_CLOCK_GETTIME, unix.CLOCK_BOOTTIME, uintptr(unsafe.Pointer(&ts)))
			return map[string]any{"clockid": uint32(unix.CLOCK_BOOTTIME)}, map[string]any{"res": res}
		}},
		{syscall: "gettimeofday", run: func(t *testing.T) (map[string]any, map[string]any) {
			var tv unix.Timeval
			res := raw(t, unix.SYS_GETTIMEOFDAY, uintptr(unsafe.Pointer(&tv)), 0)
			return map[string]any{}, map[string]any{"res": res}
		}},
		{syscall: "clock_nanosleep", run: func(t *testing.T) (map[string]any, map[string]any) {
			ts := unix.Timespec{Nsec: 1000}
			res := raw(t, unix.SYS_CLOCK_NANOSLEEP, unix.CLOCK_MONOTONIC, 0, uintptr(unsafe.Pointer(&ts)), 0)
			return map[string]any{"clockid": uint32(unix.CLOCK_MONOTONIC), "flags": uint32(0)}, map[string]any{"res": res}
		}},
		{syscall: "socket", run: func(t *testing.T) (map[string]any, map[string]any) {
			res := raw(t, unix.SYS_SOCKET, unix.AF_INET6, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, unix.IPPROTO_UDP)
			unix.Close(int(res))
			return map[string]any{"domain": uint32(unix.AF_INET6), "type": uint32(unix.SOCK_DGRAM | unix.SOCK_CLOEXEC), "proto": uint32(unix.IPPROTO_UDP)}, map[string]any{"res": res}
		}},
		{syscall: "connect", run: func(t *testing.T) (map[string]any, map[string]any) {
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
			return map[string]any{"fd": int64(fd), "addr": SockAddr{Family: 2, Addr: lnAddr}},
				map[string]any{"res": res, "tuple": Tuple{Family: 2, Client: client, Server: lnAddr}}
		}},
		{syscall: "sendto", run: func(t *testing.T) (map[string]any, map[string]any) {
			msg := []byte("ping over udp")
			res := raw(t, unix.SYS_SENDTO, uintptr(udpA), uintptr(unsafe.Pointer(&msg[0])), uintptr(len(msg)), 0, uintptr(unsafe.Pointer(&sockaddrB[0])), 16)
			unix.Read(udpB, make([]byte, 64))
			return map[string]any{"fd": int64(udpA), "size": uint64(len(msg)), "addr": SockAddr{Family: 2, Addr: addrB}},
				map[string]any{"res": res, "data": msg}
		}},
		{syscall: "recvfrom", run: func(t *testing.T) (map[string]any, map[string]any) {
			unix.Sendto(udpA, []byte("pong"), 0, &unix.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}, Port: int(addrB.Port())})
			buf := make([]byte, 32)
			var from [16]byte
			fromLen := uint32(16)
			res := raw(t, unix.SYS_RECVFROM, uintptr(udpB), uintptr(unsafe.Pointer(&buf[0])), 32, 0, uintptr(unsafe.Pointer(&from[0])), uintptr(unsafe.Pointer(&fromLen)))
			return map[string]any{"fd": int64(udpB), "size": uint64(32)},
				map[string]any{"res": res, "data": []byte("pong"), "addr": SockAddr{Family: 2, Addr: addrA}}
		}},
		{syscall: "setsockopt", run: func(t *testing.T) (map[string]any, map[string]any) {
			one := int32(1)
			res := raw(t, unix.SYS_SETSOCKOPT, uintptr(udpA), unix.SOL_SOCKET, unix.SO_REUSEADDR, uintptr(unsafe.Pointer(&one)), 4)
			return map[string]any{"fd": int64(udpA), "level": uint32(unix.SOL_SOCKET), "optname": uint32(unix.SO_REUSEADDR), "size": uint64(4)}, map[string]any{"res": res}
		}},
		{syscall: "accept", run: func(t *testing.T) (map[string]any, map[string]any) {
			lfd, server := listen(t)
			_, client := dial(t, server)
			res := raw(t, unix.SYS_ACCEPT, uintptr(lfd), 0, 0)
			if res >= 0 {
				defer unix.Close(int(res))
			}
			return map[string]any{"fd": int64(lfd)}, map[string]any{"res": res, "tuple": Tuple{Family: 2, Client: client, Server: server}}
		}},
		{syscall: "accept4", run: func(t *testing.T) (map[string]any, map[string]any) {
			lfd, server := listen(t)
			_, client := dial(t, server)
			res := raw(t, unix.SYS_ACCEPT4, uintptr(lfd), 0, 0, unix.SOCK_CLOEXEC)
			if res >= 0 {
				defer unix.Close(int(res))
			}
			return map[string]any{"fd": int64(lfd), "flags": uint32(unix.SOCK_CLOEXEC)}, map[string]any{"res": res, "tuple": Tuple{Family: 2, Client: client, Server: server}}
		}},
		{syscall: "open", run: func(t *testing.T) (map[string]any, map[string]any) {
			res := raw(t, unix.SYS_OPEN, cstr(file), unix.O_RDONLY|unix.O_CLOEXEC, 0)
			unix.Close(int(res))
			return map[string]any{"name": file, "flags": uint32(unix.O_RDONLY | unix.O_CLOEXEC), "mode": uint32(0)}, map[string]any{"res": res}
		}},
		{syscall: "openat", run: func(t *testing.T) (map[string]any, map[string]any) {
			name := filepath.Join(dir, "created-by-openat")
			res := raw(t, unix.SYS_OPENAT, atFdcwd(), cstr(name), unix.O_CREAT|unix.O_WRONLY|unix.O_CLOEXEC, 0o640)
			unix.Close(int(res))
			return map[string]any{"dirfd": int64(unix.AT_FDCWD), "name": name, "flags": uint32(unix.O_CREAT | unix.O_WRONLY | unix.O_CLOEXEC), "mode": uint32(0o640)}, map[string]any{"res": res}
		}},
		{syscall: "openat2", run: func(t *testing.T) (map[string]any, map[string]any) {
			how := unix.OpenHow{Flags: unix.O_RDONLY | unix.O_CLOEXEC, Resolve: unix.RESOLVE_NO_SYMLINKS}
			res := raw(t, unix.SYS_OPENAT2, atFdcwd(), cstr(file), uintptr(unsafe.Pointer(&how)), unsafe.Sizeof(how))
			unix.Close(int(res))
			return map[string]any{"dirfd": int64(unix.AT_FDCWD), "name": file, "flags": uint32(unix.O_RDONLY | unix.O_CLOEXEC), "mode": uint32(0), "resolve": uint64(unix.RESOLVE_NO_SYMLINKS)}, map[string]any{"res": res}
		}},
		{syscall: "creat", run: func(t *testing.T) (map[string]any, map[string]any) {
			name := filepath.Join(dir, "created-by-creat")
			res := raw(t, unix.SYS_CREAT, cstr(name), 0o600)
			unix.Close(int(res))
			return map[string]any{"name": name, "mode": uint32(0o600)}, map[string]any{"res": res}
		}},
		{syscall: "open_by_handle_at", run: func(t *testing.T) (map[string]any, map[string]any) {
			mountFd, handle := fileHandle(t)
			fd, err := unix.OpenByHandleAt(mountFd, handle, unix.O_RDONLY)
			if err != nil {
				t.Fatal(err)
			}
			unix.Close(fd)
			return map[string]any{"fd": int64(mountFd), "flags": uint32(unix.O_RDONLY)}, map[string]any{"res": int64(fd)}
		}},
		{syscall: "getppid", run: func(t *testing.T) (map[string]any, map[string]any) {
			res := raw(t, unix.SYS_GETPPID)
			return map[string]any{"args": "any"}, map[string]any{"res": res}
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
		for _, mode := range []Mode{ModeEnterExit, ModeExitOnly} {
			t.Run(tc.syscall+"/"+string(mode), func(t *testing.T) {
				var enter, exit map[string]any
				got := capture(t, Config{Mode: mode, Syscalls: []string{tc.syscall}}, func() {
					enter, exit = tc.run(t)
				})
				var evs []Event
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
					checkParams(t, e, enter)
					checkParams(t, x, exit)
					checkOrder(t, x, Native().byName[tc.syscall].Exit)
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
				checkParams(t, x, enter)
				checkParams(t, x, exit)
				checkOrder(t, x, Native().byName[tc.syscall].Merged())
			})
		}
	}
	for _, s := range specific {
		if !covered[s.Name] {
			t.Errorf("syscall %s has a specific filler but no test case", s.Name)
		}
	}
}

func checkParams(t *testing.T, ev Event, want map[string]any) {
	t.Helper()
	for name, w := range want {
		v, ok := ev.Param(name)
		if !ok {
			t.Errorf("%s %s: no parameter %q", ev.Syscall, ev.Dir, name)
			continue
		}
		if w == "any" {
			continue
		}
		if !reflect.DeepEqual(v.Val, w) {
			t.Errorf("%s %s: %s = %#v, want %#v", ev.Syscall, ev.Dir, name, v.Val, w)
		}
	}
}

func checkOrder(t *testing.T, ev Event, params []Param) {
	t.Helper()
	if len(ev.Params) != len(params) {
		t.Fatalf("%s: %d params, want %d", ev.Syscall, len(ev.Params), len(params))
	}
	if ev.Params[0].Name != "res" {
		t.Errorf("%s exit: first parameter is %s, want res", ev.Syscall, ev.Params[0].Name)
	}
	for i, p := range params {
		if ev.Params[i].Name != p.Name {
			t.Errorf("%s: parameter %d is %s, want %s", ev.Syscall, i, ev.Params[i].Name, p.Name)
		}
	}
}

func atFdcwd() uintptr {
	fd := unix.AT_FDCWD
	return uintptr(fd)
}
