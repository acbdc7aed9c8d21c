package workflowcheck

import (
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"
)

const shipped = "../../.github/workflows/overhead.yml"

func readWorkflow(t *testing.T, path string) *Workflow {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	w, err := Parse(data)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return w
}

// invocation matches a call of one of the two builds: which build, and
// the benchctl command it runs.
var invocation = regexp.MustCompile(`benchctl-(base|head)\s+(\w+)`)

// TestOverheadBaseGradesHead: in overhead.yml every benchctl that
// measures or decides is the base's, run from the base checkout (its
// scenario, thresholds, compare); the head build appears only as the
// HEAD_BENCHCTL tracer binary (and renders the reports of its job).
// The compare fails on an inconclusive gate.
func TestOverheadBaseGradesHead(t *testing.T) {
	w := readWorkflow(t, shipped)
	var measured, gated bool
	for name, job := range w.Jobs {
		for _, s := range job.Steps {
			for _, m := range invocation.FindAllStringSubmatch(s.Run, -1) {
				build, cmd := m[1], m[2]
				if build != "base" && cmd != "report" {
					t.Errorf("job %s step %q runs the head's benchctl %s: the pull request would grade itself", name, s.Name, cmd)
				}
				if cmd == "run" {
					measured = true
					if s.WorkingDirectory != "base" || !strings.Contains(s.Run, "run scenarios/gate.yaml") {
						t.Errorf("step %q runs gate.yaml from %q, want the base checkout's", s.Name, s.WorkingDirectory)
					}
					if !strings.Contains(s.Run, `HEAD_BENCHCTL="$PWD/../bin/benchctl-head"`) {
						t.Errorf("step %q does not give the head build as the head tracer", s.Name)
					}
				}
				if cmd == "compare" {
					gated = true
					if !strings.Contains(s.Run, "--base-tracer base --head-tracer head") || !strings.Contains(s.Run, `undecided="--inconclusive fail"`) {
						t.Errorf("step %q: compare without the tracers or --inconclusive fail:\n%s", s.Name, s.Run)
					}
				}
			}
		}
	}
	if !measured || !gated {
		t.Errorf("no measuring (%v) or gating (%v) step found", measured, gated)
	}
}

// TestOverheadHeadCannotReachTheGate: the shipped workflow passes Check:
// the job that compares never runs the pull request's code, and checks
// what it compares with.
func TestOverheadHeadCannotReachTheGate(t *testing.T) {
	if problems := Check(readWorkflow(t, shipped)); len(problems) > 0 {
		t.Errorf("overhead.yml:\n%s", strings.Join(problems, "\n"))
	}
}

// TestCheckRejects (issue 29, finding 3) feeds Check workflows in which
// the head's code can run in the job that compares, or the binary that
// compares is not checked, and wants each named. The first is the gate
// as it was (9e4ca3e): one job ran the pull request's build as root
// beside bin/benchctl-base and the results file, then compared with
// them.
func TestCheckRejects(t *testing.T) {
	old := readWorkflow(t, "testdata/overhead-9e4ca3e.yml")
	if problems := Check(old); !slices.ContainsFunc(problems, func(p string) bool {
		return strings.Contains(p, "job overhead compares, and its step") && strings.Contains(p, "runs the pull request's build")
	}) {
		t.Errorf("the gate of 9e4ca3e passes: %q", problems)
	}

	step := func(w *Workflow, job, name string) *Step {
		t.Helper()
		for i, s := range w.Jobs[job].Steps {
			if s.Name == name || s.Uses == name {
				return &w.Jobs[job].Steps[i]
			}
		}
		t.Fatalf("no step %q in job %s", name, job)
		return nil
	}
	for _, tc := range []struct {
		name   string
		mutate func(w *Workflow)
		want   string
	}{
		{"compare in the measuring job", func(w *Workflow) {
			j := w.Jobs["measure"]
			j.Steps = append(j.Steps, *step(w, "gate", "Gate"))
			w.Jobs["measure"] = j
		}, "job measure compares, and its step"},
		{"the gate checks out the pull request", func(w *Workflow) {
			delete(step(w, "gate", "Check out the base branch").With, "ref")
		}, `job gate compares, and its step "Check out the base branch" checks out ""`},
		{"the gate runs the head's report", func(w *Workflow) {
			s := step(w, "gate", "Gate")
			s.Run = "./bin/benchctl-head report measured/gate.json\n" + s.Run
		}, `step "Gate" runs the pull request's build`},
		{"the gate works in the head checkout", func(w *Workflow) {
			step(w, "gate", "Check what measured").WorkingDirectory = "head"
		}, `step "Check what measured" runs the pull request's build`},
		{"the gate restores a Go cache", func(w *Workflow) {
			step(w, "gate", "actions/setup-go@v5").With["cache"] = "true"
		}, "restores a Go cache"},
		{"the gate takes a build from an artifact", func(w *Workflow) {
			step(w, "gate", "Get the results file").With["name"] = "benchctl-base"
		}, `downloads artifact "benchctl-base"`},
		{"the results artifact carries more than the file", func(w *Workflow) {
			step(w, "measure", "Hand over the results file").With["path"] = "results/"
		}, `downloads artifact "overhead-measured"`},
		{"the gate checks no hash", func(w *Workflow) {
			s := step(w, "gate", "Build the base and check it")
			s.Run = strings.Split(s.Run, "\n")[0]
		}, "job gate compares with a benchctl it does not check"},
		{"the gate checks a hash the measuring job wrote", func(w *Workflow) {
			s := step(w, "gate", "Build the base and check it")
			s.Run = strings.ReplaceAll(s.Run, "needs.base.outputs", "needs.measure.outputs")
		}, "job gate compares with a benchctl it does not check"},
		{"the gate compares with a downloaded build", func(w *Workflow) {
			step(w, "gate", "Build the base and check it").WorkingDirectory = ""
		}, "job gate compares with a benchctl it did not build from the base checkout"},
		{"the head runs before the base build is checked", func(w *Workflow) {
			j := w.Jobs["measure"]
			i := slices.IndexFunc(j.Steps, func(s Step) bool { return s.Name == "Check the base build" })
			check := j.Steps[i]
			j.Steps = slices.Delete(j.Steps, i, i+1)
			j.Steps = append(j.Steps, check)
			w.Jobs["measure"] = j
		}, `job measure runs the pull request's code (step "Build the pull request") before it checks the build`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := readWorkflow(t, shipped)
			tc.mutate(w)
			problems := Check(w)
			if !slices.ContainsFunc(problems, func(p string) bool { return strings.Contains(p, tc.want) }) {
				t.Errorf("problems %q, want one with %q", problems, tc.want)
			}
		})
	}
}
