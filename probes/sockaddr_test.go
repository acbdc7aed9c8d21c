package probes

import (
	"net"
	"net/netip"
	"testing"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/benchctl/benchctl/probes/syscalls"
)

// TestSockaddrFromKernel makes connect calls with addresses the probes
// must encode: a real IPv6 one, and short ones the kernel refuses. Every
// call must show up as an event, in both modes; before the probes marked
// short addresses, the decoder refused such an event and it vanished.
func TestSockaddrFromKernel(t *testing.T) {
	requireKernel(t)
	ln, err := net.Listen("tcp6", "[::1]:0")
	if err != nil {
		t.Skipf("no IPv6 loopback: %v", err)
	}
	defer ln.Close()
	target := netip.MustParseAddrPort(ln.Addr().String())
	port := target.Port()
	in6 := [28]byte{10, 0, byte(port >> 8), byte(port)}
	copy(in6[8:], netip.IPv6Loopback().AsSlice())
	in4 := [16]byte{2, 0, byte(port >> 8), byte(port), 127, 0, 0, 1}
	type call struct {
		family  int
		sa      unsafe.Pointer
		addrlen uintptr
		want    syscalls.SockAddr
	}
	calls := []call{
		{unix.AF_INET6, unsafe.Pointer(&in6[0]), 28, syscalls.SockAddr{Family: 10, Addr: target}},
		{unix.AF_INET, unsafe.Pointer(&in4[0]), 4, syscalls.SockAddr{Family: 2, Short: true}},
		{unix.AF_INET6, unsafe.Pointer(&in6[0]), 20, syscalls.SockAddr{Family: 10, Short: true}},
	}
	for _, mode := range []Mode{ModeEnterExit, ModeExitOnly} {
		t.Run(string(mode), func(t *testing.T) {
			var fds []int64
			var results []int64
			got := capture(t, Config{Mode: mode, Syscalls: []string{"connect"}}, func() {
				for _, c := range calls {
					fd, err := unix.Socket(c.family, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
					if err != nil {
						t.Fatal(err)
					}
					defer unix.Close(fd)
					fds = append(fds, int64(fd))
					results = append(results, raw(t, unix.SYS_CONNECT, uintptr(fd), uintptr(c.sa), c.addrlen))
				}
			})
			if results[0] != 0 || results[1] != -int64(unix.EINVAL) || results[2] != -int64(unix.EINVAL) {
				t.Fatalf("connect results %v, want 0, -EINVAL, -EINVAL", results)
			}
			var addrs []syscalls.SockAddr
			for _, ev := range got.events {
				if ev.Syscall != "connect" || (mode == ModeEnterExit && ev.Dir != "enter") {
					continue
				}
				v, _ := ev.Param("addr")
				sa, _ := v.Val.(syscalls.SockAddr)
				addrs = append(addrs, sa)
			}
			if len(addrs) != len(calls) {
				t.Fatalf("%d connect events with an address, want %d: %+v (consumer: %+v)", len(addrs), len(calls), addrs, got.user)
			}
			for i, c := range calls {
				if addrs[i] != c.want {
					t.Errorf("call %d: addr %+v, want %+v", i, addrs[i], c.want)
				}
			}
		})
	}
}
