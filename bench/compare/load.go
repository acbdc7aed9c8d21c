package compare

import (
	"fmt"
	"sort"

	"github.com/benchctl/benchctl/bench/results"
)

// The load gate's defaults: a program's verified instructions may grow by
// DefaultLoadGrowth percent, and may use DefaultLoadLimit percent of the
// verifier's complexity limit (results.VerifierInsnLimit).
const (
	DefaultLoadGrowth = 10.0
	DefaultLoadLimit  = 80.0
)

// Load verdicts.
const (
	LoadOK = "ok"
	// LoadGrew: verified instructions grew by more than the growth
	// threshold.
	LoadGrew = "grew"
	// LoadNearLimit: the head's verified instructions passed the limit
	// share.
	LoadNearLimit = "near limit"
	// LoadRefused: the kernel refused the head's programs (and loaded the
	// base's, or refused them otherwise).
	LoadRefused = "refused"
)

// LoadRow compares the verified instructions of one program of one
// variant. These counts are exact (the verifier is deterministic for the
// same program on the same kernel), so the gate compares them as they
// are: no samples, no test.
type LoadRow struct {
	Variant, Program string
	// Base and Head are the verified instructions; 0 when the program is
	// not on that side (new or removed) or the kernel does not say.
	Base, Head uint32
	// Refusal is the head's refusal, for LoadRefused rows.
	Refusal *results.Refusal
	Verdict string
	// Why says why a row is not LoadOK, e.g. "+25.0% > 10%".
	Why string
}

// Regression tells whether the row fails the gate.
func (r LoadRow) Regression() bool { return r.Verdict != LoadOK }

// GrowthPct is the change of the verified instructions in percent; 0
// when the base has none.
func (r LoadRow) GrowthPct() float64 {
	if r.Base == 0 {
		return 0
	}
	return (float64(r.Head)/float64(r.Base) - 1) * 100
}

// LoadRegressions returns the load rows that fail the gate.
func (c *Comparison) LoadRegressions() []LoadRow {
	var out []LoadRow
	for _, r := range c.Load {
		if r.Regression() {
			out = append(out, r)
		}
	}
	return out
}

// gateLoad compares the load records of every variant of base found in
// head, program by program (matched by name): a head program is a
// regression when its verified instructions grew by more than growth
// percent, or pass limit percent of results.VerifierInsnLimit; a head the
// kernel refused is a regression unless the base was refused the same
// way. Variants without load records on either side are left out (files
// from before they were recorded, the baseline).
func gateLoad(base, head *results.Results, growth, limit float64) (rows []LoadRow, warnings []string) {
	for _, v := range base.Variants {
		bl, hl := base.LoadOf(v.Name), head.LoadOf(v.Name)
		if hl == nil || bl == nil {
			if (hl == nil) != (bl == nil) {
				where := "base"
				if hl == nil {
					where = "head"
				}
				warnings = append(warnings, fmt.Sprintf("%s: %s has no load record; its load is not gated", v.Name, where))
			}
			continue
		}
		if f := hl.Refusal; f != nil {
			row := LoadRow{Variant: v.Name, Program: f.Program, Refusal: f, Verdict: LoadRefused, Why: f.String()}
			if bf := bl.Refusal; bf != nil && bf.Kind == f.Kind && bf.Program == f.Program {
				row.Verdict, row.Why = LoadOK, "refused on both sides: "+f.String()
			}
			rows = append(rows, row)
			continue
		}
		baseInsns := map[string]uint32{}
		for _, p := range bl.Programs {
			baseInsns[p.Name] = max(baseInsns[p.Name], p.VerifiedInsns)
		}
		headInsns := map[string]uint32{}
		for _, p := range hl.Programs {
			headInsns[p.Name] = max(headInsns[p.Name], p.VerifiedInsns)
		}
		names := make([]string, 0, len(headInsns))
		for n := range headInsns {
			names = append(names, n)
		}
		sort.Strings(names)
		for _, n := range names {
			row := LoadRow{Variant: v.Name, Program: n, Base: baseInsns[n], Head: headInsns[n], Verdict: LoadOK}
			share := 100 * float64(row.Head) / results.VerifierInsnLimit
			switch {
			case share > limit:
				row.Verdict, row.Why = LoadNearLimit, fmt.Sprintf("%.1f%% of the 1,000,000-instruction limit > %g%%", share, limit)
			case row.Base > 0 && row.GrowthPct() > growth:
				row.Verdict, row.Why = LoadGrew, fmt.Sprintf("%+.1f%% > %g%%", row.GrowthPct(), growth)
			}
			rows = append(rows, row)
		}
	}
	return rows, warnings
}
