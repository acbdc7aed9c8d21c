package syscalls

import (
	"errors"
	"net/netip"
	"testing"
)

// connectEnter decodes a connect enter event {fd, addr} whose addr is sa.
func connectEnter(t *testing.T, sa []byte) SockAddr {
	t.Helper()
	ev, err := Native().Decode(record(EventType(nr(t, "connect"), KindEnter), u64(4), sa))
	if err != nil {
		t.Fatalf("% x: %v", sa, err)
	}
	v, ok := ev.Param("addr")
	if !ok {
		t.Fatalf("connect enter has no addr: %+v", ev)
	}
	s, ok := v.Val.(SockAddr)
	if !ok {
		t.Fatalf("addr is %T, want SockAddr", v.Val)
	}
	return s
}

// TestDecodeSockaddrCompact decodes addresses laid out by hand from the
// comment above push_user_sockaddr in probes.bpf.c (Falco's form):
//
//	inet:  u8 family 2, u32 address in network order, u16 port in host order
//	inet6: u8 family 10, 16-byte address, u16 port in host order
//	unix:  u8 family 1, the path and its NUL
//
// 8080 = 0x1f90 → 90 1f in host (little-endian) order.
func TestDecodeSockaddrCompact(t *testing.T) {
	in6 := append([]byte{10}, 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x01)
	in6 = append(in6, 0x90, 0x1f)
	for _, c := range []struct {
		name string
		b    []byte
		want SockAddr
		str  string
	}{
		{"inet", []byte{2, 127, 0, 0, 1, 0x90, 0x1f}, SockAddr{Family: 2, Addr: netip.MustParseAddrPort("127.0.0.1:8080")}, "127.0.0.1:8080"},
		{"inet6", in6, SockAddr{Family: 10, Addr: netip.MustParseAddrPort("[2001:db8::1]:8080")}, "[2001:db8::1]:8080"},
		{"unix", []byte{1, '/', 't', 'm', 'p', '/', 's', 0}, SockAddr{Family: 1, Path: "/tmp/s"}, "unix:/tmp/s"},
		// What the probes send for an address shorter than its
		// family's struct: the family alone, marked, never an error.
		{"short inet", []byte{2}, SockAddr{Family: 2, Short: true}, "family:2 (short address)"},
		{"short inet6", []byte{10}, SockAddr{Family: 10, Short: true}, "family:10 (short address)"},
		// A length the probes never send still decodes, marked.
		{"odd inet", []byte{2, 127, 0}, SockAddr{Family: 2, Short: true}, "family:2 (short address)"},
		{"other family", []byte{16}, SockAddr{Family: 16}, "family:16"},
	} {
		got := connectEnter(t, c.b)
		if got != c.want {
			t.Errorf("%s: got %+v, want %+v", c.name, got, c.want)
		}
		if s := got.String(); s != c.str {
			t.Errorf("%s: String() = %q, want %q", c.name, s, c.str)
		}
	}
}

// TestDecodeTupleInet6 decodes a connect exit tuple laid out by hand from
// the comment above push_tuple in probes.bpf.c:
//
//	u8 family (10), 16 source addr, u16 source port (host order),
//	16 destination addr, u16 destination port (host order): 37 bytes
//
// source [fd00::2]:40000 (40000 = 0x9c40 → 40 9c), destination
// [fd00::1]:6379 (6379 = 0x18eb → eb 18).
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
	typ := EventType(nr(t, "connect"), KindExit)
	ev, err := Native().Decode(record(typ, u64(0), tuple, u64(3)))
	if err != nil {
		t.Fatal(err)
	}
	v, _ := ev.Param("tuple")
	want := Tuple{Family: 10, Src: netip.MustParseAddrPort("[fd00::2]:40000"), Dst: netip.MustParseAddrPort("[fd00::1]:6379")}
	if v.Val != want {
		t.Errorf("tuple: got %+v, want %+v", v.Val, want)
	}
	if s := v.Format(); s != "[fd00::2]:40000->[fd00::1]:6379" {
		t.Errorf("Format() = %q", s)
	}
	for _, n := range []int{36, 38} {
		bad := append(append([]byte(nil), tuple...), 0)[:n]
		if _, err := Native().Decode(record(typ, u64(0), bad, u64(3))); !errors.Is(err, ErrMalformed) {
			t.Errorf("%d-byte inet6 tuple: err = %v, want ErrMalformed", n, err)
		}
	}
}
