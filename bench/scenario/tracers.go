package scenario

import (
	"fmt"
	"os"
	"os/exec"
	"regexp"
	"slices"
	"strings"
	"syscall"
	"time"

	"go.yaml.in/yaml/v3"
	"golang.org/x/sys/unix"

	"github.com/benchctl/benchctl/record"
	"github.com/benchctl/benchctl/workloads"
)

// TracerSpec is one external tracer of a scenario's `tracers` section: a
// program that loads its own BPF programs (Falco's scap-open, bpftrace,
// Tetragon, ...). Every set it has arguments for becomes a variant of
// mode external, measured in the same rounds as benchctl's own probes.
type TracerSpec struct {
	Name string
	// Family and Design say which variants a report pairs: within one
	// family, an exit_only design against an enter_exit one.
	Family string
	Design record.Mode // enter_exit, exit_only or "" (neither)
	// Argv and Env have their ${VAR} references expanded already.
	Argv  []string
	Env   []string
	Shell bool
	// SetArgs are the arguments appended to Argv for each set, in the
	// order of the scenario's sets.
	SetArgs  map[string][]string
	SetOrder []string

	ReadyOutput  string // regex; "" = programs attached is enough
	ReadyTimeout time.Duration
	StopSignal   syscall.Signal
	StopGrace    time.Duration
	Counters     []string // regexes with named groups
	// Refused is the regex of the output line that names a program the
	// kernel refused (its group "program", else its first, names it);
	// "" means probes.DefaultRefusedPattern, libbpf's line.
	Refused string

	// Missing says why the tracer's program cannot be run here ("" when
	// it was found). validate and run report it (exit 3).
	Missing string
	// Unchecked says why the program of a shell tracer could not be
	// checked (its script does not start with a plain program name);
	// validate says so.
	Unchecked string
	Line      int
}

// Spec is the workloads package's description of the tracer for set.
func (t TracerSpec) Spec(set string) workloads.TracerSpec {
	spec := workloads.TracerSpec{
		Name:         t.Name,
		Argv:         append(slices.Clone(t.Argv), t.SetArgs[set]...),
		Env:          slices.Clone(t.Env),
		Shell:        t.Shell,
		ReadyTimeout: t.ReadyTimeout,
		StopSignal:   t.StopSignal,
		StopGrace:    t.StopGrace,
	}
	if t.ReadyOutput != "" {
		spec.ReadyOutput = regexp.MustCompile(t.ReadyOutput)
	}
	return spec
}

// StopSignalName names the tracer's stop signal, e.g. "SIGINT".
func (t TracerSpec) StopSignalName() string {
	if name := unix.SignalName(t.StopSignal); name != "" {
		return name
	}
	return t.StopSignal.String()
}

// CounterRegexps compiles the counter regexes (checked at parse time).
func (t TracerSpec) CounterRegexps() []*regexp.Regexp {
	out := make([]*regexp.Regexp, len(t.Counters))
	for i, c := range t.Counters {
		out[i] = regexp.MustCompile(c)
	}
	return out
}

// Tracer returns the tracer named name.
func (s *Scenario) Tracer(name string) (TracerSpec, bool) {
	for _, t := range s.Tracers {
		if t.Name == name {
			return t, true
		}
	}
	return TracerSpec{}, false
}

// MissingTracers lists, one line each, the tracers whose program cannot
// be found here.
func (s *Scenario) MissingTracers() []string {
	var out []string
	for _, t := range s.Tracers {
		if t.Missing != "" {
			out = append(out, fmt.Sprintf("tracer %s: %s", t.Name, t.Missing))
		}
	}
	return out
}

func (p *parser) tracers(f field, s *Scenario) {
	valid := p.named(identRE, identHint+" (it goes into variant names)", "invalid tracer name %q")
	for _, g := range p.mapping(f, "name a tracer and give its argv, or remove the section") {
		if valid(g.k, g.key) {
			g.what = "tracer " + g.key
			p.tracer(g, s)
		}
	}
}

func (p *parser) tracer(f field, s *Scenario) {
	t := TracerSpec{
		Name: f.key, Family: f.key, Line: f.k.Line,
		SetArgs:      map[string][]string{},
		ReadyTimeout: workloads.DefaultReadyTimeout,
		StopSignal:   syscall.SIGINT,
		StopGrace:    workloads.DefaultStopGrace,
	}
	what := f.what
	p.section(f,
		key{name: "family", dst: &t.Family, check: p.named(identRE, identHint, "invalid family %q")},
		key{name: "design", dst: func(f field) {
			if v, ok := p.str(f); ok && p.oneOf(f.v, "design", v, []string{"enter_exit", "exit_only", "other"}) && v != "other" {
				t.Design = record.Mode(v)
			}
		}},
		key{name: "shell", dst: &t.Shell},
		key{name: "argv", need: "add `argv: [program, arg, ...]`", dst: func(f field) {
			args, nodes, _ := p.strList(f, "give the program and its arguments, such as [bpftrace, -e, '...']")
			if len(args) > 0 && t.Shell && !p.noVarsInScript(nodes[0], args[0], what) {
				args, nodes = args[1:], nodes[1:]
			}
			t.Argv = p.expandAll(args, nodes, f.what)
		}},
		key{name: "env", dst: func(f field) {
			env, _ := p.entries(f, nil)
			for _, e := range env {
				if v, ok := p.str(e); ok {
					if x, ok := p.expand(e.v, v, e.what); ok {
						t.Env = append(t.Env, e.key+"="+x)
					}
				}
			}
		}},
		key{name: "sets", need: "add `sets:` mapping each syscall set to the arguments that make the tracer trace it", dst: func(f field) {
			for _, e := range p.mapping(f, "name the scenario's sets this tracer traces, each with the arguments that select it") {
				e.what = what + " set " + e.key
				if e.v.Tag == "!!null" { // a set without arguments
					e.v = &yaml.Node{Kind: yaml.SequenceNode}
				}
				if args, nodes, ok := p.strList(e, ""); ok {
					t.SetArgs[e.key] = p.expandAll(args, nodes, e.what)
					t.SetOrder = append(t.SetOrder, e.key)
					s.lines["tracer-set:"+t.Name+"/"+e.key] = e.k.Line
				}
			}
		}},
		key{name: "ready", dst: func(f field) {
			p.section(f, key{name: "output", dst: &t.ReadyOutput, check: func(n *yaml.Node, v string) bool {
				_, ok := p.regex(n, v, "write a Go regular expression (RE2 syntax)", what+" ready output")
				return ok
			}}, key{name: "timeout", dst: &t.ReadyTimeout})
		}},
		key{name: "stop", dst: func(f field) {
			p.section(f, key{name: "signal", dst: func(f field) {
				// A signal's name, with or without SIG.
				v, ok := p.str(f)
				name := "SIG" + strings.TrimPrefix(strings.ToUpper(v), "SIG")
				if t.StopSignal = unix.SignalNum(name); ok && t.StopSignal == 0 {
					var names []string
					for sig := syscall.Signal(1); unix.SignalName(sig) != ""; sig++ {
						names = append(names, unix.SignalName(sig))
					}
					p.errAt(f.v.Line, suggestHint(name, names), "%s: unknown stop signal %q", what, v)
				}
			}}, key{name: "grace", dst: &t.StopGrace})
		}},
		key{name: "counters", dst: func(f field) {
			list, nodes, ok := p.strList(f, "")
			if !ok {
				return
			}
			for i, c := range list {
				re, err := regexp.Compile(c)
				if err == nil {
					err = workloads.CheckCounterRegex(re)
				}
				if !p.errIf(err != nil, nodes[i].Line, "write a Go regular expression with named groups, such as 'n_drops: (?P<drops>\\d+)'", "%s counter: %v", what, err) {
					t.Counters = append(t.Counters, c)
				}
			}
		}},
		key{name: "refused", dst: &t.Refused, check: func(n *yaml.Node, v string) bool {
			re, ok := p.regex(n, v, "write a Go regular expression (RE2 syntax) such as 'prog (?P<program>\\w+) refused'", what+" refused")
			return ok && !p.errIf(re.NumSubexp() == 0, n.Line, "add a group that captures the program's name, such as (?P<program>\\w+)", "%s refused: %q names no program", what, v)
		}},
	)
	if len(t.Argv) > 0 {
		prog, ok := t.Argv[0], true
		if t.Shell {
			prog, ok = workloads.ShellProgram(prog)
		}
		if ok {
			t.Missing = missingProgram(prog)
		} else {
			t.Unchecked = "its program is not checked: the script does not start with a plain program name"
		}
	}
	s.Tracers = append(s.Tracers, t)
}

// noVarsInScript refuses ${NAME} in a shell tracer's script: the value
// would become shell code (a --set value holding $(...) would run). The
// script takes values as arguments instead; $${NAME} is the shell's own.
func (p *parser) noVarsInScript(n *yaml.Node, script, what string) bool {
	for _, m := range varRE.FindAllStringSubmatch(script, -1) {
		if m[0] != "$$" {
			p.errAt(n.Line, fmt.Sprintf("put ${%s} in an argument after the script and use \"$1\" (\"$2\", ...) in it: arguments are never parsed as shell code; $${%s} is the shell's own variable", m[1], m[1]),
				"%s shell script uses ${%s}, whose value would be run as shell code", what, m[1])
			return false
		}
	}
	return true
}

// expandAll expands every arg (see expand) and leaves out those that
// fail.
func (p *parser) expandAll(args []string, nodes []*yaml.Node, what string) []string {
	out := []string{}
	for i, a := range args {
		if x, ok := p.expand(nodes[i], a, what); ok {
			out = append(out, x)
		}
	}
	return out
}

// RefusedRegexp compiles Refused (checked at parse time); nil when it is
// not set.
func (t TracerSpec) RefusedRegexp() *regexp.Regexp {
	if t.Refused == "" {
		return nil
	}
	return regexp.MustCompile(t.Refused)
}

// missingProgram says why prog cannot be run, or "" when it can.
func missingProgram(prog string) string {
	if !strings.Contains(prog, "/") {
		if _, err := exec.LookPath(prog); err != nil {
			return fmt.Sprintf("program %q is not in PATH", prog)
		}
		return ""
	}
	st, err := os.Stat(prog)
	switch {
	case err != nil:
		return fmt.Sprintf("program %s not found", prog)
	case st.IsDir() || st.Mode()&0o111 == 0:
		return fmt.Sprintf("%s is not an executable file", prog)
	}
	return ""
}

var varRE = regexp.MustCompile(`\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}`)

// expand replaces ${NAME} and ${NAME:-default} in v with the value given
// by --set NAME=..., else the environment, else the default; $$ is a
// dollar sign. A reference to nothing is an error naming the variable.
func (p *parser) expand(n *yaml.Node, v, what string) (string, bool) {
	ok := true
	out := varRE.ReplaceAllStringFunc(v, func(ref string) string {
		if ref == "$$" {
			return "$"
		}
		m := varRE.FindStringSubmatch(ref)
		name := m[1]
		if x, set := p.vars[name]; set {
			return x
		}
		if x, set := os.LookupEnv(name); set {
			return x
		}
		if strings.Contains(ref, ":-") {
			return m[2]
		}
		p.errAt(n.Line, fmt.Sprintf("export %s=... or pass --set %s=...", name, name), "%s uses ${%s}, which is not set", what, name)
		ok = false
		return ref
	})
	return out, ok
}
