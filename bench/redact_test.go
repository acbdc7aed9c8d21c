package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/benchctl/benchctl/bench/results"
	"github.com/benchctl/benchctl/bench/scenario"
	"github.com/benchctl/benchctl/reports"
)

const secretValue = "s3cr3t-v4lue-for-the-test"

// secretScenario parses yaml with --set API_TOKEN=secretValue.
func secretScenario(t *testing.T, yaml string) *scenario.Scenario {
	t.Helper()
	path := filepath.Join(t.TempDir(), "secret.yaml")
	if err := os.WriteFile(path, []byte(yaml), 0o644); err != nil {
		t.Fatal(err)
	}
	sc, err := scenario.ParseWith(path, scenario.ParseOptions{Vars: map[string]string{"API_TOKEN": secretValue}})
	if err != nil {
		t.Fatal(err)
	}
	return sc
}

// noSecret fails t when what holds the secret's value.
func noSecret(t *testing.T, where string, what []byte) {
	t.Helper()
	if bytes.Contains(what, []byte(secretValue)) {
		t.Errorf("%s holds the secret: %s", where, what)
	}
}

// TestSecretsRedactedEverywhere: a tracer given a --set secret prints it
// and fails; the secret is in none of what benchctl writes or says: the
// results file, the results, the notes, the report; and the results
// file, which holds a redacted value, is its owner's only.
func TestSecretsRedactedEverywhere(t *testing.T) {
	requireProbes(t)
	sc := secretScenario(t, `name: secret
workload: {type: syscalls, mix: getpid, threads: 1, count: 20000}
sets: {getpid: [getpid]}
modes: [exit_only]
floor: false
repetitions: 1
warmup: 0
tracers:
  leaky:
    argv: [sh, -c, 'echo "login failed for token ${API_TOKEN}" >&2; exit 3']
    sets: {getpid: []}
`)
	out := filepath.Join(t.TempDir(), "r.json")
	rec := &recorder{}
	r, err := NewRunner(sc, RunOptions{Seed: 1, Output: out, Observer: rec, Set: map[string]string{"API_TOKEN": secretValue}})
	if err != nil {
		t.Fatal(err)
	}
	res, err := r.Run(context.Background())
	if err != nil {
		t.Fatalf("a tracer's failure fails its run only: %v", err)
	}
	if n, first := res.FailedRuns("getpid/leaky"); n != 1 || !strings.Contains(first, "login failed for token "+results.Redacted) {
		t.Fatalf("the tracer's run: %d failed, error %q; want its output, the secret redacted", n, first)
	}
	data, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	noSecret(t, "the results file", data)
	mem, _ := json.Marshal(res)
	noSecret(t, "the results Run returns", mem)
	noSecret(t, "the notes", []byte(strings.Join(rec.notes, "\n")))
	noSecret(t, "the runs the observer heard of", []byte(strings.Join(rec.ends, "\n")))
	var md bytes.Buffer
	if err := reports.Render(&md, res, reports.FormatMarkdown, reports.Options{}); err != nil {
		t.Fatal(err)
	}
	noSecret(t, "the report", md.Bytes())
	if fi, err := os.Stat(out); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("results file holding a redacted value: mode %v (%v), want 0600", fi.Mode().Perm(), err)
	}
}

// TestSecretsRedactedFromFailure: a command workload finds a secret in
// its environment (under a secret's name), prints it and fails: neither
// the error Run returns nor the results' reason say it.
func TestSecretsRedactedFromFailure(t *testing.T) {
	requireProbes(t)
	t.Setenv("BENCHCTL_TEST_API_TOKEN", secretValue)
	sc := secretScenario(t, `name: secret
workload: {type: command, argv: [sh, -c, 'echo "bad token $BENCHCTL_TEST_API_TOKEN" >&2; exit 1']}
repetitions: 1
warmup: 0
`)
	r, err := NewRunner(sc, RunOptions{Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	res, err := r.Run(context.Background())
	if err == nil || !errors.Is(err, ErrRunFailed) && !strings.Contains(err.Error(), "bad token") {
		t.Fatalf("Run: %v, want the workload's failure", err)
	}
	noSecret(t, "the error", []byte(err.Error()))
	if !strings.Contains(err.Error(), "bad token "+results.Redacted) {
		t.Errorf("the error %q does not keep the rest of the output", err)
	}
	if !strings.Contains(res.Reason, "bad token "+results.Redacted) {
		t.Errorf("the reason %q does not keep the rest of the output", res.Reason)
	}
	mem, _ := json.Marshal(res)
	noSecret(t, "the results", mem)
}

// TestResultsFileMode: a results file is readable by all unless it
// holds a redacted value.
func TestResultsFileMode(t *testing.T) {
	dir := t.TempDir()
	for name, tc := range map[string]struct {
		set  map[string]string
		mode os.FileMode
	}{
		"plain":  {map[string]string{"N": "1"}, 0o644},
		"secret": {map[string]string{"API_TOKEN": "x"}, 0o600},
	} {
		r := &results.Results{Schema: results.SchemaVersion, Provenance: &results.Provenance{Set: tc.set}}
		if name == "secret" {
			r.Provenance.Set["API_TOKEN"] = results.Redacted
		}
		path := filepath.Join(dir, name+".json")
		if err := r.Write(path); err != nil {
			t.Fatal(err)
		}
		if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != tc.mode {
			t.Errorf("%s: mode %v (%v), want %v", name, fi.Mode().Perm(), err, tc.mode)
		}
	}
}

// TestRedactResultsWalk: every string of a results file is redacted,
// map keys and pointed-to structs included; enums are left alone.
func TestRedactResultsWalk(t *testing.T) {
	red := newRedactor(map[string]string{"API_TOKEN": secretValue}, nil)
	s := "x " + secretValue + " y"
	res := &results.Results{
		Reason:      s,
		Scenario:    results.ScenarioInfo{Workload: s},
		Variants:    []results.Variant{{Name: "v", Mode: results.Mode(secretValue), Syscalls: []string{s}}},
		Fingerprint: &results.Fingerprint{Syscalls: map[string]uint64{s: 1}},
		Runs: []results.Run{{Variant: "v", Error: s, Tracer: &results.TracerStats{
			Output: s, Texts: map[string]string{s: s}, Counters: map[string]float64{s: 2}}}},
		Capacity: []results.Capacity{{Variant: "v", Error: s}},
	}
	red.redactResults(res)
	if res.Variants[0].Mode != results.Mode(secretValue) {
		t.Errorf("mode %q: an enum is not free text, it is left as it is", res.Variants[0].Mode)
	}
	res.Variants[0].Mode = ""
	data, _ := json.Marshal(res)
	noSecret(t, "the redacted results", data)
	if want := "x " + results.Redacted + " y"; res.Runs[0].Tracer.Texts[want] != want || res.Fingerprint.Syscalls[want] != 1 || res.Runs[0].Tracer.Counters[want] != 2 {
		t.Errorf("maps: %+v %+v", res.Runs[0].Tracer, res.Fingerprint)
	}
}
