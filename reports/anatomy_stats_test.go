package reports

import (
	"strings"
	"testing"
	"time"

	"github.com/benchctl/benchctl/bench/results"
)

// TestAnatomyStatsOffTable: a ladder whose floor and full rungs also ran
// with stats off gets a table of what the stats cost at each, and the
// unseen column is labelled an estimate with its serial-workload
// assumption.
func TestAnatomyStatsOffTable(t *testing.T) {
	r := &results.Results{Schema: results.SchemaVersion, Complete: true}
	tp := map[string]float64{}
	add := func(name, step string, stats, base bool, throughput float64) {
		v := results.Variant{Name: name, Mode: results.ModeEnterExit, Set: "g", Syscalls: []string{"getpid"}, Step: step, Stats: stats, Baseline: base}
		if base {
			v.Mode, v.Set, v.Syscalls = results.ModeNone, "", nil
		}
		r.Variants = append(r.Variants, v)
		tp[name] = throughput
	}
	add("baseline", "", true, true, 100)
	add("baseline_nostats", "", false, true, 100)
	add("g/enter_exit.floor", "floor", true, false, 80)
	add("g/enter_exit_nostats.floor", "floor", false, false, 88)
	add("g/enter_exit", "", true, false, 60)
	add("g/enter_exit_nostats", "", false, false, 65)
	for round := range 6 {
		for _, v := range r.Variants {
			run := results.Run{Variant: v.Name, Round: round, Wall: time.Second,
				Workload: results.Result{Throughput: tp[v.Name] * (1 + 0.001*float64(round)), Unit: "ops/s", Wall: time.Second}}
			if v.Stats && !v.Baseline {
				run.Programs = []results.ProgramStats{{Name: "sys_exit", Role: results.RoleExit, RunCount: 1000, RunTimeNs: 100_000}}
			}
			r.Runs = append(r.Runs, run)
		}
	}
	results.Derive(r)
	md := string(render(t, r, FormatMarkdown, Options{}))
	sec := mdSection(md, "## Where the time goes")
	for _, want := range []string{
		"| empty programs attached | enter_exit | 20.0 pts | 12.0 pts | 8.0 pts |",
		"| full fillers (counting consumer) | enter_exit | 40.0 pts | 35.0 pts | 5.0 pts |",
		"unseen (estimate)",
		"serial",
	} {
		if !strings.Contains(sec, want) {
			t.Errorf("section lacks %q:\n%s", want, sec)
		}
	}
}
