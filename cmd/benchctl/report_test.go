package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/benchctl/benchctl/bench/results"
	"github.com/benchctl/benchctl/internal/fullfs"
)

func fixture(name string) string {
	return filepath.Join("..", "..", "bench", "compare", "testdata", name)
}

// writeModified writes a copy of fixture name changed by mutate.
func writeModified(t *testing.T, name string, mutate func(r *results.Results)) string {
	t.Helper()
	r, err := results.ReadResults(fixture(name))
	if err != nil {
		t.Fatal(err)
	}
	mutate(r)
	data, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestReportFormats(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct{ format, want string }{
		{"markdown", "## enter_exit → exit_only"},
		{"html", "<svg"},
		{"text", "Cost per variant\n----------------"},
		{"gobench", "BenchmarkRedis/variant=small:exit_only 1 "},
		{"csv", "scenario,variant,mode"},
	} {
		out := filepath.Join(dir, "r."+tc.format)
		// Flags after the positional argument, as people type them.
		if err := run([]string{"report", fixture("base.json"), "--format", tc.format, "-o", out}); err != nil {
			t.Fatalf("%s: %v", tc.format, err)
		}
		data, err := os.ReadFile(out)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(data), tc.want) {
			t.Errorf("%s report lacks %q", tc.format, tc.want)
		}
	}
}

func TestReportCharts(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "pr", "report.md")
	if err := os.MkdirAll(filepath.Dir(out), 0o755); err != nil {
		t.Fatal(err)
	}
	charts := filepath.Join(dir, "pr", "img")
	if err := run([]string{"report", "--charts", charts, fixture("base.json"), "-o", out}); err != nil {
		t.Fatal(err)
	}
	md, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"kernel_time", "throughput", "events_per_sec"} {
		if _, err := os.Stat(filepath.Join(charts, name+".svg")); err != nil {
			t.Error(err)
		}
		if !strings.Contains(string(md), "](img/"+name+".svg)") {
			t.Errorf("report does not link img/%s.svg relative to itself", name)
		}
	}
}

func TestReportBadInput(t *testing.T) {
	future := writeModified(t, "base.json", func(r *results.Results) { r.Schema = 99 })
	for _, args := range [][]string{
		{"report"},
		{"report", fixture("base.json"), fixture("head.json"), "--format", "csv"},
		{"report", fixture("base.json"), "--format", "pdf"},
		{"report", fixture("base.json"), "--format", "html", "--charts", t.TempDir()},
		{"report", fixture("base.json"), "--alpha", "2"},
		{"report", fixture("base.json"), "--bogus"},
		{"report", filepath.Join(t.TempDir(), "missing.json")},
		{"report", future},
	} {
		if code := exitCode(run(args)); code != 2 {
			t.Errorf("%q: exit %d, want 2", args, code)
		}
	}
	if err := run([]string{"report", "-h"}); err != nil {
		t.Errorf("-h: %v", err)
	}
	if code := exitCode(run([]string{"report", fixture("base.json"), "-o", filepath.Join(t.TempDir(), "no", "such", "dir", "r.md")})); code != 3 {
		t.Errorf("unwritable output: exit %d, want 3", code)
	}
}

func TestReportStdout(t *testing.T) {
	// Standard output is the default; capture it through a pipe.
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	old := os.Stdout
	os.Stdout = w
	runErr := run([]string{"report", fixture("base.json"), "--format", "csv"})
	os.Stdout = old
	w.Close()
	var buf bytes.Buffer
	if _, err := buf.ReadFrom(r); err != nil {
		t.Fatal(err)
	}
	if runErr != nil {
		t.Fatal(runErr)
	}
	if !strings.HasPrefix(buf.String(), "scenario,variant") {
		t.Errorf("stdout = %.40q", buf.String())
	}
}

// TestReportOutputFullFileSystem: a report that cannot be written for
// want of room leaves the report that was at -o byte-identical (exit 3),
// and nothing else beside it.
func TestReportOutputFullFileSystem(t *testing.T) {
	dir := fullfs.Mount(t)
	out := filepath.Join(dir, "r.md")
	const old = "# yesterday's report\n"
	if err := os.WriteFile(out, []byte(old), 0o644); err != nil {
		t.Fatal(err)
	}
	fullfs.Fill(t, dir)
	err := run([]string{"report", fixture("base.json"), "-o", out})
	if exitCode(err) != 3 {
		t.Errorf("exit %d (%v), want 3", exitCode(err), err)
	}
	if got, _ := os.ReadFile(out); string(got) != old {
		t.Errorf("r.md now holds %d bytes: %.40q", len(got), got)
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 2 {
		t.Errorf("%d files in the folder, want r.md and the filler", len(ents))
	}
}
