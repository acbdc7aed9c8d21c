package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/benchctl/benchctl/bench/results"
	"github.com/benchctl/benchctl/fleet"
)

// TestFleetBadInput: bad usage and a bad scenario are exit 2, and a
// cluster that cannot be reached exit 3, before anything is created.
func TestFleetBadInput(t *testing.T) {
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	scenario := filepath.Join(wd, "..", "..", "scenarios", "ci.yaml")
	bad := filepath.Join(t.TempDir(), "bad.yaml")
	os.WriteFile(bad, []byte("name: bad\nworkload: {type: nosuch}\n"), 0o644)
	out := filepath.Join(t.TempDir(), "out")
	none := filepath.Join(t.TempDir(), "no-kubeconfig")
	for _, tc := range []struct {
		name string
		args []string
		code int
	}{
		{"no subcommand: its help, as history's", []string{"fleet"}, 0},
		{"unknown subcommand", []string{"fleet", "walk"}, 2},
		{"no scenario", []string{"fleet", "run"}, 2},
		{"two scenarios", []string{"fleet", "run", scenario, scenario}, 2},
		{"node and nodes", []string{"fleet", "run", "--node", "a", "--nodes", "x=y", scenario}, 2},
		{"bad pull policy", []string{"fleet", "run", "--image-pull-policy", "Sometimes", scenario}, 2},
		{"bad scenario", []string{"fleet", "run", "--kubeconfig", none, "-o", out, bad}, 2},
		{"bad run flag", []string{"fleet", "run", "--kubeconfig", none, "-o", out, "--repetitions", "100000", scenario}, 2},
		{"bad --set", []string{"fleet", "run", "--kubeconfig", none, "-o", out, "--set", "novalue", scenario}, 2},
		{"no kubeconfig", []string{"fleet", "run", "--kubeconfig", none, "-o", out, scenario}, 3},
		{"decode with arguments", []string{"fleet", "decode", "x"}, 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if code := exitCode(run(tc.args)); code != tc.code {
				t.Errorf("exit %d, want %d", code, tc.code)
			}
		})
	}
	if _, err := os.Stat(out); err == nil {
		t.Error("bad input created the output folder")
	}
}

// TestFleetRunArgs: the run flags reach the pods as separate arguments,
// each value whole, whatever it holds.
func TestFleetRunArgs(t *testing.T) {
	var sf scenarioFlags
	sf.repetitions = 3
	sf.warmup = optionalInt{n: 0, set: true}
	sf.only = stringList{"big/*"}
	sf.sets = stringList{"X=a b; $(reboot)"}
	got := fleetRunArgs(sf, "7", true)
	want := []string{"--repetitions", "3", "--warmup", "0", "--only", "big/*", "--set", "X=a b; $(reboot)", "--seed", "7", "--strict"}
	if strings.Join(got, "\x00") != strings.Join(want, "\x00") {
		t.Errorf("run args %q, want %q", got, want)
	}
}

// TestFleetReports: the reports of a summary name each node, its kernel
// and its outcome, in markdown and HTML, beside fleet.json.
func TestFleetReports(t *testing.T) {
	dir := t.TempDir()
	data, err := os.ReadFile(fixture("base.json"))
	if err != nil {
		t.Fatal(err)
	}
	nodeFile := fleet.ResultsPath(dir, "node-a")
	os.WriteFile(nodeFile, data, 0o644)
	sum := &fleet.Summary{RunID: "r", Nodes: []fleet.NodeResult{
		{Node: results.NodeInfo{Name: "node-a", Kernel: "6.1.0-test"}, Outcome: "complete", Complete: true, Path: nodeFile},
		{Node: results.NodeInfo{Name: "node-b", Kernel: "6.12.0-test"}, Outcome: "image not pullable (ErrImagePull): <b>no</b>"},
	}}
	if err := writeFleetReports(dir, sum); err != nil {
		t.Fatal(err)
	}
	md, _ := os.ReadFile(filepath.Join(dir, fleet.MarkdownFile))
	for _, want := range []string{"node-a", "6.1.0-test", "node-b", "6.12.0-test", "image not pullable (ErrImagePull)"} {
		if !strings.Contains(string(md), want) {
			t.Errorf("fleet.md lacks %q", want)
		}
	}
	h, _ := os.ReadFile(filepath.Join(dir, fleet.HTMLFile))
	if bytes.Contains(h, []byte("<b>no</b>")) || !bytes.Contains(h, []byte("node-b")) {
		t.Error("fleet.html: the outcome is not escaped, or node-b is missing")
	}
	if _, err := os.Stat(filepath.Join(dir, fleet.SummaryFile)); err != nil {
		t.Error(err)
	}
}
