package reports

import (
	"bytes"
	"encoding/csv"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"golang.org/x/perf/benchfmt"

	"github.com/benchctl/benchctl/bench/results"
	"github.com/benchctl/benchctl/reports/internal/golden"
)

func render(t *testing.T, r *results.Results, format string, opts Options) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := Render(&buf, r, format, opts); err != nil {
		t.Fatal(err)
	}
	// Rendering twice must give the same bytes: goldens depend on it.
	var again bytes.Buffer
	if err := Render(&again, r, format, opts); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(buf.Bytes(), again.Bytes()) {
		t.Fatalf("%s output is not deterministic", format)
	}
	return buf.Bytes()
}

var goldenExt = map[string]string{
	FormatMarkdown: "md", FormatHTML: "html", FormatText: "txt", FormatGoBench: "gobench.txt", FormatCSV: "csv",
}

func TestGoldenReports(t *testing.T) {
	for _, fixture := range []string{"base", "ten"} {
		r := golden.Results(t, fixture+".json")
		for _, format := range Formats {
			if fixture == "ten" && format != FormatMarkdown && format != FormatText {
				continue // n=10 only changes the CI cells
			}
			t.Run(fixture+"/"+format, func(t *testing.T) {
				golden.Check(t, "report-"+fixture+"."+goldenExt[format], render(t, r, format, Options{}))
			})
		}
	}
	t.Run("markdown with charts", func(t *testing.T) {
		r := golden.Results(t, "base.json")
		links := map[string]string{ChartKernelTime: "charts/kernel_time.svg", ChartThroughput: "charts/throughput.svg", ChartEventsPerSec: "charts/events_per_sec.svg"}
		got := render(t, r, FormatMarkdown, Options{ChartLinks: links})
		for _, l := range links {
			if !bytes.Contains(got, []byte("]("+l+")")) {
				t.Errorf("markdown does not link %s", l)
			}
		}
	})
}

func TestGoldenCharts(t *testing.T) {
	charts, err := Charts(golden.Results(t, "base.json"))
	if err != nil {
		t.Fatal(err)
	}
	if len(charts) != 3 {
		t.Fatalf("%d charts, want 3", len(charts))
	}
	for _, c := range charts {
		if !bytes.HasPrefix(c.SVG, []byte("<?xml")) || !bytes.Contains(c.SVG, []byte("</svg>")) {
			t.Errorf("%s is not an SVG document", c.Name)
		}
		golden.Check(t, "chart-"+c.Name+".svg", c.SVG)
	}
	dir := t.TempDir()
	paths, err := WriteCharts(filepath.Join(dir, "charts"), golden.Results(t, "base.json"))
	if err != nil {
		t.Fatal(err)
	}
	for name, p := range paths {
		if filepath.Base(p) != name+".svg" {
			t.Errorf("chart %s written to %s", name, p)
		}
		if _, err := os.Stat(p); err != nil {
			t.Error(err)
		}
	}
}

func TestHTMLSelfContained(t *testing.T) {
	got := string(render(t, golden.Results(t, "base.json"), FormatHTML, Options{}))
	for _, bad := range []string{"<script", "<link", "src=", "@import", "url("} {
		if strings.Contains(got, bad) {
			t.Errorf("HTML contains %q: it must load nothing when viewed", bad)
		}
	}
	for _, m := range regexp.MustCompile(`https?://[^"' )]+`).FindAllString(got, -1) {
		if m != "http://www.w3.org/2000/svg" && m != "http://www.w3.org/1999/xlink" {
			t.Errorf("HTML refers to %s", m)
		}
	}
	if n := strings.Count(got, "<svg"); n != 3 {
		t.Errorf("%d inline charts, want 3", n)
	}
	if strings.Contains(got, "<?xml") {
		t.Error("XML prolog inside HTML")
	}
}

func TestMarkdownTablesWellFormed(t *testing.T) {
	got := string(render(t, golden.Results(t, "base.json"), FormatMarkdown, Options{}))
	golden.TablesWellFormed(t, got)
}

func TestGoBenchReadable(t *testing.T) {
	r := golden.Results(t, "base.json")
	got := render(t, r, FormatGoBench, Options{})
	rd := benchfmt.NewReader(bytes.NewReader(got), "base.txt")
	results := 0
	units := map[string]bool{}
	names := map[string]bool{}
	for rd.Scan() {
		switch rec := rd.Result().(type) {
		case *benchfmt.Result:
			results++
			names[string(rec.Name.Full())] = true
			for _, v := range rec.Values {
				units[v.Unit] = true
			}
			if rec.GetConfig("pkg") != "benchctl/redis" {
				t.Errorf("pkg = %q", rec.GetConfig("pkg"))
			}
		case *benchfmt.SyntaxError:
			t.Errorf("benchfmt cannot read our output: %v", rec)
		}
	}
	if err := rd.Err(); err != nil {
		t.Fatal(err)
	}
	if want := len(r.Measured()); results != want {
		t.Errorf("%d benchmark lines, want one per measured run (%d)", results, want)
	}
	if len(names) != len(r.Variants) {
		t.Errorf("%d benchmark names, want %d: %v", len(names), len(r.Variants), names)
	}
	for _, u := range []string{"req/s", "overhead-%", "kernel-sec", "sys_exit-sec/call", "kernel-sec/syscall", "events", "B"} {
		if !units[u] {
			t.Errorf("unit %q missing (have %v)", u, units)
		}
	}
}

func TestCSVRows(t *testing.T) {
	r := golden.Results(t, "base.json")
	rows, err := csv.NewReader(bytes.NewReader(render(t, r, FormatCSV, Options{}))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != len(r.Runs)+1 {
		t.Errorf("%d rows, want a header and one per run (%d)", len(rows), len(r.Runs))
	}
}

func TestFormats(t *testing.T) {
	r := golden.Results(t, "base.json")
	if err := Render(&bytes.Buffer{}, r, "pdf", Options{}); err == nil {
		t.Error("unknown report format accepted")
	}
}
