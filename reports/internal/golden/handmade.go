package golden

import (
	"time"

	"github.com/benchctl/benchctl/bench/results"
)

// Handmade is a results file small enough that every number of
// its markdown report can be worked out by hand: a baseline and two probe
// variants of one set "s", 3 rounds each, 1000 syscalls per run (the
// sys_exit program's run count), 1 s of wall time.
//
//	round                        0        1        2        median
//	baseline throughput          1000     1000     1000     1000 ops/s
//	s/enter_exit
//	  sys_enter run time         40 µs    50 µs    45 µs    avg 40/50/45 ns    → 45 ns
//	  sys_exit run time          60 µs    70 µs    65 µs    avg 60/70/65 ns    → 65 ns
//	  kernel time (sum)          100 µs   120 µs   110 µs                      → 110 µs
//	  ns/syscall (÷1000)         100      120      110                         → 110 ns
//	  enter share                40/100   50/120   45/110   40%, 41.67%, 40.91% → 40.9%
//	  exit share                 60/100   70/120   65/110   60%, 58.33%, 59.09% → 59.1%
//	  attempted events           2000     2000     2000
//	  drops                      0        200      100                         → 100
//	  drop ratio (÷ attempted)   0%       10%      5%                          → 5.00%
//	  events received            2000     1800     1900                        → 1900 = 1.90k
//	  events/syscall             2.00     1.80     1.90                        → 1.90
//	  bytes (50 B an event)      100000   90000    95000                       → 95.0 kB
//	  avg event                  50       50       50                          → 50.0 B
//	  path reads (enter + exit)  200      200      200
//	  failed path reads          2        4        3        1%, 2%, 1.5%       → 1.50%
//	  throughput                 800      850      900                         → 850 ops/s
//	  vs baseline (t/1000 − 1)   -20%     -15%     -10%                        → -15.0%, overhead 15.0%
//	s/exit_only
//	  sys_exit run time          72 µs    82 µs    77 µs    avg 72/82/77 ns    → 77.0 ns
//	  kernel time                72 µs    82 µs    77 µs                       → 77.0 µs
//	  ns/syscall                 72       82       77                          → 77.0 ns
//	  enter share                0        0        0                           → 0%
//	  exit share                 100%     100%     100%                        → 100.0%
//	  attempted events           1000     1000     1000
//	  drops                      0        2        4                           → 2
//	  drop ratio (÷ attempted)   0%       0.2%     0.4%                        → 0.20%
//	  events received            1000     998      996                         → 998
//	  events/syscall             1.000    0.998    0.996                       → 0.998
//	  bytes (80 B an event)      80000    79840    79680                       → 79.8 kB
//	  avg event                  80       80       80                          → 80.0 B
//	  path reads (exit only)     100      100      100
//	  failed path reads          0        0        1        0%, 0%, 1%         → 0%
//	  throughput                 910      950      920                         → 920 ops/s
//	  vs baseline                -9%      -5%      -8%                         → -8.00%, overhead 8.00%
//
// enter_exit → exit_only: every measure's two samples are completely
// separated, so the two-sided Mann-Whitney p is 2/C(6,3) = 0.1 > 0.05:
// "~", with the note that 3 vs 3 cannot reach 0.05.
func Handmade() *results.Results {
	start := time.Date(2026, 11, 27, 8, 0, 0, 0, time.UTC)
	r := &results.Results{
		Schema: results.SchemaVersion,
		Scenario: results.ScenarioInfo{
			Name: "handmade", File: "scenarios/handmade.yaml", Workload: "syscalls: getpid",
			Repetitions: 3,
		},
		Environment: results.Environment{Kernel: "6.18.0-test", Arch: "amd64", CPUs: 2, ClockSource: "tsc", StatsMethod: "BPF_ENABLE_STATS"},
		Seed:        7,
		Complete:    true,
		Started:     start,
		Finished:    start.Add(90 * time.Second),
		Variants: []results.Variant{
			{Name: "baseline", Mode: results.ModeNone, Stats: true, Baseline: true},
			{Name: "s/enter_exit", Mode: results.ModeEnterExit, Set: "s", Syscalls: []string{"getpid"}, Stats: true},
			{Name: "s/exit_only", Mode: results.ModeExitOnly, Set: "s", Syscalls: []string{"getpid"}, Stats: true},
		},
	}
	type probeRun struct {
		enterNs, exitNs  uint64 // total run time over 1000 runs
		attempted, drops uint64
		eventSize        uint64
		pathsFailed      uint64 // of 100 path reads at each side it reads on
		throughput       float64
	}
	ee := []probeRun{
		{40_000, 60_000, 2000, 0, 50, 2, 800},
		{50_000, 70_000, 2000, 200, 50, 4, 850},
		{45_000, 65_000, 2000, 100, 50, 3, 900},
	}
	xo := []probeRun{
		{0, 72_000, 1000, 0, 80, 0, 910},
		{0, 82_000, 1000, 2, 80, 0, 950},
		{0, 77_000, 1000, 4, 80, 1, 920},
	}
	run := func(variant string, round int, p probeRun) results.Run {
		out := results.Run{
			Variant: variant, Round: round, Wall: time.Second,
			Kernel:   results.Counters{Attempted: p.attempted, DropsFull: p.drops},
			User:     results.ConsumerStats{Events: p.attempted - p.drops, Bytes: (p.attempted - p.drops) * p.eventSize},
			Workload: results.Result{Throughput: p.throughput, Unit: "ops/s"},
		}
		// enter_exit reads its paths at both sides, failing at enter;
		// exit_only at exit.
		out.Kernel.PathReads = map[string]results.PathReads{"openat_exit": {Reads: 100}}
		if p.enterNs > 0 {
			out.Kernel.PathReads["openat_enter"] = results.PathReads{Reads: 100, Failed: p.pathsFailed}
		} else {
			out.Kernel.PathReads["openat_exit"] = results.PathReads{Reads: 100, Failed: p.pathsFailed}
		}
		if p.enterNs > 0 {
			out.Programs = append(out.Programs, results.ProgramStats{Name: "sys_enter", Role: results.RoleEnter, RunCount: 1000, RunTimeNs: p.enterNs})
		}
		out.Programs = append(out.Programs, results.ProgramStats{Name: "sys_exit", Role: results.RoleExit, RunCount: 1000, RunTimeNs: p.exitNs})
		return out
	}
	for round := range 3 {
		r.Runs = append(r.Runs,
			results.Run{Variant: "baseline", Round: round, Wall: time.Second, Workload: results.Result{Throughput: 1000, Unit: "ops/s"}},
			run("s/enter_exit", round, ee[round]),
			run("s/exit_only", round, xo[round]),
		)
	}
	results.Derive(r)
	return r
}
