package reports

import (
	"bytes"
	"fmt"
	"image/color"
	"math"
	"slices"
	"strconv"
	"strings"

	"golang.org/x/perf/benchfmt"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgsvg"

	"github.com/benchctl/benchctl/bench/results"
	"github.com/benchctl/benchctl/bench/stats"
	"github.com/benchctl/benchctl/internal/numfmt"
	"github.com/benchctl/benchctl/reports/page"
)

// ChartCapacity is the drop ratio against the offered rate, one line per
// variant.
const ChartCapacity = "capacity"

func init() {
	chartTitles[ChartCapacity] = "Drop ratio against the offered syscall rate"
}

// capacitySection shows each searched variant's capacity: the highest
// syscall rate its steps sustained within the target drop ratio, with
// its interval over the searches, the side that limited it, what the
// consumer cost per event there, and every step (the curve). Nil when
// the results hold no capacity search.
func capacitySection(r *results.Results) *page.Section {
	if len(r.Capacity) == 0 {
		return nil
	}
	set := r.Capacity[0].Settings
	s := &page.Section{ID: "capacity", Title: "Capacity", Charts: []string{ChartCapacity}}
	target := "no drop at all"
	if set.TargetDropRatio > 0 {
		target = "a drop ratio of at most " + numfmt.Percent(100*set.TargetDropRatio)
	}
	s.Paras = append(s.Paras,
		fmt.Sprintf("The highest syscall rate each variant sustained with %s, from %d searches each (median and 95%% interval over the searches). "+
			"A search ramps the built-in generator's rate up geometrically until a step drops, then bisects to within %s; "+
			"each step loads the probes (or starts the tracer) afresh and lasts until the ring would fill at the resolution's excess rate (%s to %s). "+
			"Drops are what a step measures, not a failure.",
			target, set.Repeats, numfmt.Percent(100*set.Resolution), numfmt.Duration(float64(set.MinStep)), numfmt.Duration(float64(set.MaxStep))),
		"Limit: `consumer` when the failing step's consumer was busy (CPU time plus time waiting for a CPU, at least 90% of the step); "+
			"`ring` when it dropped with a consumer that had time to spare (a burst larger than the ring); "+
			"`generator` when the generator could offer no more without a drop: the capacity is then at least (≥) the rate shown.")
	t := page.NewTable("variant", "mode", "consumer", "ring", "capacity (syscalls/s)", "events/s", "limit", "searches", "consumer CPU/event", "table peak").
		AlignRight(3, 4, 5, 7, 8, 9).AsCode(0)
	// The tracer's peak memory at the capacity's step, in files that
	// recorded it (none before issue 33: then no column).
	withMemory := capacityHasMemory(r)
	if withMemory {
		t.Header = append(t.Header, "peak memory at capacity")
		t.Right = append(t.Right, true)
		t.Code = append(t.Code, false)
		s.Paras = append(s.Paras, "Peak memory at capacity: the tracer's peak userspace memory (as in Memory) at each search's passing step of the highest rate, median over the searches; "+
			"\""+NotMeasured+"\" where a step has none.")
	}
	for _, c := range r.Capacity {
		v, _ := r.Variant(c.Variant)
		cons := "count"
		if v.Consumer != nil && !v.Consumer.IsZero() {
			cons = describeConsumer(*v.Consumer)
		}
		if v.External() {
			cons = "the tracer's own"
		}
		ring := page.None
		if v.RingSize > 0 {
			ring = numfmt.Bytes(float64(v.RingSize))
		}
		sum, ok := c.Summary()
		if !ok {
			why := "no search finished"
			if c.Error != "" {
				why = c.Error
			}
			row := []string{c.Variant, page.ModeLabel(v), cons, ring, page.None, page.None, why, "0", page.None, page.None}
			if withMemory {
				row = append(row, NotMeasured)
			}
			t.Add(row...)
			continue
		}
		capCell := formatRate(sum.Syscalls.Median) + " " + page.FormatCI(results.KindCount, sum.Syscalls)
		if sum.LowerOnly {
			capCell = "≥ " + capCell
		}
		perEvent, peak := passingConsumer(c)
		row := []string{c.Variant, page.ModeLabel(v), cons, ring, capCell,
			formatRate(sum.Events.Median) + " " + page.FormatCI(results.KindCount, sum.Events),
			sum.Limit, strconv.Itoa(sum.Searches), perEvent, peak}
		if withMemory {
			row = append(row, capacityMemory(c))
		}
		t.Add(row...)
	}
	s.Tables = append(s.Tables, t)
	if p := capacityRatioPara(r); p != "" {
		s.Paras = append(s.Paras, p)
	}
	steps := &page.Section{ID: "capacity-steps", Title: "Capacity steps", Collapsed: true}
	steps.Paras = append(steps.Paras, "Every step of every search, by search and rate made: the rate offered and made, the events the kernel attempted and dropped, "+
		"and how busy the consumer was (its CPU time plus its time waiting for a CPU, over the step's wall time; above 100% when it went on draining a backlog after the step). "+
		"\"generator short\": the generator made less than 90% of the rate offered.")
	st := page.NewTable("variant", "search", "offered/s", "made/s", "attempted", "drops", "drop ratio", "consumer busy", "step", "result").
		AlignRight(1, 2, 3, 4, 5, 6, 7, 8).AsCode(0)
	for _, c := range r.Capacity {
		for _, x := range sortedSteps(c) {
			res := "pass"
			switch {
			case x.Error != "":
				res = "error: " + x.Error
			case !x.Pass:
				res = "drops"
			case x.GeneratorBound:
				res = "pass (generator short)"
			}
			st.Add(c.Variant, strconv.Itoa(x.Search+1), formatRate(x.Offered), formatRate(x.Achieved),
				numfmt.Count(float64(x.Attempted)), numfmt.Count(float64(x.Drops)),
				numfmt.Percent(100*x.DropRatio), numfmt.Percent(100*x.Busy), numfmt.Duration(float64(x.Wall)), res)
		}
	}
	steps.Tables = append(steps.Tables, st)
	s.Sub = append(s.Sub, steps)
	return s
}

// capacityRatioPara states exit_only's capacity against enter_exit's
// for benchctl's probes and for each tracer family, where both were
// searched with the same consumer and ring: the ratio of the medians.
func capacityRatioPara(r *results.Results) string {
	type key struct{ family, set, consumer string }
	type pair struct{ ee, eo *results.CapacitySummary }
	pairs := map[key]*pair{}
	var order []key
	for _, c := range r.Capacity {
		v, _ := r.Variant(c.Variant)
		sum, ok := c.Summary()
		if !ok {
			continue
		}
		cons := ""
		if v.Consumer != nil {
			cons = describeConsumer(*v.Consumer)
		}
		k := key{v.FamilyName(), v.Set, cons + "/" + strconv.Itoa(v.RingSize)}
		p := pairs[k]
		if p == nil {
			p = &pair{}
			pairs[k] = p
			order = append(order, k)
		}
		switch v.DesignMode() {
		case results.ModeEnterExit:
			p.ee = &sum
		case results.ModeExitOnly:
			p.eo = &sum
		}
	}
	var parts []string
	for _, k := range order {
		p := pairs[k]
		if p.ee == nil || p.eo == nil || p.ee.Syscalls.Median <= 0 {
			continue
		}
		ratio := p.eo.Syscalls.Median / p.ee.Syscalls.Median
		iv := ""
		if p.ee.Syscalls.HasCI() && p.eo.Syscalls.HasCI() && p.ee.Syscalls.Lo > 0 {
			iv = fmt.Sprintf(" (from the intervals: %.2f to %.2f)", p.eo.Syscalls.Lo/p.ee.Syscalls.Hi, p.eo.Syscalls.Hi/p.ee.Syscalls.Lo)
		}
		bound := ""
		if p.ee.LowerOnly || p.eo.LowerOnly {
			bound = "; one side is generator-bound, so this is not its capacity"
		}
		parts = append(parts, fmt.Sprintf("`%s` against `%s`: %.2f× the syscall rate%s%s", p.eo.Variant, p.ee.Variant, ratio, iv, bound))
	}
	if len(parts) == 0 {
		return ""
	}
	return "exit_only's capacity against enter_exit's, with the same consumer and ring (ratio of the medians): " + strings.Join(parts, "; ") + "."
}

// passingConsumer is the consumer's CPU per event over the passing steps
// (median), and the largest table the stateful consumer held.
func passingConsumer(c results.Capacity) (perEvent, peak string) {
	var per []float64
	var max uint64
	for _, s := range c.Steps {
		max = maxU(max, s.TablePeak)
		if s.Pass && s.Events > 0 && s.ConsumerCPU > 0 {
			per = append(per, s.ConsumerCPU*1e9/float64(s.Events))
		}
	}
	perEvent, peak = page.None, page.None
	if len(per) > 0 {
		slices.Sort(per)
		perEvent = numfmt.Duration(per[len(per)/2])
	}
	if max > 0 {
		peak = numfmt.Count(float64(max))
	}
	return perEvent, peak
}

// capacityHasMemory tells whether any search recorded the tracer's peak
// memory at its capacity.
func capacityHasMemory(r *results.Results) bool {
	for _, c := range r.Capacity {
		for _, s := range c.Searches {
			if s.PeakMemoryBytes > 0 {
				return true
			}
		}
	}
	return false
}

// capacityMemory is the median over c's searches of the tracer's peak
// memory at the capacity's step, NotMeasured when no search has one.
func capacityMemory(c results.Capacity) string {
	var xs []float64
	for _, s := range c.Searches {
		if s.PeakMemoryBytes > 0 {
			xs = append(xs, float64(s.PeakMemoryBytes))
		}
	}
	if len(xs) == 0 {
		return NotMeasured
	}
	return numfmt.Bytes(stats.Summarize(xs).Median)
}

func maxU(a, b uint64) uint64 {
	if a > b {
		return a
	}
	return b
}

func describeConsumer(c results.ConsumerCost) string {
	var parts []string
	if c.Stateful {
		parts = append(parts, "stateful")
	}
	if c.Spin > 0 {
		parts = append(parts, "spin "+c.Spin.String())
	}
	return strings.Join(parts, " + ")
}

// sortedSteps are c's steps by search, then by achieved rate.
func sortedSteps(c results.Capacity) []results.CapacityStep {
	out := slices.Clone(c.Steps)
	slices.SortStableFunc(out, func(a, b results.CapacityStep) int {
		if a.Search != b.Search {
			return a.Search - b.Search
		}
		switch {
		case a.Achieved < b.Achieved:
			return -1
		case a.Achieved > b.Achieved:
			return 1
		}
		return 0
	})
	return out
}

func formatRate(v float64) string { return numfmt.Count(math.Round(v)) }

// capacityColors colour the chart's lines, one per variant, in turn.
var capacityColors = []color.Color{
	color.RGBA{R: 0x4c, G: 0x78, B: 0xa8, A: 0xff},
	color.RGBA{R: 0xf5, G: 0x85, B: 0x18, A: 0xff},
	color.RGBA{R: 0x54, G: 0xa2, B: 0x4b, A: 0xff},
	color.RGBA{R: 0xe4, G: 0x57, B: 0x56, A: 0xff},
	color.RGBA{R: 0xb2, G: 0x79, B: 0xa2, A: 0xff},
	color.RGBA{R: 0x72, G: 0xb7, B: 0xb2, A: 0xff},
	color.RGBA{R: 0x9d, G: 0x75, B: 0x5d, A: 0xff},
	color.RGBA{R: 0xba, G: 0xb0, B: 0xac, A: 0xff},
}

// capacityChart plots every step's drop ratio (percent) against the rate
// it made (syscalls/s, log scale): a line per variant through its steps
// in rate order, points where they were measured. Nil without steps.
func capacityChart(r *results.Results) (*Chart, error) {
	p := plot.New()
	sans := func(size vg.Length) font.Font {
		return font.Font{Typeface: "Liberation", Variant: "Sans", Size: size}
	}
	p.Title.Text = chartTitles[ChartCapacity]
	p.Title.TextStyle.Font = sans(13)
	p.X.Label.Text = "syscalls/s made (log scale)"
	p.Y.Label.Text = "drop ratio (%)"
	for _, a := range []*plot.Axis{&p.X, &p.Y} {
		a.Label.TextStyle.Font = sans(11)
		a.Tick.Label.Font = sans(10)
	}
	p.Legend.TextStyle.Font = sans(10)
	p.Legend.Top = true
	p.X.Scale = plot.LogScale{}
	p.X.Tick.Marker = plot.LogTicks{}
	p.Y.Min = 0
	p.Add(plotter.NewGrid())
	n := 0
	for i, c := range r.Capacity {
		var pts plotter.XYs
		for _, s := range c.Steps {
			if s.Error == "" && s.Achieved > 0 {
				pts = append(pts, plotter.XY{X: s.Achieved, Y: 100 * s.DropRatio})
			}
		}
		if len(pts) == 0 {
			continue
		}
		slices.SortFunc(pts, func(a, b plotter.XY) int {
			switch {
			case a.X < b.X:
				return -1
			case a.X > b.X:
				return 1
			}
			return 0
		})
		col := capacityColors[i%len(capacityColors)]
		line, points, err := plotter.NewLinePoints(pts)
		if err != nil {
			return nil, fmt.Errorf("capacity chart: %w", err)
		}
		line.Color = col
		points.Color = col
		points.Shape = draw.CircleGlyph{}
		points.Radius = vg.Points(2.5)
		p.Add(line, points)
		p.Legend.Add(c.Variant, line, points)
		n++
	}
	if n == 0 {
		return nil, nil
	}
	svg, err := renderPlotSVG(p, chartWidth, vg.Points(360))
	if err != nil {
		return nil, err
	}
	return &Chart{Name: ChartCapacity, Title: chartTitles[ChartCapacity],
		Caption: "Each point is one step of a search: the rate the generator made and the share of events the kernel dropped; a line per variant.",
		SVG:     svg}, nil
}

// capacityGoBench writes one line per search of each variant:
// Benchmark<Scenario>/variant=<name>/capacity with the capacity in
// syscalls/s and events/s (better=higher).
func capacityGoBench(bw *benchfmt.Writer, cfg []benchfmt.Config, name string, r *results.Results) (units []string, err error) {
	for _, c := range r.Capacity {
		for _, s := range c.Searches {
			if s.Capacity <= 0 {
				continue
			}
			res := &benchfmt.Result{Config: cfg, Name: benchfmt.Name(name + "/variant=" + benchKey(c.Variant) + "/capacity"), Iters: 1,
				Values: []benchfmt.Value{{Value: s.Capacity, Unit: "capacity-syscalls/s"}, {Value: s.EventsPerSec, Unit: "capacity-events/s"}}}
			if err := bw.Write(res); err != nil {
				return nil, fmt.Errorf("writing gobench: %w", err)
			}
			units = []string{"capacity-syscalls/s", "capacity-events/s"}
		}
	}
	return units, nil
}

// capacityCSVColumns are added after the run columns when the results
// hold capacity steps; a step's row fills them, a run's leaves them empty.
var capacityCSVColumns = []string{"capacity_step", "search", "offered_rate", "achieved_rate", "drops", "consumer_busy", "pass"}

// capacityCSVRows are the rows of r's capacity steps, each width cells
// wide before the capacity columns.
func capacityCSVRows(r *results.Results, width int) [][]string {
	f := func(x float64) string { return strconv.FormatFloat(x, 'g', -1, 64) }
	u := func(x uint64) string { return strconv.FormatUint(x, 10) }
	var rows [][]string
	idx := map[string]int{}
	header := append([]string{"scenario", "variant", "mode", "toctou", "set", "stats", "round", "order", "warmup", "error", "wall_ns"}, csvColumns...)
	for i, h := range header {
		idx[h] = i
	}
	for _, c := range r.Capacity {
		v, _ := r.Variant(c.Variant)
		for _, s := range c.Steps {
			row := make([]string, width)
			set := func(col, val string) { row[idx[col]] = val }
			set("scenario", r.Scenario.Name)
			set("variant", c.Variant)
			set("mode", string(v.Mode))
			set("toctou", string(v.TOCTOU))
			set("set", v.Set)
			set("stats", strconv.FormatBool(v.Stats))
			set("error", s.Error)
			set("wall_ns", strconv.FormatInt(int64(s.Wall), 10))
			set("events_attempted", u(s.Attempted))
			set("events", u(s.Events))
			set("consumer_cpu_s", f(s.ConsumerCPU))
			set("drop_ratio", f(s.DropRatio))
			set("throughput", f(s.Achieved))
			set("unit", "syscalls/s")
			row = append(row, "true", strconv.Itoa(s.Search), f(s.Offered), f(s.Achieved), u(s.Drops), f(s.Busy), strconv.FormatBool(s.Pass))
			rows = append(rows, row)
		}
	}
	return rows
}

// renderPlotSVG draws p alone on a w × h SVG canvas, with the fonts of
// the other charts.
func renderPlotSVG(p *plot.Plot, w, h vg.Length) ([]byte, error) {
	c := vgsvg.New(w, h)
	p.Draw(draw.New(c))
	var buf bytes.Buffer
	if _, err := c.WriteTo(&buf); err != nil {
		return nil, fmt.Errorf("rendering chart: %w", err)
	}
	return bytes.ReplaceAll(buf.Bytes(), []byte("font-family:Liberation Sans;"), []byte("font-family:'Liberation Sans',Arial,Helvetica,sans-serif;")), nil
}

// noDropCounterPara names the external tracers none of whose measured
// runs printed a drop count: their drops column is empty because they
// cannot say, not because they dropped nothing.
func noDropCounterPara(r *results.Results) string {
	var names []string
	for _, v := range r.Variants {
		if !v.External() {
			continue
		}
		runs := r.RunsOf(v.Name)
		if len(runs) == 0 {
			continue
		}
		has := false
		for _, run := range runs {
			if run.Tracer != nil {
				if _, ok := run.Tracer.Counters["drops"]; ok {
					has = true
				}
			}
		}
		if !has {
			names = append(names, "`"+page.SanitizeCode(v.Name)+"`")
		}
	}
	if len(names) == 0 {
		return ""
	}
	return "No drop counter: " + strings.Join(names, ", ") + " print no drop count, so their drops are unknown (" + page.None + "), not 0."
}

// tracerTextsPara quotes what an external tracer's *_text groups
// captured in its last measured run (e.g. the syscalls it activated in
// the kernel), as a sentence to append.
func tracerTextsPara(r *results.Results, v results.Variant) string {
	runs := r.RunsOf(v.Name)
	for i := len(runs) - 1; i >= 0; i-- {
		t := runs[i].Tracer
		if t == nil || len(t.Texts) == 0 {
			continue
		}
		keys := make([]string, 0, len(t.Texts))
		for k := range t.Texts {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		var parts []string
		for _, k := range keys {
			parts = append(parts, fmt.Sprintf("`%s`: %s", page.SanitizeCode(k), page.SanitizeCode(t.Texts[k])))
		}
		return " What it printed (last run): " + strings.Join(parts, "; ") + "."
	}
	return ""
}

// capacityDocument is the report of a capacity run (searches, no runs):
// the scenario, the environment and the capacity section; the sections
// of figures per run would be empty.
func capacityDocument(r *results.Results) *page.Document {
	doc := &page.Document{Title: "benchctl report: " + r.Scenario.Name}
	sc := r.Scenario
	var b strings.Builder
	b.WriteString(scenarioIntro(sc))
	fmt.Fprintf(&b, ". A capacity run: %s searched, the variants shuffled in every repeat (seed %d).", page.Plural(len(r.Capacity), "variant", "variants"), r.Seed)
	doc.Paras = append(doc.Paras, b.String())
	if !r.Complete {
		reason := r.Reason
		if reason == "" {
			reason = "no reason recorded"
		}
		doc.Paras = append(doc.Paras, "Warning: this run is incomplete ("+page.SanitizeCode(reason)+"); some variants may have fewer searches.")
	}
	doc.Sections = append(doc.Sections, environmentSection(r), capacitySection(r))
	return doc
}
