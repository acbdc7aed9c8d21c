package results

import (
	"math"

	"github.com/benchctl/benchctl/bench/stats"
)

// The cost anatomy: a ladder of probe variants (see Step and
// StepNames), each adding one thing to the one before on every side its
// mode attaches, so the difference between neighbours is what that thing
// costs: in kernel ns per syscall (what BPF stats see) and in points of
// the workload's throughput (what the workload feels).

// LadderSteps are the rows of the ladder, in order: "none" is the
// baseline, "" the full mode.
var LadderSteps = []string{"none", "floor", "dispatch", "tailcall", "stamp", "header", "", "decode"}

// LadderLabels name the ladder's rows.
var LadderLabels = map[string]string{
	"none":     "nothing attached",
	"floor":    "empty programs attached",
	"dispatch": "dispatcher: id, interesting lookup",
	"tailcall": "+ tail call into an empty program",
	"stamp":    "+ event built, counted, timestamped",
	"header":   "+ written into the ring",
	"":         "full fillers (counting consumer)",
	"decode":   "+ consumer decoding every event",
}

// AnatomyCell is one mode's variant at one step.
type AnatomyCell struct {
	Variant string
	// NsPerSyscall and Overhead (throughput points lost against the
	// round's baseline) summarize its runs; Unseen is the overhead the
	// programs' run time does not explain (see the unseen_overhead
	// measure). ok false when the variant has no such figure.
	NsPerSyscall, Overhead, Unseen stats.Summary
	HasNs, HasOverhead, HasUnseen  bool
	// StepNs and StepPoints are what this step adds to the previous step
	// present in the ladder (medians' difference), with the Mann-Whitney
	// comparison of the two samples.
	StepNs, StepPoints   float64
	NsDelta, PointsDelta *stats.Delta
	// From is the step the difference is taken from.
	From string
}

// AnatomyRow is one step of the ladder, for both modes.
type AnatomyRow struct {
	Step   string
	EE, XO *AnatomyCell // nil when the scenario has no such variant
}

// AnatomyLimit is the most that removing the enter side can save, and
// what exit_only gets of it, in points of throughput and in kernel ns per
// syscall: the limit is enter_exit against its own exit side alone
// (step exit_side), exit_only's gain is enter_exit against exit_only.
type AnatomyLimit struct {
	ExitSide                          string // the exit_side variant
	LimitPoints, GotPoints            float64
	LimitNs, GotNs                    float64
	HasPoints, HasNs                  bool
	SharePoints, ShareNs              float64 // Got / Limit, when the limit is positive
	HasSharePoints, HasShareNs        bool
	EnterExitVariant, ExitOnlyVariant string
}

// Anatomy is the ladder of one syscall set.
type Anatomy struct {
	Set   string
	Rows  []AnatomyRow
	Limit *AnatomyLimit
	// StatsOff compares the rungs run with program stats on and off.
	StatsOff []StatsCost
}

// ladderVariant finds benchctl's variant of set, mode and step with
// stats on and toctou none.
func (r *Results) ladderVariant(set string, mode Mode, step string) (Variant, bool) {
	for _, v := range r.Variants {
		if v.Set == set && v.Mode == mode && v.Step == step && v.Stats && !v.External() && !v.Reserve &&
			(v.TOCTOU == "" || v.TOCTOU == TOCTOUNone) {
			return v, true
		}
	}
	return Variant{}, false
}

// Anatomies returns the ladder of every set that has at least one step
// other than the full modes; alpha is the significance level of the step
// comparisons.
func (r *Results) Anatomies(alpha float64) []Anatomy {
	var out []Anatomy
	for _, set := range r.Sets() {
		partial := false
		for _, v := range r.Variants {
			if v.Set == set && v.Step != "" && v.Step != StepDecode {
				partial = true
			}
		}
		if !partial {
			continue
		}
		a := Anatomy{Set: set}
		for _, step := range LadderSteps {
			row := AnatomyRow{Step: step}
			if step == "none" {
				row.EE, row.XO = r.baselineCell(), r.baselineCell()
			} else {
				row.EE = r.anatomyCell(set, ModeEnterExit, step)
				row.XO = r.anatomyCell(set, ModeExitOnly, step)
			}
			if row.EE != nil || row.XO != nil {
				a.Rows = append(a.Rows, row)
			}
		}
		r.stepDiffs(a.Rows, func(row AnatomyRow) *AnatomyCell { return row.EE }, alpha)
		r.stepDiffs(a.Rows, func(row AnatomyRow) *AnatomyCell { return row.XO }, alpha)
		a.Limit = r.anatomyLimit(set, a.Rows)
		a.StatsOff = r.statsCosts(set, alpha)
		out = append(out, a)
	}
	return out
}

func (r *Results) baselineCell() *AnatomyCell {
	for _, v := range r.Variants {
		if v.Baseline && v.Stats {
			return &AnatomyCell{Variant: v.Name, HasNs: true, HasOverhead: true}
		}
	}
	return nil
}

func (r *Results) anatomyCell(set string, mode Mode, step string) *AnatomyCell {
	v, ok := r.ladderVariant(set, mode, step)
	if !ok {
		return nil
	}
	vs := r.SummarizeVariant(v.Name)
	c := &AnatomyCell{Variant: v.Name}
	if ms, ok := vs.Get("ns_per_syscall"); ok {
		c.NsPerSyscall, c.HasNs = ms.Summary, true
	}
	if ms, ok := vs.Get("throughput_change"); ok {
		c.Overhead, c.HasOverhead = ms.Summary.Negated(), true
	}
	if ms, ok := vs.Get("unseen_overhead"); ok {
		c.Unseen, c.HasUnseen = ms.Summary, true
	}
	return c
}

// stepDiffs fills each cell's step cost against the previous cell of the
// same mode that has the figure.
func (r *Results) stepDiffs(rows []AnatomyRow, cell func(AnatomyRow) *AnatomyCell, alpha float64) {
	var prevNs, prevPts *AnatomyCell
	var prevNsStep, prevPtsStep string
	for _, row := range rows {
		c := cell(row)
		if c == nil {
			continue
		}
		if row.Step != "none" {
			if c.HasNs && prevNs != nil {
				c.StepNs = c.NsPerSyscall.Median - prevNs.NsPerSyscall.Median
				c.From = prevNsStep
				if len(prevNs.NsPerSyscall.Values) > 0 {
					d := stats.CompareSamples(prevNs.NsPerSyscall.Values, c.NsPerSyscall.Values, alpha)
					c.NsDelta = &d
				}
			}
			if c.HasOverhead && prevPts != nil {
				c.StepPoints = c.Overhead.Median - prevPts.Overhead.Median
				c.From = prevPtsStep
				if len(prevPts.Overhead.Values) > 0 {
					d := stats.CompareSamples(prevPts.Overhead.Values, c.Overhead.Values, alpha)
					c.PointsDelta = &d
				}
			}
		}
		if c.HasNs {
			prevNs, prevNsStep = c, row.Step
		}
		if c.HasOverhead {
			prevPts, prevPtsStep = c, row.Step
		}
	}
}

// anatomyLimit compares the full modes of rows with enter_exit's exit
// side alone; nil without an exit_side variant.
func (r *Results) anatomyLimit(set string, rows []AnatomyRow) *AnatomyLimit {
	es := r.anatomyCell(set, ModeEnterExit, string(StepExitSide))
	var ee, xo *AnatomyCell
	for _, row := range rows {
		if row.Step == "" {
			ee, xo = row.EE, row.XO
		}
	}
	if ee == nil || xo == nil || es == nil {
		return nil
	}
	l := &AnatomyLimit{ExitSide: es.Variant, EnterExitVariant: ee.Variant, ExitOnlyVariant: xo.Variant}
	if ee.HasOverhead && xo.HasOverhead && es.HasOverhead {
		l.HasPoints = true
		l.LimitPoints = ee.Overhead.Median - es.Overhead.Median
		l.GotPoints = ee.Overhead.Median - xo.Overhead.Median
		if l.LimitPoints > 0 {
			l.SharePoints, l.HasSharePoints = l.GotPoints/l.LimitPoints, true
		}
	}
	if ee.HasNs && xo.HasNs && es.HasNs {
		l.HasNs = true
		l.LimitNs = ee.NsPerSyscall.Median - es.NsPerSyscall.Median
		l.GotNs = ee.NsPerSyscall.Median - xo.NsPerSyscall.Median
		if l.LimitNs > 0 {
			l.ShareNs, l.HasShareNs = l.GotNs/l.LimitNs, true
		}
	}
	return l
}

// unseenOverhead is the throughput loss (points) that the programs' run
// time does not explain: overhead minus the programs' kernel time as a
// share of the workload's wall time. The programs run on the workload's
// syscalls, so each ns of them is at most one ns of the workload's time;
// what remains is what BPF stats cannot see: the tracepoint's slow path,
// the trampoline, cache and TLB effects, and the consumer's competition
// for the CPUs.
func unseenOverhead(v Variant, run Run) (float64, bool) {
	o, ok := overhead(v, run)
	if !ok || !v.Stats || v.External() || run.Derived.KernelTimeNs == 0 {
		return 0, false
	}
	wall := run.Workload.Wall
	if wall <= 0 {
		wall = run.Wall
	}
	if wall <= 0 {
		return 0, false
	}
	seen := 100 * float64(run.Derived.KernelTimeNs) / float64(wall.Nanoseconds())
	if math.IsNaN(seen) || math.IsInf(seen, 0) {
		return 0, false
	}
	return o - seen, true
}

// OptionComparison compares a variant that turns a probe option on (e.g.
// Reserve) with its twin without it, in the same run.
type OptionComparison struct {
	Option        string
	Variant, Twin Variant
	// Deltas are twin → variant, for ns_per_event, ns_per_syscall and
	// overhead (points, as a throughput_change negated).
	Deltas []MeasureDelta
}

// OptionMeasures are what an option comparison compares.
var OptionMeasures = []string{"ns_per_event", "ns_per_syscall", "throughput_change"}

// ReserveComparisons pairs every variant with Reserve set with the
// variant that differs from it only by Reserve.
func (r *Results) ReserveComparisons(alpha float64) []OptionComparison {
	var out []OptionComparison
	for _, v := range r.Variants {
		if !v.Reserve {
			continue
		}
		for _, t := range r.Variants {
			if t.Reserve || t.Mode != v.Mode || t.Set != v.Set || t.Step != v.Step || t.Stats != v.Stats || t.TOCTOU != v.TOCTOU || t.External() {
				continue
			}
			oc := OptionComparison{Option: "reserve", Variant: v, Twin: t}
			for _, key := range OptionMeasures {
				m, _ := MeasureByKey(key)
				a, _ := r.Sample(t.Name, m)
				b, _ := r.Sample(v.Name, m)
				if len(a) == 0 || len(b) == 0 {
					continue
				}
				oc.Deltas = append(oc.Deltas, MeasureDelta{Measure: m, Delta: stats.CompareSamples(a, b, alpha)})
			}
			out = append(out, oc)
			break
		}
	}
	return out
}
