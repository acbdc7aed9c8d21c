package reports

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/benchctl/benchctl/bench/results"
	"github.com/benchctl/benchctl/reports/internal/golden"
)

// plant puts s(0), s(1), ... in every string of r that a scenario, a
// tracer or a results file decides: the scenario's name, file and
// workload, the environment's, the variants', sets', tracers' and
// syscalls' names, a failed run's error, the reason the run is
// incomplete, what the tracers printed.
func plant(r *results.Results, s func(int) string) {
	n := 0
	next := func() string { n++; return s(n) }
	r.Scenario.Name, r.Scenario.File, r.Scenario.Workload = next(), next(), next()
	e := &r.Environment
	e.Kernel, e.Arch, e.CPUModel, e.Hostname, e.BenchctlVersion, e.GoVersion, e.StatsMethod, e.ClockSource = next(), next(), next(), next(), next(), next(), next(), next()
	e.Instructions = next()
	r.Complete, r.Reason = false, next()
	names, sets, tracers, syscalls := map[string]string{}, map[string]string{}, map[string]string{}, map[string]string{}
	rename := func(m map[string]string, old string) string {
		if old == "" {
			return ""
		}
		if _, ok := m[old]; !ok {
			m[old] = next()
		}
		return m[old]
	}
	for i := range r.Variants {
		v := &r.Variants[i]
		v.Name, v.Set, v.Tracer, v.Family = rename(names, v.Name), rename(sets, v.Set), rename(tracers, v.Tracer), rename(tracers, v.Family)
		for j, sc := range v.Syscalls {
			v.Syscalls[j] = rename(syscalls, sc)
		}
	}
	if fp := r.Fingerprint; fp != nil {
		m := map[string]uint64{}
		for k, c := range fp.Syscalls {
			m[rename(syscalls, k)] = c
		}
		fp.Syscalls = m
	}
	failed := map[string]bool{}
	for i := range r.Runs {
		run := &r.Runs[i]
		run.Variant = rename(names, run.Variant)
		if run.Error != "" || !failed[run.Variant] && run.Round == 0 {
			run.Error, failed[run.Variant] = next(), true
		}
		if t := run.Tracer; t != nil {
			t.Output = next()
			t.Texts = map[string]string{next(): next()}
			c := map[string]float64{}
			for k, x := range t.Counters {
				c[rename(syscalls, k)] = x
			}
			t.Counters = c
		}
	}
	if p := r.Provenance; p != nil {
		p.Set = map[string]string{next(): next()}
		for i := range p.Tracers {
			p.Tracers[i].Name = rename(tracers, p.Tracers[i].Name)
			p.Tracers[i].Argv = []string{next(), next()}
			p.Tracers[i].Executable = next()
		}
	}
}

// TestMarkdownReportInert renders reports whose every string from a
// scenario, a tracer or a results file is hostile (headings, @mentions,
// links, images, HTML, fences, pipes, backslashes) through a CommonMark
// parser: each must render to the same elements as the same report with
// benign strings, and its text must hold nothing GitHub links.
func TestMarkdownReportInert(t *testing.T) {
	fixtures := map[string]func(t *testing.T) *results.Results{
		"base": func(t *testing.T) *results.Results { return golden.Results(t, "base.json") },
		"load": func(t *testing.T) *results.Results {
			r, err := results.ReadResults(filepath.Join("testdata", "load-host.json"))
			if err != nil {
				t.Fatal(err)
			}
			return r
		},
	}
	for name, load := range fixtures {
		for i := range golden.Hostile {
			t.Run(name+"/"+strings.Fields(golden.Hostile[i])[0], func(t *testing.T) {
				hostile, benign := load(t), load(t)
				plant(hostile, func(n int) string { return golden.HostileString(i + n*len(golden.Hostile)) })
				plant(benign, func(n int) string { return golden.Benign(i + n*len(golden.Hostile)) })
				results.Derive(hostile)
				results.Derive(benign)
				md := string(render(t, hostile, FormatMarkdown, Options{}))
				golden.Inert(t, md, string(render(t, benign, FormatMarkdown, Options{})))
				golden.TablesWellFormed(t, md)
				if t.Failed() && os.Getenv("BENCHCTL_SHOW_MD") != "" {
					t.Logf("markdown:\n%s", md)
				}
			})
		}
	}
}
