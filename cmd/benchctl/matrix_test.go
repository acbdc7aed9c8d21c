package main

import (
	"os"
	"path/filepath"
	"strings"
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

func TestMatrixRender(t *testing.T) {
	out := filepath.Join(t.TempDir(), "m.md")
	if code := exitCode(run([]string{"matrix", "--render"})); code != 2 {
		t.Errorf("--render without files: exit %d, want 2", code)
	}
	if code := exitCode(run([]string{"matrix", "--render", "--format", "html", fixture("base.json")})); code != 2 {
		t.Errorf("--render --format html: exit %d, want 2", code)
	}
	stdout := os.Stdout
	f, err := os.Create(out)
	if err != nil {
		t.Fatal(err)
	}
	os.Stdout = f
	err = run([]string{"matrix", "--render", "--format", "markdown", fixture("base.json"), fixture("head.json")})
	os.Stdout = stdout
	f.Close()
	if err != nil {
		t.Fatal(err)
	}
	data, _ := os.ReadFile(out)
	if !strings.Contains(string(data), "| variant | base (") || !strings.Contains(string(data), " | head (") {
		t.Errorf("the rendered matrix has no base and head columns:\n%s", data)
	}
}
