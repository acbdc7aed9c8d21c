package comparison

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/benchctl/benchctl/bench/compare"
	"github.com/benchctl/benchctl/bench/results"
	"github.com/benchctl/benchctl/reports/internal/golden"
)

// TestFirstLinesNameWhatDiffered (issue 29, finding 2): a comparison of
// files measured apart says what differed in its first lines, before the
// sides and the table, in every format a reader sees; so does one with a
// gated figure a side could not compute; and the verdict line and the
// JSON status say inconclusive.
func TestFirstLinesNameWhatDiffered(t *testing.T) {
	base := golden.Results(t, "base.json")
	head := golden.Results(t, "head.json")
	head.Environment.Kernel = "6.1.0-28-amd64"
	head.Environment.Guest = "qemu-tcg"
	for i := range head.Runs {
		if head.Runs[i].Variant == "small/exit_only" {
			head.Runs[i].Programs = nil
		}
	}
	results.Derive(head)
	c, err := compare.Compare(base, head, compare.CompareOptions{InconclusivePass: true})
	if err != nil {
		t.Fatal(err)
	}
	wantFirst := []string{
		`Not comparable: measured in a TCG guest (environment.guest: base "", head "qemu-tcg"): an emulated CPU's timings are not compared.`,
		`Not comparable: kernel differs: base "6.18.0-2-cloud-amd64", head "6.1.0-28-amd64"; --allow-env-change kernel compares them anyway.`,
		`Not computed: head: small/exit_only ns_per_syscall has no value in any of 5 measured runs: it cannot be computed.`,
	}
	var text bytes.Buffer
	if err := Text(&text, c); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(text.String(), "\n")
	for i, want := range wantFirst {
		if got := lines[1+i]; got != want {
			t.Errorf("text line %d:\n got %s\nwant %s", 2+i, got, want)
		}
	}
	if !strings.Contains(text.String(), "INCONCLUSIVE: base and head cannot be compared (tcg, kernel differ); nothing was decided.") {
		t.Errorf("text verdict:\n%s", text.String())
	}

	var md bytes.Buffer
	if err := Markdown(&md, c); err != nil {
		t.Fatal(err)
	}
	mdLines := strings.Split(md.String(), "\n")
	if !strings.HasPrefix(mdLines[0], "## benchctl compare: redis — ⚠️ inconclusive: not comparable (tcg, kernel differ)") {
		t.Errorf("markdown heading %q", mdLines[0])
	}
	if !strings.HasPrefix(mdLines[2], "- **Not comparable: measured in a TCG guest") || !strings.HasPrefix(mdLines[3], "- **Not comparable: kernel differs") ||
		!strings.HasPrefix(mdLines[4], "- **Not computed: head: small/exit") {
		t.Errorf("markdown first lines:\n%s", strings.Join(mdLines[:6], "\n"))
	}

	var js bytes.Buffer
	if err := JSON(&js, c); err != nil {
		t.Fatal(err)
	}
	var out struct {
		Pass        bool
		Status      string
		Differences []struct {
			What    string
			Allowed bool
		}
		Missing []string
	}
	if err := json.Unmarshal(js.Bytes(), &out); err != nil {
		t.Fatal(err)
	}
	if out.Pass || out.Status != "inconclusive" || len(out.Differences) != 2 || out.Differences[1].What != "kernel" || len(out.Missing) != 1 {
		t.Errorf("json: %+v", out)
	}

	// Allowed, the kernel is still named, as spanned on purpose.
	head.Environment.Guest = ""
	c, err = compare.Compare(base, head, compare.CompareOptions{AllowEnvChange: []string{compare.ChangeKernel}})
	if err != nil {
		t.Fatal(err)
	}
	text.Reset()
	if err := Text(&text, c); err != nil {
		t.Fatal(err)
	}
	if got := strings.Split(text.String(), "\n")[1]; got != `Compared across a difference: kernel differs: base "6.18.0-2-cloud-amd64", head "6.1.0-28-amd64" (allowed by --allow-env-change kernel).` {
		t.Errorf("allowed kernel, line 2: %s", got)
	}
}

// TestJSONChangeBeyondFloat: medians near the largest float64 whose
// difference overflows render (change_points left out), rather than
// failing the JSON encoder.
func TestJSONChangeBeyondFloat(t *testing.T) {
	m, _ := results.GateMeasure("overhead")
	row := compare.GateRow{Variant: "v", Metric: "overhead", Measure: m, Threshold: 5}
	row.Base.Median, row.Head.Median = -1e308, 1e308
	c := &compare.Comparison{Scenario: "s", Alpha: 0.05, Thresholds: map[string]float64{"overhead": 5}, Rows: []compare.GateRow{row}}
	var buf bytes.Buffer
	if err := JSON(&buf, c); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(buf.String(), "change_points") {
		t.Errorf("an infinite change in points rendered:\n%s", buf.String())
	}
}
