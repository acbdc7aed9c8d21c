package compare

import (
	"testing"

	"github.com/benchctl/benchctl/bench/results"
	"github.com/benchctl/benchctl/bench/stats"
)

// withPeaks sets every traced run's tracer peak memory as benchctl's
// own process's VmHWM: 60 MiB plus 256 KiB per round (a spread of about
// 1.7%, wider than any tracer's measured in docs/measurements/memory.md),
// times grow[variant] where given.
func withPeaks(r *results.Results, grow map[string]float64) *results.Results {
	for i := range r.Runs {
		run := &r.Runs[i]
		if run.Tracer == nil {
			continue
		}
		peak := float64(60<<20 + run.Round*(256<<10))
		if g, ok := grow[run.Variant]; ok {
			peak *= g
		}
		run.Tracer.PeakMemoryBytes, run.Tracer.MemoryMethod = uint64(peak), results.MemoryProcessHWM
	}
	return r
}

// TestCompareRSSPeak: compare --threshold rss_peak=10 flags a tracer
// whose peak memory grew by 25% (an edited results file), and passes
// the same file unchanged; its rows are in percent.
func TestCompareRSSPeak(t *testing.T) {
	th := map[string]float64{"rss_peak": 10}
	base := withPeaks(readFixture(t, "base.json"), nil)

	c, err := Compare(base, withPeaks(readFixture(t, "head.json"), nil), CompareOptions{Thresholds: th})
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, r := range c.Rows {
		if r.Metric != "rss_peak" {
			continue
		}
		n++
		if r.Verdict != stats.VerdictNoChange || r.InPoints() {
			t.Errorf("unchanged %s rss_peak: %s (change %.2f%%)", r.Variant, r.Verdict, r.Change())
		}
	}
	if n == 0 || c.Status() != StatusPass || len(c.Missing) != 0 {
		t.Errorf("unchanged: %d rss_peak rows, status %s, missing %q; want rows and a pass", n, c.Status(), c.Missing)
	}

	grown := withPeaks(readFixture(t, "head.json"), map[string]float64{"big/enter_exit": 1.25})
	c, err = Compare(base, grown, CompareOptions{Thresholds: th})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range c.Rows {
		if r.Metric != "rss_peak" {
			continue
		}
		want := stats.VerdictNoChange
		if r.Variant == "big/enter_exit" {
			want = stats.VerdictRegression
			if r.Change() < 24 || r.Change() > 26 {
				t.Errorf("big/enter_exit rss_peak change %.2f%%, want +25%%", r.Change())
			}
		}
		if r.Verdict != want {
			t.Errorf("grown %s rss_peak: %s (change %.2f%%), want %s", r.Variant, r.Verdict, r.Change(), want)
		}
	}
	if c.Status() != StatusRegression {
		t.Errorf("grown: status %s, want regression", c.Status())
	}
}

// TestRSSPeakMethods: the gate reads the kernel's peaks and benchctl's
// process VmHWM, not a sampled VmHWM sum nor the figure of files before
// issue 33, which missed exited processes.
func TestRSSPeakMethods(t *testing.T) {
	m, ok := results.GateMeasure("rss_peak")
	if !ok || !m.NoiseFree {
		t.Fatalf("rss_peak: %+v, %v; want a noise-free gate measure", m, ok)
	}
	v := results.Variant{Name: "v", Mode: results.ModeExitOnly}
	for method, want := range map[string]bool{
		"memory.peak": true, "memory.max_usage_in_bytes": true, results.MemoryProcessHWM: true,
		"VmHWM_sampled": false, "VmHWM": false, results.MemoryProcessHWMLife: false, "": false,
	} {
		run := results.Run{Tracer: &results.TracerStats{PeakMemoryBytes: 1 << 20, MemoryMethod: method}}
		if _, ok := m.Value(v, run); ok != want {
			t.Errorf("method %q: gated %v, want %v", method, ok, want)
		}
	}
	if _, ok := m.Value(results.Variant{Name: "baseline", Baseline: true}, results.Run{Tracer: &results.TracerStats{PeakMemoryBytes: 1, MemoryMethod: "memory.peak"}}); ok {
		t.Error("a baseline is gated on rss_peak")
	}
}
