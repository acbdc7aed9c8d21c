package scenario

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/benchctl/benchctl/bench/results"
	"github.com/benchctl/benchctl/internal/shell"
	"github.com/benchctl/benchctl/probes"
	"github.com/benchctl/benchctl/probes/syscalls"
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
	Modes  []probes.Mode
	TOCTOU []probes.TOCTOU
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
	Mode     probes.Mode
	TOCTOU   probes.TOCTOU // "" unless given
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
		req := float64(tests * w.Redis.Requests)
		return time.Duration(req/(estRedisRPS*estProbeSlowdown)*float64(time.Second)) + estRedisPrepare, true
	case "syscalls":
		if w.Syscalls.Count > 0 {
			return time.Duration(float64(w.Syscalls.Count) / estSyscallsOpsSec * float64(time.Second)), true
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
	perRun = d + estRunOverhead
	runs := variants*(reps+warmup) + 1
	return time.Duration(runs) * perRun, perRun, true
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
	sum := sha256.Sum256(data)
	s := &Scenario{
		File:        file,
		SHA256:      hex.EncodeToString(sum[:]),
		Stats:       true,
		Floor:       true,
		Repetitions: DefaultRepetitions,
		Warmup:      DefaultWarmup,
		RingSize:    probes.DefaultRingSize,
		Snaplen:     probes.DefaultSnaplen,
		TOCTOU:      []probes.TOCTOU{probes.TOCTOUNone},
		lines:       map[string]int{},
	}
	if root := p.document(data); root != nil {
		p.scenario(field{v: root, what: "scenario"}, s)
	}
	if len(p.errs) == 0 {
		p.check(s)
	}
	if len(p.errs) > 0 {
		sort.SliceStable(p.errs, func(i, j int) bool { return p.errs[i].Line < p.errs[j].Line })
		return nil, p.errs
	}
	return s, nil
}

var (
	identRE       = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.-]*$`)
	variantNameRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.+:/-]*$`)
)

// The sections of a scenario file, as decode reads them. A section is
// decoded when the checks reach it, so that errors sharing a line keep
// the order of the checks.
type (
	scenarioDoc struct {
		Name        field `yaml:"name"`
		Description field `yaml:"description"`
		Workload    field `yaml:"workload"`
		Sets        field `yaml:"sets"`
		Modes       field `yaml:"modes"`
		TOCTOU      field `yaml:"toctou"`
		NoStatsSets field `yaml:"nostats_sets"`
		Steps       field `yaml:"steps"`
		Stats       field `yaml:"stats"`
		Floor       field `yaml:"floor"`
		Variants    field `yaml:"variants"`
		Repetitions field `yaml:"repetitions"`
		Warmup      field `yaml:"warmup"`
		RingSize    field `yaml:"ring_size"`
		Snaplen     field `yaml:"snaplen"`
		Gate        field `yaml:"gate"`
		Tracers     field `yaml:"tracers"`
		Capacity    field `yaml:"capacity"` // capacity.go
		Consumer    field `yaml:"consumer"`
		Noise       field `yaml:"noise"`
	}

	noiseDoc struct {
		StealPct   field `yaml:"steal_pct"`
		OutsidePct field `yaml:"outside_pct"`
	}

	autoDoc struct {
		Min       field `yaml:"min"`
		Max       field `yaml:"max"`
		HalfWidth field `yaml:"half_width"`
	}

	workloadDoc struct {
		Type     field `yaml:"type"`
		Estimate field `yaml:"estimate"`
	}

	redisDoc struct {
		Tests     field `yaml:"tests"`
		Requests  field `yaml:"requests"`
		Clients   field `yaml:"clients"`
		Pipeline  field `yaml:"pipeline"`
		DataSize  field `yaml:"data_size"`
		Keyspace  field `yaml:"keyspace"`
		Threads   field `yaml:"threads"`
		Server    field `yaml:"server"`
		Benchmark field `yaml:"benchmark"`
	}

	syscallsDoc struct {
		Mix      field `yaml:"mix"`
		Threads  field `yaml:"threads"`
		Count    field `yaml:"count"`
		Duration field `yaml:"duration"`
		Rate     field `yaml:"rate"` // capacity.go
	}

	commandDoc struct {
		Argv            field `yaml:"argv"`
		Shell           field `yaml:"shell"`
		Dir             field `yaml:"dir"`
		Env             field `yaml:"env"`
		ThroughputRegex field `yaml:"throughput_regex"`
		Unit            field `yaml:"unit"`
	}

	variantDoc struct {
		Name     field `yaml:"name"`
		Set      field `yaml:"set"`
		Syscalls field `yaml:"syscalls"`
		Mode     field `yaml:"mode"`
		TOCTOU   field `yaml:"toctou"`
		Stats    field `yaml:"stats"`
		RingSize field `yaml:"ring_size"`
		Snaplen  field `yaml:"snaplen"`
		Step     field `yaml:"step"`
		Reserve  field `yaml:"reserve"`
		Consumer field `yaml:"consumer"` // capacity.go
	}
)

func (p *parser) scenario(root field, s *Scenario) {
	var d scenarioDoc
	if !p.decode(root, &d) {
		return
	}
	s.Name = strings.TrimSuffix(filepath.Base(s.File), filepath.Ext(s.File))
	if v, ok := p.str(d.Name); ok {
		if identRE.MatchString(v) {
			s.Name = v
		} else {
			p.errorf(d.Name.v, "use letters, digits, '_', '.' and '-' (it goes into file names)", "invalid scenario name %q", v)
		}
	}
	p.setStr(&s.Description, d.Description)
	if d.Workload.set() {
		p.workload(d.Workload, &s.Workload)
	} else {
		p.errAt(root.v.Line, "add a workload section with a type: redis, syscalls or command", "scenario has no workload")
	}
	p.repetitions(d.Repetitions, s)
	integer(p, &s.Warmup, d.Warmup, 0, 100)
	p.boolean(&s.Stats, d.Stats)
	p.boolean(&s.Floor, d.Floor)
	p.ringSize(&s.RingSize, d.RingSize)
	if d.RingSize.set() {
		s.lines["ring_size"] = d.RingSize.v.Line
	}
	integer(p, &s.Snaplen, d.Snaplen, 1, probes.MaxSnaplen)
	p.capacity(d.Capacity, s)
	s.Consumer = p.consumer(d.Consumer)
	p.sets(d.Sets, s)
	p.modes(d.Modes, s)
	if toctou, ok := p.list(d.TOCTOU, s, "toctou option", toctouNames(), "list none, stash and/or enter_event, or remove the key (default: none)"); ok {
		s.TOCTOU = nil
		for _, t := range toctou {
			s.TOCTOU = append(s.TOCTOU, probes.TOCTOU(t))
		}
	}
	steps, _ := p.list(d.Steps, s, "step", StepNames, "list steps such as [floor, dispatch, tailcall, header, full, decode], or remove the key")
	for _, step := range steps {
		s.Steps = append(s.Steps, stepOf(step))
	}
	if d.NoStatsSets.set() {
		names, nodes, _ := p.strList(d.NoStatsSets)
		sets, at := p.enums(names, nodes, "nostats_sets: set", nil)
		for i, n := range sets {
			s.lines["nostats:"+n] = at[i].Line
		}
		s.NoStatsSets = sets
		s.lines["nostats_sets"] = d.NoStatsSets.k.Line
	}
	p.variants(d.Variants, s)
	p.tracers(d.Tracers, s)
	p.gate(d.Gate, s)
	p.noise(d.Noise, s)
}

// noise reads the noise thresholds: {steal_pct: 5, outside_pct: 5}, each
// a percentage from 0 to 100; an unset one keeps its default.
func (p *parser) noise(f field, s *Scenario) {
	if !f.set() {
		return
	}
	var d noiseDoc
	if !p.decode(f, &d) {
		return
	}
	t := results.DefaultNoise
	for _, x := range []struct {
		f   field
		dst *float64
	}{{d.StealPct, &t.StealPct}, {d.OutsidePct, &t.OutsidePct}} {
		switch v, ok := p.number(x.f); {
		case !ok:
		case v < 0 || v > 100:
			p.errorf(x.f.v, "a noise threshold is a percentage from 0 to 100, such as 5", "impossible noise threshold %s for %s", x.f.v.Value, x.f.what)
		default:
			*x.dst = v
		}
	}
	s.Noise = &t
}

// list reads a list of names from valid, each once, for a scenario key;
// ok is false when it is not a list of strings.
func (p *parser) list(f field, s *Scenario, noun string, valid []string, emptyHint string) ([]string, bool) {
	names, nodes, ok := p.strList(f)
	if !ok {
		return nil, false
	}
	s.lines[f.key] = f.v.Line
	if len(names) == 0 {
		p.errorf(f.v, emptyHint, "%s is empty", f.key)
	}
	out, _ := p.enums(names, nodes, noun, valid)
	return out, true
}

// repetitions reads a number of rounds, `auto`, or an auto mapping
// {min, max, half_width}.
func (p *parser) repetitions(f field, s *Scenario) {
	a := results.AutoRepetitions{Min: results.DefaultAutoMin, Max: results.DefaultAutoMax}
	switch n := f.v; {
	case n == nil:
		return
	case n.Kind == yaml.ScalarNode && n.Value == "auto":
	case n.Kind == yaml.MappingNode:
		var d autoDoc
		p.decode(f, &d)
		integer(p, &a.Min, d.Min, 1, 1000)
		integer(p, &a.Max, d.Max, 1, 1000)
		if v, ok := p.number(d.HalfWidth); ok && v <= 0 {
			p.errorf(d.HalfWidth.v, "a percent of the median (points for overhead and drop_ratio), such as 2.5", "repetitions half_width must be above 0")
		} else if ok {
			a.HalfWidth = v
		}
		if a.Max < a.Min {
			p.errorf(n, "make max at least min", "repetitions max %d is below min %d", a.Max, a.Min)
			return
		}
	case n.Kind == yaml.ScalarNode && n.Tag != "!!int":
		p.errorf(n, "write a number of rounds, `auto`, or {min: 6, max: 20, half_width: 2.5}", "repetitions must be a whole number or auto, not %q", n.Value)
		return
	default:
		integer(p, &s.Repetitions, f, 1, 1000)
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
	if !f.set() || !p.scalar(f, hint) {
		return
	}
	m := sizeRE.FindStringSubmatch(strings.ReplaceAll(f.v.Value, "_", ""))
	if m == nil {
		p.errorf(f.v, hint, "ring_size must be a size in bytes, not %q", f.v.Value)
		return
	}
	v, err := strconv.ParseInt(m[1], 10, 64)
	if err != nil {
		p.errorf(f.v, hint, "ring_size is too large")
		return
	}
	if m[2] != "" {
		v <<= 10 * (strings.IndexByte("KMG", m[2][0]) + 1) // "B": 0
	}
	if page := int64(os.Getpagesize()); v < page || v > 1<<30 || v&(v-1) != 0 {
		p.errorf(f.v, fmt.Sprintf("a ring buffer is a power of two from %d bytes (the page size) to 1GiB, such as 8MiB", page), "impossible ring_size %s", f.v.Value)
		return
	}
	*dst = int(v)
}

func (p *parser) workload(f field, w *WorkloadSpec) {
	w.Line = f.k.Line
	var d workloadDoc
	var r redisDoc
	var sc syscallsDoc
	var c commandDoc
	keys := map[string][]string{"redis": tags(&r), "syscalls": tags(&sc), "command": tags(&c)}
	fs, ok := p.entries(f, slices.Concat(tags(&d), keys["redis"], keys["syscalls"], keys["command"]))
	if !ok {
		return
	}
	bind(fs, &d)
	if !d.Type.set() {
		p.errorf(f.k, "add `type: redis`, `type: syscalls` or `type: command`", "workload has no type")
		return
	}
	typ, ok := p.str(d.Type)
	if !ok || !p.oneOf(d.Type.v, "workload type", typ, WorkloadTypes) {
		return
	}
	w.Type = typ
	for _, g := range fs {
		if slices.Contains(tags(&d), g.key) || slices.Contains(keys[typ], g.key) {
			continue
		}
		for _, other := range WorkloadTypes {
			if slices.Contains(keys[other], g.key) {
				p.errorf(g.k, fmt.Sprintf("%s workloads take: %s", typ, strings.Join(keys[typ], ", ")), "workload key %q belongs to the %s workload, not %s", g.key, other, typ)
			}
		}
	}
	p.duration(&w.Estimate, d.Estimate)
	switch typ {
	case "redis":
		bind(fs, &r)
		w.Redis.Requests = DefaultRedisRequests
		tests, nodes, _ := p.strList(r.Tests)
		if len(tests) == 0 && r.Tests.set() && r.Tests.v.Kind == yaml.SequenceNode {
			p.errorf(r.Tests.v, "list redis-benchmark tests, or remove the key for the proposal's eleven", "workload tests is empty")
		}
		w.Redis.Tests, _ = p.enums(tests, nodes, "redis-benchmark test", RedisTests)
		integer(p, &w.Redis.Requests, r.Requests, 1, 1_000_000_000)
		integer(p, &w.Redis.Clients, r.Clients, 1, 10000)
		integer(p, &w.Redis.Pipeline, r.Pipeline, 1, 10000)
		integer(p, &w.Redis.DataSize, r.DataSize, 1, 1<<26)
		integer(p, &w.Redis.Keyspace, r.Keyspace, 1, 1<<40)
		integer(p, &w.Redis.Threads, r.Threads, 1, 1024)
		p.setStr(&w.Redis.ServerBin, r.Server)
		p.setStr(&w.Redis.BenchBin, r.Benchmark)
	case "syscalls":
		bind(fs, &sc)
		if mix, ok := p.str(sc.Mix); ok && p.oneOf(sc.Mix.v, "syscalls mix", mix, workloads.Mixes()) {
			w.Syscalls.Mix = mix
		} else if !sc.Mix.set() {
			p.errorf(f.k, "add `mix:`, one of "+strings.Join(workloads.Mixes(), ", "), "syscalls workload has no mix")
		}
		integer(p, &w.Syscalls.Threads, sc.Threads, 1, 4096)
		switch {
		case sc.Count.set() && sc.Duration.set():
			p.errorf(sc.Duration.k, "keep one of them", "syscalls workload takes count or duration, not both")
		case sc.Count.set():
			integer(p, &w.Syscalls.Count, sc.Count, 1, 1<<50)
		case sc.Duration.set():
			p.duration(&w.Syscalls.Duration, sc.Duration)
		default:
			p.errorf(f.k, "add `duration: 5s` or `count: 1000000` (operations per thread)", "syscalls workload has neither count nor duration")
		}
		p.workloadRate(sc.Rate, &w.Syscalls)
	case "command":
		bind(fs, &c)
		cmd := &w.Command
		argv, _, ok := p.strList(c.Argv)
		if ok && len(argv) == 0 {
			p.errorf(c.Argv.v, "give the program and its arguments, such as [stress-ng, --cpu, '1']", "workload argv is empty")
		} else if !c.Argv.set() {
			p.errorf(f.k, "add `argv: [program, arg, ...]`", "command workload has no argv")
		}
		cmd.Argv = argv
		// With shell: true, argv[0] is the script and the other items its
		// arguments ("$@"), as for a shell tracer.
		p.boolean(&cmd.Shell, c.Shell)
		p.setStr(&cmd.Dir, c.Dir)
		env, nodes, _ := p.strList(c.Env)
		for i, e := range env {
			if k, _, found := strings.Cut(e, "="); !found || k == "" {
				p.errorf(nodes[i], "write NAME=value", "workload env item %q has no NAME=", e)
			} else {
				cmd.Env = append(cmd.Env, e)
			}
		}
		if re, ok := p.str(c.ThroughputRegex); ok {
			cre, err := regexp.Compile(re)
			switch {
			case err != nil:
				p.errorf(c.ThroughputRegex.v, "Go regexp syntax (RE2)", "invalid throughput_regex: %v", err)
			case cre.SubexpIndex("value") < 0:
				p.errorf(c.ThroughputRegex.v, `name the number's group "value", such as (?P<value>[0-9.]+) ops/s`, "throughput_regex has no group named value")
			default:
				cmd.ThroughputRegex = re
			}
		}
		p.setStr(&cmd.Unit, c.Unit)
		if c.Unit.set() && !c.ThroughputRegex.set() {
			p.errorf(c.Unit.k, "add throughput_regex to read a throughput from the command's output", "unit without throughput_regex")
		} else if !c.Unit.set() && cmd.ThroughputRegex != "" {
			cmd.Unit = "ops/s"
		}
	}
}

func (p *parser) sets(f field, s *Scenario) {
	fs, ok := p.entries(f, nil)
	if ok && len(fs) == 0 {
		p.errorf(f.v, "name a set and list its syscalls, such as `small: [sendto, recvfrom]`", "sets is empty")
	}
	for _, g := range fs {
		if !identRE.MatchString(g.key) {
			p.errorf(g.k, "use letters, digits, '_', '.' and '-'", "invalid set name %q", g.key)
			continue
		}
		g.what = "set " + g.key
		names, nodes, ok := p.strList(g)
		if !ok {
			continue
		}
		if len(names) == 0 {
			p.errorf(g.v, "list at least one syscall, or remove the set", "set %q is empty", g.key)
			continue
		}
		s.Sets = append(s.Sets, SyscallSet{Name: g.key, Line: g.k.Line, Syscalls: p.syscallList(names, nodes, g.what)})
	}
}

// syscallList checks every name is a syscall of this architecture.
func (p *parser) syscallList(names []string, nodes []*yaml.Node, what string) []string {
	var out []string
	seen := map[string]int{}
	for i, name := range names {
		if first, dup := seen[name]; dup {
			p.errorf(nodes[i], fmt.Sprintf("it is already on line %d; remove one", first), "%s: syscall %q listed twice", what, name)
			continue
		}
		seen[name] = nodes[i].Line
		if _, err := syscalls.Lookup(name); err != nil {
			hint := "syscall names are the kernel's, without a sys_ prefix, such as openat or sendto"
			if near := syscalls.Native().Nearest(name, 3); len(near) > 0 {
				hint = "did you mean " + strings.Join(near, ", ") + "?"
			}
			p.errorf(nodes[i], hint, "%s: unknown syscall %q on %s", what, name, syscalls.Native().Arch)
			continue
		}
		out = append(out, name)
	}
	return out
}

func (p *parser) modes(f field, s *Scenario) {
	names, nodes, ok := p.strList(f)
	if !ok {
		return
	}
	if len(names) == 0 {
		p.errorf(f.v, "list enter_exit and/or exit_only, or remove the key", "modes is empty")
	}
	s.lines["modes"] = f.v.Line
	for i, name := range names {
		switch m := probes.Mode(name); {
		case m == probes.ModeNone:
			p.errorf(nodes[i], "the baseline (mode none) is always included; remove it from modes", "mode none cannot be crossed with sets")
		case m == probes.ModeFloor:
			p.errorf(nodes[i], "the floor variant is added unless `floor: false`; remove it from modes", "mode floor cannot be crossed with sets")
		case !p.oneOf(nodes[i], "mode", name, []string{string(probes.ModeEnterExit), string(probes.ModeExitOnly)}):
		case slices.Contains(s.Modes, m):
			p.errorf(nodes[i], "remove the second one", "mode %q listed twice", name)
		default:
			s.Modes = append(s.Modes, m)
		}
	}
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

func toctouNames() []string {
	out := make([]string, len(probes.TOCTOUOptions))
	for i, t := range probes.TOCTOUOptions {
		out[i] = string(t)
	}
	return out
}

func (p *parser) variants(f field, s *Scenario) {
	if !f.set() {
		return
	}
	if f.v.Kind != yaml.SequenceNode {
		p.errorf(f.v, "write one `- mode: ...` item per variant", "variants must be a list, not %s", kindName(f.v))
		return
	}
	for _, it := range f.v.Content {
		it = deref(it)
		var d variantDoc
		if !p.decode(field{v: it, what: "variant"}, &d) {
			continue
		}
		v := VariantSpec{Line: it.Line, Stats: s.Stats}
		if name, ok := p.str(d.Name); ok {
			if variantNameRE.MatchString(name) {
				v.Name = name
			} else {
				p.errorf(d.Name.v, "use letters, digits and _ . + : / -", "invalid variant name %q", name)
			}
		}
		if name, ok := p.str(d.Mode); ok {
			switch m := probes.Mode(name); {
			case m == probes.ModeNone:
				p.errorf(d.Mode.v, "the baseline is always included; remove this variant", "a variant cannot have mode none")
			case p.oneOf(d.Mode.v, "mode", name, []string{"floor", "enter_exit", "exit_only"}):
				v.Mode = m
			}
		} else if !d.Mode.set() {
			p.errorf(it, "add `mode: enter_exit`, `mode: exit_only` or `mode: floor`", "variant has no mode")
		}
		if name, ok := p.str(d.TOCTOU); ok {
			switch {
			case !p.oneOf(d.TOCTOU.v, "toctou option", name, toctouNames()):
			case v.Mode != "" && v.Mode != probes.ModeExitOnly:
				p.errorf(d.TOCTOU.k, "toctou applies to mode exit_only only; remove it", "toctou %q with mode %s", name, v.Mode)
			default:
				v.TOCTOU = probes.TOCTOU(name)
			}
		}
		switch set, list := d.Set, d.Syscalls; {
		case v.Mode == probes.ModeFloor && (set.set() || list.set()):
			at := set.k
			if !set.set() {
				at = list.k
			}
			p.errorf(at, "floor attaches empty programs and traces nothing; remove set/syscalls", "a floor variant takes no syscalls")
		case set.set() && list.set():
			p.errorf(list.k, "name a set or list syscalls, not both", "variant has both set and syscalls")
		case set.set():
			if name, ok := p.str(set); ok {
				v.Set = name
				s.lines["variant-set:"+strconv.Itoa(v.Line)] = set.v.Line
			}
		case list.set():
			names, nodes, ok := p.strList(list)
			if ok && len(names) == 0 {
				p.errorf(list.v, "list at least one syscall", "variant syscalls is empty")
			}
			v.Syscalls = p.syscallList(names, nodes, "variant")
			if v.Name == "" {
				p.errorf(list.k, "add `name:`; names are derived only from a set", "a variant with its own syscalls needs a name")
			}
		case v.Mode != "" && v.Mode != probes.ModeFloor:
			p.errorf(it, "add `set: NAME` or `syscalls: [a, b]`", "variant has no syscalls")
		}
		p.boolean(&v.Stats, d.Stats)
		probeMode := v.Mode == probes.ModeEnterExit || v.Mode == probes.ModeExitOnly
		if name, ok := p.str(d.Step); ok {
			switch {
			case !p.oneOf(d.Step.v, "step", name, StepNames):
			case !probeMode:
				p.errorf(d.Step.k, "steps apply to modes enter_exit and exit_only", "step %q with mode %s", name, v.Mode)
			case name == string(probes.StepExitSide) && v.Mode != probes.ModeEnterExit:
				p.errorf(d.Step.k, "exit_side is enter_exit's exit side alone", "step exit_side with mode %s", v.Mode)
			case !results.StepRunsFillers(stepOf(name)) && v.TOCTOU != "" && v.TOCTOU != probes.TOCTOUNone:
				p.errorf(d.Step.k, "the TOCTOU options change only the fillers; use toctou none", "step %q with toctou %s", name, v.TOCTOU)
			default:
				v.Step = stepOf(name)
			}
		}
		if reserve := false; p.boolean(&reserve, d.Reserve) && reserve && !probeMode {
			p.errorf(d.Reserve.k, "reserve changes how enter_exit and exit_only send their events", "reserve with mode %s", v.Mode)
		} else {
			v.Reserve = reserve
		}
		p.ringSize(&v.RingSize, d.RingSize)
		integer(p, &v.Snaplen, d.Snaplen, 1, probes.MaxSnaplen)
		v.Consumer = p.consumer(d.Consumer)
		if v.Mode == probes.ModeExitOnly && v.TOCTOU == "" {
			v.TOCTOU = probes.TOCTOUNone
		}
		s.Extra = append(s.Extra, v)
	}
}

func (p *parser) gate(f field, s *Scenario) {
	if !f.set() {
		s.Gate = maps.Clone(results.DefaultGate)
		return
	}
	fs, ok := p.entries(f, nil)
	if !ok {
		return
	}
	metrics := slices.Sorted(maps.Keys(results.GateMetrics))
	s.Gate = map[string]float64{}
	for _, g := range fs {
		if !p.oneOf(g.k, "gate metric", g.key, metrics) {
			continue
		}
		switch v, ok := p.number(g); {
		case !ok:
		case v <= 0 || v > 1000:
			p.errorf(g.v, "a threshold is a percent change above 0, such as 5", "impossible gate threshold %s for %s", g.v.Value, g.key)
		case strings.HasPrefix(g.key, "latency_") && s.Workload.Type != "" && s.Workload.Type != "redis":
			// Only redis-benchmark reports latency: the gate would gate nothing.
			p.errorf(g.k, "latency gates need the redis workload", "gate %s: the %s workload reports no latency", g.key, s.Workload.Type)
		default:
			s.Gate[g.key] = v
		}
	}
}

// check validates what involves more than one section, once every
// section parsed cleanly.
func (p *parser) check(s *Scenario) {
	setNames := make([]string, len(s.Sets))
	for i, set := range s.Sets {
		setNames[i] = set.Name
	}
	used := map[string]bool{}
	if len(s.Modes) > 0 {
		for _, n := range setNames {
			used[n] = true
		}
	}
	if len(s.Modes) == 0 && len(s.Tracers) == 0 && len(s.NoStatsSets) > 0 {
		p.errAt(s.lines["nostats_sets"], "add modes to cross the sets with", "nostats_sets without modes")
	}
	p.checkTracers(s, setNames)
	for _, t := range s.Tracers {
		for _, set := range t.SetOrder {
			used[set] = true
		}
	}
	for _, n := range s.NoStatsSets {
		if !slices.Contains(setNames, n) {
			p.errAt(s.lines["nostats:"+n], suggestHint(n, setNames), "nostats_sets: no set named %q", n)
		}
	}
	for i := range s.Extra {
		v := &s.Extra[i]
		if v.Set == "" {
			continue
		}
		if !slices.Contains(setNames, v.Set) {
			p.errAt(s.lines["variant-set:"+strconv.Itoa(v.Line)], suggestHint(v.Set, setNames), "variant: no set named %q", v.Set)
			continue
		}
		used[v.Set] = true
	}
	if line, ok := s.lines["steps"]; ok && len(s.Modes) == 0 {
		p.errAt(line, "steps are crossed with the modes and the sets; add `modes: [enter_exit, exit_only]`", "steps without modes")
	}
	if line, ok := s.lines["toctou"]; ok && !slices.Contains(s.Modes, probes.ModeExitOnly) {
		p.errAt(line, "toctou options are crossed with mode exit_only; add it to modes or remove toctou", "toctou without mode exit_only")
	}
	if len(s.Sets) > 0 && len(s.Modes) == 0 && len(s.Extra) == 0 && len(s.Tracers) == 0 {
		p.errAt(s.Sets[0].Line, "add `modes: [enter_exit, exit_only]` to cross the sets with", "sets are given but no modes")
	}
	if len(s.Modes) > 0 && len(s.Sets) == 0 {
		p.errAt(s.lines["modes"], "add a sets section naming the syscalls to trace", "modes are given but no sets")
	}
	for _, set := range s.Sets {
		if !used[set.Name] && len(s.Modes) == 0 && (len(s.Extra) > 0 || len(s.Tracers) > 0) {
			p.errAt(set.Line, "reference it from a variant with `set: "+set.Name+"`, or remove it", "set %q is not used by any variant", set.Name)
		}
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
	near := syscalls.NearestNames(got, valid, 3)
	if len(near) > 0 {
		return "did you mean " + strings.Join(near, ", ") + "?"
	}
	sorted := slices.Clone(valid)
	sort.Strings(sorted)
	return "valid: " + strings.Join(sorted, ", ")
}
