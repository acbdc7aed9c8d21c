package results

import "testing"

func TestBPFMemoryEstimateNotMeasured(t *testing.T) {
	m, ok := MeasureByKey("bpf_memory")
	if !ok {
		t.Fatal("no bpf_memory measure")
	}
	v := Variant{Name: "x", Mode: ModeExitOnly}
	run := Run{Tracer: &TracerStats{BPFMemoryBytes: 4096}}
	if x, ok := m.Value(v, run); !ok || x != 4096 {
		t.Errorf("counted memlock: %v, %v; want 4096", x, ok)
	}
	run.Tracer.BPFMemoryEstimate = true
	if _, ok := m.Value(v, run); ok {
		t.Error("an estimate (kernel before 6.4) is a figure to compare")
	}
}

func TestLoadOfAndRefusal(t *testing.T) {
	refused := &Load{Refusal: &Refusal{Kind: RefusedVerifier, Program: "p", Line: "R1 bad", Processed: 12}}
	loaded := &Load{Programs: []ProgramLoad{{Name: "a", VerifiedInsns: 5}, {Name: "b", VerifiedInsns: 50}, {Name: "c", VerifiedInsns: 50}}}
	r := &Results{Runs: []Run{
		{Variant: "v", Warmup: true, Load: refused, Error: "x"},
		{Variant: "v", Load: loaded},
		{Variant: "w", Load: refused, Error: "x"},
	}}
	if got := r.LoadOf("v"); got != loaded {
		t.Errorf("LoadOf(v) = %+v, want the measured run's load", got)
	}
	if got := r.LoadOf("w"); got != refused {
		t.Errorf("LoadOf(w) = %+v, want the refusal", got)
	}
	if r.LoadOf("none") != nil || !r.HasLoad() {
		t.Error("LoadOf(none) or HasLoad wrong")
	}
	big := loaded.LargestPrograms()
	if big[0].Name != "b" || big[1].Name != "c" || big[2].Name != "a" {
		t.Errorf("largest first: %+v", big)
	}
	if s := refused.Refusal.String(); s != "verifier refused p after 12 insns: R1 bad" {
		t.Errorf("String() = %q", s)
	}
	code := 3
	f := Refusal{Kind: RefusedExited, Line: "no driver", ExitCode: &code}
	if s := f.String(); s != "exited before ready (exit 3): no driver" {
		t.Errorf("String() = %q", s)
	}
}
