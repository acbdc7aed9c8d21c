package bench

import (
	"os"
	"path/filepath"
	"regexp"
	"testing"

	"github.com/benchctl/benchctl/bench/scenario"
	"github.com/benchctl/benchctl/workloads"
)

// goldenOutputs are what third-party tracers printed when they stopped,
// recorded on a kernel that loaded them (6.18.44-fc-v1300, 2026-12-07,
// each run with 100,000 getpid calls from python3, stopped with SIGINT):
// scap-open --modern_bpf --ppm_sc 16, sinsp-example -m -t -x -f
// 'evt.type in (getpid)', and the bpftrace script of ci-external.yaml's
// getpid set. want holds every figure the shipped scenarios' counters
// read from them.
var goldenOutputs = map[string]struct {
	file string
	want map[string]float64
}{
	"scap-open-0.21.0": {"scap-open-0.21.0-getpid-6.18.44-fc-v1300.txt",
		map[string]float64{"kernel_events": 245590, "drops": 0, "events": 245586, "bytes": 7858752}},
	"scap-open-0.25.4": {"scap-open-0.25.4-getpid-6.18.44-fc-v1300.txt",
		map[string]float64{"kernel_events": 79624946, "drops": 0, "events": 79623554, "bytes": 2707200836}},
	"sinsp-example-0.21.0": {"sinsp-example-0.21.0-getpid-6.18.44-fc-v1300.txt",
		map[string]float64{"events": 200182, "kernel_sc": 23}},
	"sinsp-example-0.25.4": {"sinsp-example-0.25.4-getpid-6.18.44-fc-v1300.txt",
		map[string]float64{"events": 100759, "kernel_sc": 23}},
	"bpftrace": {"bpftrace-enter-exit-getpid-6.18.44-fc-v1300.txt",
		map[string]float64{"enter_calls": 101159, "exit_calls": 101159}},
}

// TestShippedCountersReadGoldenOutputs: the counters of every tracer of
// every shipped scenario read the figures out of that tracer's recorded
// output. The parsers stay tested on a kernel that refuses the tracers,
// where the tests that run them skip (tracertest.SkipRefused).
func TestShippedCountersReadGoldenOutputs(t *testing.T) {
	files, err := filepath.Glob("../scenarios/*.yaml")
	if err != nil || len(files) == 0 {
		t.Fatalf("no shipped scenarios: %v", err)
	}
	seen := map[string]bool{}
	for _, path := range files {
		sc, err := scenario.ParseWith(path, scenario.ParseOptions{Vars: map[string]string{"FALCO_TRACERS": "/nonexistent", "BPFTRACE": "bpftrace"}})
		if err != nil {
			t.Errorf("%s: %v", path, err)
			continue
		}
		for _, tr := range sc.Tracers {
			if len(tr.Argv) == 0 || len(tr.Counters) == 0 {
				continue
			}
			bin := filepath.Base(tr.Argv[0])
			g, ok := goldenOutputs[bin]
			if !ok {
				continue
			}
			seen[bin] = true
			out, err := os.ReadFile(filepath.Join("..", "probes", "testdata", "tracer-output", g.file))
			if err != nil {
				t.Fatal(err)
			}
			var res []*regexp.Regexp
			for _, c := range tr.Counters {
				res = append(res, regexp.MustCompile(c))
			}
			got, err := workloads.ParseCounters(string(out), res)
			if err != nil {
				t.Errorf("%s: tracer %s's counters from %s: %v", path, tr.Name, g.file, err)
			}
			for _, re := range res {
				for _, name := range re.SubexpNames()[1:] {
					want, ok := g.want[name]
					if !ok {
						continue // a text, such as kernel_set_text
					}
					if v, found := got[name]; !found || v != want {
						t.Errorf("%s: tracer %s's counter %s read %v (found %v) from %s, want %v", path, tr.Name, name, v, found, g.file, want)
					}
				}
			}
			for name := range g.want {
				if _, ok := got[name]; !ok && readsName(res, name) {
					t.Errorf("%s: tracer %s's counters miss %s", path, tr.Name, name)
				}
			}
		}
	}
	for bin := range goldenOutputs {
		if !seen[bin] {
			t.Errorf("no shipped scenario runs %s: its recorded output tests nothing", bin)
		}
	}
}

func readsName(res []*regexp.Regexp, name string) bool {
	for _, re := range res {
		if re.SubexpIndex(name) > 0 {
			return true
		}
	}
	return false
}
