package probes

import (
	"fmt"
	"strings"
	"time"

	"github.com/benchctl/benchctl/record"
)

// Mode selects which programs are attached. It is defined in package
// record, the vocabulary the results schema records with every variant.
type Mode = record.Mode

// The probe modes; see docs/probe-modes.md.
const (
	ModeNone      = record.ModeNone
	ModeFloor     = record.ModeFloor
	ModeEnterExit = record.ModeEnterExit
	ModeExitOnly  = record.ModeExitOnly
)

// Modes lists every mode in the order reports show them (record.Modes).
var Modes = record.Modes

// ParseMode returns the mode named s, or an error that lists the valid names.
func ParseMode(s string) (Mode, error) {
	for _, m := range Modes {
		if string(m) == s {
			return m, nil
		}
	}
	return "", fmt.Errorf("unknown mode %q (valid: %s)", s, joinModes(Modes))
}

// Step is a step of the cost-anatomy ladder; defined in package record,
// as Mode.
type Step = record.Step

// The ladder, in order; StepFull (the zero value) is the mode itself.
const (
	StepFull     = record.StepFull
	StepFloor    = record.StepFloor
	StepDispatch = record.StepDispatch
	StepTailCall = record.StepTailCall
	StepStamp    = record.StepStamp
	StepHeader   = record.StepHeader
	StepExitSide = record.StepExitSide
)

// Steps lists the probe steps in ladder order (record.Steps).
var Steps = record.Steps

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
// path and address syscalls; defined in package record, as Mode.
type TOCTOU = record.TOCTOU

// The TOCTOU options; see docs/probe-modes.md.
const (
	TOCTOUNone       = record.TOCTOUNone
	TOCTOUStash      = record.TOCTOUStash
	TOCTOUEnterEvent = record.TOCTOUEnterEvent
)

// TOCTOUOptions lists every TOCTOU option (record.TOCTOUOptions).
var TOCTOUOptions = record.TOCTOUOptions

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

// Defaults for Config fields left zero, and their limits (record's: a
// scenario checks its values against them without loading anything).
const (
	DefaultRingSize = record.DefaultRingSize
	DefaultSnaplen  = record.DefaultSnaplen
	MaxSnaplen      = record.MaxSnaplen
	MaxRingSize     = record.MaxRingSize
)

// Config describes one set of probes to load.
type Config struct {
	Mode     Mode
	TOCTOU   TOCTOU   // exit_only only; "" is none
	Syscalls []string // the interesting syscalls, by name (see syscalls.Lookup)
	RingSize int      // bytes per CPU ring buffer, a power of two >= page size; 0 = DefaultRingSize
	Snaplen  int      // bytes of data buffers captured; 0 = DefaultSnaplen
	// CgroupID, when non-zero, restricts events to tasks in that cgroup v2
	// or its descendants (used by `benchctl trace` to follow one process
	// tree, wherever it moves its children). Benchmarks
	// leave it zero: the check is then removed by the verifier.
	CgroupID uint64
	// CgroupFD is that cgroup's open directory (Cgroup.FD), required with
	// CgroupID: the filter keeps tasks in the cgroup and in every cgroup
	// below it.
	CgroupFD int
	// ThreadFilter restricts events to the one thread TraceThread names
	// (none until it is called), in the kernel.
	ThreadFilter bool
	// Step stops enter_exit and exit_only short of their fillers, for the
	// cost anatomy (see Step); StepFull by default.
	Step Step
	// Reserve writes fixed-size events (generic events, the header-only
	// events of StepHeader) straight into space reserved in the ring
	// buffer, instead of building them in the per-CPU scratch buffer and
	// copying them out, as Falco's driver builds its variable-size events.
	// The bytes sent are the same.
	Reserve bool
	// Plant adds an empty bpf_loop of this many iterations (at most
	// 1<<20) to every syscall the enter_exit and exit_only dispatchers
	// handle: a planted regression of known size, for measuring the
	// gate's power on live probes. 0: none (pruned at load).
	Plant uint32
}

// The records a run's probes fill are package record's, which the
// results schema aliases: program stats, kernel counters and what the
// consumer received.
type (
	ProgramStats  = record.ProgramStats
	Counters      = record.Counters
	PathReads     = record.PathReads
	ConsumerStats = record.ConsumerStats
)

// Program roles (ProgramStats.Role): what a program's run count means.
const (
	RoleEnter = record.RoleEnter
	RoleExit  = record.RoleExit
	RoleOther = record.RoleOther
)

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
