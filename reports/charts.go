package reports

import (
	"bytes"
	"fmt"
	"image/color"
	"os"
	"path/filepath"
	"slices"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgsvg"

	"github.com/benchctl/benchctl/bench"
)

// Chart names: the stem of the .svg file WriteCharts writes.
const (
	ChartKernelTime   = "kernel_time"
	ChartThroughput   = "throughput"
	ChartEventsPerSec = "events_per_sec"
)

var chartTitles = map[string]string{
	ChartKernelTime:   "Kernel time per run, by program",
	ChartThroughput:   "Workload throughput",
	ChartEventsPerSec: "Events per second reaching userspace",
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
func Charts(r *bench.Results) ([]Chart, error) {
	stats := r.SummarizeVariants()
	var out []Chart
	for _, mk := range chartBuilders {
		c, err := mk(stats)
		if err != nil {
			return nil, err
		}
		if c == nil {
			continue
		}
		svg, err := renderSVG(c.plot, c.rows)
		if err != nil {
			return nil, err
		}
		c.SVG = svg
		out = append(out, c.Chart)
	}
	return out, nil
}

// WriteCharts renders the charts of r into dir (created if needed) as
// NAME.svg and returns the path of each by chart name.
func WriteCharts(dir string, r *bench.Results) (map[string]string, error) {
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
		if err := os.WriteFile(p, c.SVG, 0o644); err != nil {
			return nil, fmt.Errorf("writing chart: %w", err)
		}
		paths[c.Name] = p
	}
	return paths, nil
}

// newPlot returns a plot with sans-serif text and the variant names on
// the Y axis, first variant on top.
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
	rev := make([]string, len(names))
	for i, n := range names {
		rev[len(names)-1-i] = n
	}
	p.NominalY(rev...)
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
	plot *plot.Plot
	rows int
}

var chartBuilders = []func([]bench.VariantStats) (*builtChart, error){kernelTimeChart, throughputChart, eventsChart}

func renderSVG(p *plot.Plot, n int) ([]byte, error) {
	c := vgsvg.New(chartWidth, chartHeight(n))
	p.Draw(draw.New(c))
	var buf bytes.Buffer
	if _, err := c.WriteTo(&buf); err != nil {
		return nil, fmt.Errorf("rendering chart: %w", err)
	}
	return buf.Bytes(), nil
}

func kernelTimeChart(stats []bench.VariantStats) (*builtChart, error) {
	var names []string
	roles := [3][]float64{}
	keys := [3]string{"enter_time_ns", "exit_time_ns", "other_time_ns"}
	for _, vs := range stats {
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
	// Room on the right for the legend.
	p.X.Max = total * 1.5
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
		p.Legend.Add(label, b)
		prev = b
	}
	p.Legend.Top = true
	return &builtChart{Chart: Chart{Name: ChartKernelTime, Title: chartTitles[ChartKernelTime],
		Caption: "Median run time per run of the programs attached, stacked by role."}, plot: p, rows: len(names)}, nil
}

// errorRange is the whisker of a bar: the 95% CI when there is one, the
// range of the runs otherwise.
func errorRange(s bench.Summary) (lo, hi float64, ci bool) {
	if s.HasCI() {
		return s.Lo, s.Hi, true
	}
	return s.Min, s.Max, false
}

func whiskerChart(stats []bench.VariantStats, key, name, xLabel string, scale float64, keep func(bench.VariantStats) bool) (*builtChart, error) {
	var names []string
	var med []float64
	var errs []struct{ lo, hi float64 }
	allCI, anyCI := true, false
	for _, vs := range stats {
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
		caption = fmt.Sprintf("Bars: median. Whiskers: min to max of the runs (fewer than %d runs per variant: too few samples for a 95%% CI).", bench.MinSamplesCI)
	case !allCI:
		caption = fmt.Sprintf("Bars: median. Whiskers: 95%% confidence interval of the median, or min to max for variants with fewer than %d runs.", bench.MinSamplesCI)
	}
	return &builtChart{Chart: Chart{Name: name, Title: chartTitles[name], Caption: caption}, plot: p, rows: len(names)}, nil
}

func throughputChart(stats []bench.VariantStats) (*builtChart, error) {
	unit := ""
	for _, vs := range stats {
		if vs.Unit != "" {
			unit = vs.Unit
			break
		}
	}
	label := "throughput (thousands)"
	if unit != "" {
		label = "thousand " + unit
	}
	return whiskerChart(stats, "throughput", ChartThroughput, label, 1e3, func(bench.VariantStats) bool { return true })
}

func eventsChart(stats []bench.VariantStats) (*builtChart, error) {
	return whiskerChart(stats, "events_per_sec", ChartEventsPerSec, "thousand events/s", 1e3, func(vs bench.VariantStats) bool {
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
