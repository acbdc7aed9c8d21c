package probes

import (
	"reflect"
	"testing"
	"time"
)

// TestSnapshotSubDelta pins the per-run delta every kernel figure of a
// report comes from: each counter of each program is later − earlier,
// the kernel counters likewise, and everything that is not a counter
// (name, attach point, id, type, role, the later snapshot's time) is the
// later snapshot's. TestSnapshotSubMatchesByID covers which earlier
// program a later one is matched with, on run counts only; this test
// covers the arithmetic of every field.
func TestSnapshotSubDelta(t *testing.T) {
	t0 := time.Date(2026, 11, 27, 9, 0, 0, 0, time.UTC)
	t1 := t0.Add(3 * time.Second)
	earlier := Snapshot{
		Time: t0,
		Programs: []ProgramStats{
			{Name: "sys_enter", AttachPoint: "tp_btf/sys_enter", ID: 41, Type: "Tracing", Role: RoleEnter,
				RunCount: 1_000, RunTimeNs: 50_000, RecursionMisses: 2},
			{Name: "sys_exit", AttachPoint: "tp_btf/sys_exit", ID: 42, Type: "Tracing", Role: RoleExit,
				RunCount: 1_010, RunTimeNs: 80_000, RecursionMisses: 0},
			// Same name twice without ids: the first one is the match.
			{Name: "noid", RunCount: 7, RunTimeNs: 70, RecursionMisses: 1},
			{Name: "noid", RunCount: 500, RunTimeNs: 5_000, RecursionMisses: 50},
			// Gone by the later snapshot: not in the delta.
			{Name: "gone", ID: 99, RunCount: 1, RunTimeNs: 1},
		},
		Counters: Counters{Attempted: 300, DropsFull: 4, DropsTooLarge: 1},
	}
	later := Snapshot{
		Time: t1,
		Programs: []ProgramStats{
			{Name: "sys_exit", AttachPoint: "tp_btf/sys_exit", ID: 42, Type: "Tracing", Role: RoleExit,
				RunCount: 3_510, RunTimeNs: 380_000, RecursionMisses: 3},
			{Name: "sys_enter", AttachPoint: "tp_btf/sys_enter", ID: 41, Type: "Tracing", Role: RoleEnter,
				RunCount: 3_000, RunTimeNs: 170_000, RecursionMisses: 2},
			{Name: "noid", RunCount: 17, RunTimeNs: 1_070, RecursionMisses: 4},
		},
		Counters: Counters{Attempted: 5_300, DropsFull: 104, DropsTooLarge: 11},
	}
	got := later.Sub(earlier)
	want := Snapshot{
		Time: t1,
		Programs: []ProgramStats{
			// 3510 − 1010 = 2500 runs, 380000 − 80000 = 300000 ns, 3 − 0 = 3 misses.
			{Name: "sys_exit", AttachPoint: "tp_btf/sys_exit", ID: 42, Type: "Tracing", Role: RoleExit,
				RunCount: 2_500, RunTimeNs: 300_000, RecursionMisses: 3},
			// 3000 − 1000 = 2000 runs, 170000 − 50000 = 120000 ns, 2 − 2 = 0 misses.
			{Name: "sys_enter", AttachPoint: "tp_btf/sys_enter", ID: 41, Type: "Tracing", Role: RoleEnter,
				RunCount: 2_000, RunTimeNs: 120_000, RecursionMisses: 0},
			// Against the first "noid": 17 − 7 = 10, 1070 − 70 = 1000, 4 − 1 = 3.
			{Name: "noid", RunCount: 10, RunTimeNs: 1_000, RecursionMisses: 3},
		},
		// 5300 − 300 = 5000, 104 − 4 = 100, 11 − 1 = 10.
		Counters: Counters{Attempted: 5_000, DropsFull: 100, DropsTooLarge: 10},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Sub:\n got %+v\nwant %+v", got, want)
	}
	// What the report then shows: 300000 ns / 2500 runs = 120 ns a run,
	// 120000 / 2000 = 60 ns; drops 100 + 10 = 110.
	if avg := got.Programs[0].AvgNs(); avg != 120 {
		t.Errorf("sys_exit avg %v ns, want 120", avg)
	}
	if avg := got.Programs[1].AvgNs(); avg != 60 {
		t.Errorf("sys_enter avg %v ns, want 60", avg)
	}
	if d := got.Counters.Drops(); d != 110 {
		t.Errorf("drops %d, want 110", d)
	}
	// Sub does not touch its operands.
	if later.Programs[0].RunCount != 3_510 || earlier.Programs[0].RunCount != 1_000 {
		t.Error("Sub modified a snapshot")
	}
}

// TestSnapshotSubIDBeatsName: when a later program has an id, an earlier
// program with the same id is its match even if another earlier program
// with the same name (and another id) comes first; a later program whose
// id is new and whose name only matches programs with ids is new; one
// whose id is new but whose name matches earlier programs without ids is
// matched with the first of those.
func TestSnapshotSubIDBeatsName(t *testing.T) {
	earlier := Snapshot{Programs: []ProgramStats{
		{Name: "p", ID: 1, RunCount: 100, RunTimeNs: 1_000},
		{Name: "p", ID: 2, RunCount: 30, RunTimeNs: 300},
		{Name: "q", RunCount: 7, RunTimeNs: 70},
		{Name: "q", RunCount: 500, RunTimeNs: 5_000},
	}}
	later := Snapshot{Programs: []ProgramStats{
		{Name: "p", ID: 2, RunCount: 40, RunTimeNs: 700},    // 40 − 30, 700 − 300
		{Name: "p", ID: 3, RunCount: 5, RunTimeNs: 50},      // new: as is
		{Name: "p", ID: 1, RunCount: 160, RunTimeNs: 1_600}, // 160 − 100, 1600 − 1000
		{Name: "q", ID: 9, RunCount: 17, RunTimeNs: 170},    // first "q": 17 − 7, 170 − 70
	}}
	got := later.Sub(earlier).Programs
	want := []ProgramStats{
		{Name: "p", ID: 2, RunCount: 10, RunTimeNs: 400},
		{Name: "p", ID: 3, RunCount: 5, RunTimeNs: 50},
		{Name: "p", ID: 1, RunCount: 60, RunTimeNs: 600},
		{Name: "q", ID: 9, RunCount: 10, RunTimeNs: 100},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Sub:\n got %+v\nwant %+v", got, want)
	}
}
