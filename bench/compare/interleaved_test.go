package compare

import (
	"errors"
	"slices"
	"testing"

	"github.com/benchctl/benchctl/bench/results"
)

// TestSplitTracers: one file with two tracers measured in the same rounds
// becomes two sides with the shared baselines and each tracer's variants
// renamed alike, so Compare matches ee/base with ee/head; a tracer that
// is not in the file is an error naming the ones that are.
func TestSplitTracers(t *testing.T) {
	r := &results.Results{Schema: results.SchemaVersion, Scenario: results.ScenarioInfo{Name: "gate"}}
	r.Variants = []results.Variant{
		{Name: "baseline", Mode: "none", Baseline: true, Stats: true},
		{Name: "ee/enter_exit", Mode: "enter_exit", Set: "ee", Stats: true},
		{Name: "ee/base", Mode: results.ModeExternal, Tracer: "base", Set: "ee", Stats: true},
		{Name: "ee/head", Mode: results.ModeExternal, Tracer: "head", Set: "ee", Stats: true},
		{Name: "ee/base_nostats", Mode: results.ModeExternal, Tracer: "base", Set: "ee"},
		{Name: "ee/head_nostats", Mode: results.ModeExternal, Tracer: "head", Set: "ee"},
	}
	for round := range 2 {
		for _, v := range r.Variants {
			r.Runs = append(r.Runs, results.Run{Variant: v.Name, Round: round})
		}
	}
	base, head, err := SplitTracers(r, "base", "head")
	if err != nil {
		t.Fatal(err)
	}
	names := func(rs *results.Results) (vs, runs []string) {
		for _, v := range rs.Variants {
			vs = append(vs, v.Name)
		}
		for _, run := range rs.Runs {
			runs = append(runs, run.Variant)
		}
		return vs, runs
	}
	want := []string{"baseline", "ee/tracer", "ee/tracer_nostats"}
	for side, rs := range map[string]*results.Results{"base": base, "head": head} {
		vs, runs := names(rs)
		if !slices.Equal(vs, want) {
			t.Errorf("%s variants %v, want %v", side, vs, want)
		}
		if wantRuns := append(slices.Clone(want), want...); !slices.Equal(runs, wantRuns) {
			t.Errorf("%s runs %v, want %v", side, runs, wantRuns)
		}
		for _, v := range rs.Variants {
			if v.External() && v.Tracer != side {
				t.Errorf("%s side holds tracer %s's variant", side, v.Tracer)
			}
		}
	}
	if len(r.Variants) != 6 || r.Runs[2].Variant != "ee/base" {
		t.Error("SplitTracers changed its input")
	}
	if _, _, err := SplitTracers(r, "base", "nope"); !errors.Is(err, ErrIncomparable) {
		t.Errorf("unknown tracer: %v, want ErrIncomparable", err)
	}
	if _, _, err := SplitTracers(r, "base", "base"); !errors.Is(err, ErrIncomparable) {
		t.Errorf("same tracer twice: %v, want ErrIncomparable", err)
	}
}
