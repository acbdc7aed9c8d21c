package results

import (
	"sort"
)

// RoleOf is the role of one program of a run: the one recorded with it
// (by attach point, for an external tracer's programs), else the one its
// name gives (results files written before roles were recorded).
func RoleOf(p ProgramStats) string {
	if p.Role != "" {
		return p.Role
	}
	return ProgramRole(p.Name)
}

// RoleStats sums the stats of a run's programs that have role (see
// RoleOf): run count and run time. ok is false when no program of
// that role ran at all (none attached, or program stats were off).
func RoleStats(run Run, role string) (runCount, runTimeNs uint64, ok bool) {
	for _, p := range run.Programs {
		if RoleOf(p) != role {
			continue
		}
		runCount += p.RunCount
		runTimeNs += p.RunTimeNs
	}
	return runCount, runTimeNs, runCount > 0
}

// RunsOf returns the measured runs of the variant named name (no
// warm-ups, no failed runs), in round order.
func (r *Results) RunsOf(name string) []Run {
	var out []Run
	for _, run := range r.Measured() {
		if run.Variant == name {
			out = append(out, run)
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Round < out[j].Round })
	return out
}

// FailedRuns returns how many non-warm-up runs of the variant named name
// failed, and the error of the first of them.
func (r *Results) FailedRuns(name string) (n int, first string) {
	for _, run := range r.Runs {
		if run.Variant == name && !run.Warmup && run.Error != "" {
			if n == 0 {
				first = run.Error
			}
			n++
		}
	}
	return n, first
}

// BaselineVariant returns the first baseline variant (mode none).
func (r *Results) BaselineVariant() (Variant, bool) {
	for _, v := range r.Variants {
		if v.Baseline || v.Mode == ModeNone {
			return v, true
		}
	}
	return Variant{}, false
}

// Sets returns the names of the syscall sets the variants trace, in the
// order they first appear. Variants without a set (baseline, floor) are
// not in any.
func (r *Results) Sets() []string {
	var out []string
	seen := map[string]bool{}
	for _, v := range r.Variants {
		if v.Set == "" || seen[v.Set] {
			continue
		}
		seen[v.Set] = true
		out = append(out, v.Set)
	}
	return out
}

// VariantsIn returns the variants of the syscall set named set whose
// design is mode (see Variant.DesignMode), in file order.
func (r *Results) VariantsIn(set string, mode Mode) []Variant {
	var out []Variant
	for _, v := range r.Variants {
		if v.Set == set && v.DesignMode() == mode {
			out = append(out, v)
		}
	}
	return out
}

// VariantPair is an enter_exit variant and an exit_only variant of the
// same syscall set, the pair a report compares.
type VariantPair struct {
	Set       string
	EnterExit Variant
	ExitOnly  Variant
}

// ModePairs pairs, for every syscall set, each exit_only variant with an
// enter_exit variant of the same set, the same family (benchctl's own
// probes, or one family of external tracers, by their declared designs)
// and the same program-stats setting, preferring one with the same ring
// size and snaplen. An exit_only variant without such a partner yields no
// pair.
func (r *Results) ModePairs() []VariantPair {
	var out []VariantPair
	for _, set := range r.Sets() {
		ees := r.VariantsIn(set, ModeEnterExit)
		for _, xo := range r.VariantsIn(set, ModeExitOnly) {
			if !StepRunsFillers(xo.Step) {
				continue // the ladder's steps are compared in the anatomy section
			}
			var best *Variant
			for i, ee := range ees {
				if ee.Stats != xo.Stats || ee.FamilyName() != xo.FamilyName() || ee.Step != xo.Step || ee.Reserve != xo.Reserve {
					continue
				}
				if best == nil || (ee.RingSize == xo.RingSize && ee.Snaplen == xo.Snaplen) {
					best = &ees[i]
				}
				if ee.RingSize == xo.RingSize && ee.Snaplen == xo.Snaplen {
					break
				}
			}
			if best != nil {
				out = append(out, VariantPair{Set: set, EnterExit: *best, ExitOnly: xo})
			}
		}
	}
	return out
}

// MeasuredRounds counts the rounds that have a measured (not warm-up)
// run.
func (r *Results) MeasuredRounds() int {
	seen := map[int]bool{}
	for _, run := range r.Runs {
		if !run.Warmup {
			seen[run.Round] = true
		}
	}
	return len(seen)
}

// SyscallSide is one syscall's two sides in a run: the run counts and
// run times of the programs that run on its entry only and on its exit
// only (ProgramStats.Syscall), as a per-syscall tracer attaches them
// (syscalls:sys_enter_openat and sys_exit_openat, or kprobe/fentry and
// kretprobe/fexit on __x64_sys_openat). Each side counts every call of
// the syscall on the whole machine while the programs were attached, so
// the two run counts of a syscall match but for the calls in flight when
// a snapshot was taken.
type SyscallSide struct {
	Syscall                string // as in ProgramStats.Syscall: "openat", or "open,openat" for programs on several
	EnterRuns, EnterTimeNs uint64
	ExitRuns, ExitTimeNs   uint64
	EnterProgs, ExitProgs  int // how many programs each side has
}

// EnterAvgNs is the enter side's average run time, 0 when it never ran.
func (s SyscallSide) EnterAvgNs() float64 { return avgNs(s.EnterTimeNs, s.EnterRuns) }

// ExitAvgNs is the exit side's average run time, 0 when it never ran.
func (s SyscallSide) ExitAvgNs() float64 { return avgNs(s.ExitTimeNs, s.ExitRuns) }

func avgNs(ns, runs uint64) float64 {
	if runs == 0 {
		return 0
	}
	return float64(ns) / float64(runs)
}

// SyscallSides pairs the per-syscall programs of a run (role enter or
// exit, with a Syscall) by syscall, sorted by name; a syscall traced on
// one side only has zeros on the other. The dispatchers, which run on
// every syscall, and other programs are not in it.
func SyscallSides(run Run) []SyscallSide {
	idx := map[string]int{}
	var out []SyscallSide
	for _, p := range run.Programs {
		role := RoleOf(p)
		if p.Syscall == "" || (role != RoleEnter && role != RoleExit) {
			continue
		}
		i, ok := idx[p.Syscall]
		if !ok {
			i = len(out)
			idx[p.Syscall] = i
			out = append(out, SyscallSide{Syscall: p.Syscall})
		}
		s := &out[i]
		if role == RoleEnter {
			s.EnterRuns += p.RunCount
			s.EnterTimeNs += p.RunTimeNs
			s.EnterProgs++
		} else {
			s.ExitRuns += p.RunCount
			s.ExitTimeNs += p.RunTimeNs
			s.ExitProgs++
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Syscall < out[j].Syscall })
	return out
}
