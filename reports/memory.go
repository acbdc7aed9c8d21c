package reports

import (
	"slices"
	"strings"

	"github.com/benchctl/benchctl/bench/results"
	"github.com/benchctl/benchctl/reports/page"
)

// NotMeasured is what a memory cell says when the run looked for the
// figure and could not have it, or never looked (older files): never a
// small number in its place.
const NotMeasured = "not measured"

// memoryMethodNotes explains each way a peak was read, for footnotes.
var memoryMethodNotes = map[string]string{
	"memory.peak":                "memory.peak of the tracer's cgroup v2: the kernel's peak of the whole process tree, exited processes, page cache, page tables, slab and the BPF maps it created included.",
	"memory.max_usage_in_bytes":  "memory.max_usage_in_bytes of the cgroup v1 memory cgroup the tracer's process tree was born in (no v2 memory controller on this host): the kernel's peak, as memory.peak.",
	"VmHWM_sampled":              "no memory cgroup: the sum of each process's largest VmHWM, sampled every 100 ms; a process that lived less may be missed, and shared file pages count once per process.",
	"VmHWM":                      "written before issue 33: the sum of VmHWM of the processes alive when the tracer was ready and at its stop signal; processes that had exited are missing, so the figure may be low.",
	results.MemoryProcessHWM:     "benchctl's own process: VmHWM, reset when its consumer started, read when the drain ended (the consumer, the ring buffer's pages mapped into it, the Go runtime and heap, the built-in generator's threads); no page cache or BPF maps, which a tracer's memory cgroup counts.",
	results.MemoryProcessHWMLife: "benchctl's own process: VmHWM since it started (the reset through clear_refs was refused), an upper bound.",
}

// hasMemory tells whether any traced run recorded a memory figure, or
// looked for one.
func hasMemory(r *results.Results) bool {
	for _, run := range r.Runs {
		if t := run.Tracer; t != nil && (t.PeakMemoryBytes > 0 || t.MeanMemoryBytes > 0 || t.MemoryMissing != "") {
			return true
		}
	}
	return false
}

// memoryMethods lists the distinct peak methods and missing reasons of a
// variant's measured runs.
func memoryMethods(r *results.Results, name string) (methods, missing []string) {
	for _, run := range r.RunsOf(name) {
		t := run.Tracer
		if t == nil {
			continue
		}
		if t.MemoryMethod != "" && t.PeakMemoryBytes > 0 && !slices.Contains(methods, t.MemoryMethod) {
			methods = append(methods, t.MemoryMethod)
		}
		if t.MemoryMissing != "" && !slices.Contains(missing, t.MemoryMissing) {
			missing = append(missing, t.MemoryMissing)
		}
	}
	return methods, missing
}

// memorySection is the report's "Memory" section: per traced variant,
// the tracer's peak memory and how it was read, its mean resident and
// mean anonymous memory over the workload, and what it held in the
// kernel through BPF; "not measured" where a figure could not be had. nil when no
// run recorded memory.
func memorySection(r *results.Results, vss []results.VariantStats) *page.Section {
	if !hasMemory(r) {
		return nil
	}
	s := &page.Section{ID: "memory", Title: "Memory"}
	s.Paras = append(s.Paras, "What each tracer held in userspace, median over the runs: its peak memory (the footnote says how it was read), "+
		"the mean of its resident and of its anonymous memory sampled every 100 ms over the workload "+
		"(the memory cgroup's `memory.current` / `memory.usage_in_bytes` and `memory.stat`, or the processes' `VmRSS` and `RssAnon`; benchctl's own: its process's), "+
		"and in the kernel what it held through BPF when it was ready: the memlock of its programs and maps, "+
		"of the maps held only inside its maps of maps (Falco's per-CPU ring buffers) and the perf buffers it mapped. "+
		"\""+NotMeasured+"\": the figure could not be had on this host or is not in this file, never zero.")
	t := page.NewTable("variant", "mode", "peak", "mean resident", "mean anonymous", "BPF memory").AlignRight(2, 3, 4, 5).AsCode(0)
	c := page.NewCells(page.AnyCI(vss))
	for _, vs := range vss {
		v := vs.Variant
		if v.Baseline || v.Mode == results.ModeNone {
			continue
		}
		methods, missing := memoryMethods(r, v.Name)
		peak := NotMeasured
		if ms, ok := vs.Get("tracer_memory"); ok {
			peak = c.Summary(ms.Measure.Kind, vs.Unit, ms.Summary)
			for _, m := range methods {
				if note, ok := memoryMethodNotes[m]; ok {
					peak += c.Notes.Mark(note)
				} else {
					peak += c.Notes.Mark("read as " + m + ".")
				}
			}
		} else if len(missing) > 0 {
			peak += c.Notes.Mark("not measured: " + strings.Join(missing, "; ") + ".")
		}
		cell := func(key string) string {
			if ms, ok := vs.Get(key); ok {
				return c.Summary(ms.Measure.Kind, vs.Unit, ms.Summary)
			}
			return NotMeasured
		}
		t.Add(v.Name, page.ModeLabel(v), peak, cell("tracer_memory_mean"), cell("tracer_anon_mean"), cell("bpf_memory"))
	}
	t.Notes = c.Footnotes()
	s.Tables = append(s.Tables, t)
	if estimatePara(r) != "" {
		s.Paras = append(s.Paras, "BPF memory on this kernel (before 6.4) is an estimate from the maps' declared sizes: it is not shown here (see Load).")
	}
	return s
}
