package reports

import (
	"fmt"
	"math"

	"github.com/benchctl/benchctl/bench/results"
	"github.com/benchctl/benchctl/bench/stats"
	"github.com/benchctl/benchctl/internal/numfmt"
	"github.com/benchctl/benchctl/reports/page"
)

// anatomySection is "Where the time goes": for every set with a ladder
// of steps (scenarios/anatomy.yaml), each step's cost in kernel ns per
// syscall and in throughput points, enter_exit and exit_only side by
// side, and the most that removing the enter side can save.
func anatomySection(r *results.Results, opts Options) *page.Section {
	as := r.Anatomies(opts.SignificanceLevel())
	ocs := r.ReserveComparisons(opts.SignificanceLevel())
	if len(as) == 0 && len(ocs) == 0 {
		return nil
	}
	s := &page.Section{ID: "anatomy", Title: "Where the time goes", Charts: []string{ChartAnatomy}}
	s.Paras = append(s.Paras,
		"Each step adds one thing to the one above it, on every side the mode attaches (enter_exit: sys_enter and sys_exit; exit_only: sys_exit only), "+
			"so a step's cost is its difference from the step above (in parentheses, `~` when the two steps' runs do not differ significantly). "+
			"Kernel ns per syscall is what BPF stats see: the programs' run time over every syscall the machine made; they do not see the tracepoint's slow path or the trampoline around a program. "+
			"Overhead is the throughput lost against the round's baseline, in points. "+
			"Unseen is an estimate of the part of the overhead that the programs' run time does not explain: overhead minus kernel time as a share of the workload's wall time. "+
			"It assumes a serial workload, whose every syscall (and so every program run) is on its one critical path: with several threads on several CPUs, "+
			"kernel time spent in parallel is not all workload time lost, and the estimate is too high by that much. "+
			"Every rung runs with BPF_ENABLE_STATS on, whose two clock reads per program run lie mostly outside the run time measured: "+
			"where the scenario also runs a rung with stats off, a table below gives what the stats cost there.")
	for _, a := range as {
		sub := &page.Section{ID: "anatomy-" + page.Slug(a.Set), Title: "Set " + a.Set}
		t := page.NewTable("step", "enter_exit ns/syscall", "overhead", "unseen (estimate)", "exit_only ns/syscall", "overhead", "unseen (estimate)").AlignRight(1, 2, 3, 4, 5, 6)
		for _, row := range a.Rows {
			t.Add(results.LadderLabels[row.Step], nsCell(row.EE, row.Step), pointsCell(row.EE, row.Step), unseenCell(row.EE),
				nsCell(row.XO, row.Step), pointsCell(row.XO, row.Step), unseenCell(row.XO))
		}
		sub.Tables = append(sub.Tables, t)
		if len(a.StatsOff) > 0 {
			sub.Tables = append(sub.Tables, statsOffTable(a.StatsOff))
		}
		if l := a.Limit; l != nil {
			sub.Paras = append(sub.Paras, limitPara(l))
		} else {
			sub.Paras = append(sub.Paras, "No limit: the scenario has no `exit_side` step (enter_exit's exit side alone), which the limit is measured against.")
		}
		s.Sub = append(s.Sub, sub)
	}
	if len(ocs) > 0 {
		s.Sub = append(s.Sub, reserveSection(ocs))
	}
	return s
}

// reserveSection compares the variants that reserve fixed-size events in
// the ring with their twins that build them in the scratch buffer.
func reserveSection(ocs []results.OptionComparison) *page.Section {
	sub := &page.Section{ID: "anatomy-reserve", Title: "Fixed-size events reserved in the ring"}
	sub.Paras = append(sub.Paras, "With `reserve: true` the fixed-size events (generic events, the header-only step's) are written straight into space reserved in the ring buffer "+
		"instead of being built in the per-CPU scratch buffer and copied out with `bpf_ringbuf_output` (what every other event, and Falco's driver for its variable-size events, does). "+
		"The bytes sent are the same. Each row compares a variant with its twin without the option, measured in the same rounds; `~` is no significant difference.")
	t := page.NewTable("variant", "against", "metric", "without", "with", "change", "p").AlignRight(3, 4, 5, 6).AsCode(0, 1)
	c := page.NewCells(false)
	for _, oc := range ocs {
		for _, d := range oc.Deltas {
			k, base, head, label := d.Measure.Kind, d.Base, d.Head, d.Measure.Label
			if d.Measure.Key == "throughput_change" {
				label = "throughput vs baseline"
			}
			change := page.FormatChange(d.Delta)
			if k == results.KindPercent && d.Significant {
				// A change of a percentage is told in points.
				diff := head.Median - base.Median
				change = signed(numfmt.Points(math.Abs(diff)), diff)
			}
			t.Add(oc.Variant.Name, oc.Twin.Name, label, c.Summary(k, "", base), c.Summary(k, "", head), change, page.FormatP(d.Delta))
		}
	}
	sub.Tables = append(sub.Tables, t)
	return sub
}

func stepMark(d *stats.Delta) string {
	if d == nil || d.Significant {
		return ""
	}
	return " ~"
}

func nsCell(c *results.AnatomyCell, step string) string {
	if c == nil || !c.HasNs {
		return page.None
	}
	v := numfmt.Duration(c.NsPerSyscall.Median)
	if step == "none" {
		return "0"
	}
	if c.NsDelta != nil || c.From != "" {
		v += fmt.Sprintf(" (%s%s)", signed(numfmt.Duration(math.Abs(c.StepNs)), c.StepNs), stepMark(c.NsDelta))
	}
	return v
}

func pointsCell(c *results.AnatomyCell, step string) string {
	if c == nil || !c.HasOverhead {
		return page.None
	}
	if step == "none" {
		return "0"
	}
	v := numfmt.Points(c.Overhead.Median)
	if c.PointsDelta != nil || c.From != "" {
		v += fmt.Sprintf(" (%s%s)", signed(numfmt.Points(math.Abs(c.StepPoints)), c.StepPoints), stepMark(c.PointsDelta))
	}
	return v
}

func unseenCell(c *results.AnatomyCell) string {
	if c == nil || !c.HasUnseen {
		return page.None
	}
	return numfmt.Points(c.Unseen.Median)
}

func signed(abs string, v float64) string {
	if v < 0 {
		return "-" + abs
	}
	return "+" + abs
}

func limitPara(l *results.AnatomyLimit) string {
	p := fmt.Sprintf("The limit: removing everything enter-side from `%s` leaves its exit side alone (`%s`); ", page.SanitizeCode(l.EnterExitVariant), page.SanitizeCode(l.ExitSide))
	switch {
	case l.HasPoints && l.HasNs:
		p += fmt.Sprintf("that saves at most %s of throughput and %s per syscall. `%s` saves %s and %s",
			numfmt.Points(l.LimitPoints), numfmt.Duration(l.LimitNs), page.SanitizeCode(l.ExitOnlyVariant), numfmt.Points(l.GotPoints), numfmt.Duration(l.GotNs))
	case l.HasPoints:
		p += fmt.Sprintf("that saves at most %s of throughput. `%s` saves %s", numfmt.Points(l.LimitPoints), page.SanitizeCode(l.ExitOnlyVariant), numfmt.Points(l.GotPoints))
	case l.HasNs:
		p += fmt.Sprintf("that saves at most %s per syscall. `%s` saves %s", numfmt.Duration(l.LimitNs), page.SanitizeCode(l.ExitOnlyVariant), numfmt.Duration(l.GotNs))
	default:
		return p + "no figures to compare."
	}
	var shares []string
	if l.HasSharePoints {
		shares = append(shares, numfmt.Percent(100*l.SharePoints)+" of the throughput limit")
	}
	if l.HasShareNs {
		shares = append(shares, numfmt.Percent(100*l.ShareNs)+" of the kernel-time limit")
	}
	if len(shares) > 0 {
		p += ": " + shares[0]
		if len(shares) > 1 {
			p += " and " + shares[1]
		}
	}
	return p + ". The merged exit event carries the enter parameters, so exit_only's exit side costs more than enter_exit's: the gap between its saving and the limit."
}

// statsOffTable gives, per rung run with program stats on and off, both
// overheads and their difference: what BPF_ENABLE_STATS costs there.
func statsOffTable(scs []results.StatsCost) *page.Table {
	t := page.NewTable("step", "mode", "overhead, stats on", "overhead, stats off", "cost of the stats", "p").AlignRight(2, 3, 4, 5)
	for _, sc := range scs {
		cost := "~"
		if sc.Delta.Significant {
			cost = signed(numfmt.Points(math.Abs(sc.CostPoints)), sc.CostPoints)
			if sc.CostPoints >= 0 {
				cost = numfmt.Points(sc.CostPoints)
			}
		}
		t.Add(results.LadderLabels[sc.Step], string(sc.Mode), numfmt.Points(sc.On.Median), numfmt.Points(sc.Off.Median), cost, page.FormatP(sc.Delta))
	}
	t.Notes = append(t.Notes, "Each rung against the baseline of its own stats state (baseline, baseline_nostats); the cost of the stats is the stats-on overhead less the stats-off one, in points.")
	return t
}
