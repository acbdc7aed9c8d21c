package compare

import (
	"math"
	"testing"
	"time"

	"github.com/benchctl/benchctl/bench/results"
	"github.com/benchctl/benchctl/probes"
	"github.com/benchctl/benchctl/workloads"
)

// anatomyResults is a hand-made ladder on set g, 6 rounds, 1000 syscalls
// and 1 ms of workload a run, the baseline at 100 ops/s:
//
//	variant          enter ns  exit ns  ns/syscall  throughput  overhead  seen (K/W)  unseen
//	ee.floor         50        50       100         80          20        10          10
//	ee.dispatch      60        60       120         78          22        12          10
//	ee (full)        150       150      300         60          40        30          10
//	ee.exit_side     -         140      140         75          25        14          11
//	xo.floor         -         50       50          88          12        5           7
//	xo (full)        -         200      200         70          30        20          10
//
// Limit: 40 - 25 = 15 points, 300 - 140 = 160 ns; exit_only gets
// 40 - 30 = 10 points (2/3) and 300 - 200 = 100 ns (62.5%).
func anatomyResults() *results.Results {
	r := &results.Results{Variants: []results.Variant{{Name: "baseline", Mode: probes.ModeNone, Stats: true, Baseline: true}}}
	type spec struct {
		name        string
		mode        probes.Mode
		step        string
		enter, exit uint64
		throughput  float64
	}
	specs := []spec{
		{"g/enter_exit.floor", probes.ModeEnterExit, "floor", 50, 50, 80},
		{"g/enter_exit.dispatch", probes.ModeEnterExit, "dispatch", 60, 60, 78},
		{"g/enter_exit", probes.ModeEnterExit, "", 150, 150, 60},
		{"g/enter_exit.exit_side", probes.ModeEnterExit, "exit_side", 0, 140, 75},
		{"g/exit_only.floor", probes.ModeExitOnly, "floor", 0, 50, 88},
		{"g/exit_only", probes.ModeExitOnly, "", 0, 200, 70},
	}
	for _, s := range specs {
		v := results.Variant{Name: s.name, Mode: s.mode, Set: "g", Syscalls: []string{"getpid"}, Stats: true, Step: s.step}
		if s.mode == probes.ModeExitOnly {
			v.TOCTOU = probes.TOCTOUNone
		}
		r.Variants = append(r.Variants, v)
	}
	for round := range 6 {
		r.Runs = append(r.Runs, results.Run{Variant: "baseline", Round: round, Wall: time.Millisecond,
			Workload: workloads.Result{Throughput: 100, Unit: "ops/s", Wall: time.Millisecond}})
		for _, s := range specs {
			enterName, exitName := "sys_enter", "sys_exit"
			if s.step == "floor" {
				enterName, exitName = "floor_enter", "floor_exit"
			}
			run := results.Run{Variant: s.name, Round: round, Wall: time.Millisecond,
				Workload: workloads.Result{Throughput: s.throughput, Unit: "ops/s", Wall: time.Millisecond}}
			if s.enter > 0 {
				run.Programs = append(run.Programs, probes.ProgramStats{Name: enterName, Role: probes.RoleEnter, RunCount: 1000, RunTimeNs: 1000 * s.enter})
			}
			run.Programs = append(run.Programs, probes.ProgramStats{Name: exitName, Role: probes.RoleExit, RunCount: 1000, RunTimeNs: 1000 * s.exit})
			r.Runs = append(r.Runs, run)
		}
	}
	results.Derive(r)
	return r
}

// anatomyFixture is anatomyResults as a results file (testdata/anatomy.json).
func anatomyFixture() *results.Results {
	r := anatomyResults()
	start := time.Date(2026, 11, 27, 9, 0, 0, 0, time.UTC)
	r.Schema, r.Seed, r.Complete, r.Started, r.Finished = results.SchemaVersion, 5, true, start, start.Add(time.Minute)
	r.Scenario = results.ScenarioInfo{Name: "anatomy", File: "scenarios/anatomy.yaml", Workload: "syscalls: getpid", Repetitions: 6}
	r.Environment = results.Environment{Kernel: "6.18.0-test", Arch: "amd64", CPUs: 2, ClockSource: "tsc", StatsMethod: "BPF_ENABLE_STATS"}
	return r
}

func TestAnatomies(t *testing.T) {
	as := anatomyResults().Anatomies(0.05)
	if len(as) != 1 || as[0].Set != "g" {
		t.Fatalf("anatomies %+v", as)
	}
	a := as[0]
	near := func(a, b float64) bool { return math.Abs(a-b) < 1e-9 }
	type want struct {
		step                      string
		eeNs, eeStepNs, eePts     float64
		eeStepPts, eeUnseen       float64
		xo                        bool
		xoNs, xoStepNs, xoPts     float64
		xoStepPts, xoUnseen       float64
		eeFrom, xoFrom            string
		eeSignificant, noEEUnseen bool
	}
	wants := []want{
		{step: "none", xo: true, noEEUnseen: true},
		{step: "floor", eeNs: 100, eeStepNs: 100, eePts: 20, eeStepPts: 20, eeUnseen: 10, xo: true, xoNs: 50, xoStepNs: 50, xoPts: 12, xoStepPts: 12, xoUnseen: 7, eeFrom: "none", xoFrom: "none"},
		{step: "dispatch", eeNs: 120, eeStepNs: 20, eePts: 22, eeStepPts: 2, eeUnseen: 10, eeFrom: "floor"},
		{step: "", eeNs: 300, eeStepNs: 180, eePts: 40, eeStepPts: 18, eeUnseen: 10, xo: true, xoNs: 200, xoStepNs: 150, xoPts: 30, xoStepPts: 18, xoUnseen: 10, eeFrom: "dispatch", xoFrom: "floor"},
	}
	if len(a.Rows) != len(wants) {
		t.Fatalf("%d rows, want %d: %+v", len(a.Rows), len(wants), a.Rows)
	}
	for i, w := range wants {
		row := a.Rows[i]
		if row.Step != w.step {
			t.Errorf("row %d: step %q, want %q", i, row.Step, w.step)
			continue
		}
		if w.step == "none" {
			if row.EE == nil || row.EE.Variant != "baseline" || row.EE.HasUnseen {
				t.Errorf("baseline row %+v", row.EE)
			}
			continue
		}
		ee := row.EE
		if ee == nil || !near(ee.NsPerSyscall.Median, w.eeNs) || !near(ee.StepNs, w.eeStepNs) || !near(ee.Overhead.Median, w.eePts) ||
			!near(ee.StepPoints, w.eeStepPts) || !near(ee.Unseen.Median, w.eeUnseen) || ee.From != w.eeFrom {
			t.Errorf("%q enter_exit: %+v", w.step, ee)
		} else if w.step == "floor" && (ee.NsDelta != nil || ee.PointsDelta != nil) {
			t.Errorf("floor: a test against the baseline, which has no samples of its own: %+v", ee)
		} else if w.step != "floor" && (ee.NsDelta == nil || !ee.NsDelta.Significant || ee.PointsDelta == nil || !ee.PointsDelta.Significant) {
			t.Errorf("%q enter_exit: steps of constant samples not significant: %+v %+v", w.step, ee.NsDelta, ee.PointsDelta)
		}
		if !w.xo {
			if row.XO != nil {
				t.Errorf("%q: exit_only cell %+v, want none", w.step, row.XO)
			}
			continue
		}
		xo := row.XO
		if xo == nil || !near(xo.NsPerSyscall.Median, w.xoNs) || !near(xo.StepNs, w.xoStepNs) || !near(xo.Overhead.Median, w.xoPts) ||
			!near(xo.StepPoints, w.xoStepPts) || !near(xo.Unseen.Median, w.xoUnseen) || xo.From != w.xoFrom {
			t.Errorf("%q exit_only: %+v", w.step, xo)
		}
	}
	l := a.Limit
	if l == nil || l.ExitSide != "g/enter_exit.exit_side" || !near(l.LimitPoints, 15) || !near(l.GotPoints, 10) || !near(l.SharePoints, 2.0/3) ||
		!near(l.LimitNs, 160) || !near(l.GotNs, 100) || !near(l.ShareNs, 0.625) {
		t.Errorf("limit %+v", l)
	}
	// The ladder's steps are not enter_exit → exit_only pairs; the full
	// modes still are.
	pairs := anatomyResults().ModePairs()
	if len(pairs) != 1 || pairs[0].EnterExit.Name != "g/enter_exit" || pairs[0].ExitOnly.Name != "g/exit_only" {
		t.Errorf("pairs %+v", pairs)
	}
}
