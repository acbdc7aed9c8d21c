package reports

import (
	"github.com/benchctl/benchctl/bench/results"
	"github.com/benchctl/benchctl/internal/numfmt"
	"github.com/benchctl/benchctl/reports/page"
)

// syscallSidesSection pairs, for each variant whose programs run on one
// syscall each (an external tracer on syscalls:sys_enter_NAME and
// sys_exit_NAME, or kprobe/fentry and kretprobe/fexit on
// __x64_sys_NAME), the enter and exit sides of every syscall it traces:
// per measured run, how often each side ran and its average run time.
// nil when no variant has such programs.
func syscallSidesSection(r *results.Results) *page.Section {
	t := page.NewTable("variant", "syscall", "enter runs", "enter avg", "exit runs", "exit avg").AlignRight(2, 3, 4, 5).AsCode(0, 1)
	for _, v := range r.Variants {
		if !v.Stats {
			continue
		}
		runs := r.RunsOf(v.Name)
		var order []string
		sum := map[string]*results.SyscallSide{}
		for _, run := range runs {
			for _, s := range results.SyscallSides(run) {
				acc, ok := sum[s.Syscall]
				if !ok {
					acc = &results.SyscallSide{Syscall: s.Syscall}
					sum[s.Syscall] = acc
					order = append(order, s.Syscall)
				}
				acc.EnterRuns += s.EnterRuns
				acc.EnterTimeNs += s.EnterTimeNs
				acc.ExitRuns += s.ExitRuns
				acc.ExitTimeNs += s.ExitTimeNs
			}
		}
		for _, name := range order {
			s := sum[name]
			n := float64(len(runs))
			side := func(cnt uint64, avg float64) (string, string) {
				if cnt == 0 {
					return "-", "-"
				}
				return numfmt.Thousands(float64(cnt) / n), numfmt.Duration(avg)
			}
			er, ea := side(s.EnterRuns, s.EnterAvgNs())
			xr, xa := side(s.ExitRuns, s.ExitAvgNs())
			t.Add(v.Name, name, er, ea, xr, xa)
		}
	}
	if len(t.Rows) == 0 {
		return nil
	}
	s := &page.Section{ID: "per-syscall", Title: "Per-syscall programs"}
	s.Paras = append(s.Paras, "Programs that run on one syscall's entry or exit only (tracepoints syscalls:sys_enter_NAME and sys_exit_NAME, "+
		"kprobe or fentry and kretprobe or fexit on the syscall's function), paired by syscall: runs per measured run, on the whole machine, and average run time. "+
		"Their times are in the sys_enter and sys_exit columns of the cost table; as they do not run on every syscall, they count no syscalls for ns per syscall. "+
		"A syscall's two sides run equally often, but for the calls in flight when a run's stats were read.")
	s.Tables = append(s.Tables, t)
	return s
}
