package results

import (
	"reflect"
	"testing"
)

// A per-syscall tracer's programs fill the enter and exit columns and
// pair by syscall; the dispatchers and other programs are not paired.
func TestSyscallSides(t *testing.T) {
	run := Run{Programs: []ProgramStats{
		{Name: "exit_openat", Role: RoleExit, Syscall: "openat", RunCount: 98, RunTimeNs: 9800},
		{Name: "enter_openat", Role: RoleEnter, Syscall: "openat", RunCount: 100, RunTimeNs: 5000},
		{Name: "enter_read", Role: RoleEnter, Syscall: "read", RunCount: 10, RunTimeNs: 300},
		{Name: "kprobe_read", Role: RoleEnter, Syscall: "read", RunCount: 10, RunTimeNs: 100},
		{Name: "sys_exit", Role: RoleExit, RunCount: 5000, RunTimeNs: 50000},
		{Name: "sched", Role: RoleOther, RunCount: 7, RunTimeNs: 70},
		{Name: "toctou_openat", RunCount: 3, RunTimeNs: 30}, // benchctl's own, by name: other
	}}
	want := []SyscallSide{
		{Syscall: "openat", EnterRuns: 100, EnterTimeNs: 5000, ExitRuns: 98, ExitTimeNs: 9800, EnterProgs: 1, ExitProgs: 1},
		{Syscall: "read", EnterRuns: 20, EnterTimeNs: 400, EnterProgs: 2},
	}
	got := SyscallSides(run)
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("SyscallSides =\n%+v\nwant\n%+v", got, want)
	}
	if got[0].EnterAvgNs() != 50 || got[0].ExitAvgNs() != 100 || got[1].ExitAvgNs() != 0 {
		t.Errorf("averages %v %v %v", got[0].EnterAvgNs(), got[0].ExitAvgNs(), got[1].ExitAvgNs())
	}

	// The variant table's columns: the enter side of every syscall in
	// sys_enter avg, the exit side and the dispatcher in sys_exit avg.
	v := Variant{Name: "t", Mode: ModeEnterExit, Stats: true}
	for _, c := range []struct {
		key  string
		want float64
	}{
		{"enter_avg_ns", 5400.0 / 120},
		{"exit_avg_ns", 59800.0 / 5098},
		{"other_avg_ns", 100.0 / 10},
	} {
		m, ok := MeasureByKey(c.key)
		if !ok {
			t.Fatalf("no measure %s", c.key)
		}
		if got, ok := m.Value(v, run); !ok || got != c.want {
			t.Errorf("%s = %v, %v; want %v", c.key, got, ok, c.want)
		}
	}
}
