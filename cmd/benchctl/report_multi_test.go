package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/benchctl/benchctl/bench/results"
	"github.com/benchctl/benchctl/reports"
)

// TestReportSingleFileUnchanged: with one file the command renders
// what reports.Render does (whose golden files pin it), byte for byte.
func TestReportSingleFileUnchanged(t *testing.T) {
	dir := t.TempDir()
	r, err := results.ReadResults(fixture("base.json"))
	if err != nil {
		t.Fatal(err)
	}
	for _, format := range reports.Formats {
		out := filepath.Join(dir, "r."+format)
		if err := run([]string{"report", fixture("base.json"), "--format", format, "-o", out}); err != nil {
			t.Fatalf("%s: %v", format, err)
		}
		got, err := os.ReadFile(out)
		if err != nil {
			t.Fatal(err)
		}
		var want bytes.Buffer
		if err := reports.Render(&want, r, format, reports.Options{}); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want.Bytes()) {
			t.Errorf("benchctl report base.json --format %s differs from reports.Render", format)
		}
		if strings.Contains(string(got), "results files side by side") {
			t.Errorf("%s: one file rendered as a multi-file report", format)
		}
	}
}

func TestReportMultiFile(t *testing.T) {
	dir := t.TempDir()
	// A third file from another host and kernel, with base's figures.
	other := filepath.Join(t.TempDir(), "other.json")
	if err := os.Rename(writeModified(t, "base.json", func(r *results.Results) {
		r.Environment.Hostname, r.Environment.Kernel = "runner-2", "6.8.0-1021-azure"
	}), other); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		format string
		want   []string
	}{
		{"markdown", []string{
			"# benchctl report: redis, 3 results files\n",
			// base and head_slow share host and kernel: labelled by file name.
			"The first, `base`, is the reference",
			"| property | base | head_slow | other |\n",
			"| kernel | 6.18.0-2-cloud-amd64 | 6.18.0-2-cloud-amd64 | 6.8.0-1021-azure |\n",
			"| host | bench-kvm-2 | bench-kvm-2 | runner-2 |\n",
			"| `small/enter_exit` | 179 ns | 198 ns ▲ | 179 ns |\n",
			"| `big/enter_exit` | 31.9% | 38.3% ▲ | 31.9% |\n",
			"| kernel time | -35.5% | -34.8% | -35.5% |\n",
		}},
		{"text", []string{"Kernel ns per syscall\n---------------------\n", "small/enter_exit      179 ns   198 ns ▲   179 ns\n"}},
		{"html", []string{"<h2 id=\"environments\">Environments</h2>", `<td class="num">198 ns ▲</td>`}},
	} {
		out := filepath.Join(dir, "multi."+tc.format)
		args := []string{"report", "--format", tc.format, fixture("base.json"), fixture("head_slow.json"), other, "-o", out}
		if err := run(args); err != nil {
			t.Fatalf("%s: %v", tc.format, err)
		}
		data, err := os.ReadFile(out)
		if err != nil {
			t.Fatal(err)
		}
		for _, want := range tc.want {
			if !strings.Contains(string(data), want) {
				t.Errorf("%s multi-file report lacks %q\n--- report:\n%s", tc.format, want, data)
				break
			}
		}
	}
	// Labels by host and kernel once they tell the files apart.
	out := filepath.Join(dir, "two.md")
	if err := run([]string{"report", fixture("base.json"), other, "-o", out}); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if want := "| variant | bench-kvm-2 6.18.0-2-cloud-amd64 | runner-2 6.8.0-1021-azure |\n"; !strings.Contains(string(data), want) {
		t.Errorf("report lacks %q", want)
	}
}

func TestReportMultiBadInput(t *testing.T) {
	future := writeModified(t, "head.json", func(r *results.Results) { r.Schema = 99 })
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"report", fixture("base.json"), fixture("head.json"), "--format", "gobench"}, "--format gobench takes one results file, got 2"},
		{[]string{"report", fixture("base.json"), fixture("head.json"), "--format", "csv"}, "--format csv takes one results file, got 2"},
		{[]string{"report", fixture("base.json"), fixture("head.json"), "--charts", t.TempDir()}, "--charts takes one results file, got 2"},
		{[]string{"report", fixture("base.json"), fixture("head.json"), "--format", "pdf"}, `unknown report format "pdf"`},
		{[]string{"report", fixture("base.json"), filepath.Join(t.TempDir(), "missing.json")}, "missing.json"},
		{[]string{"report", fixture("base.json"), future}, "unknown results schema version"},
		{[]string{"report"}, "report takes one or more results files, got 0 arguments"},
	} {
		err := run(tc.args)
		if code := exitCode(err); code != 2 {
			t.Errorf("%q: exit %d, want 2", tc.args, code)
			continue
		}
		if !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: error %q lacks %q", tc.args, err, tc.want)
		}
	}
}
