package main

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/benchctl/benchctl/bench"
	"github.com/benchctl/benchctl/bench/results"
	"github.com/benchctl/benchctl/bench/scenario"
	"github.com/benchctl/benchctl/internal/numfmt"
	"github.com/benchctl/benchctl/reports/page"
)

// capacitySettings are sc's capacity settings, the generator's threads
// filled in from the workload when the section names none.
func capacitySettings(sc *scenario.Scenario) results.CapacitySettings {
	set := sc.Capacity.CapacitySettings
	if set.Threads == 0 {
		set.Threads = max(sc.Workload.Syscalls.Threads, 1)
	}
	return set
}

// runScenario runs sc's capacity search when it has a capacity section,
// its rounds otherwise.
func runScenario(ctx context.Context, runner *bench.Runner, sc *scenario.Scenario) (*results.Results, error) {
	if sc.Capacity != nil {
		return runner.RunCapacity(ctx, capacitySettings(sc))
	}
	return runner.Run(ctx)
}

// printCapacityPlan says what a capacity run would do, and roughly how
// long: a search takes about 8 steps, each between min_step and max_step
// plus loading the probes or starting the tracer.
func printCapacityPlan(w io.Writer, sc *scenario.Scenario, vs []results.Variant) {
	set := capacitySettings(sc)
	n := 0
	for _, v := range vs {
		if !v.Baseline && v.Mode != results.ModeNone && v.Mode != results.ModeFloor && v.Step == "" {
			n++
		}
	}
	fmt.Fprintf(w, "\n%s; %d generator thread(s)\n", sc.Capacity.Describe(), set.Threads)
	const steps = 8
	lo := time.Duration(n*set.Repeats*steps) * (set.MinStep + 300*time.Millisecond)
	hi := time.Duration(n*set.Repeats*steps) * (set.MaxStep + 300*time.Millisecond)
	fmt.Fprintf(w, "%d variants searched (the baseline and floor are not) × %d searches × about %d steps: between %s and %s\n",
		n, set.Repeats, steps, lo.Round(time.Second), hi.Round(time.Second))
}

// printCapacitySummary prints each searched variant's capacity.
func printCapacitySummary(w io.Writer, res *results.Results) {
	header := []string{"variant", "searches", "capacity (syscalls/s)", "events/s", "limit"}
	right := []bool{false, true, true, true, false}
	var rows [][]string
	for _, c := range res.Capacity {
		sum, ok := c.Summary()
		if !ok {
			why := "no search finished"
			if c.Error != "" {
				why = c.Error
			}
			rows = append(rows, []string{c.Variant, "0", "-", "-", why})
			continue
		}
		capCell := numfmt.Short(sum.Syscalls.Median)
		if sum.LowerOnly {
			capCell = "≥ " + capCell
		}
		rows = append(rows, []string{c.Variant, fmt.Sprint(sum.Searches), capCell, numfmt.Short(sum.Events.Median), sum.Limit})
	}
	_ = page.WriteTextTable(w, "", header, rows, right)
	if !res.Complete {
		fmt.Fprintf(w, "\nincomplete: %s\n", res.Reason)
	}
}

// consumerString names a consumer cost for validate's variant table.
func consumerString(c results.ConsumerCost) string {
	switch {
	case c.Stateful && c.Spin > 0:
		return "stateful + spin " + c.Spin.String()
	case c.Stateful:
		return "stateful"
	}
	return "spin " + c.Spin.String()
}

// doneCount says how much an incomplete results file holds: runs, or a
// capacity run's steps.
func doneCount(res *results.Results) string {
	if len(res.Capacity) > 0 {
		steps := 0
		for _, c := range res.Capacity {
			steps += len(c.Steps)
		}
		return fmt.Sprintf("%d capacity steps", steps)
	}
	return fmt.Sprintf("%d runs", len(res.Runs))
}
