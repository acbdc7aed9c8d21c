package syscalls

import (
	"encoding/binary"
	"errors"
	"net/netip"
	"reflect"
	"strings"
	"testing"
)

// record builds a wire record the way the BPF fillers do.
func record(typ uint16, params ...[]byte) []byte {
	n := HeaderLen + 2*len(params)
	for _, p := range params {
		n += len(p)
	}
	b := make([]byte, HeaderLen, n)
	le := binary.LittleEndian
	le.PutUint64(b[offTs:], 12345)
	le.PutUint64(b[offTid:], 7<<32|9)
	le.PutUint32(b[offLen:], uint32(n))
	le.PutUint16(b[offType:], typ)
	le.PutUint32(b[offNparams:], uint32(len(params)))
	for _, p := range params {
		b = le.AppendUint16(b, uint16(len(p)))
	}
	for _, p := range params {
		b = append(b, p...)
	}
	return b
}

func u64(v uint64) []byte { return binary.LittleEndian.AppendUint64(nil, v) }
func u32(v uint32) []byte { return binary.LittleEndian.AppendUint32(nil, v) }

func nr(t *testing.T, name string) int {
	t.Helper()
	s, err := Lookup(name)
	if err != nil {
		t.Fatal(err)
	}
	return s.Nr
}

func TestDecode(t *testing.T) {
	tbl := Native()
	read, connect, getpid := nr(t, "read"), nr(t, "connect"), nr(t, "getpid")
	neg := int64(-11)
	tuple := []byte{2, 127, 0, 0, 1, 0x39, 0x30, 127, 0, 0, 2, 0xeb, 0x18}
	sin := []byte{2, 127, 0, 0, 2, 0xeb, 0x18}
	u16 := func(v int) []byte { return binary.LittleEndian.AppendUint16(nil, uint16(v)) }
	cases := []struct {
		name string
		raw  []byte
		want Event
		err  bool
	}{
		{"read enter", record(EventType(read, KindEnter), u64(3), u32(64)),
			Event{Syscall: "read", Dir: "enter", Params: []Value{{"fd", PTS64, int64(3)}, {"size", PTU32, uint32(64)}}}, false},
		{"read exit", record(EventType(read, KindExit), u64(uint64(neg)), nil, u64(3), u32(64)),
			Event{Syscall: "read", Dir: "exit", Params: []Value{{"res", PTS64, int64(-11)}, {"data", PTBytes, nil}, {"fd", PTS64, int64(3)}, {"size", PTU32, uint32(64)}}}, false},
		{"read merged", record(EventType(read, KindMerged), u64(5), []byte("hello"), u64(3), u32(64)),
			Event{Syscall: "read", Dir: "exit", Merged: true, Params: []Value{{"res", PTS64, int64(5)}, {"data", PTBytes, []byte("hello")}, {"fd", PTS64, int64(3)}, {"size", PTU32, uint32(64)}}}, false},
		{"connect merged", record(EventType(connect, KindMerged), u64(0), tuple, u64(4), sin),
			Event{Syscall: "connect", Dir: "exit", Merged: true, Params: []Value{
				{"res", PTS64, int64(0)},
				{"tuple", PTTuple, Tuple{Family: 2, Src: netip.MustParseAddrPort("127.0.0.1:12345"), Dst: netip.MustParseAddrPort("127.0.0.2:6379")}},
				{"fd", PTS64, int64(4)},
				{"addr", PTSockaddr, SockAddr{Family: 2, Addr: netip.MustParseAddrPort("127.0.0.2:6379")}}}}, false},
		{"generic enter", record(EventType(getpid, KindEnter), u16(getpid), u16(getpid)),
			Event{Syscall: "getpid", Dir: "enter", Params: []Value{{"id", PTU16, uint16(getpid)}, {"native_id", PTU16, uint16(getpid)}}}, false},
		{"short header", []byte{1, 2, 3}, Event{}, true},
		{"len mismatch", append(record(EventType(read, KindEnter), u64(3), u32(64)), 0), Event{}, true},
		{"wrong nparams", record(EventType(read, KindEnter), u64(3)), Event{}, true},
		{"bad s64 size", record(EventType(read, KindEnter), u32(3), u32(64)), Event{}, true},
		{"unknown syscall", record(EventType(511, KindEnter)), Event{}, true},
		{"unknown kind", record(EventType(read, 3), u64(3), u32(64)), Event{}, true},
		{"path without NUL", record(EventType(nr(t, "creat"), KindEnter), []byte("/tmp/x"), u32(0o600)), Event{}, true},
		{"short tuple", record(EventType(connect, KindExit), u64(0), []byte{2, 1, 2}, u64(4)), Event{}, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ev, err := tbl.Decode(tc.raw)
			if tc.err {
				if err == nil || !errors.Is(err, ErrMalformed) {
					t.Fatalf("want ErrMalformed, got %v (%+v)", err, ev)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if ev.Ts != 12345 || ev.Pid != 7 || ev.Tid != 9 {
				t.Errorf("header: ts %d pid %d tid %d", ev.Ts, ev.Pid, ev.Tid)
			}
			ev.Raw, ev.Ts, ev.Pid, ev.Tid, ev.Nr = nil, 0, 0, 0, 0
			if !reflect.DeepEqual(ev, tc.want) {
				t.Errorf("got  %+v\nwant %+v", ev, tc.want)
			}
		})
	}
}

func TestFormat(t *testing.T) {
	cases := []struct {
		v    Value
		want string
	}{
		{Value{Val: []byte("GET /\r\n\x00")}, "GET /..."},
		{Value{Val: int64(-2)}, "-2"},
		{Value{Val: Tuple{Family: 2, Src: netip.MustParseAddrPort("10.0.0.1:1"), Dst: netip.MustParseAddrPort("10.0.0.2:2")}}, "10.0.0.1:1->10.0.0.2:2"},
		{Value{Val: SockAddr{Family: 1, Path: "/run/x.sock"}}, "unix:/run/x.sock"},
		{Value{Val: SockAddr{Family: 2, Short: true}}, "family:2 (short address)"},
		{Value{Val: uint8(7)}, "7"},
		{Value{}, ""},
	}
	for _, tc := range cases {
		if got := tc.v.Format(); got != tc.want {
			t.Errorf("Format(%#v) = %q, want %q", tc.v.Val, got, tc.want)
		}
	}
}

func TestTypeName(t *testing.T) {
	read := nr(t, "read")
	tbl := Native()
	for typ, want := range map[uint16]string{
		EventType(read, KindEnter):  "read_enter",
		EventType(read, KindExit):   "read_exit",
		EventType(read, KindMerged): "read_exit",
		EventType(511, KindExit):    "syscall_511_exit",
	} {
		if got := tbl.TypeName(typ); got != want {
			t.Errorf("TypeName(%d) = %s, want %s", typ, got, want)
		}
	}
}

func TestLookup(t *testing.T) {
	if _, err := Lookup("openat"); err != nil {
		t.Fatal(err)
	}
	_, err := Lookup("opnat")
	if !errors.Is(err, ErrUnknownSyscall) {
		t.Fatalf("want ErrUnknownSyscall, got %v", err)
	}
	if got := err.Error(); !strings.Contains(got, "openat") {
		t.Errorf("error %q does not suggest openat", got)
	}
	if _, err := ResolveSet(nil); err == nil {
		t.Error("empty set accepted")
	}
	s, _ := Lookup("getpid")
	if !s.Generic() || len(s.Merged) != 2 || s.Merged[0].Name != "id" || len(s.Exit) != 1 {
		t.Errorf("getpid: %+v", s)
	}
	for _, sc := range specific {
		got, err := Lookup(sc.Name)
		if err != nil {
			t.Errorf("%s: %v", sc.Name, err)
			continue
		}
		if got.Generic() || got.Exit[0].Name != "res" || got.Merged[0].Name != "res" {
			t.Errorf("%s: filler %s, exit params %v, merged %v", sc.Name, got.Filler, got.Exit, got.Merged)
		}
		// The merged event says everything the pair said: every enter
		// and exit parameter is in it.
		have := map[string]bool{}
		for _, p := range got.Merged {
			have[p.Name] = true
		}
		for _, p := range append(append([]Param(nil), got.Enter...), got.Exit...) {
			if !have[p.Name] {
				t.Errorf("%s: merged event lacks %s", sc.Name, p.Name)
			}
		}
	}
}

// FuzzDecode: any byte string decodes or errors, never panics.
func FuzzDecode(f *testing.F) {
	f.Add(record(EventType(0, KindMerged), u64(5), []byte("hello"), u64(3), u32(64)))
	f.Add(record(EventType(42, KindExit), u64(0), []byte{2, 127, 0, 0, 1, 0, 1, 127, 0, 0, 1, 0, 2}, u64(3)))
	f.Add(record(EventType(42, KindEnter), u64(3), []byte{10, 0, 0, 80}))
	f.Add([]byte{})
	tbl := Native()
	f.Fuzz(func(t *testing.T, raw []byte) {
		ev, err := tbl.Decode(raw)
		if err != nil {
			if !errors.Is(err, ErrMalformed) {
				t.Fatalf("error does not wrap ErrMalformed: %v", err)
			}
			return
		}
		for _, v := range ev.Params {
			_ = v.Format()
		}
	})
}
