package results

import (
	"math"
	"testing"
)

// TestCPUPerOp: per round, the workload's and the tracer's CPU per op,
// their sum, and the sum against the workload's CPU per op in the
// baseline run of the same round and stats state; a run without
// workload CPU (a command with no unit of work, no cgroup, an older file)
// and a tracer whose CPU was measured the old way have none.
func TestCPUPerOp(t *testing.T) {
	r := &Results{Variants: []Variant{
		{Name: "baseline", Mode: ModeNone, Stats: true, Baseline: true},
		{Name: "baseline_nostats", Mode: ModeNone, Baseline: true},
		{Name: "s/exit_only", Mode: ModeExitOnly, Set: "s", Stats: true},
		{Name: "s/exit_only_nostats", Mode: ModeExitOnly, Set: "s"},
		{Name: "ext", Mode: ModeExternal, Tracer: "t", Stats: true},
	}}
	wl := func(cpu, ops float64) Result {
		return Result{Throughput: 1, Unit: "ops/s", Ops: ops, CPUSeconds: cpu, CPUMethod: WorkloadCPUThreads}
	}
	own := func(cpu float64) *TracerStats {
		return &TracerStats{CPUSeconds: cpu, CPUMethod: TracerCPUProcess, CPUWindow: CPUWindowWorkloadToDrain}
	}
	r.Runs = []Run{
		{Variant: "baseline", Round: 0, Workload: wl(1, 1000)},         // 1 ms/op
		{Variant: "baseline_nostats", Round: 0, Workload: wl(2, 1000)}, // 2 ms/op
		{Variant: "s/exit_only", Round: 0, Workload: wl(1.2, 1000), Tracer: own(0.3)},
		{Variant: "s/exit_only_nostats", Round: 0, Workload: wl(2.1, 1000), Tracer: own(0.3)},
		{Variant: "ext", Round: 0, Workload: wl(1.1, 1000), Tracer: &TracerStats{CPUSeconds: 0.4, CPUMethod: TracerCPUCgroup}},
		// Round 1: no baseline, an old-style tracer figure, no ops.
		{Variant: "s/exit_only", Round: 1, Workload: wl(1.2, 1000), Tracer: &TracerStats{CPUSeconds: 0.3}},
		{Variant: "ext", Round: 1, Workload: wl(1.1, 0), Tracer: &TracerStats{CPUSeconds: 0.4, CPUMethod: TracerCPUCgroup}},
	}
	Derive(r)
	near := func(a, b float64) bool { return math.Abs(a-b) < 1e-6*math.Max(1, math.Abs(b)) }
	type want struct {
		workload, tracer, cpu, change float64 // NaN: none
	}
	none := math.NaN()
	for i, w := range []want{
		{1e6, none, 1e6, none},
		{2e6, none, 2e6, none},
		{1.2e6, 0.3e6, 1.5e6, 50},
		{2.1e6, 0.3e6, 2.4e6, 20},
		{1.1e6, 0.4e6, 1.5e6, 50},
		{1.2e6, none, none, none},
		{none, none, none, none},
	} {
		run := r.Runs[i]
		v, _ := r.Variant(run.Variant)
		for _, c := range []struct {
			key  string
			want float64
		}{{"workload_cpu_per_op", w.workload}, {"tracer_cpu_per_op", w.tracer}, {"cpu_per_op", w.cpu}, {"cpu_per_op_change", w.change}} {
			m, ok := MeasureByKey(c.key)
			if !ok {
				t.Fatalf("no measure %s", c.key)
			}
			got, ok := m.Value(v, run)
			switch {
			case math.IsNaN(c.want) && ok:
				t.Errorf("run %d (%s round %d): %s = %v, want none", i, run.Variant, run.Round, c.key, got)
			case !math.IsNaN(c.want) && (!ok || !near(got, c.want)):
				t.Errorf("run %d (%s round %d): %s = %v, %v; want %v", i, run.Variant, run.Round, c.key, got, ok, c.want)
			}
		}
	}

	// The gate reads the same figures, of traced variants only: the
	// baseline's CPU per op is the workload's, not a tracer's.
	for _, key := range []string{"workload_cpu_per_op", "tracer_cpu_per_op", "cpu_per_op", "cpu_per_op_change"} {
		if _, ok := GateMetrics[key]; !ok {
			t.Errorf("%s is no gate metric", key)
		}
		m, ok := GateMeasure(key)
		if !ok || m.Better != -1 {
			t.Fatalf("GateMeasure(%s) = %+v, %v; want a lower-is-better measure", key, m, ok)
		}
		if _, ok := m.Value(r.Variants[0], r.Runs[0]); ok {
			t.Errorf("gate %s has a figure for the baseline", key)
		}
		if _, ok := m.Value(r.Variants[2], r.Runs[2]); !ok {
			t.Errorf("gate %s has no figure for %s", key, r.Runs[2].Variant)
		}
	}
	// The change is a percentage: compare and repetitions: auto judge it
	// in points, as they judge overhead.
	if m, _ := GateMeasure("cpu_per_op_change"); m.Kind != KindPercent {
		t.Errorf("cpu_per_op_change is of kind %v, want KindPercent", m.Kind)
	}
	if m, _ := GateMeasure("cpu_per_op"); m.Kind != KindDuration {
		t.Errorf("cpu_per_op is of kind %v, want KindDuration", m.Kind)
	}
}
