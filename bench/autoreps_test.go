package bench

import (
	"context"
	"encoding/json"
	"math"
	"strings"
	"testing"

	"github.com/benchctl/benchctl/bench/results"
	"github.com/benchctl/benchctl/bench/scenario"
	"github.com/benchctl/benchctl/probes"
	"github.com/benchctl/benchctl/workloads"
)

func workloadResult(throughput float64) workloads.Result {
	return workloads.Result{Throughput: throughput, Unit: "ops/s"}
}

func progs(name string, runs, ns uint64) []probes.ProgramStats {
	return []probes.ProgramStats{{Name: name, Role: results.ProgramRole(name), RunCount: runs, RunTimeNs: ns}}
}

func TestParseRepetitions(t *testing.T) {
	head := "workload: {type: syscalls, mix: getpid, count: 1000}\nsets: {a: [getpid]}\nmodes: [exit_only]\n"
	for _, tc := range []struct {
		yaml     string
		reps     int
		auto     *results.AutoRepetitions
		errorHas string
	}{
		{"", scenario.DefaultRepetitions, nil, ""},
		{"repetitions: 8", 8, nil, ""},
		{"repetitions: auto", results.DefaultAutoMax, &results.AutoRepetitions{Min: 6, Max: 20}, ""},
		{"repetitions: {min: 7, max: 12, half_width: 1.5}", 12, &results.AutoRepetitions{Min: 7, Max: 12, HalfWidth: 1.5}, ""},
		{"repetitions: {max: 30}", 30, &results.AutoRepetitions{Min: 6, Max: 30}, ""},
		{"repetitions: {min: 9, max: 8}", 0, nil, "repetitions max 8 is below min 9"},
		{"repetitions: {min: 6, half_width: 0}", 0, nil, "half_width must be above 0"},
		{"repetitions: {mn: 6}", 0, nil, `unknown key "mn"`},
		{"repetitions: lots", 0, nil, `repetitions must be a whole number or auto, not "lots"`},
		{"repetitions: 0", 0, nil, "repetitions 0 is out of range"},
	} {
		sc, err := scenario.ParseBytes("t.yaml", []byte(head+tc.yaml+"\n"))
		if tc.errorHas != "" {
			if err == nil || !strings.Contains(err.Error(), tc.errorHas) {
				t.Errorf("%q: error %v, want one with %q", tc.yaml, err, tc.errorHas)
			}
			continue
		}
		if err != nil {
			t.Errorf("%q: %v", tc.yaml, err)
			continue
		}
		if sc.Repetitions != tc.reps {
			t.Errorf("%q: %d repetitions, want %d", tc.yaml, sc.Repetitions, tc.reps)
		}
		if (sc.Auto == nil) != (tc.auto == nil) || (sc.Auto != nil && *sc.Auto != *tc.auto) {
			t.Errorf("%q: auto %+v, want %+v", tc.yaml, sc.Auto, tc.auto)
		}
	}
}

// TestIntervalWidths: six runs give a median's 95% interval from the
// smallest to the largest value (1 - 2/2^6 = 96.9% coverage).
//
//	ns/syscall 100 101 102 103 104 110: median 102.5, [100, 110], ±5 =
//	  4.88% of the median, against a target of 5/2 = 2.5%: too wide.
//	overhead: throughput 80 79 81 80 80 80 against a baseline of 100:
//	  overhead 20 21 19 20 20 20 points, [19, 21], ±1 point, target 2.5.
func TestIntervalWidths(t *testing.T) {
	r := &results.Results{Variants: []results.Variant{
		{Name: "baseline", Mode: "none", Baseline: true, Stats: true},
		{Name: "a/exit_only", Mode: "exit_only", Set: "a", Stats: true},
	}}
	ns := []uint64{100, 101, 102, 103, 104, 110}
	tp := []float64{80, 79, 81, 80, 80, 80}
	for i := range ns {
		r.Runs = append(r.Runs,
			results.Run{Variant: "baseline", Round: i, Workload: workloadResult(100)},
			results.Run{Variant: "a/exit_only", Round: i, Workload: workloadResult(tp[i]),
				Programs: progs("sys_exit", 1000, ns[i]*1000)})
	}
	results.Derive(r)
	ws := r.IntervalWidths(results.DefaultGate, 0)
	if len(ws) != 2 {
		t.Fatalf("%d widths, want 2: %+v", len(ws), ws)
	}
	w := ws[0] // the widest relative to its target comes first
	if w.Metric != "ns_per_syscall" || w.Median != 102.5 || w.Lo != 100 || w.Hi != 110 || w.Target != 2.5 || w.Points ||
		math.Abs(w.HalfWidth-100*5/102.5) > 1e-9 || w.Ok() {
		t.Errorf("ns_per_syscall: %+v", w)
	}
	o := ws[1]
	near := func(a, b float64) bool { return math.Abs(a-b) < 1e-9 }
	if o.Metric != "overhead" || !near(o.Median, 20) || !near(o.Lo, 19) || !near(o.Hi, 21) || !near(o.HalfWidth, 1) || o.Target != 2.5 || !o.Points || !o.Ok() {
		t.Errorf("overhead: %#v", o)
	}
	if got := w.String(); got != "a/exit_only ns_per_syscall: ±4.88% of the median (target ±2.5% of the median)" {
		t.Errorf("String() = %q", got)
	}
	// An explicit half-width applies to every metric.
	ws = r.IntervalWidths(results.DefaultGate, 5)
	for _, w := range ws {
		if w.Target != 5 || !w.Ok() {
			t.Errorf("half_width 5: %+v", w)
		}
	}
	// Five runs have no interval. The results file must still encode (JSON
	// has no infinities).
	r.Runs = r.Runs[:10]
	if w := r.IntervalWidths(results.DefaultGate, 0)[0]; !w.NoInterval || w.Lo != 0 || w.Hi != 0 || w.Ok() || !strings.Contains(w.String(), "no interval yet") {
		t.Errorf("five runs: %+v %s", w, w)
	}
	r.Scenario.Auto = &results.AutoOutcome{Widest: &r.IntervalWidths(results.DefaultGate, 0)[0]}
	if _, err := json.Marshal(r); err != nil {
		t.Errorf("encoding results with an interval not there yet: %v", err)
	}
}

const autoScenario = `name: fake
workload: {type: syscalls, mix: getpid, count: 1000}
sets: {a: [getpid]}
modes: [enter_exit, exit_only]
floor: false
repetitions: {min: 6, max: 9}
warmup: 1
`

// TestRunnerAutoStopsWhenNarrow: the fake tracer's figures do not vary,
// so every interval has zero width once it exists, at 6 rounds.
func TestRunnerAutoStopsWhenNarrow(t *testing.T) {
	rec := &recorder{}
	r, tr := newFakeRunner(t, autoScenario, RunOptions{Seed: 1, Observer: rec})
	res, err := r.Run(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	checkAllClosed(t, tr)
	a := res.Scenario.Auto
	if a == nil || a.Rounds != 6 || !a.Narrow || a.Min != 6 || a.Max != 9 || a.Widest == nil || a.Widest.HalfWidth != 0 {
		t.Fatalf("auto outcome %+v", a)
	}
	if n := len(res.Runs); n != 3*(6+1) {
		t.Errorf("%d runs, want 3 variants × 7 rounds", n)
	}
	if !res.Complete || !hasNote(rec, "narrow enough after 6 rounds") {
		t.Errorf("complete %v, notes %q", res.Complete, rec.notes)
	}
}

// TestRunnerAutoReachesMax: throughput swings by ±10 around its level on
// every traced run, so overhead's interval stays wider than 2.5 points
// and the runner stops at the maximum, saying which interval was widest.
func TestRunnerAutoReachesMax(t *testing.T) {
	rec := &recorder{}
	r, tr := newFakeRunner(t, autoScenario, RunOptions{Seed: 1, Observer: rec})
	tr.jitter = func(n int) float64 { return float64(n%3-1) * 10 }
	res, err := r.Run(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	checkAllClosed(t, tr)
	a := res.Scenario.Auto
	if a == nil || a.Rounds != 9 || a.Narrow || a.Widest == nil || a.Widest.Metric != "overhead" || a.Widest.Ok() {
		t.Fatalf("auto outcome %+v (widest %+v)", a, a.Widest)
	}
	if n := len(res.Runs); n != 3*(9+1) {
		t.Errorf("%d runs, want 3 variants × 10 rounds", n)
	}
	if !hasNote(rec, "maximum of 9 rounds reached; widest: a/") || !hasNote(rec, "round 6 of at most 9") {
		t.Errorf("notes %q", rec.notes)
	}
}

func hasNote(rec *recorder, s string) bool {
	for _, n := range rec.notes {
		if strings.Contains(n, s) {
			return true
		}
	}
	return false
}
