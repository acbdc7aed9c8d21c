package results

import (
	"fmt"
	"strings"
	"time"
)

// Mode selects which programs are attached.
type Mode string

// The probe modes; see docs/probe-modes.md.
const (
	ModeNone      Mode = "none"       // nothing attached: the baseline
	ModeFloor     Mode = "floor"      // empty programs on sys_enter and sys_exit
	ModeEnterExit Mode = "enter_exit" // dispatchers on both, two events per syscall
	ModeExitOnly  Mode = "exit_only"  // exit dispatcher only, one merged event per syscall
)

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

// TOCTOU selects how exit_only obtains the user-memory arguments of the
// path and address syscalls (open, openat, openat2, creat, connect).
type TOCTOU string

// The TOCTOU options; see docs/probe-modes.md.
const (
	TOCTOUNone       TOCTOU = "none"        // read user memory at exit: racy
	TOCTOUStash      TOCTOU = "stash"       // copy at sys_enter_<name> into a per-thread map
	TOCTOUEnterEvent TOCTOU = "enter_event" // send an enter event for those five syscalls
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

// Result is what one measured Run reports.
type Result struct {
	// Throughput is the workload's headline figure in Unit (ops/s,
	// requests/s); higher is better. Zero when the workload has none.
	Throughput float64 `json:"throughput"`
	Unit       string  `json:"unit"`
	// Ops is the number of operations done, when known.
	Ops  float64       `json:"ops,omitempty"`
	Wall time.Duration `json:"wall_ns"`
	// Latency percentiles in milliseconds, when the workload has them.
	Latency *Latency `json:"latency,omitempty"`
	// Tests holds per-test figures (redis-benchmark's -t tests).
	Tests []TestResult `json:"tests,omitempty"`
	// TargetRate and AchievedRate are the syscalls/s a rate-controlled
	// generator was asked for and made (the built-in generator with a
	// rate); zero otherwise.
	TargetRate   float64 `json:"target_rate,omitempty"`
	AchievedRate float64 `json:"achieved_rate,omitempty"`
	// CPUSeconds is the CPU time (user + system: the BPF programs run
	// in the workload's context, so their time is in it) the workload's
	// own tasks used during Run; CPUMethod says how it was read
	// (WorkloadCPUThreads, WorkloadCPUCgroup). Both are empty when it
	// was not measured (no cgroup v2, older files).
	CPUSeconds float64 `json:"cpu_seconds,omitempty"`
	CPUMethod  string  `json:"cpu_method,omitempty"`
}

// How a workload's CPU time (Result.CPUSeconds) was read.
const (
	// The built-in generator runs in benchctl's process: the sum of its
	// worker threads' CPU clocks (CLOCK_THREAD_CPUTIME_ID), each read
	// on the thread when it starts working and when it is done.
	WorkloadCPUThreads = "generator_threads"
	// A workload of child processes (redis-server and redis-benchmark, a
	// command) runs in a cgroup v2 of its own: its cpu.stat usage from
	// the start of Run to the exit of the measured process, exited
	// processes included.
	WorkloadCPUCgroup = "workload_cgroup"
)

// Latency percentiles, in milliseconds.
type Latency struct {
	AvgMs float64 `json:"avg_ms"`
	MinMs float64 `json:"min_ms"`
	P50Ms float64 `json:"p50_ms"`
	P95Ms float64 `json:"p95_ms"`
	P99Ms float64 `json:"p99_ms"`
	MaxMs float64 `json:"max_ms"`
}

// TestResult is one named test inside a workload run.
type TestResult struct {
	Name       string   `json:"name"`
	Throughput float64  `json:"throughput"`
	Latency    *Latency `json:"latency,omitempty"`
}

// TracerExit says how a tracer ended: ExitCode and Signal are its
// leader's.
type TracerExit struct {
	ExitCode int    `json:"exit_code"`        // -1 when killed by a signal
	Signal   string `json:"signal,omitempty"` // e.g. "SIGKILL" when it was killed
	Killed   bool   `json:"killed,omitempty"` // benchctl had to SIGKILL processes of its cgroup (grace period over, or Close)
	// Resignaled: the tracer was still running halfway through the grace
	// period and got its stop signal a second time.
	Resignaled bool          `json:"resignaled,omitempty"`
	StopTime   time.Duration `json:"stop_ns"` // from the stop signal to the cgroup being empty
}

// Code is the exit status, nil when the tracer was killed by a signal.
func (e TracerExit) Code() *int {
	if e.Signal != "" {
		return nil
	}
	code := e.ExitCode
	return &code
}

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

// StepDecode is the anatomy step whose consumer decodes every event: the
// probes run their full mode (StepFull) and the cost is userspace's.
const StepDecode = "decode"

// StepRunsFillers tells whether a step runs the mode's fillers (and so
// its TOCTOU options).
func StepRunsFillers(step string) bool { return step == "" || step == StepDecode }

// ProbeStep is the probes step variant v loads.
func (v Variant) ProbeStep() Step {
	if v.Step == StepDecode {
		return StepFull
	}
	return Step(v.Step)
}

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
