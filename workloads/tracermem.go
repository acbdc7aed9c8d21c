package workloads

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/benchctl/benchctl/internal/cgroupv2"
	"github.com/benchctl/benchctl/internal/memcgv1"
)

// MemorySampleInterval is how often a tracer's memory is sampled while
// it runs, and benchctl's own during a run of its probes.
const MemorySampleInterval = 100 * time.Millisecond

// The methods of TracerUsage.MemoryMethod and of MemorySteady's.
const (
	// MemoryPeakV2: memory.peak of the tracer's cgroup v2 (v2 memory
	// controller on, Linux 5.19+).
	MemoryPeakV2 = "memory.peak"
	// MemoryPeakV1: memory.max_usage_in_bytes of a cgroup v1 memory
	// cgroup the tracer's process tree was born in (memory controller on
	// v1). Same meaning as memory.peak.
	MemoryPeakV1 = "memory.max_usage_in_bytes"
	// MemoryPeakHWMSampled: no memory cgroup; the sum, over every
	// process seen in the tracer's cgroup, of the largest VmHWM read
	// from it, sampled every MemorySampleInterval. It misses a process
	// that lived between two samples and overstates memory that
	// processes share.
	MemoryPeakHWMSampled = "VmHWM_sampled"
	// MemoryPeakHWMOld is the method of files written before the
	// sampler: the largest sum of VmHWM over the processes alive at
	// ready and at the stop signal. It missed every process that exited
	// before (issue 33: a child's 64 MiB).
	MemoryPeakHWMOld = "VmHWM"

	ResidentV2    = "memory.current"
	ResidentV1    = "memory.usage_in_bytes"
	ResidentVmRSS = "VmRSS" // sum over the processes
	AnonV2        = "memory.stat:anon"
	AnonV1        = "memory.stat:total_rss"
	AnonRssAnon   = "RssAnon" // sum over the processes
)

// MemorySteady is resident memory sampled over a window (the workload's):
// the mean and the largest sample, with how they were read, and the same
// for anonymous memory. Zero values mean not measured.
type MemorySteady struct {
	MeanBytes, MaxBytes uint64
	Samples             int
	Method              string
	AnonMeanBytes       uint64
	AnonMaxBytes        uint64
	AnonMethod          string
}

// tracerMemory samples a tracer's memory: its cgroup's (v2 or v1) where
// the kernel keeps one, and each process's VmHWM, VmRSS and RssAnon.
type tracerMemory struct {
	cg *cgroupv2.Cgroup
	v1 *memcgv1.Group // the v1 memory cgroup its tree was born in; nil when none
	v2 bool           // the v2 cgroup has memory.current
	// noCgroup says why the tracer has no memory cgroup (neither v2
	// memory controller nor a v1 memory cgroup).
	noCgroup string

	mu     sync.Mutex
	hwm    map[int]uint64 // largest VmHWM seen, per pid
	steady *steadyAcc     // nil outside a window
	stop   chan struct{}
	done   chan struct{}
}

type steadyAcc struct {
	n, anonN         int
	sum, anonSum     float64
	max, anonMax     uint64
	method, anonMeth string
}

// newTracerMemory decides where a tracer's memory is read: its v2
// cgroup's memory files when the v2 memory controller is on, else a v1
// memory cgroup of the same name, made here (the caller forks the tracer
// into it with join), else only its processes' /proc status.
func newTracerMemory(cg *cgroupv2.Cgroup) *tracerMemory {
	m := &tracerMemory{cg: cg, hwm: map[int]uint64{}, stop: make(chan struct{}), done: make(chan struct{})}
	if _, ok, err := cg.MemoryCurrent(); err == nil && ok {
		m.v2 = true
		return m
	}
	g, err := memcgv1.New(filepath.Base(cg.Path))
	if err != nil {
		m.noCgroup = fmt.Sprintf("no v2 memory controller, and no v1 memory cgroup: %v", err)
		return m
	}
	m.v1 = g
	return m
}

// join is startLocked's hook: the forking thread joins the v1 memory
// cgroup, if there is one. When it cannot, the tracer still starts,
// without a memory cgroup (its peak is then sampled, and says so).
func (m *tracerMemory) join() func(tid int) (func() error, error) {
	if m.v1 == nil {
		return nil
	}
	return func(tid int) (func() error, error) {
		back, err := m.v1.Join(tid)
		if err != nil {
			_ = m.v1.Close()
			m.v1 = nil
			m.noCgroup = fmt.Sprintf("no v2 memory controller, and the v1 memory cgroup could not be joined: %v", err)
			return nil, nil
		}
		return back, nil
	}
}

// run samples every MemorySampleInterval until close.
func (m *tracerMemory) run() {
	defer close(m.done)
	tick := time.NewTicker(MemorySampleInterval)
	defer tick.Stop()
	for {
		m.sample()
		select {
		case <-m.stop:
			return
		case <-tick.C:
		}
	}
}

// close stops the sampler (once) and waits for it.
func (m *tracerMemory) close() {
	select {
	case <-m.stop:
	default:
		close(m.stop)
	}
	<-m.done
}

// remove removes the v1 memory cgroup, once its tasks are gone.
func (m *tracerMemory) remove() error {
	if m.v1 == nil {
		return nil
	}
	return m.v1.Close()
}

// sample reads each process's VmHWM (keeping the largest per pid) and,
// inside a steady window, the resident and anonymous memory.
func (m *tracerMemory) sample() {
	pids, _ := m.cg.Procs()
	var rss, anon uint64
	hwms := make(map[int]uint64, len(pids))
	for _, pid := range pids {
		st := readProcMemory(pid)
		hwms[pid] = st.hwm
		rss += st.rss
		anon += st.anon
	}
	m.mu.Lock()
	for pid, v := range hwms {
		m.hwm[pid] = max(m.hwm[pid], v)
	}
	acc := m.steady
	m.mu.Unlock()
	if acc == nil {
		return
	}
	res, resMethod := rss, ResidentVmRSS
	an, anMethod := anon, AnonRssAnon
	switch {
	case m.v2:
		if v, ok, err := m.cg.MemoryCurrent(); err == nil && ok {
			res, resMethod = v, ResidentV2
		}
		if v, ok, err := m.cg.MemoryAnon(); err == nil && ok {
			an, anMethod = v, AnonV2
		}
	case m.v1 != nil:
		if v, err := m.v1.Current(); err == nil {
			res, resMethod = v, ResidentV1
		}
		if v, err := m.v1.Anon(); err == nil {
			an, anMethod = v, AnonV1
		}
	}
	if len(pids) == 0 && resMethod == ResidentVmRSS {
		return // nothing to read: not a sample of zero
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.steady != acc {
		return
	}
	acc.n++
	acc.sum += float64(res)
	acc.max = max(acc.max, res)
	acc.method = resMethod
	acc.anonN++
	acc.anonSum += float64(an)
	acc.anonMax = max(acc.anonMax, an)
	acc.anonMeth = anMethod
}

// beginSteady opens a window of resident memory samples and takes one.
func (m *tracerMemory) beginSteady() {
	m.mu.Lock()
	m.steady = &steadyAcc{}
	m.mu.Unlock()
	m.sample()
}

// endSteady takes one more sample, closes the window and returns what it
// saw.
func (m *tracerMemory) endSteady() MemorySteady {
	m.sample()
	m.mu.Lock()
	acc := m.steady
	m.steady = nil
	m.mu.Unlock()
	if acc == nil || acc.n == 0 {
		return MemorySteady{}
	}
	s := MemorySteady{
		MeanBytes: uint64(acc.sum / float64(acc.n)),
		MaxBytes:  acc.max,
		Samples:   acc.n,
		Method:    acc.method,
	}
	if acc.anonN > 0 {
		s.AnonMeanBytes = uint64(acc.anonSum / float64(acc.anonN))
		s.AnonMaxBytes = acc.anonMax
		s.AnonMethod = acc.anonMeth
	}
	return s
}

// peak returns the tree's peak memory and how it was read: memory.peak,
// the v1 group's max_usage_in_bytes, or the sum of the sampled VmHWM
// maxima. method is "" and missing says why when there is no figure.
func (m *tracerMemory) peak() (bytes uint64, method, missing string, err error) {
	if v, ok, err := m.cg.MemoryPeak(); err != nil {
		return 0, "", "", err
	} else if ok {
		return v, MemoryPeakV2, "", nil
	}
	if m.v1 != nil {
		v, err := m.v1.Peak()
		if err != nil {
			return 0, "", "", err
		}
		return v, MemoryPeakV1, "", nil
	}
	sum := m.hwmSum()
	if sum == 0 {
		why := m.noCgroup
		if m.v2 {
			why = "the kernel has no memory.peak (Linux 5.19+)"
		}
		return 0, "", why + "; and no process was sampled", nil
	}
	return sum, MemoryPeakHWMSampled, "", nil
}

// hwmSum adds up the largest VmHWM sampled from each process.
func (m *tracerMemory) hwmSum() uint64 {
	m.mu.Lock()
	defer m.mu.Unlock()
	var sum uint64
	for _, v := range m.hwm {
		sum += v
	}
	return sum
}

// procMemory is what /proc/<pid>/status says of a process's memory.
type procMemory struct{ hwm, rss, anon uint64 }

// readProcMemory reads VmHWM, VmRSS and RssAnon of a process; zeros when
// it is gone.
func readProcMemory(pid int) procMemory {
	var m procMemory
	f, err := os.Open("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return m
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), ":")
		if !ok {
			continue
		}
		var dst *uint64
		switch k {
		case "VmHWM":
			dst = &m.hwm
		case "VmRSS":
			dst = &m.rss
		case "RssAnon":
			dst = &m.anon
		default:
			continue
		}
		fields := strings.Fields(v) // "1234 kB"
		if len(fields) == 0 {
			continue
		}
		if kb, err := strconv.ParseUint(fields[0], 10, 64); err == nil {
			*dst = kb * 1024
		}
	}
	return m
}

// SelfMemory samples benchctl's own process: VmHWM (reset at Begin, where
// the kernel allows it) and VmRSS, for the memory of its consumer beside
// an external tracer's.
type SelfMemory struct {
	stop, done chan struct{}
	hwmReset   bool

	mu           sync.Mutex
	n            int
	sum, anonSum float64
	hwm, anonMax uint64
}

// SelfMemoryStats is what a SelfMemory saw.
type SelfMemoryStats struct {
	// PeakBytes is VmHWM at the end of the window, reset at its start
	// (Reset says whether the reset worked: otherwise it is the
	// process's peak since it started, an upper bound).
	PeakBytes     uint64
	Reset         bool
	MeanBytes     uint64 // mean of the VmRSS samples
	AnonMeanBytes uint64 // mean of the RssAnon samples
	AnonMaxBytes  uint64 // largest RssAnon sample
	Samples       int
}

// StartSelfMemory returns the Go heap's free memory to the kernel (so
// that what earlier runs left is not counted as this one's), resets this
// process's VmHWM to its VmRSS (writing 5 to /proc/self/clear_refs,
// Linux 4.0+) and samples VmRSS every MemorySampleInterval until Stop.
func StartSelfMemory() *SelfMemory {
	s := &SelfMemory{stop: make(chan struct{}), done: make(chan struct{})}
	debug.FreeOSMemory()
	s.hwmReset = os.WriteFile("/proc/self/clear_refs", []byte("5"), 0) == nil
	go func() {
		defer close(s.done)
		tick := time.NewTicker(MemorySampleInterval)
		defer tick.Stop()
		for {
			s.sample()
			select {
			case <-s.stop:
				return
			case <-tick.C:
			}
		}
	}()
	return s
}

func (s *SelfMemory) sample() {
	m := readProcMemory(os.Getpid())
	if m.rss == 0 {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.n++
	s.sum += float64(m.rss)
	s.anonSum += float64(m.anon)
	s.anonMax = max(s.anonMax, m.anon)
	s.hwm = max(s.hwm, m.hwm)
}

// Stop takes a last sample, stops sampling and returns what it saw. It
// is idempotent.
func (s *SelfMemory) Stop() SelfMemoryStats {
	select {
	case <-s.stop:
	default:
		close(s.stop)
	}
	<-s.done
	s.sample()
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.n == 0 {
		return SelfMemoryStats{}
	}
	return SelfMemoryStats{
		PeakBytes:     s.hwm,
		Reset:         s.hwmReset,
		MeanBytes:     uint64(s.sum / float64(s.n)),
		AnonMeanBytes: uint64(s.anonSum / float64(s.n)),
		AnonMaxBytes:  s.anonMax,
		Samples:       s.n,
	}
}
