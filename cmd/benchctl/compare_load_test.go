package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/benchctl/benchctl/bench/results"
)

// TestCompareLoadGate: compare exits 1 on a results file whose openat
// filler's verified instructions were raised by hand past the load gate
// (687 → 800, +16%), names it, and exits 0 on the unchanged programs; a
// looser --load-growth passes it; bad load thresholds are bad usage.
func TestCompareLoadGate(t *testing.T) {
	withLoad := func(r *results.Results) {
		for i := range r.Runs {
			if v, _ := r.Variant(r.Runs[i].Variant); !v.Baseline {
				r.Runs[i].Load = &results.Load{LoadNs: 68e6, Programs: []results.ProgramLoad{
					{Name: "sys_exit", Attached: true, VerifiedInsns: 46, XlatedBytes: 480},
					{Name: "openat_xm", VerifiedInsns: 687, XlatedBytes: 3536},
				}}
			}
		}
	}
	base := writeModified(t, "base.json", withLoad)
	// Another measurement with the same programs (a file compared with
	// itself compares nothing).
	same := writeModified(t, "head.json", withLoad)
	data, err := os.ReadFile(base)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(data), `"verified_insns":687`) {
		t.Fatal("no verified_insns 687 in the file to edit")
	}
	head := filepath.Join(t.TempDir(), "head.json")
	if err := os.WriteFile(head, []byte(strings.ReplaceAll(string(data), `"verified_insns":687`, `"verified_insns":800`)), 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "out.txt")
	for _, tc := range []struct {
		name string
		args []string
		want int
	}{
		{"unchanged passes", []string{base, same}, 0},
		{"raised fails", []string{base, head}, 1},
		{"looser growth passes", []string{"--load-growth", "20", base, head}, 0},
		{"limit share fails", []string{"--load-limit", "0.05", base, same}, 1},
		{"bad growth", []string{"--load-growth", "0", base, head}, 2},
		{"bad limit", []string{"--load-limit", "120", base, head}, 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := run(append([]string{"compare", "-o", out}, tc.args...))
			if code := exitCode(err); code != tc.want {
				t.Fatalf("exit %d (%v), want %d", code, err, tc.want)
			}
			if tc.want == 1 && !strings.Contains(err.Error(), "openat_xm load") {
				t.Errorf("error %q does not name the program", err)
			}
			if tc.name == "raised fails" {
				text, _ := os.ReadFile(out)
				if !strings.Contains(string(text), "openat_xm") || !strings.Contains(string(text), "+16.4% > 10%") {
					t.Errorf("comparison output does not show the load regression:\n%s", text)
				}
			}
		})
	}
}
