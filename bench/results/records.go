package results

import "github.com/benchctl/benchctl/record"

// The records a run's probes and workloads fill, and the names of the
// settings they ran under, are package record's: the results schema
// aliases them, so they keep their JSON names here and probes and
// workloads need nothing of this package.
type (
	Mode           = record.Mode
	Step           = record.Step
	TOCTOU         = record.TOCTOU
	ProgramStats   = record.ProgramStats
	Counters       = record.Counters
	PathReads      = record.PathReads
	ConsumerStats  = record.ConsumerStats
	ConsumerCost   = record.ConsumerCost
	ForeignProgram = record.ForeignProgram
	Result         = record.Result
	Latency        = record.Latency
	TestResult     = record.TestResult
	TracerExit     = record.TracerExit
	Load           = record.Load
	ProgramLoad    = record.ProgramLoad
	Refusal        = record.Refusal
)

// The probe modes; see docs/probe-modes.md.
const (
	ModeNone      = record.ModeNone
	ModeFloor     = record.ModeFloor
	ModeEnterExit = record.ModeEnterExit
	ModeExitOnly  = record.ModeExitOnly
)

// The cost-anatomy ladder, in order; StepFull (the zero value) is the
// mode itself.
const (
	StepFull     = record.StepFull
	StepFloor    = record.StepFloor
	StepDispatch = record.StepDispatch
	StepTailCall = record.StepTailCall
	StepStamp    = record.StepStamp
	StepHeader   = record.StepHeader
	StepExitSide = record.StepExitSide
)

// The TOCTOU options; see docs/probe-modes.md.
const (
	TOCTOUNone       = record.TOCTOUNone
	TOCTOUStash      = record.TOCTOUStash
	TOCTOUEnterEvent = record.TOCTOUEnterEvent
)

// Program roles (ProgramStats.Role): what a program's run count means.
const (
	RoleEnter = record.RoleEnter
	RoleExit  = record.RoleExit
	RoleOther = record.RoleOther
)

// How a workload's CPU time (Result.CPUSeconds) was read.
const (
	WorkloadCPUThreads = record.WorkloadCPUThreads
	WorkloadCPUCgroup  = record.WorkloadCPUCgroup
)

// Refusal kinds: why a tracer did not load or attach (Refusal.Kind).
const (
	RefusedVerifier   = record.RefusedVerifier
	RefusedMissing    = record.RefusedMissing
	RefusedPermission = record.RefusedPermission
	RefusedAttach     = record.RefusedAttach
	RefusedExited     = record.RefusedExited
)

// VerifierInsnLimit is the verifier's complexity limit
// (record.VerifierInsnLimit).
const VerifierInsnLimit = record.VerifierInsnLimit

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

// ProgramRole tells whether benchctl's program named name is the enter
// dispatcher, the exit dispatcher or another program
// (record.ProgramRole).
func ProgramRole(name string) string { return record.ProgramRole(name) }
