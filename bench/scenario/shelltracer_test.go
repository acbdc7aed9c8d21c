package scenario

import (
	"strings"
	"testing"
)

func shellTracerScenario(script string, extra ...string) string {
	argv := "[" + quoteYAML(script)
	for _, e := range extra {
		argv += ", " + quoteYAML(e)
	}
	argv += "]"
	return `name: sh
workload: {type: syscalls, mix: getpid, threads: 1, count: 1000}
sets: {getpid: [getpid]}
floor: false
tracers:
  t:
    shell: true
    argv: ` + argv + `
    sets: {getpid: []}
`
}

func quoteYAML(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }

// TestShellTracerProgramChecked: a shell tracer's program (its script's
// first word, when plain) is checked at validate as an argv tracer's is;
// a script whose program cannot be told is said to be unchecked.
func TestShellTracerProgramChecked(t *testing.T) {
	sc, err := ParseBytes("sh.yaml", []byte(shellTracerScenario(`/nonexistent/benchctl-tracer --x "$@"`)))
	if err != nil {
		t.Fatal(err)
	}
	if m := sc.Tracers[0].Missing; !strings.Contains(m, "/nonexistent/benchctl-tracer") {
		t.Errorf("missing program of a shell tracer: Missing %q", m)
	}
	sc, err = ParseBytes("sh.yaml", []byte(shellTracerScenario(`sh -c 'exit 0' "$@"`)))
	if err != nil {
		t.Fatal(err)
	}
	if tr := sc.Tracers[0]; tr.Missing != "" || tr.Unchecked != "" {
		t.Errorf("a shell tracer running sh: Missing %q, Unchecked %q", tr.Missing, tr.Unchecked)
	}
	sc, err = ParseBytes("sh.yaml", []byte(shellTracerScenario(`cd /tmp && tracer`)))
	if err != nil {
		t.Fatal(err)
	}
	if tr := sc.Tracers[0]; tr.Missing != "" || !strings.Contains(tr.Unchecked, "not checked") {
		t.Errorf("a script starting with cd: Missing %q, Unchecked %q; want it said unchecked", tr.Missing, tr.Unchecked)
	}
}

// TestShellTracerNoVarsInScript: ${NAME} in a shell tracer's script would
// put a --set value into shell code; it is an error pointing at "$1", and
// the same reference as an argument is fine.
func TestShellTracerNoVarsInScript(t *testing.T) {
	t.Setenv("BENCHCTL_T_PATH", "/a b/$(touch x)")
	_, err := ParseBytes("sh.yaml", []byte(shellTracerScenario(`sh -c 'exit 0' ${BENCHCTL_T_PATH}`)))
	if err == nil || !strings.Contains(err.Error(), "${BENCHCTL_T_PATH}") || !strings.Contains(err.Error(), `"$1"`) {
		t.Errorf("${VAR} in a shell script: %v; want an error naming it and pointing at \"$1\"", err)
	}
	sc, err := ParseBytes("sh.yaml", []byte(shellTracerScenario(`sh -c 'exit 0' "$1"`, "${BENCHCTL_T_PATH}")))
	if err != nil {
		t.Fatal(err)
	}
	if got := sc.Tracers[0].Argv; len(got) != 2 || got[1] != "/a b/$(touch x)" {
		t.Errorf("argv %q: want the script and the value as one argument", got)
	}
}

// TestCommandShellArgs: the command workload's shell takes the script and
// its arguments ("$@"), as a shell tracer does.
func TestCommandShellArgs(t *testing.T) {
	sc, err := ParseBytes("c.yaml", []byte(`name: c
workload: {type: command, shell: true, argv: ['printf "%s\n" "$@"', 'a b', '$(x)']}
sets: {s: [getpid]}
modes: [exit_only]
`))
	if err != nil {
		t.Fatal(err)
	}
	if got := sc.Workload.Command.Argv; len(got) != 3 || got[1] != "a b" {
		t.Errorf("argv %q", got)
	}
}
