package reports

import (
	"cmp"
	"fmt"
	"sort"
	"strings"

	"github.com/benchctl/benchctl/bench/results"
	"github.com/benchctl/benchctl/bench/stats"
	"github.com/benchctl/benchctl/internal/numfmt"
	"github.com/benchctl/benchctl/reports/page"
)

// loadTopPrograms is how many of a variant's largest programs the Load
// section lists.
const loadTopPrograms = 8

// loadSection is the report's "Load" section: per variant, whether its
// programs loaded (or why the kernel refused them), how many, their
// largest verified instruction count with its share of the verifier's
// limit, and the load or ready time; then each variant's largest
// programs. nil when no run recorded a load.
func loadSection(r *results.Results) *page.Section {
	if !r.HasLoad() {
		return nil
	}
	s := &page.Section{ID: "load", Title: "Load"}
	s.Paras = append(s.Paras, fmt.Sprintf("What loading each tracer cost, from `bpf_prog_info`: the instructions the verifier processed for each program (`verified_insns`, "+
		"Linux 5.16+; exact, the same on every run of the same programs on the same kernel), against the verifier's limit of %s; "+
		"translated and JIT-compiled sizes; maps used. Programs are every one the tracer held when ready, tail-call targets included. "+
		"Load time is benchctl's own (maps created, every program verified and attached), ready time an external tracer's (start to ready); median over the runs.",
		numfmt.Thousands(results.VerifierInsnLimit)))
	if strings.HasPrefix(r.Environment.Guest, "qemu-tcg") {
		s.Paras = append(s.Paras, "TCG: the load and ready times are not timings (emulated CPU); the instruction counts and sizes are exact.")
	}
	t := page.NewTable("variant", "loads", "programs", "attached", "largest", "verified insns", "share of limit", "all programs' insns", "load / ready").AlignRight(2, 3, 5, 6, 7, 8).AsCode(0, 4)
	var subs []*page.Section
	for _, v := range r.Variants {
		l := r.LoadOf(v.Name)
		if l == nil {
			continue
		}
		if f := l.Refusal; f != nil {
			t.Add(v.Name, "refused: "+f.String(), page.None, page.None, cmp.Or(f.Program, page.None), refusedInsns(f), page.None, page.None, page.None)
			continue
		}
		progs := l.LargestPrograms()
		var total uint64
		attached := 0
		for _, p := range progs {
			total += uint64(p.VerifiedInsns)
			if p.Attached {
				attached++
			}
		}
		largest, insns, share := page.None, page.None, page.None
		if len(progs) > 0 && progs[0].VerifiedInsns > 0 {
			largest, insns, share = progs[0].Name, numfmt.Thousands(float64(progs[0].VerifiedInsns)), page.FormatLimitShare(progs[0])
		}
		t.Add(v.Name, "yes", fmt.Sprint(len(progs)), fmt.Sprint(attached), largest, insns, share, numfmt.Thousands(float64(total)), loadTime(r, v.Name))
		pt := page.NewTable("program", "attached", "verified insns", "share of limit", "xlated", "jited", "maps").AlignRight(2, 3, 4, 5, 6).AsCode(0)
		for i, p := range progs {
			if i == loadTopPrograms {
				break
			}
			att := ""
			if p.Attached {
				att = "yes"
			}
			pt.Add(p.Name, att, numfmt.Thousands(float64(p.VerifiedInsns)), page.FormatLimitShare(p), numfmt.Thousands(float64(p.XlatedBytes))+" B", numfmt.Thousands(float64(p.JitedBytes))+" B", fmt.Sprint(p.Maps))
		}
		sub := &page.Section{ID: "load-" + page.Slug(v.Name), Title: v.Name, Tables: []*page.Table{pt}}
		if n := len(progs) - loadTopPrograms; n > 0 {
			sub.Paras = append(sub.Paras, fmt.Sprintf("The %d largest of %d programs.", loadTopPrograms, len(progs)))
		}
		subs = append(subs, sub)
	}
	s.Tables = append(s.Tables, t)
	if p := estimatePara(r); p != "" {
		s.Paras = append(s.Paras, p)
	}
	if len(subs) > 0 {
		s.Sub = append(s.Sub, &page.Section{ID: "load-programs", Title: "Largest programs", Collapsed: true, Sub: subs})
	}
	return s
}

func refusedInsns(f *results.Refusal) string {
	if f.Processed == 0 {
		return page.None
	}
	return numfmt.Thousands(float64(f.Processed)) + " processed"
}

// loadTime is the median load time (own probes) or ready time (external
// tracer) over the runs of variant name that recorded one.
func loadTime(r *results.Results, name string) string {
	var xs []float64
	for _, run := range r.Runs {
		if run.Variant != name || run.Load == nil || run.Load.Refusal != nil {
			continue
		}
		switch {
		case run.Load.LoadNs > 0:
			xs = append(xs, float64(run.Load.LoadNs))
		case run.Load.ReadyNs > 0:
			xs = append(xs, float64(run.Load.ReadyNs))
		}
	}
	if len(xs) == 0 {
		return page.None
	}
	sort.Float64s(xs)
	return numfmt.Duration(stats.Summarize(xs).Median)
}

// loadCells are the CSV cells of a run's load (see csvColumns).
func loadCells(l *results.Load) []string {
	cells := make([]string, 6)
	if l == nil {
		return cells
	}
	if l.LoadNs > 0 {
		cells[0] = fmt.Sprint(int64(l.LoadNs))
	}
	if l.ReadyNs > 0 {
		cells[1] = fmt.Sprint(int64(l.ReadyNs))
	}
	if l.Refusal != nil {
		cells[5] = l.Refusal.String()
		return cells
	}
	max, total := loadTotals(l)
	cells[2] = fmt.Sprint(len(l.Programs))
	if total > 0 {
		cells[3], cells[4] = fmt.Sprint(max), fmt.Sprint(total)
	}
	return cells
}

// loadTotals are the largest and the summed verified instructions of l's
// programs.
func loadTotals(l *results.Load) (max uint32, total uint64) {
	for _, p := range l.Programs {
		total += uint64(p.VerifiedInsns)
		if p.VerifiedInsns > max {
			max = p.VerifiedInsns
		}
	}
	return max, total
}

// estimatePara lists the BPF memory figures that are estimates (a kernel
// before 6.4): the tables and comparisons leave them out.
func estimatePara(r *results.Results) string {
	var parts []string
	for _, v := range r.Variants {
		var xs []float64
		for _, run := range r.RunsOf(v.Name) {
			if run.Tracer != nil && run.Tracer.BPFMemoryEstimate && run.Tracer.BPFMemoryBytes > 0 {
				xs = append(xs, float64(run.Tracer.BPFMemoryBytes))
			}
		}
		if len(xs) > 0 {
			parts = append(parts, fmt.Sprintf("`%s` %s", page.SanitizeCode(v.Name), numfmt.Bytes(stats.Summarize(xs).Median)))
		}
	}
	if len(parts) == 0 {
		return ""
	}
	return "BPF memory on this kernel (before 6.4) is an estimate from the maps' declared sizes (a ring buffer's reads 0), so it is not compared and left out of the other tables: " + strings.Join(parts, ", ") + "."
}
