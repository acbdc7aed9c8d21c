package scenario

import (
	"fmt"
	"slices"
	"strings"

	"github.com/benchctl/benchctl/bench/results"
	"github.com/benchctl/benchctl/record"
)

// ReserveSuffix ends the derived name of a variant with Reserve set.
const ReserveSuffix = "+reserve"

// stepSuffix is what a variant name gets for its step: ".dispatch",
// nothing for the full mode.
func stepSuffix(step string) string {
	if step == "" {
		return ""
	}
	return "." + step
}

// Expand returns every variant of the scenario, in this order: baseline,
// baseline_nostats (when any variant has stats off), floor (unless turned
// off), sets × modes × toctou with the scenario's stats state, nostats_sets
// × modes × toctou with stats off, then the explicit variants.
func (s *Scenario) Expand() ([]results.Variant, error) {
	return s.expand(nil)
}

// expand does Expand; with a parser it reports duplicate names at the
// line of the explicit variant.
func (s *Scenario) expand(p *parser) ([]results.Variant, error) {
	x := &expander{s: s, p: p, sets: map[string][]string{}, origin: map[string]string{}}
	for _, set := range s.Sets {
		x.sets[set.Name] = set.Syscalls
	}
	x.add(results.Variant{Name: results.BaselineName, Mode: record.ModeNone, Stats: true, Baseline: true}, "the baseline", 0)
	setNames := make([]string, len(s.Sets))
	for i, set := range s.Sets {
		setNames[i] = set.Name
	}
	var matrix []results.Variant
	matrix = append(matrix, x.cross(setNames, s.Stats)...)
	matrix = append(matrix, x.external(setNames, s.Stats)...)
	matrix = append(matrix, x.cross(s.NoStatsSets, false)...)
	matrix = append(matrix, x.external(s.NoStatsSets, false)...)
	var extra []results.Variant
	for _, e := range s.Extra {
		extra = append(extra, x.explicit(e))
	}
	anyNoStats := !s.Stats && len(s.Sets) > 0 && (len(s.Modes) > 0 || len(s.Tracers) > 0) || len(s.NoStatsSets) > 0
	for _, v := range extra {
		anyNoStats = anyNoStats || !v.Stats
	}
	if anyNoStats {
		x.add(results.Variant{Name: results.BaselineNoStatsName, Mode: record.ModeNone, Stats: false, Baseline: true}, "the stats-off baseline", 0)
	}
	if s.Floor {
		x.add(results.Variant{Name: results.FloorName, Mode: record.ModeFloor, Stats: true, RingSize: s.RingSize, Snaplen: s.Snaplen}, "the floor variant (turn it off with `floor: false`)", 0)
	}
	for _, v := range matrix {
		x.add(v, "a variant of the sets × modes matrix", s.lines["modes"])
	}
	for i, v := range extra {
		x.add(v, fmt.Sprintf("the variant on line %d", s.Extra[i].Line), s.Extra[i].Line)
	}
	if x.dupErr != nil {
		return nil, x.dupErr
	}
	return x.out, nil
}

// expander is one expansion of a scenario: the variants so far, where
// each name came from, and the first duplicate name.
type expander struct {
	s      *Scenario
	p      *parser // nil: no line to report a duplicate at
	sets   map[string][]string
	out    []results.Variant
	origin map[string]string
	dupErr error
}

// add adds v, unless its name is taken: then the duplicate is reported
// (at line, with a parser) and remembered.
func (x *expander) add(v results.Variant, from string, line int) {
	if prev, dup := x.origin[v.Name]; dup {
		hint := fmt.Sprintf("it is also %s; give this one another `name:`", prev)
		if x.p != nil {
			x.p.errAt(line, hint, "duplicate variant name %q", v.Name)
		}
		if x.dupErr == nil {
			x.dupErr = fmt.Errorf("duplicate variant name %q (%s)", v.Name, hint)
		}
		return
	}
	x.origin[v.Name] = from
	x.out = append(x.out, v)
}

// probe is a variant of benchctl's probes with the scenario's ring,
// snaplen and consumer.
func (x *expander) probe(mode record.Mode, toctou record.TOCTOU, set string, syscalls []string, stats bool) results.Variant {
	s := x.s
	v := results.Variant{Mode: mode, Set: set, Syscalls: slices.Clone(syscalls), Stats: stats, RingSize: s.RingSize, Snaplen: s.Snaplen,
		Consumer: consumerOf(s.Consumer, nil)}
	if mode == record.ModeExitOnly {
		v.TOCTOU = toctou
		if v.TOCTOU == "" {
			v.TOCTOU = record.TOCTOUNone
		}
	}
	return v
}

// cross is the matrix of setNames × modes × steps × toctou options, with
// stats on or off.
func (x *expander) cross(setNames []string, stats bool) []results.Variant {
	s := x.s
	steps := s.Steps
	if len(steps) == 0 {
		steps = []string{""}
	}
	var matrix []results.Variant
	for _, set := range setNames {
		for _, mode := range s.Modes {
			for _, step := range steps {
				if step == string(record.StepExitSide) && mode != record.ModeEnterExit {
					continue // enter_exit's exit side alone: no exit_only counterpart
				}
				toctous := []record.TOCTOU{""}
				if mode == record.ModeExitOnly {
					toctous = s.TOCTOU
				}
				for _, t := range toctous {
					if !results.StepRunsFillers(step) && t != "" && t != record.TOCTOUNone {
						continue // the TOCTOU options change only the fillers
					}
					v := x.probe(mode, t, set, x.sets[set], stats)
					v.Step = step
					v.Name = results.VariantName(set, mode, t, stats) + stepSuffix(step)
					matrix = append(matrix, v)
				}
			}
		}
	}
	return matrix
}

// external is the variants of the external tracers that have arguments
// for one of names, with stats on or off.
func (x *expander) external(names []string, stats bool) []results.Variant {
	var matrix []results.Variant
	for _, set := range names {
		for _, t := range x.s.Tracers {
			if _, ok := t.SetArgs[set]; !ok {
				continue
			}
			name := set + "/" + t.Name
			if !stats {
				name += results.NoStatsSuffix
			}
			matrix = append(matrix, results.Variant{
				Name: name, Mode: results.ModeExternal, Set: set, Syscalls: slices.Clone(x.sets[set]), Stats: stats,
				Tracer: t.Name, Family: t.Family, Design: t.Design,
			})
		}
	}
	return matrix
}

// explicit is the variant of an entry of `variants:`, its name derived
// when it has none.
func (x *expander) explicit(e VariantSpec) results.Variant {
	syscalls := e.Syscalls
	if e.Set != "" {
		syscalls = x.sets[e.Set]
	}
	v := x.probe(e.Mode, e.TOCTOU, e.Set, syscalls, e.Stats)
	v.Step, v.Reserve = e.Step, e.Reserve
	v.Consumer = consumerOf(x.s.Consumer, e.Consumer)
	if e.Mode == record.ModeFloor {
		v.Syscalls, v.Set, v.Consumer = nil, "", nil
	}
	if e.RingSize != 0 {
		v.RingSize = e.RingSize
	}
	if e.Snaplen != 0 {
		v.Snaplen = e.Snaplen
	}
	v.Name = e.Name
	if v.Name == "" {
		if e.Mode == record.ModeFloor {
			v.Name = results.FloorName
			if !e.Stats {
				v.Name += results.NoStatsSuffix
			}
		} else {
			v.Name = results.VariantName(e.Set, e.Mode, v.TOCTOU, e.Stats) + stepSuffix(e.Step)
			if e.Reserve {
				v.Name += ReserveSuffix
			}
		}
	}
	return v
}

// Select keeps the variants whose names match one of patterns (exact
// names, or patterns where * matches any run of characters, "/"
// included, and ? any one character, such as "big/*" or "*_nostats"; each
// pattern may also be a comma-separated list). The baselines the kept variants are compared
// with stay: `baseline` always, `baseline_nostats` when a kept variant
// has stats off. A pattern that matches nothing is an error naming the
// nearest variants. No patterns keeps everything.
func Select(variants []results.Variant, patterns []string) ([]results.Variant, error) {
	var pats []string
	for _, p := range patterns {
		for _, part := range strings.Split(p, ",") {
			if part = strings.TrimSpace(part); part != "" {
				pats = append(pats, part)
			}
		}
	}
	if len(pats) == 0 {
		return variants, nil
	}
	names := make([]string, len(variants))
	for i, v := range variants {
		names[i] = v.Name
	}
	keep := map[string]bool{}
	for _, pat := range pats {
		found := false
		for _, n := range names {
			if globMatch(pat, n) {
				keep[n] = true
				found = true
			}
		}
		if !found {
			return nil, fmt.Errorf("no variant matches %q (%s)", pat, suggestHint(pat, names))
		}
	}
	needNoStats := false
	for _, v := range variants {
		if keep[v.Name] && !v.Stats && !v.Baseline {
			needNoStats = true
		}
	}
	var out []results.Variant
	for _, v := range variants {
		switch {
		case keep[v.Name]:
			out = append(out, v)
		case v.Baseline && v.Stats:
			out = append(out, v)
		case v.Baseline && !v.Stats && needNoStats:
			out = append(out, v)
		}
	}
	return out, nil
}

// globMatch reports whether name matches pattern, where * matches any
// run of characters and ? any one character.
func globMatch(pattern, name string) bool {
	px, nx := 0, 0
	starP, starN := -1, 0
	for nx < len(name) {
		switch {
		case px < len(pattern) && (pattern[px] == '?' || pattern[px] == name[nx]):
			px++
			nx++
		case px < len(pattern) && pattern[px] == '*':
			starP, starN = px, nx
			px++
		case starP >= 0:
			starN++
			px, nx = starP+1, starN
		default:
			return false
		}
	}
	for px < len(pattern) && pattern[px] == '*' {
		px++
	}
	return px == len(pattern)
}
