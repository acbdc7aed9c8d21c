package probes

import (
	"errors"
	"fmt"
	"runtime"
	"sort"
	"strings"
)

// Wire types of parameters. The C side writes them (probes/bpf/fillers.h),
// the decoder reads them; every parameter is preceded in the event by a u16
// length, so a decoder can skip what it does not know.
const (
	PTS64      ParamType = iota + 1 // signed 64-bit (res, fd, dirfd)
	PTU64                           // unsigned 64-bit (size, resolve)
	PTU32                           // unsigned 32-bit (flags, mode, domain, ...)
	PTBytes                         // bytes from user memory, cut at the snaplen (data)
	PTPath                          // NUL-terminated string from user memory, up to PATH_MAX (name)
	PTSockaddr                      // struct sockaddr from user memory (addr)
	PTTuple                         // addresses and ports read from the kernel socket (tuple)
	PTArgs                          // the six raw syscall arguments, u64 each (args)
)

var paramTypeNames = map[ParamType]string{
	PTS64: "s64", PTU64: "u64", PTU32: "u32", PTBytes: "bytes", PTPath: "path",
	PTSockaddr: "sockaddr", PTTuple: "tuple", PTArgs: "args",
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
	// Enter and Exit are the parameters of the enter and exit events; Exit
	// starts with res. An exit_only event carries Exit then Enter.
	Enter []Param
	Exit  []Param
}

// Generic reports whether the syscall uses the generic filler.
func (s Syscall) Generic() bool { return s.Filler == genericFiller }

// Merged returns the parameters of the exit_only exit event: res first,
// then the exit parameters, then the former enter parameters.
func (s Syscall) Merged() []Param {
	out := make([]Param, 0, len(s.Exit)+len(s.Enter))
	out = append(out, s.Exit...)
	return append(out, s.Enter...)
}

const genericFiller = "generic"

// Parameters shared by many syscalls.
var (
	pRes      = Param{"res", PTS64}
	pFd       = Param{"fd", PTS64}
	pDirfd    = Param{"dirfd", PTS64}
	pSize     = Param{"size", PTU64}
	pData     = Param{"data", PTBytes}
	pName     = Param{"name", PTPath}
	pFlags    = Param{"flags", PTU32}
	pMode     = Param{"mode", PTU32}
	pAddr     = Param{"addr", PTSockaddr}
	pTuple    = Param{"tuple", PTTuple}
	pClockid  = Param{"clockid", PTU32}
	pArgs     = Param{"args", PTArgs}
	pEpfd     = Param{"epfd", PTS64}
	pMaxevent = Param{"maxevents", PTU32}
	pTimeout  = Param{"timeout", PTS64}
)

func ps(p ...Param) []Param { return p }

// specific lists the syscalls with their own fillers. The C fillers in
// probes/bpf/probes.bpf.c write exactly these parameters in this order;
// TestFillersMatchTable and the per-syscall decode tests hold the two together.
var specific = []Syscall{
	{Name: "read", Filler: "read", Enter: ps(pFd, pSize), Exit: ps(pRes, pData)},
	{Name: "write", Filler: "read", Enter: ps(pFd, pSize), Exit: ps(pRes, pData)},
	{Name: "close", Filler: "close", Enter: ps(pFd), Exit: ps(pRes)},
	{Name: "fcntl", Filler: "fcntl", Enter: ps(pFd, Param{"cmd", PTU32}), Exit: ps(pRes)},
	{Name: "epoll_ctl", Filler: "epoll_ctl", Enter: ps(pEpfd, Param{"op", PTU32}, pFd), Exit: ps(pRes)},
	{Name: "epoll_wait", Filler: "epoll_wait", Enter: ps(pEpfd, pMaxevent, pTimeout), Exit: ps(pRes)},
	{Name: "epoll_pwait", Filler: "epoll_wait", Enter: ps(pEpfd, pMaxevent, pTimeout), Exit: ps(pRes)},
	{Name: "clock_gettime", Filler: "clock_gettime", Enter: ps(pClockid), Exit: ps(pRes)},
	{Name: "gettimeofday", Filler: "gettimeofday", Enter: ps(), Exit: ps(pRes)},
	{Name: "clock_nanosleep", Filler: "clock_nanosleep", Enter: ps(pClockid, pFlags), Exit: ps(pRes)},
	{Name: "socket", Filler: "socket", Enter: ps(Param{"domain", PTU32}, Param{"type", PTU32}, Param{"proto", PTU32}), Exit: ps(pRes)},
	{Name: "connect", Filler: "connect", Enter: ps(pFd, pAddr), Exit: ps(pRes, pTuple)},
	{Name: "sendto", Filler: "sendto", Enter: ps(pFd, pSize, pAddr), Exit: ps(pRes, pData)},
	{Name: "recvfrom", Filler: "recvfrom", Enter: ps(pFd, pSize), Exit: ps(pRes, pData, pAddr)},
	{Name: "setsockopt", Filler: "setsockopt", Enter: ps(pFd, Param{"level", PTU32}, Param{"optname", PTU32}, pSize), Exit: ps(pRes)},
	{Name: "accept", Filler: "accept", Enter: ps(pFd), Exit: ps(pRes, pTuple)},
	{Name: "accept4", Filler: "accept4", Enter: ps(pFd, pFlags), Exit: ps(pRes, pTuple)},
	{Name: "open", Filler: "open", Enter: ps(pName, pFlags, pMode), Exit: ps(pRes)},
	{Name: "openat", Filler: "openat", Enter: ps(pDirfd, pName, pFlags, pMode), Exit: ps(pRes)},
	{Name: "openat2", Filler: "openat2", Enter: ps(pDirfd, pName, pFlags, pMode, Param{"resolve", PTU64}), Exit: ps(pRes)},
	{Name: "creat", Filler: "creat", Enter: ps(pName, pMode), Exit: ps(pRes)},
	{Name: "open_by_handle_at", Filler: "open_by_handle_at", Enter: ps(pFd, pFlags), Exit: ps(pRes)},
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
			s := Syscall{Name: name, Nr: nr, Filler: genericFiller, Enter: ps(pArgs), Exit: ps(pRes)}
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
