package record

import (
	"sort"
	"strconv"
	"time"
)

// VerifierInsnLimit is the verifier's complexity limit: the most
// instructions it processes for one program before it refuses it
// (BPF_COMPLEXITY_LIMIT_INSNS, 1,000,000 since Linux 5.2).
const VerifierInsnLimit = 1_000_000

// Load is what loading a run's tracer cost, or why the kernel refused it.
// Its figures come from bpf_prog_info and do not vary between runs of the
// same programs on the same kernel (the load and ready times do).
type Load struct {
	// LoadNs is, for benchctl's own probes, the time from the start of
	// loading (maps created, every program verified) to every program
	// attached.
	LoadNs time.Duration `json:"load_ns,omitempty"`
	// ReadyNs is, for an external tracer, the time from its start until
	// it was ready (as TracerStats.ReadyNs).
	ReadyNs time.Duration `json:"ready_ns,omitempty"`
	// Programs are every program the tracer held when it was ready,
	// attached or not (tail-call targets count: each is verified on its
	// own).
	Programs []ProgramLoad `json:"programs,omitempty"`
	// Refusal says why the tracer did not load or attach; nil when it did.
	Refusal *Refusal `json:"refusal,omitempty"`
}

// ProgramLoad is one program's load cost, from bpf_prog_info.
type ProgramLoad struct {
	Name string `json:"name"`
	ID   uint32 `json:"id,omitempty"`
	Type string `json:"type,omitempty"`
	// Attached is set for the programs with an attachment of their own
	// (the others are tail-call targets, or loaded and not attached).
	Attached bool `json:"attached,omitempty"`
	// VerifiedInsns is the number of instructions the verifier processed
	// (verified_insns, Linux 5.16+; 0 when the kernel does not say). It
	// counts every path the verifier walked, so it can exceed the
	// program's size many times; the limit is VerifierInsnLimit.
	VerifiedInsns uint32 `json:"verified_insns,omitempty"`
	// XlatedBytes and JitedBytes are the sizes of the translated and of
	// the JIT-compiled program.
	XlatedBytes uint32 `json:"xlated_bytes,omitempty"`
	JitedBytes  uint32 `json:"jited_bytes,omitempty"`
	// Maps is the number of maps the program uses.
	Maps int `json:"maps,omitempty"`
}

// LimitShare is the share of VerifierInsnLimit p's verification used,
// 0 to 1 (more when past it, which cannot load).
func (p ProgramLoad) LimitShare() float64 {
	return float64(p.VerifiedInsns) / VerifierInsnLimit
}

// Refusal kinds: why a tracer did not load or attach.
const (
	// RefusedVerifier: the verifier refused a program (Program, Line
	// and Processed say which and where).
	RefusedVerifier = "verifier"
	// RefusedMissing: the kernel lacks what a program needs: BTF, a
	// kfunc, a helper, an attach target (Line says what).
	RefusedMissing = "missing"
	// RefusedPermission: the kernel refused the caller, not the program.
	RefusedPermission = "permission"
	// RefusedAttach: every program loaded, attaching one failed.
	RefusedAttach = "attach"
	// RefusedExited: an external tracer exited before it was ready for
	// a reason its output does not name as one of the above.
	RefusedExited = "exited"
)

// Refusal is a classified load or attach failure.
type Refusal struct {
	Kind string `json:"kind"` // one of the Refused* constants
	// Program is the refused program's name, when known.
	Program string `json:"program,omitempty"`
	// Line is the verifier's last meaningful log line (the reason), or
	// the error's own words when there is no log.
	Line string `json:"line,omitempty"`
	// Processed is the number of instructions the verifier processed
	// before it gave up ("processed N insns"), 0 when not known.
	Processed int `json:"insns_processed,omitempty"`
	// ExitCode is an external tracer's exit status, when it exited.
	ExitCode *int `json:"exit_code,omitempty"`
}

// String is the refusal in one line, e.g.
// "verifier refused signal_deliver after 127 insns: R9 invalid mem access 'scalar'".
func (f Refusal) String() string {
	var s string
	switch f.Kind {
	case RefusedVerifier:
		s = "verifier refused"
		if f.Program != "" {
			s += " " + f.Program
		}
		if f.Processed > 0 {
			s += " after " + strconv.Itoa(f.Processed) + " insns"
		}
	case RefusedMissing:
		s = "missing kernel support"
		if f.Program != "" {
			s += " for " + f.Program
		}
	case RefusedPermission:
		s = "permission denied"
	case RefusedAttach:
		s = "attach failed"
		if f.Program != "" {
			s += " for " + f.Program
		}
	case RefusedExited:
		s = "exited before ready"
	default:
		s = "refused (" + f.Kind + ")"
	}
	if f.ExitCode != nil && f.Kind != RefusedVerifier {
		s += " (exit " + strconv.Itoa(*f.ExitCode) + ")"
	}
	if f.Line != "" {
		s += ": " + f.Line
	}
	return s
}

// LargestPrograms returns l's programs by verified instructions, largest
// first (then by name).
func (l *Load) LargestPrograms() []ProgramLoad {
	if l == nil {
		return nil
	}
	out := append([]ProgramLoad(nil), l.Programs...)
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].VerifiedInsns != out[j].VerifiedInsns {
			return out[i].VerifiedInsns > out[j].VerifiedInsns
		}
		return out[i].Name < out[j].Name
	})
	return out
}
