package probes

import (
	"encoding/binary"
	"errors"
	"net/netip"
	"reflect"
	"testing"
)

// rawRecord builds a record whose header claims nparams parameters and
// whose length field is the record's real length, with body after the
// header: for records that record() cannot make (lengths that lie).
func rawRecord(typ uint16, nparams uint32, body []byte) []byte {
	b := make([]byte, HeaderLen, HeaderLen+len(body))
	le := binary.LittleEndian
	le.PutUint64(b[offTs:], 1)
	le.PutUint64(b[offTid:], 2<<32|3)
	le.PutUint16(b[offType:], typ)
	le.PutUint32(b[offNparams:], nparams)
	b = append(b, body...)
	le.PutUint32(b[offLen:], uint32(len(b)))
	return b
}

// TestParseHeaderBounds pins the header checks at their edges: 26 bytes
// is a whole header, 25 is not; 32 parameters is the most there can be,
// and the 2-byte length of each must fit.
func TestParseHeaderBounds(t *testing.T) {
	gtod := EventType(nr(t, "gettimeofday"), KindEnter) // no enter parameters
	for _, tc := range []struct {
		name string
		raw  []byte
		ok   bool
	}{
		{"bare header", rawRecord(gtod, 0, nil), true},
		{"25 bytes", rawRecord(gtod, 0, nil)[:25], false},
		{"32 params, 64 length bytes", rawRecord(gtod, 32, make([]byte, 64)), true},
		{"33 params", rawRecord(gtod, 33, make([]byte, 66)), false},
		{"2 params, 4 length bytes", rawRecord(gtod, 2, make([]byte, 4)), true},
		{"2 params, 3 length bytes", rawRecord(gtod, 2, make([]byte, 3)), false},
	} {
		h, err := ParseHeader(tc.raw)
		if tc.ok != (err == nil) {
			t.Errorf("%s: err = %v, want ok %v", tc.name, err, tc.ok)
			continue
		}
		if err != nil && !errors.Is(err, ErrMalformed) {
			t.Errorf("%s: %v is not ErrMalformed", tc.name, err)
		}
		if tc.ok && (h.Ts != 1 || h.Tid != 2<<32|3 || h.Type != gtod || int(h.Len) != len(tc.raw)) {
			t.Errorf("%s: header %+v", tc.name, h)
		}
	}
	ev, err := Native().Decode(rawRecord(gtod, 0, nil))
	if err != nil || ev.Syscall != "gettimeofday" || ev.Dir != "enter" || len(ev.Params) != 0 || ev.Pid != 2 || ev.Tid != 3 {
		t.Errorf("bare gettimeofday enter: %+v, %v", ev, err)
	}
}

// TestDecodeLengths: a parameter that ends exactly at the record's end
// decodes; one byte more overruns it; bytes after the last parameter are
// malformed.
func TestDecodeLengths(t *testing.T) {
	creat := EventType(nr(t, "creat"), KindEnter) // name (path), mode (u32)
	params := func(lens ...uint16) []byte {
		var b []byte
		for _, n := range lens {
			b = binary.LittleEndian.AppendUint16(b, n)
		}
		return b
	}
	path := []byte("/tmp/x\x00")
	mode := u32(0o644)
	body := append(append(params(7, 4), path...), mode...)
	ev, err := Native().Decode(rawRecord(creat, 2, body))
	if err != nil {
		t.Fatal(err)
	}
	want := []Value{{"name", PTPath, "/tmp/x"}, {"mode", PTU32, uint32(0o644)}}
	if !reflect.DeepEqual(ev.Params, want) {
		t.Errorf("creat enter: %+v, want %+v", ev.Params, want)
	}
	if v, ok := ev.Param("mode"); !ok || v.Val != uint32(0o644) {
		t.Errorf("Param(mode) = %+v, %v", v, ok)
	}
	if _, ok := ev.Param("flags"); ok {
		t.Error("Param(flags) found on creat")
	}
	for name, raw := range map[string][]byte{
		"overrun":       rawRecord(creat, 2, append(append(params(7, 5), path...), mode...)),
		"trailing byte": rawRecord(creat, 2, append(append(append(params(7, 4), path...), mode...), 0)),
		"u32 of 8":      rawRecord(creat, 2, append(append(params(7, 8), path...), u64(0o644)...)),
		"path no NUL":   rawRecord(creat, 2, append(append(params(6, 4), path[:6]...), mode...)),
	} {
		if _, err := Native().Decode(raw); !errors.Is(err, ErrMalformed) {
			t.Errorf("%s: err = %v, want ErrMalformed", name, err)
		}
	}
}

// TestDecodeArgs: the generic filler's six raw arguments, u64 each, in
// order.
func TestDecodeArgs(t *testing.T) {
	var args []byte
	for i := uint64(1); i <= 6; i++ {
		args = append(args, u64(i*0x1111)...)
	}
	ev, err := Native().Decode(record(EventType(nr(t, "getpid"), KindEnter), args))
	if err != nil {
		t.Fatal(err)
	}
	want := []uint64{0x1111, 0x2222, 0x3333, 0x4444, 0x5555, 0x6666}
	if got := ev.Params[0].Val; !reflect.DeepEqual(got, want) {
		t.Errorf("args = %v, want %v", got, want)
	}
	if got := ev.Params[0].Format(); got != "0x1111 0x2222 0x3333 0x4444 0x5555 0x6666" {
		t.Errorf("Format() = %q", got)
	}
	if _, err := Native().Decode(record(EventType(nr(t, "getpid"), KindEnter), args[:40])); !errors.Is(err, ErrMalformed) {
		t.Errorf("5 args: err = %v, want ErrMalformed", err)
	}
}

// TestDecodeSockaddrOthers: unix and inet sockaddrs at their size limits,
// and families the decoder does not know.
func TestDecodeSockaddrOthers(t *testing.T) {
	for _, tc := range []struct {
		name string
		sa   []byte
		want SockAddr
		str  string
		err  bool
	}{
		// sun_family 1, sun_path up to its NUL (what follows is garbage).
		{"unix", append([]byte{1, 0}, "/run/x.sock\x00zz"...), SockAddr{Family: 1, Path: "/run/x.sock"}, "unix:/run/x.sock", false},
		{"unix without NUL", append([]byte{1, 0}, "/run/y"...), SockAddr{Family: 1, Path: "/run/y"}, "unix:/run/y", false},
		// sockaddr_in: family, port 80 (00 50), 10.1.2.3; the 8 bytes
		// of sin_zero may be missing.
		{"inet, 8 bytes", []byte{2, 0, 0, 80, 10, 1, 2, 3}, SockAddr{Family: 2, Addr: netip.MustParseAddrPort("10.1.2.3:80")}, "10.1.2.3:80", false},
		{"inet, 7 bytes", []byte{2, 0, 0, 80, 10, 1, 2}, SockAddr{}, "", true},
		{"netlink", []byte{16, 0, 1, 2, 3, 4}, SockAddr{Family: 16}, "family:16", false},
		{"family only", []byte{16, 0}, SockAddr{Family: 16}, "family:16", false},
		{"1 byte", []byte{2}, SockAddr{}, "", true},
	} {
		got, err := connectEnter(t, tc.sa)
		if tc.err {
			if !errors.Is(err, ErrMalformed) {
				t.Errorf("%s: err = %v, want ErrMalformed", tc.name, err)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: %v", tc.name, err)
			continue
		}
		if got != tc.want || got.String() != tc.str {
			t.Errorf("%s: %+v (%q), want %+v (%q)", tc.name, got, got.String(), tc.want, tc.str)
		}
	}
}

// TestDecodeTupleOthers: a unix tuple carries the peer's path; an unknown
// family only its number.
func TestDecodeTupleOthers(t *testing.T) {
	connect := EventType(nr(t, "connect"), KindExit)
	for _, tc := range []struct {
		tuple []byte
		want  Tuple
		str   string
	}{
		{append([]byte{1}, "/run/redis.sock\x00"...), Tuple{Family: 1, Path: "/run/redis.sock"}, "unix:/run/redis.sock"},
		{[]byte{3}, Tuple{Family: 3}, "family:3"},
	} {
		ev, err := Native().Decode(record(connect, u64(0), tc.tuple))
		if err != nil {
			t.Fatal(err)
		}
		v, _ := ev.Param("tuple")
		if v.Val != tc.want || v.Format() != tc.str {
			t.Errorf("tuple % x: %+v (%q), want %+v (%q)", tc.tuple, v.Val, v.Format(), tc.want, tc.str)
		}
	}
}

// TestValueFormatAndJSON: data bytes print as ASCII from 0x20 (space) to
// 0x7e (~), everything else as '.'; JSON keeps numbers as numbers.
func TestValueFormatAndJSON(t *testing.T) {
	data := Value{Val: []byte{0x1f, 0x20, 'A', 0x7e, 0x7f, 0xff}}
	if got := data.Format(); got != ". A~.." {
		t.Errorf("Format(% x) = %q, want %q", data.Val, got, ". A~..")
	}
	for _, tc := range []struct {
		v    Value
		want any
	}{
		{Value{Val: int64(-3)}, int64(-3)},
		{Value{Val: uint64(7)}, uint64(7)},
		{Value{Val: uint32(9)}, uint32(9)},
		{Value{Val: []uint64{1, 2}}, []uint64{1, 2}},
		{Value{}, nil},
		{data, ". A~.."},
		{Value{Val: "/etc/hostname"}, "/etc/hostname"},
		{Value{Val: SockAddr{Family: 10, Addr: netip.MustParseAddrPort("[::1]:22")}}, "[::1]:22"},
	} {
		if got := tc.v.JSON(); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("JSON(%#v) = %#v, want %#v", tc.v.Val, got, tc.want)
		}
	}
	// EventType packs the kind into the low two bits: 5·4 + 2 = 22.
	if got := EventType(5, KindMerged); got != 22 {
		t.Errorf("EventType(5, merged) = %d, want 22", got)
	}
}

// TestTypeNameNonZero: TestTypeName uses read, syscall 0 on x86-64, where
// type = kind; write (1) has type 4 for its enter event, 5 for its exit
// and 6 for its merged exit.
func TestTypeNameNonZero(t *testing.T) {
	tbl := Native()
	if w := nr(t, "write"); w != 1 {
		t.Skipf("write is syscall %d here, not 1", w)
	}
	for typ, want := range map[uint16]string{4: "write_enter", 5: "write_exit", 6: "write_exit"} {
		if got := tbl.TypeName(typ); got != want {
			t.Errorf("TypeName(%d) = %s, want %s", typ, got, want)
		}
	}
}
