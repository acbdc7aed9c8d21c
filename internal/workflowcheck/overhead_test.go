package workflowcheck

import (
	"os"
	"regexp"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

type step struct {
	Name             string `yaml:"name"`
	If               string `yaml:"if"`
	WorkingDirectory string `yaml:"working-directory"`
	Run              string `yaml:"run"`
}

type workflow struct {
	Jobs map[string]struct {
		Steps []step `yaml:"steps"`
	} `yaml:"jobs"`
}

func readSteps(t *testing.T, path string) []step {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var w workflow
	if err := yaml.Unmarshal(data, &w); err != nil {
		t.Fatalf("parsing %s: %v", path, err)
	}
	var steps []step
	for _, j := range w.Jobs {
		steps = append(steps, j.Steps...)
	}
	return steps
}

// invocation matches a call of one of the two builds: which build, and
// the benchctl command it runs.
var invocation = regexp.MustCompile(`benchctl-(base|head)\s+(\w+)`)

// TestOverheadBaseGradesHead: in the interleaved gate of overhead.yml,
// every benchctl that measures or decides is the base's, run from the
// base checkout (its scenario, thresholds, compare); the head build
// appears only as the HEAD_BENCHCTL tracer binary. The sequential
// fallback's compare reads the base file first, whose scenario gives the
// thresholds, and fails on an inconclusive gate.
func TestOverheadBaseGradesHead(t *testing.T) {
	steps := readSteps(t, "../../.github/workflows/overhead.yml")
	var measured, gated bool
	for _, s := range steps {
		interleaved := strings.Contains(s.If, "interleaved == 'yes'")
		for _, m := range invocation.FindAllStringSubmatch(s.Run, -1) {
			build, cmd := m[1], m[2]
			if interleaved && build != "base" {
				t.Errorf("step %q runs the head's benchctl %s in the interleaved gate: the pull request would grade itself", s.Name, cmd)
			}
			if interleaved && cmd == "run" {
				measured = true
				if s.WorkingDirectory != "base" || !strings.Contains(s.Run, "run scenarios/gate.yaml") {
					t.Errorf("step %q runs gate.yaml from %q, want the base checkout's", s.Name, s.WorkingDirectory)
				}
				if !strings.Contains(s.Run, `HEAD_BENCHCTL="$PWD/../bin/benchctl-head"`) {
					t.Errorf("step %q does not give the head build as the head tracer", s.Name)
				}
			}
			if interleaved && cmd == "compare" {
				gated = true
				if !strings.Contains(s.Run, "--base-tracer base --head-tracer head") || !strings.Contains(s.Run, `undecided="--inconclusive fail"`) {
					t.Errorf("step %q: compare without the tracers or --inconclusive fail:\n%s", s.Name, s.Run)
				}
			}
		}
		if !interleaved && strings.Contains(s.Run, " compare results/base.json results/head.json") {
			for _, line := range strings.Split(s.Run, "\n") {
				if strings.Contains(line, " compare ") && !strings.Contains(line, "compare results/base.json results/head.json --inconclusive fail") {
					t.Errorf("step %q: sequential compare %q: want BASE first (its thresholds) and --inconclusive fail", s.Name, strings.TrimSpace(line))
				}
			}
		}
	}
	if !measured || !gated {
		t.Errorf("no interleaved measuring (%v) or gating (%v) step found", measured, gated)
	}
}
