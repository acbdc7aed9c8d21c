package noise

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

	"golang.org/x/sys/unix"

	"github.com/benchctl/benchctl/bench/results"
	"github.com/benchctl/benchctl/workloads"
)

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

// parseProcStatCPUs reads the per-CPU "cpuN" lines of /proc/stat, by N.
func parseProcStatCPUs(data []byte) (map[int]cpuTimes, error) {
	out := map[int]cpuTimes{}
	for _, line := range bytes.Split(data, []byte("\n")) {
		f := strings.Fields(string(line))
		if len(f) == 0 || !strings.HasPrefix(f[0], "cpu") || f[0] == "cpu" {
			continue
		}
		n, err := strconv.Atoi(f[0][3:])
		if err != nil {
			continue
		}
		ct, err := parseProcStat([]byte("cpu " + strings.Join(f[1:], " ")))
		if err != nil {
			return nil, fmt.Errorf("%s: %w", f[0], err)
		}
		out[n] = ct
	}
	return out, nil
}

// parseLoadavg returns the 1-minute load average of /proc/loadavg.
func parseLoadavg(data []byte) (float64, error) {
	f := strings.Fields(string(data))
	if len(f) < 3 {
		return 0, fmt.Errorf("parsing /proc/loadavg: %q", strings.TrimSpace(string(data)))
	}
	l, err := workloads.ParseFinite(f[0])
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

// Cgroup is a cgroup benchctl controls during a run: its CPU time,
// and the processes in it (left out of the process-tree walk, so that
// they are not counted twice).
type Cgroup interface {
	CPUSeconds() (float64, error)
	Pids() ([]int, error)
}

// reading is one reading, at the start or the end of a run.
type reading struct {
	at   time.Time
	cpu  cpuTimes
	cpus map[int]cpuTimes
	load float64
	// own is benchctl's process (getrusage RUSAGE_SELF: every thread,
	// the consumer's and the built-in generator's included) plus its
	// reaped children (RUSAGE_CHILDREN) plus its live descendants outside
	// its cgroups; cgroups is the CPU time of those cgroups. Seconds.
	own, cgroups float64
}

// Meter measures the noise of one run: start before the workload
// runs, end right after it returns.
//
// redis-server, redis-benchmark and a command workload run in a cgroup
// of their own (workloads.Cgroup), counted whole, a process they
// daemonized away from benchctl's tree included; the ones benchctl
// reaped are taken out of RUSAGE_CHILDREN, which holds them too. The
// built-in syscall generator and the consumer are threads of benchctl.
// Where there is no cgroup v2 the workload's processes are counted as
// benchctl's descendants through /proc/<pid>/stat (their own time and
// that of the children they reaped). What this cannot cover is counted
// as outside: kernel threads working for the workload (kworkers,
// ksoftirqd), whose time is charged to them, not to it, and without a
// cgroup a process a workload daemonized away from benchctl's tree.
type Meter struct {
	hz float64
	// irqApart is set when the kernel accounts irq time apart from
	// tasks (CONFIG_IRQ_TIME_ACCOUNTING): irq and softirq are then not
	// outside CPU.
	irqApart bool
	self     int
	cgroups  []Cgroup
	start    reading
	err      error
}

// Start takes the first reading. It never fails the run: a meter that
// cannot read gives no figures (Err says why). irqApart says that the
// kernel accounts irq time apart from tasks (CONFIG_IRQ_TIME_ACCOUNTING:
// bench.CPUAccounting has "irq").
func Start(irqApart bool, cgroups ...Cgroup) *Meter {
	m := &Meter{hz: userHZ(), self: os.Getpid(), cgroups: cgroups, irqApart: irqApart}
	m.start, m.err = m.sample()
	return m
}

// Err is why the first reading failed; nil when it did not.
func (m *Meter) Err() error { return m.err }

// End takes the second reading and returns the run's noise, nil when
// either reading failed.
func (m *Meter) End() *results.Noise {
	if m == nil || m.err != nil {
		return nil
	}
	end, err := m.sample()
	if err != nil {
		return nil
	}
	n := computeNoise(m.start, end, m.hz, m.irqApart)
	n.Attributed = "benchctl process tree"
	for _, cg := range m.cgroups {
		switch cg.(type) {
		case *workloads.Cgroup:
			n.Attributed += ", workload cgroup"
		default:
			n.Attributed += ", tracer cgroup"
		}
	}
	return n
}

func (m *Meter) sample() (reading, error) {
	s := reading{at: time.Now()}
	data, err := os.ReadFile("/proc/stat")
	if err != nil {
		return s, err
	}
	if s.cpu, err = parseProcStat(data); err != nil {
		return s, err
	}
	if s.cpus, err = parseProcStatCPUs(data); err != nil {
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
	// A cgroup's processes benchctl reaped (redis-benchmark, a command)
	// are in RUSAGE_CHILDREN and in the cgroup's CPU time: once only.
	for _, cg := range m.cgroups {
		if r, ok := cg.(interface{ ReapedSeconds() float64 }); ok {
			s.own -= r.ReapedSeconds()
		}
	}
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

// computeNoise turns two readings into a run's noise figures. With
// irqApart (IRQ time accounting) irq and softirq time is charged to no
// task and is left out of the busy time compared with benchctl's own.
func computeNoise(a, b reading, hz float64, irqApart bool) *results.Noise {
	d := func(x, y uint64) float64 {
		if y < x {
			return 0
		}
		return float64(y-x) / hz
	}
	n := &results.Noise{
		WallSeconds:    b.at.Sub(a.at).Seconds(),
		TotalSeconds:   d(a.cpu.total(), b.cpu.total()),
		BusySeconds:    d(a.cpu.busy(), b.cpu.busy()),
		StealSeconds:   d(a.cpu.Steal, b.cpu.Steal),
		IOWaitSeconds:  d(a.cpu.IOWait, b.cpu.IOWait),
		IRQSeconds:     d(a.cpu.IRQ, b.cpu.IRQ),
		SoftIRQSeconds: d(a.cpu.SoftIRQ, b.cpu.SoftIRQ),
		OwnSeconds:     math.Max(0, (b.own-a.own)+(b.cgroups-a.cgroups)),
		Load1:          b.load,
	}
	busy := n.BusySeconds
	if irqApart {
		busy = math.Max(0, busy-n.IRQSeconds-n.SoftIRQSeconds)
	}
	n.OutsideSeconds = math.Max(0, busy-n.OwnSeconds)
	if n.TotalSeconds > 0 {
		n.StealPct = 100 * n.StealSeconds / n.TotalSeconds
		n.OutsidePct = 100 * n.OutsideSeconds / n.TotalSeconds
	}
	if n.WallSeconds > 0 {
		n.OutsideCPUs = n.OutsideSeconds / n.WallSeconds
	}
	if len(a.cpus) > 0 && len(b.cpus) > 0 {
		worst := 0.0
		for cpu, x := range a.cpus {
			y, ok := b.cpus[cpu]
			if !ok {
				continue
			}
			total := d(x.total(), y.total())
			steal := d(x.Steal, y.Steal)
			if total <= 0 || (d(x.busy(), y.busy())+steal)/total < results.BusyCPUShare {
				continue
			}
			n.BusyCPUs++
			worst = math.Max(worst, 100*steal/total)
		}
		n.CPUStealPct = &worst
	}
	return n
}

// TracerCgroup is an external tracer's cgroup, for a Meter.
func TracerCgroup(t *workloads.Tracer) Cgroup { return tracerCgroup{t} }

type tracerCgroup struct{ t *workloads.Tracer }

func (c tracerCgroup) CPUSeconds() (float64, error) {
	u, err := c.t.Usage()
	return u.UserSeconds + u.SystemSeconds, err
}

func (c tracerCgroup) Pids() ([]int, error) { return c.t.Pids() }
