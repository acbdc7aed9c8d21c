package results

import (
	"slices"
	"testing"
)

// TestMeasureValues pins how each per-run figure is read from a run, and
// when a run has none: the numbers are the run's own, scaled by hand
// (drop ratio 0.012 → 1.2%, 0.5 CPU seconds → 5e8 ns, a change of −0.25
// → −25%).
func TestMeasureValues(t *testing.T) {
	own := Variant{Name: "v", Mode: ModeExitOnly, Stats: true}
	nostats := Variant{Name: "v_nostats", Mode: ModeExitOnly}
	base := Variant{Name: "baseline", Mode: ModeNone, Stats: true, Baseline: true}
	ext := Variant{Name: "t", Mode: ModeExternal, Tracer: "t", Stats: true}
	change := -0.25
	run := Run{
		User:     ConsumerStats{Events: 10, Bytes: 500, CPUSeconds: 0.5},
		Kernel:   Counters{Attempted: 1000, DropsFull: 12},
		Workload: Result{Throughput: 300},
		Derived:  Derived{Syscalls: 1000, DropRatio: 0.012, AvgEventSize: 50, ThroughputChange: &change},
	}
	noEvents := run
	noEvents.User = ConsumerStats{}
	noEvents.Derived.Syscalls = 0
	noEvents.Workload = Result{}
	withTracer := run
	withTracer.Tracer = &TracerStats{CPUSeconds: 2, PeakMemoryBytes: 4096, BPFMemoryBytes: 8192,
		Counters: map[string]float64{"events": 10, "bytes": 500, "drops": 12, "kernel_events": 1000}}
	extNoCounters := withTracer
	extNoCounters.Tracer = &TracerStats{CPUSeconds: 2}

	type want struct {
		v  float64
		ok bool
	}
	for _, tc := range []struct {
		name string
		v    Variant
		run  Run
		want map[string]want
	}{
		{"own probes", own, run, map[string]want{
			"syscalls": {1000, true}, "drop_ratio": {1.2, true}, "avg_event_size": {50, true},
			"events": {10, true}, "bytes": {500, true}, "drops": {12, true}, "events_per_syscall": {0.01, true},
			"consumer_cpu_s": {5e8, true}, "tracer_cpu_s": {5e8, true},
			"tracer_memory": {0, false}, "bpf_memory": {0, false},
			"throughput": {300, true}, "throughput_change": {-25, true},
		}},
		{"own probes, nothing received", own, noEvents, map[string]want{
			"syscalls": {0, false}, "avg_event_size": {0, false}, "events_per_syscall": {0, false},
			"consumer_cpu_s": {0, false}, "tracer_cpu_s": {0, false}, "throughput": {0, false},
		}},
		{"stats off", nostats, run, map[string]want{
			"syscalls": {0, false}, "events_per_syscall": {0, false}, "events": {10, true},
		}},
		{"baseline", base, run, map[string]want{
			"events": {0, false}, "drop_ratio": {0, false}, "consumer_cpu_s": {0, false}, "tracer_cpu_s": {0, false},
			"throughput": {300, true}, "throughput_change": {0, false},
		}},
		{"own probes with tracer stats", own, withTracer, map[string]want{
			"tracer_cpu_s": {2e9, true}, "tracer_memory": {4096, true}, "bpf_memory": {8192, true}, "consumer_cpu_s": {5e8, true},
		}},
		{"external with counters", ext, withTracer, map[string]want{
			"events": {10, true}, "bytes": {500, true}, "drops": {12, true}, "drop_ratio": {1.2, true}, "avg_event_size": {50, true},
			"tracer_cpu_s": {2e9, true}, "tracer_memory": {4096, true}, "bpf_memory": {8192, true},
		}},
		{"external without tracer stats", ext, run, map[string]want{
			"events": {0, false}, "bytes": {0, false}, "drops": {0, false}, "drop_ratio": {0, false},
			"consumer_cpu_s": {5e8, true}, "tracer_cpu_s": {5e8, true},
		}},
		{"external without counters", ext, extNoCounters, map[string]want{
			"events": {0, false}, "bytes": {0, false}, "drops": {0, false}, "drop_ratio": {0, false}, "avg_event_size": {0, false},
			"tracer_cpu_s": {2e9, true}, "tracer_memory": {0, false}, "bpf_memory": {0, false},
		}},
	} {
		for key, w := range tc.want {
			m, ok := MeasureByKey(key)
			if !ok || m.Key != key {
				t.Fatalf("MeasureByKey(%q) = %q, %v", key, m.Key, ok)
			}
			v, ok := m.Value(tc.v, tc.run)
			if ok != w.ok || (ok && v != w.v) {
				t.Errorf("%s: %s = %v, %v; want %v, %v", tc.name, key, v, ok, w.v, w.ok)
			}
		}
	}
	if m, ok := MeasureByKey("no_such_measure"); ok {
		t.Errorf("MeasureByKey(no_such_measure) = %q", m.Key)
	}
}

// TestComparePairsSkipsMissing: a measure one side lacks is left out of
// the pair's deltas; the unit is the first one a run recorded.
func TestComparePairsSkipsMissing(t *testing.T) {
	r := &Results{Variants: []Variant{
		{Name: "s/enter_exit", Mode: ModeEnterExit, Set: "s", Stats: true},
		{Name: "s/exit_only", Mode: ModeExitOnly, Set: "s", Stats: true},
	}}
	exit := []ProgramStats{{Name: "sys_exit", Role: RoleExit, RunCount: 100, RunTimeNs: 5000}}
	for round := range 2 {
		unit := "ops/s"
		if round == 0 {
			unit = ""
		}
		r.Runs = append(r.Runs,
			Run{Variant: "s/enter_exit", Round: round, Programs: exit, User: ConsumerStats{Events: 200, Bytes: 9000},
				Workload: Result{Throughput: 100, Unit: unit}},
			// no throughput on the exit_only side
			Run{Variant: "s/exit_only", Round: round, Programs: exit, User: ConsumerStats{Events: 100, Bytes: 8000}},
		)
	}
	Derive(r)
	pcs := r.ComparePairs(0)
	if len(pcs) != 1 {
		t.Fatalf("%d pairs", len(pcs))
	}
	var keys []string
	for _, d := range pcs[0].Deltas {
		keys = append(keys, d.Measure.Key)
	}
	if want := []string{"kernel_time_ns", "ns_per_syscall", "exit_avg_ns", "events", "bytes"}; !slices.Equal(keys, want) {
		t.Errorf("pair deltas %v, want %v", keys, want)
	}
	if u := r.SummarizeVariant("s/enter_exit").Unit; u != "ops/s" {
		t.Errorf("unit %q, want ops/s", u)
	}
}
