package probes

import (
	"encoding/binary"
	"errors"
	"net/netip"
	"testing"
	"unsafe"

	"golang.org/x/sys/unix"
)

// connectEnter decodes a connect enter event {fd, addr} whose addr is sa.
func connectEnter(t *testing.T, sa []byte) (SockAddr, error) {
	t.Helper()
	ev, err := Native().Decode(record(EventType(nr(t, "connect"), KindEnter), u64(4), sa))
	if err != nil {
		return SockAddr{}, err
	}
	v, ok := ev.Param("addr")
	if !ok {
		t.Fatalf("connect enter has no addr: %+v", ev)
	}
	s, ok := v.Val.(SockAddr)
	if !ok {
		t.Fatalf("addr is %T, want SockAddr", v.Val)
	}
	return s, nil
}

// TestDecodeSockaddrIn6 decodes a struct sockaddr_in6 laid out by hand
// from linux/in6.h (RFC 3493):
//
//	offset 0  u16 sin6_family   host order: AF_INET6 = 10 → 0a 00
//	offset 2  u16 sin6_port     network order: 8080 = 0x1f90 → 1f 90
//	offset 4  u32 sin6_flowinfo 12 34 56 78 (must not leak into the address)
//	offset 8  16  sin6_addr     2001:0db8:0000:…:0001
//	offset 24 u32 sin6_scope_id 3 → 03 00 00 00 (not part of the AddrPort)
//
// 28 bytes in all; the kernel also accepts the 24-byte RFC 2133 form
// without the scope id (SIN6_LEN_RFC2133), so that decodes too.
func TestDecodeSockaddrIn6(t *testing.T) {
	sa := []byte{
		0x0a, 0x00, // family
		0x1f, 0x90, // port 8080
		0x12, 0x34, 0x56, 0x78, // flowinfo
		0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x01, // 2001:db8::1
		0x03, 0x00, 0x00, 0x00, // scope id
	}
	want := SockAddr{Family: 10, Addr: netip.MustParseAddrPort("[2001:db8::1]:8080")}
	got, err := connectEnter(t, sa)
	if err != nil {
		t.Fatal(err)
	}
	if got != want {
		t.Errorf("sockaddr_in6: got %+v, want %+v", got, want)
	}
	if s := got.String(); s != "[2001:db8::1]:8080" {
		t.Errorf("String() = %q", s)
	}
	got, err = connectEnter(t, sa[:24])
	if err != nil {
		t.Fatalf("24-byte sockaddr_in6: %v", err)
	}
	if got != want {
		t.Errorf("24-byte sockaddr_in6: got %+v, want %+v", got, want)
	}
	// One byte short of the address: malformed, not a truncated address.
	if _, err := connectEnter(t, sa[:23]); !errors.Is(err, ErrMalformed) {
		t.Errorf("23-byte sockaddr_in6: err = %v, want ErrMalformed", err)
	}
}

// TestDecodeSockaddrIn6FromKernel decodes the bytes the kernel itself
// writes for an IPv6 socket (getsockname on a listener bound to [::1]),
// and checks them against x/sys/unix's own decoding of the same socket.
func TestDecodeSockaddrIn6FromKernel(t *testing.T) {
	fd, err := unix.Socket(unix.AF_INET6, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Skipf("no IPv6 sockets here: %v", err)
	}
	defer unix.Close(fd)
	if err := unix.Bind(fd, &unix.SockaddrInet6{Addr: netip.IPv6Loopback().As16()}); err != nil {
		t.Skipf("cannot bind [::1]: %v", err)
	}
	var raw unix.RawSockaddrAny
	n := uint32(unsafe.Sizeof(raw))
	if _, _, errno := unix.Syscall(unix.SYS_GETSOCKNAME, uintptr(fd), uintptr(unsafe.Pointer(&raw)), uintptr(unsafe.Pointer(&n))); errno != 0 {
		t.Fatal(errno)
	}
	if n != 28 {
		t.Fatalf("kernel wrote %d bytes, want sizeof(struct sockaddr_in6) = 28", n)
	}
	b := unsafe.Slice((*byte)(unsafe.Pointer(&raw)), n)
	sa, err := unix.Getsockname(fd)
	if err != nil {
		t.Fatal(err)
	}
	in6, ok := sa.(*unix.SockaddrInet6)
	if !ok {
		t.Fatalf("getsockname: %T", sa)
	}
	want := SockAddr{Family: unix.AF_INET6, Addr: netip.AddrPortFrom(netip.IPv6Loopback(), uint16(in6.Port))}
	if in6.Port == 0 || binary.BigEndian.Uint16(b[2:]) != uint16(in6.Port) {
		t.Fatalf("kernel port bytes % x, x/sys says port %d", b[2:4], in6.Port)
	}
	got, err := connectEnter(t, b)
	if err != nil {
		t.Fatal(err)
	}
	if got != want {
		t.Errorf("kernel's sockaddr_in6 % x: got %+v, want %+v", b, got, want)
	}
}

// TestDecodeTupleInet6 decodes a connect tuple laid out by hand from the
// comment above push_tuple in probes.bpf.c:
//
//	u8 family (10), 16 client addr, u16 client port (host order),
//	16 server addr, u16 server port (host order): 1 + 16 + 2 + 16 + 2 = 37 bytes
//
// client [fd00::2]:40000 (40000 = 0x9c40 → 40 9c), server [fd00::1]:6379
// (6379 = 0x18eb → eb 18).
func TestDecodeTupleInet6(t *testing.T) {
	fd00 := func(last byte) []byte { return []byte{0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, last} }
	tuple := []byte{10}
	tuple = append(tuple, fd00(2)...)
	tuple = append(tuple, 0x40, 0x9c)
	tuple = append(tuple, fd00(1)...)
	tuple = append(tuple, 0xeb, 0x18)
	if len(tuple) != 37 {
		t.Fatalf("test tuple has %d bytes", len(tuple))
	}
	ev, err := Native().Decode(record(EventType(nr(t, "connect"), KindExit), u64(0), tuple))
	if err != nil {
		t.Fatal(err)
	}
	v, _ := ev.Param("tuple")
	want := Tuple{Family: 10, Client: netip.MustParseAddrPort("[fd00::2]:40000"), Server: netip.MustParseAddrPort("[fd00::1]:6379")}
	if v.Val != want {
		t.Errorf("tuple: got %+v, want %+v", v.Val, want)
	}
	if s := v.Format(); s != "[fd00::2]:40000->[fd00::1]:6379" {
		t.Errorf("Format() = %q", s)
	}
	for _, n := range []int{36, 38} {
		bad := append(append([]byte(nil), tuple...), 0)[:n]
		if _, err := Native().Decode(record(EventType(nr(t, "connect"), KindExit), u64(0), bad)); !errors.Is(err, ErrMalformed) {
			t.Errorf("%d-byte inet6 tuple: err = %v, want ErrMalformed", n, err)
		}
	}
}
