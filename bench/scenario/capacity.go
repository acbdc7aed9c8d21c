package scenario

import (
	"fmt"
	"math"

	"go.yaml.in/yaml/v3"

	"github.com/benchctl/benchctl/bench/results"
	"github.com/benchctl/benchctl/probes/syscalls"
	"github.com/benchctl/benchctl/workloads"
)

// The scenario keys of capacity runs and consumer costs
// (docs/scenarios.md#capacity): `capacity` and `consumer` at the top
// level, `consumer` in a variant, `rate` in a syscalls workload.

// CapacitySpec is a scenario's `capacity` section. Threads is 0 when the
// section names none: the workload's threads then.
type CapacitySpec struct {
	results.CapacitySettings
	Line int
}

// minCapacityRing is the smallest ring that holds one event of the
// largest size the fillers send (probes.MaxEventSize) with the ring's
// 8-byte record header: the power of two above it.
const minCapacityRing = 16 << 10

// capacity reads the `capacity` section: every key optional, defaults
// from results.DefaultCapacitySettings; `capacity:` alone takes them all.
func (p *parser) capacity(f field, s *Scenario) {
	spec := &CapacitySpec{CapacitySettings: results.DefaultCapacitySettings(), Line: f.k.Line}
	spec.Threads = 0
	s.Capacity = spec
	if f.v.Kind == yaml.ScalarNode && f.v.Tag == "!!null" {
		return
	}
	set := &spec.CapacitySettings
	keys := []key{
		{name: "target_drop_ratio", dst: &set.TargetDropRatio, bad: func(v float64) bool { return v < 0 || v >= 1 },
			hint: "a drop ratio is a fraction from 0 to below 1: 0.001 is 0.1%", msg: "%s %s is out of range"},
		{name: "repeats", dst: &set.Repeats, lo: 1, hi: 100},
		{name: "resolution", dst: &set.Resolution, bad: func(v float64) bool { return v <= 0 || v >= 1 },
			hint: "the resolution is a fraction above 0 and below 1: 0.05 stops within 5%", msg: "%s %s is out of range"},
		rate("start_rate", &set.StartRate),
		rate("max_rate", &set.MaxRate),
		{name: "min_step", dst: &set.MinStep},
		{name: "max_step", dst: &set.MaxStep},
		{name: "threads", dst: &set.Threads, lo: 1, hi: 4096},
	}
	m, ok := p.fields(f, keys...)
	if !ok {
		return
	}
	p.read(f, m, keys[:5]...)
	line := f.k.Line
	if maxRate := m["max_rate"]; maxRate.set() {
		line = maxRate.v.Line
		s.lines["capacity.max_rate"] = line
	}
	p.errIf(set.MaxRate < set.StartRate, line, "max_rate bounds the search from above: make it at least start_rate", "capacity max_rate %.0f is below start_rate %.0f", set.MaxRate, set.StartRate)
	p.read(f, m, keys[5:7]...)
	p.errIf(set.MaxStep < set.MinStep, f.k.Line, "max_step must be at least min_step", "capacity max_step %s is below min_step %s", set.MaxStep, set.MinStep)
	p.read(f, m, keys[7:]...)
}

// rate is the key of a rate in syscalls/s, a positive number.
func rate(name string, dst *float64) key {
	return key{name: name, dst: dst, bad: func(v float64) bool { return v <= 0 || math.IsInf(v, 0) || math.IsNaN(v) },
		hint: "a rate is a positive number of syscalls per second, such as 50000", msg: "%s %s: a rate must be above 0"}
}

// consumer reads a consumer cost: `count`, `stateful`, or a mapping
// {spin: DURATION, stateful: BOOL}; nil when it is wrong.
func (p *parser) consumer(f field) *results.ConsumerCost {
	const hint = "write `count`, `stateful`, or {spin: 2us} (with `stateful: true` for both)"
	if f.v.Kind == yaml.ScalarNode {
		switch f.v.Value {
		case "count":
			return &results.ConsumerCost{}
		case "stateful":
			return &results.ConsumerCost{Stateful: true}
		}
		p.errorf(f.v, hint, "%s: unknown consumer %q", f.what, f.v.Value)
		return nil
	}
	c := &results.ConsumerCost{}
	m, ok := p.section(f, key{name: "spin", dst: &c.Spin}, key{name: "stateful", dst: &c.Stateful})
	if !ok {
		return nil
	}
	p.errIf(len(m) == 0, f.v.Line, hint, "%s asks for no work: leave it out, or write `count`", f.what)
	return c
}

// checkRate refuses a rate the generator's threads, MaxRatePerThread
// ops/s each, cannot reach.
func (p *parser) checkRate(line int, what string, rate float64, mix string, threads int) {
	perOp := workloads.SyscallsPerOp(mix)
	if perOp == 0 || rate <= 0 {
		return
	}
	threads = max(threads, 1)
	reach := float64(threads) * workloads.MaxRatePerThread * perOp
	p.errIf(rate > reach, line, fmt.Sprintf("%d generator thread(s) of mix %s reach at most %.0f syscalls/s (%d ops/s each, %g syscalls an op); add threads or lower the rate", threads, mix, reach, workloads.MaxRatePerThread, perOp),
		"%s %.0f syscalls/s is unreachable", what, rate)
}

// checkCapacity validates what a capacity section needs of the rest of
// the scenario: the built-in generator, a reachable max_rate, rings that
// hold one event, and tracers that print their drops.
func (p *parser) checkCapacity(s *Scenario) {
	c := s.Capacity
	if c == nil {
		return
	}
	if s.Workload.Type != "" && s.Workload.Type != "syscalls" {
		p.errAt(c.Line, "a capacity search offers rates with the built-in generator: use `workload: {type: syscalls, mix: ..., duration: 1s}`",
			"capacity needs the syscalls workload, not %s", s.Workload.Type)
		return
	}
	threads := c.Threads
	if threads == 0 {
		threads = max(s.Workload.Syscalls.Threads, 1)
	}
	line := c.Line
	if l, ok := s.lines["capacity.max_rate"]; ok {
		line = l
	}
	p.checkRate(line, "capacity max_rate", c.MaxRate, s.Workload.Syscalls.Mix, threads)
	hint := fmt.Sprintf("a capacity step needs a ring that holds one event of the largest size (%d bytes and the ring's 8-byte header): at least 16KiB", syscalls.MaxEventSize)
	p.errIf(s.RingSize != 0 && s.RingSize < minCapacityRing, s.lines["ring_size"], hint, "ring_size %d is too small for one event", s.RingSize)
	for _, v := range s.Extra {
		p.errIf(v.RingSize != 0 && v.RingSize < minCapacityRing, v.Line, hint, "variant ring_size %d is too small for one event", v.RingSize)
	}
	for _, t := range s.Tracers {
		p.errIf(!t.CountsDrops(), t.Line, "a capacity search needs the tracer's drops: add a counter regex with a group named drops, or remove the tracer from this scenario",
			"tracer %s has no drop counter, so its capacity cannot be searched", t.Name)
	}
}

// consumerOf is the consumer cost of a variant of benchctl's probes: the
// explicit variant's, else the scenario's; nil when it only counts.
func consumerOf(scenario, variant *results.ConsumerCost) *results.ConsumerCost {
	c := scenario
	if variant != nil {
		c = variant
	}
	if c == nil || c.IsZero() {
		return nil
	}
	cc := *c
	return &cc
}

// Describe is validate's line about a capacity section.
func (c *CapacitySpec) Describe() string {
	target := "no drop"
	if c.TargetDropRatio > 0 {
		target = fmt.Sprintf("drop ratio ≤ %g%%", 100*c.TargetDropRatio)
	}
	return fmt.Sprintf("capacity: %d searches per variant, %s, resolution %g%%, rates %.0f to %.0f syscalls/s, steps %s to %s",
		c.Repeats, target, 100*c.Resolution, c.StartRate, c.MaxRate, c.MinStep, c.MaxStep)
}
