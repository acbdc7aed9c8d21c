package multifile

import (
	"bytes"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/benchctl/benchctl/bench/results"
	"github.com/benchctl/benchctl/reports"
	"github.com/benchctl/benchctl/reports/internal/golden"
)

// multiFixture builds a results file of a baseline (1000 ops/s in every
// round) and the two modes of set "s", one round per value. Every run
// makes 1000 syscalls (the sys_exit program's run count) in 1 s;
// ee[i] and xo[i] are the kernel ns per syscall of round i (enter_exit's
// time split evenly between its two programs), eeTP[i] and xoTP[i] the
// throughputs. enter_exit sends 2000 events of 50 B a run, exit_only
// 1000: 2 and 1 events per syscall.
func multiFixture(host, kernel string, ee, xo, eeTP, xoTP []float64) *results.Results {
	start := time.Date(2026, 11, 27, 8, 0, 0, 0, time.UTC)
	r := &results.Results{
		Schema:   results.SchemaVersion,
		Scenario: results.ScenarioInfo{Name: "multi", File: "scenarios/multi.yaml", SHA256: "0123456789abcdef0123", Workload: "syscalls: getpid", Repetitions: len(ee)},
		Environment: results.Environment{Kernel: kernel, Arch: "amd64", CPUModel: "Test CPU", CPUs: 4, ClockSource: "tsc", Hostname: host,
			BenchctlVersion: "v0.2.0", BenchctlCommit: "abcdef0123456789", GoVersion: "go1.26.8", StatsMethod: "BPF_ENABLE_STATS"},
		Seed:     1,
		Complete: true,
		Started:  start,
		Finished: start.Add(time.Minute),
		Variants: []results.Variant{
			{Name: "baseline", Mode: results.ModeNone, Stats: true, Baseline: true},
			{Name: "s/enter_exit", Mode: results.ModeEnterExit, Set: "s", Syscalls: []string{"getpid"}, Stats: true},
			{Name: "s/exit_only", Mode: results.ModeExitOnly, Set: "s", Syscalls: []string{"getpid"}, Stats: true},
		},
	}
	run := func(variant string, round int, nsPerSyscall, throughput float64, events uint64, enter bool) results.Run {
		total := uint64(nsPerSyscall * 1000)
		out := results.Run{
			Variant: variant, Round: round, Wall: time.Second,
			Kernel:   results.Counters{Attempted: events},
			User:     results.ConsumerStats{Events: events, Bytes: events * 50},
			Workload: results.Result{Throughput: throughput, Unit: "ops/s"},
		}
		exitNs := total
		if enter {
			out.Programs = append(out.Programs, results.ProgramStats{Name: "sys_enter", Role: results.RoleEnter, RunCount: 1000, RunTimeNs: total / 2})
			exitNs = total - total/2
		}
		out.Programs = append(out.Programs, results.ProgramStats{Name: "sys_exit", Role: results.RoleExit, RunCount: 1000, RunTimeNs: exitNs})
		return out
	}
	for i := range ee {
		r.Runs = append(r.Runs,
			results.Run{Variant: "baseline", Round: i, Wall: time.Second, Workload: results.Result{Throughput: 1000, Unit: "ops/s"}},
			run("s/enter_exit", i, ee[i], eeTP[i], 2000, true),
			run("s/exit_only", i, xo[i], xoTP[i], 1000, false),
		)
	}
	results.Derive(r)
	return r
}

// multiPair is two files of 5 rounds each:
//
//	                         alpha 6.1.0               beta 6.8.0
//	s/enter_exit ns/syscall  100..104 → 102 ns          150..154 → 152 ns: +49%, p=0.008: ▲
//	s/exit_only ns/syscall   70..74 → 72.0 ns           71..75 → 73.0 ns: +1.4%: not marked
//	s/enter_exit overhead    20,19,18,17,16 → 18.0%     30..26 → 28.0%: +10 points, p=0.008: ▲
//	s/exit_only overhead     10..8 → 9.00%              10.1..8.1 → 9.10%: +0.1 point: not marked
//
// enter_exit → exit_only (every pair of samples separated, p=0.008):
//
//	kernel time, ns/syscall  102 → 72: -29.4%           152 → 73: -52.0% (−22.6 points: ▼)
//	sys_exit avg             51 → 72: +41.2%            76 → 73: -3.9% (−45.1 points: ▼)
//	events, bytes            -50.0%                     -50.0%
//	throughput               820 → 910: +11.0%          720 → 909: +26.2% (+15.2 points: ▲)
func multiPair() []ResultsFile {
	a := multiFixture("alpha", "6.1.0",
		[]float64{100, 101, 102, 103, 104}, []float64{70, 71, 72, 73, 74},
		[]float64{800, 810, 820, 830, 840}, []float64{900, 905, 910, 915, 920})
	b := multiFixture("beta", "6.8.0",
		[]float64{150, 151, 152, 153, 154}, []float64{71, 72, 73, 74, 75},
		[]float64{700, 710, 720, 730, 740}, []float64{899, 904, 909, 914, 919})
	b.Environment.Arch = "arm64"
	b.Environment.CPUModel = "Other CPU"
	b.Environment.CPUs = 8
	return []ResultsFile{{Path: "results/a.json", Results: a}, {Path: "results/b.json", Results: b}}
}

func renderMulti(t *testing.T, files []ResultsFile, format string) string {
	t.Helper()
	var buf bytes.Buffer
	if err := Render(&buf, files, format, reports.Options{}); err != nil {
		t.Fatal(err)
	}
	var again bytes.Buffer
	if err := Render(&again, files, format, reports.Options{}); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(buf.Bytes(), again.Bytes()) {
		t.Fatalf("%s multi-file output is not deterministic", format)
	}
	return buf.String()
}

func wantAll(t *testing.T, got string, wants ...string) {
	t.Helper()
	for _, want := range wants {
		if !strings.Contains(got, want) {
			t.Errorf("report lacks:\n%s\n--- report:\n%s", want, got)
			return
		}
	}
}

func TestMultiSideBySide(t *testing.T) {
	md := renderMulti(t, multiPair(), reports.FormatMarkdown)
	wantAll(t, md,
		"# benchctl report: multi, 2 results files\n",
		"2 results files side by side, labelled by host and kernel. The first, `alpha 6.1.0`, is the reference",
		"▲ / ▼ mark a figure higher / lower than the reference file's by more than 10% "+
			"(percentages such as overhead: by more than 2 percentage points) whose runs also differ significantly",
		"Mann-Whitney U at alpha 0.05",
		"more than 2× (10 points) on its own",
		"Figures are medians over each file's measured runs (no variant of any file has the 6 runs a 95% confidence interval of a median needs).",
		// ns/syscall and overhead of enter_exit, and four pair changes.
		"6 figures differ from the reference's by that rule.",

		"The files differ in: kernel, arch, CPU model, CPUs, host.",
		"| property | alpha 6.1.0 | beta 6.8.0 |\n| --- | --- | --- |\n",
		"| file | a.json | b.json |\n",
		"| scenario | multi (sha256 0123456789ab) | multi (sha256 0123456789ab) |\n",
		"| runs | 5 rounds × 3 variants | 5 rounds × 3 variants |\n",
		"| kernel | 6.1.0 | 6.8.0 |\n",
		"| arch | amd64 | arm64 |\n",
		"| CPU model | Test CPU | Other CPU |\n",
		"| CPUs | 4 | 8 |\n",
		"| host | alpha | beta |\n",
		"| benchctl | v0.2.0 (abcdef012345) | v0.2.0 (abcdef012345) |\n",
		"| date | 2026-11-27 08:00 UTC | 2026-11-27 08:00 UTC |\n",

		"## Kernel ns per syscall\n",
		"| variant | alpha 6.1.0 | beta 6.8.0 |\n"+
			"| --- | ---: | ---: |\n"+
			"| `s/enter_exit` | 102 ns | 152 ns ▲ |\n"+
			"| `s/exit_only` | 72.0 ns | 73.0 ns |\n\n",
		"## Events per syscall\n",
		"| `s/enter_exit` | 2.00 | 2.00 |\n| `s/exit_only` | 1.00 | 1.00 |\n",
		"## Throughput overhead\n",
		"| `s/enter_exit` | 18.0% | 28.0% ▲ |\n| `s/exit_only` | 9.00% | 9.10% |\n",

		"### s: enter_exit → exit_only\n",
		"| metric | alpha 6.1.0 | beta 6.8.0 |\n"+
			"| --- | ---: | ---: |\n"+
			"| kernel time | -29.4% | -52.0% ▼ |\n"+
			"| kernel ns/syscall | -29.4% | -52.0% ▼ |\n"+
			"| sys_exit avg | +41.2% | -3.9% ▼ |\n"+
			"| events | -50.0% | -50.0% |\n"+
			"| bytes | -50.0% | -50.0% |\n"+
			"| throughput | +11.0% | +26.2% ▲ |\n",
	)
	// The baseline has no headline figures, and nothing is missing.
	for _, bad := range []string{"| `baseline` |", "Not in every file", "Warning"} {
		if strings.Contains(md, bad) {
			t.Errorf("report has %q", bad)
		}
	}
}

// TestMultiMissingVariant: a variant that one file lacks is "missing"
// in its column, listed in the introduction, and so is its pair.
func TestMultiMissingVariant(t *testing.T) {
	files := multiPair()
	b := files[1].Results
	b.Variants = slices.DeleteFunc(b.Variants, func(v results.Variant) bool { return v.Name == "s/exit_only" })
	b.Runs = slices.DeleteFunc(b.Runs, func(r results.Run) bool { return r.Variant == "s/exit_only" })
	md := renderMulti(t, files, reports.FormatMarkdown)
	wantAll(t, md,
		"Not in every file: `s/exit_only` (missing from `beta 6.8.0`).",
		"| `s/enter_exit` | 102 ns | 152 ns ▲ |\n| `s/exit_only` | 72.0 ns | missing |\n",
		"| `s/exit_only` | 9.00% | missing |\n",
		"| kernel time | -29.4% | missing |\n",
		"| runs | 5 rounds × 3 variants | 5 rounds × 2 variants |\n",
		// ns/syscall and overhead of enter_exit only.
		"2 figures differ from the reference's by that rule.",
	)
}

// TestMultiFewRuns: with 3 runs a side no Mann-Whitney test can reach
// 0.05, and only a factor beyond 2 is marked: golden.Handmade's enter_exit
// at 2.5 times the run time (110 → 275 ns) is, its exit_only at 1.5
// times (77.0 → 116 ns) is not, though its runs do not overlap.
func TestMultiFewRuns(t *testing.T) {
	a := golden.Handmade()
	b := golden.Handmade()
	b.Environment.Hostname, b.Environment.Kernel = "other", "6.19.0-test"
	scale := map[string]float64{"s/enter_exit": 2.5, "s/exit_only": 1.5}
	for i := range b.Runs {
		for j := range b.Runs[i].Programs {
			p := &b.Runs[i].Programs[j]
			p.RunTimeNs = uint64(float64(p.RunTimeNs) * scale[b.Runs[i].Variant])
		}
	}
	results.Derive(b)
	md := renderMulti(t, []ResultsFile{{Path: "a.json", Results: a}, {Path: "b.json", Results: b}}, reports.FormatMarkdown)
	wantAll(t, md,
		"| variant | 6.18.0-test | other 6.19.0-test |\n",
		"| `s/enter_exit` | 110 ns | 275 ns ▲ |\n| `s/exit_only` | 77.0 ns | 116 ns |\n",
		// Same overheads (8 and 15%): no mark.
		"| `s/enter_exit` | 15.0% | 15.0% |\n| `s/exit_only` | 8.00% | 8.00% |\n",
		// Pair changes: -30.0% against 116/275 − 1 = -58.0%, neither
		// significant with 3 runs: not marked.
		"| kernel time | -30.0% ~¹ | -58.0% ~¹ |\n",
		"1 figure differs from the reference's by that rule.",
	)
}

func TestMultiLabels(t *testing.T) {
	r := func(host, kernel string) *results.Results {
		return &results.Results{Environment: results.Environment{Hostname: host, Kernel: kernel}}
	}
	for _, tc := range []struct {
		files []ResultsFile
		want  []string
	}{
		{[]ResultsFile{{"x/a.json", r("h1", "6.1")}, {"y/b.json", r("h2", "6.1")}}, []string{"h1 6.1", "h2 6.1"}},
		{[]ResultsFile{{"x/a.json", r("h1", "6.1")}, {"y/b.json", r("h1", "6.1")}}, []string{"a", "b"}},
		{[]ResultsFile{{"x/r.json", r("h1", "6.1")}, {"y/r.json", r("h1", "6.1")}}, []string{"x/r.json", "y/r.json"}},
		{[]ResultsFile{{"r.json", r("h1", "6.1")}, {"r.json", r("h1", "6.1")}}, []string{"r #1", "r #2"}},
		{[]ResultsFile{{"a.json", r("", "")}, {"b.json", r("h", "6.1")}}, []string{"a", "b"}},
	} {
		if got := fileLabels(tc.files); !slices.Equal(got, tc.want) {
			t.Errorf("labels %v, want %v", got, tc.want)
		}
	}
}

func TestMultiScenarios(t *testing.T) {
	files := multiPair()
	files[1].Results.Scenario.SHA256 = "fedcba9876543210"
	wantAll(t, renderMulti(t, files, reports.FormatMarkdown),
		"# benchctl report: multi, 2 results files\n",
		"Warning: the files all ran scenario `multi`, but not the same version of it",
		"| scenario | multi (sha256 0123456789ab) | multi (sha256 fedcba987654) |\n",
	)
	files[1].Results.Scenario.Name = "other"
	md := renderMulti(t, files, reports.FormatMarkdown)
	wantAll(t, md,
		"# benchctl report: 2 results files\n",
		"Warning: these files come from different scenarios (`multi`, `other`). Variants are matched by name only",
		// Still side by side.
		"| `s/enter_exit` | 102 ns | 152 ns ▲ |\n",
	)
	if strings.Contains(md, "not the same version") {
		t.Error("different scenarios also called versions of one")
	}
}

func TestMultiWarnings(t *testing.T) {
	files := multiPair()
	b := files[1].Results
	b.Complete, b.Reason = false, "interrupted"
	b.Environment.Guest = "qemu-tcg"
	b.Runs = append(b.Runs, results.Run{Variant: "s/exit_only", Round: 5, Error: "boom"}, results.Run{Variant: "s/exit_only", Round: 6, Error: "boom"})
	wantAll(t, renderMulti(t, files, reports.FormatMarkdown),
		"Warning: `beta 6.8.0` is an incomplete run (interrupted)",
		"Warning: in `beta 6.8.0`, 2 runs failed and were left out",
		"TCG: `beta 6.8.0` was measured in a QEMU guest whose CPU was emulated",
		"| guest | — | qemu-tcg |\n",
	)
}

func TestMultiFormats(t *testing.T) {
	files := multiPair()
	txt := renderMulti(t, files, reports.FormatText)
	wantAll(t, txt,
		"benchctl report: multi, 2 results files\n=======================================\n",
		"Kernel ns per syscall\n---------------------\n",
		"variant       alpha 6.1.0  beta 6.8.0\n"+
			"------------  -----------  ----------\n"+
			"s/enter_exit       102 ns    152 ns ▲\n"+
			"s/exit_only       72.0 ns     73.0 ns\n",
	)
	html := renderMulti(t, files, reports.FormatHTML)
	wantAll(t, html,
		"<title>benchctl report: multi, 2 results files</title>",
		`<tr><td><code>s/enter_exit</code></td><td class="num">102 ns</td><td class="num">152 ns ▲</td></tr>`,
	)
	for _, bad := range []string{"<script", "<svg", "src="} {
		if strings.Contains(html, bad) {
			t.Errorf("multi-file HTML contains %q", bad)
		}
	}
	for _, format := range []string{reports.FormatGoBench, reports.FormatCSV} {
		err := Render(&bytes.Buffer{}, files, format, reports.Options{})
		if err == nil || !strings.Contains(err.Error(), "takes one results file") {
			t.Errorf("%s over two files: %v, want a one-file error", format, err)
		}
	}
	if err := Render(&bytes.Buffer{}, files, "pdf", reports.Options{}); err == nil {
		t.Error("unknown format accepted")
	}
	if err := Render(&bytes.Buffer{}, nil, reports.FormatMarkdown, reports.Options{}); err == nil {
		t.Error("no files accepted")
	}
}

// goldenMultiFiles are the real fixtures side by side: base, the same
// build's slower head (same host and kernel: labelled by file name), and
// the ten-round run, whose CIs bring ±CI cells.
func goldenMultiFiles(t *testing.T) []ResultsFile {
	var out []ResultsFile
	for _, name := range []string{"base.json", "head_slow.json", "ten.json"} {
		out = append(out, ResultsFile{Path: filepath.Join("testdata", name), Results: golden.Results(t, name)})
	}
	return out
}

func TestGoldenMulti(t *testing.T) {
	files := goldenMultiFiles(t)
	md := renderMulti(t, files, reports.FormatMarkdown)
	golden.Check(t, "report-multi.md", []byte(md))
	golden.Check(t, "report-multi.txt", []byte(renderMulti(t, files, reports.FormatText)))
	// head_slow's kernel ns/syscall is about 10% above base's in every
	// variant: marked where the change is beyond 10% (floor 61.8 → 68.5 ns,
	// +10.8%), not where it is under (big/enter_exit 363 → 398 ns, +9.6%).
	wantAll(t, md,
		"| variant | base | head_slow | ten |\n",
		"| `floor` | 61.8 ns ±∞¹ | 68.5 ns ±∞¹ ▲ | 62.2 ns ±0.9% |\n",
		"| `big/enter_exit` | 363 ns ±∞¹ | 398 ns ±∞¹ | 361 ns ±0.7% |\n",
		"¹ too few samples for a CI (95% CI of a median needs n ≥ 6)",
	)
	golden.TablesWellFormed(t, md)
}

// TestMultiMemory: the tracer's peak, mean and BPF memory side by side,
// marked where a file's grew beyond the rule, and "not measured" for a
// file that has the variant but not the figure (or only an estimate).
func TestMultiMemory(t *testing.T) {
	files := multiPair()
	for fi, f := range files {
		for i := range f.Results.Runs {
			run := &f.Results.Runs[i]
			if run.Variant == "s/baseline" || (fi == 1 && run.Variant == "s/exit_only") {
				continue
			}
			if run.Tracer == nil {
				run.Tracer = &results.TracerStats{}
			}
			peak := uint64(50+run.Round) << 20
			if fi == 1 && run.Variant == "s/enter_exit" {
				peak = uint64(100+run.Round) << 20
			}
			run.Tracer.PeakMemoryBytes, run.Tracer.MemoryMethod = peak, "memory.max_usage_in_bytes"
			run.Tracer.MeanMemoryBytes, run.Tracer.ResidentMethod = 40<<20, "memory.usage_in_bytes"
			run.Tracer.BPFMemoryBytes = 19 << 20
			if fi == 1 {
				// A kernel before 6.4: an estimate, not shown.
				run.Tracer.BPFMemoryEstimate = true
			}
		}
	}
	md := renderMulti(t, files, reports.FormatMarkdown)
	wantAll(t, md,
		"## Memory: tracer peak",
		"| `s/enter_exit` | 54.5 MB | 107 MB ▲ |\n| `s/exit_only` | 54.5 MB | not measured |\n",
		"## Memory: tracer mean resident",
		"| `s/enter_exit` | 41.9 MB | 41.9 MB |\n| `s/exit_only` | 41.9 MB | not measured |\n",
		"## Memory: tracer's BPF objects (kernel)",
		"| `s/enter_exit` | 19.9 MB | not measured |\n| `s/exit_only` | 19.9 MB | not measured |\n",
	)
	// Files without memory figures have no memory sections.
	if md := renderMulti(t, multiPair(), reports.FormatMarkdown); strings.Contains(md, "Memory") {
		t.Error("memory sections in a report of files without memory figures")
	}
}
