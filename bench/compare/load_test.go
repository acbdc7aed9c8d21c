package compare

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/benchctl/benchctl/bench/results"
)

// withLoads returns the fixture base.json with the load records benchctl's
// exit_only probes had on Linux 6.18.44 (openat, read and getpid: 687, 538
// and 85 verified instructions in the fillers, 46 in the dispatcher),
// written to a file, and that file's path.
func withLoads(t *testing.T) string {
	t.Helper()
	r, err := results.ReadResults(filepath.Join("testdata", "base.json"))
	if err != nil {
		t.Fatal(err)
	}
	for i := range r.Runs {
		v, _ := r.Variant(r.Runs[i].Variant)
		if v.Baseline {
			continue
		}
		r.Runs[i].Load = &results.Load{LoadNs: 68e6, Programs: []results.ProgramLoad{
			{Name: "sys_exit", Attached: true, VerifiedInsns: 46, XlatedBytes: 480, JitedBytes: 370, Maps: 4},
			{Name: "openat_xm", VerifiedInsns: 687, XlatedBytes: 3536, JitedBytes: 1835, Maps: 6},
			{Name: "read_xm", VerifiedInsns: 538, XlatedBytes: 1744, JitedBytes: 941, Maps: 4},
			{Name: "generic_xm", VerifiedInsns: 85, XlatedBytes: 864, JitedBytes: 503, Maps: 4},
		}}
	}
	path := filepath.Join(t.TempDir(), "base-load.json")
	if err := r.Write(path); err != nil {
		t.Fatal(err)
	}
	return path
}

// edited writes a copy of the results file path with old replaced by
// new in its text, as a person editing it would, and reads it.
func edited(t *testing.T, path, old, new string) *results.Results {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	text := string(data)
	if !strings.Contains(text, old) {
		t.Fatalf("%s has no %q", path, old)
	}
	out := filepath.Join(t.TempDir(), "head.json")
	if err := os.WriteFile(out, []byte(strings.ReplaceAll(text, old, new)), 0o644); err != nil {
		t.Fatal(err)
	}
	r, err := results.ReadResults(out)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestLoadGate(t *testing.T) {
	path := withLoads(t)
	base, err := results.ReadResults(path)
	if err != nil {
		t.Fatal(err)
	}
	traced := 0
	for _, v := range base.Variants {
		if !v.Baseline {
			traced++
		}
	}

	same, err := Compare(base, edited(t, path, `"verified_insns": 687`, `"verified_insns": 687`), CompareOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if regressed(same) || len(same.LoadRegressions()) != 0 {
		t.Errorf("an unchanged file fails: %+v", same.LoadRegressions())
	}
	if len(same.Load) != 4*traced {
		t.Errorf("%d load rows, want 4 programs × %d traced variants", len(same.Load), traced)
	}

	// openat_xm: 687 → 756 is +10.04%, just past the default 10%; 755 is
	// +9.9%, within it.
	within, err := Compare(base, edited(t, path, `"verified_insns": 687`, `"verified_insns": 755`), CompareOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if regressed(within) {
		t.Errorf("+9.9%% fails the 10%% gate: %+v", within.LoadRegressions())
	}
	grew, err := Compare(base, edited(t, path, `"verified_insns": 687`, `"verified_insns": 756`), CompareOptions{})
	if err != nil {
		t.Fatal(err)
	}
	regs := grew.LoadRegressions()
	if !regressed(grew) || len(regs) != traced {
		t.Fatalf("+10.04%%: %d load regressions, want one per traced variant (%d)", len(regs), traced)
	}
	for _, r := range regs {
		if r.Program != "openat_xm" || r.Verdict != LoadGrew || r.Base != 687 || r.Head != 756 || !strings.Contains(r.Why, "+10.0% > 10%") {
			t.Errorf("row %+v, want openat_xm grew 687 → 756", r)
		}
	}
	looser, err := Compare(base, edited(t, path, `"verified_insns": 687`, `"verified_insns": 756`), CompareOptions{LoadGrowth: 20})
	if err != nil {
		t.Fatal(err)
	}
	if regressed(looser) {
		t.Error("+10% fails a 20% load gate")
	}

	// Close to the complexity limit: 800,001 is past 80% of 1M even with
	// growth allowed.
	near, err := Compare(base, edited(t, path, `"verified_insns": 538`, `"verified_insns": 800001`), CompareOptions{LoadGrowth: 1e9})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range near.LoadRegressions() {
		if r.Program != "read_xm" || r.Verdict != LoadNearLimit {
			t.Errorf("row %+v, want read_xm near the limit", r)
		}
	}
	if len(near.LoadRegressions()) != traced {
		t.Errorf("%d near-limit rows, want %d", len(near.LoadRegressions()), traced)
	}
}

// TestLoadGateRefused: a head the kernel refuses fails the gate even
// though its variant has no measured run; refused on both sides, it passes.
func TestLoadGateRefused(t *testing.T) {
	path := withLoads(t)
	base, err := results.ReadResults(path)
	if err != nil {
		t.Fatal(err)
	}
	refuse := func(r *results.Results, name string) {
		for i := range r.Runs {
			if r.Runs[i].Variant == name {
				r.Runs[i].Error = "loading probes: refused"
				r.Runs[i].Load = &results.Load{Refusal: &results.Refusal{Kind: results.RefusedVerifier, Program: "openat_xm", Line: "R1 invalid mem access 'scalar'", Processed: 300}}
			}
		}
	}
	head, _ := results.ReadResults(path)
	refuse(head, "big/exit_only")
	c, err := Compare(base, head, CompareOptions{})
	if err != nil {
		t.Fatalf("a refused head variant must be gated, not incomparable: %v", err)
	}
	regs := c.LoadRegressions()
	if len(regs) != 1 || regs[0].Variant != "big/exit_only" || regs[0].Verdict != LoadRefused || !strings.Contains(regs[0].Why, "openat_xm") {
		t.Errorf("load regressions %+v, want big/exit_only refused at openat_xm", regs)
	}
	refuse(base, "big/exit_only")
	c, err = Compare(base, head, CompareOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(c.LoadRegressions()) != 0 {
		t.Errorf("refused the same way on both sides fails: %+v", c.LoadRegressions())
	}
}
