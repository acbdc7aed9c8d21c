package record

import (
	"fmt"
	"strings"
	"time"
)

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
	// Syscall is the syscall an enter or exit program runs on when it
	// runs on one syscall only (an external tracer's program on
	// syscalls:sys_enter_openat, or a kprobe or fentry on
	// __x64_sys_openat: "openat"; several, sorted and joined with ",",
	// for a program attached to several); "" for the dispatchers, which
	// run on every syscall, and for other programs. In results written
	// before per-syscall roles, such programs are "other", with none.
	Syscall string `json:"syscall,omitempty"`
}

// Program roles (ProgramStats.Role): what a program's run count means.
// A program with a Syscall runs on that syscall's entry or exit only;
// without, on every syscall's.
const (
	RoleEnter = "enter" // runs on syscall entry: the sys_enter dispatcher, or one syscall's (Syscall)
	RoleExit  = "exit"  // runs on syscall exit: the sys_exit dispatcher, or one syscall's (Syscall)
	RoleOther = "other"
)

// ProgramRole tells whether benchctl's program named name is the enter
// dispatcher, the exit dispatcher or another program.
func ProgramRole(name string) string {
	switch name {
	case "sys_enter", "floor_enter":
		return RoleEnter
	case "sys_exit", "floor_exit":
		return RoleExit
	}
	return RoleOther
}

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

// ConsumerStats is what userspace received.
type ConsumerStats struct {
	Events     uint64            `json:"events"`
	Bytes      uint64            `json:"bytes"`
	PerType    map[string]uint64 `json:"per_type"` // key "<syscall>_<enter|exit>"
	CPUSeconds float64           `json:"cpu_seconds"`
	Decoded    uint64            `json:"decoded,omitempty"`
	BadRecords uint64            `json:"bad_records,omitempty"`
	// Cost describes the per-event work the consumer did (e.g. "stateful",
	// "spin 2µs"); empty when it only counted.
	Cost string `json:"cost,omitempty"`
	// The stateful consumer's table: the most enter events it held at
	// once waiting for their exits, exits joined with their enter, exits
	// with no enter held (dropped, or before the start), and enters
	// replaced before their exit came.
	TablePeak uint64 `json:"table_peak,omitempty"`
	Joined    uint64 `json:"joined,omitempty"`
	Unmatched uint64 `json:"unmatched,omitempty"`
	Replaced  uint64 `json:"replaced,omitempty"`
	// Threads and Fds are the sizes of its thread and fd tables at the end.
	Threads uint64 `json:"threads,omitempty"`
	Fds     uint64 `json:"fds,omitempty"`
	// WaitSeconds is how long the consumer thread waited on a run queue,
	// runnable but not running: what a busy machine took from it.
	WaitSeconds float64 `json:"wait_seconds,omitempty"`
	// Late counts the events the ordered consumer received after it had
	// delivered an event stamped later: a program descheduled between
	// bpf_ktime_get_ns and its ring write for longer than the reorder
	// window (a vCPU's steal time). They were delivered out of order.
	Late uint64 `json:"late,omitempty"`
}

// ConsumerCost is per-event work benchctl's consumer does beside draining
// its rings, so that its cost is what a real tracer's userspace costs.
type ConsumerCost struct {
	// Spin is a busy cost per event: the consumer busy-waits this long
	// on the monotonic clock after reading each event.
	Spin time.Duration `json:"spin_ns,omitempty"`
	// Stateful is libsinsp's work, much reduced: enter events kept per
	// thread until their exit and joined with it, per-thread and per-fd
	// state updated on every syscall.
	Stateful bool `json:"stateful,omitempty"`
}

// IsZero tells whether c asks for no work.
func (c ConsumerCost) IsZero() bool { return c.Spin == 0 && !c.Stateful }

// ForeignProgram is a BPF program found attached to a syscall tracepoint
// before a run (sys_enter, sys_exit, syscalls:sys_enter_*/sys_exit_*)
// that is not the run's own: another agent's, a leftover tracer's. It
// runs on the workload's syscalls too, and slows every variant alike.
type ForeignProgram struct {
	ProgramID   uint32 `json:"program_id"`
	AttachPoint string `json:"attach_point"` // e.g. "tracepoint/sys_enter"
	LinkType    string `json:"link_type,omitempty"`
	// Holder says who holds it: "bpftrace (pid 1234)", or a link no
	// process holds.
	Holder string `json:"holder"`
}

// String is "tracepoint/sys_enter: program 45, bpftrace (pid 1234)".
func (f ForeignProgram) String() string {
	return fmt.Sprintf("%s: program %d, %s", f.AttachPoint, f.ProgramID, f.Holder)
}
