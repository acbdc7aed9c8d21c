package workloads

import "testing"

func TestShellProgram(t *testing.T) {
	for _, tc := range []struct {
		script, prog string
		ok           bool
	}{
		{`/opt/falco/scap-open --modern_bpf "$@"`, "/opt/falco/scap-open", true},
		{`bpftrace -e "$1"`, "bpftrace", true},
		{`exec /usr/bin/tracer "$@"`, "/usr/bin/tracer", true},
		{`  tracer`, "tracer", true},
		{`"$TRACER" --x`, "", false},
		{`X=1 tracer`, "", false},
		{`trap "exit 0" INT; tracer`, "", false},
		{`cd /tmp && tracer`, "", false},
		{`tracer;other`, "", false},
		{``, "", false},
	} {
		prog, ok := ShellProgram(tc.script)
		if prog != tc.prog || ok != tc.ok {
			t.Errorf("ShellProgram(%q) = %q, %v; want %q, %v", tc.script, prog, ok, tc.prog, tc.ok)
		}
	}
}
