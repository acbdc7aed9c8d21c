package probes

import (
	"os"
	"regexp"
	"testing"

	"github.com/benchctl/benchctl/record"
)

func intp(i int) *int { return &i }

// TestClassifyScapOpenRefusal reads what scap-open 0.25.4 with Falco's
// upstream modern_bpf driver printed on Linux 6.18.44 (`scap-open-0.25.4-upstream-driver
// --modern_bpf --ppm_sc 16`, 2026-12-02): libpman's probe load of
// dump_task is refused first (and libpman goes on without it), then the
// real load is refused at signal_deliver. The refusal is the last one.
func TestClassifyScapOpenRefusal(t *testing.T) {
	out, err := os.ReadFile("testdata/tracer-output/scap-open-0.25.4-upstream-driver-6.18.44.txt")
	if err != nil {
		t.Fatal(err)
	}
	f := ClassifyTracerOutput(string(out), nil, intp(13))
	if f.Kind != record.RefusedVerifier || f.Program != "signal_deliver" {
		t.Fatalf("got %+v, want the verifier refusing signal_deliver", f)
	}
	if f.Line != "R9 invalid mem access 'scalar'" || f.Processed != 127 {
		t.Errorf("line %q after %d insns, want R9 invalid mem access 'scalar' after 127", f.Line, f.Processed)
	}
	if f.ExitCode == nil || *f.ExitCode != 13 {
		t.Errorf("exit code %v, want 13", f.ExitCode)
	}
	if s := f.String(); s != "verifier refused signal_deliver after 127 insns: R9 invalid mem access 'scalar'" {
		t.Errorf("String() = %q", s)
	}
	// A pattern of the scenario's own, for a tracer that words it otherwise.
	custom := regexp.MustCompile(`^REFUSED (\w+)$`)
	f = ClassifyTracerOutput("starting\nREFUSED my_prog\n0: (b7) r0 = 0\nR0 bad thing\nprocessed 9 insns (limit 1000000)\n", custom, nil)
	if f.Kind != record.RefusedVerifier || f.Program != "my_prog" || f.Line != "R0 bad thing" || f.Processed != 9 {
		t.Errorf("custom pattern: got %+v", f)
	}
}

func TestClassifyTracerOutputOtherFailures(t *testing.T) {
	cases := []struct {
		out, kind, line string
	}{
		{"libbpf: prog 'x': failed to attach: Invalid argument\nbye\n", record.RefusedAttach, "libbpf: prog 'x': failed to attach: Invalid argument"},
		{"libbpf: failed to find BTF for extern 'bpf_foo'\n", record.RefusedMissing, "libbpf: failed to find BTF for extern 'bpf_foo'"},
		{"bpf(BPF_PROG_LOAD): Operation not permitted\n", record.RefusedPermission, "bpf(BPF_PROG_LOAD): Operation not permitted"},
		{"cannot open the driver\n", record.RefusedExited, "cannot open the driver"},
	}
	for _, c := range cases {
		f := ClassifyTracerOutput(c.out, nil, intp(3))
		if f.Kind != c.kind || f.Line != c.line || f.ExitCode == nil || *f.ExitCode != 3 {
			t.Errorf("%q: got %+v, want %s %q exit 3", c.out, f, c.kind, c.line)
		}
	}
}

// TestClassifyRecvmmsgRefusal reads what the upstream drivers of scap-open
// 0.21.0 and 0.25.4 printed on 6.18.44-fc-v1300 (2026-12-07,
// `scap-open-<v>-upstream-driver --modern_bpf --ppm_sc 16`, exit 7): the
// verifier gave up on recvmmsg_x's bpf_loop callback at the 1M
// instruction limit. 0.25.4 first probes dump_task, whose refusal libpman
// survives; the refusal that counts is the last.
func TestClassifyRecvmmsgRefusal(t *testing.T) {
	for _, v := range []string{"0.21.0", "0.25.4"} {
		out, err := os.ReadFile("testdata/tracer-output/scap-open-" + v + "-upstream-driver-6.18.44-fc-v1300.txt")
		if err != nil {
			t.Fatal(err)
		}
		f := ClassifyTracerOutput(string(out), nil, intp(7))
		want := "verifier refused recvmmsg_x after 1000001 insns: BPF program is too large. Processed 1000001 insn"
		if f.Kind != record.RefusedVerifier || f.String() != want || f.ExitCode == nil || *f.ExitCode != 7 {
			t.Errorf("%s: got %+v (%s), want %q, exit 7", v, f, f, want)
		}
	}
}
