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
	f := &fidelity{dir: dir}
	defer f.closeAll()
	ln, err := f.setup()
	if err != nil {
		return err
	}
	defer ln.Close()
	nr, ok := fidelityNumbers()
	if !ok {
		return fmt.Errorf("the fidelity workload has no syscall numbers for %s", runtime.GOARCH)
	}
	f.nr = nr
	for _, calls := range []func() error{f.fileCalls, f.socketCalls, f.acceptCalls, f.openCalls} {
		if err := calls(); err != nil {
			return err
		}
	}
	f.genericCalls()
	if len(f.closers) == 0 {
		return errors.New("the fidelity workload opened nothing")
	}
	return nil
}

// fidelity is what FidelityCalls set up and the fds it opened, closed
// when it returns.
type fidelity struct {
	dir               string
	closers           []int
	file              string // a file holding "fidelity"
	fileC, missingC   []byte // that file's path and a missing one, NUL-terminated
	pipe              [2]int
	lnPort            int // a TCP listener's port
	closedPort        int // a port nothing listens on
	udpA, udpB, portB int // two bound UDP sockets, and udpB's port
	buf, msg          []byte
	nr                fidelityNrs
}

// keep records fd for closing.
func (f *fidelity) keep(fd int) int {
	f.closers = append(f.closers, fd)
	return fd
}

func (f *fidelity) closeAll() {
	for _, fd := range f.closers {
		unix.Close(fd)
	}
}

// fsys makes a syscall and returns its result, or -errno.
func fsys(nr uintptr, args ...uintptr) int {
	var a [6]uintptr
	copy(a[:], args)
	r, _, errno := unix.Syscall6(nr, a[0], a[1], a[2], a[3], a[4], a[5])
	if errno != 0 {
		return -int(errno)
	}
	return int(r)
}

func ptr(b []byte) uintptr { return uintptr(unsafe.Pointer(&b[0])) }
func cstr(s string) []byte { return append([]byte(s), 0) }
func sockaddr4(port int) []byte {
	return []byte{2, 0, byte(port >> 8), byte(port), 127, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0}
}

// setup makes the files, the pipe and the sockets the calls use: a TCP
// listener (returned, for the caller to close), a closed port, a UDP
// pair.
func (f *fidelity) setup() (net.Listener, error) {
	f.file = filepath.Join(f.dir, "fidelity-file")
	if err := os.WriteFile(f.file, []byte("fidelity"), 0o600); err != nil {
		return nil, err
	}
	f.fileC, f.missingC = cstr(f.file), cstr(filepath.Join(f.dir, "missing", "file"))
	if err := unix.Pipe2(f.pipe[:], unix.O_CLOEXEC|unix.O_NONBLOCK); err != nil {
		return nil, err
	}
	f.keep(f.pipe[0])
	f.keep(f.pipe[1])
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	if err := f.sockets(ln); err != nil {
		ln.Close()
		return nil, err
	}
	f.buf, f.msg = make([]byte, 64), []byte("hello fidelity")
	return ln, nil
}

// sockets finds ln's port and a closed one, and makes the UDP pair.
func (f *fidelity) sockets(ln net.Listener) error {
	f.lnPort = ln.Addr().(*net.TCPAddr).Port
	closed, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		return err
	}
	f.closedPort = closed.Addr().(*net.TCPAddr).Port
	closed.Close()
	if f.udpA, _, err = f.udp(); err != nil {
		return err
	}
	f.udpB, f.portB, err = f.udp()
	return err
}

// udp makes a UDP socket bound to a free port of 127.0.0.1.
func (f *fidelity) udp() (int, int, error) {
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC|unix.SOCK_NONBLOCK, 0)
	if err != nil {
		return -1, 0, err
	}
	f.keep(fd)
	if err := unix.Bind(fd, &unix.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}}); err != nil {
		return -1, 0, err
	}
	sa, err := unix.Getsockname(fd)
	if err != nil {
		return -1, 0, err
	}
	return fd, sa.(*unix.SockaddrInet4).Port, nil
}

// listener makes a TCP socket listening on a free port of 127.0.0.1.
func (f *fidelity) listener() (int, int, error) {
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return -1, 0, err
	}
	f.keep(fd)
	if err := unix.Bind(fd, &unix.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}}); err != nil {
		return -1, 0, err
	}
	if err := unix.Listen(fd, 8); err != nil {
		return -1, 0, err
	}
	sa, _ := unix.Getsockname(fd)
	return fd, sa.(*unix.SockaddrInet4).Port, nil
}

// dial connects a new TCP socket to port of 127.0.0.1.
func (f *fidelity) dial(port int) error {
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return err
	}
	f.keep(fd)
	return unix.Connect(fd, &unix.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}, Port: port})
}

// fileCalls: read, write, close, fcntl and epoll.
func (f *fidelity) fileCalls() error {
	p, buf, msg := f.pipe, f.buf, f.msg
	// read, write: data, an empty pipe (EAGAIN), a closed fd (EBADF).
	fsys(unix.SYS_WRITE, uintptr(p[1]), ptr(msg), uintptr(len(msg)))
	fsys(unix.SYS_READ, uintptr(p[0]), ptr(buf), uintptr(len(buf)))
	fsys(unix.SYS_READ, uintptr(p[0]), ptr(buf), uintptr(len(buf)))
	fsys(unix.SYS_READ, 1<<20, ptr(buf), 8)
	fsys(unix.SYS_WRITE, 1<<20, ptr(msg), uintptr(len(msg)))
	// close: a duplicate, then the same fd again (EBADF).
	if d, err := unix.Dup(p[0]); err == nil {
		fsys(unix.SYS_CLOSE, uintptr(d))
		fsys(unix.SYS_CLOSE, uintptr(d))
	}
	// fcntl: set a flag, a bad fd.
	fsys(unix.SYS_FCNTL, uintptr(p[0]), unix.F_SETFD, unix.FD_CLOEXEC)
	fsys(unix.SYS_FCNTL, 1<<20, unix.F_GETFL)
	// epoll: ctl (generic), wait with no event, wait on a bad fd.
	ep, err := unix.EpollCreate1(unix.EPOLL_CLOEXEC)
	if err != nil {
		return err
	}
	f.keep(ep)
	ev := unix.EpollEvent{Events: unix.EPOLLIN}
	fsys(unix.SYS_EPOLL_CTL, uintptr(ep), unix.EPOLL_CTL_ADD, uintptr(p[0]), uintptr(unsafe.Pointer(&ev)))
	evs := make([]unix.EpollEvent, 4)
	if f.nr.epollWait >= 0 {
		fsys(uintptr(f.nr.epollWait), uintptr(ep), uintptr(unsafe.Pointer(&evs[0])), 4, 0)
		fsys(uintptr(f.nr.epollWait), 1<<20, uintptr(unsafe.Pointer(&evs[0])), 4, 0)
	}
	return nil
}

// socketCalls: socket, connect, sendto, recvfrom and setsockopt.
func (f *fidelity) socketCalls() error {
	buf, msg := f.buf, f.msg
	// socket: a good one, an unknown family (EAFNOSUPPORT).
	if fd := fsys(unix.SYS_SOCKET, unix.AF_INET6, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0); fd >= 0 {
		f.keep(fd)
	}
	fsys(unix.SYS_SOCKET, 4242, unix.SOCK_STREAM, 0)
	// connect: accepted, refused, a short address (EINVAL).
	for _, c := range []struct {
		port    int
		addrlen uintptr
	}{{f.lnPort, 16}, {f.closedPort, 16}, {f.lnPort, 4}} {
		fd, err := unix.Socket(unix.AF_INET, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
		if err != nil {
			return err
		}
		f.keep(fd)
		sa := sockaddr4(c.port)
		fsys(unix.SYS_CONNECT, uintptr(fd), ptr(sa), c.addrlen)
	}
	// sendto and recvfrom: a datagram each way, then an empty socket
	// (EAGAIN) and a bad fd.
	saB := sockaddr4(f.portB)
	fsys(unix.SYS_SENDTO, uintptr(f.udpA), ptr(msg), uintptr(len(msg)), 0, ptr(saB), 16)
	from := make([]byte, 16)
	fromLen := uint32(16)
	fsys(unix.SYS_RECVFROM, uintptr(f.udpB), ptr(buf), uintptr(len(buf)), 0, ptr(from), uintptr(unsafe.Pointer(&fromLen)))
	fsys(unix.SYS_RECVFROM, uintptr(f.udpB), ptr(buf), uintptr(len(buf)), 0, 0, 0)
	fsys(unix.SYS_SENDTO, 1<<20, ptr(msg), uintptr(len(msg)), 0, 0, 0)
	// setsockopt: an int option, an unknown level (ENOPROTOOPT).
	one := int32(1)
	fsys(unix.SYS_SETSOCKOPT, uintptr(f.udpA), unix.SOL_SOCKET, unix.SO_REUSEADDR, uintptr(unsafe.Pointer(&one)), 4)
	fsys(unix.SYS_SETSOCKOPT, uintptr(f.udpA), 4242, 1, uintptr(unsafe.Pointer(&one)), 4)
	return nil
}

// acceptCalls: accept, accept4: a waiting connection each, then a
// socket that does not listen (EINVAL).
func (f *fidelity) acceptCalls() error {
	for _, four := range []bool{false, true} {
		lfd, port, err := f.listener()
		if err != nil {
			return err
		}
		if err := f.dial(port); err != nil {
			return err
		}
		var fd int
		if four {
			fd = fsys(unix.SYS_ACCEPT4, uintptr(lfd), 0, 0, unix.SOCK_CLOEXEC)
			fsys(unix.SYS_ACCEPT4, uintptr(f.udpA), 0, 0, 0)
		} else if f.nr.accept >= 0 {
			fd = fsys(uintptr(f.nr.accept), uintptr(lfd), 0, 0)
			fsys(uintptr(f.nr.accept), uintptr(f.udpA), 0, 0)
		}
		if fd >= 0 {
			f.keep(fd)
		}
	}
	return nil
}

// keepOK keeps fd when the call that returned it succeeded.
func (f *fidelity) keepOK(fd int) {
	if fd >= 0 {
		f.keep(fd)
	}
}

// openCalls: the open family, each on a file, a missing path (ENOENT)
// and a new file; open_by_handle_at.
func (f *fidelity) openCalls() error {
	fileC, missingC := f.fileC, f.missingC
	if f.nr.open >= 0 {
		f.keepOK(fsys(uintptr(f.nr.open), ptr(fileC), unix.O_RDONLY|unix.O_CLOEXEC, 0))
		fsys(uintptr(f.nr.open), ptr(missingC), unix.O_RDONLY, 0)
	}
	atCwd := uintptr(0xffffff9c) // AT_FDCWD as the kernel reads an int argument
	f.keepOK(fsys(unix.SYS_OPENAT, atCwd, ptr(fileC), unix.O_RDONLY|unix.O_CLOEXEC, 0))
	created := cstr(filepath.Join(f.dir, "created-by-openat"))
	f.keepOK(fsys(unix.SYS_OPENAT, atCwd, ptr(created), unix.O_CREAT|unix.O_WRONLY|unix.O_CLOEXEC, 0o640))
	fsys(unix.SYS_OPENAT, atCwd, ptr(missingC), unix.O_RDONLY, 0)
	how := unix.OpenHow{Flags: unix.O_RDONLY | unix.O_CLOEXEC, Resolve: unix.RESOLVE_NO_SYMLINKS}
	f.keepOK(fsys(unix.SYS_OPENAT2, atCwd, ptr(fileC), uintptr(unsafe.Pointer(&how)), unsafe.Sizeof(how)))
	fsys(unix.SYS_OPENAT2, atCwd, ptr(missingC), uintptr(unsafe.Pointer(&how)), unsafe.Sizeof(how))
	if f.nr.creat >= 0 {
		f.keepOK(fsys(uintptr(f.nr.creat), ptr(cstr(filepath.Join(f.dir, "created-by-creat"))), 0o600))
		fsys(uintptr(f.nr.creat), ptr(missingC), 0o600)
	}
	// open_by_handle_at: a handle of the file (needs CAP_DAC_READ_SEARCH),
	// and a bad mount fd.
	if handle, _, err := unix.NameToHandleAt(unix.AT_FDCWD, f.file, 0); err == nil {
		if mfd, err := unix.Open(f.dir, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0); err == nil {
			f.keep(mfd)
			if fd, err := unix.OpenByHandleAt(mfd, handle, unix.O_RDONLY|unix.O_CLOEXEC); err == nil {
				f.keep(fd)
			}
			unix.OpenByHandleAt(1<<20, handle, unix.O_RDONLY)
		}
	}
	return nil
}

// genericCalls: syscalls with no filler of their own, made as syscalls
// (not through the vDSO).
func (f *fidelity) genericCalls() {
	fsys(unix.SYS_GETPID)
	ts := unix.Timespec{Nsec: 1000}
	fsys(unix.SYS_CLOCK_NANOSLEEP, unix.CLOCK_MONOTONIC, 0, uintptr(unsafe.Pointer(&ts)), 0)
	var tv unix.Timeval
	if f.nr.gettimeofday >= 0 {
		fsys(uintptr(f.nr.gettimeofday), uintptr(unsafe.Pointer(&tv)), 0)
	}
	fsys(unix.SYS_CLOCK_GETTIME, unix.CLOCK_MONOTONIC, uintptr(unsafe.Pointer(&ts)))
}
