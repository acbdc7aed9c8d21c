package compare

import (
	"errors"
	"slices"
	"testing"

	"github.com/benchctl/benchctl/bench/results"
	"github.com/benchctl/benchctl/bench/stats"
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

// pairedFile is one file with tracers base and head measured in the
// same 8 rounds: ns per syscall drifts ±20% from round to round on both
// alike, and head is headPct percent slower in every round.
func pairedFile(headPct float64) *results.Results {
	r := &results.Results{Schema: results.SchemaVersion, Scenario: results.ScenarioInfo{Name: "gate"}, Complete: true}
	r.Variants = []results.Variant{
		{Name: "baseline", Mode: "none", Baseline: true, Stats: true},
		{Name: "s/base", Mode: results.ModeExternal, Tracer: "base", Set: "s", Stats: true},
		{Name: "s/head", Mode: results.ModeExternal, Tracer: "head", Set: "s", Stats: true},
	}
	drift := []float64{100, 120, 85, 110, 95, 130, 90, 105}
	for round, d := range drift {
		ns := map[string]float64{"s/base": d, "s/head": d * (1 + headPct/100)}
		r.Runs = append(r.Runs, results.Run{Variant: "baseline", Round: round, Workload: results.Result{Throughput: 1000}})
		for _, name := range []string{"s/base", "s/head"} {
			r.Runs = append(r.Runs, results.Run{Variant: name, Round: round, Workload: results.Result{Throughput: 900},
				Programs: []results.ProgramStats{{Name: "sys_exit", Role: results.RoleExit, RunCount: 1000, RunTimeNs: uint64(1000 * ns[name])}}})
		}
	}
	results.Derive(r)
	return r
}

// TestComparePairedRounds: base and head measured in the same rounds
// are compared round by round (Wilcoxon signed-rank): head 8% slower in
// every round under ±20% shared drift is a regression there, while
// Mann-Whitney over the two samples cannot tell it from the drift
// (inconclusive); the test that decided is named.
func TestComparePairedRounds(t *testing.T) {
	base, head, err := SplitTracers(pairedFile(8), "base", "head")
	if err != nil {
		t.Fatal(err)
	}
	th := map[string]float64{"ns_per_syscall": 5}
	paired, err := Compare(base, head, CompareOptions{Thresholds: th, Paired: true})
	if err != nil {
		t.Fatal(err)
	}
	independent, err := Compare(base, head, CompareOptions{Thresholds: th})
	if err != nil {
		t.Fatal(err)
	}
	rowOf := func(c *Comparison) GateRow {
		for _, row := range c.Rows {
			if row.Variant == "s/tracer" && row.Metric == "ns_per_syscall" {
				return row
			}
		}
		t.Fatalf("no s/tracer ns_per_syscall row in %+v", c.Rows)
		return GateRow{}
	}
	p, u := rowOf(paired), rowOf(independent)
	if paired.Test() != stats.TestWilcoxon || p.Test != stats.TestWilcoxon || p.Verdict != stats.VerdictRegression || p.P != 2.0/256 {
		t.Errorf("paired: test %s/%s, verdict %q, p %v; want Wilcoxon, regression, 2/256", paired.Test(), p.Test, p.Verdict, p.P)
	}
	if independent.Test() != stats.TestMannWhitney || u.Test != stats.TestMannWhitney || u.Verdict != stats.VerdictInconclusive {
		t.Errorf("independent: test %s, verdict %q (p %v, mdc %v); want Mann-Whitney, inconclusive", u.Test, u.Verdict, u.P, u.MDC)
	}
	if !(p.MDC < 5) || !(u.MDC > 5) {
		t.Errorf("minimum detectable change: paired %v, independent %v; want < 5 and > 5", p.MDC, u.MDC)
	}

	// The same build on both sides: no change, decided by the pairs.
	base, head, _ = SplitTracers(pairedFile(0), "base", "head")
	aa, err := Compare(base, head, CompareOptions{Thresholds: th, Paired: true})
	if err != nil {
		t.Fatal(err)
	}
	if row := rowOf(aa); row.Verdict != stats.VerdictNoChange || aa.Status() != StatusPass {
		t.Errorf("A/A: %q (%s), status %q; want no change, pass", row.Verdict, row.Reason, aa.Status())
	}
}

// TestSplitTracersProvenance: each side of an interleaved file keeps the
// provenance of its own tracer only, so the comparison names which
// binary was base and which head.
func TestSplitTracersProvenance(t *testing.T) {
	r := pairedFile(0)
	r.Provenance = &results.Provenance{Tracers: []results.TracerProvenance{
		{Name: "base", Argv: []string{"/ci/bin/benchctl-base", "trace", "--count"}, Executable: "/ci/bin/benchctl-base", SHA256: "aa11"},
		{Name: "head", Argv: []string{"/ci/bin/benchctl-head", "trace", "--count"}, Executable: "/ci/bin/benchctl-head", SHA256: "bb22"},
	}}
	base, head, err := SplitTracers(r, "base", "head")
	if err != nil {
		t.Fatal(err)
	}
	c, err := Compare(base, head, CompareOptions{Paired: true})
	if err != nil {
		t.Fatal(err)
	}
	if c.Base.Tracer == nil || c.Base.Tracer.SHA256 != "aa11" || c.Head.Tracer == nil || c.Head.Tracer.Executable != "/ci/bin/benchctl-head" {
		t.Errorf("sides' tracers: base %+v, head %+v", c.Base.Tracer, c.Head.Tracer)
	}
	if len(r.Provenance.Tracers) != 2 {
		t.Error("SplitTracers changed its input's provenance")
	}
}
