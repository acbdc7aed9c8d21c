package compare

import (
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/benchctl/benchctl/bench/results"
)

// TestGateMissingFigure (issue 29, finding 1): a gated figure that a
// side cannot compute is not "not gated": with its programs gone from
// the head, or its overhead infinite in one run, the comparison names
// the figure and is inconclusive, even with --inconclusive pass, where
// the same head with its figures passes.
func TestGateMissingFigure(t *testing.T) {
	for _, tc := range []struct {
		name   string
		mutate func(h *results.Results)
		want   string
	}{
		{"programs removed", func(h *results.Results) {
			for i := range h.Runs {
				if h.Runs[i].Variant == "small/exit_only" {
					h.Runs[i].Programs = nil
				}
			}
			results.Derive(h)
		}, "head: small/exit_only ns_per_syscall has no value in any of 5 measured runs"},
		{"overhead +Inf", func(h *results.Results) {
			inf := math.Inf(-1) // throughput change −∞: overhead +∞
			for i := range h.Runs {
				if h.Runs[i].Variant == "big/enter_exit" && h.Runs[i].Round == 2 {
					h.Runs[i].Derived.ThroughputChange = &inf
				}
			}
		}, "head: big/enter_exit overhead is +Inf in 1 of 5 measured runs"},
		{"ns_per_syscall NaN in every run", func(h *results.Results) {
			for i := range h.Runs {
				if h.Runs[i].Variant == "floor" {
					h.Runs[i].Derived.NsPerSyscall = math.NaN()
				}
			}
		}, "head: floor ns_per_syscall is NaN in 5 of 5 measured runs"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			base, head := readFixture(t, "base.json"), readFixture(t, "head.json")
			for _, pass := range []bool{false, true} {
				c, err := Compare(base, head, CompareOptions{InconclusivePass: pass})
				if err != nil || c.Status() != StatusPass || len(c.Missing) != 0 {
					t.Fatalf("before: %v, status %s, missing %q", err, c.Status(), c.Missing)
				}
			}
			tc.mutate(head)
			for _, pass := range []bool{false, true} {
				c, err := Compare(base, head, CompareOptions{InconclusivePass: pass})
				if err != nil {
					t.Fatal(err)
				}
				if c.Status() != StatusInconclusive || !slices.ContainsFunc(c.Missing, func(m string) bool { return strings.HasPrefix(m, tc.want) }) {
					t.Errorf("--inconclusive pass %v: status %s, missing %q; want inconclusive and %q", pass, c.Status(), c.Missing, tc.want)
				}
			}
		})
	}
}

// TestGateMissingFigureRegressionWins: a regression elsewhere is still
// a regression (exit 1) when another figure is missing: what was
// compared regressed.
func TestGateMissingFigureRegressionWins(t *testing.T) {
	base, head := readFixture(t, "base.json"), readFixture(t, "head_slow.json")
	for i := range head.Runs {
		if head.Runs[i].Variant == "small/exit_only" {
			head.Runs[i].Programs = nil
		}
	}
	results.Derive(head)
	c, err := Compare(base, head, CompareOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if c.Status() != StatusRegression || len(c.Missing) != 1 {
		t.Errorf("status %s, missing %q; want a regression and one missing figure", c.Status(), c.Missing)
	}
}

// TestDifferences (issue 29, finding 2): what a comparison may span.
// Each difference of kernel, CPU, kind of machine, workload, scenario
// file or schema makes it inconclusive, names itself, and is lifted by
// naming it in AllowEnvChange only; a TCG guest on either side and one
// measurement on both sides are lifted by nothing.
func TestDifferences(t *testing.T) {
	all := slices.Clone(EnvChanges)
	for _, tc := range []struct {
		name   string
		mutate func(b, h *results.Results)
		what   string
		text   string
	}{
		{"kernel", func(b, h *results.Results) { h.Environment.Kernel = "6.1.0" }, ChangeKernel, `kernel differs: base "6.18.0-2-cloud-amd64", head "6.1.0"`},
		{"cpu model", func(b, h *results.Results) { h.Environment.CPUModel = "Xeon" }, ChangeCPU, "CPU differs"},
		{"cpu count", func(b, h *results.Results) { h.Environment.CPUs = 64 }, ChangeCPU, "× 64"},
		{"arch", func(b, h *results.Results) { h.Environment.Arch = "arm64" }, ChangeCPU, "arm64"},
		{"kvm guest", func(b, h *results.Results) { h.Environment.Guest = "qemu-kvm" }, ChangeGuest, `base "host", head "qemu-kvm"`},
		{"workload", func(b, h *results.Results) { h.Scenario.Workload = "redis: -n 10" }, ChangeWorkload, "workload differs"},
		{"scenario file", func(b, h *results.Results) { h.Scenario.SHA256 = "00" }, ChangeScenario, "scenario file (sha256) differs"},
		{"schema", func(b, h *results.Results) { b.Schema = 1 }, ChangeSchema, `results schema differs: base "1", head "3"`},
		{"tcg head", func(b, h *results.Results) { h.Environment.Guest, h.Environment.Hostname = "qemu-tcg", "far" }, DiffTCG, "TCG guest"},
		{"tcg both", func(b, h *results.Results) { b.Environment.Guest, h.Environment.Guest = "qemu-tcg", "qemu-tcg" }, DiffTCG, "TCG guest"},
		{"itself", func(b, h *results.Results) { *h = *b }, DiffSame, "same measurement"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			base, head := readFixture(t, "base.json"), readFixture(t, "head.json")
			tc.mutate(base, head)
			c, err := Compare(base, head, CompareOptions{InconclusivePass: true})
			if err != nil {
				t.Fatal(err)
			}
			i := slices.IndexFunc(c.Differences, func(d Difference) bool { return d.What == tc.what })
			if i < 0 || !strings.Contains(c.Differences[i].String(), tc.text) {
				t.Fatalf("differences %+v: want %s saying %q", c.Differences, tc.what, tc.text)
			}
			if c.Status() != StatusInconclusive || len(c.Blocked()) == 0 {
				t.Errorf("status %s: want inconclusive", c.Status())
			}
			c, err = Compare(base, head, CompareOptions{AllowEnvChange: all})
			if err != nil {
				t.Fatal(err)
			}
			fixed := tc.what == DiffTCG || tc.what == DiffSame
			if got := c.Status(); (got == StatusPass) == fixed {
				t.Errorf("every change allowed: status %s (blocked by %+v), want pass only for what a flag may lift", got, c.Blocked())
			}
			if !fixed && !c.Differences[i].Allowed {
				t.Errorf("allowed, still %+v", c.Differences[i])
			}
		})
	}
	// Another host alone is not a difference: runners of one kind come
	// and go. It is a warning.
	base, head := readFixture(t, "base.json"), readFixture(t, "head.json")
	head.Environment.Hostname = "runner-2"
	c, err := Compare(base, head, CompareOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Differences) != 0 || c.Status() != StatusPass || !slices.Contains(c.Warnings, `host differs: base "bench-kvm-2", head "runner-2"`) {
		t.Errorf("other host: differences %+v, status %s, warnings %q", c.Differences, c.Status(), c.Warnings)
	}
}

// TestDifferencesInterleaved: base and head of one interleaved file
// share its environment and its start, and are not one measurement: an
// A/A of them passes; the file's TCG guest is still never compared.
func TestDifferencesInterleaved(t *testing.T) {
	r := pairedFile(0)
	base, head, err := SplitTracers(r, "base", "head")
	if err != nil {
		t.Fatal(err)
	}
	th := map[string]float64{"ns_per_syscall": 5}
	c, err := Compare(base, head, CompareOptions{Thresholds: th, Paired: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Differences) != 0 || c.Status() != StatusPass {
		t.Errorf("interleaved A/A: differences %+v, status %s", c.Differences, c.Status())
	}
	r.Environment.Guest = "qemu-tcg"
	base, head, _ = SplitTracers(r, "base", "head")
	c, err = Compare(base, head, CompareOptions{Thresholds: th, Paired: true, InconclusivePass: true, AllowEnvChange: EnvChanges})
	if err != nil {
		t.Fatal(err)
	}
	if c.Status() != StatusInconclusive || len(c.Blocked()) != 1 || c.Blocked()[0].What != DiffTCG {
		t.Errorf("interleaved in TCG: status %s, blocked %+v", c.Status(), c.Blocked())
	}
}

// TestPairedNoCommonRound: base and head of one interleaved file whose
// values fall in different rounds (the base's runs failed in the odd
// rounds, the head's in the even ones) have no pair to compare: the
// figure is not computed, even with --inconclusive pass.
func TestPairedNoCommonRound(t *testing.T) {
	r := pairedFile(0)
	for i, run := range r.Runs {
		if (run.Variant == "s/base" && run.Round%2 == 1) || (run.Variant == "s/head" && run.Round%2 == 0) {
			r.Runs[i].Error = "failed"
		}
	}
	base, head, err := SplitTracers(r, "base", "head")
	if err != nil {
		t.Fatal(err)
	}
	c, err := Compare(base, head, CompareOptions{Thresholds: map[string]float64{"ns_per_syscall": 5}, Paired: true, InconclusivePass: true})
	if err != nil {
		t.Fatal(err)
	}
	if c.Status() != StatusInconclusive || !slices.Contains(c.Missing, "base and head: s/tracer ns_per_syscall has no round with a value on both sides") {
		t.Errorf("status %s, missing %q", c.Status(), c.Missing)
	}
}

// TestSameTracerBuild: interleaved base and head tracers that are the
// same executable are an A/A comparison, and the comparison says so.
func TestSameTracerBuild(t *testing.T) {
	r := pairedFile(0)
	r.Provenance = &results.Provenance{Tracers: []results.TracerProvenance{
		{Name: "base", Executable: "/ci/bin/benchctl-base", SHA256: "aa11"},
		{Name: "head", Executable: "/ci/bin/benchctl-head", SHA256: "aa11"},
	}}
	base, head, err := SplitTracers(r, "base", "head")
	if err != nil {
		t.Fatal(err)
	}
	c, err := Compare(base, head, CompareOptions{Paired: true})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(c.Warnings, "base and head tracers base and head are the same executable (sha256 aa11): an A/A comparison") {
		t.Errorf("warnings %q", c.Warnings)
	}
}

func TestParseEnvChanges(t *testing.T) {
	if got, err := ParseEnvChanges("kernel, cpu"); err != nil || !slices.Equal(got, []string{"kernel", "cpu"}) {
		t.Errorf("kernel, cpu: %q %v", got, err)
	}
	for _, bad := range []string{"", "tcg", "same", "kernel,", "KERNEL"} {
		if _, err := ParseEnvChanges(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}
