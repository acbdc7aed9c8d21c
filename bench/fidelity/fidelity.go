// Package fidelity is the check behind `benchctl verify`. It checks the
// premise of the exit-only design: that one merged exit event says
// exactly what the enter and exit events said. It loads
// enter_exit and one exit_only per TOCTOU option at the same time, so
// every call of the workload is seen by all of them: nothing has to be
// deterministic, and ports, inodes and fds are the same on both sides. It
// then pairs each thread's calls in order and compares the merged event,
// parameter by parameter, with the enter event's parameters and the exit
// event's.
package fidelity

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"math"
	"reflect"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"

	"golang.org/x/sys/unix"

	"github.com/benchctl/benchctl/probes"
	"github.com/benchctl/benchctl/probes/syscalls"
)

// FidelityOptions says what to trace and how to run the workload.
type FidelityOptions struct {
	Syscalls []string
	TOCTOU   []probes.TOCTOU // exit_only options to check; empty: none only
	RingSize int
	Snaplen  int
	// CgroupID restricts events to one cgroup (a command's tree); Keep,
	// when set, keeps only the events it accepts (e.g. one thread).
	CgroupID uint64
	CgroupFD int // the cgroup's directory, required with CgroupID
	Keep     func(ev syscalls.Event) bool
	// MaxEvents bounds the events held per probe set (0:
	// DefaultFidelityMaxEvents): the check holds every event it compares
	// in memory, and a command can make calls without end. Past the cap
	// the calls are not compared, and the report says so.
	MaxEvents int
	// Window, when set, is the thread window of a workload that runs on
	// one of benchctl's threads: the probes are loaded with a thread
	// filter that the window's marks open and close, so the kernel sends
	// that thread's events only (and Window.Keep trims them to the
	// window in userspace). Without it every process's events of the
	// traced syscalls reach userspace, and a busy machine overflows the
	// rings.
	Window *ThreadWindow
}

// DefaultFidelityMaxEvents is FidelityOptions.MaxEvents' default: a
// million decoded events per probe set, a few hundred MB with four sets.
const DefaultFidelityMaxEvents = 1_000_000

// FidelityRow is one syscall's verdict under one exit_only option.
type FidelityRow struct {
	Syscall  string `json:"syscall"`
	Calls    int    `json:"calls"`    // enter_exit calls completed (exit seen)
	Merged   int    `json:"merged"`   // exit_only merged events
	Pairs    int    `json:"pairs"`    // calls compared
	Compared int    `json:"compared"` // parameters compared
	// Mismatches are parameters that differ without a known reason;
	// Explained those that differ for a reason named in Reasons.
	Mismatches int      `json:"mismatches"`
	Explained  int      `json:"explained,omitempty"`
	Extra      []string `json:"extra,omitempty"` // merged-only parameters: no counterpart to compare
	Sample     string   `json:"sample,omitempty"`
	Reasons    []string `json:"reasons,omitempty"`
}

// OK says the row holds no mismatch and as many merged events as calls.
func (r FidelityRow) OK() bool { return r.Mismatches == 0 && r.Calls == r.Merged }

// FidelityReport is the verdict of one check.
type FidelityReport struct {
	Options []probes.TOCTOU                 `json:"toctou"`
	Rows    map[probes.TOCTOU][]FidelityRow `json:"rows"`
	// Drops are events the kernel could not deliver, per probe set: a
	// check with drops is incomplete.
	Drops map[string]uint64 `json:"drops"`
	// Late are events the consumer of a probe set delivered out of
	// timestamp order (probes.ConsumerStats.Late): the pairing of a
	// thread's calls relies on order, so a check with late events is
	// incomplete too.
	Late map[string]uint64 `json:"late,omitempty"`
	// Received are the events each probe set's consumer delivered, Kept
	// those the check kept (its thread window or Keep): with the
	// kernel's thread or cgroup filter the two are close.
	Received map[string]uint64 `json:"received,omitempty"`
	Kept     map[string]uint64 `json:"kept,omitempty"`
	// Capped is the cap on events held per probe set (MaxEvents) when a
	// set reached it; NotCompared are then the events of each set after
	// the earliest set's cap, which were not compared.
	Capped      int               `json:"capped,omitempty"`
	NotCompared map[string]uint64 `json:"not_compared,omitempty"`
}

// Unchecked says why the check could not check everything: a probe set
// dropped events or delivered some out of order. Empty when complete.
func (f *FidelityReport) Unchecked() []string {
	var out []string
	for _, name := range slices.Sorted(maps.Keys(f.Drops)) {
		if d := f.Drops[name]; d > 0 {
			out = append(out, fmt.Sprintf("%s dropped %d events (a larger --ring-size helps)", name, d))
		}
	}
	for _, name := range slices.Sorted(maps.Keys(f.Late)) {
		if n := f.Late[name]; n > 0 {
			out = append(out, fmt.Sprintf("%s delivered %d events out of order (late: stamped before events already delivered; a descheduled vCPU does this)", name, n))
		}
	}
	return out
}

// RowVerdict is r's verdict in f: "ok", "MISMATCH: ..." for a parameter
// that differs or a count that differs in a complete check, or "could not
// check: ..." for a count that differs when events were dropped or late.
func (f *FidelityReport) RowVerdict(r FidelityRow) string {
	switch {
	case r.Mismatches > 0:
		return "MISMATCH: " + r.Sample
	case r.Calls != r.Merged && len(f.Unchecked()) > 0:
		return "could not check: " + r.Sample
	case r.Calls != r.Merged:
		return "MISMATCH: " + r.Sample
	}
	return "ok"
}

// OK says every row of every option is OK, nothing was dropped and
// nothing came late.
func (f *FidelityReport) OK() bool {
	if len(f.Unchecked()) > 0 {
		return false
	}
	for _, rows := range f.Rows {
		for _, r := range rows {
			if !r.OK() {
				return false
			}
		}
	}
	return true
}

// explained names parameters that may differ between the pair and the
// merged event for a reason, by syscall and parameter.
var explained = map[string]map[string]string{
	"sendto": {
		// The enter event reads the socket before the call; a socket
		// the call itself binds (an unbound UDP socket) has no local
		// address at enter.
		"tuple": "a socket the call binds has no local port at enter",
	},
}

// explainedTOCTOU: under toctou none the merged event reads user memory
// at exit; another thread may have rewritten it since the kernel's copy.
var explainedTOCTOU = map[string]bool{"name": true, "addr": true}

// CheckFidelity loads the probe sets, runs work, and compares.
func CheckFidelity(ctx context.Context, o FidelityOptions, work func(context.Context) error) (*FidelityReport, error) {
	opts := o.TOCTOU
	if len(opts) == 0 {
		opts = []probes.TOCTOU{probes.TOCTOUNone}
	}
	maxEvents := o.MaxEvents
	if maxEvents <= 0 {
		maxEvents = DefaultFidelityMaxEvents
	}
	sets := []*probeSet{{name: string(probes.ModeEnterExit)}}
	for _, t := range opts {
		sets = append(sets, &probeSet{name: string(probes.ModeExitOnly) + "/" + string(t), toctou: t})
	}
	defer func() {
		for _, s := range sets {
			s.close()
		}
	}()
	for i, s := range sets {
		if err := s.load(o, i > 0, maxEvents); err != nil {
			return nil, err
		}
	}
	if o.Window != nil {
		o.Window.setFilter(func(tid int) error {
			for _, s := range sets {
				if err := s.p.TraceThread(tid); err != nil {
					return err
				}
			}
			return nil
		})
		defer o.Window.setFilter(nil)
	}
	workErr := work(ctx)
	if o.Window != nil && workErr == nil {
		workErr = o.Window.filterErr()
	}
	rep := &FidelityReport{Options: opts, Rows: map[probes.TOCTOU][]FidelityRow{}, Drops: map[string]uint64{}, Late: map[string]uint64{},
		Received: map[string]uint64{}, Kept: map[string]uint64{}, NotCompared: map[string]uint64{}}
	enterFailed, err := stopSets(sets, rep)
	if err != nil {
		return nil, err
	}
	if workErr != nil {
		return nil, workErr
	}
	cutAtCap(sets, rep, maxEvents)
	table := syscalls.Native()
	for _, s := range sets[1:] {
		rep.Rows[s.toctou] = CompareFidelityWith(table, sets[0].events, s.events, s.toctou, enterFailed)
	}
	return rep, nil
}

// probeSet is one probe set of a check, enter_exit or one exit_only
// option, and the events its consumer delivered.
type probeSet struct {
	name     string
	toctou   probes.TOCTOU
	p        *probes.Probes
	c        *probes.Consumer
	mu       sync.Mutex
	events   []syscalls.Event
	received uint64 // events delivered to userspace, kept or not
	overCap  uint64 // events kept by the filters but not held (MaxEvents)
	capTs    uint64 // the timestamp of the last event held, once capped
}

// load loads and attaches s (exit_only when exitOnly, enter_exit
// otherwise) and starts its consumer, which holds at most maxEvents of the
// events o keeps.
func (s *probeSet) load(o FidelityOptions, exitOnly bool, maxEvents int) error {
	cfg := probes.Config{Mode: probes.ModeEnterExit, Syscalls: o.Syscalls, RingSize: o.RingSize, Snaplen: o.Snaplen, CgroupID: o.CgroupID, CgroupFD: o.CgroupFD,
		ThreadFilter: o.Window != nil}
	if exitOnly {
		cfg.Mode, cfg.TOCTOU = probes.ModeExitOnly, s.toctou
	}
	p, err := probes.Load(cfg)
	if err != nil {
		return fmt.Errorf("loading %s: %w", s.name, err)
	}
	s.p = p
	s.c, err = p.StartConsumer(probes.ConsumerOptions{OnEvent: func(ev syscalls.Event) {
		s.received++
		if o.Keep != nil && !o.Keep(ev) {
			return
		}
		if o.Window != nil && !o.Window.Keep(ev) {
			return
		}
		ev.Raw = nil
		s.hold(ev, maxEvents)
	}})
	if err != nil {
		return fmt.Errorf("starting the consumer of %s: %w", s.name, err)
	}
	return nil
}

// hold keeps ev, unless maxEvents are held already.
func (s *probeSet) hold(ev syscalls.Event, maxEvents int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.events) >= maxEvents {
		// Bounded: past the cap nothing more is held, and the calls
		// after the first set's cap are not compared.
		if s.overCap == 0 {
			s.capTs = s.events[len(s.events)-1].Ts
		}
		s.overCap++
		return
	}
	s.events = append(s.events, ev)
}

// close stops the consumer and unloads the probes, whatever is left.
func (s *probeSet) close() {
	if s.c != nil {
		s.c.Stop()
	}
	if s.p != nil {
		s.p.Close()
	}
}

// stopSets detaches every set, then reads each set's counters and stops
// its consumer, into rep. It returns enter_exit's failed path reads at
// sys_enter, by syscall.
func stopSets(sets []*probeSet, rep *FidelityReport) (map[string]uint64, error) {
	for _, s := range sets {
		if err := s.p.Detach(); err != nil {
			return nil, err
		}
	}
	enterFailed := map[string]uint64{}
	for i, s := range sets {
		snap, err := s.p.Snapshot()
		if err != nil {
			return nil, err
		}
		if i == 0 {
			for key, pr := range snap.Counters.PathReads {
				if name, ok := strings.CutSuffix(key, "_enter"); ok {
					enterFailed[name] += pr.Failed
				}
			}
		}
		us, err := s.c.Stop()
		if err != nil {
			return nil, err
		}
		s.c = nil
		rep.Drops[s.name] = snap.Counters.Drops()
		rep.Late[s.name] = us.Late
		rep.Received[s.name] = s.received
		rep.Kept[s.name] = uint64(len(s.events)) + s.overCap
	}
	return enterFailed, nil
}

// cutAtCap, when a set reached the cap of maxEvents, cuts every set's
// events at about the earliest time a set was capped, and records the
// cap and the events not compared in rep.
func cutAtCap(sets []*probeSet, rep *FidelityReport, maxEvents int) {
	// A set that reached the cap holds the events up to its capTs: compare
	// every set's events up to about the earliest such time only.
	cut := uint64(math.MaxUint64)
	for _, s := range sets {
		if s.overCap > 0 {
			cut = min(cut, s.capTs)
			rep.Capped = maxEvents
		}
	}
	if rep.Capped > 0 {
		// Cut right before an enter event of enter_exit: each probe set
		// stamps a call's exit at its own time, so a cut between a
		// call's exits would keep it on one side only; a thread's next
		// enter comes after every set's exit of its call before.
		for i := len(sets[0].events) - 1; i >= 0; i-- {
			if e := sets[0].events[i]; e.Dir == "enter" && e.Ts <= cut {
				cut = e.Ts - 1
				break
			}
		}
	}
	for _, s := range sets {
		n := 0
		for n < len(s.events) && s.events[n].Ts <= cut {
			n++
		}
		if n < len(s.events) {
			rep.NotCompared[s.name] = uint64(len(s.events)-n) + s.overCap
		} else if s.overCap > 0 {
			rep.NotCompared[s.name] = s.overCap
		}
		s.events = s.events[:n]
	}
}

// call is one syscall a thread made, as enter_exit saw it.
type call struct {
	enter, exit *syscalls.Event
}

// CompareFidelity pairs each thread's calls of each syscall in order,
// the enter_exit pairs with the exit_only merged events, and compares
// them. Events must be in timestamp order (as the consumer delivers them).
// No path read failure is known: see CompareFidelityWith.
func CompareFidelity(table *syscalls.Table, pairEvents, mergedEvents []syscalls.Event, toctou probes.TOCTOU) []FidelityRow {
	return CompareFidelityWith(table, pairEvents, mergedEvents, toctou, nil)
}

// CompareFidelityWith is CompareFidelity with the enter_exit probes' failed
// path reads at sys_enter, by syscall (their kernel counters): a path
// parameter that the enter event sent empty, where the merged event has
// it, is explained as a page not resident yet at sys_enter as many times
// as the kernel counted such failures for that syscall, and no more. Any
// other parameter missing at enter is a mismatch.
func CompareFidelityWith(table *syscalls.Table, pairEvents, mergedEvents []syscalls.Event, toctou probes.TOCTOU, enterPathFailed map[string]uint64) []FidelityRow {
	calls, merged := pairCalls(pairEvents), mergedCalls(mergedEvents)
	keys := map[callKey]bool{}
	for k := range calls {
		keys[k] = true
	}
	for k := range merged {
		keys[k] = true
	}
	c := comparison{table: table, toctou: toctou, pathFailsLeft: maps.Clone(enterPathFailed),
		rows: map[string]*FidelityRow{}, reasons: map[string]map[string]bool{}}
	for k := range keys {
		r := c.row(k.syscall)
		cs, ms := calls[k], merged[k]
		r.Calls += len(cs)
		r.Merged += len(ms)
		for i := 0; i < len(cs) && i < len(ms); i++ {
			r.Pairs++
			c.compareCall(r, k, i, cs[i], ms[i])
		}
	}
	return c.result()
}

// callKey is one thread's calls of one syscall.
type callKey struct {
	tid     uint32
	syscall string
}

// pairCalls pairs enter_exit's events into calls, in order, per thread
// and syscall. A call whose enter event is missing has only its exit.
func pairCalls(events []syscalls.Event) map[callKey][]call {
	calls := map[callKey][]call{}
	inflight := map[uint32]*syscalls.Event{}
	for i := range events {
		ev := &events[i]
		if ev.Dir == "enter" {
			inflight[ev.Tid] = ev
			continue
		}
		c := call{exit: ev}
		if e := inflight[ev.Tid]; e != nil && e.Syscall == ev.Syscall {
			c.enter = e
		}
		delete(inflight, ev.Tid)
		k := callKey{ev.Tid, ev.Syscall}
		calls[k] = append(calls[k], c)
	}
	return calls
}

// mergedCalls are exit_only's merged events, in order, per thread and
// syscall.
func mergedCalls(events []syscalls.Event) map[callKey][]*syscalls.Event {
	merged := map[callKey][]*syscalls.Event{}
	for i := range events {
		ev := &events[i]
		if !ev.Merged {
			continue // toctou enter_event's enter events
		}
		k := callKey{ev.Tid, ev.Syscall}
		merged[k] = append(merged[k], ev)
	}
	return merged
}

// comparison is one CompareFidelityWith: its rows by syscall so far, and
// the reasons of the differences it explained.
type comparison struct {
	table         *syscalls.Table
	toctou        probes.TOCTOU
	pathFailsLeft map[string]uint64
	rows          map[string]*FidelityRow
	reasons       map[string]map[string]bool // by syscall
}

// row is the row of syscall name, made on first use.
func (c *comparison) row(name string) *FidelityRow {
	r := c.rows[name]
	if r == nil {
		r = &FidelityRow{Syscall: name}
		if s, err := c.table.Lookup(name); err == nil {
			r.Extra = extraParams(s)
		}
		c.rows[name] = r
	}
	return r
}

// isPath tells whether param of syscall's enter event is a path.
func (c *comparison) isPath(syscall, param string) bool {
	s, err := c.table.Lookup(syscall)
	if err != nil {
		return false
	}
	for _, p := range s.Enter {
		if p.Name == param {
			return p.Type == syscalls.PTPath
		}
	}
	return false
}

// compareCall compares the i-th call of k, the pair pc, with its merged
// event m, parameter by parameter, into r.
func (c *comparison) compareCall(r *FidelityRow, k callKey, i int, pc call, m *syscalls.Event) {
	for _, side := range []*syscalls.Event{pc.enter, pc.exit} {
		if side == nil {
			continue
		}
		for _, v := range side.Params {
			mv, ok := m.Param(v.Name)
			if !ok {
				continue // only the pair has it: the table test guards this
			}
			r.Compared++
			if reflect.DeepEqual(v.Val, mv.Val) {
				continue
			}
			if reason := c.reason(k.syscall, side == pc.enter, v, mv); reason != "" {
				r.Explained++
				if c.reasons[k.syscall] == nil {
					c.reasons[k.syscall] = map[string]bool{}
				}
				c.reasons[k.syscall][v.Name+": "+reason] = true
				continue
			}
			r.Mismatches++
			if r.Sample == "" {
				r.Sample = fmt.Sprintf("tid %d call %d %s: %s %s=%s, merged %s", k.tid, i+1, v.Name, side.Dir, v.Name, v.Format(), mv.Format())
			}
		}
	}
}

// reason is why parameter v of a call of syscall (of its enter event when
// enter is set) may differ from the merged event's mv; "" when nothing
// explains it.
func (c *comparison) reason(syscall string, enter bool, v, mv syscalls.Value) string {
	if reason := explained[syscall][v.Name]; reason != "" {
		return reason
	}
	if enter && v.Val == nil && mv.Val != nil && c.isPath(syscall, v.Name) && c.pathFailsLeft[syscall] > 0 {
		// bpf_probe_read_user cannot fault a page in: at sys_enter the
		// kernel has not touched it yet. The kernel counted the failed
		// read.
		c.pathFailsLeft[syscall]--
		return "the enter event could not read " + v.Name + " from user memory (page not resident yet at sys_enter; the kernel counted the failed path read)"
	}
	if c.toctou == probes.TOCTOUNone && enter && explainedTOCTOU[v.Name] {
		return "toctou none reads " + v.Name + " from user memory at exit"
	}
	return ""
}

// result is the rows, by syscall, with their reasons sorted and a sample
// for a count that differs.
func (c *comparison) result() []FidelityRow {
	out := make([]FidelityRow, 0, len(c.rows))
	for name, r := range c.rows {
		for reason := range c.reasons[name] {
			r.Reasons = append(r.Reasons, reason)
		}
		sort.Strings(r.Reasons)
		if r.Calls != r.Merged && r.Sample == "" {
			r.Sample = fmt.Sprintf("%d calls completed under enter_exit, %d merged events", r.Calls, r.Merged)
		}
		out = append(out, *r)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Syscall < out[j].Syscall })
	return out
}

// extraParams are the merged event's parameters that neither the enter
// nor the exit event has (Falco 0.25.4 added a few): nothing to compare.
func extraParams(s syscalls.Syscall) []string {
	have := map[string]bool{}
	for _, p := range s.Enter {
		have[p.Name] = true
	}
	for _, p := range s.Exit {
		have[p.Name] = true
	}
	var out []string
	for _, p := range s.Merged {
		if !have[p.Name] {
			out = append(out, p.Name)
		}
	}
	return out
}

// ThreadWindow keeps the events one thread made between two marks: the
// Keep of a check whose workload runs on one of benchctl's own threads
// (that thread runs other goroutines before and after).
type ThreadWindow struct {
	tid, begin, end atomic.Int64

	mu     sync.Mutex
	filter func(tid int) error // the kernel's thread filter, when set
	err    error
}

func (w *ThreadWindow) setFilter(f func(tid int) error) {
	w.mu.Lock()
	w.filter, w.err = f, nil
	w.mu.Unlock()
}

func (w *ThreadWindow) filterErr() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.err
}

// setKernel points the kernel's thread filter at tid (0: none).
func (w *ThreadWindow) setKernel(tid int) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.filter != nil && w.err == nil {
		if err := w.filter(tid); err != nil {
			w.err = fmt.Errorf("setting the kernel's thread filter: %w", err)
		}
	}
}

// NewThreadWindow returns a window that keeps nothing until marked.
func NewThreadWindow() *ThreadWindow {
	w := &ThreadWindow{}
	w.tid.Store(-1)
	w.end.Store(math.MaxInt64)
	return w
}

// Mark opens (start) or closes the window on thread tid, now, and with a
// kernel filter (FidelityOptions.Window) opens or closes that too: after
// the window's start, before its end, so that the kernel sends no event
// the window would not keep.
func (w *ThreadWindow) Mark(tid int, start bool) {
	now := func() int64 {
		var ts unix.Timespec
		unix.ClockGettime(unix.CLOCK_MONOTONIC, &ts) // bpf_ktime_get_ns's clock; vDSO, no syscall
		return ts.Nano()
	}
	if start {
		w.begin.Store(now())
		w.tid.Store(int64(tid))
		w.setKernel(tid)
	} else {
		w.setKernel(0)
		w.end.Store(now())
	}
}

// Keep says whether ev is the thread's and inside the window.
func (w *ThreadWindow) Keep(ev syscalls.Event) bool {
	ts := int64(ev.Ts)
	return int64(ev.Tid) == w.tid.Load() && ts >= w.begin.Load() && ts <= w.end.Load()
}

// ErrFidelity is returned (wrapped) when a check found a mismatch.
var ErrFidelity = errors.New("merged events differ from enter+exit")

// ErrFidelityUnchecked is returned (wrapped) when a check found no
// mismatch but could not check everything (Unchecked).
var ErrFidelityUnchecked = errors.New("could not check every call")

// Mismatches counts the rows whose parameters differ, or whose counts
// differ in a complete check.
func (f *FidelityReport) Mismatches() int {
	n := 0
	for _, rows := range f.Rows {
		for _, r := range rows {
			if strings.HasPrefix(f.RowVerdict(r), "MISMATCH") {
				n++
			}
		}
	}
	return n
}
