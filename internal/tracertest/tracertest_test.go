package tracertest

import (
	"strings"
	"testing"

	"github.com/benchctl/benchctl/record"
)

func TestKernelRefusal(t *testing.T) {
	seven := 7
	cases := []struct {
		f    *record.Refusal
		ok   bool
		why  string
		name string
	}{
		{nil, false, "no refusal", "nil"},
		{&record.Refusal{Kind: record.RefusedVerifier, Program: "recvmmsg_x", Line: "BPF program is too large", Processed: 1000001, ExitCode: &seven}, true, "", "complete"},
		{&record.Refusal{Kind: record.RefusedVerifier, Line: "R9 invalid mem access 'scalar'", Processed: 127}, false, "misread", "no program"},
		{&record.Refusal{Kind: record.RefusedVerifier, Program: "p", Processed: 127}, false, "misread", "no line"},
		{&record.Refusal{Kind: record.RefusedVerifier, Program: "p", Line: "x"}, false, "misread", "no instructions"},
		{&record.Refusal{Kind: record.RefusedMissing, Line: "unknown func bpf_x"}, true, "", "missing"},
		{&record.Refusal{Kind: record.RefusedAttach}, false, "without the line", "attach without line"},
		{&record.Refusal{Kind: record.RefusedExited, Line: "error while loading shared libraries: libjsoncpp.so.25"}, false, "not because the kernel refused it", "exited"},
		{&record.Refusal{Kind: record.RefusedPermission, Line: "Operation not permitted"}, false, "not because the kernel refused it", "permission"},
	}
	for _, c := range cases {
		ok, why := KernelRefusal(c.f)
		if ok != c.ok || !strings.Contains(why, c.why) {
			t.Errorf("%s: KernelRefusal = %v, %q; want %v, %q", c.name, ok, why, c.ok, c.why)
		}
	}
}

func TestTail(t *testing.T) {
	if got := tail("a\nb\nc\n", 2); got != "b\nc\n" {
		t.Errorf("tail 2 = %q", got)
	}
	if got := tail("a\nb", 5); got != "a\nb" {
		t.Errorf("tail 5 = %q", got)
	}
}
