package probes

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"runtime"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
	"unsafe"

	"github.com/cilium/ebpf"
	"github.com/cilium/ebpf/btf"
	"golang.org/x/sys/unix"
)

// syscallFuncPrefixes begin the names of the kernel's syscall entry
// functions, the native ones of x86-64 and arm64: __x64_sys_openat.
var syscallFuncPrefixes = []string{"__x64_sys_", "__arm64_sys_"}

// attachRole is the role of a program attached to target by kind, and
// the syscall it runs on when it runs on one syscall only:
//
//   - the dispatchers: sys_enter and sys_exit (raw_syscalls:*, by raw
//     tracepoint, tracepoint or tp_btf), role enter or exit, no syscall;
//   - one syscall's tracepoints: syscalls:sys_enter_NAME and
//     sys_exit_NAME, role enter or exit of syscall NAME;
//   - one syscall's entry function __x64_sys_NAME (__arm64_sys_NAME):
//     kprobe and fentry are its enter side, kretprobe and fexit its exit
//     side; a kprobe inside the function (an offset), fmod_ret and any
//     other kind are "other".
//
// kind is the attach point's kind: "raw_tracepoint", "tracepoint",
// "tracing" (tp_btf), "fentry", "fexit", "kprobe", "kretprobe", ...
func attachRole(kind, target string) (role, syscall string) {
	switch kind {
	case "kprobe", "fentry", "kretprobe", "fexit":
		for _, prefix := range syscallFuncPrefixes {
			name, ok := strings.CutPrefix(target, prefix)
			if !ok || name == "" || strings.ContainsAny(name, "+:") {
				continue
			}
			if kind == "kprobe" || kind == "fentry" {
				return RoleEnter, name
			}
			return RoleExit, name
		}
		return RoleOther, ""
	case "uprobe", "uretprobe", "fmod_ret":
		return RoleOther, ""
	}
	target = strings.TrimPrefix(strings.TrimPrefix(target, "raw_syscalls:"), "syscalls:")
	switch target {
	case "sys_enter":
		return RoleEnter, ""
	case "sys_exit":
		return RoleExit, ""
	}
	if name, ok := strings.CutPrefix(target, "sys_enter_"); ok && name != "" {
		return RoleEnter, name
	}
	if name, ok := strings.CutPrefix(target, "sys_exit_"); ok && name != "" {
		return RoleExit, name
	}
	return RoleOther, ""
}

// tracingKind names a tracing link's attach type from its fdinfo
// (attach_type, the number of enum bpf_attach_type): "fentry", "fexit",
// "fmod_ret", else "tracing" (tp_btf and the rest).
func tracingKind(info fdinfo) string {
	switch ebpf.AttachType(info.uint32("attach_type")) {
	case ebpf.AttachTraceFEntry:
		return "fentry"
	case ebpf.AttachTraceFExit:
		return "fexit"
	case ebpf.AttachModifyReturn:
		return "fmod_ret"
	}
	return "tracing"
}

// Attachment is one attached program found in a process tree.
type Attachment struct {
	ProgramID   uint32 `json:"program_id"`
	LinkType    string `json:"link_type"`    // from fdinfo link_type ("raw_tracepoint", "tracing", "perf_event", ...) or "perf_event" for programs attached with PERF_EVENT_IOC_SET_BPF
	Target      string `json:"target"`       // tracepoint/function name, e.g. "sys_enter", "sys_exit", "sys_enter_openat"
	AttachPoint string `json:"attach_point"` // e.g. "raw_tracepoint/sys_enter", "tracepoint/sys_exit"
	Role        string `json:"role"`         // RoleEnter, RoleExit or RoleOther: see attachRole
	// Syscall is the one syscall the program runs on, for a per-syscall
	// tracepoint (sys_enter_openat) or syscall function (__x64_sys_openat);
	// "" for the sys_enter and sys_exit dispatchers and other programs.
	Syscall string `json:"syscall,omitempty"`
}

// TreeBPF is what a set of processes holds of BPF objects, read from
// /proc/<pid>/fd and /proc/<pid>/fdinfo only: it opens no BPF object.
type TreeBPF struct {
	Programs     []uint32     // distinct ids of every program held (prog fds, links, perf events)
	Maps         []uint32     // distinct ids of every map held
	Attached     []Attachment // distinct (program, attach point) pairs
	MemlockBytes uint64       // sum of fdinfo memlock over the distinct programs and maps
	// PerfBufferBytes is the size of the perf event ring buffers the
	// processes mapped (anon_inode:[perf_event] in /proc/<pid>/maps):
	// the output of a BPF_MAP_TYPE_PERF_EVENT_ARRAY (bpftrace's, Falco's
	// older bpf driver's). The map's memlock counts only its array of
	// slots, and the kernel charges these pages to no memory cgroup.
	PerfBufferBytes uint64
}

// FindBPF lists the BPF programs, maps and attachments the processes pids
// hold through their file descriptors. Links are read from their fdinfo;
// perf events (PERF_EVENT_IOC_SET_BPF, as bpftrace attaches) are asked
// with BPF_TASK_FD_QUERY. Nothing is opened by id, so it is safe to call
// while a tracer starts or stops. A pid that vanished meanwhile (or an fd
// closed meanwhile) is skipped. A program held only through a link or a
// perf event has no memlock in any fdinfo and adds nothing to MemlockBytes.
func FindBPF(pids []int) (TreeBPF, error) {
	s := bpfScan{
		progs:     map[uint32]bool{},
		maps:      map[uint32]bool{},
		memlock:   map[[2]uint32]uint64{},
		attached:  map[[2]string]bool{},
		perfLinks: map[uint32]Attachment{},
	}
	for _, pid := range pids {
		if err := s.process(pid); err != nil {
			return s.tree, err
		}
		s.tree.PerfBufferBytes += perfBufferBytes(pid)
	}
	s.perf()
	return s.finish(), nil
}

// bpfScan is FindBPF's state: what it found so far, each object once.
type bpfScan struct {
	tree     TreeBPF
	progs    map[uint32]bool
	maps     map[uint32]bool
	memlock  map[[2]uint32]uint64 // {0, prog id} or {1, map id}
	attached map[[2]string]bool   // {prog id, attach point}
	kernel   *btf.Spec            // loaded once, for tracing links
	// Perf events are asked last, so a program attached through a perf
	// link (which also keeps its perf event fd) is reported with the
	// link's type.
	perfEvents [][2]int              // pid, fd
	perfLinks  map[uint32]Attachment // perf links without event details, by program
}

func (s *bpfScan) addProg(id uint32) {
	if id != 0 && !s.progs[id] {
		s.progs[id] = true
		s.tree.Programs = append(s.tree.Programs, id)
	}
}

func (s *bpfScan) attach(a Attachment) {
	s.addProg(a.ProgramID)
	key := [2]string{strconv.FormatUint(uint64(a.ProgramID), 10), a.AttachPoint}
	if a.ProgramID != 0 && !s.attached[key] {
		s.attached[key] = true
		s.tree.Attached = append(s.tree.Attached, a)
	}
}

// process reads the fds of pid; a pid gone meanwhile is skipped.
func (s *bpfScan) process(pid int) error {
	dir := fmt.Sprintf("/proc/%d/fd", pid)
	ents, err := os.ReadDir(dir)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) || errors.Is(err, unix.ESRCH) {
			return nil // gone meanwhile
		}
		return fmt.Errorf("listing fds of pid %d: %w", pid, err)
	}
	for _, ent := range ents {
		fd, err := strconv.Atoi(ent.Name())
		if err != nil {
			continue
		}
		target, err := os.Readlink(dir + "/" + ent.Name())
		if err != nil {
			continue // closed meanwhile, or the process is gone
		}
		s.fd(pid, fd, target)
	}
	return nil
}

// fd reads fd of pid, whose link points to target, when it is a BPF
// object or a perf event.
func (s *bpfScan) fd(pid, fd int, target string) {
	switch target {
	case "anon_inode:bpf-prog", "anon_inode:bpf-map", "anon_inode:bpf_link":
	case "anon_inode:[perf_event]":
		s.perfEvents = append(s.perfEvents, [2]int{pid, fd})
		return
	default:
		return
	}
	info, err := readFdinfo(pid, fd)
	if err != nil {
		return // closed meanwhile
	}
	switch target {
	case "anon_inode:bpf-prog":
		id := info.uint32("prog_id")
		s.addProg(id)
		if id != 0 {
			s.memlock[[2]uint32{0, id}] = info.uint64("memlock")
		}
	case "anon_inode:bpf-map":
		id := info.uint32("map_id")
		if id != 0 && !s.maps[id] {
			s.maps[id] = true
			s.tree.Maps = append(s.tree.Maps, id)
		}
		if id != 0 {
			s.memlock[[2]uint32{1, id}] = info.uint64("memlock")
		}
	case "anon_inode:bpf_link":
		s.link(info)
	}
}

// link records the attachment of a link's fdinfo.
func (s *bpfScan) link(info fdinfo) {
	a := Attachment{ProgramID: info.uint32("prog_id"), LinkType: info["link_type"]}
	a.Target = linkTarget(info, &s.kernel)
	if a.LinkType == "perf" && a.Target == "" && info["event_type"] == "" {
		// Linux before 6.6 shows nothing of a perf link's event in its
		// fdinfo: the perf event fd, asked in perf, names it.
		s.addProg(a.ProgramID)
		s.perfLinks[a.ProgramID] = a
		return
	}
	a.AttachPoint = a.LinkType + "/" + a.Target
	if ev := info["event_type"]; ev != "" {
		// A perf link (link_type "perf"): name it as the perf event it
		// holds, e.g. tracepoint/sys_enter_openat.
		a.AttachPoint = ev + "/" + a.Target
	}
	kind := a.LinkType
	switch {
	case info["event_type"] != "":
		kind = info["event_type"]
	case kind == "tracing":
		kind = tracingKind(info)
	}
	a.Role, a.Syscall = attachRole(kind, a.Target)
	if a.ProgramID != 0 {
		s.attach(a)
	}
}

// perf asks the perf events found for their programs, naming the perf
// links whose fdinfo did not.
func (s *bpfScan) perf() {
	named := map[uint32]bool{} // perf links named by their perf event
	for _, pf := range s.perfEvents {
		if a, ok := queryPerfEvent(pf[0], pf[1]); ok {
			if l, ok := s.perfLinks[a.ProgramID]; ok {
				a.LinkType = l.LinkType
				named[a.ProgramID] = true
			}
			s.attach(a)
		}
	}
	for id, a := range s.perfLinks {
		if !named[id] {
			a.AttachPoint = a.LinkType + "/"
			s.attach(a)
		}
	}
}

// finish sums the memlock and sorts what was found.
func (s *bpfScan) finish() TreeBPF {
	tree := s.tree
	for _, b := range s.memlock {
		tree.MemlockBytes += b
	}
	sort.Slice(tree.Programs, func(i, j int) bool { return tree.Programs[i] < tree.Programs[j] })
	sort.Slice(tree.Maps, func(i, j int) bool { return tree.Maps[i] < tree.Maps[j] })
	sort.SliceStable(tree.Attached, func(i, j int) bool {
		a, b := tree.Attached[i], tree.Attached[j]
		if a.AttachPoint != b.AttachPoint {
			return a.AttachPoint < b.AttachPoint
		}
		return a.ProgramID < b.ProgramID
	})
	return tree
}

// perfBufferBytes adds up the sizes of the perf event mappings in
// /proc/<pid>/maps: each a perf ring buffer (a metadata page and its
// data pages). Such mappings are not inherited by a fork
// (VM_DONTCOPY), so none counts twice across a process tree. 0 when the
// process is gone.
func perfBufferBytes(pid int) uint64 {
	f, err := os.Open(fmt.Sprintf("/proc/%d/maps", pid))
	if err != nil {
		return 0
	}
	defer f.Close()
	var sum uint64
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		if !strings.HasSuffix(line, "anon_inode:[perf_event]") {
			continue
		}
		r, _, _ := strings.Cut(line, " ")
		lo, hi, ok := strings.Cut(r, "-")
		if !ok {
			continue
		}
		a, err1 := strconv.ParseUint(lo, 16, 64)
		b, err2 := strconv.ParseUint(hi, 16, 64)
		if err1 == nil && err2 == nil && b > a {
			sum += b - a
		}
	}
	return sum
}

// fdinfo is one /proc/<pid>/fdinfo/<fd> file, key to value.
type fdinfo map[string]string

func readFdinfo(pid, fd int) (fdinfo, error) {
	f, err := os.Open(fmt.Sprintf("/proc/%d/fdinfo/%d", pid, fd))
	if err != nil {
		return nil, err
	}
	defer f.Close()
	info := fdinfo{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), ":")
		if ok {
			info[strings.TrimSpace(k)] = strings.TrimSpace(v)
		}
	}
	return info, sc.Err()
}

func (f fdinfo) uint64(key string) uint64 {
	v, _ := strconv.ParseUint(f[key], 0, 64)
	return v
}

func (f fdinfo) uint32(key string) uint32 {
	v, _ := strconv.ParseUint(f[key], 0, 32)
	return uint32(v)
}

// linkTarget names what a link is attached to, from its fdinfo:
// tp_name for raw tracepoint links (tp_btf programs use those too) and
// perf links on tracepoints, name (+offset) for perf links on kprobes and
// uprobes, the kernel function or tracepoint for tracing links (resolved
// in the kernel's BTF, loaded on first need).
func linkTarget(info fdinfo, kernel **btf.Spec) string {
	if v := info["tp_name"]; v != "" {
		return v
	}
	if v := info["name"]; v != "" {
		off := info.uint64("offset")
		switch {
		case strings.HasPrefix(info["event_type"], "uprobe") || strings.HasPrefix(info["event_type"], "uretprobe"):
			return fmt.Sprintf("%s:%#x", v, off)
		case off != 0:
			return fmt.Sprintf("%s+%#x", v, off)
		}
		return v
	}
	if v := info["func_name"]; v != "" {
		return v
	}
	if id := info.uint32("target_btf_id"); id != 0 {
		if *kernel == nil {
			if s, err := btf.LoadKernelSpec(); err == nil {
				*kernel = s
			}
		}
		if *kernel != nil {
			if t, err := (*kernel).TypeByID(btf.TypeID(id)); err == nil && t.TypeName() != "" {
				// tp_btf targets are the typedefs btf_trace_<tracepoint>.
				return strings.TrimPrefix(t.TypeName(), "btf_trace_")
			}
		}
		return fmt.Sprintf("btf_obj_%d_id_%d", info.uint32("target_obj_id"), id)
	}
	return ""
}

// BPF_TASK_FD_QUERY's fd types.
const (
	fdTypeRawTracepoint = 0
	fdTypeTracepoint    = 1
	fdTypeKprobe        = 2
	fdTypeKretprobe     = 3
	fdTypeUprobe        = 4
	fdTypeUretprobe     = 5
)

// taskFdQueryAttr is union bpf_attr's task_fd_query member.
type taskFdQueryAttr struct {
	Pid         uint32
	Fd          uint32
	Flags       uint32
	BufLen      uint32
	Buf         uint64
	ProgID      uint32
	FdType      uint32
	ProbeOffset uint64
	ProbeAddr   uint64
}

// queryPerfEvent asks the kernel which program the perf event fd of pid
// runs (BPF_TASK_FD_QUERY). ok is false for perf events without one.
func queryPerfEvent(pid, fd int) (Attachment, bool) {
	buf := make([]byte, 4096)
	attr := taskFdQueryAttr{
		Pid:    uint32(pid),
		Fd:     uint32(fd),
		BufLen: uint32(len(buf)),
		Buf:    uint64(uintptr(unsafe.Pointer(&buf[0]))),
	}
	_, _, errno := unix.Syscall(unix.SYS_BPF, unix.BPF_TASK_FD_QUERY, uintptr(unsafe.Pointer(&attr)), unsafe.Sizeof(attr))
	runtime.KeepAlive(buf)
	if errno != 0 && errno != unix.ENOSPC || attr.ProgID == 0 {
		return Attachment{}, false
	}
	n := attr.BufLen
	if n > uint32(len(buf)) {
		n = uint32(len(buf))
	}
	name := string(buf[:n])
	if i := strings.IndexByte(name, 0); i >= 0 {
		name = name[:i]
	}
	a := Attachment{ProgramID: attr.ProgID, LinkType: "perf_event"}
	kind := "perf_event"
	switch attr.FdType {
	case fdTypeRawTracepoint:
		kind, a.Target = "raw_tracepoint", name
	case fdTypeTracepoint:
		kind, a.Target = "tracepoint", name
	case fdTypeKprobe, fdTypeKretprobe:
		kind = "kprobe"
		if attr.FdType == fdTypeKretprobe {
			kind = "kretprobe"
		}
		a.Target = name
		if name == "" {
			a.Target = fmt.Sprintf("%#x", attr.ProbeAddr)
		}
		if attr.ProbeOffset != 0 {
			a.Target += fmt.Sprintf("+%#x", attr.ProbeOffset)
		}
	case fdTypeUprobe, fdTypeUretprobe:
		kind = "uprobe"
		if attr.FdType == fdTypeUretprobe {
			kind = "uretprobe"
		}
		a.Target = fmt.Sprintf("%s:%#x", name, attr.ProbeOffset)
	default:
		a.Target = name
	}
	a.AttachPoint = kind + "/" + a.Target
	a.Role, a.Syscall = attachRole(kind, a.Target)
	return a, true
}

// ExternalPrograms holds the attached programs of another process by id
// so their stats can be read. It keeps them loaded: Close it before the
// process that loaded them stops, so it never opens or holds a BPF object
// during that process's teardown.
type ExternalPrograms struct {
	mu     sync.Mutex
	progs  []externalProg
	closed bool
}

type externalProg struct {
	prog  *ebpf.Program
	stats ProgramStats // Name, AttachPoint, Role, ID, Type
}

// OpenExternal opens each distinct program of att by id and reads its name
// and type once. A program attached at several points is listed once, its
// attach points joined with ","; its role is the first enter or exit role
// among them, else RoleOther; its syscall is those of its attach points
// of that role, sorted and joined with ",", or "" when one of them is a
// dispatcher (it then runs on every syscall).
func OpenExternal(att []Attachment) (*ExternalPrograms, error) {
	e := &ExternalPrograms{}
	index := map[uint32]int{}
	for _, a := range att {
		if i, ok := index[a.ProgramID]; ok {
			st := &e.progs[i].stats
			if !strings.Contains(","+st.AttachPoint+",", ","+a.AttachPoint+",") {
				st.AttachPoint += "," + a.AttachPoint
			}
			if st.Role == RoleOther || st.Role == "" {
				st.Role = a.Role
			}
			continue
		}
		prog, err := ebpf.NewProgramFromID(ebpf.ProgramID(a.ProgramID))
		if err != nil {
			e.Close()
			return nil, fmt.Errorf("opening program %d (%s): %w", a.ProgramID, a.AttachPoint, err)
		}
		st := ProgramStats{ID: a.ProgramID, AttachPoint: a.AttachPoint, Role: a.Role, Type: prog.Type().String()}
		if info, err := prog.Info(); err == nil {
			st.Name = info.Name
		} else {
			prog.Close()
			e.Close()
			return nil, fmt.Errorf("reading info of program %d: %w", a.ProgramID, err)
		}
		index[a.ProgramID] = len(e.progs)
		e.progs = append(e.progs, externalProg{prog: prog, stats: st})
	}
	for i := range e.progs {
		st := &e.progs[i].stats
		if st.Role == "" {
			st.Role = RoleOther
		}
		st.Syscall = programSyscall(att, *st)
	}
	return e, nil
}

// programSyscall is the syscall field of st, a program whose role is
// settled: the syscalls of its attachments in att that have its role.
func programSyscall(att []Attachment, st ProgramStats) string {
	if st.Role != RoleEnter && st.Role != RoleExit {
		return ""
	}
	var names []string
	for _, a := range att {
		if a.ProgramID != st.ID || a.Role != st.Role {
			continue
		}
		if a.Syscall == "" {
			return "" // a dispatcher: every syscall
		}
		if !slices.Contains(names, a.Syscall) {
			names = append(names, a.Syscall)
		}
	}
	slices.Sort(names)
	return strings.Join(names, ",")
}

// Snapshot reads the cumulative run stats of every program. Counters stay
// zero: another tracer's event counters are its own business.
func (e *ExternalPrograms) Snapshot() (Snapshot, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	s := Snapshot{Time: now()}
	if e.closed {
		return s, errors.New("reading stats: external programs are closed")
	}
	for _, p := range e.progs {
		st, err := p.prog.Stats()
		if err != nil {
			return s, fmt.Errorf("reading stats of program %d (%s): %w", p.stats.ID, p.stats.Name, err)
		}
		ps := p.stats
		ps.RunCount = st.RunCount
		ps.RunTimeNs = uint64(st.Runtime.Nanoseconds())
		ps.RecursionMisses = st.RecursionMisses
		s.Programs = append(s.Programs, ps)
	}
	return s, nil
}

// Close closes every program fd OpenExternal opened; safe to call twice.
func (e *ExternalPrograms) Close() error {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.closed {
		return nil
	}
	e.closed = true
	var errs []error
	for _, p := range e.progs {
		if err := p.prog.Close(); err != nil {
			errs = append(errs, fmt.Errorf("closing program %d: %w", p.stats.ID, err))
		}
	}
	e.progs = nil
	return errors.Join(errs...)
}

// ErrStillLoaded is returned (wrapped) by WaitGone when BPF objects stay
// loaded: a tracer that exited left them behind, and they would run on
// every later run's syscalls.
var ErrStillLoaded = errors.New("BPF objects stay loaded")

// WaitGone waits until none of the program ids and map ids exists any
// more. It opens nothing: it walks the kernel's id lists with
// BPF_PROG_GET_NEXT_ID and BPF_MAP_GET_NEXT_ID every 20 ms, so it cannot
// keep alive, or interfere with the teardown of, what it waits for. After
// timeout it returns an error naming what is still there.
func WaitGone(progs, maps []uint32, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for {
		leftProgs, err := stillThere(progs, func(id uint32) (uint32, error) {
			next, err := ebpf.ProgramGetNextID(ebpf.ProgramID(id))
			return uint32(next), err
		})
		if err != nil {
			return fmt.Errorf("listing program ids: %w", err)
		}
		leftMaps, err := stillThere(maps, func(id uint32) (uint32, error) {
			next, err := ebpf.MapGetNextID(ebpf.MapID(id))
			return uint32(next), err
		})
		if err != nil {
			return fmt.Errorf("listing map ids: %w", err)
		}
		if len(leftProgs) == 0 && len(leftMaps) == 0 {
			return nil
		}
		if !time.Now().Before(deadline) {
			var parts []string
			if len(leftProgs) > 0 {
				parts = append(parts, fmt.Sprintf("%d program(s) %v", len(leftProgs), leftProgs))
			}
			if len(leftMaps) > 0 {
				parts = append(parts, fmt.Sprintf("%d map(s) %v", len(leftMaps), leftMaps))
			}
			return fmt.Errorf("waiting for BPF objects to go: %w: %s still loaded after %v", ErrStillLoaded, strings.Join(parts, " and "), timeout)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// stillThere returns the ids of want that the kernel's id list (walked
// with next) still has, sorted.
func stillThere(want []uint32, next func(uint32) (uint32, error)) ([]uint32, error) {
	if len(want) == 0 {
		return nil, nil
	}
	wanted := make(map[uint32]bool, len(want))
	for _, id := range want {
		wanted[id] = true
	}
	var left []uint32
	for id := uint32(0); ; {
		n, err := next(id)
		if errors.Is(err, os.ErrNotExist) {
			break
		}
		if err != nil {
			return nil, err
		}
		if n <= id { // cannot happen; guards against a loop
			break
		}
		id = n
		if wanted[id] {
			left = append(left, id)
			delete(wanted, id)
			if len(wanted) == 0 {
				break
			}
		}
	}
	return left, nil
}
