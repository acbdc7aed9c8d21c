package bench

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/benchctl/benchctl/internal/shell"
	"github.com/benchctl/benchctl/probes"
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
// ParseScenario; Expand turns it into the variants a run measures.
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
	Auto     *AutoRepetitions
	Warmup   int
	RingSize int // bytes per CPU
	Snaplen  int
	// Gate holds the thresholds (percent) compare applies: metric -> percent.
	Gate map[string]float64

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
		for _, a := range w.Command.Argv {
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

// ScenarioError is one problem in a scenario file, with where it is.
type ScenarioError struct {
	File string
	Line int
	Msg  string
	Hint string
}

func (e *ScenarioError) Error() string {
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

// ScenarioErrors are all the problems found in one scenario file, in
// file order. errors.As finds each *ScenarioError inside.
type ScenarioErrors []*ScenarioError

func (es ScenarioErrors) Error() string {
	lines := make([]string, len(es))
	for i, e := range es {
		lines[i] = e.Error()
	}
	return strings.Join(lines, "\n")
}

// Unwrap exposes every error to errors.Is and errors.As.
func (es ScenarioErrors) Unwrap() []error {
	out := make([]error, len(es))
	for i, e := range es {
		out[i] = e
	}
	return out
}

// ParseScenario reads, parses and validates the scenario file at path.
// A bad file returns ScenarioErrors; an unreadable one a plain error.
func ParseScenario(path string) (*Scenario, error) {
	return ParseScenarioWith(path, ParseOptions{})
}

// ParseOptions are what a scenario may take from the command line.
type ParseOptions struct {
	// Vars are the values of ${NAME} references (--set NAME=VALUE); the
	// environment is looked up for names not given here.
	Vars map[string]string
}

// ParseScenarioWith is ParseScenario with options.
func ParseScenarioWith(path string, opts ParseOptions) (*Scenario, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading scenario: %w", err)
	}
	return parseScenario(path, data, opts)
}

// ParseScenarioBytes parses and validates a scenario held in data; file
// names it in messages.
func ParseScenarioBytes(file string, data []byte) (*Scenario, error) {
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
	root := p.document(data)
	if root != nil {
		p.scenario(root, s)
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

// parser walks the YAML node tree and collects errors with positions.
type parser struct {
	file string
	errs ScenarioErrors
	vars map[string]string
}

func (p *parser) errAt(line int, hint, format string, args ...any) {
	p.errs = append(p.errs, &ScenarioError{File: p.file, Line: line, Msg: fmt.Sprintf(format, args...), Hint: hint})
}

func (p *parser) errorf(n *yaml.Node, hint, format string, args ...any) {
	line := 0
	if n != nil {
		line = n.Line
	}
	p.errAt(line, hint, format, args...)
}

func (p *parser) document(data []byte) *yaml.Node {
	if len(bytes.TrimSpace(data)) == 0 {
		p.errAt(1, "a scenario needs at least a workload section", "empty scenario file")
		return nil
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); errors.Is(err, io.EOF) {
		p.errAt(1, "a scenario is a mapping of keys such as workload, sets and modes", "empty scenario file")
		return nil
	} else if err != nil {
		p.yamlError(err)
		return nil
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); err == nil {
		p.errorf(&extra, "put the whole scenario in one document, without a second ---", "more than one YAML document")
		return nil
	} else if !errors.Is(err, io.EOF) {
		p.yamlError(err)
		return nil
	}
	if doc.Kind == yaml.DocumentNode && len(doc.Content) == 1 {
		return deref(doc.Content[0])
	}
	p.errAt(1, "a scenario is a mapping of keys such as workload, sets and modes", "empty scenario file")
	return nil
}

var yamlLine = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)

func (p *parser) yamlError(err error) {
	msg := err.Error()
	if m := yamlLine.FindStringSubmatch(msg); m != nil {
		line, _ := strconv.Atoi(m[1])
		p.errAt(line, "check the indentation and quoting around this line", "invalid YAML: %s", m[2])
		return
	}
	p.errAt(0, "check the file is YAML", "invalid YAML: %s", strings.TrimPrefix(msg, "yaml: "))
}

func deref(n *yaml.Node) *yaml.Node {
	for n != nil && n.Kind == yaml.AliasNode {
		n = n.Alias
	}
	return n
}

// field is one key/value pair of a mapping.
type field struct {
	key   string
	kn, v *yaml.Node
}

// fields checks n is a mapping whose keys are all in known and returns
// them by name. Unknown and duplicate keys are errors.
func (p *parser) fields(n *yaml.Node, what string, known []string) (map[string]field, []field, bool) {
	if n.Kind != yaml.MappingNode {
		p.errorf(n, "write it as `key: value` lines indented under it", "%s must be a mapping, not %s", what, kindName(n))
		return nil, nil, false
	}
	out := map[string]field{}
	var order []field
	for i := 0; i+1 < len(n.Content); i += 2 {
		kn, vn := deref(n.Content[i]), deref(n.Content[i+1])
		if kn.Kind != yaml.ScalarNode {
			p.errorf(kn, "keys are plain words", "%s has a key that is not a scalar", what)
			continue
		}
		key := kn.Value
		if kn.Tag == "!!merge" {
			p.errorf(kn, "spell the keys out instead of merging with <<", "merge keys are not supported in %s", what)
			continue
		}
		if prev, dup := out[key]; dup {
			p.errorf(kn, fmt.Sprintf("the first one is on line %d; remove one", prev.kn.Line), "%s: key %q given twice", what, key)
			continue
		}
		if known != nil && !slices.Contains(known, key) {
			p.errorf(kn, suggestHint(key, known), "%s: unknown key %q", what, key)
			continue
		}
		f := field{key: key, kn: kn, v: vn}
		out[key] = f
		order = append(order, f)
	}
	return out, order, true
}

func kindName(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		if n.Tag == "!!null" {
			return "empty"
		}
		return fmt.Sprintf("%q", n.Value)
	}
	return "something else"
}

func (p *parser) scalar(n *yaml.Node, what, hint string) bool {
	if n.Kind != yaml.ScalarNode || n.Tag == "!!null" {
		p.errorf(n, hint, "%s must be a single value, not %s", what, kindName(n))
		return false
	}
	return true
}

func (p *parser) str(n *yaml.Node, what string) (string, bool) {
	if !p.scalar(n, what, "write a plain word or a quoted string") {
		return "", false
	}
	if n.Tag != "!!str" {
		p.errorf(n, "quote it if you mean the text", "%s must be a string, not %s", what, n.Value)
		return "", false
	}
	if strings.TrimSpace(n.Value) == "" {
		p.errorf(n, "remove the key or give it a value", "%s is empty", what)
		return "", false
	}
	return n.Value, true
}

func (p *parser) boolean(n *yaml.Node, what string) (bool, bool) {
	if !p.scalar(n, what, "write true or false") {
		return false, false
	}
	if n.Tag != "!!bool" {
		p.errorf(n, "write true or false", "%s must be true or false, not %q", what, n.Value)
		return false, false
	}
	return strings.EqualFold(n.Value, "true") || strings.EqualFold(n.Value, "yes") || strings.EqualFold(n.Value, "on"), true
}

func (p *parser) integer(n *yaml.Node, what string, lo, hi int64) (int64, bool) {
	if !p.scalar(n, what, fmt.Sprintf("write a whole number from %d to %d", lo, hi)) {
		return 0, false
	}
	v, err := strconv.ParseInt(strings.ReplaceAll(n.Value, "_", ""), 0, 64)
	if n.Tag != "!!int" || err != nil {
		p.errorf(n, fmt.Sprintf("write a whole number from %d to %d", lo, hi), "%s must be a whole number, not %q", what, n.Value)
		return 0, false
	}
	if v < lo || v > hi {
		p.errorf(n, fmt.Sprintf("it must be from %d to %d", lo, hi), "%s %d is out of range", what, v)
		return 0, false
	}
	return v, true
}

func (p *parser) number(n *yaml.Node, what string) (float64, bool) {
	if !p.scalar(n, what, "write a number") {
		return 0, false
	}
	v, err := strconv.ParseFloat(n.Value, 64)
	if (n.Tag != "!!int" && n.Tag != "!!float") || err != nil {
		p.errorf(n, "write a number, such as 5 or 2.5", "%s must be a number, not %q", what, n.Value)
		return 0, false
	}
	return v, true
}

func (p *parser) duration(n *yaml.Node, what string) (time.Duration, bool) {
	if !p.scalar(n, what, "write a duration such as 10s or 1m30s") {
		return 0, false
	}
	d, err := time.ParseDuration(n.Value)
	if err != nil || n.Tag != "!!str" {
		p.errorf(n, "write a duration with a unit, such as 10s or 1m30s", "%s must be a duration, not %q", what, n.Value)
		return 0, false
	}
	if d <= 0 {
		p.errorf(n, "give a positive duration", "%s must be positive, not %s", what, n.Value)
		return 0, false
	}
	return d, true
}

var sizeRE = regexp.MustCompile(`^(\d+)\s*([KMG]i?B?|B)?$`)

// size reads a byte count: a number, or a number with a K, M or G suffix
// (powers of 1024; KiB, MiB, GiB and KB, MB, GB all mean the same).
func (p *parser) size(n *yaml.Node, what string) (int64, bool) {
	hint := "write bytes as a number or with a suffix, such as 8MiB or 65536"
	if !p.scalar(n, what, hint) {
		return 0, false
	}
	m := sizeRE.FindStringSubmatch(strings.ReplaceAll(n.Value, "_", ""))
	if m == nil {
		p.errorf(n, hint, "%s must be a size in bytes, not %q", what, n.Value)
		return 0, false
	}
	v, err := strconv.ParseInt(m[1], 10, 64)
	if err != nil {
		p.errorf(n, hint, "%s is too large", what)
		return 0, false
	}
	if m[2] != "" {
		switch m[2][0] {
		case 'K':
			v <<= 10
		case 'M':
			v <<= 20
		case 'G':
			v <<= 30
		}
	}
	return v, true
}

func (p *parser) strList(n *yaml.Node, what string) ([]string, []*yaml.Node, bool) {
	if n.Kind != yaml.SequenceNode {
		hint := "write a list: [a, b] or one `- a` line per item"
		if n.Kind == yaml.ScalarNode && strings.Contains(n.Value, ",") {
			hint = "write [" + n.Value + "] with brackets"
		}
		p.errorf(n, hint, "%s must be a list, not %s", what, kindName(n))
		return nil, nil, false
	}
	var out []string
	var nodes []*yaml.Node
	ok := true
	for _, it := range n.Content {
		it = deref(it)
		s, good := p.str(it, what+" item")
		if !good {
			ok = false
			continue
		}
		out = append(out, s)
		nodes = append(nodes, it)
	}
	return out, nodes, ok
}

var (
	identRE       = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.-]*$`)
	variantNameRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.+:/-]*$`)
)

var topKeys = []string{
	"name", "description", "workload", "sets", "modes", "toctou", "nostats_sets", "steps",
	"stats", "floor", "variants", "repetitions", "warmup", "ring_size", "snaplen", "gate",
	"tracers",
}

func (p *parser) scenario(root *yaml.Node, s *Scenario) {
	fs, _, ok := p.fields(root, "scenario", topKeys)
	if !ok {
		return
	}
	base := strings.TrimSuffix(filepath.Base(s.File), filepath.Ext(s.File))
	s.Name = base
	if f, ok := fs["name"]; ok {
		if v, ok := p.str(f.v, "name"); ok {
			if identRE.MatchString(v) {
				s.Name = v
			} else {
				p.errorf(f.v, "use letters, digits, '_', '.' and '-' (it goes into file names)", "invalid scenario name %q", v)
			}
		}
	}
	if f, ok := fs["description"]; ok {
		s.Description, _ = p.str(f.v, "description")
	}
	if f, ok := fs["workload"]; ok {
		p.workload(f, &s.Workload)
	} else {
		p.errAt(root.Line, "add a workload section with a type: redis, syscalls or command", "scenario has no workload")
	}
	if f, ok := fs["repetitions"]; ok {
		p.repetitions(f.v, s)
	}
	if f, ok := fs["warmup"]; ok {
		if v, ok := p.integer(f.v, "warmup", 0, 100); ok {
			s.Warmup = int(v)
		}
	}
	if f, ok := fs["stats"]; ok {
		s.Stats, _ = p.boolean(f.v, "stats")
	}
	if f, ok := fs["floor"]; ok {
		s.Floor, _ = p.boolean(f.v, "floor")
	}
	if f, ok := fs["ring_size"]; ok {
		if v, ok := p.ringSize(f.v); ok {
			s.RingSize = v
		}
	}
	if f, ok := fs["snaplen"]; ok {
		if v, ok := p.integer(f.v, "snaplen", 1, probes.MaxSnaplen); ok {
			s.Snaplen = int(v)
		}
	}
	if f, ok := fs["sets"]; ok {
		p.sets(f.v, s)
	}
	if f, ok := fs["modes"]; ok {
		p.modes(f.v, s)
	}
	if f, ok := fs["toctou"]; ok {
		p.toctouList(f.v, s)
	}
	if f, ok := fs["steps"]; ok {
		p.stepList(f.v, s)
	}
	if f, ok := fs["nostats_sets"]; ok {
		names, nodes, _ := p.strList(f.v, "nostats_sets")
		seen := map[string]bool{}
		for i, n := range names {
			if seen[n] {
				p.errorf(nodes[i], "remove the second one", "nostats_sets: set %q listed twice", n)
				continue
			}
			seen[n] = true
			s.NoStatsSets = append(s.NoStatsSets, n)
			s.lines["nostats:"+n] = nodes[i].Line
		}
		s.lines["nostats_sets"] = f.kn.Line
	}
	if f, ok := fs["variants"]; ok {
		p.variants(f.v, s)
	}
	if f, ok := fs["tracers"]; ok {
		p.tracers(f.v, s)
	}
	if f, ok := fs["gate"]; ok {
		p.gate(f.v, s)
	} else {
		s.Gate = map[string]float64{}
		for k, v := range DefaultGate {
			s.Gate[k] = v
		}
	}
}

// repetitions parses a number of rounds, `auto`, or an auto mapping
// {min, max, half_width}.
func (p *parser) repetitions(n *yaml.Node, s *Scenario) {
	const hint = "write a number of rounds, `auto`, or {min: 6, max: 20, half_width: 2.5}"
	if n.Kind == yaml.ScalarNode && n.Value == "auto" {
		s.Auto = &AutoRepetitions{Min: DefaultAutoMin, Max: DefaultAutoMax}
		s.Repetitions = DefaultAutoMax
		return
	}
	if n.Kind == yaml.MappingNode {
		fs, _, ok := p.fields(n, "repetitions", []string{"min", "max", "half_width"})
		if !ok {
			return
		}
		a := AutoRepetitions{Min: DefaultAutoMin, Max: DefaultAutoMax}
		if f, ok := fs["min"]; ok {
			if v, ok := p.integer(f.v, "repetitions min", 1, 1000); ok {
				a.Min = int(v)
			}
		}
		if f, ok := fs["max"]; ok {
			if v, ok := p.integer(f.v, "repetitions max", 1, 1000); ok {
				a.Max = int(v)
			}
		}
		if f, ok := fs["half_width"]; ok {
			if v, ok := p.number(f.v, "repetitions half_width"); ok {
				if v <= 0 {
					p.errorf(f.v, "a percent of the median (points for overhead and drop_ratio), such as 2.5", "repetitions half_width must be above 0")
				} else {
					a.HalfWidth = v
				}
			}
		}
		if a.Max < a.Min {
			p.errorf(n, "make max at least min", "repetitions max %d is below min %d", a.Max, a.Min)
			return
		}
		s.Auto = &a
		s.Repetitions = a.Max
		return
	}
	if n.Kind == yaml.ScalarNode && n.Tag != "!!int" {
		p.errorf(n, hint, "repetitions must be a whole number or auto, not %q", n.Value)
		return
	}
	if v, ok := p.integer(n, "repetitions", 1, 1000); ok {
		s.Repetitions = int(v)
	}
}

func (p *parser) ringSize(n *yaml.Node) (int, bool) {
	v, ok := p.size(n, "ring_size")
	if !ok {
		return 0, false
	}
	page := int64(os.Getpagesize())
	if v < page || v > 1<<30 || v&(v-1) != 0 {
		p.errorf(n, fmt.Sprintf("a ring buffer is a power of two from %d bytes (the page size) to 1GiB, such as 8MiB", page), "impossible ring_size %s", n.Value)
		return 0, false
	}
	return int(v), true
}

var workloadKeys = map[string][]string{
	"":         {"type", "estimate"},
	"redis":    {"tests", "requests", "clients", "pipeline", "data_size", "keyspace", "threads", "server", "benchmark"},
	"syscalls": {"mix", "threads", "count", "duration"},
	"command":  {"argv", "shell", "dir", "env", "throughput_regex", "unit"},
}

func (p *parser) workload(f field, w *WorkloadSpec) {
	w.Line = f.kn.Line
	var all []string
	for _, ks := range workloadKeys {
		all = append(all, ks...)
	}
	fs, order, ok := p.fields(f.v, "workload", all)
	if !ok {
		return
	}
	tf, ok := fs["type"]
	if !ok {
		p.errorf(f.kn, "add `type: redis`, `type: syscalls` or `type: command`", "workload has no type")
		return
	}
	typ, ok := p.str(tf.v, "workload type")
	if !ok {
		return
	}
	if !slices.Contains(WorkloadTypes, typ) {
		p.errorf(tf.v, suggestHint(typ, WorkloadTypes), "unknown workload type %q", typ)
		return
	}
	w.Type = typ
	for _, fl := range order {
		if slices.Contains(workloadKeys[""], fl.key) || slices.Contains(workloadKeys[typ], fl.key) {
			continue
		}
		for other, ks := range workloadKeys {
			if slices.Contains(ks, fl.key) {
				p.errorf(fl.kn, fmt.Sprintf("%s workloads take: %s", typ, strings.Join(workloadKeys[typ], ", ")), "workload key %q belongs to the %s workload, not %s", fl.key, other, typ)
			}
		}
	}
	if e, ok := fs["estimate"]; ok {
		w.Estimate, _ = p.duration(e.v, "workload estimate")
	}
	intField := func(key string, lo, hi int64) (int, bool) {
		fl, ok := fs[key]
		if !ok {
			return 0, false
		}
		v, ok := p.integer(fl.v, "workload "+key, lo, hi)
		return int(v), ok
	}
	switch typ {
	case "redis":
		r := &w.Redis
		r.Requests = DefaultRedisRequests
		if fl, ok := fs["tests"]; ok {
			tests, nodes, _ := p.strList(fl.v, "workload tests")
			if len(tests) == 0 && fl.v.Kind == yaml.SequenceNode {
				p.errorf(fl.v, "list redis-benchmark tests, or remove the key for the proposal's eleven", "workload tests is empty")
			}
			seen := map[string]bool{}
			for i, t := range tests {
				switch {
				case !slices.Contains(RedisTests, t):
					p.errorf(nodes[i], suggestHint(t, RedisTests), "unknown redis-benchmark test %q", t)
				case seen[t]:
					p.errorf(nodes[i], "remove the second one", "redis-benchmark test %q listed twice", t)
				default:
					seen[t] = true
					r.Tests = append(r.Tests, t)
				}
			}
		}
		if v, ok := intField("requests", 1, 1_000_000_000); ok {
			r.Requests = v
		}
		if v, ok := intField("clients", 1, 10000); ok {
			r.Clients = v
		}
		if v, ok := intField("pipeline", 1, 10000); ok {
			r.Pipeline = v
		}
		if v, ok := intField("data_size", 1, 1<<26); ok {
			r.DataSize = v
		}
		if v, ok := intField("keyspace", 1, 1<<40); ok {
			r.Keyspace = v
		}
		if v, ok := intField("threads", 1, 1024); ok {
			r.Threads = v
		}
		if fl, ok := fs["server"]; ok {
			r.ServerBin, _ = p.str(fl.v, "workload server")
		}
		if fl, ok := fs["benchmark"]; ok {
			r.BenchBin, _ = p.str(fl.v, "workload benchmark")
		}
	case "syscalls":
		c := &w.Syscalls
		if fl, ok := fs["mix"]; ok {
			if mix, ok := p.str(fl.v, "workload mix"); ok {
				if mixes := workloads.Mixes(); !slices.Contains(mixes, mix) {
					p.errorf(fl.v, suggestHint(mix, mixes), "unknown syscalls mix %q", mix)
				} else {
					c.Mix = mix
				}
			}
		} else {
			p.errorf(f.kn, "add `mix:`, one of "+strings.Join(workloads.Mixes(), ", "), "syscalls workload has no mix")
		}
		if v, ok := intField("threads", 1, 4096); ok {
			c.Threads = v
		}
		cf, hasCount := fs["count"]
		df, hasDur := fs["duration"]
		switch {
		case hasCount && hasDur:
			p.errorf(df.kn, "keep one of them", "syscalls workload takes count or duration, not both")
		case hasCount:
			if v, ok := p.integer(cf.v, "workload count", 1, 1<<50); ok {
				c.Count = v
			}
		case hasDur:
			c.Duration, _ = p.duration(df.v, "workload duration")
		default:
			p.errorf(f.kn, "add `duration: 5s` or `count: 1000000` (operations per thread)", "syscalls workload has neither count nor duration")
		}
	case "command":
		c := &w.Command
		if fl, ok := fs["argv"]; ok {
			argv, _, good := p.strList(fl.v, "workload argv")
			if good && len(argv) == 0 {
				p.errorf(fl.v, "give the program and its arguments, such as [stress-ng, --cpu, '1']", "workload argv is empty")
			}
			c.Argv = argv
		} else {
			p.errorf(f.kn, "add `argv: [program, arg, ...]`", "command workload has no argv")
		}
		if fl, ok := fs["shell"]; ok {
			c.Shell, _ = p.boolean(fl.v, "workload shell")
			if c.Shell && len(c.Argv) > 1 {
				p.errorf(fl.kn, "with shell: true give the whole command line as the one item of argv", "shell: true takes a single argv item, not %d", len(c.Argv))
			}
		}
		if fl, ok := fs["dir"]; ok {
			c.Dir, _ = p.str(fl.v, "workload dir")
		}
		if fl, ok := fs["env"]; ok {
			env, nodes, _ := p.strList(fl.v, "workload env")
			for i, e := range env {
				if k, _, found := strings.Cut(e, "="); !found || k == "" {
					p.errorf(nodes[i], "write NAME=value", "workload env item %q has no NAME=", e)
					continue
				}
				c.Env = append(c.Env, e)
			}
		}
		if fl, ok := fs["throughput_regex"]; ok {
			if re, ok := p.str(fl.v, "workload throughput_regex"); ok {
				cre, err := regexp.Compile(re)
				switch {
				case err != nil:
					p.errorf(fl.v, "Go regexp syntax (RE2)", "invalid throughput_regex: %v", err)
				case cre.SubexpIndex("value") < 0:
					p.errorf(fl.v, `name the number's group "value", such as (?P<value>[0-9.]+) ops/s`, "throughput_regex has no group named value")
				default:
					c.ThroughputRegex = re
				}
			}
		}
		if fl, ok := fs["unit"]; ok {
			c.Unit, _ = p.str(fl.v, "workload unit")
			if _, ok := fs["throughput_regex"]; !ok {
				p.errorf(fl.kn, "add throughput_regex to read a throughput from the command's output", "unit without throughput_regex")
			}
		} else if c.ThroughputRegex != "" {
			c.Unit = "ops/s"
		}
	}
}

func (p *parser) sets(n *yaml.Node, s *Scenario) {
	fs, order, ok := p.fields(n, "sets", nil)
	if !ok {
		return
	}
	_ = fs
	if len(order) == 0 {
		p.errorf(n, "name a set and list its syscalls, such as `small: [sendto, recvfrom]`", "sets is empty")
	}
	for _, f := range order {
		if !identRE.MatchString(f.key) {
			p.errorf(f.kn, "use letters, digits, '_', '.' and '-'", "invalid set name %q", f.key)
			continue
		}
		names, nodes, ok := p.strList(f.v, "set "+f.key)
		if !ok {
			continue
		}
		if len(names) == 0 {
			p.errorf(f.v, "list at least one syscall, or remove the set", "set %q is empty", f.key)
			continue
		}
		set := SyscallSet{Name: f.key, Line: f.kn.Line}
		set.Syscalls = p.syscallList(names, nodes, "set "+f.key)
		s.Sets = append(s.Sets, set)
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
		if _, err := probes.Lookup(name); err != nil {
			hint := "syscall names are the kernel's, without a sys_ prefix, such as openat or sendto"
			if near := probes.Native().Nearest(name, 3); len(near) > 0 {
				hint = "did you mean " + strings.Join(near, ", ") + "?"
			}
			p.errorf(nodes[i], hint, "%s: unknown syscall %q on %s", what, name, probes.Native().Arch)
			continue
		}
		out = append(out, name)
	}
	return out
}

func (p *parser) modes(n *yaml.Node, s *Scenario) {
	names, nodes, ok := p.strList(n, "modes")
	if !ok {
		return
	}
	if len(names) == 0 {
		p.errorf(n, "list enter_exit and/or exit_only, or remove the key", "modes is empty")
	}
	s.lines["modes"] = n.Line
	for i, name := range names {
		m, err := probes.ParseMode(name)
		switch {
		case err != nil:
			p.errorf(nodes[i], suggestHint(name, []string{string(probes.ModeEnterExit), string(probes.ModeExitOnly)}), "unknown mode %q", name)
		case m == probes.ModeNone:
			p.errorf(nodes[i], "the baseline (mode none) is always included; remove it from modes", "mode none cannot be crossed with sets")
		case m == probes.ModeFloor:
			p.errorf(nodes[i], "the floor variant is added unless `floor: false`; remove it from modes", "mode floor cannot be crossed with sets")
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

// StepDecode is the step whose consumer decodes every event.
const StepDecode = "decode"

// stepOf returns the step stored in Variant.Step for a step name.
func stepOf(name string) string {
	if name == "full" {
		return ""
	}
	return name
}

func (p *parser) stepList(n *yaml.Node, s *Scenario) {
	names, nodes, ok := p.strList(n, "steps")
	if !ok {
		return
	}
	s.lines["steps"] = n.Line
	if len(names) == 0 {
		p.errorf(n, "list steps such as [floor, dispatch, tailcall, header, full, decode], or remove the key", "steps is empty")
		return
	}
	for i, name := range names {
		if !slices.Contains(StepNames, name) {
			p.errorf(nodes[i], suggestHint(name, StepNames), "unknown step %q", name)
			continue
		}
		if slices.Contains(s.Steps, stepOf(name)) {
			p.errorf(nodes[i], "remove the second one", "step %q listed twice", name)
			continue
		}
		s.Steps = append(s.Steps, stepOf(name))
	}
}

func (p *parser) toctouList(n *yaml.Node, s *Scenario) {
	names, nodes, ok := p.strList(n, "toctou")
	if !ok {
		return
	}
	s.lines["toctou"] = n.Line
	if len(names) == 0 {
		p.errorf(n, "list none, stash and/or enter_event, or remove the key (default: none)", "toctou is empty")
		return
	}
	s.TOCTOU = nil
	for i, name := range names {
		t, err := probes.ParseTOCTOU(name)
		if err != nil {
			p.errorf(nodes[i], suggestHint(name, toctouNames()), "unknown toctou option %q", name)
			continue
		}
		if slices.Contains(s.TOCTOU, t) {
			p.errorf(nodes[i], "remove the second one", "toctou option %q listed twice", name)
			continue
		}
		s.TOCTOU = append(s.TOCTOU, t)
	}
}

func toctouNames() []string {
	out := make([]string, len(probes.TOCTOUOptions))
	for i, t := range probes.TOCTOUOptions {
		out[i] = string(t)
	}
	return out
}

var variantKeys = []string{"name", "set", "syscalls", "mode", "toctou", "stats", "ring_size", "snaplen", "step", "reserve"}

func (p *parser) variants(n *yaml.Node, s *Scenario) {
	if n.Kind != yaml.SequenceNode {
		p.errorf(n, "write one `- mode: ...` item per variant", "variants must be a list, not %s", kindName(n))
		return
	}
	for _, it := range n.Content {
		it = deref(it)
		fs, _, ok := p.fields(it, "variant", variantKeys)
		if !ok {
			continue
		}
		v := VariantSpec{Line: it.Line, Stats: s.Stats}
		if f, ok := fs["name"]; ok {
			if name, ok := p.str(f.v, "variant name"); ok {
				if variantNameRE.MatchString(name) {
					v.Name = name
				} else {
					p.errorf(f.v, "use letters, digits and _ . + : / -", "invalid variant name %q", name)
				}
			}
		}
		if f, ok := fs["mode"]; ok {
			if name, ok := p.str(f.v, "variant mode"); ok {
				m, err := probes.ParseMode(name)
				switch {
				case err != nil:
					p.errorf(f.v, suggestHint(name, []string{"floor", "enter_exit", "exit_only"}), "unknown mode %q", name)
				case m == probes.ModeNone:
					p.errorf(f.v, "the baseline is always included; remove this variant", "a variant cannot have mode none")
				default:
					v.Mode = m
				}
			}
		} else {
			p.errorf(it, "add `mode: enter_exit`, `mode: exit_only` or `mode: floor`", "variant has no mode")
		}
		if f, ok := fs["toctou"]; ok {
			if name, ok := p.str(f.v, "variant toctou"); ok {
				t, err := probes.ParseTOCTOU(name)
				switch {
				case err != nil:
					p.errorf(f.v, suggestHint(name, toctouNames()), "unknown toctou option %q", name)
				case v.Mode != "" && v.Mode != probes.ModeExitOnly:
					p.errorf(f.kn, "toctou applies to mode exit_only only; remove it", "toctou %q with mode %s", name, v.Mode)
				default:
					v.TOCTOU = t
				}
			}
		}
		sf, hasSet := fs["set"]
		cf, hasList := fs["syscalls"]
		switch {
		case v.Mode == probes.ModeFloor && (hasSet || hasList):
			at := sf.kn
			if !hasSet {
				at = cf.kn
			}
			p.errorf(at, "floor attaches empty programs and traces nothing; remove set/syscalls", "a floor variant takes no syscalls")
		case hasSet && hasList:
			p.errorf(cf.kn, "name a set or list syscalls, not both", "variant has both set and syscalls")
		case hasSet:
			if name, ok := p.str(sf.v, "variant set"); ok {
				v.Set = name
				s.lines["variant-set:"+strconv.Itoa(v.Line)] = sf.v.Line
			}
		case hasList:
			names, nodes, ok := p.strList(cf.v, "variant syscalls")
			if ok && len(names) == 0 {
				p.errorf(cf.v, "list at least one syscall", "variant syscalls is empty")
			}
			v.Syscalls = p.syscallList(names, nodes, "variant")
			if v.Name == "" {
				p.errorf(cf.kn, "add `name:`; names are derived only from a set", "a variant with its own syscalls needs a name")
			}
		case v.Mode != "" && v.Mode != probes.ModeFloor:
			p.errorf(it, "add `set: NAME` or `syscalls: [a, b]`", "variant has no syscalls")
		}
		if f, ok := fs["stats"]; ok {
			if b, ok := p.boolean(f.v, "variant stats"); ok {
				v.Stats = b
			}
		}
		if f, ok := fs["step"]; ok {
			if name, ok := p.str(f.v, "variant step"); ok {
				switch {
				case !slices.Contains(StepNames, name):
					p.errorf(f.v, suggestHint(name, StepNames), "unknown step %q", name)
				case v.Mode != probes.ModeEnterExit && v.Mode != probes.ModeExitOnly:
					p.errorf(f.kn, "steps apply to modes enter_exit and exit_only", "step %q with mode %s", name, v.Mode)
				case name == string(probes.StepExitSide) && v.Mode != probes.ModeEnterExit:
					p.errorf(f.kn, "exit_side is enter_exit's exit side alone", "step exit_side with mode %s", v.Mode)
				case !stepRunsFillers(stepOf(name)) && v.TOCTOU != "" && v.TOCTOU != probes.TOCTOUNone:
					p.errorf(f.kn, "the TOCTOU options change only the fillers; use toctou none", "step %q with toctou %s", name, v.TOCTOU)
				default:
					v.Step = stepOf(name)
				}
			}
		}
		if f, ok := fs["reserve"]; ok {
			if b, ok := p.boolean(f.v, "variant reserve"); ok {
				if b && v.Mode != probes.ModeEnterExit && v.Mode != probes.ModeExitOnly {
					p.errorf(f.kn, "reserve changes how enter_exit and exit_only send their events", "reserve with mode %s", v.Mode)
				} else {
					v.Reserve = b
				}
			}
		}
		if f, ok := fs["ring_size"]; ok {
			v.RingSize, _ = p.ringSize(f.v)
		}
		if f, ok := fs["snaplen"]; ok {
			if x, ok := p.integer(f.v, "variant snaplen", 1, probes.MaxSnaplen); ok {
				v.Snaplen = int(x)
			}
		}
		if v.Mode == probes.ModeExitOnly && v.TOCTOU == "" {
			v.TOCTOU = probes.TOCTOUNone
		}
		s.Extra = append(s.Extra, v)
	}
}

func (p *parser) gate(n *yaml.Node, s *Scenario) {
	_, order, ok := p.fields(n, "gate", nil)
	if !ok {
		return
	}
	metrics := make([]string, 0, len(GateMetrics))
	for m := range GateMetrics {
		metrics = append(metrics, m)
	}
	sort.Strings(metrics)
	s.Gate = map[string]float64{}
	for _, f := range order {
		if _, known := GateMetrics[f.key]; !known {
			p.errorf(f.kn, suggestHint(f.key, metrics), "unknown gate metric %q", f.key)
			continue
		}
		v, ok := p.number(f.v, "gate "+f.key)
		if !ok {
			continue
		}
		if v <= 0 || v > 1000 {
			p.errorf(f.v, "a threshold is a percent change above 0, such as 5", "impossible gate threshold %s for %s", f.v.Value, f.key)
			continue
		}
		if strings.HasPrefix(f.key, "latency_") && s.Workload.Type != "" && s.Workload.Type != "redis" {
			// Only redis-benchmark reports latency: the gate would gate nothing.
			p.errorf(f.kn, "latency gates need the redis workload", "gate %s: the %s workload reports no latency", f.key, s.Workload.Type)
			continue
		}
		s.Gate[f.key] = v
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
	if len(p.errs) > 0 {
		return
	}
	if _, err := s.expand(p); err != nil && len(p.errs) == 0 {
		p.errAt(0, "", "%v", err)
	}
}

// suggestHint names the valid choices nearest to got, or all of them.
func suggestHint(got string, valid []string) string {
	near := probes.NearestNames(got, valid, 3)
	if len(near) > 0 {
		return "did you mean " + strings.Join(near, ", ") + "?"
	}
	sorted := slices.Clone(valid)
	sort.Strings(sorted)
	return "valid: " + strings.Join(sorted, ", ")
}
