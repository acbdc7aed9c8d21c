package probes

import (
	"fmt"
	"strings"
	"time"
)

// Mode selects which programs are attached.
type Mode string

// The probe modes; see DESIGN.md, "Probe modes".
const (
	ModeNone      Mode = "none"       // nothing attached: the baseline
	ModeFloor     Mode = "floor"      // empty programs on sys_enter and sys_exit
	ModeEnterExit Mode = "enter_exit" // dispatchers on both, two events per syscall
	ModeExitOnly  Mode = "exit_only"  // exit dispatcher only, one merged event per syscall
)

// Modes lists every mode in the order reports show them.
var Modes = []Mode{ModeNone, ModeFloor, ModeEnterExit, ModeExitOnly}

// ParseMode returns the mode named s, or an error that lists the valid names.
func ParseMode(s string) (Mode, error) {
	for _, m := range Modes {
		if string(m) == s {
			return m, nil
		}
	}
	return "", fmt.Errorf("unknown mode %q (valid: %s)", s, joinModes(Modes))
}

// Step is a step of the cost-anatomy ladder: how far the enter_exit or
// exit_only programs go. Each step adds one thing to the one before, on
// every side the mode attaches, so the difference between neighbours is
// the cost of that thing.
type Step string

// The ladder, in order; StepFull (the zero value) is the mode itself.
const (
	StepFull     Step = ""         // the full fillers
	StepFloor    Step = "floor"    // empty programs on the mode's sides: the tracepoint and the trampoline
	StepDispatch Step = "dispatch" // the dispatchers: syscall id, interesting lookup, no tail call
	StepTailCall Step = "tailcall" // + a tail call into an empty program
	// StepStamp builds a header-only event, counts it and stamps its time
	// and thread, and does not write it: StepHeader minus the ring write.
	StepStamp  Step = "stamp"
	StepHeader Step = "header" // + the header-only event written into the ring buffer
	// StepExitSide is enter_exit without its enter side: the sys_exit
	// dispatcher and enter_exit's exit fillers only. Removing the enter
	// side can save at most what separates enter_exit from it.
	StepExitSide Step = "exit_side"
)

// Steps lists the probe steps in ladder order (StepExitSide last: it is
// not on the ladder).
var Steps = []Step{StepFloor, StepDispatch, StepTailCall, StepStamp, StepHeader, StepFull, StepExitSide}

// ParseStep returns the step named s ("full" or "" for StepFull).
func ParseStep(s string) (Step, error) {
	if s == "full" || s == "" {
		return StepFull, nil
	}
	for _, st := range Steps {
		if string(st) == s {
			return st, nil
		}
	}
	return "", fmt.Errorf("unknown step %q (valid: floor, dispatch, tailcall, stamp, header, full, exit_side)", s)
}

// TOCTOU selects how exit_only obtains the user-memory arguments of the
// path and address syscalls (open, openat, openat2, creat, connect).
type TOCTOU string

// The TOCTOU options; see DESIGN.md.
const (
	TOCTOUNone       TOCTOU = "none"        // read user memory at exit: racy
	TOCTOUStash      TOCTOU = "stash"       // copy at sys_enter_<name> into a per-thread map
	TOCTOUEnterEvent TOCTOU = "enter_event" // send an enter event for those five syscalls
)

// TOCTOUOptions lists every TOCTOU option.
var TOCTOUOptions = []TOCTOU{TOCTOUNone, TOCTOUStash, TOCTOUEnterEvent}

// ParseTOCTOU returns the option named s ("" means none).
func ParseTOCTOU(s string) (TOCTOU, error) {
	if s == "" {
		return TOCTOUNone, nil
	}
	for _, t := range TOCTOUOptions {
		if string(t) == s {
			return t, nil
		}
	}
	names := make([]string, len(TOCTOUOptions))
	for i, t := range TOCTOUOptions {
		names[i] = string(t)
	}
	return "", fmt.Errorf("unknown toctou option %q (valid: %s)", s, strings.Join(names, ", "))
}

func joinModes(ms []Mode) string {
	names := make([]string, len(ms))
	for i, m := range ms {
		names[i] = string(m)
	}
	return strings.Join(names, ", ")
}

// Defaults for Config fields left zero.
const (
	DefaultRingSize = 8 << 20 // bytes per CPU, as Falco's modern_bpf driver
	DefaultSnaplen  = 80      // bytes of data buffers
	MaxSnaplen      = 4096
)

// Config describes one set of probes to load.
type Config struct {
	Mode     Mode
	TOCTOU   TOCTOU   // exit_only only; "" is none
	Syscalls []string // the interesting syscalls, by name (see Lookup)
	RingSize int      // bytes per CPU ring buffer, a power of two >= page size; 0 = DefaultRingSize
	Snaplen  int      // bytes of data buffers captured; 0 = DefaultSnaplen
	// CgroupID, when non-zero, restricts events to tasks in that cgroup v2
	// (used by `benchctl trace` to follow one process tree). Benchmarks
	// leave it zero: the check is then removed by the verifier.
	CgroupID uint64
	// Step stops enter_exit and exit_only short of their fillers, for the
	// cost anatomy (see Step); StepFull by default.
	Step Step
	// Reserve writes fixed-size events (generic events, the header-only
	// events of StepHeader) straight into space reserved in the ring
	// buffer, instead of building them in the per-CPU scratch buffer and
	// copying them out, as Falco's driver builds its variable-size events.
	// The bytes sent are the same.
	Reserve bool
}

// ProgramStats is one program's cumulative cost, from BPF_ENABLE_STATS.
type ProgramStats struct {
	Name            string `json:"name"`
	AttachPoint     string `json:"attach_point"`
	RunCount        uint64 `json:"run_cnt"`
	RunTimeNs       uint64 `json:"run_time_ns"`
	RecursionMisses uint64 `json:"recursion_misses"`
	ID              uint32 `json:"id,omitempty"`   // kernel program id
	Type            string `json:"type,omitempty"` // program type, e.g. "Tracing", "TracePoint", "RawTracepoint"
	Role            string `json:"role,omitempty"` // RoleEnter, RoleExit or RoleOther
}

// Program roles (ProgramStats.Role): what a program's run count means.
const (
	RoleEnter = "enter" // runs on every syscall entry: sys_enter dispatcher
	RoleExit  = "exit"  // runs on every syscall exit: sys_exit dispatcher
	RoleOther = "other"
)

// AvgNs is the average run time, 0 when the program never ran.
func (p ProgramStats) AvgNs() float64 {
	if p.RunCount == 0 {
		return 0
	}
	return float64(p.RunTimeNs) / float64(p.RunCount)
}

// Counters are the kernel-side event counters, summed over CPUs.
type Counters struct {
	Attempted     uint64 `json:"attempted"`       // events the programs tried to send
	DropsFull     uint64 `json:"drops_full"`      // ring buffer had no room
	DropsTooLarge uint64 `json:"drops_too_large"` // event larger than the maximum event size
	// Ia32Skipped counts 32-bit syscalls (x86-64's ia32 emulation) whose
	// number is in the traced set and that the dispatchers did not
	// trace: their numbers are another table's.
	Ia32Skipped uint64 `json:"ia32_skipped,omitempty"`
	// PathReads says what became of the paths read from user memory,
	// keyed "<syscall>_enter" (read at sys_enter: enter events, the
	// TOCTOU stash and enter_event) or "<syscall>_exit" (read at
	// sys_exit). Only keys with reads are present.
	PathReads map[string]PathReads `json:"path_reads,omitempty"`
}

// PathReads counts path reads by result. A failed read sends the path
// empty: at sys_enter it fails when the string's page is not resident yet
// (the kernel has not copied it, and a non-sleepable BPF program cannot
// fault it in), or when the pointer is bad (the syscall then fails too).
type PathReads struct {
	Reads   uint64 `json:"reads"`
	Failed  uint64 `json:"failed"`
	Empty   uint64 `json:"empty,omitempty"`    // the user's string was ""
	AtLimit uint64 `json:"at_limit,omitempty"` // filled PATH_MAX: cut if it was longer
}

// Add returns p + o.
func (p PathReads) Add(o PathReads) PathReads {
	return PathReads{p.Reads + o.Reads, p.Failed + o.Failed, p.Empty + o.Empty, p.AtLimit + o.AtLimit}
}

// Sub returns p - o.
func (p PathReads) Sub(o PathReads) PathReads {
	return PathReads{p.Reads - o.Reads, p.Failed - o.Failed, p.Empty - o.Empty, p.AtLimit - o.AtLimit}
}

// PathReadsTotal sums c.PathReads over its keys whose side is side
// ("enter", "exit"), or over all of them when side is "".
func (c Counters) PathReadsTotal(side string) PathReads {
	var t PathReads
	for k, r := range c.PathReads {
		if side == "" || strings.HasSuffix(k, "_"+side) {
			t = t.Add(r)
		}
	}
	return t
}

// Drops is the sum of all drop causes.
func (c Counters) Drops() uint64 { return c.DropsFull + c.DropsTooLarge }

// Snapshot is the cumulative state of a Probes at one instant; the
// difference of two snapshots is what happened in between.
type Snapshot struct {
	Time     time.Time      `json:"time"`
	Programs []ProgramStats `json:"programs"`
	Counters Counters       `json:"counters"`
}

// Sub returns s - earlier, program by program: matched by ID when both
// have a non-zero ID, else by name (an external tracer's programs can
// share a name). A program missing from earlier is returned as is.
func (s Snapshot) Sub(earlier Snapshot) Snapshot {
	byID := make(map[uint32]ProgramStats, len(earlier.Programs))
	byName := make(map[string]ProgramStats, len(earlier.Programs))     // any ID
	byNameNoID := make(map[string]ProgramStats, len(earlier.Programs)) // ID zero
	for _, p := range earlier.Programs {
		if p.ID != 0 {
			if _, dup := byID[p.ID]; !dup {
				byID[p.ID] = p
			}
		} else if _, dup := byNameNoID[p.Name]; !dup {
			byNameNoID[p.Name] = p
		}
		if _, dup := byName[p.Name]; !dup {
			byName[p.Name] = p
		}
	}
	prev := func(p ProgramStats) ProgramStats {
		if p.ID == 0 {
			return byName[p.Name]
		}
		if e, ok := byID[p.ID]; ok {
			return e
		}
		return byNameNoID[p.Name]
	}
	out := Snapshot{Time: s.Time, Programs: make([]ProgramStats, 0, len(s.Programs))}
	for _, p := range s.Programs {
		e := prev(p)
		p.RunCount -= e.RunCount
		p.RunTimeNs -= e.RunTimeNs
		p.RecursionMisses -= e.RecursionMisses
		out.Programs = append(out.Programs, p)
	}
	out.Counters = Counters{
		Attempted:     s.Counters.Attempted - earlier.Counters.Attempted,
		DropsFull:     s.Counters.DropsFull - earlier.Counters.DropsFull,
		DropsTooLarge: s.Counters.DropsTooLarge - earlier.Counters.DropsTooLarge,
		Ia32Skipped:   s.Counters.Ia32Skipped - earlier.Counters.Ia32Skipped,
	}
	for k, r := range s.Counters.PathReads {
		d := r.Sub(earlier.Counters.PathReads[k])
		if d.Reads == 0 {
			continue
		}
		if out.Counters.PathReads == nil {
			out.Counters.PathReads = map[string]PathReads{}
		}
		out.Counters.PathReads[k] = d
	}
	return out
}

// ConsumerStats is what userspace received.
type ConsumerStats struct {
	Events     uint64            `json:"events"`
	Bytes      uint64            `json:"bytes"`
	PerType    map[string]uint64 `json:"per_type"` // key "<syscall>_<enter|exit>"
	CPUSeconds float64           `json:"cpu_seconds"`
	Decoded    uint64            `json:"decoded,omitempty"`
	BadRecords uint64            `json:"bad_records,omitempty"`
}
