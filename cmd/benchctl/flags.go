package main

import (
	"errors"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"

	"github.com/spf13/pflag"

	"github.com/benchctl/benchctl/bench/scenario"
	"github.com/benchctl/benchctl/probes"
)

// The flag sets that several commands share, each defined once here
// (the noise thresholds' are in noiseflags.go).

// scenarioFlags are the flags run and validate share; doctor takes
// --only and --set.
type scenarioFlags struct {
	repetitions int
	warmup      optionalInt
	only        stringList
	sets        stringList
}

func (f *scenarioFlags) register(fs *pflag.FlagSet) {
	fs.IntVar(&f.repetitions, "repetitions", 0, fmt.Sprintf("`N` measured rounds, at most %d (default: the scenario's repetitions)", scenario.MaxRepetitions))
	fs.Var(&f.warmup, "warmup", fmt.Sprintf("`N` warm-up rounds before the measured ones, at most %d (default: the scenario's warmup)", scenario.MaxWarmup))
	f.registerSelection(fs,
		"run only the variants matching `VARIANT` (a name or a pattern such as 'big/*'; repeat or separate with commas); the baselines stay",
		"give ${NAME} in the scenario the value VALUE, as `NAME=VALUE` (repeatable; the environment is used for names not set)")
}

// registerSelection adds --only and --set, with what they do for the
// command.
func (f *scenarioFlags) registerSelection(fs *pflag.FlagSet, only, set string) {
	fs.Var(&f.only, "only", only)
	fs.Var(&f.sets, "set", set)
}

// vars returns the --set values by name.
func (f *scenarioFlags) vars() (map[string]string, error) {
	out := map[string]string{}
	for _, kv := range f.sets {
		name, value, ok := strings.Cut(kv, "=")
		if !ok || name == "" {
			return nil, usageError("--set takes NAME=VALUE, got %q", kv)
		}
		out[name] = value
	}
	return out, nil
}

// load parses the scenario with the --set values and applies the overrides.
func (f *scenarioFlags) load(path string) (*scenario.Scenario, error) {
	vars, err := f.vars()
	if err != nil {
		return nil, err
	}
	sc, err := loadScenario(path, vars)
	if err != nil {
		return nil, err
	}
	if err := f.apply(sc); err != nil {
		return nil, err
	}
	return sc, nil
}

// apply sets the overrides on sc.
func (f *scenarioFlags) apply(sc *scenario.Scenario) error {
	if f.repetitions < 0 || f.repetitions > scenario.MaxRepetitions {
		return usageError("--repetitions must be from 1 to %d", scenario.MaxRepetitions)
	}
	if f.repetitions > 0 {
		sc.Repetitions = f.repetitions
		sc.Auto = nil // a fixed number of rounds
	}
	if f.warmup.set && (f.warmup.n < 0 || f.warmup.n > scenario.MaxWarmup) {
		return usageError("--warmup must be from 0 to %d", scenario.MaxWarmup)
	}
	if f.warmup.set {
		sc.Warmup = f.warmup.n
	}
	return nil
}

// loadScenario parses a scenario file; a bad one prints every problem as
// "file:line: message (hint: ...)" and exits 2.
func loadScenario(path string, vars map[string]string) (*scenario.Scenario, error) {
	sc, err := scenario.ParseWith(path, scenario.ParseOptions{Vars: vars})
	if err == nil {
		return sc, nil
	}
	var se *scenario.Error
	if errors.As(err, &se) {
		fmt.Fprintln(os.Stderr, err)
		return nil, usageError("%w", errSilent)
	}
	return nil, usageError("%v", err)
}

// optionalInt is an int flag that knows whether it was given. Its help
// says what it defaults to in words, and no "(default …)" follows it.
type optionalInt struct {
	n   int
	set bool
}

func (o *optionalInt) String() string {
	if o == nil || !o.set {
		return ""
	}
	return strconv.Itoa(o.n)
}

func (o *optionalInt) Set(v string) error {
	n, err := strconv.Atoi(v)
	if err != nil {
		return errors.New("not a whole number")
	}
	o.n, o.set = n, true
	return nil
}

func (o *optionalInt) Type() string { return "int" }

// stringList is a repeatable string flag; a value's commas are its own.
type stringList []string

func (s *stringList) String() string { return strings.Join(*s, ",") }
func (s *stringList) Set(v string) error {
	*s = append(*s, v)
	return nil
}
func (s *stringList) Type() string { return "strings" }

// outputFlags are the flags report and compare share: the output format
// and file, and the significance level.
type outputFlags struct {
	what    string // "report" or "comparison"
	formats []string
	format  string
	out     string
	alpha   float64
	noise   noiseFlags
}

// register adds the flags; what is the output ("report",
// "comparison"), formats its formats (the first the default), alpha what
// the significance level is of.
func (o *outputFlags) register(fs *pflag.FlagSet, what string, formats []string, def string, alpha string, alphaDefault float64) {
	o.what, o.formats = what, formats
	fs.StringVar(&o.format, "format", def, "output `format`: "+strings.Join(formats, ", "))
	fs.StringVarP(&o.out, "output", "o", "", "write the "+what+" to `FILE` instead of standard output")
	fs.Float64Var(&o.alpha, "alpha", alphaDefault, "significance level of "+alpha)
	o.noise.register(fs)
}

// check refuses an unknown format and an alpha outside (0, 1).
func (o *outputFlags) check() error {
	if !slices.Contains(o.formats, o.format) {
		return usageError("unknown %s format %q (valid: %s)", o.what, o.format, strings.Join(o.formats, ", "))
	}
	if !(o.alpha > 0 && o.alpha < 1) {
		return usageError("--alpha %v must be between 0 and 1", o.alpha)
	}
	return nil
}

// probeFlags are the flags trace and verify share: what the probes
// trace and how.
type probeFlags struct {
	syscalls, toctou, format string
	ringSize, snaplen        int
}

// probeHelp is what differs between trace's and verify's probe flags.
type probeHelp struct {
	syscalls, toctou, toctouDefault, formats string
}

func (p *probeFlags) register(fs *pflag.FlagSet, h probeHelp) {
	fs.StringVar(&p.syscalls, "syscalls", "", h.syscalls)
	fs.StringVar(&p.toctou, "toctou", h.toctouDefault, h.toctou)
	fs.StringVar(&p.format, "format", "text", "output format: "+h.formats)
	fs.IntVar(&p.ringSize, "ring-size", probes.DefaultRingSize, "ring buffer bytes per CPU (power of two)")
	fs.IntVar(&p.snaplen, "snaplen", probes.DefaultSnaplen, "bytes of data buffers captured")
}
