package probes

import (
	"errors"
	"fmt"
	"os"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/cilium/ebpf"
	"github.com/cilium/ebpf/link"
	"github.com/cilium/ebpf/rlimit"
	"golang.org/x/sys/unix"

	"github.com/benchctl/benchctl/probes/syscalls"
	"github.com/benchctl/benchctl/record"
)

// Probes is a loaded and attached set of programs. Close detaches and
// unloads everything.
type Probes struct {
	cfg      Config
	syscalls []syscalls.Syscall
	coll     *ebpf.Collection
	// vars are the programs' globals, bound by bpf2go's names: a global
	// renamed in the C source breaks the build (make generate).
	vars  probesVariables
	links []link.Link
	// attached are the programs with their own attachment (the ones whose
	// stats mean something: a filler's time is counted under its dispatcher).
	attached []attachedProg
	rings    []*ebpf.Map
	ids      []ebpf.ProgramID
	mu       sync.Mutex
	closed   bool
	// cost is what loading cost (LoadCost), filled once attached.
	cost *record.Load
}

type attachedProg struct {
	name, point string
	prog        *ebpf.Program
	id          ebpf.ProgramID
}

// Config returns the configuration p was loaded with, defaults filled in.
func (p *Probes) Config() Config { return p.cfg }

// ProgramIDs returns the kernel IDs of every program p loaded, so a test
// can check that Close left none of them behind.
func (p *Probes) ProgramIDs() []ebpf.ProgramID { return append([]ebpf.ProgramID(nil), p.ids...) }

func (c *Config) fill() error {
	if c.Mode == "" {
		return errors.New("no probe mode given")
	}
	if _, err := ParseMode(string(c.Mode)); err != nil {
		return err
	}
	if c.TOCTOU == "" {
		c.TOCTOU = TOCTOUNone
	}
	if _, err := ParseTOCTOU(string(c.TOCTOU)); err != nil {
		return err
	}
	if c.TOCTOU != TOCTOUNone && c.Mode != ModeExitOnly {
		return fmt.Errorf("toctou option %q applies to mode exit_only only, not %s", c.TOCTOU, c.Mode)
	}
	if _, err := ParseStep(string(c.Step)); err != nil {
		return err
	}
	if c.Step != StepFull {
		switch {
		case c.Mode != ModeEnterExit && c.Mode != ModeExitOnly:
			return fmt.Errorf("step %q applies to modes enter_exit and exit_only, not %s", c.Step, c.Mode)
		case c.Step == StepExitSide && c.Mode != ModeEnterExit:
			return fmt.Errorf("step exit_side applies to mode enter_exit only, not %s", c.Mode)
		case c.TOCTOU != TOCTOUNone:
			return fmt.Errorf("step %q runs no fillers: it takes toctou none, not %s", c.Step, c.TOCTOU)
		}
	}
	if c.RingSize == 0 {
		c.RingSize = DefaultRingSize
	}
	page := os.Getpagesize()
	if c.RingSize < page || c.RingSize > MaxRingSize || c.RingSize&(c.RingSize-1) != 0 {
		return fmt.Errorf("ring buffer size %d must be a power of two from %d to %d bytes", c.RingSize, page, MaxRingSize)
	}
	if c.Snaplen == 0 {
		c.Snaplen = DefaultSnaplen
	}
	if c.Snaplen < 0 || c.Snaplen > MaxSnaplen {
		return fmt.Errorf("snaplen %d out of range 1..%d", c.Snaplen, MaxSnaplen)
	}
	return nil
}

// removeMemlock lifts RLIMIT_MEMLOCK once, before the first load.
var removeMemlock sync.Once

// Load loads and attaches the programs cfg asks for. ModeNone returns a
// Probes with nothing attached whose snapshots are empty.
func Load(cfg Config) (*Probes, error) {
	if err := cfg.fill(); err != nil {
		return nil, err
	}
	p := &Probes{cfg: cfg}
	if cfg.Mode == ModeNone {
		return p, nil
	}
	if cfg.Mode == ModeEnterExit || cfg.Mode == ModeExitOnly {
		set, err := syscalls.ResolveSet(cfg.Syscalls)
		if err != nil {
			return nil, err
		}
		p.syscalls = set
	}
	if err := CheckEnvironment(); err != nil {
		return nil, err
	}
	removeMemlock.Do(func() {
		// Kernels before 5.11 charge BPF memory to RLIMIT_MEMLOCK. Without
		// CAP_SYS_RESOURCE this fails; newer kernels do not need it.
		_ = rlimit.RemoveMemlock()
	})
	if err := p.load(); err != nil {
		p.Close()
		return nil, err
	}
	return p, nil
}

// CheckEnvironment returns ErrNoBTF or ErrPermission (wrapped, with
// detail) when this machine cannot load the probes.
func CheckEnvironment() error {
	if _, err := os.Stat("/sys/kernel/btf/vmlinux"); err != nil {
		return ErrNoBTF
	}
	if os.Geteuid() != 0 {
		caps, err := effectiveCaps()
		if err == nil && (caps&(1<<unix.CAP_BPF) == 0 || caps&(1<<unix.CAP_PERFMON) == 0) && caps&(1<<unix.CAP_SYS_ADMIN) == 0 {
			return ErrPermission
		}
	}
	return nil
}

func effectiveCaps() (uint64, error) {
	hdr := unix.CapUserHeader{Version: unix.LINUX_CAPABILITY_VERSION_3}
	var data [2]unix.CapUserData
	if err := unix.Capget(&hdr, &data[0]); err != nil {
		return 0, err
	}
	return uint64(data[0].Effective) | uint64(data[1].Effective)<<32, nil
}

// programs returns the names of the programs a mode needs: the ones to
// attach, and the fillers to put in the tail-call tables.
func (p *Probes) programs() (attach []string, fillers []string) {
	ee := p.cfg.Mode == ModeEnterExit
	// sides returns the enter and the exit name when the mode has an
	// enter side, the exit name only otherwise.
	sides := func(enter, exit string) []string {
		if ee {
			return []string{enter, exit}
		}
		return []string{exit}
	}
	switch p.cfg.Step {
	case StepFloor:
		return sides("floor_enter", "floor_exit"), nil
	case StepDispatch:
		return sides("sys_enter", "sys_exit"), nil
	case StepTailCall:
		return sides("sys_enter", "sys_exit"), sides("empty_e", "empty_x")
	case StepHeader, StepStamp:
		if ee {
			return sides("sys_enter", "sys_exit"), []string{"header_e", "header_x"}
		}
		return []string{"sys_exit"}, []string{"header_xm"}
	case StepExitSide:
		for _, s := range p.syscalls {
			fillers = append(fillers, s.Filler+"_x")
		}
		return []string{"sys_exit"}, dedupe(fillers)
	}
	switch p.cfg.Mode {
	case ModeFloor:
		return []string{"floor_enter", "floor_exit"}, nil
	case ModeEnterExit:
		attach = []string{"sys_enter", "sys_exit"}
		for _, s := range p.syscalls {
			fillers = append(fillers, s.Filler+"_e", s.Filler+"_x")
		}
	case ModeExitOnly:
		attach = []string{"sys_exit"}
		for _, s := range p.syscalls {
			fillers = append(fillers, s.Filler+"_xm")
			if p.cfg.TOCTOU != TOCTOUNone && toctouSyscalls[s.Name] {
				attach = append(attach, "toctou_"+s.Name)
			}
		}
	}
	return attach, dedupe(fillers)
}

// anatomySteps are the values of the BPF constant anatomy_step; steps
// that attach no dispatcher, or that run the fillers, are 0.
var anatomySteps = map[Step]uint32{StepDispatch: 1, StepTailCall: 2, StepHeader: 3, StepStamp: 4}

// tables returns, for syscall s, the program each tail-call table gets.
func (p *Probes) tables(s syscalls.Syscall) []struct{ table, prog string } {
	type entry = struct{ table, prog string }
	ee := p.cfg.Mode == ModeEnterExit
	switch p.cfg.Step {
	case StepDispatch, StepFloor:
		return nil
	case StepTailCall:
		if ee {
			return []entry{{"enter_fillers", "empty_e"}, {"exit_fillers", "empty_x"}}
		}
		return []entry{{"exit_fillers", "empty_x"}}
	case StepHeader, StepStamp:
		if ee {
			return []entry{{"enter_fillers", "header_e"}, {"exit_fillers", "header_x"}}
		}
		return []entry{{"exit_fillers", "header_xm"}}
	case StepExitSide:
		return []entry{{"exit_fillers", s.Filler + "_x"}}
	}
	if ee {
		return []entry{{"enter_fillers", s.Filler + "_e"}, {"exit_fillers", s.Filler + "_x"}}
	}
	return []entry{{"exit_fillers", s.Filler + "_xm"}}
}

// toctouSyscalls read a path or sockaddr from user memory: exit_only's
// TOCTOU options attach a program to their syscalls/sys_enter_<name>
// tracepoint when they are traced.
var toctouSyscalls = map[string]bool{"open": true, "openat": true, "openat2": true, "creat": true, "connect": true}

var toctouModes = map[TOCTOU]uint32{TOCTOUNone: 0, TOCTOUStash: 1, TOCTOUEnterEvent: 2}

func dedupe(names []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, n := range names {
		if !seen[n] {
			seen[n] = true
			out = append(out, n)
		}
	}
	sort.Strings(out)
	return out
}

func (p *Probes) load() error {
	spec, vars, err := loadSpecs()
	if err != nil {
		return err
	}
	attach, fillers := p.programs()
	keep := map[string]bool{}
	for _, n := range append(append([]string{}, attach...), fillers...) {
		if spec.Programs[n] == nil {
			return fmt.Errorf("loading probes: no program %q in the BPF object", n)
		}
		keep[n] = true
	}
	for n := range spec.Programs {
		if !keep[n] {
			delete(spec.Programs, n)
		}
	}
	if err := p.setVariables(vars); err != nil {
		return err
	}
	ncpu, err := ebpf.PossibleCPU()
	if err != nil {
		return fmt.Errorf("counting CPUs: %w", err)
	}
	rings := spec.Maps["rings"]
	rings.MaxEntries = uint32(ncpu)
	rings.InnerMap.MaxEntries = uint32(p.cfg.RingSize)

	started := time.Now()
	coll, err := ebpf.NewCollection(spec)
	if err != nil {
		return loadError("loading probes", err)
	}
	p.coll = coll
	if err := coll.Assign(&p.vars); err != nil {
		return fmt.Errorf("loading probes: %w", err)
	}
	if p.cfg.CgroupID != 0 {
		if err := coll.Maps["traced_cgroup"].Put(uint32(0), uint32(p.cfg.CgroupFD)); err != nil {
			return fmt.Errorf("installing the traced cgroup: %w", err)
		}
	}
	idOf := map[string]ebpf.ProgramID{}
	for name, prog := range coll.Programs {
		if info, err := prog.Info(); err == nil {
			if id, ok := info.ID(); ok {
				p.ids = append(p.ids, id)
				idOf[name] = id
			}
		}
	}

	if len(fillers) > 0 || p.cfg.Step == StepDispatch {
		if err := p.installTables(coll, rings.InnerMap, ncpu); err != nil {
			return err
		}
	}

	if err := p.attachAll(spec, attach, idOf); err != nil {
		return err
	}
	return p.recordCost(time.Since(started), attach)
}

// setVariables sets the load-time constants of the BPF object through
// bpf2go's typed variable specs.
func (p *Probes) setVariables(vars *probesVariableSpecs) error {
	if err := vars.Snaplen.Set(uint32(p.cfg.Snaplen)); err != nil {
		return fmt.Errorf("setting snaplen: %w", err)
	}
	if err := vars.CgroupFilter.Set(p.cfg.CgroupID); err != nil {
		return fmt.Errorf("setting cgroup filter: %w", err)
	}
	if p.cfg.CgroupID != 0 && p.cfg.CgroupFD <= 0 {
		return errors.New("loading probes: a cgroup filter needs the cgroup's directory (Config.CgroupFD)")
	}
	thread := uint32(0)
	if p.cfg.ThreadFilter {
		thread = 1
	}
	if err := vars.ThreadFilter.Set(thread); err != nil {
		return fmt.Errorf("setting thread filter: %w", err)
	}
	if err := vars.ToctouMode.Set(toctouModes[p.cfg.TOCTOU]); err != nil {
		return fmt.Errorf("setting toctou mode: %w", err)
	}
	if err := vars.AnatomyStep.Set(anatomySteps[p.cfg.Step]); err != nil {
		return fmt.Errorf("setting anatomy step: %w", err)
	}
	reserve := uint32(0)
	if p.cfg.Reserve {
		reserve = 1
	}
	if err := vars.ReserveEvents.Set(reserve); err != nil {
		return fmt.Errorf("setting reserve_events: %w", err)
	}
	if err := vars.PlantLoops.Set(p.cfg.Plant); err != nil {
		return fmt.Errorf("setting plant_loops: %w", err)
	}
	return nil
}

// installTables creates a ring buffer of spec ring per CPU, marks the
// interesting syscalls and installs their fillers in the tail-call
// tables.
func (p *Probes) installTables(coll *ebpf.Collection, ring *ebpf.MapSpec, ncpu int) error {
	for cpu := 0; cpu < ncpu; cpu++ {
		rb, err := ebpf.NewMap(ring)
		if err != nil {
			return loadError(fmt.Sprintf("creating ring buffer of %d bytes for CPU %d", p.cfg.RingSize, cpu), err)
		}
		p.rings = append(p.rings, rb)
		if err := coll.Maps["rings"].Put(uint32(cpu), rb); err != nil {
			return fmt.Errorf("installing ring buffer for CPU %d: %w", cpu, err)
		}
	}
	for _, s := range p.syscalls {
		if err := coll.Maps["interesting"].Put(uint32(s.Nr), uint8(1)); err != nil {
			return fmt.Errorf("marking %s interesting: %w", s.Name, err)
		}
		for _, t := range p.tables(s) {
			prog := coll.Programs[t.prog]
			if err := coll.Maps[t.table].Put(uint32(s.Nr), prog); err != nil {
				return fmt.Errorf("installing filler %s for %s: %w", t.prog, s.Name, err)
			}
		}
	}
	return nil
}

// attachAll attaches the programs named, in order, recording each link.
func (p *Probes) attachAll(spec *ebpf.CollectionSpec, names []string, idOf map[string]ebpf.ProgramID) error {
	for _, name := range names {
		prog := p.coll.Programs[name]
		var l link.Link
		var err error
		if sc, ok := strings.CutPrefix(name, "toctou_"); ok {
			if err := ensureTracefs(); err != nil {
				return err
			}
			l, err = link.Tracepoint("syscalls", "sys_enter_"+sc, prog, nil)
		} else {
			l, err = link.AttachTracing(link.TracingOptions{Program: prog})
		}
		if err != nil {
			return &AttachError{Program: name, Err: loadError("attaching "+name, err)}
		}
		p.links = append(p.links, l)
		p.attached = append(p.attached, attachedProg{name: name, point: spec.Programs[name].SectionName, prog: prog, id: idOf[name]})
	}
	return nil
}

// loadError wraps err, turning permission failures into ErrPermission.
func loadError(what string, err error) error {
	var ve *ebpf.VerifierError
	if errors.As(err, &ve) {
		return fmt.Errorf("%s: %w", what, err)
	}
	if errors.Is(err, unix.EPERM) || errors.Is(err, unix.EACCES) {
		return fmt.Errorf("%s: %w (%v)", what, ErrPermission, err)
	}
	return fmt.Errorf("%s: %w", what, err)
}

// Close detaches and unloads everything; safe to call twice.
func (p *Probes) Close() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return nil
	}
	p.closed = true
	var errs []error
	for _, l := range p.links {
		if err := l.Close(); err != nil {
			errs = append(errs, fmt.Errorf("detaching: %w", err))
		}
	}
	p.links = nil
	if p.coll != nil {
		p.coll.Close()
		p.coll = nil
	}
	for _, rb := range p.rings {
		rb.Close()
	}
	p.rings = nil
	return errors.Join(errs...)
}

// Snapshot reads the cumulative stats of every attached program and the
// kernel counters.
func (p *Probes) Snapshot() (Snapshot, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	s := Snapshot{Time: now()}
	if p.closed {
		return s, errors.New("reading stats: probes are closed")
	}
	for _, a := range p.attached {
		st, err := a.prog.Stats()
		if err != nil {
			return s, fmt.Errorf("reading stats of %s: %w", a.name, err)
		}
		s.Programs = append(s.Programs, ProgramStats{
			Name:            a.name,
			AttachPoint:     a.point,
			RunCount:        st.RunCount,
			RunTimeNs:       uint64(st.Runtime.Nanoseconds()),
			RecursionMisses: st.RecursionMisses,
			ID:              uint32(a.id),
			Type:            a.prog.Type().String(),
			Role:            record.ProgramRole(a.name),
		})
	}
	if p.coll != nil && len(p.rings) > 0 {
		var per []probesCounters
		if err := p.coll.Maps["counters_map"].Lookup(uint32(0), &per); err != nil {
			return s, fmt.Errorf("reading kernel counters: %w", err)
		}
		for _, c := range per {
			s.Counters.Attempted += c.Attempted
			s.Counters.DropsFull += c.DropsFull
			s.Counters.DropsTooLarge += c.DropsTooLarge
			s.Counters.Ia32Skipped += c.Ia32Skipped
		}
		pr, err := p.readPathReads()
		if err != nil {
			return s, err
		}
		s.Counters.PathReads = pr
	}
	return s, nil
}

// readPathReads reads the path read counters of the traced syscalls that
// have a path parameter.
func (p *Probes) readPathReads() (map[string]PathReads, error) {
	m := p.coll.Maps["path_reads_map"]
	if m == nil {
		return nil, nil
	}
	var out map[string]PathReads
	for _, sc := range p.syscalls {
		if !sc.HasPath() {
			continue
		}
		for side, name := range []string{"enter", "exit"} {
			var per []probesPathReads
			if err := m.Lookup(uint32(sc.Nr*2+side), &per); err != nil {
				return nil, fmt.Errorf("reading path read counters of %s: %w", sc.Name, err)
			}
			var t PathReads
			for _, c := range per {
				t = t.Add(PathReads{Reads: c.Reads, Failed: c.Failed, Empty: c.Empty, AtLimit: c.AtLimit})
			}
			if t.Reads == 0 {
				continue
			}
			if out == nil {
				out = map[string]PathReads{}
			}
			out[sc.Name+"_"+name] = t
		}
	}
	return out, nil
}

// Detach stops the programs from running while keeping their stats, the
// counters and the ring buffers readable: detach, snapshot, then drain the
// consumer, and received + dropped equals attempted exactly.
func (p *Probes) Detach() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	var errs []error
	for _, l := range p.links {
		if err := l.Close(); err != nil {
			errs = append(errs, fmt.Errorf("detaching: %w", err))
		}
	}
	p.links = nil
	// Closing a link unregisters the program, but a run that had
	// started on another CPU can still be counting or sending. Every run
	// of these programs holds the RCU read lock, so once a grace period
	// has passed none is left: only then do the counters and the rings
	// hold everything, and received + dropped = attempted exactly.
	waitRCU()
	return errors.Join(errs...)
}

// membarrierCmdGlobal is MEMBARRIER_CMD_GLOBAL (linux/membarrier.h).
const membarrierCmdGlobal = 1

// waitRCU waits for an RCU grace period: membarrier's global command
// calls synchronize_rcu in the kernel.
func waitRCU() {
	if _, _, errno := unix.Syscall(unix.SYS_MEMBARRIER, membarrierCmdGlobal, 0, 0); errno != 0 {
		// Without membarrier (kernels before 4.3, or it is configured
		// out), a pause far longer than any program run does.
		time.Sleep(10 * time.Millisecond)
	}
}

// ensureTracefs mounts tracefs at /sys/kernel/tracing when no tracefs is
// mounted: the per-syscall tracepoints are found through it.
func ensureTracefs() error {
	for _, dir := range []string{"/sys/kernel/tracing", "/sys/kernel/debug/tracing"} {
		if _, err := os.Stat(dir + "/events"); err == nil {
			return nil
		}
	}
	if err := unix.Mount("tracefs", "/sys/kernel/tracing", "tracefs", 0, ""); err != nil {
		return fmt.Errorf("mounting tracefs at /sys/kernel/tracing (needed by the TOCTOU programs): %w", err)
	}
	return nil
}

// TraceThread makes probes loaded with Config.ThreadFilter trace thread
// tid only, from now on; 0 traces no thread. It writes the programs'
// memory-mapped global, no syscall.
func (p *Probes) TraceThread(tid int) error {
	if !p.cfg.ThreadFilter {
		return errors.New("tracing one thread: the probes were loaded without Config.ThreadFilter")
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.coll == nil {
		return errors.New("tracing one thread: the probes are closed")
	}
	if err := p.vars.TracedTid.Set(uint32(tid)); err != nil {
		return fmt.Errorf("tracing thread %d: %w", tid, err)
	}
	return nil
}

// loadSpecs loads the BPF object's collection spec, and its load-time
// variables as bpf2go's typed specs: a variable renamed in the C source
// then breaks the build (make generate), not a load.
func loadSpecs() (*ebpf.CollectionSpec, *probesVariableSpecs, error) {
	spec, err := loadProbes()
	if err != nil {
		return nil, nil, err
	}
	var vars probesVariableSpecs
	if err := spec.Assign(&vars); err != nil {
		return nil, nil, fmt.Errorf("loading probes: %w", err)
	}
	return spec, &vars, nil
}
