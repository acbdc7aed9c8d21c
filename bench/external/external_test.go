package external

import (
	"context"
	"errors"
	"os"
	"testing"

	"github.com/benchctl/benchctl/bench/results"
	"github.com/benchctl/benchctl/bench/scenario"
	"github.com/benchctl/benchctl/internal/tracertest"
	"github.com/benchctl/benchctl/probes"
	"github.com/benchctl/benchctl/workloads"
)

// tracers parses a scenario with the given tracers section.
func tracers(t *testing.T, section string) *scenario.Scenario {
	t.Helper()
	yaml := "name: ext\nworkload: {type: syscalls, mix: getpid, threads: 1, count: 1000}\nsets: {getpid: [getpid]}\nfloor: false\ntracers:\n" + section
	sc, err := scenario.ParseBytes("ext.yaml", []byte(yaml))
	if err != nil {
		t.Fatal(err)
	}
	return sc
}

// requireTracers skips where a tracer cannot be started: it needs root
// for its cgroup and a kernel that runs BPF programs.
func requireTracers(t *testing.T) {
	t.Helper()
	if testing.Short() {
		t.Skip("-short starts no tracers")
	}
	if os.Geteuid() != 0 {
		t.Skip("starting a tracer in a cgroup of its own needs root")
	}
	if err := probes.CheckEnvironment(); err != nil {
		t.Skipf("this machine cannot run BPF programs: %v", err)
	}
}

// TestStartMissing: a tracer whose program is not here is not started,
// and the error says it is missing.
func TestStartMissing(t *testing.T) {
	sc := tracers(t, "  gone:\n    argv: [/nonexistent/benchctl-tracer]\n    sets: {getpid: []}\n")
	tr, err := Start(context.Background(), sc.Tracers[0], "getpid")
	if !errors.Is(err, workloads.ErrTracerMissing) || tr != nil {
		t.Fatalf("Start = %v, %v; want no tracer and ErrTracerMissing", tr, err)
	}
	checks := CheckTracerLoads(context.Background(), sc, nil)
	if len(checks) != 1 || checks[0].Loaded || !errors.Is(checks[0].Err, workloads.ErrTracerMissing) {
		t.Errorf("CheckTracerLoads = %+v, want one check that failed with ErrTracerMissing", checks)
	}
}

// TestCheckTracerLoadsRefused: a tracer that exits saying the verifier
// refused its program is a refusal, classified from its output and exit
// status, not a failure to start.
func TestCheckTracerLoadsRefused(t *testing.T) {
	requireTracers(t)
	sc := tracers(t, `  own:
    argv: [sh, -c, 'echo "cannot load my_prog: bad"; echo "0: (b7) r0 = 0"; echo "R1 invalid mem access"; echo "processed 5 insns (limit 1000000)"; exit 4']
    sets: {getpid: []}
    refused: '^cannot load (?P<program>\w+):'
`)
	checks := CheckTracerLoads(context.Background(), sc, map[string]bool{"own": true})
	if len(checks) != 1 {
		t.Fatalf("%d checks, want 1", len(checks))
	}
	c := checks[0]
	if c.Loaded || c.Err != nil || c.Set != "getpid" {
		t.Errorf("check %+v: want not loaded, no other error, set getpid", c)
	}
	f := c.Refusal
	if f == nil || f.Kind != results.RefusedVerifier || f.Program != "my_prog" || f.Processed != 5 || f.ExitCode == nil || *f.ExitCode != 4 {
		t.Errorf("refusal %+v, want the verifier refusing my_prog after 5 insns, exit 4", f)
	}
}

// TestTracerLife starts bpftrace, waits until it is ready, finds its one
// attached program, stops it with its stop signal and waits until the
// kernel freed what it held.
func TestTracerLife(t *testing.T) {
	requireTracers(t)
	bt := tracertest.Bpftrace(t)
	sc := tracers(t, `  bt:
    argv: [`+bt+`, -e]
    sets: {getpid: ['tracepoint:raw_syscalls:sys_exit /args->id == 39/ { @exit = count(); }']}
    ready: {output: 'Attaching \d+ probes?'}
`)
	ctx := context.Background()
	tr, err := Start(ctx, sc.Tracers[0], "getpid")
	if err != nil {
		t.Fatal(err)
	}
	defer tr.Close()
	ready, err := tr.WaitReady(ctx)
	if err != nil {
		if l := tr.Refusal(); l != nil {
			tracertest.SkipRefused(t, "bpftrace", l.Refusal, tr.Output())
		}
		t.Fatalf("not ready: %v; output:\n%s", err, tr.Output())
	}
	if ready <= 0 {
		t.Errorf("ready after %v", ready)
	}
	if l := tr.Refusal(); l != nil {
		t.Errorf("a ready tracer has a refusal: %+v", l)
	}
	tb, _, err := tr.Find()
	if err != nil {
		t.Fatal(err)
	}
	if len(tb.Attached) != 1 || len(tb.Programs) < 1 {
		t.Errorf("%d programs, %d attached; want the script's one attached program", len(tb.Programs), len(tb.Attached))
	}
	u0, uerr := tr.Usage()
	tr.BeginSteady()
	var ts results.TracerStats
	tr.RecordSteady(&ts)
	exit, err := tr.Stop()
	if err != nil {
		t.Fatal(err)
	}
	tr.RecordUsage(&ts, u0, uerr)
	if uerr != nil || ts.CPUMethod != results.TracerCPUCgroup || ts.CPUWindow != results.CPUWindowWorkloadToExit {
		t.Errorf("usage not recorded (first reading: %v): %+v", uerr, ts)
	}
	if ts.PeakMemoryBytes == 0 && ts.MemoryMissing == "" {
		t.Errorf("neither a peak memory nor why it is missing: %+v", ts)
	}
	if bad := tr.EndedBadly(exit); bad != nil {
		t.Errorf("bpftrace ended badly: %v; output:\n%s", bad, tr.Output())
	}
	if err := tr.WaitGone(); err != nil {
		t.Error(err)
	}
	// Looked at once more, with no waiting: nothing of it is left.
	if err := probes.WaitGone(tb.Programs, tb.Maps, 0); err != nil {
		t.Errorf("after WaitGone: %v", err)
	}
}

func TestDescribeExit(t *testing.T) {
	for _, tc := range []struct {
		e    workloads.TracerExit
		want string
	}{
		{workloads.TracerExit{ExitCode: 3}, "exit status 3"},
		{workloads.TracerExit{Signal: "SIGKILL", Killed: true}, "killed by SIGKILL (it was still running after the grace period)"},
	} {
		if got := DescribeExit(tc.e); got != tc.want {
			t.Errorf("DescribeExit(%+v) = %q, want %q", tc.e, got, tc.want)
		}
	}
}
