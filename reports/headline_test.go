package reports

import (
	"strings"
	"testing"

	"github.com/benchctl/benchctl/bench/results"
	"github.com/benchctl/benchctl/reports/internal/golden"
)

// TestHeadlineFirst: every document format opens with the headline, before
// the intro and the first section, and it says, per set and family, what
// exit_only changed in kernel time, events and overhead, with intervals.
func TestHeadlineFirst(t *testing.T) {
	r := golden.Handmade()
	for _, format := range []string{FormatMarkdown, FormatText, FormatHTML} {
		out := string(render(t, r, format, Options{}))
		h := strings.Index(out, "Headline")
		intro := strings.Index(out, "rounds measured")
		env := strings.Index(out, "Environment")
		if h < 0 || intro < 0 || env < 0 || h > intro || h > env {
			t.Errorf("%s: headline at %d, intro at %d, environment at %d: want the headline first", format, h, intro, env)
			continue
		}
		if format == FormatHTML {
			continue
		}
		head := out[h:intro]
		for _, want := range []string{
			"s, benchctl: enter_exit → exit_only",
			"kernel time", "events", "overhead against the baseline",
			"→",
		} {
			if !strings.Contains(strings.Join(strings.Fields(strings.ReplaceAll(head, "`", "")), " "), want) {
				t.Errorf("%s headline lacks %q:\n%s", format, want, head)
			}
		}
	}
}

// TestHeadlineNoise: a file with runs flagged as noisy says so in the
// headline, not only further down.
func TestHeadlineNoise(t *testing.T) {
	md := string(render(t, noisyHandmade(), FormatMarkdown, Options{}))
	h := mdSection(md, "## Headline")
	if !strings.Contains(h, "noisy") {
		t.Errorf("headline of a noisy file does not warn:\n%s", h)
	}
	clean := mdSection(string(render(t, golden.Handmade(), FormatMarkdown, Options{})), "## Headline")
	if strings.Contains(clean, "noisy") {
		t.Errorf("headline of a clean file warns of noise:\n%s", clean)
	}
}

// TestPairTitlesNameBothSides: a pair of an external family is titled
// with both of its variants' labels, not benchctl's mode on one side.
func TestPairTitlesNameBothSides(t *testing.T) {
	r := golden.Handmade()
	for i := range r.Variants {
		v := &r.Variants[i]
		switch v.Name {
		case "s/enter_exit":
			v.Mode, v.Tracer, v.Family, v.Design = results.ModeExternal, "syscount", "sc", results.ModeEnterExit
		case "s/exit_only":
			v.Mode, v.Tracer, v.Family, v.Design = results.ModeExternal, "syscount-count", "sc", results.ModeExitOnly
		}
	}
	results.Derive(r)
	md := string(render(t, r, FormatMarkdown, Options{}))
	if want := "s: tracer syscount (enter_exit) → tracer syscount-count (exit_only)"; !strings.Contains(md, want) {
		t.Errorf("no heading %q in:\n%s", want, md)
	}
	if strings.Contains(md, "s: enter_exit → tracer") {
		t.Errorf("a heading names benchctl's enter_exit for a tracer's variant:\n%s", md)
	}
}
