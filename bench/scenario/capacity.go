package scenario

import (
	"cmp"
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
	s.Capacity = &CapacitySpec{CapacitySettings: results.DefaultCapacitySettings(), Line: f.k.Line}
	set := &s.Capacity.CapacitySettings
	set.Threads = 0
	s.lines["capacity.max_rate"] = f.k.Line
	if f.v.Tag == "!!null" {
		return
	}
	p.section(f,
		key{name: "target_drop_ratio", dst: &set.TargetDropRatio, bad: func(v float64) bool { return v < 0 || v >= 1 },
			hint: "a drop ratio is a fraction from 0 to below 1: 0.001 is 0.1%", msg: "%s %s is out of range"},
		key{name: "repeats", dst: &set.Repeats, lo: 1, hi: 100},
		key{name: "resolution", dst: &set.Resolution, bad: func(v float64) bool { return v <= 0 || v >= 1 },
			hint: "the resolution is a fraction above 0 and below 1: 0.05 stops within 5%", msg: "%s %s is out of range"},
		rate("start_rate", &set.StartRate),
		rate("max_rate", &set.MaxRate),
		key{dst: func(m map[string]field) {
			s.lines["capacity.max_rate"] = cmp.Or(m["max_rate"].v, f.k).Line
			p.errIf(set.MaxRate < set.StartRate, s.lines["capacity.max_rate"], "max_rate bounds the search from above: make it at least start_rate",
				"capacity max_rate %.0f is below start_rate %.0f", set.MaxRate, set.StartRate)
		}},
		key{name: "min_step", dst: &set.MinStep},
		key{name: "max_step", dst: &set.MaxStep},
		key{dst: func(map[string]field) {
			p.errIf(set.MaxStep < set.MinStep, f.k.Line, "max_step must be at least min_step", "capacity max_step %s is below min_step %s", set.MaxStep, set.MinStep)
		}},
		key{name: "threads", dst: &set.Threads, lo: 1, hi: 4096},
	)
}

// rate is the key of a rate in syscalls/s, a positive number.
func rate(name string, dst *float64) key {
	return key{name: name, dst: dst, bad: func(v float64) bool { return v <= 0 || math.IsInf(v, 0) || math.IsNaN(v) },
		hint: "a rate is a positive number of syscalls per second, such as 50000", msg: "%s %s: a rate must be above 0"}
}

// consumer reads a consumer cost: `count`, `stateful`, or a mapping
// {spin: DURATION, stateful: BOOL}.
func (p *parser) consumer(f field) *results.ConsumerCost {
	const hint = "write `count`, `stateful`, or {spin: 2us} (with `stateful: true` for both)"
	c := &results.ConsumerCost{Stateful: f.v.Value == "stateful"}
	if f.v.Kind == yaml.ScalarNode {
		p.errIf(f.v.Value != "count" && !c.Stateful, f.v.Line, hint, "%s: unknown consumer %q", f.what, f.v.Value)
		return c
	}
	p.section(f, key{name: "spin", dst: &c.Spin}, key{name: "stateful", dst: &c.Stateful}, key{dst: func(m map[string]field) {
		p.errIf(len(m) == 0, f.v.Line, hint, "%s asks for no work: leave it out, or write `count`", f.what)
	}})
	return c
}

// checkRate refuses a rate the generator's threads, MaxRatePerThread
// ops/s each, cannot reach.
func (p *parser) checkRate(line int, what string, rate float64, mix string, threads int) {
	perOp := workloads.SyscallsPerOp(mix)
	threads = max(threads, 1)
	reach := float64(threads) * workloads.MaxRatePerThread * perOp
	p.errIf(perOp != 0 && rate > reach, line, fmt.Sprintf("%d generator thread(s) of mix %s reach at most %.0f syscalls/s (%d ops/s each, %g syscalls an op); add threads or lower the rate", threads, mix, reach, workloads.MaxRatePerThread, perOp),
		"%s %.0f syscalls/s is unreachable", what, rate)
}

// checkCapacity validates what a capacity section needs of the rest of
// the scenario: the built-in generator, a reachable max_rate, rings that
// hold one event, and tracers that print their drops.
func (p *parser) checkCapacity(s *Scenario) {
	c := s.Capacity
	if c == nil || p.errIf(s.Workload.Type != "syscalls", c.Line, "a capacity search offers rates with the built-in generator: use `workload: {type: syscalls, mix: ..., duration: 1s}`",
		"capacity needs the syscalls workload, not %s", s.Workload.Type) {
		return
	}
	p.checkRate(s.lines["capacity.max_rate"], "capacity max_rate", c.MaxRate, s.Workload.Syscalls.Mix, cmp.Or(c.Threads, s.Workload.Syscalls.Threads))
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
