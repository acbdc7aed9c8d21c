package syscalls

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
	gtod := EventType(nr(t, "setsockopt"), KindEnter) // no enter parameters
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
	if err != nil || ev.Syscall != "setsockopt" || ev.Dir != "enter" || len(ev.Params) != 0 || ev.Pid != 2 || ev.Tid != 3 {
		t.Errorf("bare setsockopt enter: %+v, %v", ev, err)
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

// TestDecodeGeneric: a generic event is Falco's: enter {id, native_id},
// exit {id}, merged exit {id, native_id}, u16 each (getpid is 39 = 27 00).
func TestDecodeGeneric(t *testing.T) {
	n := nr(t, "getpid")
	u16 := func(v int) []byte { return binary.LittleEndian.AppendUint16(nil, uint16(v)) }
	for kind, params := range map[int][][]byte{
		KindEnter:  {u16(n), u16(n)},
		KindExit:   {u16(n)},
		KindMerged: {u16(n), u16(n)},
	} {
		ev, err := Native().Decode(record(EventType(n, kind), params...))
		if err != nil {
			t.Fatalf("kind %d: %v", kind, err)
		}
		if len(ev.Params) != len(params) || ev.Params[0].Name != "id" || ev.Params[0].Val != uint16(n) {
			t.Errorf("kind %d: %+v", kind, ev.Params)
		}
		if len(params) == 2 && (ev.Params[1].Name != "native_id" || ev.Params[1].Val != uint16(n)) {
			t.Errorf("kind %d: %+v", kind, ev.Params)
		}
	}
	if _, err := Native().Decode(record(EventType(n, KindExit), u32(uint32(n)))); !errors.Is(err, ErrMalformed) {
		t.Errorf("a u16 of 4 bytes: err = %v, want ErrMalformed", err)
	}
	if _, err := Native().Decode(record(EventType(n, KindExit), u16(n), u16(n))); !errors.Is(err, ErrMalformed) {
		t.Errorf("a generic exit with 2 parameters: err = %v, want ErrMalformed", err)
	}
}

// TestDecodeSockaddrOthers: unix paths with and without their NUL.
func TestDecodeSockaddrOthers(t *testing.T) {
	for _, tc := range []struct {
		name string
		sa   []byte
		want SockAddr
		str  string
	}{
		// The path up to its NUL (what follows is not the path).
		{"unix", append([]byte{1}, "/run/x.sock\x00zz"...), SockAddr{Family: 1, Path: "/run/x.sock"}, "unix:/run/x.sock"},
		{"unix without NUL", append([]byte{1}, "/run/y"...), SockAddr{Family: 1, Path: "/run/y"}, "unix:/run/y"},
		{"unix, no path", []byte{1}, SockAddr{Family: 1}, "unix:"},
	} {
		got := connectEnter(t, tc.sa)
		if got != tc.want || got.String() != tc.str {
			t.Errorf("%s: %+v (%q), want %+v (%q)", tc.name, got, got.String(), tc.want, tc.str)
		}
	}
}

// TestDecodeTupleOthers: a unix tuple carries the two sockets' kernel
// addresses and the peer's path; an unknown family only its number.
func TestDecodeTupleOthers(t *testing.T) {
	connect := EventType(nr(t, "connect"), KindExit)
	unixTuple := append(append(append([]byte{1}, u64(0xffff888000001000)...), u64(0xffff888000002000)...), "/run/redis.sock\x00"...)
	for _, tc := range []struct {
		tuple []byte
		want  Tuple
		str   string
	}{
		{unixTuple, Tuple{Family: 1, Path: "/run/redis.sock", Sock: 0xffff888000001000, Peer: 0xffff888000002000}, "unix:/run/redis.sock"},
		{[]byte{3}, Tuple{Family: 3}, "family:3"},
	} {
		ev, err := Native().Decode(record(connect, u64(0), tc.tuple, u64(5)))
		if err != nil {
			t.Fatal(err)
		}
		v, _ := ev.Param("tuple")
		if v.Val != tc.want || v.Format() != tc.str {
			t.Errorf("tuple % x: %+v (%q), want %+v (%q)", tc.tuple, v.Val, v.Format(), tc.want, tc.str)
		}
	}
	if _, err := Native().Decode(record(connect, u64(0), unixTuple[:17], u64(5))); !errors.Is(err, ErrMalformed) {
		t.Errorf("unix tuple without a path: err = %v, want ErrMalformed", err)
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
		{Value{Val: uint16(11)}, uint16(11)},
		{Value{Val: uint8(255)}, uint8(255)},
		{Value{}, nil},
		// Not UTF-8 (0xff): base64 of 1f 20 41 7e 7f ff.
		{data, map[string]string{"base64": "HyBBfn//"}},
		// UTF-8 with control characters: the string itself, which
		// encoding/json escapes without loss.
		{Value{Val: []byte("\x7fELF\x02\x01\x00é")}, "\x7fELF\x02\x01\x00é"},
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
