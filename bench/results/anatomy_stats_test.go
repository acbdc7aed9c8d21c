package results

import (
	"math"
	"testing"
	"time"
)

// statsOffLadder is a ladder of set g with floor and full rungs run with
// program stats on and off, in 6 rounds: the stats-on baseline makes 100
// ops/s, the stats-off one 100 too; the stats-on floor loses 20 points,
// the stats-off floor 12; the full rungs lose 40 and 35.
func statsOffLadder() *Results {
	r := &Results{Schema: SchemaVersion, Complete: true}
	add := func(name, step string, mode Mode, stats, base bool) {
		v := Variant{Name: name, Mode: mode, Set: "g", Syscalls: []string{"getpid"}, Step: step, Stats: stats, Baseline: base}
		if base {
			v.Set, v.Syscalls = "", nil
		}
		if mode == ModeExitOnly {
			v.TOCTOU = TOCTOUNone
		}
		r.Variants = append(r.Variants, v)
	}
	add("baseline", "", ModeNone, true, true)
	add("baseline_nostats", "", ModeNone, false, true)
	add("g/enter_exit.floor", "floor", ModeEnterExit, true, false)
	add("g/enter_exit_nostats.floor", "floor", ModeEnterExit, false, false)
	add("g/enter_exit", "", ModeEnterExit, true, false)
	add("g/enter_exit_nostats", "", ModeEnterExit, false, false)
	tp := map[string]float64{"baseline": 100, "baseline_nostats": 100, "g/enter_exit.floor": 80, "g/enter_exit_nostats.floor": 88,
		"g/enter_exit": 60, "g/enter_exit_nostats": 65}
	for round := range 6 {
		for _, v := range r.Variants {
			// A little spread, the same in every variant.
			x := tp[v.Name] * (1 + 0.001*float64(round))
			if v.Baseline {
				x = tp[v.Name] * (1 + 0.001*float64(round))
			}
			run := Run{Variant: v.Name, Round: round, Wall: time.Second, Workload: Result{Throughput: x, Unit: "ops/s", Wall: time.Second}}
			if v.Stats && !v.Baseline {
				run.Programs = []ProgramStats{{Name: "sys_exit", Role: RoleExit, RunCount: 1000, RunTimeNs: 100_000}}
			}
			r.Runs = append(r.Runs, run)
		}
	}
	Derive(r)
	return r
}

// TestAnatomyStatsOff: each rung run with stats on and off is compared:
// what the stats cost there is the difference of the two overheads.
func TestAnatomyStatsOff(t *testing.T) {
	as := statsOffLadder().Anatomies(0)
	if len(as) != 1 {
		t.Fatalf("%d ladders", len(as))
	}
	sc := as[0].StatsOff
	if len(sc) != 2 {
		t.Fatalf("stats-off comparisons %+v, want floor and full of enter_exit", sc)
	}
	want := map[string][3]float64{"floor": {20, 12, 8}, "": {40, 35, 5}}
	for _, c := range sc {
		w, ok := want[c.Step]
		if !ok || c.Mode != ModeEnterExit {
			t.Errorf("unexpected comparison %+v", c)
			continue
		}
		if math.Abs(c.On.Median-w[0]) > 1e-6 || math.Abs(c.Off.Median-w[1]) > 1e-6 || math.Abs(c.CostPoints-w[2]) > 1e-6 {
			t.Errorf("step %q: on %.3f off %.3f cost %.3f; want %v", c.Step, c.On.Median, c.Off.Median, c.CostPoints, w)
		}
		if !c.Delta.Significant {
			t.Errorf("step %q: 6 rounds apart by %v points not significant: %+v", c.Step, w[2], c.Delta)
		}
	}
}
