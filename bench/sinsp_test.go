package bench

import (
	"context"
	"strings"
	"testing"

	"github.com/benchctl/benchctl/bench/scenario"
	"github.com/benchctl/benchctl/internal/tracertest"
)

// TestRunExternalSinsp runs libsinsp's sinsp-example 0.21.0 and 0.25.4
// as tracers of open_by_handle_at: 0.21.0 retrieves an enter and an exit
// event per call, 0.25.4 the exit only (the README there checked the same
// with dd: 800012 against 400006); their CPU comes from their cgroup;
// they print no drop count, which stays unknown rather than 0; and the
// kernel set they activated (a superset: close and the process-lifecycle
// syscalls) is kept.
func TestRunExternalSinsp(t *testing.T) {
	requireProbes(t)
	old := tracertest.Shared(t, "sinsp-example-0.21.0")
	cur := tracertest.Shared(t, "sinsp-example-0.25.4")
	const ops = 100000
	tracer := func(name, bin, design string) string {
		return `  ` + name + `:
    family: sinsp
    design: ` + design + `
    argv: [` + bin + `, -m, -t, -x]
    sets:
      obh: [-f, "evt.type in (open_by_handle_at)"]
    ready: {output: '-- Start capture', timeout: 60s}
    stop: {signal: SIGINT, grace: 20s}
    counters:
      - 'Retrieved events: (?P<events>\d+)'
      - '-- Activated \((?P<kernel_sc>\d+)\) ppm sc names in kernel using \S+ enforcement: (?P<kernel_set_text>[^\r\n]*)'
`
	}
	yaml := `name: sinsp
workload: {type: syscalls, mix: open_by_handle_at, threads: 1, count: 100000}
sets: {obh: [open_by_handle_at]}
floor: false
repetitions: 1
warmup: 0
tracers:
` + tracer("sinsp-0.21.0", old, "enter_exit") + tracer("sinsp-0.25.4", cur, "exit_only")
	sc, err := scenario.ParseBytes("sinsp.yaml", []byte(yaml))
	if err != nil {
		t.Fatal(err)
	}
	r, err := NewRunner(sc, RunOptions{Seed: 1, Only: []string{"obh/sinsp-0.21.0", "obh/sinsp-0.25.4"}})
	if err != nil {
		t.Fatal(err)
	}
	res, err := r.Run(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	skipRefused(t, res, "obh/sinsp-0.21.0", "obh/sinsp-0.25.4")
	for _, tc := range []struct {
		variant string
		perOp   float64 // events per op: open_by_handle_at's enter and exit, or its exit
		least   float64 // the share of them that must be retrieved
	}{{"obh/sinsp-0.21.0", 2, 0.525}, {"obh/sinsp-0.25.4", 1, 0.5}} {
		runs := res.RunsOf(tc.variant)
		if len(runs) != 1 {
			n, first := res.FailedRuns(tc.variant)
			t.Fatalf("%s: %d measured runs, %d failed (%s)", tc.variant, len(runs), n, first)
		}
		run := runs[0]
		tr := run.Tracer
		if tr == nil || tr.CPUSeconds <= 0 {
			t.Fatalf("%s: no CPU time from its cgroup: %+v", tc.variant, tr)
		}
		// Nothing else on the machine calls open_by_handle_at, as a rule.
		// sinsp-example prints no drop count, so what its kernel side
		// dropped cannot be told from what it never sent: 0.25.4
		// retrieved 55% of the exits of 50,000 calls here and 87% of
		// 400,000 (2026-12-02); 0.21.0 199,159 of 200,000 (2026-12-03),
		// and 159,268 (80%) on a machine busy with builds (2026-12-07).
		// So the test holds 0.25.4 to half its exits, and 0.21.0 to more
		// than 105% of the calls (52.5% of its enter and exit events):
		// more than one event per call, which only an enter+exit design
		// retrieves, since 0.25.4 can retrieve at most one (at most 120%
		// of 100,000). A shortfall is logged.
		ev := tr.Counters["events"]
		if want := tc.perOp * ops; ev < tc.least*want || ev > 1.2*want {
			t.Errorf("%s retrieved %.0f events, want %.0f to %.0f", tc.variant, ev, tc.least*want, 1.2*want)
		} else if ev < want {
			t.Logf("%s retrieved %.0f of the %.0f events of the workload (%.0f%%)", tc.variant, ev, want, 100*ev/want)
		}
		if _, ok := tr.Counters["drops"]; ok || run.Kernel.Drops() != 0 {
			t.Errorf("%s: a drop count from a tracer that prints none", tc.variant)
		}
		set := tr.Texts["kernel_set_text"]
		if !strings.Contains(set, "open_by_handle_at") || !strings.Contains(set, "close") || tr.Counters["kernel_sc"] < 2 {
			t.Errorf("%s: kernel set %q (%v names)", tc.variant, set, tr.Counters["kernel_sc"])
		}
		t.Logf("%s: %.0f events, CPU %.3f s, kernel set (%v): %s", tc.variant, ev, tr.CPUSeconds, tr.Counters["kernel_sc"], set)
	}
	if v, ok := res.Variant("obh/sinsp-0.21.0"); !ok || v.Family != "sinsp" {
		t.Errorf("variant %+v", v)
	}
}
