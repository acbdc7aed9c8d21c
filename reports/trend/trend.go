// Package trend draws one series of runs as an SVG chart, in the house
// style of the report charts (reports/charts.go: gonum/plot, Liberation
// Sans, the same blue and orange): each run's median with its spread
// (the smallest to the largest of its runs), the change points as
// vertical lines, each segment's median as a level, and a drift as its
// fitted line. It knows nothing of where the series comes from.
package trend

import (
	"bytes"
	"fmt"
	"image/color"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgsvg"
)

// The report charts' colours and size.
var (
	colorPoint  = color.RGBA{R: 0x4c, G: 0x78, B: 0xa8, A: 0xff}
	colorChange = color.RGBA{R: 0xf5, G: 0x85, B: 0x18, A: 0xff}
	colorLevel  = color.RGBA{R: 0x54, G: 0xa2, B: 0x4b, A: 0xff}
)

const (
	width  = vg.Length(620)
	height = vg.Length(260)
)

// Point is one run: its median and the spread of its runs.
type Point struct{ Median, Min, Max float64 }

// Series is what the chart shows.
type Series struct {
	Title, YLabel string
	Points        []Point
	// Changes are the indexes of the first point after each change.
	Changes []int
	// Levels are the medians of the segments between the changes, one
	// more than Changes; none to draw none.
	Levels []float64
	// Drift, when set, is the fitted line's value at the first and the
	// last point.
	Drift *[2]float64
}

type xyErr struct {
	plotter.XYs
	plotter.YErrors
}

// SVG renders s as a standalone SVG document.
func SVG(s Series) ([]byte, error) {
	p, err := build(s)
	if err != nil {
		return nil, err
	}
	c := vgsvg.New(width, height)
	p.Draw(draw.New(c))
	var buf bytes.Buffer
	if _, err := c.WriteTo(&buf); err != nil {
		return nil, fmt.Errorf("drawing %s: %w", s.Title, err)
	}
	// As the report charts: fonts metric-compatible with Liberation Sans
	// first, then any sans.
	return bytes.ReplaceAll(buf.Bytes(), []byte("font-family:Liberation Sans;"), []byte("font-family:'Liberation Sans',Arial,Helvetica,sans-serif;")), nil
}

// build lays out the chart of s.
func build(s Series) (*plot.Plot, error) {
	if len(s.Points) == 0 {
		return nil, fmt.Errorf("drawing %s: no points", s.Title)
	}
	sans := func(size vg.Length) font.Font {
		return font.Font{Typeface: "Liberation", Variant: "Sans", Size: size}
	}
	p := plot.New()
	p.Title.Text = s.Title
	p.Title.TextStyle.Font = sans(13)
	p.X.Label.Text = "run"
	p.Y.Label.Text = s.YLabel
	for _, l := range []*draw.TextStyle{&p.X.Label.TextStyle, &p.Y.Label.TextStyle} {
		l.Font = sans(11)
	}
	p.X.Tick.Label.Font = sans(10)
	p.Y.Tick.Label.Font = sans(10)
	p.Legend.TextStyle.Font = sans(10)
	p.Legend.Top = true
	p.Add(plotter.NewGrid())

	n := len(s.Points)
	pts := xyErr{XYs: make(plotter.XYs, n), YErrors: make(plotter.YErrors, n)}
	lo, hi := s.Points[0].Min, s.Points[0].Max
	for i, q := range s.Points {
		pts.XYs[i] = plotter.XY{X: float64(i + 1), Y: q.Median}
		pts.YErrors[i].Low, pts.YErrors[i].High = q.Median-q.Min, q.Max-q.Median
		lo, hi = min(lo, q.Min), max(hi, q.Max)
	}
	bars, err := plotter.NewYErrorBars(pts)
	if err != nil {
		return nil, err
	}
	bars.Color = colorPoint
	bars.CapWidth = 5
	sc, err := plotter.NewScatter(pts)
	if err != nil {
		return nil, err
	}
	sc.Color = colorPoint
	sc.Shape = draw.CircleGlyph{}
	sc.Radius = 2
	p.Add(bars, sc)
	p.Legend.Add("run median, min to max", sc)

	if len(s.Levels) == len(s.Changes)+1 {
		from := 0
		for i, level := range s.Levels {
			to := n
			if i < len(s.Changes) {
				to = s.Changes[i]
			}
			l, err := plotter.NewLine(plotter.XYs{{X: float64(from) + 0.5, Y: level}, {X: float64(to) + 0.5, Y: level}})
			if err != nil {
				return nil, err
			}
			l.Color, l.Width = colorLevel, 1.5
			p.Add(l)
			if i == 0 {
				p.Legend.Add("segment median", l)
			}
			from = to
		}
	}
	if d := s.Drift; d != nil {
		l, err := plotter.NewLine(plotter.XYs{{X: 1, Y: d[0]}, {X: float64(n), Y: d[1]}})
		if err != nil {
			return nil, err
		}
		l.Color, l.Width = colorLevel, 1.5
		l.Dashes = []vg.Length{6, 3}
		p.Add(l)
		p.Legend.Add("drift", l)
	}
	for i, c := range s.Changes {
		l, err := plotter.NewLine(plotter.XYs{{X: float64(c) + 0.5, Y: lo}, {X: float64(c) + 0.5, Y: hi}})
		if err != nil {
			return nil, err
		}
		l.Color, l.Width = colorChange, 1.5
		l.Dashes = []vg.Length{4, 3}
		p.Add(l)
		if i == 0 {
			p.Legend.Add("change point", l)
		}
	}
	p.X.Min, p.X.Max = 0.5, float64(n)+0.5
	// Headroom above the data for the legend.
	if d := s.Drift; d != nil {
		lo, hi = min(lo, d[0], d[1]), max(hi, d[0], d[1])
	}
	span := hi - lo
	if span == 0 {
		span = 1
	}
	p.Y.Min, p.Y.Max = lo-0.05*span, hi+0.4*span
	return p, nil
}
