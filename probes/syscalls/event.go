package syscalls

import (
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"net/netip"
	"strconv"
	"strings"
	"unicode/utf8"
)

// HeaderLen is the size of the packed event header:
// u64 ts, u64 tid, u32 len, u16 type, u32 nparams.
const HeaderLen = 26

// MaxEventSize is the largest event the fillers send (MAX_EVENT_SIZE in
// probes.bpf.c); larger ones are counted as drops_too_large.
const MaxEventSize = 8192

// Offsets of the header fields (TestHeaderLayout checks them against the
// BPF object's BTF).
const (
	offTs      = 0
	offTid     = 8
	offLen     = 16
	offType    = 20
	offNparams = 22
)

// RawType is the type field of a record of at least HeaderLen bytes,
// read without ParseHeader's checks: the consumer counts every record it
// receives by type, decodable or not.
func RawType(raw []byte) uint16 { return binary.LittleEndian.Uint16(raw[offType:]) }

// Event kinds, the low two bits of the event type.
const (
	KindEnter  = 0
	KindExit   = 1
	KindMerged = 2
)

// EventType returns the wire type of a syscall's event of one kind.
func EventType(nr, kind int) uint16 { return uint16(nr*4 + kind) }

// Event is one decoded event.
type Event struct {
	Ts      uint64  // kernel monotonic ns (bpf_ktime_get_ns)
	Pid     uint32  // thread group id
	Tid     uint32  // thread id
	Nr      int     // syscall number
	Syscall string  // syscall name
	Dir     string  // "enter" or "exit"
	Merged  bool    // an exit_only exit event that carries the enter params too
	Params  []Value // in event order
	Raw     []byte  // the record; valid only during the callback
}

// Param returns the value of the parameter called name.
func (e *Event) Param(name string) (Value, bool) {
	for _, v := range e.Params {
		if v.Name == name {
			return v, true
		}
	}
	return Value{}, false
}

// Value is one decoded parameter. Val holds int64 (PTS64), uint64 (PTU64),
// uint32 (PTU32), uint16 (PTU16), uint8 (PTU8), []byte (PTBytes and
// PTSockopt, the option's bytes), string (PTPath, without the NUL),
// SockAddr (PTSockaddr) or Tuple (PTTuple); nil when the parameter is
// empty (the kernel could not read it, or there was nothing to read).
type Value struct {
	Name string
	Type ParamType
	Val  any
}

// ParamType is the wire type of a parameter.
type ParamType uint8

// SockAddr is a decoded struct sockaddr.
type SockAddr struct {
	Family uint16
	Addr   netip.AddrPort // inet and inet6
	Path   string         // unix
	// Short says the caller's address was shorter than its family's
	// struct (the kernel refuses such a call): only the family is known.
	Short bool
}

func (s SockAddr) String() string {
	if s.Short {
		return "family:" + strconv.Itoa(int(s.Family)) + " (short address)"
	}
	switch s.Family {
	case 1:
		return "unix:" + s.Path
	case 2, 10:
		return s.Addr.String()
	}
	return "family:" + strconv.Itoa(int(s.Family))
}

// Tuple is a socket's addresses read from the kernel, as Falco orders
// them: the source, then the destination. Outbound calls (connect, sendto)
// have the local end as source, inbound ones (accept, recvfrom) the peer.
// For a unix socket, Path is the peer's path and Sock and Peer the two
// sockets' kernel addresses.
type Tuple struct {
	Family     uint16
	Src, Dst   netip.AddrPort
	Path       string
	Sock, Peer uint64
}

func (t Tuple) String() string {
	switch t.Family {
	case 1:
		return "unix:" + t.Path
	case 2, 10:
		return t.Src.String() + "->" + t.Dst.String()
	}
	return "family:" + strconv.Itoa(int(t.Family))
}

// ErrMalformed is returned (wrapped) for a record that is not a valid event.
var ErrMalformed = errors.New("malformed event")

func malformed(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrMalformed, fmt.Sprintf(format, args...))
}

// Header is the fixed part of an event.
type Header struct {
	Ts      uint64
	Tid     uint64 // tgid << 32 | pid
	Len     uint32
	Type    uint16
	Nparams uint32
}

// ParseHeader reads the header of raw and checks it against the record's size.
func ParseHeader(raw []byte) (Header, error) {
	if len(raw) < HeaderLen {
		return Header{}, malformed("record of %d bytes is shorter than the %d-byte header", len(raw), HeaderLen)
	}
	le := binary.LittleEndian
	h := Header{
		Ts:      le.Uint64(raw[offTs:]),
		Tid:     le.Uint64(raw[offTid:]),
		Len:     le.Uint32(raw[offLen:]),
		Type:    le.Uint16(raw[offType:]),
		Nparams: le.Uint32(raw[offNparams:]),
	}
	if int(h.Len) != len(raw) {
		return h, malformed("header says %d bytes, record has %d", h.Len, len(raw))
	}
	if h.Nparams > 32 || HeaderLen+2*int(h.Nparams) > len(raw) {
		return h, malformed("%d parameters do not fit in %d bytes", h.Nparams, len(raw))
	}
	return h, nil
}

// TypeName returns "<syscall>_enter" or "<syscall>_exit" for an event type.
func (t *Table) TypeName(typ uint16) string {
	nr, kind := int(typ/4), int(typ%4)
	name := "syscall_" + strconv.Itoa(nr)
	if s, ok := t.ByNr(nr); ok {
		name = s.Name
	}
	if kind == KindEnter {
		return name + "_enter"
	}
	return name + "_exit"
}

// Decode decodes one record with the native syscall table.
func Decode(raw []byte) (Event, error) { return Native().Decode(raw) }

// Decode decodes one record. It never panics: a malformed record gives an
// error wrapping ErrMalformed.
func (t *Table) Decode(raw []byte) (Event, error) {
	h, err := ParseHeader(raw)
	if err != nil {
		return Event{}, err
	}
	nr, kind := int(h.Type/4), int(h.Type%4)
	s, ok := t.ByNr(nr)
	if !ok {
		return Event{}, malformed("unknown syscall number %d", nr)
	}
	var params []Param
	ev := Event{Ts: h.Ts, Pid: uint32(h.Tid >> 32), Tid: uint32(h.Tid), Nr: nr, Syscall: s.Name, Raw: raw}
	switch kind {
	case KindEnter:
		ev.Dir, params = "enter", s.Enter
	case KindExit:
		ev.Dir, params = "exit", s.Exit
	case KindMerged:
		ev.Dir, ev.Merged, params = "exit", true, s.Merged
	default:
		return Event{}, malformed("unknown event kind %d", kind)
	}
	if int(h.Nparams) != len(params) {
		return Event{}, malformed("%s %s has %d parameters, expected %d", s.Name, ev.Dir, h.Nparams, len(params))
	}
	pos := HeaderLen + 2*len(params)
	ev.Params = make([]Value, len(params))
	for i, p := range params {
		n := int(binary.LittleEndian.Uint16(raw[HeaderLen+2*i:]))
		if pos+n > len(raw) {
			return Event{}, malformed("parameter %s of %d bytes overruns the record", p.Name, n)
		}
		v, err := decodeValue(p.Type, raw[pos:pos+n])
		if err != nil {
			return Event{}, fmt.Errorf("%w: parameter %s: %v", ErrMalformed, p.Name, err)
		}
		ev.Params[i] = Value{Name: p.Name, Type: p.Type, Val: v}
		pos += n
	}
	if pos != len(raw) {
		return Event{}, malformed("%d trailing bytes", len(raw)-pos)
	}
	return ev, nil
}

func decodeValue(t ParamType, b []byte) (any, error) {
	le := binary.LittleEndian
	if len(b) == 0 {
		return nil, nil
	}
	fixed := func(n int) error {
		if len(b) != n {
			return fmt.Errorf("%s of %d bytes, expected %d", t, len(b), n)
		}
		return nil
	}
	switch t {
	case PTS64:
		if err := fixed(8); err != nil {
			return nil, err
		}
		return int64(le.Uint64(b)), nil
	case PTU64:
		if err := fixed(8); err != nil {
			return nil, err
		}
		return le.Uint64(b), nil
	case PTU32:
		if err := fixed(4); err != nil {
			return nil, err
		}
		return le.Uint32(b), nil
	case PTU16:
		if err := fixed(2); err != nil {
			return nil, err
		}
		return le.Uint16(b), nil
	case PTU8:
		if err := fixed(1); err != nil {
			return nil, err
		}
		return b[0], nil
	case PTBytes:
		return b, nil
	case PTPath:
		if b[len(b)-1] != 0 {
			return nil, errors.New("path is not NUL-terminated")
		}
		return string(b[:len(b)-1]), nil
	case PTSockaddr:
		return decodeSockaddr(b), nil
	case PTTuple:
		return decodeTuple(b)
	case PTSockopt:
		if b[0] != 0 {
			return nil, fmt.Errorf("sockopt tag %d", b[0])
		}
		return b[1:], nil
	}
	return nil, fmt.Errorf("unknown parameter type %d", t)
}

func cString(b []byte) string {
	if i := strings.IndexByte(string(b), 0); i >= 0 {
		return string(b[:i])
	}
	return string(b)
}

// decodeSockaddr never fails: whatever the caller's address held, the
// event is worth more with it marked than dropped. The wire form is
// Falco's: u8 family, then inet 4-byte address and port (7 bytes), inet6
// 16-byte address and port (19 bytes), unix the path; an address shorter
// than its family's struct comes as the family alone.
func decodeSockaddr(b []byte) SockAddr {
	s := SockAddr{Family: uint16(b[0])}
	le := binary.LittleEndian
	switch s.Family {
	case 1:
		s.Path = cString(b[1:])
	case 2:
		if len(b) != 7 {
			s.Short = true
			break
		}
		s.Addr = netip.AddrPortFrom(netip.AddrFrom4([4]byte(b[1:5])), le.Uint16(b[5:]))
	case 10:
		if len(b) != 19 {
			s.Short = true
			break
		}
		s.Addr = netip.AddrPortFrom(netip.AddrFrom16([16]byte(b[1:17])), le.Uint16(b[17:]))
	}
	return s
}

func decodeTuple(b []byte) (Tuple, error) {
	t := Tuple{Family: uint16(b[0])}
	le := binary.LittleEndian
	switch t.Family {
	case 1:
		if len(b) < 18 {
			return t, fmt.Errorf("unix tuple of %d bytes", len(b))
		}
		t.Sock, t.Peer = le.Uint64(b[1:]), le.Uint64(b[9:])
		t.Path = cString(b[17:])
	case 2:
		if len(b) != 13 {
			return t, fmt.Errorf("inet tuple of %d bytes", len(b))
		}
		t.Src = netip.AddrPortFrom(netip.AddrFrom4([4]byte(b[1:5])), le.Uint16(b[5:]))
		t.Dst = netip.AddrPortFrom(netip.AddrFrom4([4]byte(b[7:11])), le.Uint16(b[11:]))
	case 10:
		if len(b) != 37 {
			return t, fmt.Errorf("inet6 tuple of %d bytes", len(b))
		}
		t.Src = netip.AddrPortFrom(netip.AddrFrom16([16]byte(b[1:17])), le.Uint16(b[17:]))
		t.Dst = netip.AddrPortFrom(netip.AddrFrom16([16]byte(b[19:35])), le.Uint16(b[35:]))
	}
	return t, nil
}

// Format renders a value for people: numbers in decimal, data as
// printable ASCII with other bytes as '.', addresses as ip:port.
func (v Value) Format() string {
	switch x := v.Val.(type) {
	case nil:
		return ""
	case []byte:
		return printable(x)
	case string:
		return x
	case fmt.Stringer:
		return x.String()
	}
	return fmt.Sprint(v.Val)
}

// JSON returns the value as it goes into trace's JSON lines, losslessly:
// numbers stay numbers; bytes that are valid UTF-8 are a JSON string (its
// escapes keep every byte, control characters included); other bytes are
// {"base64": "..."}, standard encoding; the rest is its Format string.
func (v Value) JSON() any {
	switch x := v.Val.(type) {
	case int64, uint64, uint32, uint16, uint8:
		return x
	case nil:
		return nil
	case []byte:
		if utf8.Valid(x) {
			return string(x)
		}
		return map[string]string{"base64": base64.StdEncoding.EncodeToString(x)}
	}
	return v.Format()
}

func printable(b []byte) string {
	out := make([]byte, len(b))
	for i, c := range b {
		if c >= 0x20 && c < 0x7f {
			out[i] = c
		} else {
			out[i] = '.'
		}
	}
	return string(out)
}
