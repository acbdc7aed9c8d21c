package reports

import (
	"bytes"
	"fmt"
	"image/color"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"unicode/utf8"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgsvg"

	"github.com/benchctl/benchctl/bench/results"
	"github.com/benchctl/benchctl/bench/stats"
	"github.com/benchctl/benchctl/internal/atomicfile"
)

// Chart names: the stem of the .svg file WriteCharts writes.
const (
	ChartKernelTime   = "kernel_time"
	ChartThroughput   = "throughput"
	ChartEventsPerSec = "events_per_sec"
	ChartAnatomy      = "anatomy"
)

var chartTitles = map[string]string{
	ChartKernelTime:   "Kernel time per run, by program",
	ChartThroughput:   "Workload throughput",
	ChartEventsPerSec: "Events per second reaching userspace",
	ChartAnatomy:      "Throughput lost, step by step",
}

// Chart is one rendered chart.
type Chart struct {
	Name  string // one of the Chart* names
	Title string
	// Caption says what the bars and whiskers show.
	Caption string
	SVG     []byte // a standalone SVG document
}

// Colours of the program roles, and of single-series bars.
var (
	colorEnter = color.RGBA{R: 0x4c, G: 0x78, B: 0xa8, A: 0xff}
	colorExit  = color.RGBA{R: 0xf5, G: 0x85, B: 0x18, A: 0xff}
	colorOther = color.RGBA{R: 0x54, G: 0xa2, B: 0x4b, A: 0xff}
	colorBar   = color.RGBA{R: 0x4c, G: 0x78, B: 0xa8, A: 0xff}
)

// Charts renders the report's charts from r: kernel time per variant
// split by program role, throughput with its confidence interval, and
// events per second. A chart with nothing to show is left out.
func Charts(r *results.Results) ([]Chart, error) {
	vss := r.SummarizeVariants()
	var out []Chart
	for _, mk := range chartBuilders {
		c, err := mk(vss)
		if err != nil {
			return nil, err
		}
		if c == nil {
			continue
		}
		svg, err := renderSVG(c)
		if err != nil {
			return nil, err
		}
		c.SVG = svg
		out = append(out, c.Chart)
	}
	c, err := anatomyChart(r)
	if err != nil {
		return out, err
	}
	if c != nil {
		svg, err := renderSVG(c)
		if err != nil {
			return nil, err
		}
		c.SVG = svg
		out = append(out, c.Chart)
	}
	cc, err := capacityChart(r)
	if err != nil || cc == nil {
		return out, err
	}
	return append(out, *cc), nil
}

// stepColors colour the anatomy chart's steps, in ladder order.
var stepColors = []color.Color{
	color.RGBA{R: 0xba, G: 0xb0, B: 0xac, A: 0xff}, // floor
	color.RGBA{R: 0x4c, G: 0x78, B: 0xa8, A: 0xff}, // dispatch
	color.RGBA{R: 0x72, G: 0xb7, B: 0xb2, A: 0xff}, // tail call
	color.RGBA{R: 0xed, G: 0xc9, B: 0x48, A: 0xff}, // event built and stamped
	color.RGBA{R: 0xf5, G: 0x85, B: 0x18, A: 0xff}, // written into the ring
	color.RGBA{R: 0xe4, G: 0x57, B: 0x56, A: 0xff}, // full fillers
	color.RGBA{R: 0xb2, G: 0x79, B: 0xa2, A: 0xff}, // decoding
}

// anatomyChart stacks, for each set's enter_exit and exit_only ladder,
// the throughput points each step costs.
func anatomyChart(r *results.Results) (*builtChart, error) {
	as := r.Anatomies(0)
	if len(as) == 0 {
		return nil, nil
	}
	steps := results.LadderSteps[1:] // "none" costs nothing
	var names []string
	seg := make([][]float64, len(steps))
	negative := false
	for _, a := range as {
		for _, mode := range []string{"enter_exit", "exit_only"} {
			vals := make([]float64, len(steps))
			any := false
			for _, row := range a.Rows {
				c := row.EE
				if mode == "exit_only" {
					c = row.XO
				}
				i := slices.Index(steps, row.Step)
				if c == nil || i < 0 || !c.HasOverhead {
					continue
				}
				any = true
				if c.StepPoints < 0 {
					negative = true
					continue
				}
				vals[i] = c.StepPoints
			}
			if !any {
				continue
			}
			names = append(names, a.Set+" "+mode)
			for i := range steps {
				seg[i] = append(seg[i], vals[i])
			}
		}
	}
	if len(names) == 0 {
		return nil, nil
	}
	p := newPlot(chartTitles[ChartAnatomy], "throughput points lost against the baseline (medians)", names)
	total := 0.0
	for j := range names {
		t := 0.0
		for i := range steps {
			t += seg[i][j]
		}
		total = max(total, t)
	}
	p.X.Max = total*1.05 + 1e-9
	var prev *plotter.BarChart
	var legend []legendEntry
	for i, step := range steps {
		if slices.Max(seg[i]) == 0 {
			continue
		}
		b, err := plotter.NewBarChart(reversed(seg[i]), barWidth)
		if err != nil {
			return nil, fmt.Errorf("drawing anatomy chart: %w", err)
		}
		b.Horizontal = true
		b.Color = stepColors[i%len(stepColors)]
		b.LineStyle.Width = 0
		if prev != nil {
			b.StackOn(prev)
		}
		p.Add(b)
		legend = append(legend, legendEntry{results.LadderLabels[step], b.Color})
		prev = b
	}
	caption := "Each segment is what one step of the ladder adds to the throughput lost (median of its runs minus the step before's)."
	if negative {
		caption += " Steps that measured cheaper than the step before (noise) have no segment."
	}
	return &builtChart{Chart: Chart{Name: ChartAnatomy, Title: chartTitles[ChartAnatomy], Caption: caption},
		plot: p, names: names, legend: legend}, nil
}

// WriteCharts renders the charts of r into dir (created if needed) as
// NAME.svg and returns the path of each by chart name. Each is written
// atomically (atomicfile.Write): a chart that cannot be written leaves
// the one of that name as it was, and no empty file.
func WriteCharts(dir string, r *results.Results) (map[string]string, error) {
	charts, err := Charts(r)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("writing charts: %w", err)
	}
	paths := make(map[string]string, len(charts))
	for _, c := range charts {
		p := filepath.Join(dir, c.Name+".svg")
		if err := atomicfile.Write(p, c.SVG, 0o644); err != nil {
			return nil, fmt.Errorf("writing chart: %w", err)
		}
		paths[c.Name] = p
	}
	return paths, nil
}

// newPlot returns a plot with sans-serif text and one nominal Y position
// per variant, first variant on top. The variant names are not tick
// labels: renderSVG draws them in a label area of their own.
func newPlot(title, xLabel string, names []string) *plot.Plot {
	p := plot.New()
	sans := func(size vg.Length) font.Font {
		return font.Font{Typeface: "Liberation", Variant: "Sans", Size: size}
	}
	p.Title.Text = title
	p.Title.TextStyle.Font = sans(13)
	p.X.Label.Text = xLabel
	p.X.Label.TextStyle.Font = sans(11)
	p.X.Tick.Label.Font = sans(10)
	p.Y.Tick.Label.Font = sans(10)
	p.Legend.TextStyle.Font = sans(10)
	p.X.Min = 0
	p.NominalY(make([]string, len(names))...)
	p.Y.Min, p.Y.Max = -0.6, float64(len(names))-0.4
	p.Add(plotter.NewGrid())
	return p
}

// reversed returns vs in reverse order (bars are drawn bottom-up).
func reversed(vs []float64) plotter.Values {
	out := make(plotter.Values, len(vs))
	for i, v := range vs {
		out[len(vs)-1-i] = v
	}
	return out
}

// barWidth is the thickness of one bar.
const barWidth = vg.Length(14)

func chartHeight(n int) vg.Length { return vg.Points(float64(90 + 26*n)) }

// chartWidth is the width of every chart.
const chartWidth = vg.Length(620)

// builtChart is a chart before rendering.
type builtChart struct {
	Chart
	plot   *plot.Plot
	names  []string      // the variants, top to bottom
	legend []legendEntry // drawn in a band under the title, if any
}

// legendEntry is one colour swatch and its label.
type legendEntry struct {
	label string
	color color.Color
}

var chartBuilders = []func([]results.VariantStats) (*builtChart, error){kernelTimeChart, throughputChart, eventsChart}

// Label and legend layout. Widths are measured with Liberation Sans,
// but a viewer without it (or a metric twin such as Arial) draws the
// text in another font, often wider (DejaVu Sans runs about 15% wider).
// So texts are left-aligned with labelSlack of their width spare after
// them: a variant name never runs under the bars and a legend text never
// runs into the next swatch.
const (
	labelSlack    = 0.2
	labelMargin   = vg.Length(4)
	labelGap      = vg.Length(6)
	maxLabelWidth = chartWidth * 2 / 5
	legendRow     = vg.Length(15)
	legendSwatch  = vg.Length(10)
	legendSep     = vg.Length(12)
)

func renderSVG(bc *builtChart) ([]byte, error) {
	p := bc.plot
	label := p.Y.Tick.Label
	label.XAlign = draw.XLeft
	label.YAlign = draw.YCenter
	lines, labelW := variantLabels(label, bc.names)
	legendStyle := p.Legend.TextStyle
	legendStyle.XAlign, legendStyle.YAlign = draw.XLeft, draw.YCenter
	// The legend is centred over the plot, as the title is, when it fits
	// there on one row, and over the whole chart otherwise.
	legendX := labelW
	rows := legendLayout(legendStyle, bc.legend, chartWidth-legendX-labelMargin)
	if len(rows) > 1 {
		legendX = labelMargin
		rows = legendLayout(legendStyle, bc.legend, chartWidth-2*labelMargin)
	}
	legendH := vg.Length(0)
	if len(rows) > 0 {
		legendH = legendRow*vg.Length(len(rows)) + 4
	}
	// The legend sits in the title's padding, between the title and the data.
	titlePad := p.Title.Padding
	p.Title.Padding += legendH

	c := vgsvg.New(chartWidth, chartHeight(len(bc.names))+legendH)
	dc := draw.New(c)
	plotC := draw.Crop(dc, labelW, 0, 0, 0)
	p.Draw(plotC)

	data := p.DataCanvas(plotC)
	for i, l := range lines {
		y := data.Y(p.Y.Norm(float64(len(lines) - 1 - i)))
		dc.FillText(label, vg.Point{X: labelMargin, Y: y}, l)
	}
	top := dc.Max.Y - p.Title.TextStyle.Rectangle(p.Title.Text).Size().Y - titlePad
	for r, row := range rows {
		y := top - legendRow*vg.Length(r) - legendRow/2
		last := row[len(row)-1]
		left := legendX + (chartWidth-legendX-last.x-last.width)/2
		for _, e := range row {
			x := left + e.x
			h := legendSwatch / 2
			dc.FillPolygon(e.color, []vg.Point{{X: x, Y: y - h}, {X: x + legendSwatch, Y: y - h}, {X: x + legendSwatch, Y: y + h}, {X: x, Y: y + h}})
			dc.FillText(legendStyle, vg.Point{X: x + legendSwatch + 4, Y: y}, e.label)
		}
	}

	var buf bytes.Buffer
	if _, err := c.WriteTo(&buf); err != nil {
		return nil, fmt.Errorf("rendering chart: %w", err)
	}
	// Fonts metric-compatible with Liberation Sans first, then any sans.
	return bytes.ReplaceAll(buf.Bytes(), []byte("font-family:Liberation Sans;"), []byte("font-family:'Liberation Sans',Arial,Helvetica,sans-serif;")), nil
}

// variantLabels returns the label of each name, wrapped onto two lines
// when it is wider than maxLabelWidth, and the width of the label area:
// the widest label plus labelSlack of it, between labelMargin and labelGap.
func variantLabels(sty draw.TextStyle, names []string) ([]string, vg.Length) {
	out := make([]string, len(names))
	widest := vg.Length(0)
	limit := vg.Length(float64(maxLabelWidth-labelMargin-labelGap) / (1 + labelSlack))
	for i, n := range names {
		out[i] = wrapLabel(sty, n, limit)
		widest = max(widest, sty.Width(out[i]))
	}
	return out, labelMargin + widest*(1+labelSlack) + labelGap
}

// wrapLabel breaks name after a '/', '_', '-' or '+' so that each line
// fits in width, in two lines at most; a second line that still does
// not fit is shortened with an ellipsis.
func wrapLabel(sty draw.TextStyle, name string, width vg.Length) string {
	if sty.Width(name) <= width {
		return name
	}
	cut := 0
	for i, r := range name {
		if i > 0 && sty.Width(name[:i]) > width {
			break
		}
		if strings.ContainsRune("/_-+", r) && sty.Width(name[:i+1]) <= width {
			cut = i + 1
		}
	}
	if cut == 0 || cut == len(name) {
		cut = len(name) / 2
	}
	first, second := name[:cut], name[cut:]
	for sty.Width(second) > width && len(second) > 1 {
		_, size := utf8.DecodeLastRuneInString(strings.TrimSuffix(second, "…"))
		second = strings.TrimSuffix(second, "…")
		second = second[:len(second)-size] + "…"
	}
	return first + "\n" + second
}

// placedEntry is a legend entry with its offset in its row and its
// width, spare room included.
type placedEntry struct {
	legendEntry
	x, width vg.Length
}

// legendLayout lays the legend entries out left to right in rows no
// wider than width, with labelSlack of each text's width spare after it.
func legendLayout(sty draw.TextStyle, entries []legendEntry, width vg.Length) [][]placedEntry {
	var rows [][]placedEntry
	x := vg.Length(0)
	for _, e := range entries {
		w := legendSwatch + 4 + sty.Width(e.label)*(1+labelSlack)
		if len(rows) == 0 || (x > 0 && x+w > width) {
			rows = append(rows, nil)
			x = 0
		}
		rows[len(rows)-1] = append(rows[len(rows)-1], placedEntry{e, x, w})
		x += w + legendSep
	}
	return rows
}

func kernelTimeChart(vss []results.VariantStats) (*builtChart, error) {
	var names []string
	roles := [3][]float64{}
	keys := [3]string{"enter_time_ns", "exit_time_ns", "other_time_ns"}
	for _, vs := range vss {
		if _, ok := vs.Get("kernel_time_ns"); !ok {
			continue
		}
		names = append(names, vs.Variant.Name)
		for i, k := range keys {
			v := 0.0
			if ms, ok := vs.Get(k); ok {
				v = ms.Median / 1e9
			}
			roles[i] = append(roles[i], v)
		}
	}
	if len(names) == 0 {
		return nil, nil
	}
	p := newPlot(chartTitles[ChartKernelTime], "seconds of program run time per run (median)", names)
	var prev *plotter.BarChart
	total := 0.0
	for j := range names {
		total = max(total, roles[0][j]+roles[1][j]+roles[2][j])
	}
	p.X.Max = total * 1.05
	var legend []legendEntry
	for i, label := range []string{"enter (sys_enter, floor_enter)", "exit (sys_exit, floor_exit)", "other (TOCTOU helpers)"} {
		if slices.Max(roles[i]) == 0 {
			continue
		}
		b, err := plotter.NewBarChart(reversed(roles[i]), barWidth)
		if err != nil {
			return nil, fmt.Errorf("drawing kernel time chart: %w", err)
		}
		b.Horizontal = true
		b.Color = []color.Color{colorEnter, colorExit, colorOther}[i]
		b.LineStyle.Width = 0
		if prev != nil {
			b.StackOn(prev)
		}
		p.Add(b)
		legend = append(legend, legendEntry{label, b.Color})
		prev = b
	}
	return &builtChart{Chart: Chart{Name: ChartKernelTime, Title: chartTitles[ChartKernelTime],
		Caption: "Median run time per run of the programs attached, stacked by role."}, plot: p, names: names, legend: legend}, nil
}

// errorRange is the whisker of a bar: the 95% CI when there is one, the
// range of the runs otherwise.
func errorRange(s stats.Summary) (lo, hi float64, ci bool) {
	if s.HasCI() {
		return s.Lo, s.Hi, true
	}
	return s.Min, s.Max, false
}

func whiskerChart(vss []results.VariantStats, key, name, xLabel string, scale float64, keep func(results.VariantStats) bool) (*builtChart, error) {
	var names []string
	var med []float64
	var errs []struct{ lo, hi float64 }
	allCI, anyCI := true, false
	for _, vs := range vss {
		ms, ok := vs.Get(key)
		if !ok || !keep(vs) {
			continue
		}
		names = append(names, vs.Variant.Name)
		med = append(med, ms.Median/scale)
		lo, hi, ci := errorRange(ms.Summary)
		allCI = allCI && ci
		anyCI = anyCI || ci
		errs = append(errs, struct{ lo, hi float64 }{(ms.Median - lo) / scale, (hi - ms.Median) / scale})
	}
	if len(names) == 0 {
		return nil, nil
	}
	p := newPlot(chartTitles[name], xLabel, names)
	b, err := plotter.NewBarChart(reversed(med), barWidth)
	if err != nil {
		return nil, fmt.Errorf("drawing %s chart: %w", name, err)
	}
	top := 0.0
	for i := range med {
		top = max(top, med[i]+errs[i].hi)
	}
	p.X.Max = top * 1.05
	b.Horizontal = true
	b.Color = colorBar
	b.LineStyle.Width = 0
	p.Add(b)
	pts := make(errPoints, len(med))
	for i := range med {
		j := len(med) - 1 - i
		pts[j] = errPoint{x: med[i], y: float64(j), lo: errs[i].lo, hi: errs[i].hi}
	}
	eb, err := plotter.NewXErrorBars(pts)
	if err != nil {
		return nil, fmt.Errorf("drawing %s chart: %w", name, err)
	}
	eb.LineStyle.Width = vg.Points(1.2)
	p.Add(eb)
	caption := "Bars: median. Whiskers: 95% confidence interval of the median."
	switch {
	case !anyCI:
		caption = fmt.Sprintf("Bars: median. Whiskers: min to max of the runs (fewer than %d runs per variant: too few samples for a 95%% CI).", stats.MinSamplesCI)
	case !allCI:
		caption = fmt.Sprintf("Bars: median. Whiskers: 95%% confidence interval of the median, or min to max for variants with fewer than %d runs.", stats.MinSamplesCI)
	}
	return &builtChart{Chart: Chart{Name: name, Title: chartTitles[name], Caption: caption}, plot: p, names: names}, nil
}

func throughputChart(vss []results.VariantStats) (*builtChart, error) {
	unit := ""
	for _, vs := range vss {
		if vs.Unit != "" {
			unit = vs.Unit
			break
		}
	}
	label := "throughput (thousands)"
	if unit != "" {
		label = "thousand " + unit
	}
	return whiskerChart(vss, "throughput", ChartThroughput, label, 1e3, func(results.VariantStats) bool { return true })
}

func eventsChart(vss []results.VariantStats) (*builtChart, error) {
	return whiskerChart(vss, "events_per_sec", ChartEventsPerSec, "thousand events/s", 1e3, func(vs results.VariantStats) bool {
		ms, _ := vs.Get("events_per_sec")
		return ms.Max > 0
	})
}

// errPoints feed plotter.NewXErrorBars.
type errPoint struct{ x, y, lo, hi float64 }
type errPoints []errPoint

func (e errPoints) Len() int                        { return len(e) }
func (e errPoints) XY(i int) (float64, float64)     { return e[i].x, e[i].y }
func (e errPoints) XError(i int) (float64, float64) { return e[i].lo, e[i].hi }
