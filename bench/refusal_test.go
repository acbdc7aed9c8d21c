package bench

import (
	"context"
	"runtime"
	"strings"
	"testing"

	"github.com/benchctl/benchctl/bench/results"
	"github.com/benchctl/benchctl/internal/tracertest"
)

// TestRunExternalUpstreamDriver runs Falco's scap-open with the upstream
// modern_bpf driver (0.21.0 and 0.25.4) and the patched 0.25.4. Whether
// a kernel loads them depends on the kernel (6.1 loads the upstream
// drivers; 6.12.117 and 6.18.44 refuse them at signal_deliver, and
// 6.18.44-fc-v1300 at recvmmsg_x), so each holds on either outcome: a
// refusal must be classified as the verifier's, with a program, a line
// and the instructions processed, and must not stop the scenario; a load
// must capture (events counted) and record every program's load cost.
// The upstream builds are the always-refused case wherever the host
// refuses them: their refusal is what is checked. The patched build is
// there to be measured: where the kernel refuses it too, its subtest
// skips with the classified refusal (tracertest.SkipRefused).
func TestRunExternalUpstreamDriver(t *testing.T) {
	requireProbes(t)
	up21 := tracertest.Shared(t, "scap-open-0.21.0-upstream-driver")
	up25 := tracertest.Shared(t, "scap-open-0.25.4-upstream-driver")
	patched := tracertest.Shared(t, "scap-open-0.25.4")
	tracer := func(name, path string) string {
		return `  ` + name + `:
    argv: ["` + path + `", --modern_bpf]
    sets: {getpid: [--ppm_sc, "16"]}
    ready: {output: 'Live capture in progress', timeout: 60s}
    stop: {signal: SIGINT, grace: 20s}
    counters: ['Number of ` + "`SCAP_SUCCESS`" + ` \(events correctly captured\): (?P<events>\d+)', '\[1\] n_drops: (?P<drops>\d+)']
`
	}
	sc := externalScenario(t, tracer("up21", up21)+tracer("up25", up25)+tracer("patched25", patched), 1)
	r, err := NewRunner(sc, RunOptions{Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	res, err := r.Run(context.Background())
	if err != nil {
		t.Fatalf("a refused tracer must not stop the scenario: %v", err)
	}
	if n := len(res.RunsOf(results.BaselineName)); n != 1 {
		t.Errorf("the baseline ran %d times, want 1", n)
	}
	for _, name := range []string{"getpid/up21", "getpid/up25", "getpid/patched25"} {
		t.Run(strings.TrimPrefix(name, "getpid/"), func(t *testing.T) {
			l := res.LoadOf(name)
			if l == nil {
				n, first := res.FailedRuns(name)
				t.Fatalf("%s: no load record (%d failed runs: %s)", name, n, first)
			}
			if f := l.Refusal; f != nil {
				if n, _ := res.FailedRuns(name); n != 1 {
					t.Errorf("%s: %d failed runs, want 1", name, n)
				}
				if name == "getpid/patched25" {
					_, first := res.FailedRuns(name)
					tracertest.SkipRefused(t, name, f, first)
				}
				t.Logf("%s refused: %s", name, f)
				if ok, why := tracertest.KernelRefusal(f); !ok || f.Kind != results.RefusedVerifier || f.ExitCode == nil {
					t.Errorf("%s: refusal %+v, want the verifier's with program, line, instructions and exit code (%s)", name, f, why)
				}
				return
			}
			checkScapOpenLoaded(t, name, l, res.RunsOf(name), sc.Workload.Syscalls.Count)
		})
	}
}

// checkScapOpenLoaded checks the one run of a scap-open that loaded: it
// captured the workload's calls, every program's load cost is recorded
// (tail-called ones besides the attached), and its per-CPU rings count in
// its BPF memory.
func checkScapOpenLoaded(t *testing.T, name string, l *results.Load, runs []results.Run, calls int64) {
	t.Helper()
	if len(runs) != 1 {
		t.Fatalf("%s: loaded but %d measured runs", name, len(runs))
	}
	// On a busy machine the driver may drop events (its reader is a
	// userspace process): drops are counted, and the run's counters must
	// account for every call.
	c := runs[0].Tracer.Counters
	drops, ok := c["drops"]
	if !ok {
		t.Errorf("%s: no drop count read from n_drops: %v", name, c)
	}
	if ev := c["events"]; ev+drops < float64(calls) {
		t.Errorf("%s: captured %v events and dropped %v, want at least the %d getpid calls", name, ev, drops, calls)
	} else if drops > 0 {
		t.Logf("%s: captured %v events and dropped %v on a busy machine", name, ev, drops)
	}
	attached := 0
	for _, p := range l.Programs {
		if p.Attached {
			attached++
		}
		if p.Name == "" || p.ID == 0 || p.XlatedBytes == 0 || p.VerifiedInsns == 0 {
			t.Errorf("%s: program load %+v, want name, id, size and verified instructions", name, p)
		}
	}
	if attached == 0 || len(l.Programs) <= attached || l.ReadyNs <= 0 {
		t.Errorf("%s: %d programs, %d attached, ready after %v: want tail-called programs besides the attached ones", name, len(l.Programs), attached, l.ReadyNs)
	}
	// Falco's per-CPU rings (8 MiB each by default) sit only in an
	// array of maps: counted, BPF memory is at least one per CPU.
	if ts := runs[0].Tracer; !ts.BPFMemoryEstimate && ts.BPFMemoryBytes < uint64(runtime.NumCPU())<<23 {
		t.Errorf("%s: BPF memory %d bytes, want at least one 8 MiB ring per CPU (%d)", name, ts.BPFMemoryBytes, runtime.NumCPU())
	}
	t.Logf("%s loaded: %d programs, largest %+v, BPF memory %d bytes", name, len(l.Programs), l.LargestPrograms()[0], runs[0].Tracer.BPFMemoryBytes)
}

// TestRunExternalRefusedPattern: a tracer that words its refusal its own
// way, matched by the scenario's refused pattern, is recorded as the
// verifier's refusal of the program it names, with its exit status; the
// scenario goes on.
func TestRunExternalRefusedPattern(t *testing.T) {
	requireProbes(t)
	sc := externalScenario(t, `  own:
    argv: [sh, -c, 'echo "cannot load my_prog: bad"; echo "0: (b7) r0 = 0"; echo "R1 invalid mem access"; echo "processed 5 insns (limit 1000000)"; exit 4']
    sets: {getpid: []}
    refused: '^cannot load (?P<program>\w+):'
`, 1)
	r, err := NewRunner(sc, RunOptions{Seed: 2})
	if err != nil {
		t.Fatal(err)
	}
	res, err := r.Run(context.Background())
	if err != nil {
		t.Fatalf("a refused tracer must not stop the scenario: %v", err)
	}
	l := res.LoadOf("getpid/own")
	if l == nil || l.Refusal == nil {
		t.Fatalf("no refusal recorded: %+v", l)
	}
	f := l.Refusal
	if f.Kind != results.RefusedVerifier || f.Program != "my_prog" || f.Line != "R1 invalid mem access" || f.Processed != 5 || f.ExitCode == nil || *f.ExitCode != 4 {
		t.Errorf("refusal %+v, want the verifier refusing my_prog after 5 insns, exit 4", f)
	}
}
