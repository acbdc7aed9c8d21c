package probes

import (
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/cilium/ebpf"
	"github.com/cilium/ebpf/asm"

	"github.com/benchctl/benchctl/record"
)

// kernelAtLeast tells whether the running kernel is major.minor or newer.
func kernelAtLeast(t *testing.T, major, minor int) bool {
	t.Helper()
	data, err := os.ReadFile("/proc/sys/kernel/osrelease")
	if err != nil {
		t.Fatalf("reading kernel release: %v", err)
	}
	var ma, mi int
	if _, err := fmt.Sscanf(strings.TrimSpace(string(data)), "%d.%d", &ma, &mi); err != nil {
		t.Fatalf("parsing kernel release %q: %v", data, err)
	}
	return ma > major || ma == major && mi >= minor
}

func TestLoadCostOwnProbes(t *testing.T) {
	requireKernel(t)
	for _, mode := range []Mode{ModeEnterExit, ModeExitOnly} {
		t.Run(string(mode), func(t *testing.T) {
			p, err := Load(Config{Mode: mode, Syscalls: []string{"openat", "read", "getpid"}})
			if err != nil {
				t.Fatalf("loading %s: %v", mode, err)
			}
			defer p.Close()
			l := p.LoadCost()
			if l == nil {
				t.Fatal("no load cost recorded")
			}
			if l.LoadNs <= 0 {
				t.Errorf("load time %v, want > 0", l.LoadNs)
			}
			byName := map[string]record.ProgramLoad{}
			for _, pl := range l.Programs {
				byName[pl.Name] = pl
			}
			attach, fillers := p.programs()
			if len(l.Programs) != len(attach)+len(fillers) {
				t.Errorf("%d programs recorded, want %d (attached %v, fillers %v)", len(l.Programs), len(attach)+len(fillers), attach, fillers)
			}
			verified := kernelAtLeast(t, 5, 16)
			for _, name := range append(append([]string{}, attach...), fillers...) {
				pl, ok := byName[name]
				if !ok {
					t.Errorf("program %s not recorded", name)
					continue
				}
				isAttached := !strings.HasSuffix(name, "_e") && !strings.HasSuffix(name, "_x") && !strings.HasSuffix(name, "_xm")
				if pl.Attached != isAttached {
					t.Errorf("%s: attached %v, want %v", name, pl.Attached, isAttached)
				}
				if pl.ID == 0 || pl.XlatedBytes == 0 || pl.Maps == 0 {
					t.Errorf("%s: id %d, xlated %d bytes, %d maps: want all > 0", name, pl.ID, pl.XlatedBytes, pl.Maps)
				}
				if verified && pl.VerifiedInsns == 0 {
					t.Errorf("%s: no verified instructions on a 5.16+ kernel", name)
				}
			}
			// The openat filler reads a path: the verifier walks more of
			// it than of the generic one (getpid), which reads nothing.
			suffix := "_x"
			if mode == ModeExitOnly {
				suffix = "_xm"
			}
			open, generic := byName["openat"+suffix], byName["generic"+suffix]
			if verified && !(open.VerifiedInsns > generic.VerifiedInsns && generic.VerifiedInsns > 0) {
				t.Errorf("verified instructions: openat%s %d, generic%s %d: want openat's larger", suffix, open.VerifiedInsns, suffix, generic.VerifiedInsns)
			}
		})
	}
}

// refusedSpec is one program the verifier refuses wherever it runs: it
// returns a register it never wrote.
func refusedSpec() *ebpf.CollectionSpec {
	return &ebpf.CollectionSpec{Programs: map[string]*ebpf.ProgramSpec{
		"never_written": {
			Type:    ebpf.SocketFilter,
			License: "GPL",
			Instructions: asm.Instructions{
				asm.Mov.Imm(asm.R1, 1),
				asm.Mov.Reg(asm.R0, asm.R3),
				asm.Return(),
			},
		},
	}}
}

func TestClassifyRealVerifierRefusal(t *testing.T) {
	requireKernel(t)
	coll, err := ebpf.NewCollection(refusedSpec())
	if err == nil {
		coll.Close()
		t.Fatal("the kernel loaded a program returning an unwritten register")
	}
	f := Classify(loadError("loading probes", err))
	if f == nil {
		t.Fatalf("refusal %v not classified", err)
	}
	if f.Kind != record.RefusedVerifier || f.Program != "never_written" {
		t.Errorf("classified as %s of %q, want verifier of never_written (%v)", f.Kind, f.Program, err)
	}
	if !strings.Contains(f.Line, "R3 !read_ok") {
		t.Errorf("line %q, want the verifier's reason R3 !read_ok", f.Line)
	}
	if f.Processed <= 0 {
		t.Errorf("processed %d insns, want > 0", f.Processed)
	}
}

func TestClassifyRealMissingHelper(t *testing.T) {
	requireKernel(t)
	coll, err := ebpf.NewCollection(&ebpf.CollectionSpec{Programs: map[string]*ebpf.ProgramSpec{
		"calls_nothing": {
			Type:    ebpf.SocketFilter,
			License: "GPL",
			Instructions: asm.Instructions{
				asm.BuiltinFunc(30000).Call(),
				asm.Mov.Imm(asm.R0, 0),
				asm.Return(),
			},
		},
	}})
	if err == nil {
		coll.Close()
		t.Fatal("the kernel loaded a call to helper 30000")
	}
	f := Classify(err)
	if f == nil || f.Kind != record.RefusedMissing || f.Program != "calls_nothing" {
		t.Fatalf("classified as %+v, want missing for calls_nothing (%v)", f, err)
	}
	if !strings.Contains(f.Line, "30000") {
		t.Errorf("line %q does not name the helper", f.Line)
	}
}

func TestClassifyAttachFailure(t *testing.T) {
	err := &AttachError{Program: "toctou_openat", Err: loadError("attaching toctou_openat", os.ErrNotExist)}
	f := Classify(err)
	if f == nil || f.Kind != record.RefusedAttach || f.Program != "toctou_openat" {
		t.Fatalf("classified as %+v, want attach of toctou_openat", f)
	}
	if Classify(ErrNoBTF).Kind != record.RefusedMissing {
		t.Error("no BTF is not classified as missing support")
	}
	if Classify(ErrPermission).Kind != record.RefusedPermission {
		t.Error("ErrPermission is not classified as permission")
	}
}

// signalDeliverLog is the end of the log with which Linux 6.18 refuses
// Falco's upstream modern_bpf signal_deliver (scap-open 0.25.4).
var signalDeliverLog = strings.Split(`func#0 @0
marking pointer arg1 as scalar as it may encode error1: R1=ctx() R9=scalar()
130: (0f) r9 += r2                    ; R2=16 R9=scalar() refs=5
;  @ signal_deliver.bpf.c:0
131: (61) r2 = *(u32 *)(r9 +0)
R9 invalid mem access 'scalar'
processed 127 insns (limit 1000000) max_states_per_insn 0 total_states 9 peak_states 9 mark_read 0`, "\n")

func TestClassifyVerifierLog(t *testing.T) {
	f := ClassifyVerifierLog(signalDeliverLog)
	if f.Kind != record.RefusedVerifier || f.Line != "R9 invalid mem access 'scalar'" || f.Processed != 127 {
		t.Errorf("got %+v, want verifier, R9 invalid mem access 'scalar', 127 insns", f)
	}
	f = ClassifyVerifierLog([]string{"0: R1=ctx() R10=fp0", "0: (85) call bpf_fancy#211", "unknown func bpf_fancy#211", "processed 1 insns (limit 1000000)"})
	if f.Kind != record.RefusedMissing || f.Line != "unknown func bpf_fancy#211" || f.Processed != 1 {
		t.Errorf("got %+v, want missing, unknown func bpf_fancy#211, 1 insn", f)
	}
}
