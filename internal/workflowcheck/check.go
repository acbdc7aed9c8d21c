package workflowcheck

import (
	"fmt"
	"maps"
	"regexp"
	"slices"
	"sort"
	"strings"

	"go.yaml.in/yaml/v3"
)

// BaseRef is the only ref a job that compares may check out: the base
// commit of the pull request.
const BaseRef = "${{ github.event.pull_request.base.sha }}"

// Step is one step of a job, as far as Check reads it.
type Step struct {
	Name             string            `yaml:"name"`
	If               string            `yaml:"if"`
	Uses             string            `yaml:"uses"`
	With             map[string]string `yaml:"with"`
	WorkingDirectory string            `yaml:"working-directory"`
	Run              string            `yaml:"run"`
}

// Job is one job of a workflow.
type Job struct {
	Needs   needs             `yaml:"needs"`
	Outputs map[string]string `yaml:"outputs"`
	Steps   []Step            `yaml:"steps"`
}

// needs reads a job's needs, a string or a list.
type needs []string

func (n *needs) UnmarshalYAML(v *yaml.Node) error {
	if v.Kind == yaml.ScalarNode {
		*n = needs{v.Value}
		return nil
	}
	var list []string
	if err := v.Decode(&list); err != nil {
		return err
	}
	*n = list
	return nil
}

// Workflow is a GitHub workflow, as far as Check reads it.
type Workflow struct {
	Jobs map[string]Job `yaml:"jobs"`
}

// Parse reads a workflow.
func Parse(data []byte) (*Workflow, error) {
	var w Workflow
	if err := yaml.Unmarshal(data, &w); err != nil {
		return nil, fmt.Errorf("parsing workflow: %w", err)
	}
	return &w, nil
}

var (
	// compareCall is a benchctl that compares.
	compareCall = regexp.MustCompile(`benchctl[\w.-]*\s+compare\b`)
	// headCode is the pull request's code, or a build of it, in a run:
	// the head build, the head checkout, the head as a tracer.
	headCode = regexp.MustCompile(`benchctl-head|HEAD_BENCHCTL|(^|[\s/"'(=])head/|cd\s+head\b`)
	// hashCheck checks a binary against a SHA-256 of another job.
	hashCheck = regexp.MustCompile(`\$\{\{\s*needs\.([\w-]+)\.outputs\.([\w-]+)\s*\}\}\s+\S+["']?\s*\|\s*sha256sum\s+(-c|--check)`)
	// goBuild builds Go code.
	goBuild = regexp.MustCompile(`\bgo\s+(build|run|install)\b|\bmake\b`)
)

// headSteps returns why each step of job runs or brings in the pull
// request's code, by step index: it checks out a ref other than the base
// commit (the default is the pull request's merge commit), uses a local
// action (from a checkout), runs the head build or works in the head
// checkout, restores a cache (which a job that ran the head may have
// saved), or downloads an artifact that is not a results file.
func headSteps(w *Workflow, job Job) map[int]headUse {
	out := map[int]headUse{}
	for i, s := range job.Steps {
		action, _, _ := strings.Cut(s.Uses, "@")
		switch {
		case action == "actions/checkout" && strings.TrimSpace(s.With["ref"]) != BaseRef:
			out[i] = headUse{why: fmt.Sprintf("checks out %q, not the base commit %s", s.With["ref"], BaseRef)}
		case strings.HasPrefix(s.Uses, "./") || strings.HasPrefix(s.Uses, "../"):
			out[i] = headUse{why: "uses a local action, " + s.Uses, runs: true}
		case action == "actions/setup-go" && s.With["cache"] != "false":
			out[i] = headUse{why: "restores a Go cache (setup-go without cache: false) a job that ran the head could have saved"}
		case action == "actions/cache" || strings.HasPrefix(action, "actions/cache/"):
			out[i] = headUse{why: "restores a cache a job that ran the head could have saved"}
		case action == "actions/download-artifact" && !resultsArtifact(w, s.With["name"]):
			out[i] = headUse{why: fmt.Sprintf("downloads artifact %q, which is not a results file alone", s.With["name"])}
		case headCode.MatchString(s.Run) || s.WorkingDirectory == "head" || strings.HasPrefix(s.WorkingDirectory, "head/"):
			out[i] = headUse{why: "runs the pull request's build or works in its checkout", runs: true}
		}
	}
	return out
}

// headUse is how a step brings in the pull request's code: why, and
// whether it runs it.
type headUse struct {
	why  string
	runs bool
}

// resultsArtifact tells whether the artifact named name is uploaded, in
// every job that uploads it, as one .json file: data, not code.
func resultsArtifact(w *Workflow, name string) bool {
	if name == "" {
		return false // every artifact of the run
	}
	found := false
	for _, j := range w.Jobs {
		for _, s := range j.Steps {
			action, _, _ := strings.Cut(s.Uses, "@")
			if action != "actions/upload-artifact" || s.With["name"] != name {
				continue
			}
			path := strings.TrimSpace(s.With["path"])
			if strings.ContainsAny(path, "\n*?") || !strings.HasSuffix(path, ".json") {
				return false
			}
			found = true
		}
	}
	return found
}

// Check returns what is wrong with a pull-request gate workflow, or
// nothing: every job that compares must be a job in which the pull
// request's code cannot run (headSteps), and must check the benchctl it
// compares with against a SHA-256 that a job the pull request's code
// cannot run in recorded; a job that runs the pull request's code and
// downloads a base build must check it before the first such step.
func Check(w *Workflow) []string {
	var problems []string
	names := make([]string, 0, len(w.Jobs))
	for n := range w.Jobs {
		names = append(names, n)
	}
	sort.Strings(names)
	comparing := 0
	for _, name := range names {
		job := w.Jobs[name]
		head := headSteps(w, job)
		compares := slices.ContainsFunc(job.Steps, func(s Step) bool { return compareCall.MatchString(s.Run) })
		firstRun := len(job.Steps)
		for i, u := range head {
			if u.runs {
				firstRun = min(firstRun, i)
			}
		}
		if compares {
			comparing++
			for _, i := range slices.Sorted(maps.Keys(head)) {
				problems = append(problems, fmt.Sprintf("job %s compares, and its step %q %s: the pull request could reach the gate", name, stepName(job.Steps[i]), head[i].why))
			}
			if !checksTrustedHash(w, name, job, len(job.Steps)) {
				problems = append(problems, fmt.Sprintf("job %s compares with a benchctl it does not check against a SHA-256 recorded by a job the pull request's code does not run in", name))
			}
			if !slices.ContainsFunc(job.Steps, func(s Step) bool {
				return goBuild.MatchString(s.Run) && (s.WorkingDirectory == "base" || strings.Contains(s.Run, "cd base"))
			}) {
				problems = append(problems, fmt.Sprintf("job %s compares with a benchctl it did not build from the base checkout", name))
			}
		}
		if firstRun < len(job.Steps) && downloadsBuild(w, job) && !checksTrustedHash(w, name, job, firstRun) {
			problems = append(problems, fmt.Sprintf("job %s runs the pull request's code (step %q) before it checks the build it downloaded against a SHA-256 of a job the pull request does not run in", name, stepName(job.Steps[firstRun])))
		}
	}
	if comparing == 0 {
		problems = append(problems, "no job compares")
	}
	return problems
}

// checksTrustedHash tells whether one of the first n steps of job checks
// a file against a SHA-256 output of a job it needs, in which the pull
// request's code cannot run.
func checksTrustedHash(w *Workflow, name string, job Job, n int) bool {
	for _, s := range job.Steps[:n] {
		for _, m := range hashCheck.FindAllStringSubmatch(s.Run, -1) {
			from, ok := w.Jobs[m[1]]
			if ok && m[1] != name && slices.Contains(job.Needs, m[1]) && len(headSteps(w, from)) == 0 {
				return true
			}
		}
	}
	return false
}

// downloadsBuild tells whether a job downloads an artifact that is not a
// results file (a build).
func downloadsBuild(w *Workflow, job Job) bool {
	return slices.ContainsFunc(job.Steps, func(s Step) bool {
		action, _, _ := strings.Cut(s.Uses, "@")
		return action == "actions/download-artifact" && !resultsArtifact(w, s.With["name"])
	})
}

func stepName(s Step) string {
	if s.Name != "" {
		return s.Name
	}
	return s.Uses
}
