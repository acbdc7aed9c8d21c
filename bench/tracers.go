package bench

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

	"github.com/benchctl/benchctl/probes"
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
	Design probes.Mode // enter_exit, exit_only or "" (neither)
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

	// Missing says why the tracer's program cannot be run here ("" when
	// it was found). validate and run report it (exit 3).
	Missing string
	Line    int
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

// CounterRegexps compiles the counter regexes (checked at parse time).
func (t TracerSpec) CounterRegexps() []*regexp.Regexp {
	out := make([]*regexp.Regexp, len(t.Counters))
	for i, c := range t.Counters {
		out[i] = regexp.MustCompile(c)
	}
	return out
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

var tracerKeys = []string{"family", "design", "argv", "env", "shell", "sets", "ready", "stop", "counters"}

func (p *parser) tracers(n *yaml.Node, s *Scenario) {
	_, order, ok := p.fields(n, "tracers", nil)
	if !ok {
		return
	}
	if len(order) == 0 {
		p.errorf(n, "name a tracer and give its argv, or remove the section", "tracers is empty")
	}
	for _, f := range order {
		if !identRE.MatchString(f.key) {
			p.errorf(f.kn, "use letters, digits, '_', '.' and '-' (it goes into variant names)", "invalid tracer name %q", f.key)
			continue
		}
		t := TracerSpec{
			Name: f.key, Family: f.key, Line: f.kn.Line,
			SetArgs:      map[string][]string{},
			ReadyTimeout: workloads.DefaultReadyTimeout,
			StopSignal:   syscall.SIGINT,
			StopGrace:    workloads.DefaultStopGrace,
		}
		p.tracer(f, &t, s)
		s.Tracers = append(s.Tracers, t)
	}
}

func (p *parser) tracer(f field, t *TracerSpec, s *Scenario) {
	what := "tracer " + t.Name
	fs, _, ok := p.fields(f.v, what, tracerKeys)
	if !ok {
		return
	}
	if g, ok := fs["family"]; ok {
		if v, ok := p.str(g.v, what+" family"); ok {
			if identRE.MatchString(v) {
				t.Family = v
			} else {
				p.errorf(g.v, "use letters, digits, '_', '.' and '-'", "invalid family %q", v)
			}
		}
	}
	if g, ok := fs["design"]; ok {
		if v, ok := p.str(g.v, what+" design"); ok {
			switch m := probes.Mode(v); m {
			case probes.ModeEnterExit, probes.ModeExitOnly:
				t.Design = m
			case "other":
			default:
				p.errorf(g.v, suggestHint(v, []string{"enter_exit", "exit_only", "other"}), "unknown design %q", v)
			}
		}
	}
	if g, ok := fs["shell"]; ok {
		t.Shell, _ = p.boolean(g.v, what+" shell")
	}
	if g, ok := fs["argv"]; ok {
		args, nodes, ok := p.strList(g.v, what+" argv")
		if ok && len(args) == 0 {
			p.errorf(g.v, "give the program and its arguments, such as [bpftrace, -e, '...']", "%s argv is empty", what)
		}
		for i, a := range args {
			if x, ok := p.expand(nodes[i], a, what+" argv"); ok {
				t.Argv = append(t.Argv, x)
			}
		}
	} else {
		p.errorf(f.kn, "add `argv: [program, arg, ...]`", "%s has no argv", what)
	}
	if g, ok := fs["env"]; ok {
		_, env, ok := p.fields(g.v, what+" env", nil)
		if ok {
			for _, e := range env {
				if v, ok := p.str(e.v, what+" env "+e.key); ok {
					if x, ok := p.expand(e.v, v, what+" env "+e.key); ok {
						t.Env = append(t.Env, e.key+"="+x)
					}
				}
			}
		}
	}
	if g, ok := fs["sets"]; ok {
		_, sets, ok := p.fields(g.v, what+" sets", nil)
		if ok && len(sets) == 0 {
			p.errorf(g.v, "name the scenario's sets this tracer traces, each with the arguments that select it", "%s sets is empty", what)
		}
		for _, e := range sets {
			args := []string{}
			if !(e.v.Kind == yaml.ScalarNode && e.v.Tag == "!!null") {
				list, nodes, ok := p.strList(e.v, what+" set "+e.key)
				if !ok {
					continue
				}
				for i, a := range list {
					if x, ok := p.expand(nodes[i], a, what+" set "+e.key); ok {
						args = append(args, x)
					}
				}
			}
			t.SetArgs[e.key] = args
			t.SetOrder = append(t.SetOrder, e.key)
			s.lines["tracer-set:"+t.Name+"/"+e.key] = e.kn.Line
		}
	} else {
		p.errorf(f.kn, "add `sets:` mapping each syscall set to the arguments that make the tracer trace it", "%s has no sets", what)
	}
	if g, ok := fs["ready"]; ok {
		rf, _, ok := p.fields(g.v, what+" ready", []string{"output", "timeout"})
		if ok {
			if h, ok := rf["output"]; ok {
				if v, ok := p.str(h.v, what+" ready output"); ok {
					if _, err := regexp.Compile(v); err != nil {
						p.errorf(h.v, "write a Go regular expression (RE2 syntax)", "%s ready output: %v", what, err)
					} else {
						t.ReadyOutput = v
					}
				}
			}
			if h, ok := rf["timeout"]; ok {
				if d, ok := p.duration(h.v, what+" ready timeout"); ok {
					t.ReadyTimeout = d
				}
			}
		}
	}
	if g, ok := fs["stop"]; ok {
		sf, _, ok := p.fields(g.v, what+" stop", []string{"signal", "grace"})
		if ok {
			if h, ok := sf["signal"]; ok {
				if v, ok := p.str(h.v, what+" stop signal"); ok {
					name := strings.ToUpper(v)
					if !strings.HasPrefix(name, "SIG") {
						name = "SIG" + name
					}
					if sig := unix.SignalNum(name); sig != 0 {
						t.StopSignal = sig
					} else {
						var names []string
						for sig := syscall.Signal(1); unix.SignalName(sig) != ""; sig++ {
							names = append(names, unix.SignalName(sig))
						}
						p.errorf(h.v, suggestHint(name, names), "%s: unknown stop signal %q", what, v)
					}
				}
			}
			if h, ok := sf["grace"]; ok {
				if d, ok := p.duration(h.v, what+" stop grace"); ok {
					t.StopGrace = d
				}
			}
		}
	}
	if g, ok := fs["counters"]; ok {
		list, nodes, ok := p.strList(g.v, what+" counters")
		if ok {
			for i, c := range list {
				re, err := regexp.Compile(c)
				if err == nil {
					err = workloads.CheckCounterRegex(re)
				}
				if err != nil {
					p.errorf(nodes[i], "write a Go regular expression with named groups, such as 'n_drops: (?P<drops>\\d+)'", "%s counter: %v", what, err)
					continue
				}
				t.Counters = append(t.Counters, c)
			}
		}
	}
	if len(t.Argv) > 0 && !t.Shell {
		t.Missing = missingProgram(t.Argv[0])
	}
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
		p.errorf(n, fmt.Sprintf("export %s=... or pass --set %s=...", name, name), "%s uses ${%s}, which is not set", what, name)
		ok = false
		return ref
	})
	return out, ok
}

// checkTracers validates what tracers share with the rest: their sets
// must be the scenario's.
func (p *parser) checkTracers(s *Scenario, setNames []string) {
	for _, t := range s.Tracers {
		for _, set := range t.SetOrder {
			if !slices.Contains(setNames, set) {
				p.errAt(s.lines["tracer-set:"+t.Name+"/"+set], suggestHint(set, setNames), "tracer %s: no set named %q", t.Name, set)
			}
		}
	}
}
