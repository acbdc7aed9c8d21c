package reports

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/benchctl/benchctl/bench/results"
)

// TestMemorySection: a tracer read through its v1 memory cgroup shows
// its peak with that method's footnote and its sampled means; one whose
// peak could not be had says "not measured" with the reason, never a
// number; benchctl's own probes show their process's figures.
func TestMemorySection(t *testing.T) {
	r, err := results.ReadResults(filepath.Join("testdata", "load-host.json"))
	if err != nil {
		t.Fatal(err)
	}
	for i := range r.Runs {
		tr := r.Runs[i].Tracer
		if tr == nil {
			continue
		}
		switch r.Runs[i].Variant {
		case "getpid/bpftrace-exit-only":
			tr.PeakMemoryBytes, tr.MemoryMethod = 96<<20, "memory.max_usage_in_bytes"
			tr.MeanMemoryBytes, tr.MemorySamples, tr.ResidentMethod = 40<<20, 12, "memory.usage_in_bytes"
			tr.AnonMeanBytes, tr.AnonPeakBytes, tr.AnonMethod = 30<<20, 31<<20, "memory.stat:total_rss"
		case "getpid/bpftrace-enter-exit":
			tr.PeakMemoryBytes, tr.MemoryMethod = 0, ""
			tr.MemoryMissing = "no v2 memory controller, and no v1 memory cgroup: permission denied; and no process was sampled"
		case "getpid/exit_only":
			tr.PeakMemoryBytes, tr.MemoryMethod = 20<<20, results.MemoryProcessHWM
			tr.MeanMemoryBytes, tr.ResidentMethod = 18<<20, "VmRSS"
		}
	}
	md := string(render(t, r, FormatMarkdown, Options{}))
	i := strings.Index(md, "## Memory")
	if i < 0 {
		t.Fatal("no Memory section")
	}
	mem := md[i:]
	mem = mem[:strings.Index(mem, "\n## ")]
	for _, want := range []string{
		"| `getpid/bpftrace-exit-only` | tracer bpftrace-exit-only (exit_only) | 101 MB⁴ | 41.9 MB | 31.5 MB | 4.76 kB |",
		"| `getpid/bpftrace-enter-exit` | tracer bpftrace-enter-exit (enter_exit) | not measured³ | not measured | not measured | 9.19 kB |",
		"| `getpid/exit_only` | exit_only | 21.0 MB¹ | 18.9 MB | not measured | 13.0 MB |",
		"⁴ memory.max_usage_in_bytes of the cgroup v1 memory cgroup",
		"³ not measured: no v2 memory controller, and no v1 memory cgroup: permission denied; and no process was sampled.",
		"¹ benchctl's own process: VmHWM, reset when its consumer started",
		"| `getpid/falco-0.21.0` | tracer falco-0.21.0 (enter_exit) | 56.5 MB² |",
		"² written before issue 33",
	} {
		if !strings.Contains(mem, want) {
			t.Errorf("Memory section lacks %q:\n%s", want, mem)
		}
	}
}
