package syscalls

import (
	"errors"
	"fmt"
	"runtime"
	"sort"
	"strings"
)

// Wire types of parameters. The C side writes them (probes/bpf/probes.bpf.c),
// the decoder reads them; every parameter is preceded in the event by a u16
// length, so a decoder can skip what it does not know. The layouts are
// Falco's (see the fillers' comment in probes.bpf.c).
const (
	PTS64      ParamType = iota + 1 // signed 64-bit (res, fd, dirfd)
	PTU64                           // unsigned 64-bit (ino, arg)
	PTU32                           // unsigned 32-bit (size, flags, mode, domain, ...)
	PTU16                           // unsigned 16-bit (a generic event's syscall number)
	PTU8                            // unsigned 8-bit (fcntl's cmd, setsockopt's level; 255 stands for any value above)
	PTBytes                         // bytes from user memory, cut at the snaplen (data)
	PTPath                          // NUL-terminated string from user memory, up to PATH_MAX (name)
	PTSockaddr                      // a struct sockaddr from user memory, compact: family, address, port (addr)
	PTTuple                         // addresses and ports read from the kernel socket (tuple)
	PTSockopt                       // a tag byte (0: raw) and an option's bytes (setsockopt's val)
)

var paramTypeNames = map[ParamType]string{
	PTS64: "s64", PTU64: "u64", PTU32: "u32", PTU16: "u16", PTU8: "u8", PTBytes: "bytes",
	PTPath: "path", PTSockaddr: "sockaddr", PTTuple: "tuple", PTSockopt: "sockopt",
}

func (t ParamType) String() string {
	if n, ok := paramTypeNames[t]; ok {
		return n
	}
	return fmt.Sprintf("type(%d)", uint8(t))
}

// Param is one parameter of an event: its name is part of benchctl's
// interface (tests, trace output and reports use it).
type Param struct {
	Name string
	Type ParamType
}

// Syscall describes how one syscall is traced.
type Syscall struct {
	Name string
	Nr   int
	// Filler is the base name of the BPF fillers for this syscall
	// ("<filler>_e", "<filler>_x", "<filler>_xm"); "generic" for syscalls
	// without a specific one.
	Filler string
	// Enter and Exit are the parameters of the enter and exit events of
	// enter_exit (Falco libs 0.21.0's); Merged those of exit_only's one
	// exit event (libs 0.25.4's): the exit parameters and, after them,
	// what only the enter event carried.
	Enter, Exit, Merged []Param
}

// Generic reports whether the syscall uses the generic filler.
func (s Syscall) Generic() bool { return s.Filler == genericFiller }

// HasPath says whether any of s's events has a path parameter.
func (s Syscall) HasPath() bool {
	for _, ps := range [][]Param{s.Enter, s.Exit, s.Merged} {
		for _, p := range ps {
			if p.Type == PTPath {
				return true
			}
		}
	}
	return false
}

const genericFiller = "generic"

// Parameters shared by many syscalls.
var (
	pRes      = Param{"res", PTS64}
	pFd       = Param{"fd", PTS64}
	pDirfd    = Param{"dirfd", PTS64}
	pSize     = Param{"size", PTU32}
	pData     = Param{"data", PTBytes}
	pName     = Param{"name", PTPath}
	pFlags    = Param{"flags", PTU32}
	pMode     = Param{"mode", PTU32}
	pAddr     = Param{"addr", PTSockaddr}
	pTuple    = Param{"tuple", PTTuple}
	pMaxevent = Param{"maxevents", PTS64}
	pDev      = Param{"dev", PTU32}
	pIno      = Param{"ino", PTU64}
	pID       = Param{"id", PTU16}
	pNativeID = Param{"native_id", PTU16}
)

func ps(p ...Param) []Param { return p }

// The shapes shared by several syscalls.
var (
	genericShape = Syscall{Filler: genericFiller, Enter: ps(pID, pNativeID), Exit: ps(pID), Merged: ps(pID, pNativeID)}
	readExit     = ps(pRes, pData, pFd, pSize)
	acceptExit   = ps(pRes, pTuple, Param{"queuepct", PTU8}, Param{"queuelen", PTU32}, Param{"queuemax", PTU32})
	socketParams = ps(Param{"domain", PTU32}, Param{"type", PTU32}, Param{"proto", PTU32})
	sockoptExit  = ps(pRes, pFd, Param{"level", PTU8}, Param{"optname", PTU8}, Param{"val", PTSockopt}, Param{"optlen", PTU32})
	cat          = func(lists ...[]Param) []Param {
		var out []Param
		for _, l := range lists {
			out = append(out, l...)
		}
		return out
	}
)

// specific lists the syscalls with their own fillers, in Falco's shapes.
// The C fillers in probes/bpf/probes.bpf.c write exactly these parameters
// in this order; TestFillers (package probes) holds the two together.
// Syscalls that Falco sends as generic events (epoll_ctl, epoll_pwait,
// clock_gettime, gettimeofday, clock_nanosleep, ...) use the generic
// filler here too.
var specific = []Syscall{
	{Name: "read", Filler: "read", Enter: ps(pFd, pSize), Exit: readExit, Merged: readExit},
	{Name: "write", Filler: "write", Enter: ps(pFd, pSize), Exit: readExit, Merged: readExit},
	{Name: "close", Filler: "close", Enter: ps(pFd), Exit: ps(pRes), Merged: ps(pRes, pFd)},
	{Name: "fcntl", Filler: "fcntl", Enter: ps(pFd, Param{"cmd", PTU8}), Exit: ps(pRes, pFd, Param{"cmd", PTU8}),
		Merged: ps(pRes, pFd, Param{"cmd", PTU8}, Param{"arg", PTU64})},
	{Name: "epoll_wait", Filler: "epoll_wait", Enter: ps(pMaxevent), Exit: ps(pRes), Merged: ps(pRes, pMaxevent)},
	{Name: "socket", Filler: "socket", Enter: socketParams, Exit: cat(ps(pRes), socketParams),
		Merged: cat(ps(pRes), socketParams, ps(pFlags))},
	{Name: "connect", Filler: "connect", Enter: ps(pFd, pAddr), Exit: ps(pRes, pTuple, pFd), Merged: ps(pRes, pTuple, pFd, pAddr)},
	{Name: "sendto", Filler: "sendto", Enter: ps(pFd, pSize, pTuple), Exit: ps(pRes, pData), Merged: ps(pRes, pData, pFd, pSize, pTuple)},
	{Name: "recvfrom", Filler: "recvfrom", Enter: ps(pFd, pSize), Exit: ps(pRes, pData, pTuple), Merged: ps(pRes, pData, pTuple, pFd, pSize)},
	{Name: "setsockopt", Filler: "setsockopt", Enter: ps(), Exit: sockoptExit, Merged: sockoptExit},
	{Name: "accept", Filler: "accept", Enter: ps(), Exit: acceptExit, Merged: acceptExit},
	{Name: "accept4", Filler: "accept4", Enter: ps(pFlags), Exit: acceptExit, Merged: cat(acceptExit, ps(pFlags))},
	{Name: "open", Filler: "open", Enter: ps(pName, pFlags, pMode), Exit: ps(pRes, pName, pFlags, pMode, pDev, pIno),
		Merged: ps(pRes, pName, pFlags, pMode, pDev, pIno)},
	{Name: "openat", Filler: "openat", Enter: ps(pDirfd, pName, pFlags, pMode), Exit: ps(pRes, pDirfd, pName, pFlags, pMode, pDev, pIno),
		Merged: ps(pRes, pDirfd, pName, pFlags, pMode, pDev, pIno)},
	{Name: "openat2", Filler: "openat2", Enter: ps(pDirfd, pName, pFlags, pMode, Param{"resolve", PTU32}),
		Exit:   ps(pRes, pDirfd, pName, pFlags, pMode, Param{"resolve", PTU32}, pDev, pIno),
		Merged: ps(pRes, pDirfd, pName, pFlags, pMode, Param{"resolve", PTU32}, pDev, pIno)},
	{Name: "creat", Filler: "creat", Enter: ps(pName, pMode), Exit: ps(pRes, pName, pMode, pDev, pIno, Param{"creat_flags", PTU16}),
		Merged: ps(pRes, pName, pMode, pDev, pIno, Param{"creat_flags", PTU16})},
	{Name: "open_by_handle_at", Filler: "open_by_handle_at", Enter: ps(),
		Exit:   ps(pRes, Param{"mountfd", PTS64}, pFlags, Param{"path", PTPath}, pDev, pIno),
		Merged: ps(pRes, Param{"mountfd", PTS64}, pFlags, Param{"path", PTPath}, pDev, pIno)},
}

// MaxSyscallNr bounds syscall numbers; the BPF maps indexed by syscall
// number have this many entries.
const MaxSyscallNr = 512

// ErrUnknownSyscall is returned (wrapped) by Lookup for a name the kernel
// does not know.
var ErrUnknownSyscall = errors.New("unknown syscall")

// Table is the syscall table of one architecture.
type Table struct {
	Arch   string
	byName map[string]Syscall
	byNr   map[int]Syscall
}

var tables = map[string]*Table{}

func init() {
	for arch, numbers := range syscallNumbers {
		t := &Table{Arch: arch, byName: map[string]Syscall{}, byNr: map[int]Syscall{}}
		for name, nr := range numbers {
			if nr >= MaxSyscallNr {
				continue
			}
			s := genericShape
			s.Name, s.Nr = name, nr
			t.byName[name] = s
		}
		for _, s := range specific {
			g, ok := t.byName[s.Name]
			if !ok {
				continue // e.g. open, creat and epoll_wait do not exist on arm64
			}
			s.Nr = g.Nr
			t.byName[s.Name] = s
		}
		for _, s := range t.byName {
			t.byNr[s.Nr] = s
		}
		tables[arch] = t
	}
}

// Native is the table of the architecture benchctl runs on.
func Native() *Table {
	t, ok := tables[runtime.GOARCH]
	if !ok {
		return &Table{Arch: runtime.GOARCH, byName: map[string]Syscall{}, byNr: map[int]Syscall{}}
	}
	return t
}

// Lookup finds a syscall of the native architecture by name.
func Lookup(name string) (Syscall, error) { return Native().Lookup(name) }

// Lookup finds a syscall by name; the error names the nearest valid names.
func (t *Table) Lookup(name string) (Syscall, error) {
	if s, ok := t.byName[name]; ok {
		return s, nil
	}
	near := t.Nearest(name, 3)
	if len(near) == 0 {
		return Syscall{}, fmt.Errorf("%w %q on %s", ErrUnknownSyscall, name, t.Arch)
	}
	return Syscall{}, fmt.Errorf("%w %q on %s (did you mean %s?)", ErrUnknownSyscall, name, t.Arch, strings.Join(near, ", "))
}

// ByNr finds a syscall by number.
func (t *Table) ByNr(nr int) (Syscall, bool) {
	s, ok := t.byNr[nr]
	return s, ok
}

// Names returns every syscall name, sorted.
func (t *Table) Names() []string {
	out := make([]string, 0, len(t.byName))
	for n := range t.byName {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// Nearest returns up to n syscall names closest to name (see NearestNames).
func (t *Table) Nearest(name string, n int) []string {
	names := make([]string, 0, len(t.byName))
	for other := range t.byName {
		names = append(names, other)
	}
	return NearestNames(name, names, n)
}

// NearestNames returns up to n of candidates closest to s by edit
// distance (case-insensitive; a candidate containing s counts as close),
// closest first: the suggestions of "did you mean" hints.
func NearestNames(s string, candidates []string, n int) []string {
	type cand struct {
		name string
		d    int
	}
	var cs []cand
	for _, c := range candidates {
		d := editDistance(strings.ToLower(s), strings.ToLower(c))
		if strings.Contains(c, s) && len(s) >= 3 {
			d = min(d, 1)
		}
		if d <= max(2, len(s)/3) {
			cs = append(cs, cand{c, d})
		}
	}
	sort.Slice(cs, func(i, j int) bool {
		if cs[i].d != cs[j].d {
			return cs[i].d < cs[j].d
		}
		return cs[i].name < cs[j].name
	})
	var out []string
	for i := 0; i < len(cs) && i < n; i++ {
		out = append(out, cs[i].name)
	}
	return out
}

func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

// ResolveSet looks up every name of a syscall set; the error names the
// first unknown one. An empty set is an error.
func ResolveSet(names []string) ([]Syscall, error) {
	if len(names) == 0 {
		return nil, errors.New("empty syscall set")
	}
	seen := map[string]bool{}
	var out []Syscall
	for _, n := range names {
		s, err := Lookup(n)
		if err != nil {
			return nil, err
		}
		if seen[n] {
			continue
		}
		seen[n] = true
		out = append(out, s)
	}
	return out, nil
}
