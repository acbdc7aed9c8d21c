package main

import (
	"bytes"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/benchctl/benchctl/bench/results"
	"github.com/benchctl/benchctl/bench/scenario"
	"github.com/benchctl/benchctl/probes"
	"github.com/benchctl/benchctl/workloads"
)

// TestParseInterspersed: run's flags may come before, between and after
// its arguments; after "--" everything is an argument.
func TestParseInterspersed(t *testing.T) {
	cases := []struct {
		args []string
		pos  []string
		out  string
		only []string
		reps int
	}{
		{[]string{"s.yaml"}, []string{"s.yaml"}, "", nil, 0},
		{[]string{"-o", "r.json", "s.yaml"}, []string{"s.yaml"}, "r.json", nil, 0},
		{[]string{"s.yaml", "-o", "r.json", "--repetitions", "3"}, []string{"s.yaml"}, "r.json", nil, 3},
		{[]string{"--only", "a", "s.yaml", "--only=b,c", "x"}, []string{"s.yaml", "x"}, "", []string{"a", "b,c"}, 0},
		{[]string{"s.yaml", "--", "-o", "t"}, []string{"s.yaml", "-o", "t"}, "", nil, 0},
		{[]string{"--repetitions", "2", "--", "-weird.yaml"}, []string{"-weird.yaml"}, "", nil, 2},
	}
	for _, c := range cases {
		cmd, pos, err := parseCommandLine(append([]string{"run"}, c.args...))
		if err != nil {
			t.Errorf("%q: %v", c.args, err)
			continue
		}
		out, _ := cmd.Flags().GetString("output")
		reps, _ := cmd.Flags().GetInt("repetitions")
		only := *cmd.Flags().Lookup("only").Value.(*stringList)
		if !slices.Equal(pos, c.pos) || out != c.out || !slices.Equal(only, c.only) || reps != c.reps {
			t.Errorf("%q: pos %q out %q only %q reps %d", c.args, pos, out, only, reps)
		}
	}
	if _, _, err := parseCommandLine([]string{"run", "s.yaml", "--nosuch"}); err == nil {
		t.Error("unknown flag accepted")
	}
}

func TestValidateExitCodes(t *testing.T) {
	cases := []struct {
		args []string
		code int
	}{
		{[]string{"../../scenarios/ci.yaml"}, 0},
		{[]string{"../../scenarios/redis.yaml", "--only", "big/*", "--repetitions", "2"}, 0},
		{[]string{"../../bench/scenario/testdata/bad/unknown_syscall.yaml"}, 2},
		{[]string{"../../bench/scenario/testdata/bad-capacity/rate_zero.yaml"}, 2},
		{[]string{"../../bench/scenario/testdata/bad-capacity/max_rate_unreachable.yaml"}, 2},
		{[]string{"../../scenarios/capacity.yaml"}, 0},
		{[]string{"../../scenarios/nosuch.yaml"}, 2},
		{[]string{}, 2},
		{[]string{"a.yaml", "b.yaml"}, 2},
		{[]string{"../../scenarios/ci.yaml", "--only", "nosuch"}, 2},
		{[]string{"../../scenarios/ci.yaml", "--repetitions", "-1"}, 2},
		{[]string{"../../scenarios/ci.yaml", "--bogus"}, 2},
	}
	for _, c := range cases {
		if got := exitCode(captureStdout(t, func() error { return validateCmd(c.args) })); got != c.code {
			t.Errorf("validate %q: exit %d, want %d", c.args, got, c.code)
		}
	}
}

func TestRunBadScenarioExits2BeforeLoading(t *testing.T) {
	err := captureStdout(t, func() error {
		return runCmd([]string{"../../bench/scenario/testdata/bad/empty_set.yaml", "-o", t.TempDir() + "/r.json"})
	})
	if exitCode(err) != 2 {
		t.Errorf("err = %v, want exit 2", err)
	}
}

// captureStdout runs fn with stdout and stderr sent to /dev/null.
func captureStdout(t *testing.T, fn func() error) error {
	t.Helper()
	null, err := os.OpenFile(os.DevNull, os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer null.Close()
	stdout, stderr := os.Stdout, os.Stderr
	os.Stdout, os.Stderr = null, null
	defer func() { os.Stdout, os.Stderr = stdout, stderr }()
	return fn()
}

func TestPrintPlan(t *testing.T) {
	sc, err := scenario.Parse("../../scenarios/redis.yaml")
	if err != nil {
		t.Fatal(err)
	}
	vs, _ := sc.Expand()
	var b bytes.Buffer
	printPlan(&b, sc, vs)
	out := b.String()
	for _, want := range []string{
		"scenario redis", "11 variants:", "big/exit_only_nostats", "baseline_nostats",
		"6 measured + 1 warm-up = 77 runs", "estimated duration: about", "gate: ns_per_syscall 5%, overhead 5 pts",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("plan lacks %q:\n%s", want, out)
		}
	}
}

func TestPrintSummary(t *testing.T) {
	change := -0.2
	res := &results.Results{
		Complete: false,
		Reason:   "interrupted",
		Variants: []results.Variant{
			{Name: "baseline", Mode: probes.ModeNone, Baseline: true, Stats: true},
			{Name: "s/enter_exit", Mode: probes.ModeEnterExit, Stats: true},
		},
		Runs: []results.Run{
			{Variant: "baseline", Wall: time.Second, Workload: workloads.Result{Throughput: 100000, Unit: "requests/s"}},
			{Variant: "s/enter_exit", Wall: time.Second,
				Programs: []probes.ProgramStats{{Name: "sys_enter", RunCount: 100, RunTimeNs: 6000}, {Name: "sys_exit", RunCount: 100, RunTimeNs: 7000}},
				Kernel:   probes.Counters{Attempted: 200, DropsFull: 2},
				User:     probes.ConsumerStats{Events: 198},
				Workload: workloads.Result{Throughput: 80000, Unit: "requests/s"},
				Derived:  results.Derived{KernelTimeNs: 13000, ThroughputChange: &change}},
		},
	}
	var b bytes.Buffer
	printSummary(&b, res)
	out := b.String()
	for _, want := range []string{"sys_enter avg", "60.0 ns", "70.0 ns", "198", "80.0k requests/s", "-20.0%", "incomplete: interrupted"} {
		if !strings.Contains(out, want) {
			t.Errorf("summary lacks %q:\n%s", want, out)
		}
	}
}

// TestRoundsBounded: --repetitions and --warmup are held to what a
// scenario may ask for; past it, the duration estimate would overflow.
func TestRoundsBounded(t *testing.T) {
	for _, tc := range []struct {
		reps, warmup int
		ok           bool
	}{
		{scenario.MaxRepetitions, scenario.MaxWarmup, true},
		{scenario.MaxRepetitions + 1, 0, false},
		{1 << 40, 0, false},
		{-1, 0, false},
		{5, scenario.MaxWarmup + 1, false},
		{5, -1, false},
	} {
		sf := scenarioFlags{repetitions: tc.reps, warmup: optionalInt{n: tc.warmup, set: true}}
		sc := &scenario.Scenario{Repetitions: 5}
		err := sf.apply(sc)
		if (err == nil) != tc.ok || err != nil && exitCode(err) != 2 {
			t.Errorf("--repetitions %d --warmup %d: %v (exit %d), want ok %v or exit 2", tc.reps, tc.warmup, err, exitCode(err), tc.ok)
		}
	}
}
