package probes

import (
	"errors"
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/cilium/ebpf"
	"golang.org/x/sys/unix"

	"github.com/benchctl/benchctl/record"
)

// LoadCost returns what loading p cost: every program it loaded (with
// bpf_prog_info's verified instructions, sizes and map count) and the
// time from the start of loading to every program attached. nil for
// ModeNone.
func (p *Probes) LoadCost() *record.Load {
	if p.cost == nil {
		return nil
	}
	l := *p.cost
	l.Programs = append([]record.ProgramLoad(nil), p.cost.Programs...)
	return &l
}

// programLoad reads prog's load cost from bpf_prog_info.
func programLoad(prog *ebpf.Program, name string, attached bool) (record.ProgramLoad, error) {
	info, err := prog.Info()
	if err != nil {
		return record.ProgramLoad{}, fmt.Errorf("reading info of program %s: %w", name, err)
	}
	pl := record.ProgramLoad{Name: name, Type: prog.Type().String(), Attached: attached}
	if name == "" {
		pl.Name = info.Name
	}
	if id, ok := info.ID(); ok {
		pl.ID = uint32(id)
	}
	if n, ok := info.VerifiedInstructions(); ok {
		pl.VerifiedInsns = n
	}
	if n, err := info.TranslatedSize(); err == nil {
		pl.XlatedBytes = uint32(n)
	}
	if n, err := info.JitedSize(); err == nil {
		pl.JitedBytes = n
	}
	if ids, ok := info.MapIDs(); ok {
		pl.Maps = len(ids)
	}
	return pl, nil
}

// ExternalLoads reads the load cost of the programs ids that another
// process holds, opening each by id for as long as it takes to read its
// info. attached lists the ids with an attachment. Call it while the
// tracer runs, never while it exits (see ExternalPrograms). A program
// gone meanwhile is skipped.
func ExternalLoads(ids []uint32, attached []Attachment) ([]record.ProgramLoad, error) {
	isAttached := map[uint32]bool{}
	for _, a := range attached {
		isAttached[a.ProgramID] = true
	}
	var out []record.ProgramLoad
	for _, id := range ids {
		prog, err := ebpf.NewProgramFromID(ebpf.ProgramID(id))
		if errors.Is(err, unix.ENOENT) {
			continue
		}
		if err != nil {
			return out, fmt.Errorf("opening program %d: %w", id, err)
		}
		pl, err := programLoad(prog, "", isAttached[id])
		prog.Close()
		if err != nil {
			return out, err
		}
		out = append(out, pl)
	}
	return out, nil
}

// AttachError is a failure to attach a program that loaded.
type AttachError struct {
	Program string
	Err     error
}

func (e *AttachError) Error() string { return e.Err.Error() }
func (e *AttachError) Unwrap() error { return e.Err }

// programInError finds the program a cilium/ebpf load error names
// ("program NAME: load program: ...").
var programInError = regexp.MustCompile(`\bprogram ([A-Za-z_][A-Za-z0-9_]*): `)

// Classify turns an error of Load into a refusal: which kind, which
// program and, for the verifier, its last meaningful line and the
// instructions it processed. nil when err is nil or says nothing about
// loading or attaching (bad configuration).
func Classify(err error) *record.Refusal {
	if err == nil {
		return nil
	}
	var ae *AttachError
	if errors.As(err, &ae) {
		return &record.Refusal{Kind: record.RefusedAttach, Program: ae.Program, Line: lastError(ae.Err)}
	}
	var ve *ebpf.VerifierError
	if errors.As(err, &ve) {
		f := ClassifyVerifierLog(ve.Log)
		if m := programInError.FindStringSubmatch(err.Error()); m != nil {
			f.Program = m[1]
		}
		if f.Line == "" {
			f.Line = ve.Cause.Error()
		}
		return f
	}
	switch {
	case errors.Is(err, ErrNoBTF):
		return &record.Refusal{Kind: record.RefusedMissing, Line: "no kernel BTF (/sys/kernel/btf/vmlinux)"}
	case errors.Is(err, ErrPermission), errors.Is(err, unix.EPERM):
		return &record.Refusal{Kind: record.RefusedPermission, Line: lastError(err)}
	case errors.Is(err, ebpf.ErrNotSupported):
		f := &record.Refusal{Kind: record.RefusedMissing, Line: lastError(err)}
		if m := programInError.FindStringSubmatch(err.Error()); m != nil {
			f.Program = m[1]
		}
		return f
	}
	if m := programInError.FindStringSubmatch(err.Error()); m != nil {
		// A program the kernel would not load without a verifier log
		// (e.g. a CO-RE relocation or an attach target the kernel has
		// not): missing kernel support.
		return &record.Refusal{Kind: record.RefusedMissing, Program: m[1], Line: lastError(err)}
	}
	return nil
}

// lastError is the innermost words of err's message: what follows its
// last ": " that is not a number or an errno name alone.
func lastError(err error) string {
	msg := err.Error()
	parts := strings.Split(msg, ": ")
	for i := len(parts) - 1; i > 0; i-- {
		p := strings.TrimSpace(parts[i])
		if len(p) > 3 {
			return strings.Join(parts[i:], ": ")
		}
	}
	return msg
}

var processedInsns = regexp.MustCompile(`^processed (\d+) insns`)

// missingSupport are verifier and libbpf words that mean the kernel lacks
// what the program needs, not that the program is unsafe.
var missingSupport = regexp.MustCompile(`unknown func |invalid func unknown|program of this type cannot use helper|calling kernel function .* is not allowed|kernel function .* (not found|is not supported)|cannot find kfunc|kfunc .* not found|failed to find kernel BTF type|failed to find BTF|attach_btf_id|Invalid attach|vmlinux BTF is not found|failed to resolve CO-RE relocation|unknown kernel function`)

// ClassifyVerifierLog reads a verifier log: the instructions processed,
// and its last meaningful line (the last one that is not the statistics,
// a source comment, an instruction or blank). A log naming a helper,
// kfunc or BTF type the kernel lacks is RefusedMissing, any other
// RefusedVerifier.
func ClassifyVerifierLog(log []string) *record.Refusal {
	f := &record.Refusal{Kind: record.RefusedVerifier}
	for i := len(log) - 1; i >= 0; i-- {
		l := strings.TrimSpace(log[i])
		if m := processedInsns.FindStringSubmatch(l); m != nil {
			if f.Processed == 0 {
				f.Processed, _ = strconv.Atoi(m[1])
			}
			continue
		}
		if f.Line == "" && meaningful(l) {
			f.Line = l
		}
	}
	for _, l := range log {
		if missingSupport.MatchString(l) {
			f.Kind = record.RefusedMissing
			f.Line = strings.TrimSpace(l)
			break
		}
	}
	return f
}

// instructionLine is a verifier trace line: "131: (61) r2 = *(u32 *)(r9 +0)".
var instructionLine = regexp.MustCompile(`^\d+: (\(|R\d)`)

func meaningful(l string) bool {
	switch {
	case l == "", strings.HasPrefix(l, ";"), strings.HasPrefix(l, "--"), strings.HasPrefix(l, "verification time"),
		strings.HasPrefix(l, "stack depth"), instructionLine.MatchString(l):
		return false
	}
	return true
}

// recordCost keeps what loading took and every loaded program's cost.
func (p *Probes) recordCost(took time.Duration, attach []string) error {
	isAttached := map[string]bool{}
	for _, n := range attach {
		isAttached[n] = true
	}
	l := &record.Load{LoadNs: took}
	names := make([]string, 0, len(p.coll.Programs))
	for n := range p.coll.Programs {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		pl, err := programLoad(p.coll.Programs[n], n, isAttached[n])
		if err != nil {
			return err
		}
		l.Programs = append(l.Programs, pl)
	}
	p.cost = l
	return nil
}
