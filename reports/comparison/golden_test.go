package comparison

import (
	"bytes"
	"testing"

	"github.com/benchctl/benchctl/bench/compare"
	"github.com/benchctl/benchctl/reports/internal/golden"
)

func TestGoldenComparisons(t *testing.T) {
	base := golden.Results(t, "base.json")
	for _, head := range []string{"head", "head_slow"} {
		c, err := compare.Compare(base, golden.Results(t, head+".json"), compare.CompareOptions{})
		if err != nil {
			t.Fatal(err)
		}
		for _, format := range Formats {
			var buf bytes.Buffer
			if err := Render(&buf, c, format); err != nil {
				t.Fatal(err)
			}
			ext := map[string]string{FormatText: "txt", FormatMarkdown: "md", FormatJSON: "json", FormatActionBenchmark: "gab.json"}[format]
			golden.Check(t, "compare-"+head+"."+ext, buf.Bytes())
		}
	}
}

func TestFormats(t *testing.T) {
	r := golden.Results(t, "base.json")
	c, err := compare.Compare(r, r, compare.CompareOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if err := Render(&bytes.Buffer{}, c, "xml"); err == nil {
		t.Error("unknown comparison format accepted")
	}
}
