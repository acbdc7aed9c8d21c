package workloads

import (
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"unsafe"

	"golang.org/x/sys/unix"
)

// FidelitySyscalls are the syscalls FidelityCalls makes: every syscall
// with a filler of its own, plus generic ones. Some exist on x86-64 only
// (open, creat, epoll_wait): FidelityCalls skips what the architecture
// lacks.
var FidelitySyscalls = []string{
	"read", "write", "close", "fcntl", "epoll_wait", "socket", "connect", "sendto",
	"recvfrom", "setsockopt", "accept", "accept4", "open", "openat", "openat2", "creat",
	"open_by_handle_at", "getpid", "epoll_ctl", "clock_nanosleep", "gettimeofday", "clock_gettime",
}

// FidelityCalls makes each syscall of FidelitySyscalls with known
// arguments, on the calling goroutine's OS thread (it locks it), the
// successful call and at least one that fails: a read of a closed fd, a
// refused connect, an open of a missing path, a short address, ...
// mark, when set, is called with the thread's id right before the first
// call (start true) and right after the last (start false), while the
// thread is still locked: the thread runs other goroutines before and
// after. Files go in dir. Each call's result is what the kernel says;
// FidelityCalls fails only when it cannot set up.
func FidelityCalls(dir string, mark func(tid int, start bool)) (err error) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	if mark != nil {
		tid := unix.Gettid()
		mark(tid, true)
		defer mark(tid, false)
	}
	var closers []int
	defer func() {
		for _, fd := range closers {
			unix.Close(fd)
		}
	}()
	keep := func(fd int) int {
		closers = append(closers, fd)
		return fd
	}
	sys := func(nr uintptr, args ...uintptr) int {
		var a [6]uintptr
		copy(a[:], args)
		r, _, errno := unix.Syscall6(nr, a[0], a[1], a[2], a[3], a[4], a[5])
		if errno != 0 {
			return -int(errno)
		}
		return int(r)
	}
	ptr := func(b []byte) uintptr { return uintptr(unsafe.Pointer(&b[0])) }
	cstr := func(s string) []byte { return append([]byte(s), 0) }

	// Files.
	file := filepath.Join(dir, "fidelity-file")
	if err := os.WriteFile(file, []byte("fidelity"), 0o600); err != nil {
		return err
	}
	fileC, missingC := cstr(file), cstr(filepath.Join(dir, "missing", "file"))
	var p [2]int
	if err := unix.Pipe2(p[:], unix.O_CLOEXEC|unix.O_NONBLOCK); err != nil {
		return err
	}
	keep(p[0])
	keep(p[1])

	// Sockets: a TCP listener, a closed port, a UDP pair.
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		return err
	}
	defer ln.Close()
	lnPort := ln.Addr().(*net.TCPAddr).Port
	closed, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		return err
	}
	closedPort := closed.Addr().(*net.TCPAddr).Port
	closed.Close()
	sockaddr4 := func(port int) []byte {
		return []byte{2, 0, byte(port >> 8), byte(port), 127, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0}
	}
	udp := func() (int, int, error) {
		fd, err := unix.Socket(unix.AF_INET, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC|unix.SOCK_NONBLOCK, 0)
		if err != nil {
			return -1, 0, err
		}
		keep(fd)
		if err := unix.Bind(fd, &unix.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}}); err != nil {
			return -1, 0, err
		}
		sa, err := unix.Getsockname(fd)
		if err != nil {
			return -1, 0, err
		}
		return fd, sa.(*unix.SockaddrInet4).Port, nil
	}
	udpA, _, err := udp()
	if err != nil {
		return err
	}
	udpB, portB, err := udp()
	if err != nil {
		return err
	}
	listener := func() (int, int, error) {
		fd, err := unix.Socket(unix.AF_INET, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
		if err != nil {
			return -1, 0, err
		}
		keep(fd)
		if err := unix.Bind(fd, &unix.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}}); err != nil {
			return -1, 0, err
		}
		if err := unix.Listen(fd, 8); err != nil {
			return -1, 0, err
		}
		sa, _ := unix.Getsockname(fd)
		return fd, sa.(*unix.SockaddrInet4).Port, nil
	}
	dial := func(port int) error {
		fd, err := unix.Socket(unix.AF_INET, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
		if err != nil {
			return err
		}
		keep(fd)
		return unix.Connect(fd, &unix.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}, Port: port})
	}

	buf := make([]byte, 64)
	nr, ok := fidelityNumbers()
	if !ok {
		return fmt.Errorf("the fidelity workload has no syscall numbers for %s", runtime.GOARCH)
	}

	// read, write: data, an empty pipe (EAGAIN), a closed fd (EBADF).
	msg := []byte("hello fidelity")
	sys(unix.SYS_WRITE, uintptr(p[1]), ptr(msg), uintptr(len(msg)))
	sys(unix.SYS_READ, uintptr(p[0]), ptr(buf), uintptr(len(buf)))
	sys(unix.SYS_READ, uintptr(p[0]), ptr(buf), uintptr(len(buf)))
	sys(unix.SYS_READ, 1<<20, ptr(buf), 8)
	sys(unix.SYS_WRITE, 1<<20, ptr(msg), uintptr(len(msg)))
	// close: a duplicate, then the same fd again (EBADF).
	if d, err := unix.Dup(p[0]); err == nil {
		sys(unix.SYS_CLOSE, uintptr(d))
		sys(unix.SYS_CLOSE, uintptr(d))
	}
	// fcntl: set a flag, a bad fd.
	sys(unix.SYS_FCNTL, uintptr(p[0]), unix.F_SETFD, unix.FD_CLOEXEC)
	sys(unix.SYS_FCNTL, 1<<20, unix.F_GETFL)
	// epoll: ctl (generic), wait with no event, wait on a bad fd.
	ep, err := unix.EpollCreate1(unix.EPOLL_CLOEXEC)
	if err != nil {
		return err
	}
	keep(ep)
	ev := unix.EpollEvent{Events: unix.EPOLLIN}
	sys(unix.SYS_EPOLL_CTL, uintptr(ep), unix.EPOLL_CTL_ADD, uintptr(p[0]), uintptr(unsafe.Pointer(&ev)))
	evs := make([]unix.EpollEvent, 4)
	if nr.epollWait >= 0 {
		sys(uintptr(nr.epollWait), uintptr(ep), uintptr(unsafe.Pointer(&evs[0])), 4, 0)
		sys(uintptr(nr.epollWait), 1<<20, uintptr(unsafe.Pointer(&evs[0])), 4, 0)
	}
	// socket: a good one, an unknown family (EAFNOSUPPORT).
	if fd := sys(unix.SYS_SOCKET, unix.AF_INET6, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0); fd >= 0 {
		keep(fd)
	}
	sys(unix.SYS_SOCKET, 4242, unix.SOCK_STREAM, 0)
	// connect: accepted, refused, a short address (EINVAL).
	for _, c := range []struct {
		port    int
		addrlen uintptr
	}{{lnPort, 16}, {closedPort, 16}, {lnPort, 4}} {
		fd, err := unix.Socket(unix.AF_INET, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
		if err != nil {
			return err
		}
		keep(fd)
		sa := sockaddr4(c.port)
		sys(unix.SYS_CONNECT, uintptr(fd), ptr(sa), c.addrlen)
	}
	// sendto and recvfrom: a datagram each way, then an empty socket
	// (EAGAIN) and a bad fd.
	saB := sockaddr4(portB)
	sys(unix.SYS_SENDTO, uintptr(udpA), ptr(msg), uintptr(len(msg)), 0, ptr(saB), 16)
	from := make([]byte, 16)
	fromLen := uint32(16)
	sys(unix.SYS_RECVFROM, uintptr(udpB), ptr(buf), uintptr(len(buf)), 0, ptr(from), uintptr(unsafe.Pointer(&fromLen)))
	sys(unix.SYS_RECVFROM, uintptr(udpB), ptr(buf), uintptr(len(buf)), 0, 0, 0)
	sys(unix.SYS_SENDTO, 1<<20, ptr(msg), uintptr(len(msg)), 0, 0, 0)
	// setsockopt: an int option, an unknown level (ENOPROTOOPT).
	one := int32(1)
	sys(unix.SYS_SETSOCKOPT, uintptr(udpA), unix.SOL_SOCKET, unix.SO_REUSEADDR, uintptr(unsafe.Pointer(&one)), 4)
	sys(unix.SYS_SETSOCKOPT, uintptr(udpA), 4242, 1, uintptr(unsafe.Pointer(&one)), 4)
	// accept, accept4: a waiting connection each, then a socket that
	// does not listen (EINVAL).
	for _, four := range []bool{false, true} {
		lfd, port, err := listener()
		if err != nil {
			return err
		}
		if err := dial(port); err != nil {
			return err
		}
		var fd int
		if four {
			fd = sys(unix.SYS_ACCEPT4, uintptr(lfd), 0, 0, unix.SOCK_CLOEXEC)
			sys(unix.SYS_ACCEPT4, uintptr(udpA), 0, 0, 0)
		} else if nr.accept >= 0 {
			fd = sys(uintptr(nr.accept), uintptr(lfd), 0, 0)
			sys(uintptr(nr.accept), uintptr(udpA), 0, 0)
		}
		if fd >= 0 {
			keep(fd)
		}
	}
	// The open family: a file, a missing path (ENOENT), a new file.
	if nr.open >= 0 {
		if fd := sys(uintptr(nr.open), ptr(fileC), unix.O_RDONLY|unix.O_CLOEXEC, 0); fd >= 0 {
			keep(fd)
		}
		sys(uintptr(nr.open), ptr(missingC), unix.O_RDONLY, 0)
	}
	atCwd := uintptr(0xffffff9c) // AT_FDCWD as the kernel reads an int argument
	if fd := sys(unix.SYS_OPENAT, atCwd, ptr(fileC), unix.O_RDONLY|unix.O_CLOEXEC, 0); fd >= 0 {
		keep(fd)
	}
	created := cstr(filepath.Join(dir, "created-by-openat"))
	if fd := sys(unix.SYS_OPENAT, atCwd, ptr(created), unix.O_CREAT|unix.O_WRONLY|unix.O_CLOEXEC, 0o640); fd >= 0 {
		keep(fd)
	}
	sys(unix.SYS_OPENAT, atCwd, ptr(missingC), unix.O_RDONLY, 0)
	how := unix.OpenHow{Flags: unix.O_RDONLY | unix.O_CLOEXEC, Resolve: unix.RESOLVE_NO_SYMLINKS}
	if fd := sys(unix.SYS_OPENAT2, atCwd, ptr(fileC), uintptr(unsafe.Pointer(&how)), unsafe.Sizeof(how)); fd >= 0 {
		keep(fd)
	}
	sys(unix.SYS_OPENAT2, atCwd, ptr(missingC), uintptr(unsafe.Pointer(&how)), unsafe.Sizeof(how))
	if nr.creat >= 0 {
		if fd := sys(uintptr(nr.creat), ptr(cstr(filepath.Join(dir, "created-by-creat"))), 0o600); fd >= 0 {
			keep(fd)
		}
		sys(uintptr(nr.creat), ptr(missingC), 0o600)
	}
	// open_by_handle_at: a handle of the file (needs CAP_DAC_READ_SEARCH),
	// and a bad mount fd.
	if handle, _, err := unix.NameToHandleAt(unix.AT_FDCWD, file, 0); err == nil {
		if mfd, err := unix.Open(dir, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0); err == nil {
			keep(mfd)
			if fd, err := unix.OpenByHandleAt(mfd, handle, unix.O_RDONLY|unix.O_CLOEXEC); err == nil {
				keep(fd)
			}
			unix.OpenByHandleAt(1<<20, handle, unix.O_RDONLY)
		}
	}
	// Generic syscalls, made as syscalls (not through the vDSO).
	sys(unix.SYS_GETPID)
	ts := unix.Timespec{Nsec: 1000}
	sys(unix.SYS_CLOCK_NANOSLEEP, unix.CLOCK_MONOTONIC, 0, uintptr(unsafe.Pointer(&ts)), 0)
	var tv unix.Timeval
	if nr.gettimeofday >= 0 {
		sys(uintptr(nr.gettimeofday), uintptr(unsafe.Pointer(&tv)), 0)
	}
	sys(unix.SYS_CLOCK_GETTIME, unix.CLOCK_MONOTONIC, uintptr(unsafe.Pointer(&ts)))
	if len(closers) == 0 {
		return errors.New("the fidelity workload opened nothing")
	}
	return nil
}
