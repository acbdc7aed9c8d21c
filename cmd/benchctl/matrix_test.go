package main

import (
	"os"
	"path/filepath"
	"testing"
)

func TestMatrixBadInput(t *testing.T) {
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	scenario := filepath.Join(wd, "..", "..", "scenarios", "quick.yaml")
	for _, tc := range []struct {
		name string
		args []string
	}{
		{"no scenario", []string{"matrix"}},
		{"two scenarios", []string{"matrix", scenario, scenario}},
		{"output outside the current folder", []string{"matrix", "-o", t.TempDir(), scenario}},
		{"missing kernel", []string{"matrix", "--kernel", filepath.Join(t.TempDir(), "vmlinuz"), "-o", "results/m", scenario}},
		{"missing scenario", []string{"matrix", "-o", "results/m", filepath.Join(t.TempDir(), "none.yaml")}},
		{"unknown flag", []string{"matrix", "--kernels", "host", scenario}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if code := exitCode(run(tc.args)); code != 2 {
				t.Errorf("exit %d, want 2", code)
			}
		})
	}
	if _, err := os.Stat("results/m"); err == nil {
		t.Error("bad input created the output folder")
	}
}
