package bench

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	mstats "github.com/montanaflynn/stats"
	"golang.org/x/sys/unix"

	"github.com/benchctl/benchctl/workloads"
)

// Noise is what else the machine did during one run: the CPU time the
// hypervisor took (steal), the CPU time of processes that are neither
// benchctl nor what it started, and the load average. A run above a
// threshold (NoiseStealPct, NoiseOutsidePct) is flagged: reports mark it
// and `compare` does not call a regression that only its figures show.
//
// The figures come from /proc/stat (whole machine, in USER_HZ ticks) read
// when the workload starts and when it ends, against the CPU time of
// benchctl's process (its consumer thread and the built-in syscall
// generator included), of its descendants (redis-server, redis-benchmark,
// a command workload) and of the cgroups it controls (an external tracer's).
type Noise struct {
	// WallSeconds is the time between the two readings.
	WallSeconds float64 `json:"wall_s"`
	// TotalSeconds is the CPU time that elapsed on all CPUs (every state
	// of /proc/stat's cpu line, steal included): about CPUs × WallSeconds.
	TotalSeconds float64 `json:"total_cpu_s"`
	// BusySeconds is the CPU time spent running anything: user, nice,
	// system, irq and softirq of the whole machine.
	BusySeconds float64 `json:"busy_cpu_s"`
	// StealSeconds is the time the hypervisor ran something else while
	// this VM's CPUs wanted to run; IOWaitSeconds idle time with I/O
	// pending.
	StealSeconds  float64 `json:"steal_cpu_s"`
	IOWaitSeconds float64 `json:"iowait_cpu_s,omitempty"`
	// OwnSeconds is the CPU time of benchctl, its descendants and its
	// cgroups; OutsideSeconds = max(0, BusySeconds − OwnSeconds).
	OwnSeconds     float64 `json:"own_cpu_s"`
	OutsideSeconds float64 `json:"outside_cpu_s"`
	// StealPct and OutsidePct are StealSeconds and OutsideSeconds in
	// percent of TotalSeconds.
	StealPct   float64 `json:"steal_pct"`
	OutsidePct float64 `json:"outside_pct"`
	// Load1 is the 1-minute load average when the run ended. It counts
	// benchctl's own runnable threads too, and lags by a minute: it is
	// context, not a flag.
	Load1 float64 `json:"load1"`
	// Attributed says what OwnSeconds covers, e.g. "benchctl process
	// tree" or "benchctl process tree, tracer cgroup".
	Attributed string `json:"attributed,omitempty"`
}

// Thresholds above which a run is flagged as noisy, chosen from runs on
// the 2-core KVM (Firecracker) reference machine, 2026-11-27 (README,
// "Noise"): with nothing else running in the VM, outside CPU stayed at
// 0 to 2.3% (quick.yaml and a redis baseline), while another process
// (a `while :; do :; done` loop, or other people's builds) gave 18.7 to
// 73%; steal was 0 to 2.5% when the host was calm, and runs at 7 to 48%
// steal lost throughput (redis baseline: 80-85k requests/s at 5-10%
// steal, 28-40k at 30-36%, 12-15k at 43-48%).
const (
	// NoiseStealPct flags a run whose steal time exceeds this share of
	// the elapsed CPU time.
	NoiseStealPct = 5.0
	// NoiseOutsidePct flags a run in which processes that are not
	// benchctl's used more than this share of the elapsed CPU time.
	NoiseOutsidePct = 5.0
)

// Flags returns why n is noisy, e.g. "steal 7.2% > 5%"; nil when it is
// not (or n is nil: a run without noise figures is never flagged).
func (n *Noise) Flags() []string {
	if n == nil {
		return nil
	}
	var out []string
	if n.StealPct > NoiseStealPct {
		out = append(out, fmt.Sprintf("steal %.1f%% > %g%%", n.StealPct, NoiseStealPct))
	}
	if n.OutsidePct > NoiseOutsidePct {
		out = append(out, fmt.Sprintf("outside CPU %.1f%% > %g%%", n.OutsidePct, NoiseOutsidePct))
	}
	return out
}

// Flagged tells whether n is above a noise threshold.
func (n *Noise) Flagged() bool { return len(n.Flags()) > 0 }

// NoisyRun tells whether a figure of run is touched by noise: the run is
// flagged or, with viaBaseline (a figure measured against the baseline of
// the round, such as the overhead), the baseline run of its round with
// the same stats setting is.
func (r *Results) NoisyRun(run Run, viaBaseline bool) bool {
	if run.Noise.Flagged() {
		return true
	}
	v, ok := r.Variant(run.Variant)
	if !viaBaseline || !ok || v.Baseline {
		return false
	}
	for _, b := range r.Runs {
		if b.Round != run.Round || b.Error != "" || b.Warmup != run.Warmup {
			continue
		}
		if bv, ok := r.Variant(b.Variant); ok && bv.Baseline && bv.Stats == v.Stats && b.Noise.Flagged() {
			return true
		}
	}
	return false
}

// FlaggedRuns returns the measured runs of the variant named name whose
// own noise figures are flagged, in round order.
func (r *Results) FlaggedRuns(name string) []Run {
	var out []Run
	for _, run := range r.RunsOf(name) {
		if run.Noise.Flagged() {
			out = append(out, run)
		}
	}
	return out
}

// HasNoise tells whether any run of r has noise figures (results files
// written before benchctl measured them have none).
func (r *Results) HasNoise() bool {
	for _, run := range r.Runs {
		if run.Noise != nil {
			return true
		}
	}
	return false
}

// NoiseSummary is the noise of one variant's measured runs.
type NoiseSummary struct {
	// Runs is the number of measured runs with noise figures; Flagged
	// the number of those above a threshold.
	Runs, Flagged int
	// Medians over those runs.
	StealPct, OutsidePct, Load1 float64
	// MaxStealPct and MaxOutsidePct are the largest values.
	MaxStealPct, MaxOutsidePct float64
}

// SummarizeNoise summarizes the noise of the variant named name; Runs is
// 0 when no measured run has noise figures.
func (r *Results) SummarizeNoise(name string) NoiseSummary {
	var s NoiseSummary
	var steal, outside, load []float64
	for _, run := range r.RunsOf(name) {
		n := run.Noise
		if n == nil {
			continue
		}
		s.Runs++
		if n.Flagged() {
			s.Flagged++
		}
		steal = append(steal, n.StealPct)
		outside = append(outside, n.OutsidePct)
		load = append(load, n.Load1)
		s.MaxStealPct = math.Max(s.MaxStealPct, n.StealPct)
		s.MaxOutsidePct = math.Max(s.MaxOutsidePct, n.OutsidePct)
	}
	s.StealPct, s.OutsidePct, s.Load1 = median(steal), median(outside), median(load)
	return s
}

// median is the sample's median, 0 for none.
func median(xs []float64) float64 {
	m, err := mstats.Median(xs) // copies before sorting
	if err != nil {
		return 0
	}
	return m
}

// VerdictNoisy is the verdict of a gated figure that regresses over all
// runs but not once the runs flagged as noisy are left out: the
// regression is not called (it does not fail the gate), and the output
// says to measure again on a quiet machine.
const VerdictNoisy Verdict = "noisy"

// RowNoise is what noise does to one gated figure: how many of each
// side's values come from noisy runs (see NoisyRun) and, when the figure
// regresses, the comparison without them.
type RowNoise struct {
	BaseNoisy, HeadNoisy int
	// Clean is the comparison without the noisy values and CleanVerdict
	// its verdict; set only when the comparison of all values is a
	// regression.
	Clean        *Delta
	CleanVerdict Verdict
}

// againstBaseline tells whether measure m is measured against the
// baseline run of the round: the overhead and every other "_change".
func againstBaseline(m Measure) bool {
	return m.Key == "overhead" || strings.HasSuffix(m.Key, "_change")
}

// noisySample reads measure m from the measured runs of the variant named
// name, as Sample does, and returns the values of the runs that noise
// does not touch (see NoisyRun) and how many values it does.
func (r *Results) noisySample(name string, m Measure) (clean []float64, noisy int) {
	v, _ := r.Variant(name)
	viaBaseline := againstBaseline(m)
	for _, run := range r.RunsOf(name) {
		x, ok := m.Value(v, run)
		if !ok || math.IsNaN(x) || math.IsInf(x, 0) {
			continue
		}
		if r.NoisyRun(run, viaBaseline) {
			noisy++
			continue
		}
		clean = append(clean, x)
	}
	return clean, noisy
}

// applyNoise checks a gated row against noise: when either sample holds
// values of noisy runs it records how many, and a regression that does
// not stay one without them becomes VerdictNoisy.
func applyNoise(row *GateRow, base, head *Results, alpha float64) {
	bClean, bNoisy := base.noisySample(row.Variant, row.Measure)
	hClean, hNoisy := head.noisySample(row.Variant, row.Measure)
	if bNoisy == 0 && hNoisy == 0 {
		return
	}
	row.Noise = &RowNoise{BaseNoisy: bNoisy, HeadNoisy: hNoisy}
	if row.Verdict != VerdictRegression {
		return
	}
	clean := CompareSamples(bClean, hClean, alpha)
	cleanRow := GateRow{Measure: row.Measure, Threshold: row.Threshold, Delta: clean}
	row.Noise.Clean = &clean
	row.Noise.CleanVerdict = verdict(clean.Significant, cleanRow.Change(), row.Threshold)
	if row.Noise.CleanVerdict != VerdictRegression {
		row.Verdict = VerdictNoisy
	}
}

// NoisyRows returns the rows whose regression was not called because it
// rests on noisy runs.
func (c *Comparison) NoisyRows() []GateRow { return c.rowsWith(VerdictNoisy) }

// noiseWarnings says, per side, how many measured runs were flagged and
// which, for Comparison.Warnings.
func noiseWarnings(base, head *Results) []string {
	var w []string
	for _, f := range []struct {
		side string
		r    *Results
	}{{"base", base}, {"head", head}} {
		var flagged []string
		n := 0
		for _, v := range f.r.Variants {
			for _, run := range f.r.FlaggedRuns(v.Name) {
				n++
				if len(flagged) < 4 {
					flagged = append(flagged, fmt.Sprintf("%s round %d (%s)", run.Variant, run.Round, strings.Join(run.Noise.Flags(), ", ")))
				}
			}
		}
		if n == 0 {
			continue
		}
		if n > len(flagged) {
			flagged = append(flagged, fmt.Sprintf("and %d more", n-len(flagged)))
		}
		w = append(w, fmt.Sprintf("%s is noisy: %d of %d measured runs flagged (steal > %g%% or CPU outside benchctl > %g%%): %s; "+
			"a regression seen only with them is not called",
			f.side, n, len(f.r.Measured()), NoiseStealPct, NoiseOutsidePct, strings.Join(flagged, "; ")))
	}
	return w
}

// --- Sampling ---

// cpuTimes is the "cpu" line of /proc/stat: the whole machine's time in
// each state, in USER_HZ ticks. Guest time is already inside user and
// nice, so it is not added again.
type cpuTimes struct {
	User, Nice, System, Idle, IOWait, IRQ, SoftIRQ, Steal uint64
}

func (c cpuTimes) total() uint64 {
	return c.User + c.Nice + c.System + c.Idle + c.IOWait + c.IRQ + c.SoftIRQ + c.Steal
}

// busy is the time spent running something. With tick-based accounting
// (no CONFIG_IRQ_TIME_ACCOUNTING), irq and softirq ticks are also charged
// to the task they interrupted, so they belong to busy time as they do
// to that task's CPU time.
func (c cpuTimes) busy() uint64 { return c.User + c.Nice + c.System + c.IRQ + c.SoftIRQ }

// parseProcStat reads the aggregate "cpu" line of /proc/stat.
func parseProcStat(data []byte) (cpuTimes, error) {
	for _, line := range bytes.Split(data, []byte("\n")) {
		f := strings.Fields(string(line))
		if len(f) == 0 || f[0] != "cpu" {
			continue
		}
		// cpu user nice system idle iowait irq softirq steal guest guest_nice
		if len(f) < 9 {
			return cpuTimes{}, fmt.Errorf("parsing /proc/stat: cpu line has %d fields, want at least 8 values (steal)", len(f)-1)
		}
		var v [8]uint64
		for i := range v {
			x, err := strconv.ParseUint(f[i+1], 10, 64)
			if err != nil {
				return cpuTimes{}, fmt.Errorf("parsing /proc/stat: bad value %q", f[i+1])
			}
			v[i] = x
		}
		return cpuTimes{User: v[0], Nice: v[1], System: v[2], Idle: v[3], IOWait: v[4], IRQ: v[5], SoftIRQ: v[6], Steal: v[7]}, nil
	}
	return cpuTimes{}, errors.New("parsing /proc/stat: no cpu line")
}

// parseLoadavg returns the 1-minute load average of /proc/loadavg.
func parseLoadavg(data []byte) (float64, error) {
	f := strings.Fields(string(data))
	if len(f) < 3 {
		return 0, fmt.Errorf("parsing /proc/loadavg: %q", strings.TrimSpace(string(data)))
	}
	l, err := strconv.ParseFloat(f[0], 64)
	if err != nil {
		return 0, fmt.Errorf("parsing /proc/loadavg: bad load %q", f[0])
	}
	return l, nil
}

// pidStat is what noise needs of /proc/<pid>/stat: the parent, and the
// CPU time of the process (all its threads) and of its reaped children,
// in USER_HZ ticks.
type pidStat struct {
	PPID                         int
	UTime, STime, CUTime, CSTime uint64
}

func (p pidStat) cpu() uint64 { return p.UTime + p.STime + p.CUTime + p.CSTime }

// parsePidStat parses /proc/<pid>/stat. The command name, in
// parentheses, may hold spaces and parentheses: fields are counted from
// the last ")".
func parsePidStat(data []byte) (pidStat, error) {
	s := string(data)
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return pidStat{}, errors.New("parsing pid stat: no command name")
	}
	// After ")": state(3) ppid(4) pgrp session tty_nr tpgid flags minflt
	// cminflt majflt cmajflt utime(14) stime(15) cutime(16) cstime(17).
	f := strings.Fields(s[i+1:])
	if len(f) < 15 {
		return pidStat{}, fmt.Errorf("parsing pid stat: %d fields after the name", len(f))
	}
	ppid, err := strconv.Atoi(f[1])
	if err != nil {
		return pidStat{}, fmt.Errorf("parsing pid stat: bad ppid %q", f[1])
	}
	var t [4]uint64
	for k := range t {
		// cutime and cstime are signed in the kernel's format (long).
		x, err := strconv.ParseInt(f[11+k], 10, 64)
		if err != nil {
			return pidStat{}, fmt.Errorf("parsing pid stat: bad time %q", f[11+k])
		}
		t[k] = uint64(max(x, 0))
	}
	return pidStat{PPID: ppid, UTime: t[0], STime: t[1], CUTime: t[2], CSTime: t[3]}, nil
}

// parseClkTck finds AT_CLKTCK (17) in an auxiliary vector of native-endian
// 64-bit pairs; 0 when it is not there.
func parseClkTck(auxv []byte) uint64 {
	const atClkTck = 17
	for i := 0; i+16 <= len(auxv); i += 16 {
		k := binary.NativeEndian.Uint64(auxv[i:])
		v := binary.NativeEndian.Uint64(auxv[i+8:])
		if k == 0 {
			break
		}
		if k == atClkTck {
			return v
		}
	}
	return 0
}

// userHZ is the unit of /proc/stat and /proc/<pid>/stat times:
// sysconf(_SC_CLK_TCK), which the C library takes from the auxiliary
// vector; 100 (what every Linux architecture uses) when it cannot be read.
func userHZ() float64 {
	if auxv, err := os.ReadFile("/proc/self/auxv"); err == nil {
		if hz := parseClkTck(auxv); hz > 0 {
			return float64(hz)
		}
	}
	return 100
}

// noiseCgroup is a cgroup benchctl controls during a run: its CPU time,
// and the processes in it (left out of the process-tree walk, so that
// they are not counted twice).
type noiseCgroup interface {
	CPUSeconds() (float64, error)
	Pids() ([]int, error)
}

// noiseSample is one reading, at the start or the end of a run.
type noiseSample struct {
	at   time.Time
	cpu  cpuTimes
	load float64
	// own is benchctl's process (getrusage RUSAGE_SELF: every thread,
	// the consumer's and the built-in generator's included) plus its
	// reaped children (RUSAGE_CHILDREN) plus its live descendants outside
	// its cgroups; cgroups is the CPU time of those cgroups. Seconds.
	own, cgroups float64
}

// noiseMeter measures the noise of one run: start before the workload
// runs, end right after it returns.
//
// The workloads do not run in cgroups (only an external tracer does):
// redis-server, redis-benchmark and a command workload are counted as
// benchctl's descendants through /proc/<pid>/stat (their own time and
// that of the children they reaped), the built-in syscall generator and
// the consumer as threads of benchctl. What they cannot cover is counted
// as outside: a process a workload daemonized away from benchctl's tree
// (reparented to init), and kernel threads working for the workload
// (kworkers, ksoftirqd), whose time is charged to them, not to it.
type noiseMeter struct {
	hz      float64
	self    int
	cgroups []noiseCgroup
	start   noiseSample
	err     error
}

// startNoise takes the first reading. It never fails the run: a meter
// that cannot read gives no figures.
func startNoise(cgroups ...noiseCgroup) *noiseMeter {
	m := &noiseMeter{hz: userHZ(), self: os.Getpid(), cgroups: cgroups}
	m.start, m.err = m.sample()
	return m
}

// end takes the second reading and returns the run's noise, nil when
// either reading failed.
func (m *noiseMeter) end() *Noise {
	if m == nil || m.err != nil {
		return nil
	}
	end, err := m.sample()
	if err != nil {
		return nil
	}
	n := computeNoise(m.start, end, m.hz)
	n.Attributed = "benchctl process tree"
	if len(m.cgroups) > 0 {
		n.Attributed += ", tracer cgroup"
	}
	return n
}

func (m *noiseMeter) sample() (noiseSample, error) {
	s := noiseSample{at: time.Now()}
	data, err := os.ReadFile("/proc/stat")
	if err != nil {
		return s, err
	}
	if s.cpu, err = parseProcStat(data); err != nil {
		return s, err
	}
	if data, err = os.ReadFile("/proc/loadavg"); err != nil {
		return s, err
	}
	if s.load, err = parseLoadavg(data); err != nil {
		return s, err
	}
	skip := map[int]bool{}
	for _, cg := range m.cgroups {
		secs, err := cg.CPUSeconds()
		if err != nil {
			return s, err
		}
		s.cgroups += secs
		pids, _ := cg.Pids()
		for _, p := range pids {
			skip[p] = true
		}
	}
	// Reaped children first, then the live ones: a child reaped in
	// between is missed rather than counted twice.
	var self, children unix.Rusage
	if err := unix.Getrusage(unix.RUSAGE_SELF, &self); err != nil {
		return s, fmt.Errorf("reading own CPU time: %w", err)
	}
	if err := unix.Getrusage(unix.RUSAGE_CHILDREN, &children); err != nil {
		return s, fmt.Errorf("reading children's CPU time: %w", err)
	}
	s.own = tvSeconds(self.Utime) + tvSeconds(self.Stime) + tvSeconds(children.Utime) + tvSeconds(children.Stime)
	s.own += float64(descendantsCPU(m.self, skip)) / m.hz
	return s, nil
}

func tvSeconds(tv unix.Timeval) float64 { return float64(tv.Sec) + float64(tv.Usec)/1e6 }

// descendantsCPU adds up the CPU time (own and reaped children's, in
// ticks) of the live descendants of root, leaving out the processes in
// skip and everything under them.
func descendantsCPU(root int, skip map[int]bool) uint64 {
	ents, err := os.ReadDir("/proc")
	if err != nil {
		return 0
	}
	children := map[int][]int{}
	stats := map[int]pidStat{}
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || pid == root {
			continue
		}
		data, err := os.ReadFile(filepath.Join("/proc", e.Name(), "stat"))
		if err != nil {
			continue // gone
		}
		ps, err := parsePidStat(data)
		if err != nil {
			continue
		}
		stats[pid] = ps
		children[ps.PPID] = append(children[ps.PPID], pid)
	}
	return treeCPU(root, children, stats, skip)
}

// treeCPU adds up the CPU time of root's descendants in stats (root's own
// is not included), not descending into skip.
func treeCPU(root int, children map[int][]int, stats map[int]pidStat, skip map[int]bool) uint64 {
	var sum uint64
	queue := append([]int(nil), children[root]...)
	seen := map[int]bool{root: true}
	for len(queue) > 0 {
		pid := queue[0]
		queue = queue[1:]
		if seen[pid] || skip[pid] {
			continue
		}
		seen[pid] = true
		sum += stats[pid].cpu()
		queue = append(queue, children[pid]...)
	}
	return sum
}

// computeNoise turns two readings into a run's noise figures.
func computeNoise(a, b noiseSample, hz float64) *Noise {
	d := func(x, y uint64) float64 {
		if y < x {
			return 0
		}
		return float64(y-x) / hz
	}
	n := &Noise{
		WallSeconds:   b.at.Sub(a.at).Seconds(),
		TotalSeconds:  d(a.cpu.total(), b.cpu.total()),
		BusySeconds:   d(a.cpu.busy(), b.cpu.busy()),
		StealSeconds:  d(a.cpu.Steal, b.cpu.Steal),
		IOWaitSeconds: d(a.cpu.IOWait, b.cpu.IOWait),
		OwnSeconds:    math.Max(0, (b.own-a.own)+(b.cgroups-a.cgroups)),
		Load1:         b.load,
	}
	n.OutsideSeconds = math.Max(0, n.BusySeconds-n.OwnSeconds)
	if n.TotalSeconds > 0 {
		n.StealPct = 100 * n.StealSeconds / n.TotalSeconds
		n.OutsidePct = 100 * n.OutsideSeconds / n.TotalSeconds
	}
	return n
}

// tracerCgroup is an external tracer's cgroup, for noiseMeter.
type tracerCgroup struct{ t *workloads.Tracer }

func (c tracerCgroup) CPUSeconds() (float64, error) {
	u, err := c.t.Usage()
	return u.UserSeconds + u.SystemSeconds, err
}

func (c tracerCgroup) Pids() ([]int, error) { return c.t.Pids() }

// flaggedCount is the number of measured runs flagged as noisy.
func (r *Results) flaggedCount() int {
	n := 0
	for _, run := range r.Measured() {
		if run.Noise.Flagged() {
			n++
		}
	}
	return n
}
