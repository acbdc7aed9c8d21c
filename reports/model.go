package reports

import (
	"cmp"
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/benchctl/benchctl/bench/results"
	"github.com/benchctl/benchctl/bench/stats"
	"github.com/benchctl/benchctl/internal/numfmt"
	"github.com/benchctl/benchctl/reports/page"
)

// buildDocument turns a results file into the report's sections.
func buildDocument(r *results.Results, opts Options) *page.Document {
	if len(r.Runs) == 0 && len(r.Capacity) > 0 {
		return capacityDocument(r)
	}
	vss := r.SummarizeVariants()
	doc := &page.Document{Title: "benchctl report: " + r.Scenario.Name}
	doc.Headline = headlineSection(r, vss, opts)
	doc.Paras = append(doc.Paras, introParas(r, vss, opts)...)
	doc.Paras = append(doc.Paras, foreignIntroParas(r)...)
	doc.Sections = append(doc.Sections,
		environmentSection(r),
		fingerprintSection(r),
		variantsSection(r, vss),
	)
	if ss := syscallSidesSection(r); ss != nil {
		doc.Sections = append(doc.Sections, ss)
	}
	if ls := latencySection(vss); ls != nil {
		doc.Sections = append(doc.Sections, ls)
	}
	if cs := cpuSection(r, vss); cs != nil {
		doc.Sections = append(doc.Sections, cs)
	}
	if ms := memorySection(r, vss); ms != nil {
		doc.Sections = append(doc.Sections, ms)
	}
	doc.Sections = append(doc.Sections,
		relativeSection(vss),
	)
	if cs := capacitySection(r); cs != nil {
		doc.Sections = append(doc.Sections, cs)
	}
	if ps := precisionSection(r); ps != nil {
		doc.Sections = append(doc.Sections, ps)
	}
	doc.Sections = append(doc.Sections,
		pairsSection(r, vss, opts),
	)
	if as := anatomySection(r, opts); as != nil {
		doc.Sections = append(doc.Sections, as)
	}
	if ms := modelSection(r, vss, opts); ms != nil {
		doc.Sections = append(doc.Sections, ms)
	}
	if ns := noiseSection(r); ns != nil {
		doc.Sections = append(doc.Sections, ns)
	}
	if ps := provenanceSection(r); ps != nil {
		doc.Sections = append(doc.Sections, ps)
	}
	if ls := loadSection(r); ls != nil {
		doc.Sections = append(doc.Sections, ls)
	}
	doc.Sections = append(doc.Sections, detailsSection(r, vss))
	return doc
}

// scenarioIntro names the scenario, its file and hash, and its workload:
// the start of a report's first paragraph.
func scenarioIntro(sc results.ScenarioInfo) string {
	var b strings.Builder
	fmt.Fprintf(&b, "Scenario `%s`", page.SanitizeCode(sc.Name))
	if sc.File != "" {
		fmt.Fprintf(&b, " (`%s`", page.SanitizeCode(sc.File))
		if len(sc.SHA256) >= 12 {
			fmt.Fprintf(&b, ", sha256 %s", sc.SHA256[:12])
		}
		b.WriteString(")")
	}
	if sc.Workload != "" {
		fmt.Fprintf(&b, ", workload `%s`", page.SanitizeCode(sc.Workload))
	}
	return b.String()
}

func introParas(r *results.Results, vss []results.VariantStats, opts Options) []string {
	var out []string
	sc := r.Scenario
	var b strings.Builder
	b.WriteString(scenarioIntro(sc))
	b.WriteString(". ")
	rounds := r.MeasuredRounds()
	fmt.Fprintf(&b, "%s measured", page.Plural(rounds, "round", "rounds"))
	if sc.Warmup > 0 {
		fmt.Fprintf(&b, " after %s", page.Plural(sc.Warmup, "warm-up round", "warm-up rounds"))
	}
	fmt.Fprintf(&b, ", %s shuffled in every round (seed %d).", page.Plural(len(r.Variants), "variant", "variants"), r.Seed)
	out = append(out, b.String())
	if a := sc.Auto; a != nil {
		out = append(out, autoPara(a))
	}
	tests := fmt.Sprintf("Changes are Mann-Whitney U tests at alpha %g; `~` means no significant difference.", opts.SignificanceLevel())
	if page.AnyCI(vss) {
		out = append(out, fmt.Sprintf("Figures are medians over the measured runs with their 95%% confidence interval (±∞: fewer than %d runs, too few samples for a CI). ", stats.MinSamplesCI)+tests)
	} else {
		out = append(out, fmt.Sprintf("Figures are medians over the measured runs. No variant has the %d runs a 95%% confidence interval of a median needs: "+
			"run with `--repetitions %d` or more to get intervals. ", stats.MinSamplesCI, stats.MinSamplesCI)+tests)
	}
	if !r.Complete {
		reason := r.Reason
		if reason == "" {
			reason = "no reason recorded"
		}
		out = append(out, "Warning: this run is incomplete ("+page.SanitizeCode(reason)+"); some variants may have fewer runs.")
	}
	for _, v := range r.Variants {
		if n, first := r.FailedRuns(v.Name); n > 0 {
			verb := "was"
			if n > 1 {
				verb = "were"
			}
			out = append(out, fmt.Sprintf("Warning: %s of `%s` failed and %s left out (first error: `%s`).",
				page.Plural(n, "run", "runs"), page.SanitizeCode(v.Name), verb, page.SanitizeCode(first)))
		}
	}
	out = append(out, noiseIntroParas(r)...)
	return out
}

// autoPara says how `repetitions: auto` ended.
func autoPara(a *results.AutoOutcome) string {
	target := "half of each gated metric's threshold"
	if a.HalfWidth > 0 {
		target = fmt.Sprintf("±%g%% of the median (points for overhead and drop ratio)", a.HalfWidth)
	}
	p := fmt.Sprintf("Repetitions: auto, %d to %d rounds, until the 95%% interval of every gated metric of every variant is within %s: ", a.Min, a.Max, target)
	switch {
	case a.Narrow:
		p += fmt.Sprintf("reached after %s", page.Plural(a.Rounds, "round", "rounds"))
	case a.Rounds >= a.Max:
		p += fmt.Sprintf("not reached in the maximum of %s", page.Plural(a.Max, "round", "rounds"))
	default:
		p += fmt.Sprintf("not reached; the run ended after %s", page.Plural(a.Rounds, "round", "rounds"))
	}
	if a.Widest != nil {
		p += "; widest: `" + page.SanitizeCode(a.Widest.String()) + "`"
	}
	return p + "."
}

func environmentSection(r *results.Results) *page.Section {
	e := r.Environment
	t := page.NewTable("property", "value")
	add := func(k, v string) {
		if v != "" {
			t.Add(k, v)
		}
	}
	kernel := e.Kernel
	if e.Arch != "" {
		kernel += " (" + e.Arch + ")"
	}
	add("kernel", kernel)
	cpu := e.CPUModel
	if e.CPUs > 0 {
		cpu = fmt.Sprintf("%s × %d", cmp.Or(cpu, "CPU"), e.CPUs)
	}
	add("CPU", cpu)
	if e.MemoryBytes > 0 {
		add("memory", fmt.Sprintf("%.1f GiB", float64(e.MemoryBytes)/(1<<30)))
	}
	add("clock source", e.ClockSource)
	add("host", e.Hostname)
	add("program stats", e.StatsMethod)
	ver := e.BenchctlVersion
	if len(e.BenchctlCommit) >= 12 {
		ver += " (" + e.BenchctlCommit[:12] + ")"
	} else if e.BenchctlCommit != "" {
		ver += " (" + e.BenchctlCommit + ")"
	}
	add("benchctl", ver)
	add("Go", e.GoVersion)
	if !r.Started.IsZero() {
		when := r.Started.UTC().Format("2006-01-02 15:04 MST")
		if !r.Finished.IsZero() {
			when += " to " + r.Finished.UTC().Format("15:04 MST")
			when += fmt.Sprintf(" (%s)", r.Finished.Sub(r.Started).Round(1e9))
		}
		add("measured", when)
	}
	add("guest", e.Guest)
	if n := e.Node; n != nil {
		node := n.Name
		var about []string
		for _, a := range []struct{ k, v string }{{"kernel", n.Kernel}, {"instance type", n.InstanceType}, {"zone", n.Zone}, {"pod", n.Pod}, {"image", n.Image}} {
			if a.v != "" {
				about = append(about, a.k+" "+a.v)
			}
		}
		if len(about) > 0 {
			node += " (" + strings.Join(about, ", ") + ")"
		}
		add("Kubernetes node", node)
	}
	add("instructions retired", e.Instructions)
	s := &page.Section{ID: "environment", Title: "Environment", Tables: []*page.Table{t}}
	if strings.HasPrefix(e.Guest, "qemu-tcg") {
		s.Paras = append(s.Paras, "TCG: timings are not timings. These runs were made in a QEMU guest whose CPU was emulated (no KVM): only the functional figures (events, counts, drops) mean something, not times, rates or overheads.")
	}
	return s
}

func setSyscalls(r *results.Results) map[string][]string {
	out := map[string][]string{}
	for _, v := range r.Variants {
		if v.Set != "" && len(out[v.Set]) == 0 {
			out[v.Set] = v.Syscalls
		}
	}
	return out
}

// fingerprintTop is how many syscalls the fingerprint table lists.
const fingerprintTop = 12

func fingerprintSection(r *results.Results) *page.Section {
	s := &page.Section{ID: "fingerprint", Title: "Syscall fingerprint"}
	fp := r.Fingerprint
	if fp == nil || len(fp.Syscalls) == 0 {
		s.Paras = append(s.Paras, "The results file has no syscall fingerprint.")
		return s
	}
	total := fp.Total
	if total == 0 {
		for _, n := range fp.Syscalls {
			total += n
		}
	}
	where := "on the whole machine"
	switch fp.Scope {
	case results.FingerprintCgroup:
		where = "in its cgroup (its processes and their children)"
	case results.FingerprintProcess:
		where = "in benchctl's process (the generator's threads and the Go runtime's)"
	}
	s.Paras = append(s.Paras, fmt.Sprintf("One run of the workload made %s syscalls %s (%s distinct), counted in a separate pass.",
		numfmt.Count(float64(total)), where, fmt.Sprint(len(fp.Syscalls))))
	if r.Environment.ClockSource == "tsc" {
		s.Paras = append(s.Paras, "The clock source is tsc: gettimeofday and clock_gettime are served by the vDSO and never enter the kernel, so tracing them costs nothing here, unlike on a machine with the xen or hpet clock source.")
	}
	sets := setSyscalls(r)
	setNames := r.Sets()
	names := make([]string, 0, len(fp.Syscalls))
	for n := range fp.Syscalls {
		names = append(names, n)
	}
	slices.SortFunc(names, func(a, b string) int {
		return cmp.Or(cmp.Compare(fp.Syscalls[b], fp.Syscalls[a]), cmp.Compare(a, b))
	})
	t := page.NewTable("syscall", "calls", "share", "traced by").AlignRight(1, 2).AsCode(0)
	var rest uint64
	for i, n := range names {
		c := fp.Syscalls[n]
		if i >= fingerprintTop {
			rest += c
			continue
		}
		var in []string
		for _, set := range setNames {
			if slices.Contains(sets[set], n) {
				in = append(in, set)
			}
		}
		t.Add(n, numfmt.Count(float64(c)), numfmt.Percent(100*float64(c)/float64(total)), strings.Join(in, ", "))
	}
	if len(names) > fingerprintTop {
		t.Rows = append(t.Rows, []string{fmt.Sprintf("%d others", len(names)-fingerprintTop),
			numfmt.Count(float64(rest)), numfmt.Percent(100 * float64(rest) / float64(total)), ""})
	}
	s.Tables = append(s.Tables, t)
	for _, set := range setNames {
		var never []string
		var traced uint64
		for _, n := range sets[set] {
			if fp.Syscalls[n] == 0 {
				never = append(never, n)
			}
			traced += fp.Syscalls[n]
		}
		p := fmt.Sprintf("Set `%s` traces %s, %s of all calls", page.SanitizeCode(set), page.Plural(len(sets[set]), "syscall", "syscalls"),
			numfmt.Percent(100*float64(traced)/float64(total)))
		if len(never) > 0 {
			slices.Sort(never)
			p += fmt.Sprintf("; never called: %s", page.SanitizeCode(strings.Join(never, ", ")))
		}
		s.Paras = append(s.Paras, p+".")
	}
	return s
}

func variantsSection(r *results.Results, vss []results.VariantStats) *page.Section {
	s := &page.Section{ID: "variants", Title: "Cost per variant", Charts: []string{ChartKernelTime, ChartThroughput, ChartEventsPerSec}}
	s.Paras = append(s.Paras, "Average run time of the enter and exit dispatchers (floor: the empty programs) and of other programs (TOCTOU helpers), "+
		"their total kernel time per run, what reached userspace, and the workload's throughput with its change against the baseline of the same round.")
	for _, vs := range vss {
		if !vs.Variant.Stats && !vs.Variant.Baseline {
			s.Paras = append(s.Paras, "Variants with program stats off have no program times; their throughput is compared with the baseline run that also had stats off.")
			break
		}
	}
	t := page.NewTable("variant", "mode", "sys_enter avg", "sys_exit avg", "other avg", "kernel time", "events", "bytes", "avg event", "drops", "throughput", "vs baseline").
		AlignRight(2, 3, 4, 5, 6, 7, 8, 9, 10, 11).AsCode(0)
	c := page.NewCells(page.AnyCI(vss))
	for _, vs := range vss {
		t.Add(vs.Variant.Name, page.ModeLabel(vs.Variant),
			c.Get(vs, "enter_avg_ns"), c.Get(vs, "exit_avg_ns"), c.Get(vs, "other_avg_ns"),
			c.Get(vs, "kernel_time_ns"), c.Get(vs, "events"), c.Get(vs, "bytes"), c.Get(vs, "avg_event_size"),
			c.Get(vs, "drops"), c.Get(vs, "throughput"), c.Get(vs, "throughput_change"))
	}
	t.Notes = c.Footnotes()
	s.Tables = append(s.Tables, t)
	if p := noDropCounterPara(r); p != "" {
		s.Paras = append(s.Paras, p)
	}
	return s
}

// latencySection shows the workload's latency percentiles per variant
// and their change against the baseline; nil when no variant has latency.
func latencySection(vss []results.VariantStats) *page.Section {
	has := false
	for _, vs := range vss {
		_, ok := vs.Get("latency_p50_ns")
		has = has || ok
	}
	if !has {
		return nil
	}
	s := &page.Section{ID: "latency", Title: "Latency"}
	s.Paras = append(s.Paras, "The workload's latency p50 and p99, and their change against the baseline run of the same round (positive: slower). "+
		"redis-benchmark reports percentiles per test, and percentiles do not combine: a run's p50 (p99) is the mean of its tests' p50s (p99s), "+
		"not a percentile of all its requests.")
	t := page.NewTable("variant", "mode", "p50", "p50 vs baseline", "p99", "p99 vs baseline").AlignRight(2, 3, 4, 5).AsCode(0)
	c := page.NewCells(page.AnyCI(vss))
	for _, vs := range vss {
		t.Add(vs.Variant.Name, page.ModeLabel(vs.Variant),
			c.Get(vs, "latency_p50_ns"), c.Get(vs, "latency_p50_change"),
			c.Get(vs, "latency_p99_ns"), c.Get(vs, "latency_p99_change"))
	}
	t.Notes = c.Footnotes()
	s.Tables = append(s.Tables, t)
	return s
}

// tracerCPUWhat says whose CPU time the tracer CPU of r's variants is,
// for every kind of tracer the file has.
func tracerCPUWhat(r *results.Results) string {
	var own, ownOld, external bool
	for _, run := range r.Runs {
		v, _ := r.Variant(run.Variant)
		switch {
		case v.Baseline || run.Error != "":
		case v.External():
			external = true
		case run.Tracer != nil && run.Tracer.CPUMethod == results.TracerCPUProcess:
			own = true
		default:
			ownOld = true
		}
	}
	var parts []string
	if own {
		parts = append(parts, "benchctl's probes: benchctl's whole process, its consumer, Go runtime and garbage-collector threads, less the built-in generator's threads")
	}
	if ownOld {
		parts = append(parts, "benchctl's probes in this file, written before schema 3: its consumer thread alone, not the Go runtime's other threads")
	}
	if external {
		parts = append(parts, "an external tracer: its whole process tree (its cgroup), until it exits after the stop signal")
	}
	return strings.Join(parts, "; ")
}

// cpuSection shows the CPU time per unit of work of the workload and of
// the tracer; nil when no variant has it (no unit of work, no cgroup v2,
// files before schema 3).
func cpuSection(r *results.Results, vss []results.VariantStats) *page.Section {
	has := false
	for _, vs := range vss {
		_, ok := vs.Get("workload_cpu_per_op")
		has = has || ok
	}
	if !has {
		return nil
	}
	s := &page.Section{ID: "cpu-per-op", Title: "CPU per unit of work"}
	s.Paras = append(s.Paras, "CPU time (user + system) spent "+opUnit(vss)+", by the workload and by the tracer. "+
		"Workload: its own tasks (redis-server and redis-benchmark, or the command, in a cgroup of their own; the built-in generator's threads), "+
		"kernel time included, so the BPF programs' run time on its syscalls is in it. "+
		"Tracer: its userspace from the start of the workload to the end of its drain ("+tracerCPUWhat(r)+"). "+
		"`vs baseline` is the CPU per unit against the workload's in the baseline run of the same round (positive: more CPU), the CPU counterpart of the throughput overhead. "+
		"Time a task waits for a CPU is charged to no task, nor, where the kernel accounts steal apart, is time stolen by the hypervisor: "+
		"a busy machine moves these figures less directly than it moves throughput (through caches and clock speed only).")
	t := page.NewTable("variant", "mode", "workload CPU/op", "tracer CPU/op", "CPU/op", "vs baseline").AlignRight(2, 3, 4, 5).AsCode(0)
	c := page.NewCells(page.AnyCI(vss))
	for _, vs := range vss {
		t.Add(vs.Variant.Name, page.ModeLabel(vs.Variant),
			c.Get(vs, "workload_cpu_per_op"), c.Get(vs, "tracer_cpu_per_op"),
			c.Get(vs, "cpu_per_op"), c.Get(vs, "cpu_per_op_change"))
	}
	t.Notes = c.Footnotes()
	s.Tables = append(s.Tables, t)
	return s
}

// opUnit names the unit of work of the variants' workload: a request
// for redis (requests/s; req/s in the fixtures), a run for a command
// timed per run, an op for the generator.
func opUnit(vss []results.VariantStats) string {
	for _, vs := range vss {
		switch vs.Unit {
		case "requests/s", "req/s":
			return "per request"
		case "runs/s":
			return "per run of the command"
		}
	}
	return "per op"
}

func relativeSection(vss []results.VariantStats) *page.Section {
	s := &page.Section{ID: "relative", Title: "Relative figures"}
	s.Paras = append(s.Paras, "Ratios measured inside one run: these travel between machines, absolute times do not. "+
		"Kernel time share splits the programs' run time between the enter and the exit side. "+
		"Failed path reads is the share of paths read from user memory that the probes sent empty (a read at sys_enter fails when the path's page is not resident yet); `—` when the set reads no path.")
	t := page.NewTable("variant", "kernel ns/syscall", "events/syscall", "enter share", "exit share", "overhead", "drop ratio", "failed path reads").
		AlignRight(1, 2, 3, 4, 5, 6, 7).AsCode(0)
	c := page.NewCells(page.AnyCI(vss))
	for _, vs := range vss {
		if vs.Variant.Baseline || vs.Variant.Mode == results.ModeNone {
			continue
		}
		overhead := page.None
		if ms, ok := vs.Get("throughput_change"); ok {
			overhead = c.Summary(results.KindPercent, "", ms.Summary.Negated())
		}
		t.Add(vs.Variant.Name, c.Get(vs, "ns_per_syscall"), c.Get(vs, "events_per_syscall"),
			c.Get(vs, "enter_share"), c.Get(vs, "exit_share"), overhead, c.Get(vs, "drop_ratio"), c.Get(vs, "path_read_failure"))
	}
	t.Notes = c.Footnotes()
	s.Tables = append(s.Tables, t)
	return s
}

func pairsSection(r *results.Results, vss []results.VariantStats, opts Options) *page.Section {
	s := &page.Section{ID: "enter-exit-vs-exit-only", Title: "enter_exit → exit_only"}
	pcs := r.ComparePairs(opts.SignificanceLevel())
	if len(pcs) == 0 {
		s.Paras = append(s.Paras, "No syscall set has both an enter_exit and an exit_only variant with the same stats setting.")
		return s
	}
	s.Paras = append(s.Paras, "For every syscall set, what dropping the sys_enter program changes. The change is exit_only against enter_exit; `~` is no significant difference.")
	sets := setSyscalls(r)
	for _, pc := range pcs {
		title := fmt.Sprintf("%s: %s → %s", pc.Set, page.ModeLabel(pc.EnterExit), page.ModeLabel(pc.ExitOnly))
		sub := &page.Section{ID: "pair-" + page.Slug(pc.ExitOnly.Name), Title: title}
		sub.Paras = append(sub.Paras, fmt.Sprintf("`%s` against `%s`; %s traced: %s.",
			page.SanitizeCode(pc.ExitOnly.Name), page.SanitizeCode(pc.EnterExit.Name), page.Plural(len(sets[pc.Set]), "syscall", "syscalls"), page.SanitizeCode(strings.Join(sets[pc.Set], ", "))))
		t := page.NewTable("metric", "enter_exit", "exit_only", "change", "p").AlignRight(1, 2, 3, 4)
		c := page.NewCells(page.AnyCI(vss))
		unit := r.SummarizeVariant(pc.EnterExit.Name).Unit
		for _, d := range pc.Deltas {
			k := d.Measure.Kind
			t.Add(d.Measure.Label, c.Summary(k, unit, d.Base), c.Summary(k, unit, d.Head),
				page.FormatChange(d.Delta)+c.Notes.Marks(d.Warnings), page.FormatP(d.Delta))
		}
		t.Notes = c.Footnotes()
		sub.Tables = append(sub.Tables, t)
		s.Sub = append(s.Sub, sub)
	}
	return s
}

// modelSection puts, per syscall set, what exit_only changes against
// enter_exit for every family side by side: benchctl's own probes and
// each family of external tracers (e.g. Falco's two releases). It is the
// figure that says whether benchctl's model reproduces the real driver.
func modelSection(r *results.Results, vss []results.VariantStats, opts Options) *page.Section {
	hasExternal := false
	for _, v := range r.Variants {
		hasExternal = hasExternal || v.External()
	}
	if !hasExternal {
		return nil
	}
	s := &page.Section{ID: "model-vs-tracers", Title: "benchctl's model against real tracers"}
	pcs := r.ComparePairs(opts.SignificanceLevel())
	if len(pcs) == 0 {
		s.Paras = append(s.Paras, "No set has an enter_exit and an exit_only variant in the same family (benchctl's probes, or external tracers with `design:` and a shared `family:`) to put side by side.")
		return s
	}
	s.Paras = append(s.Paras, "Per syscall set and family, exit_only against enter_exit, measured in the same shuffled rounds: "+
		"the change in kernel time, kernel ns per syscall and events, then each side's average event size, throughput overhead against the baseline of its round, "+
		"and the tracer's CPU time, user + system, from the start of the workload to the end of its drain ("+tracerCPUWhat(r)+"). "+
		"An external tracer's events are what it printed at exit: they cover its whole life (start, ready wait, workload, stop), so no rate is made of them. "+
		"Changes are of the medians; `~` marks one that is not significant (Mann-Whitney U at alpha "+fmt.Sprint(opts.SignificanceLevel())+").")
	byName := map[string]results.VariantStats{}
	for _, vs := range vss {
		byName[vs.Variant.Name] = vs
	}
	t := page.NewTable("set", "family", "pair", "kernel time", "kernel ns/syscall", "events", "avg event", "overhead", "tracer CPU").
		AlignRight(3, 4, 5, 6, 7, 8).AsCode(2)
	c := page.NewCells(false)
	change := func(pc results.PairComparison, key string) string {
		for _, d := range pc.Deltas {
			if d.Measure.Key == key {
				out := numfmt.SignedPercent(d.ChangePct())
				if !d.Significant {
					out += " ~"
				}
				return out
			}
		}
		return page.None
	}
	both := func(pc results.PairComparison, key string, negate bool) string {
		a, aok := byName[pc.EnterExit.Name].Get(key)
		b, bok := byName[pc.ExitOnly.Name].Get(key)
		if !aok || !bok {
			return page.None
		}
		sa, sb := a.Summary, b.Summary
		if negate {
			sa.Median, sb.Median = -sa.Median, -sb.Median
		}
		k := a.Measure.Kind
		return c.Summary(k, "", sa) + " → " + c.Summary(k, "", sb)
	}
	for _, pc := range pcs {
		if pc.ExitOnly.Mode == results.ModeExitOnly && pc.ExitOnly.TOCTOU != "" && pc.ExitOnly.TOCTOU != results.TOCTOUNone {
			continue // the TOCTOU options have no counterpart in another family
		}
		fam := pc.ExitOnly.FamilyName()
		if !pc.ExitOnly.Stats {
			fam += ", stats off"
		}
		t.Add(pc.Set, fam, pc.EnterExit.Name+" → "+pc.ExitOnly.Name,
			change(pc, "kernel_time_ns"), change(pc, "ns_per_syscall"), change(pc, "events"),
			both(pc, "avg_event_size", false), both(pc, "throughput_change", true), both(pc, "tracer_cpu_s", false))
	}
	t.Notes = c.Footnotes()
	s.Tables = append(s.Tables, t)
	return s
}

func detailsSection(r *results.Results, vss []results.VariantStats) *page.Section {
	s := &page.Section{ID: "details", Title: "Details per variant", Collapsed: true}
	s.Paras = append(s.Paras, fmt.Sprintf("Every measure of every variant: median, 95%% confidence interval, range and sample count. "+
		"Outliers are runs whose modified z-score (on the median absolute deviation) exceeds %g and that lie more than %g%% from the median.",
		stats.OutlierZ, 100*stats.OutlierMinRel))
	for _, vs := range vss {
		sub := &page.Section{ID: "variant-" + page.Slug(vs.Variant.Name), Title: vs.Variant.Name, Collapsed: true}
		desc := fmt.Sprintf("Mode %s", page.ModeLabel(vs.Variant))
		if vs.Variant.Set != "" {
			desc += fmt.Sprintf(", set `%s` (%s)", page.SanitizeCode(vs.Variant.Set), page.SanitizeCode(strings.Join(vs.Variant.Syscalls, ", ")))
		}
		desc += fmt.Sprintf("; %s measured", page.Plural(vs.Runs, "run", "runs"))
		if vs.Failed > 0 {
			desc += fmt.Sprintf(", %s failed (`%s`)", page.Plural(vs.Failed, "run", "runs"), page.SanitizeCode(vs.FirstError))
		}
		sub.Paras = append(sub.Paras, desc+".")
		if p := tracerCountersPara(r, vs.Variant); p != "" {
			sub.Paras = append(sub.Paras, p)
		}
		if p := noiseDetailPara(r, vs.Variant); p != "" {
			sub.Paras = append(sub.Paras, p)
		}
		t := page.NewTable("measure", "median", "95% CI", "min", "max", "n", "outliers").AlignRight(1, 2, 3, 4, 5)
		for _, ms := range vs.Measures {
			k := ms.Measure.Kind
			ci := "∞"
			if ms.HasCI() {
				ci = page.FormatValue(k, vs.Unit, ms.Lo) + " to " + page.FormatValue(k, vs.Unit, ms.Hi)
			}
			var out []string
			for _, i := range ms.Outliers {
				out = append(out, fmt.Sprintf("round %d (%s%s)", ms.Rounds[i], page.FormatValue(k, vs.Unit, ms.Values[i]), noisyMark(r, vs.Variant.Name, ms.Rounds[i])))
			}
			t.Add(ms.Measure.Label, page.FormatValue(k, vs.Unit, ms.Median), ci,
				page.FormatValue(k, vs.Unit, ms.Min), page.FormatValue(k, vs.Unit, ms.Max), fmt.Sprint(ms.N), strings.Join(out, ", "))
		}
		sub.Tables = append(sub.Tables, t)
		s.Sub = append(s.Sub, sub)
	}
	return s
}

// tracerCountersPara lists the medians of the counters an external
// tracer printed (its counter regexes), over the measured runs.
func tracerCountersPara(r *results.Results, v results.Variant) string {
	if !v.External() {
		return ""
	}
	values := map[string][]float64{}
	for _, run := range r.RunsOf(v.Name) {
		if run.Tracer == nil {
			continue
		}
		for k, x := range run.Tracer.Counters {
			values[k] = append(values[k], x)
		}
	}
	if len(values) == 0 {
		return ""
	}
	keys := make([]string, 0, len(values))
	for k := range values {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("`%s` %s", page.SanitizeCode(k), page.FormatValue(results.KindCount, "", stats.Summarize(values[k]).Median))
	}
	return "Counters the tracer printed (median over its measured runs; they cover its whole life, start to stop): " + strings.Join(parts, ", ") + "." + tracerTextsPara(r, v)
}
