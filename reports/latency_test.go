package reports

import (
	"bytes"
	"encoding/csv"
	"math"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/perf/benchfmt"

	"github.com/benchctl/benchctl/bench/results"
	"github.com/benchctl/benchctl/reports/internal/golden"
)

// latencyResults is golden.Handmade with redis-style latency on every
// run, p50 / p99 in ms (all exact in binary, so are the changes):
//
//	round               0          1          2          median
//	baseline p50        0.25       0.25       0.25       → 250 µs
//	baseline p99        0.5        0.5        0.5        → 500 µs
//	s/enter_exit p50    0.28125    0.375      0.4375     → 375 µs; vs baseline +12.5, +50, +75%    → 50.0%
//	s/enter_exit p99    0.5625     0.625      0.75       → 625 µs; +12.5, +25, +50%               → 25.0%
//	s/exit_only p50     0.265625   0.28125    0.3125     → 281 µs; +6.25, +12.5, +25%             → 12.5%
//	s/exit_only p99     0.53125    0.5625     0.515625   → 531 µs; +6.25, +12.5, +3.125%          → 6.25%
func latencyResults() *results.Results {
	r := golden.Handmade()
	lat := map[string][3][2]float64{
		"baseline":     {{0.25, 0.5}, {0.25, 0.5}, {0.25, 0.5}},
		"s/enter_exit": {{0.28125, 0.5625}, {0.375, 0.625}, {0.4375, 0.75}},
		"s/exit_only":  {{0.265625, 0.53125}, {0.28125, 0.5625}, {0.3125, 0.515625}},
	}
	for i := range r.Runs {
		run := &r.Runs[i]
		l := lat[run.Variant][run.Round]
		run.Workload.Latency = &results.Latency{P50Ms: l[0], P99Ms: l[1]}
	}
	results.Derive(r)
	return r
}

// TestLatencyMarkdown checks the report's Latency table against the
// medians worked out above, and that a report without latency has no
// such section.
func TestLatencyMarkdown(t *testing.T) {
	md := string(render(t, latencyResults(), FormatMarkdown, Options{}))
	want := "## Latency\n\n" +
		"The workload's latency p50 and p99, and their change against the baseline run of the same round (positive: slower). " +
		"redis-benchmark reports percentiles per test, and percentiles do not combine: a run's p50 (p99) is the mean of its tests' p50s (p99s), " +
		"not a percentile of all its requests.\n\n" +
		"| variant | mode | p50 | p50 vs baseline | p99 | p99 vs baseline |\n" +
		"| --- | --- | ---: | ---: | ---: | ---: |\n" +
		"| `baseline` | none | 250 µs | — | 500 µs | — |\n" +
		"| `s/enter_exit` | enter_exit | 375 µs | 50.0% | 625 µs | 25.0% |\n" +
		"| `s/exit_only` | exit_only | 281 µs | 12.5% | 531 µs | 6.25% |\n"
	if !strings.Contains(md, want) {
		t.Errorf("markdown report lacks:\n%s\n--- report:\n%s", want, md)
	}
	// Right after the cost per variant, before the relative figures.
	if i, j, k := strings.Index(md, "## Cost per variant"), strings.Index(md, "## Latency"), strings.Index(md, "## Relative figures"); !(i < j && j < k) {
		t.Errorf("sections at %d, %d, %d: want cost per variant, latency, relative figures", i, j, k)
	}
	// The details list the measures too.
	for _, row := range []string{"| p50 latency | 375 µs |", "| p99 vs baseline | 25.0% |"} {
		if !strings.Contains(md, row) {
			t.Errorf("details lack %q", row)
		}
	}

	plain := string(render(t, golden.Handmade(), FormatMarkdown, Options{}))
	if strings.Contains(plain, "## Latency") || strings.Contains(plain, "p50") {
		t.Error("a report without latency has a latency section or figures")
	}
}

// TestLatencyCSV: the CSV has each run's p50 and p99 in ms and their
// change against the round's baseline as a fraction; the baseline has no
// change, and a run without latency has empty cells.
func TestLatencyCSV(t *testing.T) {
	r := latencyResults()
	r.Runs[len(r.Runs)-1].Workload.Latency = nil // round 2 of s/exit_only
	results.Derive(r)
	rows, err := csv.NewReader(bytes.NewReader(render(t, r, FormatCSV, Options{}))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	col := map[string]int{}
	for i, h := range rows[0] {
		col[h] = i
	}
	cols := []string{"latency_p50_ms", "latency_p99_ms", "latency_p50_change", "latency_p99_change"}
	for _, c := range cols {
		if _, ok := col[c]; !ok {
			t.Fatalf("no column %s in %v", c, rows[0])
		}
	}
	// rows[1+3*round+i]: baseline, s/enter_exit, s/exit_only of each round.
	for _, tc := range []struct {
		row  int
		want [4]string // "" for an empty cell
	}{
		{1, [4]string{"0.25", "0.5", "", ""}},                     // baseline, round 0
		{3, [4]string{"0.265625", "0.53125", "0.0625", "0.0625"}}, // s/exit_only, round 0
		{5, [4]string{"0.375", "0.625", "0.5", "0.25"}},           // s/enter_exit, round 1
		{9, [4]string{"", "", "", ""}},                            // s/exit_only, round 2: no latency
	} {
		if got := rows[tc.row][col["variant"]] + "/" + rows[tc.row][col["round"]]; got != r.Runs[tc.row-1].Variant+"/"+strconv.Itoa(r.Runs[tc.row-1].Round) {
			t.Fatalf("row %d is %s", tc.row, got)
		}
		for i, c := range cols {
			if got := rows[tc.row][col[c]]; got != tc.want[i] {
				t.Errorf("row %d %s = %q, want %q", tc.row, c, got, tc.want[i])
			}
		}
	}
}

// TestLatencyGoBench: each run's line carries its p50 and p99 in seconds
// and, for probe variants, their change against the baseline in percent.
func TestLatencyGoBench(t *testing.T) {
	r := latencyResults()
	rd := benchfmt.NewReader(bytes.NewReader(render(t, r, FormatGoBench, Options{})), "latency.txt")
	var got []map[string]float64 // per line, unit -> value
	var names []string
	for rd.Scan() {
		res, ok := rd.Result().(*benchfmt.Result)
		if !ok {
			continue
		}
		vals := map[string]float64{}
		for _, v := range res.Values {
			vals[v.Unit] = v.Value
		}
		got = append(got, vals)
		names = append(names, string(res.Name.Full()))
	}
	if err := rd.Err(); err != nil {
		t.Fatal(err)
	}
	// Lines go variant by variant: baseline rounds 0-2, s/enter_exit 0-2, ...
	for _, tc := range []struct {
		line int
		name string
		want map[string]float64
	}{
		{0, "Handmade/variant=baseline", map[string]float64{"p50-latency-sec": 0.25e-3, "p99-latency-sec": 0.5e-3}},
		{4, "Handmade/variant=s:enter_exit", map[string]float64{"p50-latency-sec": 0.375e-3, "p99-latency-sec": 0.625e-3,
			"p50-latency-vs-baseline-%": 50, "p99-latency-vs-baseline-%": 25}},
		{8, "Handmade/variant=s:exit_only", map[string]float64{"p50-latency-sec": 0.3125e-3, "p99-latency-sec": 0.515625e-3,
			"p50-latency-vs-baseline-%": 25, "p99-latency-vs-baseline-%": 3.125}},
	} {
		if tc.line >= len(got) || names[tc.line] != tc.name {
			t.Fatalf("line %d of %v is not %s", tc.line, names, tc.name)
		}
		for unit, want := range tc.want {
			v, ok := got[tc.line][unit]
			if !ok || math.Abs(v-want) > 1e-12*math.Abs(want) {
				t.Errorf("%s: %s = %v (present %v), want %v", tc.name, unit, v, ok, want)
			}
		}
	}
	if _, ok := got[0]["p50-latency-vs-baseline-%"]; ok {
		t.Error("the baseline has a change against itself")
	}
}
