package results

import (
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func prog(name string, cnt, ns uint64) ProgramStats {
	return ProgramStats{Name: name, RunCount: cnt, RunTimeNs: ns}
}

func TestDeriveRun(t *testing.T) {
	cases := []struct {
		name string
		run  Run
		want Derived
	}{
		{
			name: "baseline: nothing attached",
			run:  Run{Wall: 2 * time.Second, Workload: Result{Throughput: 1000}},
			want: Derived{},
		},
		{
			name: "enter_exit",
			run: Run{
				Wall:     2 * time.Second,
				Programs: []ProgramStats{prog("sys_enter", 1000, 60000), prog("sys_exit", 1002, 70000)},
				Kernel:   Counters{Attempted: 400, DropsFull: 30, DropsTooLarge: 10},
				User:     ConsumerStats{Events: 360, Bytes: 36000},
			},
			want: Derived{KernelTimeNs: 130000, Syscalls: 1002, NsPerSyscall: 130000.0 / 1002,
				EventsPerSec: 180, BytesPerSec: 18000, AvgEventSize: 100, DropRatio: 0.1},
		},
		{
			name: "exit_only with a TOCTOU helper",
			run: Run{
				Wall:     time.Second,
				Programs: []ProgramStats{prog("sys_exit", 500, 50000), prog("toctou_openat", 10, 1000)},
				Kernel:   Counters{Attempted: 100},
				User:     ConsumerStats{Events: 100, Bytes: 5000},
			},
			want: Derived{KernelTimeNs: 51000, Syscalls: 500, NsPerSyscall: 102,
				EventsPerSec: 100, BytesPerSec: 5000, AvgEventSize: 50},
		},
		{
			// One syscall's exit program counts that syscall's calls,
			// not the machine's: no syscalls, no ns per syscall.
			name: "external tracer on syscalls:sys_enter_openat and sys_exit_openat",
			run: Run{
				Wall: time.Second,
				Programs: []ProgramStats{
					{Name: "tp_enter", Role: RoleEnter, Syscall: "openat", RunCount: 40, RunTimeNs: 4000},
					{Name: "tp_exit", Role: RoleExit, Syscall: "openat", RunCount: 40, RunTimeNs: 6000},
				},
			},
			want: Derived{KernelTimeNs: 10000},
		},
		{
			name: "floor",
			run: Run{
				Wall:     time.Second,
				Programs: []ProgramStats{prog("floor_enter", 300, 9000), prog("floor_exit", 301, 9030)},
			},
			want: Derived{KernelTimeNs: 18030, Syscalls: 301, NsPerSyscall: 18030.0 / 301},
		},
		{
			name: "stats off: counts without time",
			run: Run{
				Wall:     time.Second,
				Programs: []ProgramStats{prog("sys_exit", 0, 0)},
				Kernel:   Counters{Attempted: 10},
				User:     ConsumerStats{Events: 10, Bytes: 400},
			},
			want: Derived{EventsPerSec: 10, BytesPerSec: 400, AvgEventSize: 40},
		},
		{
			name: "zero wall time",
			run:  Run{User: ConsumerStats{Events: 10, Bytes: 100}},
			want: Derived{AvgEventSize: 10},
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := deriveRun(&c.run)
			if !derivedEqual(got, c.want) {
				t.Errorf("got  %+v\nwant %+v", got, c.want)
			}
		})
	}
}

func derivedEqual(a, b Derived) bool {
	eq := func(x, y float64) bool { return math.Abs(x-y) <= 1e-9*math.Max(1, math.Abs(y)) }
	if (a.ThroughputChange == nil) != (b.ThroughputChange == nil) {
		return false
	}
	if a.ThroughputChange != nil && !eq(*a.ThroughputChange, *b.ThroughputChange) {
		return false
	}
	return a.KernelTimeNs == b.KernelTimeNs && a.Syscalls == b.Syscalls && eq(a.NsPerSyscall, b.NsPerSyscall) &&
		eq(a.EventsPerSec, b.EventsPerSec) && eq(a.BytesPerSec, b.BytesPerSec) &&
		eq(a.AvgEventSize, b.AvgEventSize) && eq(a.DropRatio, b.DropRatio)
}

func TestDeriveThroughputChange(t *testing.T) {
	r := &Results{
		Variants: []Variant{
			{Name: "baseline", Mode: ModeNone, Stats: true, Baseline: true},
			{Name: "baseline_nostats", Mode: ModeNone, Stats: false, Baseline: true},
			{Name: "a/exit_only", Mode: ModeExitOnly, Stats: true},
			{Name: "a/exit_only_nostats", Mode: ModeExitOnly, Stats: false},
		},
	}
	tput := func(v float64) Result { return Result{Throughput: v, Unit: "ops/s"} }
	r.Runs = []Run{
		// warm-up round -1
		{Variant: "a/exit_only", Round: -1, Warmup: true, Workload: tput(50)},
		{Variant: "baseline", Round: -1, Warmup: true, Workload: tput(200)},
		// round 0: both baselines
		{Variant: "a/exit_only_nostats", Round: 0, Workload: tput(90)},
		{Variant: "baseline", Round: 0, Workload: tput(100)},
		{Variant: "a/exit_only", Round: 0, Workload: tput(80)},
		{Variant: "baseline_nostats", Round: 0, Workload: tput(120)},
		// round 1: the baseline failed, the stats-off one is missing
		{Variant: "baseline", Round: 1, Workload: tput(100), Error: "boom"},
		{Variant: "a/exit_only", Round: 1, Workload: tput(80)},
		{Variant: "a/exit_only_nostats", Round: 1, Workload: tput(80)},
		// round 2: a variant without a throughput, and a failed one
		{Variant: "baseline", Round: 2, Workload: tput(100)},
		{Variant: "a/exit_only", Round: 2, Workload: Result{}},
		{Variant: "a/exit_only_nostats", Round: 2, Workload: tput(10), Error: "boom"},
		// a run of a variant the file does not list
		{Variant: "stray", Round: 2, Workload: tput(10)},
	}
	Derive(r)
	want := []*float64{
		ptr(50.0/200 - 1), nil,
		ptr(90.0/120 - 1), nil, ptr(80.0/100 - 1), nil,
		nil, nil, nil,
		nil, nil, nil,
		nil,
	}
	for i, run := range r.Runs {
		got := run.Derived.ThroughputChange
		switch {
		case (got == nil) != (want[i] == nil):
			t.Errorf("run %d (%s round %d): change %v, want %v", i, run.Variant, run.Round, fmtPtr(got), fmtPtr(want[i]))
		case got != nil && math.Abs(*got-*want[i]) > 1e-12:
			t.Errorf("run %d (%s round %d): change %v, want %v", i, run.Variant, run.Round, *got, *want[i])
		}
	}
}

func TestDeriveIsIdempotent(t *testing.T) {
	r := &Results{
		Variants: []Variant{{Name: "baseline", Baseline: true, Stats: true}, {Name: "v", Mode: ModeExitOnly, Stats: true}},
		Runs: []Run{
			{Variant: "baseline", Workload: Result{Throughput: 10}},
			{Variant: "v", Workload: Result{Throughput: 5}, Programs: []ProgramStats{prog("sys_exit", 10, 100)}},
		},
	}
	Derive(r)
	first := r.Runs[1].Derived
	Derive(r)
	if !derivedEqual(first, r.Runs[1].Derived) || *first.ThroughputChange != -0.5 || first.NsPerSyscall != 10 {
		t.Errorf("first %+v, second %+v", first, r.Runs[1].Derived)
	}
}

func TestDeriveIgnoresKernelFiguresWithStatsOff(t *testing.T) {
	r := &Results{
		Variants: []Variant{{Name: "v_nostats", Mode: ModeExitOnly, Stats: false}},
		Runs: []Run{{
			Variant:  "v_nostats",
			Wall:     time.Second,
			Programs: []ProgramStats{prog("sys_exit", 500, 9000)}, // someone else had stats on for a while
			User:     ConsumerStats{Events: 10, Bytes: 100},
		}},
	}
	Derive(r)
	d := r.Runs[0].Derived
	if d.KernelTimeNs != 0 || d.Syscalls != 0 || d.NsPerSyscall != 0 || d.EventsPerSec != 10 {
		t.Errorf("derived %+v", d)
	}
}

func ptr(v float64) *float64 { return &v }

func fmtPtr(p *float64) any {
	if p == nil {
		return "nil"
	}
	return *p
}

// TestReadResultsRecomputesDerived: a results file whose stored derived
// figures are stale (written by an older formula) is read with them
// recomputed from the raw figures: 60000 ns over 1200 syscalls is 50 ns a
// syscall, 600 events of 30000 bytes are 50 bytes each, and 1100 requests/s
// against the round's 1000 is +10%.
func TestReadResultsRecomputesDerived(t *testing.T) {
	r := &Results{
		Schema: SchemaVersion,
		Variants: []Variant{
			{Name: "baseline", Mode: ModeNone, Baseline: true, Stats: true},
			{Name: "s/exit_only", Mode: ModeExitOnly, Set: "s", Stats: true},
		},
		Runs: []Run{
			{Variant: "baseline", Workload: Result{Throughput: 1000}},
			{Variant: "s/exit_only", Wall: time.Second,
				Programs: []ProgramStats{{Name: "sys_exit", RunCount: 1200, RunTimeNs: 60000}},
				User:     ConsumerStats{Events: 600, Bytes: 30000},
				Workload: Result{Throughput: 1100},
				Derived:  Derived{NsPerSyscall: 1, AvgEventSize: 2, KernelTimeNs: 3}},
		},
	}
	path := filepath.Join(t.TempDir(), "stale.json")
	if err := r.Write(path); err != nil {
		t.Fatal(err)
	}
	got, err := ReadResults(path)
	if err != nil {
		t.Fatal(err)
	}
	d := got.Runs[1].Derived
	if d.NsPerSyscall != 50 || d.AvgEventSize != 50 || d.KernelTimeNs != 60000 || d.Syscalls != 1200 {
		t.Errorf("derived %+v, want 50 ns/syscall, 50 B/event, 60000 ns, 1200 syscalls", d)
	}
	if d.ThroughputChange == nil || math.Abs(*d.ThroughputChange-0.1) > 1e-12 {
		t.Errorf("throughput change %v, want +0.1", d.ThroughputChange)
	}
}

// TestDeriveIgnoresZeroBaseline: a baseline run without a throughput is
// no baseline (a change against 0 would be +Inf); one with a throughput
// is, and a probe run is compared with it.
func TestDeriveIgnoresZeroBaseline(t *testing.T) {
	r := &Results{
		Variants: []Variant{
			{Name: "baseline", Mode: ModeNone, Stats: true, Baseline: true},
			{Name: "v", Mode: ModeExitOnly, Stats: true},
		},
		Runs: []Run{
			{Variant: "baseline", Round: 0, Workload: Result{Throughput: 0}},
			{Variant: "v", Round: 0, Workload: Result{Throughput: 90}},
			{Variant: "baseline", Round: 1, Workload: Result{Throughput: 120}},
			{Variant: "v", Round: 1, Workload: Result{Throughput: 90}},
		},
	}
	Derive(r)
	if c := r.Runs[1].Derived.ThroughputChange; c != nil {
		t.Errorf("change against a zero baseline: %v, want none", *c)
	}
	// 90/120 − 1 = −0.25
	if c := r.Runs[3].Derived.ThroughputChange; c == nil || *c != -0.25 {
		t.Errorf("change against 120: %v, want -0.25", fmtPtr(c))
	}
}

// TestReadResultsSchema: files of this schema and older ones are read; a
// newer one is refused with an error that says so.
func TestReadResultsSchema(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		schema int
		want   string // "" reads
	}{
		{MinSchemaVersion, ""},
		{SchemaVersion, ""},
		{SchemaVersion + 1, "newer than this benchctl reads"},
		{0, "this benchctl reads"},
	} {
		path := filepath.Join(dir, fmt.Sprintf("s%d.json", tc.schema))
		if err := os.WriteFile(path, []byte(fmt.Sprintf(`{"schema": %d, "runs": []}`, tc.schema)), 0o644); err != nil {
			t.Fatal(err)
		}
		_, err := ReadResults(path)
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("schema %d: %v", tc.schema, err)
		case tc.want != "" && (err == nil || !errors.Is(err, ErrSchema) || !strings.Contains(err.Error(), tc.want)):
			t.Errorf("schema %d: %v, want ErrSchema saying %q", tc.schema, err, tc.want)
		}
	}
}
