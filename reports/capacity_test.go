package reports

import (
	"bytes"
	"encoding/csv"
	"strings"
	"testing"
	"time"

	"github.com/benchctl/benchctl/bench/results"
)

// capacityFixture is a synthetic capacity run (its figures are made up
// for the test, not measured): enter_exit and exit_only with a 20 µs
// spin on a 64 KiB ring, six searches each, and a generator-bound
// variant.
func capacityFixture() *results.Results {
	spin := &results.ConsumerCost{Spin: 20 * time.Microsecond}
	set := results.CapacitySettings{Repeats: 6, Resolution: 0.05, StartRate: 10000, MaxRate: 2e6, MinStep: time.Second, MaxStep: 10 * time.Second, Threads: 1}
	mk := func(name string, base float64, limit string) results.Capacity {
		c := results.Capacity{Variant: name, Settings: set}
		for i := range 6 {
			x := base * (1 + 0.01*float64(i%3))
			c.Searches = append(c.Searches, results.CapacitySearch{Capacity: x, EventsPerSec: x, Failing: x * 1.04, Limit: limit, Steps: 2})
			c.Steps = append(c.Steps,
				results.CapacityStep{Search: i, Offered: x, Achieved: x, Wall: time.Second, Attempted: uint64(x), Events: uint64(x), ConsumerCPU: x * 20e-6, Busy: x * 20e-6, Pass: true, TablePeak: 3},
				results.CapacityStep{Search: i, Offered: x * 1.04, Achieved: x * 1.04, Wall: time.Second, Attempted: uint64(x * 1.04), Drops: uint64(x * 0.03), DropRatio: 0.03 / 1.04, Events: uint64(x), ConsumerCPU: 1, Busy: 1})
		}
		return c
	}
	return &results.Results{
		Schema:   results.SchemaVersion,
		Scenario: results.ScenarioInfo{Name: "capacity", Workload: "syscalls mix=getpid threads=1", Repetitions: 6},
		Complete: true,
		Variants: []results.Variant{
			{Name: "g/enter_exit", Mode: results.ModeEnterExit, Set: "g", Stats: true, RingSize: 64 << 10, Consumer: spin},
			{Name: "g/exit_only", Mode: results.ModeExitOnly, Set: "g", Stats: true, RingSize: 64 << 10, Consumer: spin},
			{Name: "g/exit_only_count", Mode: results.ModeExitOnly, Set: "g", Stats: true, RingSize: 64 << 10},
		},
		Capacity: []results.Capacity{
			mk("g/enter_exit", 25_000, results.LimitConsumer),
			mk("g/exit_only", 48_000, results.LimitConsumer),
			mk("g/exit_only_count", 2e6, results.LimitGenerator),
		},
		Runs: []results.Run{},
	}
}

func TestCapacitySectionInEveryFormat(t *testing.T) {
	r := capacityFixture()
	render := func(format string) string {
		var b bytes.Buffer
		if err := Render(&b, r, format, Options{}); err != nil {
			t.Fatalf("%s: %v", format, err)
		}
		return b.String()
	}
	md := render(FormatMarkdown)
	for _, want := range []string{
		"## Capacity",
		"| `g/exit_only` | exit_only | spin 20µs | 65.5 kB | 48.5k ±1.0% |",
		"| consumer | 6 | 20.0 µs | 3 |",
		"≥ 2.02M ±1.0%", // generator-bound: a lower bound
		"`g/exit_only` against `g/enter_exit`: 1.92× the syscall rate (from the intervals: 1.88 to 1.96)", // 48.48k / 25.25k
		"Capacity steps",
	} {
		if !strings.Contains(md, want) {
			t.Errorf("markdown lacks %q", want)
		}
	}
	if txt := render(FormatText); !strings.Contains(txt, "Capacity") || !strings.Contains(txt, "48.5k ±1.0%") {
		t.Error("text report lacks the capacity section")
	}
	html := render(FormatHTML)
	if !strings.Contains(html, chartTitles[ChartCapacity]) || !strings.Contains(html, "<svg") {
		t.Error("HTML report lacks the capacity chart")
	}
	gb := render(FormatGoBench)
	if n := strings.Count(gb, "/capacity 1 "); n != 18 {
		t.Errorf("gobench has %d capacity lines, want 18 (3 variants × 6 searches):\n%s", n, gb)
	}
	if !strings.Contains(gb, "Unit capacity-syscalls/s better=higher") {
		t.Error("gobench does not say capacity is better higher")
	}
	rows, err := csv.NewReader(strings.NewReader(render(FormatCSV))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 1+36 {
		t.Fatalf("csv has %d rows, want a header and 36 steps", len(rows))
	}
	header := rows[0]
	col := func(name string) int {
		for i, h := range header {
			if h == name {
				return i
			}
		}
		t.Fatalf("csv has no column %s", name)
		return -1
	}
	if got := rows[2][col("pass")]; got != "false" {
		t.Errorf("second step's pass = %q", got)
	}
	if got := rows[1][col("achieved_rate")]; got != "25000" {
		t.Errorf("first step's achieved rate = %q", got)
	}
	for _, row := range rows {
		if len(row) != len(header) {
			t.Fatalf("row of %d cells, header of %d", len(row), len(header))
		}
	}
}

func TestNoCapacityNoSection(t *testing.T) {
	r := capacityFixture()
	r.Capacity = nil
	var b bytes.Buffer
	if err := Render(&b, r, FormatMarkdown, Options{}); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(b.String(), "Capacity") {
		t.Error("a report without searches has a capacity section")
	}
	c, err := capacityChart(r)
	if err != nil || c != nil {
		t.Errorf("capacity chart without searches: %v, %v", c, err)
	}
}

// TestNoDropCounterSaysSo: a tracer that prints no drop count (libsinsp's
// sinsp-example) is named as such, and its activated syscalls quoted.
func TestNoDropCounterSaysSo(t *testing.T) {
	r := &results.Results{
		Schema:   results.SchemaVersion,
		Scenario: results.ScenarioInfo{Name: "sinsp"},
		Variants: []results.Variant{
			{Name: "big/sinsp-0.21.0", Mode: results.ModeExternal, Tracer: "sinsp-0.21.0", Family: "sinsp", Design: results.ModeEnterExit, Stats: true},
			{Name: "big/falco-0.21.0", Mode: results.ModeExternal, Tracer: "falco-0.21.0", Family: "falco", Design: results.ModeEnterExit, Stats: true},
		},
		Runs: []results.Run{
			{Variant: "big/sinsp-0.21.0", Tracer: &results.TracerStats{CPUSeconds: 1, Counters: map[string]float64{"events": 10},
				Texts: map[string]string{"kernel_set_text": "close, read, write"}}},
			{Variant: "big/falco-0.21.0", Tracer: &results.TracerStats{CPUSeconds: 1, Counters: map[string]float64{"events": 10, "drops": 0}}},
		},
	}
	results.Derive(r)
	var b bytes.Buffer
	if err := Render(&b, r, FormatMarkdown, Options{}); err != nil {
		t.Fatal(err)
	}
	md := b.String()
	if !strings.Contains(md, "No drop counter: `big/sinsp-0.21.0` print no drop count") {
		t.Error("the report does not say sinsp has no drop counter")
	}
	if strings.Contains(md, "No drop counter: `big/falco") || strings.Contains(md, "`big/sinsp-0.21.0`, `big/falco") {
		t.Error("scap-open, which prints n_drops, is listed without a drop counter")
	}
	if !strings.Contains(md, "`kernel_set_text`: close, read, write") {
		t.Error("the activated syscalls are not quoted")
	}
}

// TestCapacityOnlyReport: a capacity run's report has no sections of
// figures per run, which would be empty.
func TestCapacityOnlyReport(t *testing.T) {
	var b bytes.Buffer
	if err := Render(&b, capacityFixture(), FormatMarkdown, Options{}); err != nil {
		t.Fatal(err)
	}
	md := b.String()
	if strings.Contains(md, "## Cost per variant") || strings.Contains(md, "Details per variant") {
		t.Error("a capacity-only report has sections of figures per run")
	}
	if !strings.Contains(md, "A capacity run: 3 variants searched") || !strings.Contains(md, "## Environment") {
		t.Error("the capacity report lacks its intro or environment")
	}
}

// TestCapacityMemoryColumn: with the tracer's peak memory at each
// search's capacity recorded, the table gains a column with their
// median; a variant with none says "not measured". Without any (older
// files, the fixture above) there is no column.
func TestCapacityMemoryColumn(t *testing.T) {
	var b bytes.Buffer
	if err := Render(&b, capacityFixture(), FormatMarkdown, Options{}); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(b.String(), "peak memory at capacity") {
		t.Error("a memory column without memory figures")
	}
	r := capacityFixture()
	for i, c := range r.Capacity {
		if c.Variant == "g/exit_only_count" {
			continue
		}
		for j := range c.Searches {
			r.Capacity[i].Searches[j].PeakMemoryBytes = uint64(40+j) << 20
			r.Capacity[i].Searches[j].MemoryMethod = results.MemoryProcessHWM
		}
	}
	b.Reset()
	if err := Render(&b, r, FormatMarkdown, Options{}); err != nil {
		t.Fatal(err)
	}
	md := b.String()
	for _, want := range []string{
		"| consumer CPU/event | table peak | peak memory at capacity |",
		"| consumer | 6 | 20.0 µs | 3 | 44.6 MB |", // median of 40..45 MiB: 42.5 MiB
		"| generator | 6 | 20.0 µs | 3 | not measured |",
	} {
		if !strings.Contains(md, want) {
			t.Errorf("markdown lacks %q:\n%s", want, md)
		}
	}
}
