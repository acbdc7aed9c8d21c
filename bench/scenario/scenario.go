package scenario

import (
	"cmp"
	"crypto/sha256"
	"fmt"
	"maps"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/benchctl/benchctl/bench/results"
	"github.com/benchctl/benchctl/internal/shell"
	"github.com/benchctl/benchctl/probes/syscalls"
	"github.com/benchctl/benchctl/record"
	"github.com/benchctl/benchctl/workloads"
)

// Scenario defaults.
const (
	// DefaultRepetitions is the smallest number of measured runs that
	// gives a median a 95% confidence interval.
	DefaultRepetitions = 6
	DefaultWarmup      = 1
	// DefaultRedisRequests is redis-benchmark's own -n default.
	DefaultRedisRequests = 100000
)

// Scenario is a parsed and validated scenario file. Build one with
// Parse; Expand turns it into the variants a run measures.
type Scenario struct {
	Name        string
	Description string
	File        string // the path it was read from
	SHA256      string // of the file's bytes

	Workload WorkloadSpec

	// Sets are the named syscall sets, in file order.
	Sets []SyscallSet
	// Modes are crossed with every set (stats as Stats says); TOCTOU
	// options are crossed with exit_only only.
	Modes  []record.Mode
	TOCTOU []record.TOCTOU
	// NoStatsSets are crossed with Modes and TOCTOU once more, with
	// program stats off.
	NoStatsSets []string
	// Steps are the cost-anatomy steps crossed with Modes and the sets
	// (nil: the full modes only; "" is the full step).
	Steps []string
	// Stats is the program stats state of the matrix variants (default on).
	Stats bool
	// Floor adds the floor variant (default on).
	Floor bool
	// Extra are the explicit variants, in file order.
	Extra []VariantSpec
	// Tracers are the external tracers, in file order.
	Tracers []TracerSpec

	// Repetitions is the number of measured rounds; with Auto set, the
	// most that will be made (Auto.Max).
	Repetitions int
	// Auto, when set, stops adding rounds once the gated metrics'
	// intervals are narrow enough (`repetitions: auto`).
	Auto     *results.AutoRepetitions
	Warmup   int
	RingSize int // bytes per CPU
	Snaplen  int
	// Gate holds the thresholds (percent) compare applies: metric -> percent.
	Gate map[string]float64
	// Capacity, when set, makes `run` search each variant's capacity
	// instead of measuring rounds (capacity.go).
	Capacity *CapacitySpec
	// Consumer is the per-event work of benchctl's consumer for every
	// variant of its probes; nil when it only counts.
	Consumer *results.ConsumerCost
	// Noise holds the noise thresholds of the `noise` key; nil for the
	// defaults.
	Noise *results.NoiseThresholds

	// lines remembers where things were declared, for error messages.
	lines map[string]int
}

// SyscallSet is one named set of syscalls.
type SyscallSet struct {
	Name     string
	Syscalls []string
	Line     int
}

// VariantSpec is one explicit variant of a scenario's `variants` list.
type VariantSpec struct {
	Name     string // "" = derived from set, mode, toctou and stats
	Set      string // a set name, or "" with Syscalls
	Syscalls []string
	Mode     record.Mode
	TOCTOU   record.TOCTOU // "" unless given
	Stats    bool
	RingSize int    // 0 = the scenario's
	Snaplen  int    // 0 = the scenario's
	Step     string // a cost-anatomy step ("" full; see StepNames)
	Reserve  bool   // probes.Config.Reserve
	// Consumer overrides the scenario's consumer cost (capacity.go).
	Consumer *results.ConsumerCost
	Line     int
}

// WorkloadSpec is the scenario's workload section, mapped onto the
// configuration of one of the workloads package's workloads.
type WorkloadSpec struct {
	Type     string // "redis", "syscalls" or "command"
	Redis    workloads.RedisConfig
	Syscalls workloads.SyscallsConfig
	Command  workloads.CommandConfig
	// Estimate is the scenario's own estimate of one measured run, used
	// by `validate` and the progress ETA; 0 = computed from the config.
	Estimate time.Duration
	Line     int
}

// WorkloadTypes are the valid workload types.
var WorkloadTypes = []string{"redis", "syscalls", "command"}

// RedisTests are the redis-benchmark -t test names a scenario may use.
var RedisTests = []string{
	"ping", "ping_inline", "ping_mbulk", "set", "get", "incr", "lpush", "rpush",
	"lpop", "rpop", "sadd", "hset", "spop", "zadd", "zpopmin", "lrange",
	"lrange_100", "lrange_300", "lrange_500", "lrange_600", "mset", "xadd",
}

// ProposalRedisTests are the eleven tests of the proposal's benchmark.
var ProposalRedisTests = []string{
	"ping_inline", "ping_mbulk", "set", "get", "incr", "lpush", "rpush",
	"lpop", "rpop", "sadd", "hset",
}

// New builds the workload the spec describes.
func (w WorkloadSpec) New() (workloads.Workload, error) {
	switch w.Type {
	case "redis":
		return workloads.NewRedis(w.Redis)
	case "syscalls":
		return workloads.NewSyscalls(w.Syscalls)
	case "command":
		return workloads.NewCommand(w.Command)
	}
	return nil, fmt.Errorf("unknown workload type %q", w.Type)
}

// Describe is a one-line description of the workload, e.g.
// "redis: -t ping_inline,set -n 100000".
func (w WorkloadSpec) Describe() string {
	if wl, err := w.New(); err == nil {
		if d, ok := wl.(interface{ Describe() string }); ok {
			return d.Describe()
		}
	}
	var b strings.Builder
	b.WriteString(w.Type + ":")
	switch w.Type {
	case "redis":
		tests := w.Redis.Tests
		if len(tests) == 0 {
			tests = ProposalRedisTests
		}
		if w.Redis.Transport != workloads.RedisTCP {
			b.WriteString(" -s SOCKET")
		}
		fmt.Fprintf(&b, " -t %s -n %d", strings.Join(tests, ","), w.Redis.Requests)
		for _, f := range []struct {
			flag string
			v    int
		}{{"-c", w.Redis.Clients}, {"-P", w.Redis.Pipeline}, {"-d", w.Redis.DataSize}, {"-r", w.Redis.Keyspace}, {"--threads", w.Redis.Threads}} {
			if f.v != 0 {
				fmt.Fprintf(&b, " %s %d", f.flag, f.v)
			}
		}
	case "syscalls":
		fmt.Fprintf(&b, " mix %s, %d thread(s)", w.Syscalls.Mix, max(w.Syscalls.Threads, 1))
		if w.Syscalls.Count > 0 {
			fmt.Fprintf(&b, ", %d ops each", w.Syscalls.Count)
		} else {
			fmt.Fprintf(&b, ", %s", w.Syscalls.Duration)
		}
	case "command":
		if w.Command.Shell {
			b.WriteString(" sh -c")
		}
		for i, a := range w.Command.Argv {
			if i == 1 && w.Command.Shell {
				b.WriteString(" sh") // $0
			}
			b.WriteString(" " + shell.Quote(a))
		}
	}
	return b.String()
}

// The most measured rounds (repetitions, or auto's max) and warm-up
// rounds a scenario or the command line may ask for.
const (
	MaxRepetitions = 1000
	MaxWarmup      = 100
)

// Figures used to estimate how long a run takes when the scenario gives
// no estimate. They describe the 2-core reference machine (anchors.md).
const (
	estRedisRPS       = 87000                  // redis-benchmark requests/s, no probes (measured here 2026-11-26)
	estProbeSlowdown  = 0.82                   // average throughput of a variant vs baseline
	estRunOverhead    = 300 * time.Millisecond // load, attach, drain, detach
	estRedisPrepare   = 200 * time.Millisecond // start redis-server
	estSyscallsOpsSec = 1_000_000              // built-in generator operations/s/thread
)

// EstimateRun estimates one measured run of the workload (without the
// per-run overhead of loading probes); ok is false when it cannot tell.
func (w WorkloadSpec) EstimateRun() (d time.Duration, ok bool) {
	if w.Estimate > 0 {
		return w.Estimate, true
	}
	switch w.Type {
	case "redis":
		tests := len(w.Redis.Tests)
		if tests == 0 {
			tests = len(ProposalRedisTests)
		}
		req := float64(tests) * float64(w.Redis.Requests)
		return addSat(seconds(req/(estRedisRPS*estProbeSlowdown)), estRedisPrepare), true
	case "syscalls":
		if w.Syscalls.Count > 0 {
			return seconds(float64(w.Syscalls.Count) / estSyscallsOpsSec), true
		}
		return w.Syscalls.Duration, true
	}
	return 0, false
}

// Estimate is the expected wall time of running variants for reps
// measured and warmup warm-up rounds, plus the fingerprint run; ok is
// false when the workload's duration is unknown.
func (s *Scenario) Estimate(variants, reps, warmup int) (total, perRun time.Duration, ok bool) {
	d, ok := s.Workload.EstimateRun()
	if !ok {
		return 0, 0, false
	}
	perRun = addSat(d, estRunOverhead)
	if runs := float64(variants)*(float64(reps)+float64(warmup)) + 1; runs*float64(perRun) < float64(maxDuration) {
		return time.Duration(runs) * perRun, perRun, true
	}
	return maxDuration, perRun, true
}

// Estimates saturate at maxDuration (292 years) rather than wrap to a
// negative duration.
const maxDuration = time.Duration(math.MaxInt64)

// seconds is s seconds, at most maxDuration.
func seconds(s float64) time.Duration {
	if ns := s * float64(time.Second); ns < float64(maxDuration) {
		return time.Duration(ns)
	}
	return maxDuration
}

// addSat is a + b for non-negative durations, at most maxDuration.
func addSat(a, b time.Duration) time.Duration {
	if a > maxDuration-b {
		return maxDuration
	}
	return a + b
}

// Error is one problem in a scenario file, with where it is.
type Error struct {
	File string
	Line int
	Msg  string
	Hint string
}

func (e *Error) Error() string {
	s := e.File
	if e.Line > 0 {
		s += ":" + strconv.Itoa(e.Line)
	}
	s += ": " + e.Msg
	if e.Hint != "" {
		s += " (hint: " + e.Hint + ")"
	}
	return s
}

// Errors are all the problems found in one scenario file, in
// file order. errors.As finds each *Error inside.
type Errors []*Error

func (es Errors) Error() string {
	lines := make([]string, len(es))
	for i, e := range es {
		lines[i] = e.Error()
	}
	return strings.Join(lines, "\n")
}

// Unwrap exposes every error to errors.Is and errors.As.
func (es Errors) Unwrap() []error {
	out := make([]error, len(es))
	for i, e := range es {
		out[i] = e
	}
	return out
}

// Parse reads, parses and validates the scenario file at path.
// A bad file returns Errors; an unreadable one a plain error.
func Parse(path string) (*Scenario, error) {
	return ParseWith(path, ParseOptions{})
}

// ParseOptions are what a scenario may take from the command line.
type ParseOptions struct {
	// Vars are the values of ${NAME} references (--set NAME=VALUE); the
	// environment is looked up for names not given here.
	Vars map[string]string
}

// ParseWith is Parse with options.
func ParseWith(path string, opts ParseOptions) (*Scenario, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading scenario: %w", err)
	}
	return parseScenario(path, data, opts)
}

// ParseBytes parses and validates a scenario held in data; file
// names it in messages.
func ParseBytes(file string, data []byte) (*Scenario, error) {
	return parseScenario(file, data, ParseOptions{})
}

func parseScenario(file string, data []byte, opts ParseOptions) (*Scenario, error) {
	p := &parser{file: file, vars: opts.Vars}
	s := &Scenario{
		Name:        strings.TrimSuffix(filepath.Base(file), filepath.Ext(file)),
		File:        file,
		SHA256:      fmt.Sprintf("%x", sha256.Sum256(data)),
		Stats:       true,
		Floor:       true,
		Repetitions: DefaultRepetitions,
		Warmup:      DefaultWarmup,
		RingSize:    record.DefaultRingSize,
		Snaplen:     record.DefaultSnaplen,
		TOCTOU:      []record.TOCTOU{record.TOCTOUNone},
		Gate:        maps.Clone(results.DefaultGate),
		lines:       map[string]int{},
	}
	if root := p.document(data); root != nil {
		p.scenario(field{k: root, v: root, what: "scenario"}, s)
	}
	if len(p.errs) == 0 {
		p.check(s)
	}
	if len(p.errs) > 0 {
		slices.SortStableFunc(p.errs, func(a, b *Error) int { return a.Line - b.Line })
		return nil, p.errs
	}
	return s, nil
}

var (
	identRE       = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.-]*$`)
	variantNameRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.+:/-]*$`)
)

const identHint = "use letters, digits, '_', '.' and '-'"

// scenario reads the file's keys in the order of their checks.
func (p *parser) scenario(root field, s *Scenario) {
	p.section(root,
		// The lines of the keys, for the checks across sections.
		key{dst: func(m map[string]field) {
			for k, f := range m {
				s.lines[k] = f.v.Line
			}
		}},
		key{name: "name", dst: &s.Name, check: p.named(identRE, identHint+" (it goes into file names)", "invalid scenario name %q")},
		key{name: "description", dst: &s.Description},
		key{name: "workload", dst: func(f field) { p.workload(f, &s.Workload) }, need: "add a workload section with a type: redis, syscalls or command"},
		key{name: "repetitions", dst: func(f field) { p.repetitions(f, s) }},
		key{name: "warmup", dst: &s.Warmup, lo: 0, hi: MaxWarmup},
		key{name: "stats", dst: &s.Stats},
		key{name: "floor", dst: &s.Floor},
		key{name: "ring_size", dst: func(f field) { p.ringSize(&s.RingSize, f) }},
		key{name: "snaplen", dst: &s.Snaplen, lo: 1, hi: record.MaxSnaplen},
		key{name: "capacity", dst: func(f field) { p.capacity(f, s) }},
		key{name: "consumer", dst: func(f field) { s.Consumer = p.consumer(f) }},
		key{name: "sets", dst: func(f field) {
			valid := p.named(identRE, identHint, "invalid set name %q")
			for _, g := range p.mapping(f, "name a set and list its syscalls, such as `small: [sendto, recvfrom]`") {
				g.what = "set " + g.key
				if !valid(g.k, g.key) {
					continue
				}
				names, nodes, ok := p.strList(g, "")
				if ok && !p.errIf(len(names) == 0, g.v.Line, "list at least one syscall, or remove the set", "set %q is empty", g.key) {
					s.Sets = append(s.Sets, SyscallSet{Name: g.key, Line: g.k.Line, Syscalls: p.syscallList(names, nodes, g.what)})
				}
			}
		}},
		key{name: "modes", dst: func(f field) {
			s.Modes = list[record.Mode](p, f, "mode", "list enter_exit and/or exit_only, or remove the key", func(n *yaml.Node, mode string) bool {
				return !p.errIf(mode == "none", n.Line, "the baseline (mode none) is always included; remove it from modes", "mode none cannot be crossed with sets") &&
					!p.errIf(mode == "floor", n.Line, "the floor variant is added unless `floor: false`; remove it from modes", "mode floor cannot be crossed with sets") &&
					p.oneOf(n, "mode", mode, []string{"enter_exit", "exit_only"})
			})
		}},
		key{name: "toctou", dst: func(f field) {
			s.TOCTOU = list[record.TOCTOU](p, f, "toctou option", "list none, stash and/or enter_event, or remove the key (default: none)", p.in("toctou option", toctouNames()))
		}},
		key{name: "steps", dst: func(f field) {
			for _, step := range list[string](p, f, "step", "list steps such as [floor, dispatch, tailcall, header, full, decode], or remove the key", p.in("step", StepNames)) {
				s.Steps = append(s.Steps, stepOf(step))
			}
		}},
		key{name: "nostats_sets", dst: func(f field) {
			names, nodes, _ := p.strList(f, "")
			s.NoStatsSets = p.enums(names, nodes, "nostats_sets: set", func(n *yaml.Node, set string) bool {
				s.lines["nostats:"+set] = n.Line
				return true
			})
			s.lines["nostats_sets"] = f.k.Line
		}},
		key{name: "variants", dst: func(f field) {
			if !p.errIf(f.v.Kind != yaml.SequenceNode, f.v.Line, "write one `- mode: ...` item per variant", "variants must be a list, not %s", kindName(f.v)) {
				for _, it := range f.v.Content {
					p.variant(deref(it), s)
				}
			}
		}},
		key{name: "tracers", dst: func(f field) { p.tracers(f, s) }},
		key{name: "gate", dst: func(f field) { p.gate(f, s) }},
		key{name: "noise", dst: func(f field) {
			const hint, msg = "a noise threshold is a percentage from 0 to 100, such as 5", "impossible noise threshold %[2]s for %[1]s"
			notPct := func(v float64) bool { return v < 0 || v > 100 }
			s.Noise = new(results.DefaultNoise)
			p.section(f, key{name: "steal_pct", dst: &s.Noise.StealPct, bad: notPct, hint: hint, msg: msg},
				key{name: "outside_pct", dst: &s.Noise.OutsidePct, bad: notPct, hint: hint, msg: msg})
		}},
	)
}

// repetitions reads a number of rounds, `auto`, or an auto mapping
// {min, max, half_width}.
func (p *parser) repetitions(f field, s *Scenario) {
	a := results.AutoRepetitions{Min: results.DefaultAutoMin, Max: results.DefaultAutoMax}
	switch n := f.v; {
	case n.Kind == yaml.ScalarNode && n.Value == "auto":
	case n.Kind == yaml.MappingNode:
		p.section(f, key{name: "min", dst: &a.Min, lo: 1, hi: MaxRepetitions}, key{name: "max", dst: &a.Max, lo: 1, hi: MaxRepetitions},
			key{name: "half_width", dst: &a.HalfWidth, bad: func(v float64) bool { return v <= 0 }, hint: "a percent of the median (points for overhead and drop_ratio), such as 2.5", msg: "%[1]s must be above 0"})
		p.errIf(a.Max < a.Min, n.Line, "make max at least min", "repetitions max %d is below min %d", a.Max, a.Min)
	case n.Kind == yaml.ScalarNode && n.Tag != "!!int":
		p.errAt(n.Line, "write a number of rounds, `auto`, or {min: 6, max: 20, half_width: 2.5}", "repetitions must be a whole number or auto, not %q", n.Value)
	default:
		integer(p, &s.Repetitions, f, 1, MaxRepetitions)
		return
	}
	s.Auto, s.Repetitions = &a, a.Max
}

var sizeRE = regexp.MustCompile(`^(\d+)\s*([KMG]i?B?|B)?$`)

// ringSize reads a ring buffer's bytes: a number, or a number with a K,
// M or G suffix (powers of 1024; KiB, MiB, GiB and KB, MB, GB all mean
// the same), a power of two from a page to 1GiB.
func (p *parser) ringSize(dst *int, f field) {
	const hint = "write bytes as a number or with a suffix, such as 8MiB or 65536"
	f.what = "ring_size"
	m := sizeRE.FindStringSubmatch(strings.ReplaceAll(f.v.Value, "_", ""))
	if !p.scalar(f, hint) || p.errIf(m == nil, f.v.Line, hint, "ring_size must be a size in bytes, not %q", f.v.Value) {
		return
	}
	v, err := strconv.ParseInt(m[1], 10, 64)
	shift := 0
	if m[2] != "" {
		shift = 10 * (strings.IndexByte("KMG", m[2][0]) + 1) // "B": 0
	}
	switch page := int64(os.Getpagesize()); {
	case err != nil || v > math.MaxInt64>>shift:
		// Shifted, it would wrap (17179869185G is 2^64 + 1GiB).
		p.errAt(f.v.Line, hint, "ring_size %s is too large", f.v.Value)
	case v<<shift < page || v<<shift > record.MaxRingSize || v&(v-1) != 0:
		p.errAt(f.v.Line, fmt.Sprintf("a ring buffer is a power of two from %d bytes (the page size) to 1GiB, such as 8MiB", page), "impossible ring_size %s", f.v.Value)
	default:
		*dst = int(v << shift)
	}
}

// workload reads the workload section: its type, then the keys of that
// type; a key of another type is an error.
func (p *parser) workload(f field, w *WorkloadSpec) {
	w.Line = f.k.Line
	cmd := &w.Command
	byType := map[string][]key{
		"redis": {
			{name: "tests", dst: func(f field) {
				tests, nodes, _ := p.strList(f, "")
				p.errIf(len(tests) == 0 && f.v.Kind == yaml.SequenceNode, f.v.Line, "list redis-benchmark tests, or remove the key for the proposal's eleven", "workload tests is empty")
				w.Redis.Tests = p.enums(tests, nodes, "redis-benchmark test", p.in("redis-benchmark test", RedisTests))
			}},
			{name: "requests", dst: &w.Redis.Requests, lo: 1, hi: 1_000_000_000},
			{name: "clients", dst: &w.Redis.Clients, lo: 1, hi: 10000},
			{name: "pipeline", dst: &w.Redis.Pipeline, lo: 1, hi: 10000},
			{name: "data_size", dst: &w.Redis.DataSize, lo: 1, hi: 1 << 26},
			{name: "keyspace", dst: &w.Redis.Keyspace, lo: 1, hi: 1 << 40},
			{name: "threads", dst: &w.Redis.Threads, lo: 1, hi: 1024},
			// unix (the default): a unix socket in the server's private
			// directory; tcp: 127.0.0.1 with a password, as the proposal
			// measured (docs/scenarios.md#the-redis-workloads-transport).
			{name: "transport", dst: &w.Redis.Transport, check: p.in("redis transport", workloads.RedisTransports())},
			{name: "server", dst: &w.Redis.ServerBin},
			{name: "benchmark", dst: &w.Redis.BenchBin},
		},
		"syscalls": {
			{name: "mix", need: "add `mix:`, one of " + strings.Join(workloads.Mixes(), ", "), dst: &w.Syscalls.Mix, check: p.in("syscalls mix", workloads.Mixes())},
			{name: "threads", dst: &w.Syscalls.Threads, lo: 1, hi: 4096},
			{name: "count"}, {name: "duration"},
			{dst: func(m map[string]field) {
				switch count, dur := m["count"], m["duration"]; {
				case count.set() && dur.set():
					p.errAt(dur.k.Line, "keep one of them", "syscalls workload takes count or duration, not both")
				case count.set():
					integer(p, &w.Syscalls.Count, count, 1, 1<<50)
				case dur.set():
					p.duration(&w.Syscalls.Duration, dur)
				default:
					p.errAt(f.k.Line, "add `duration: 5s` or `count: 1000000` (operations per thread)", "syscalls workload has neither count nor duration")
				}
			}},
			{name: "rate", dst: func(f field) {
				if p.numberIn(rate("rate", &w.Syscalls.Rate), f) {
					p.checkRate(f.v.Line, f.what, w.Syscalls.Rate, w.Syscalls.Mix, w.Syscalls.Threads)
				}
			}},
		},
		"command": {
			// With shell: true, argv[0] is the script and the other items its
			// arguments ("$@"), as for a shell tracer.
			{name: "argv", need: "add `argv: [program, arg, ...]`", dst: func(f field) {
				cmd.Argv, _, _ = p.strList(f, "give the program and its arguments, such as [stress-ng, --cpu, '1']")
			}},
			{name: "shell", dst: &cmd.Shell},
			{name: "dir", dst: &cmd.Dir},
			{name: "env", dst: func(f field) {
				env, nodes, _ := p.strList(f, "")
				for i, e := range env {
					if k, _, found := strings.Cut(e, "="); !p.errIf(!found || k == "", nodes[i].Line, "write NAME=value", "workload env item %q has no NAME=", e) {
						cmd.Env = append(cmd.Env, e)
					}
				}
			}},
			{name: "throughput_regex", dst: &cmd.ThroughputRegex, check: func(n *yaml.Node, v string) bool {
				re, ok := p.regex(n, v, "Go regexp syntax (RE2)", "invalid throughput_regex")
				return ok && !p.errIf(re.SubexpIndex("value") < 0, n.Line, `name the number's group "value", such as (?P<value>[0-9.]+) ops/s`, "throughput_regex has no group named value")
			}},
			{name: "unit", dst: &cmd.Unit},
			{dst: func(m map[string]field) {
				if unit := m["unit"]; unit.set() && !m["throughput_regex"].set() {
					p.errAt(unit.k.Line, "add throughput_regex to read a throughput from the command's output", "unit without throughput_regex")
				} else if !unit.set() && cmd.ThroughputRegex != "" {
					cmd.Unit = "ops/s"
				}
			}},
		},
	}
	fs, ok := p.entries(f, slices.Concat([]string{"type", "estimate"}, keyNames(byType["redis"]), keyNames(byType["syscalls"]), keyNames(byType["command"])))
	if !ok {
		return
	}
	p.read(f, fs, key{name: "type", need: "add `type: redis`, `type: syscalls` or `type: command`", dst: &w.Type, check: p.in("workload type", WorkloadTypes)})
	typ := w.Type
	if typ == "" {
		return
	}
	keys := keyNames(byType[typ])
	for _, g := range fs {
		for _, other := range WorkloadTypes {
			p.errIf(!slices.Contains(keys, g.key) && slices.Contains(keyNames(byType[other]), g.key), g.k.Line,
				fmt.Sprintf("%s workloads take: %s", typ, strings.Join(keys, ", ")), "workload key %q belongs to the %s workload, not %s", g.key, other, typ)
		}
	}
	if typ == "redis" {
		w.Redis.Requests = DefaultRedisRequests
	}
	p.read(field{k: f.k, what: typ + " workload"}, fs, append([]key{{name: "estimate", dst: &w.Estimate}}, byType[typ]...)...)
}

// syscallList checks every name is a syscall of this architecture.
func (p *parser) syscallList(names []string, nodes []*yaml.Node, what string) (out []string) {
	seen := map[string]int{}
	for i, name := range names {
		if first, dup := seen[name]; p.errIf(dup, nodes[i].Line, fmt.Sprintf("it is already on line %d; remove one", first), "%s: syscall %q listed twice", what, name) {
			continue
		}
		seen[name] = nodes[i].Line
		if _, err := syscalls.Lookup(name); err != nil {
			hint := "syscall names are the kernel's, without a sys_ prefix, such as openat or sendto"
			if near := syscalls.Native().Nearest(name, 3); len(near) > 0 {
				hint = "did you mean " + strings.Join(near, ", ") + "?"
			}
			p.errAt(nodes[i].Line, hint, "%s: unknown syscall %q on %s", what, name, syscalls.Native().Arch)
			continue
		}
		out = append(out, name)
	}
	return out
}

// StepNames are the cost-anatomy steps a scenario's `steps` may list, in
// ladder order: the probe steps (see probes.Step), "full" (the mode
// itself) and "decode" (the full mode with a consumer that decodes every
// event instead of counting it).
var StepNames = []string{"floor", "dispatch", "tailcall", "stamp", "header", "full", "decode", "exit_side"}

// stepOf returns the step stored in Variant.Step for a step name.
func stepOf(name string) string {
	if name == "full" {
		return ""
	}
	return name
}

func toctouNames() (names []string) {
	for _, t := range record.TOCTOUOptions {
		names = append(names, string(t))
	}
	return names
}

// variant reads one item of the variants list.
func (p *parser) variant(it *yaml.Node, s *Scenario) {
	v := VariantSpec{Line: it.Line, Stats: s.Stats}
	probeMode := func() bool { return v.Mode == record.ModeEnterExit || v.Mode == record.ModeExitOnly }
	p.section(field{k: it, v: it, what: "variant"},
		key{name: "name", dst: &v.Name, check: p.named(variantNameRE, "use letters, digits and _ . + : / -", "invalid variant name %q")},
		key{name: "mode", need: "add `mode: enter_exit`, `mode: exit_only` or `mode: floor`", dst: func(f field) {
			switch name, ok := p.str(f); {
			case !ok:
			case name == string(record.ModeNone):
				p.errAt(f.v.Line, "the baseline is always included; remove this variant", "a variant cannot have mode none")
			case p.oneOf(f.v, "mode", name, []string{"floor", "enter_exit", "exit_only"}):
				v.Mode = record.Mode(name)
			}
		}},
		key{name: "toctou", dst: func(f field) {
			switch name, ok := p.str(f); {
			case !ok, !p.oneOf(f.v, "toctou option", name, toctouNames()):
			case v.Mode != "" && v.Mode != record.ModeExitOnly:
				p.errAt(f.k.Line, "toctou applies to mode exit_only only; remove it", "toctou %q with mode %s", name, v.Mode)
			default:
				v.TOCTOU = record.TOCTOU(name)
			}
		}},
		key{name: "set"}, key{name: "syscalls"},
		key{dst: func(m map[string]field) {
			switch set, list := m["set"], m["syscalls"]; {
			case v.Mode == record.ModeFloor && (set.set() || list.set()):
				p.errAt(cmp.Or(set.k, list.k).Line, "floor attaches empty programs and traces nothing; remove set/syscalls", "a floor variant takes no syscalls")
			case set.set() && list.set():
				p.errAt(list.k.Line, "name a set or list syscalls, not both", "variant has both set and syscalls")
			case set.set():
				if name, ok := p.str(set); ok {
					v.Set = name
					s.lines["variant-set:"+strconv.Itoa(v.Line)] = set.v.Line
				}
			case list.set():
				names, nodes, _ := p.strList(list, "list at least one syscall")
				v.Syscalls = p.syscallList(names, nodes, "variant")
				p.errIf(v.Name == "", list.k.Line, "add `name:`; names are derived only from a set", "a variant with its own syscalls needs a name")
			case v.Mode != "" && v.Mode != record.ModeFloor:
				p.errAt(it.Line, "add `set: NAME` or `syscalls: [a, b]`", "variant has no syscalls")
			}
		}},
		key{name: "stats", dst: &v.Stats},
		key{name: "step", dst: func(f field) {
			switch name, ok := p.str(f); {
			case !ok, !p.oneOf(f.v, "step", name, StepNames):
			case !probeMode():
				p.errAt(f.k.Line, "steps apply to modes enter_exit and exit_only", "step %q with mode %s", name, v.Mode)
			case name == string(record.StepExitSide) && v.Mode != record.ModeEnterExit:
				p.errAt(f.k.Line, "exit_side is enter_exit's exit side alone", "step exit_side with mode %s", v.Mode)
			case !results.StepRunsFillers(stepOf(name)) && v.TOCTOU != "" && v.TOCTOU != record.TOCTOUNone:
				p.errAt(f.k.Line, "the TOCTOU options change only the fillers; use toctou none", "step %q with toctou %s", name, v.TOCTOU)
			default:
				v.Step = stepOf(name)
			}
		}},
		key{name: "reserve", dst: func(f field) {
			p.errIf(p.boolean(&v.Reserve, f) && v.Reserve && !probeMode(), f.k.Line, "reserve changes how enter_exit and exit_only send their events", "reserve with mode %s", v.Mode)
		}},
		key{name: "ring_size", dst: func(f field) { p.ringSize(&v.RingSize, f) }},
		key{name: "snaplen", dst: &v.Snaplen, lo: 1, hi: record.MaxSnaplen},
		key{name: "consumer", dst: func(f field) { v.Consumer = p.consumer(f) }},
	)
	if v.Mode == record.ModeExitOnly && v.TOCTOU == "" {
		v.TOCTOU = record.TOCTOUNone
	}
	s.Extra = append(s.Extra, v)
}

func (p *parser) gate(f field, s *Scenario) {
	fs, _ := p.entries(f, nil)
	s.Gate = map[string]float64{}
	for _, g := range fs {
		if !p.oneOf(g.k, "gate metric", g.key, results.GateMetricNames()) {
			continue
		}
		switch v, ok := p.number(g); {
		case !ok:
		case v <= 0 || v > 1000:
			p.errAt(g.v.Line, "a threshold is a percent change above 0, such as 5", "impossible gate threshold %s for %s", g.v.Value, g.key)
		case strings.HasPrefix(g.key, "latency_") && s.Workload.Type != "" && s.Workload.Type != "redis":
			// Only redis-benchmark reports latency: the gate would gate nothing.
			p.errAt(g.k.Line, "latency gates need the redis workload", "gate %s: the %s workload reports no latency", g.key, s.Workload.Type)
		default:
			s.Gate[g.key] = v
		}
	}
}

// check validates what involves more than one section, once every
// section parsed cleanly.
func (p *parser) check(s *Scenario) {
	var setNames []string
	for _, set := range s.Sets {
		setNames = append(setNames, set.Name)
	}
	used := map[string]bool{} // by a tracer or a variant
	p.errIf(len(s.Modes) == 0 && len(s.Tracers) == 0 && len(s.NoStatsSets) > 0, s.lines["nostats_sets"], "add modes to cross the sets with", "nostats_sets without modes")
	for _, t := range s.Tracers {
		for _, set := range t.SetOrder {
			p.errIf(!slices.Contains(setNames, set), s.lines["tracer-set:"+t.Name+"/"+set], suggestHint(set, setNames), "tracer %s: no set named %q", t.Name, set)
			used[set] = true
		}
	}
	for _, n := range s.NoStatsSets {
		p.errIf(!slices.Contains(setNames, n), s.lines["nostats:"+n], suggestHint(n, setNames), "nostats_sets: no set named %q", n)
	}
	for _, v := range s.Extra {
		if v.Set != "" {
			p.errIf(!slices.Contains(setNames, v.Set), s.lines["variant-set:"+strconv.Itoa(v.Line)], suggestHint(v.Set, setNames), "variant: no set named %q", v.Set)
			used[v.Set] = true
		}
	}
	p.errIf(s.Steps != nil && len(s.Modes) == 0, s.lines["steps"], "steps are crossed with the modes and the sets; add `modes: [enter_exit, exit_only]`", "steps without modes")
	_, toctou := s.lines["toctou"]
	p.errIf(toctou && !slices.Contains(s.Modes, record.ModeExitOnly), s.lines["toctou"], "toctou options are crossed with mode exit_only; add it to modes or remove toctou", "toctou without mode exit_only")
	if len(s.Sets) > 0 {
		p.errIf(len(s.Modes) == 0 && len(s.Extra) == 0 && len(s.Tracers) == 0, s.Sets[0].Line, "add `modes: [enter_exit, exit_only]` to cross the sets with", "sets are given but no modes")
	}
	p.errIf(len(s.Modes) > 0 && len(s.Sets) == 0, s.lines["modes"], "add a sets section naming the syscalls to trace", "modes are given but no sets")
	for _, set := range s.Sets {
		p.errIf(!used[set.Name] && len(s.Modes) == 0 && (len(s.Extra) > 0 || len(s.Tracers) > 0), set.Line, "reference it from a variant with `set: "+set.Name+"`, or remove it", "set %q is not used by any variant", set.Name)
	}
	p.checkCapacity(s)
	if len(p.errs) > 0 {
		return
	}
	if _, err := s.expand(p); err != nil && len(p.errs) == 0 {
		p.errAt(0, "", "%v", err)
	}
}

// suggestHint names the valid choices nearest to got, or all of them.
func suggestHint(got string, valid []string) string {
	if near := syscalls.NearestNames(got, valid, 3); len(near) > 0 {
		return "did you mean " + strings.Join(near, ", ") + "?"
	}
	return "valid: " + strings.Join(slices.Sorted(slices.Values(valid)), ", ")
}
