package tracertest

import (
	"strings"
	"testing"

	"github.com/benchctl/benchctl/bench/results"
)

func TestKernelRefusal(t *testing.T) {
	seven := 7
	cases := []struct {
		f    *results.Refusal
		ok   bool
		why  string
		name string
	}{
		{nil, false, "no refusal", "nil"},
		{&results.Refusal{Kind: results.RefusedVerifier, Program: "recvmmsg_x", Line: "BPF program is too large", Processed: 1000001, ExitCode: &seven}, true, "", "complete"},
		{&results.Refusal{Kind: results.RefusedVerifier, Line: "R9 invalid mem access 'scalar'", Processed: 127}, false, "misread", "no program"},
		{&results.Refusal{Kind: results.RefusedVerifier, Program: "p", Processed: 127}, false, "misread", "no line"},
		{&results.Refusal{Kind: results.RefusedVerifier, Program: "p", Line: "x"}, false, "misread", "no instructions"},
		{&results.Refusal{Kind: results.RefusedMissing, Line: "unknown func bpf_x"}, true, "", "missing"},
		{&results.Refusal{Kind: results.RefusedAttach}, false, "without the line", "attach without line"},
		{&results.Refusal{Kind: results.RefusedExited, Line: "error while loading shared libraries: libjsoncpp.so.25"}, false, "not because the kernel refused it", "exited"},
		{&results.Refusal{Kind: results.RefusedPermission, Line: "Operation not permitted"}, false, "not because the kernel refused it", "permission"},
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
