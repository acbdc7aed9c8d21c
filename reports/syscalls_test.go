package reports

import (
	"strings"
	"testing"
	"time"

	"github.com/benchctl/benchctl/bench/results"
	"github.com/benchctl/benchctl/reports/internal/golden"
)

// A tracer on openat's own tracepoints: its two sides fill the sys_enter
// and sys_exit columns (not "other"), and the per-syscall table pairs
// them: runs per run and average, worked out by hand. Reports without
// such programs have no such section.
func TestSyscallSidesSection(t *testing.T) {
	if md := string(render(t, golden.Handmade(), FormatMarkdown, Options{})); strings.Contains(md, "Per-syscall programs") {
		t.Errorf("a report without per-syscall programs has the section:\n%s", md)
	}
	r := golden.Handmade()
	r.Variants = append(r.Variants, results.Variant{Name: "s/bt-openat", Mode: results.ModeEnterExit, Set: "s", Syscalls: []string{"getpid"}, Stats: true,
		Tracer: "bt-openat", Family: "bt"})
	for round := range 3 {
		// Rounds of 100 and 102 enters (1000 and 1020 ns), 99 and 102
		// exits (2080 and 2140 ns): per run 101 enters of 10.0 ns
		// (2020 / 202), 100.5 exits (shown 100) of 21.0 ns (4220 / 201).
		enter, exit := uint64(100), uint64(99)
		if round == 1 {
			enter, exit = 102, 102
		}
		if round == 2 {
			continue // one run failed: the figures are of the two measured
		}
		r.Runs = append(r.Runs, results.Run{Variant: "s/bt-openat", Round: round, Wall: time.Second,
			Workload: results.Result{Throughput: 990, Unit: "ops/s"},
			Programs: []results.ProgramStats{
				{Name: "sys_enter_opena", AttachPoint: "tracepoint/sys_enter_openat", Role: results.RoleEnter, Syscall: "openat", RunCount: enter, RunTimeNs: 10 * enter},
				{Name: "sys_exit_openat", AttachPoint: "tracepoint/sys_exit_openat", Role: results.RoleExit, Syscall: "openat", RunCount: exit, RunTimeNs: 20*exit + 100},
			}})
	}
	r.Runs = append(r.Runs, results.Run{Variant: "s/bt-openat", Round: 2, Error: "tracer exited"})
	results.Derive(r)
	md := string(render(t, r, FormatMarkdown, Options{}))
	for _, want := range []string{
		"## Per-syscall programs",
		"| variant | syscall | enter runs | enter avg | exit runs | exit avg |\n" +
			"| --- | --- | ---: | ---: | ---: | ---: |\n" +
			"| `s/bt-openat` | `openat` | 101 | 10.0 ns | 100 | 21.0 ns |\n",
	} {
		if !strings.Contains(md, want) {
			t.Errorf("markdown report lacks:\n%s\n--- report:\n%s", want, md)
			return
		}
	}
	// The cost table: enter and exit averages, no "other".
	for _, line := range strings.Split(md, "\n") {
		if strings.HasPrefix(line, "| `s/bt-openat` | enter_exit |") {
			cells := strings.Split(line, " | ")
			if cells[2] == "—" || cells[3] == "—" || cells[4] != "—" {
				t.Errorf("cost table row %q: want sys_enter and sys_exit averages, no other", line)
			}
			return
		}
	}
	t.Errorf("no cost table row for s/bt-openat:\n%s", md)
}
