package reports

import (
	"strings"
	"testing"

	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

func labelStyle() draw.TextStyle {
	p := newPlot("t", "x", []string{"a"})
	return p.Y.Tick.Label
}

// TestVariantLabels: the label area fits the widest name with room to
// spare for a wider font, and a name too long for it is wrapped after a
// '/', '_', '-' or '+' onto two lines that fit.
func TestVariantLabels(t *testing.T) {
	sty := labelStyle()
	short := []string{"idle/enter_exit", "big/enter_exit_nostats"}
	lines, w := variantLabels(sty, short)
	if lines[0] != short[0] || lines[1] != short[1] {
		t.Errorf("short names changed: %q", lines)
	}
	if widest := sty.Width(short[1]); w < widest*(1+labelSlack) {
		t.Errorf("label area %v for a widest label of %v: no room for a wider font", w, widest)
	}
	long := "big/exit_only+stash_nostats_with_a_much_much_longer_name_than_fits"
	lines, w = variantLabels(sty, []string{long})
	if w > maxLabelWidth+vg.Length(1) {
		t.Errorf("label area %v is wider than %v", w, maxLabelWidth)
	}
	parts := strings.Split(lines[0], "\n")
	if len(parts) != 2 || !strings.ContainsAny(parts[0][len(parts[0])-1:], "/_-+") {
		t.Errorf("wrapped %q into %q", long, parts)
	}
}

// TestLegendLayout: entries are laid out left to right without overlap,
// each with room for a wider font, and wrap to a new row when the width
// runs out.
func TestLegendLayout(t *testing.T) {
	sty := labelStyle()
	entries := []legendEntry{{label: "enter (sys_enter, floor_enter)"}, {label: "exit (sys_exit, floor_exit)"}, {label: "other (TOCTOU helpers)"}}
	rows := legendLayout(sty, entries, chartWidth)
	if len(rows) != 1 || len(rows[0]) != 3 {
		t.Fatalf("%d rows, want the 3 entries on one", len(rows))
	}
	for i, e := range rows[0] {
		if e.width < legendSwatch+sty.Width(e.label)*(1+labelSlack) {
			t.Errorf("entry %d: width %v leaves no room for a wider font", i, e.width)
		}
		if i > 0 && e.x < rows[0][i-1].x+rows[0][i-1].width {
			t.Errorf("entry %d overlaps entry %d", i, i-1)
		}
	}
	if rows := legendLayout(sty, entries, 200); len(rows) != 3 {
		t.Errorf("%d rows in 200pt, want 3", len(rows))
	}
}
