package trend

import (
	"bytes"
	"encoding/xml"
	"testing"
)

func TestSVG(t *testing.T) {
	s := Series{Title: "ns_per_syscall", YLabel: "ns", Changes: []int{3}, Levels: []float64{100, 110}}
	for i := range 6 {
		m := 100.0
		if i >= 3 {
			m = 110
		}
		s.Points = append(s.Points, Point{Median: m, Min: m - 1, Max: m + 2})
	}
	svg, err := SVG(s)
	if err != nil {
		t.Fatal(err)
	}
	if err := xml.Unmarshal(svg, new(struct{})); err != nil {
		t.Errorf("not XML: %v", err)
	}
	for _, want := range []string{"<svg", "change point", "segment median", "ns_per_syscall", "Arial"} {
		if !bytes.Contains(svg, []byte(want)) {
			t.Errorf("SVG lacks %q", want)
		}
	}
	d := [2]float64{100, 110}
	s.Changes, s.Levels, s.Drift = nil, nil, &d
	if svg, err = SVG(s); err != nil || !bytes.Contains(svg, []byte("drift")) {
		t.Errorf("drift chart: %v", err)
	}
	if _, err := SVG(Series{}); err == nil {
		t.Error("no points: no error")
	}
}
