package bench

import (
	"context"
	"os"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/benchctl/benchctl/bench/results"
)

// upstreamDriver returns the path of a scap-open build in ../shared/tracers,
// skipping when it is missing.
func upstreamDriver(t *testing.T, name string) string {
	t.Helper()
	p, err := filepath.Abs(filepath.Join("..", "..", "shared", "tracers", name))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(p); err != nil {
		t.Skipf("no %s in ../shared/tracers: %v", name, err)
	}
	return p
}

// TestRunExternalUpstreamDriver runs Falco's scap-open with the upstream
// modern_bpf driver (0.21.0 and 0.25.4) and the patched 0.25.4. Whether
// the kernel loads the upstream drivers depends on the kernel (6.1 does,
// 6.12.117 and 6.18.44 refuse signal_deliver), so the test holds on
// either outcome: a refusal must be classified as the verifier's, with a
// program, a line and the instructions processed, and must not stop the
// scenario; a load must capture (events counted) and record every
// program's load cost. The patched build must load.
func TestRunExternalUpstreamDriver(t *testing.T) {
	requireProbes(t)
	up21 := upstreamDriver(t, "scap-open-0.21.0-upstream-driver")
	up25 := upstreamDriver(t, "scap-open-0.25.4-upstream-driver")
	patched := upstreamDriver(t, "scap-open-0.25.4")
	tracer := func(name, path string) string {
		return `  ` + name + `:
    argv: ["` + path + `", --modern_bpf]
    sets: {getpid: [--ppm_sc, "16"]}
    ready: {output: 'Live capture in progress', timeout: 60s}
    stop: {signal: SIGINT, grace: 20s}
    counters: ['Number of ` + "`SCAP_SUCCESS`" + ` \(events correctly captured\): (?P<events>\d+)']
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
	for _, name := range []string{"getpid/up21", "getpid/up25", "getpid/patched25"} {
		l := res.LoadOf(name)
		if l == nil {
			n, first := res.FailedRuns(name)
			t.Errorf("%s: no load record (%d failed runs: %s)", name, n, first)
			continue
		}
		if f := l.Refusal; f != nil {
			t.Logf("%s refused: %s", name, f)
			if name == "getpid/patched25" {
				t.Errorf("the patched driver was refused: %s", f)
			}
			if f.Kind != results.RefusedVerifier || f.Program == "" || f.Line == "" || f.Processed <= 0 || f.ExitCode == nil {
				t.Errorf("%s: refusal %+v, want the verifier's with program, line, instructions and exit code", name, f)
			}
			if n, _ := res.FailedRuns(name); n != 1 {
				t.Errorf("%s: %d failed runs, want 1", name, n)
			}
			continue
		}
		runs := res.RunsOf(name)
		if len(runs) != 1 {
			t.Errorf("%s: loaded but %d measured runs", name, len(runs))
			continue
		}
		if ev := runs[0].Tracer.Counters["events"]; ev < float64(sc.Workload.Syscalls.Count) {
			t.Errorf("%s: captured %v events, want at least the %d getpid calls", name, ev, sc.Workload.Syscalls.Count)
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
	if n := len(res.RunsOf(results.BaselineName)); n != 1 {
		t.Errorf("the baseline ran %d times, want 1", n)
	}
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
