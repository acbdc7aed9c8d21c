package record

// Mode selects which programs are attached.
type Mode string

// The probe modes; see docs/probe-modes.md.
const (
	ModeNone      Mode = "none"       // nothing attached: the baseline
	ModeFloor     Mode = "floor"      // empty programs on sys_enter and sys_exit
	ModeEnterExit Mode = "enter_exit" // dispatchers on both, two events per syscall
	ModeExitOnly  Mode = "exit_only"  // exit dispatcher only, one merged event per syscall
)

// Modes lists every mode in the order reports show them.
var Modes = []Mode{ModeNone, ModeFloor, ModeEnterExit, ModeExitOnly}

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

// TOCTOU selects how exit_only obtains the user-memory arguments of the
// path and address syscalls (open, openat, openat2, creat, connect).
type TOCTOU string

// The TOCTOU options; see docs/probe-modes.md.
const (
	TOCTOUNone       TOCTOU = "none"        // read user memory at exit: racy
	TOCTOUStash      TOCTOU = "stash"       // copy at sys_enter_<name> into a per-thread map
	TOCTOUEnterEvent TOCTOU = "enter_event" // send an enter event for those five syscalls
)

// TOCTOUOptions lists every TOCTOU option.
var TOCTOUOptions = []TOCTOU{TOCTOUNone, TOCTOUStash, TOCTOUEnterEvent}

// The probes' ring buffers and data buffers: the defaults of settings
// left zero, and the limits a scenario's values are checked against.
const (
	DefaultRingSize = 8 << 20 // bytes per CPU, as Falco's modern_bpf driver
	DefaultSnaplen  = 80      // bytes of data buffers
	MaxSnaplen      = 4096
	// MaxRingSize is the largest ring buffer, per CPU: a ring's size is
	// a uint32 map attribute, which a larger power of two would wrap to 0.
	MaxRingSize = 1 << 30
)
