package fidelity

import (
	"context"
	"os"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/benchctl/benchctl/probes"
	"github.com/benchctl/benchctl/probes/syscalls"
	"github.com/benchctl/benchctl/workloads"
)

func ev(tid uint32, syscall, dir string, merged bool, params ...syscalls.Value) syscalls.Event {
	return syscalls.Event{Tid: tid, Syscall: syscall, Dir: dir, Merged: merged, Params: params}
}

func val(name string, v any) syscalls.Value { return syscalls.Value{Name: name, Val: v} }

// TestCompareFidelity works the pairing and the comparison through by
// hand: two threads, interleaved; one merged parameter that differs; one
// thread's call missing on the merged side.
func TestCompareFidelity(t *testing.T) {
	tbl := syscalls.Native()
	pairs := []syscalls.Event{
		ev(1, "read", "enter", false, val("fd", int64(3)), val("size", uint32(64))),
		ev(2, "close", "enter", false, val("fd", int64(5))),
		ev(1, "read", "exit", false, val("res", int64(2)), val("data", []byte("hi")), val("fd", int64(3)), val("size", uint32(64))),
		ev(2, "close", "exit", false, val("res", int64(0))),
		ev(1, "read", "enter", false, val("fd", int64(3)), val("size", uint32(64))),
		ev(1, "read", "exit", false, val("res", int64(-11)), val("data", nil), val("fd", int64(3)), val("size", uint32(64))),
		ev(2, "close", "enter", false, val("fd", int64(6))),
		ev(2, "close", "exit", false, val("res", int64(0))),
	}
	merged := []syscalls.Event{
		ev(2, "close", "exit", true, val("res", int64(0)), val("fd", int64(5))),
		ev(1, "read", "exit", true, val("res", int64(2)), val("data", []byte("hi")), val("fd", int64(3)), val("size", uint32(64))),
		// The second read's data differs: one mismatch.
		ev(1, "read", "exit", true, val("res", int64(-11)), val("data", []byte("??")), val("fd", int64(3)), val("size", uint32(64))),
		// Thread 2's second close is missing.
	}
	rows := CompareFidelity(tbl, pairs, merged, probes.TOCTOUStash)
	if len(rows) != 2 || rows[0].Syscall != "close" || rows[1].Syscall != "read" {
		t.Fatalf("rows %+v", rows)
	}
	cl, rd := rows[0], rows[1]
	// close: 2 calls, 1 merged, 1 pair; enter fd + exit res = 2 compared.
	if cl.Calls != 2 || cl.Merged != 1 || cl.Pairs != 1 || cl.Compared != 2 || cl.Mismatches != 0 || cl.OK() {
		t.Errorf("close: %+v", cl)
	}
	if !strings.Contains(cl.Sample, "2 calls completed under enter_exit, 1 merged") {
		t.Errorf("close sample %q", cl.Sample)
	}
	// read: 2 pairs, each enter 2 + exit 4 = 12 compared, 1 mismatch.
	if rd.Calls != 2 || rd.Merged != 2 || rd.Pairs != 2 || rd.Compared != 12 || rd.Mismatches != 1 || rd.OK() {
		t.Errorf("read: %+v", rd)
	}
	if !strings.Contains(rd.Sample, "call 2 data") {
		t.Errorf("read sample %q", rd.Sample)
	}
	rep := &FidelityReport{Options: []probes.TOCTOU{probes.TOCTOUStash}, Rows: map[probes.TOCTOU][]FidelityRow{probes.TOCTOUStash: rows}}
	if rep.OK() {
		t.Error("a report with mismatches is OK")
	}
}

// TestCompareFidelityExplained: a path that differs under toctou none is
// explained (read at exit), under stash it is a mismatch.
func TestCompareFidelityExplained(t *testing.T) {
	tbl := syscalls.Native()
	pairs := []syscalls.Event{
		ev(1, "openat", "enter", false, val("dirfd", int64(-100)), val("name", "/a"), val("flags", uint32(0)), val("mode", uint32(0))),
		ev(1, "openat", "exit", false, val("res", int64(3)), val("dirfd", int64(-100)), val("name", "/b"), val("flags", uint32(0)), val("mode", uint32(0)), val("dev", uint32(1)), val("ino", uint64(2))),
	}
	merged := []syscalls.Event{
		ev(1, "openat", "exit", true, val("res", int64(3)), val("dirfd", int64(-100)), val("name", "/b"), val("flags", uint32(0)), val("mode", uint32(0)), val("dev", uint32(1)), val("ino", uint64(2))),
	}
	none := CompareFidelity(tbl, pairs, merged, probes.TOCTOUNone)[0]
	if none.Mismatches != 0 || none.Explained != 1 || len(none.Reasons) != 1 || !none.OK() {
		t.Errorf("toctou none: %+v", none)
	}
	stash := CompareFidelity(tbl, pairs, merged, probes.TOCTOUStash)[0]
	if stash.Mismatches != 1 || stash.OK() {
		t.Errorf("toctou stash: %+v", stash)
	}
}

// kernelFidelitySet skips a test that needs to load probes where it
// cannot, and returns the fidelity workload's syscalls this build's table
// knows.
func kernelFidelitySet(t *testing.T) []string {
	t.Helper()
	if testing.Short() {
		t.Skip("-short runs no probes, no redis and no tracers")
	}
	if os.Geteuid() != 0 {
		t.Skip("loading BPF programs needs root (CI runs as root)")
	}
	if err := probes.CheckEnvironment(); err != nil {
		t.Skip(err)
	}
	var set []string
	for _, n := range workloads.FidelitySyscalls {
		if _, err := syscalls.Lookup(n); err == nil {
			set = append(set, n)
		}
	}
	return set
}

// TestFidelityKernel runs the check for real: every syscall of the
// fidelity workload, every TOCTOU option, all at once.
func TestFidelityKernel(t *testing.T) {
	set := kernelFidelitySet(t)
	win := NewThreadWindow()
	o := FidelityOptions{
		Syscalls: set,
		TOCTOU:   []probes.TOCTOU{probes.TOCTOUNone, probes.TOCTOUStash, probes.TOCTOUEnterEvent},
		Window:   win,
	}
	dir := t.TempDir()
	// Other threads make the traced syscalls all along, as a compiler
	// beside the check does: the kernel's thread filter keeps them out of
	// the rings, so they can neither fill them nor reach userspace.
	var stop atomic.Bool
	var wg sync.WaitGroup
	for range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			runtime.LockOSThread()
			defer runtime.UnlockOSThread()
			buf := make([]byte, 8)
			for !stop.Load() {
				unix.Getpid()
				unix.Read(-1, buf)
				unix.Close(-1)
			}
		}()
	}
	rep, err := CheckFidelity(context.Background(), o, func(context.Context) error {
		return workloads.FidelityCalls(dir, win.Mark)
	})
	stop.Store(true)
	wg.Wait()
	if err != nil {
		t.Fatal(err)
	}
	for name, n := range rep.Received {
		if n == 0 || n != rep.Kept[name] {
			t.Errorf("%s: %d events reached userspace, %d kept: want them equal and non-zero (the kernel filters to the workload's thread)", name, n, rep.Kept[name])
		}
	}
	if len(rep.Received) != 1+len(o.TOCTOU) {
		t.Errorf("received counts for %d probe sets, want %d", len(rep.Received), 1+len(o.TOCTOU))
	}
	for name, n := range rep.Late {
		if n != 0 {
			t.Errorf("%s: %d late events", name, n)
		}
	}
	for _, opt := range o.TOCTOU {
		seen := map[string]FidelityRow{}
		for _, r := range rep.Rows[opt] {
			seen[r.Syscall] = r
			if !r.OK() {
				t.Errorf("toctou %s: %s: %+v", opt, r.Syscall, r)
			}
		}
		for _, n := range set {
			r, ok := seen[n]
			if !ok || r.Pairs == 0 || r.Compared == 0 {
				t.Errorf("toctou %s: %s was not compared: %+v", opt, n, r)
			}
		}
	}
	for name, d := range rep.Drops {
		if d != 0 {
			t.Errorf("%s dropped %d events", name, d)
		}
	}
}

// TestFidelityCouldNotCheck: drops and late events make a check that could
// not check, not a pass and not a mismatch; its rows whose counts differ
// say so instead of MISMATCH.
func TestFidelityCouldNotCheck(t *testing.T) {
	tbl := syscalls.Native()
	pairs := []syscalls.Event{
		ev(1, "close", "enter", false, val("fd", int64(5))),
		ev(1, "close", "exit", false, val("res", int64(0))),
		ev(1, "close", "enter", false, val("fd", int64(6))),
		ev(1, "close", "exit", false, val("res", int64(0))),
	}
	merged := []syscalls.Event{ev(1, "close", "exit", true, val("res", int64(0)), val("fd", int64(5)))}
	rows := CompareFidelity(tbl, pairs, merged, probes.TOCTOUNone)
	base := func() *FidelityReport {
		return &FidelityReport{Options: []probes.TOCTOU{probes.TOCTOUNone}, Rows: map[probes.TOCTOU][]FidelityRow{probes.TOCTOUNone: rows},
			Drops: map[string]uint64{"enter_exit": 0, "exit_only/none": 0}, Late: map[string]uint64{}}
	}
	clean := base()
	if clean.OK() || len(clean.Unchecked()) != 0 {
		t.Fatalf("a missing merged event with no drop and no late event: OK %v, unchecked %v", clean.OK(), clean.Unchecked())
	}
	dropped := base()
	dropped.Drops["exit_only/none"] = 1
	late := base()
	late.Late["enter_exit"] = 2
	for name, rep := range map[string]*FidelityReport{"drops": dropped, "late": late} {
		un := rep.Unchecked()
		if rep.OK() || len(un) != 1 {
			t.Errorf("%s: OK %v, unchecked %v: want not OK and one reason", name, rep.OK(), un)
		}
		if rep.RowVerdict(rows[0]) == "ok" || strings.HasPrefix(rep.RowVerdict(rows[0]), "MISMATCH") {
			t.Errorf("%s: row verdict %q, want could not check", name, rep.RowVerdict(rows[0]))
		}
	}
	if !strings.Contains(late.Unchecked()[0], "2 events") || !strings.Contains(late.Unchecked()[0], "out of order") {
		t.Errorf("late reason %q", late.Unchecked()[0])
	}
	if v := clean.RowVerdict(rows[0]); !strings.HasPrefix(v, "MISMATCH") {
		t.Errorf("clean row verdict %q, want MISMATCH", v)
	}
}

// TestCompareFidelityPathBacked: an enter-side value missing where the
// merged event has one is explained as a page not resident only for a path
// parameter, and only as many times as the kernel counted failed path
// reads at sys_enter for that syscall; an address is a mismatch.
func TestCompareFidelityPathBacked(t *testing.T) {
	tbl := syscalls.Native()
	open := func(name any) syscalls.Event {
		return ev(1, "openat", "enter", false, val("dirfd", int64(-100)), val("name", name), val("flags", uint32(0)), val("mode", uint32(0)))
	}
	openX := ev(1, "openat", "exit", false, val("res", int64(3)), val("dirfd", int64(-100)), val("name", "/p"), val("flags", uint32(0)), val("mode", uint32(0)), val("dev", uint32(1)), val("ino", uint64(2)))
	openM := ev(1, "openat", "exit", true, val("res", int64(3)), val("dirfd", int64(-100)), val("name", "/p"), val("flags", uint32(0)), val("mode", uint32(0)), val("dev", uint32(1)), val("ino", uint64(2)))
	pairs := []syscalls.Event{open(nil), openX, open(nil), openX}
	merged := []syscalls.Event{openM, openM}

	for _, tc := range []struct {
		failed              map[string]uint64
		explained, mismatch int
	}{
		{nil, 0, 2},                            // no counter: nothing backs it
		{map[string]uint64{"openat": 1}, 1, 1}, // one failure counted: one explained
		{map[string]uint64{"openat": 5}, 2, 0},
		{map[string]uint64{"read": 5}, 0, 2}, // another syscall's failures
	} {
		r := CompareFidelityWith(tbl, pairs, merged, probes.TOCTOUStash, tc.failed)[0]
		if r.Explained != tc.explained || r.Mismatches != tc.mismatch {
			t.Errorf("failed reads %v: explained %d, mismatches %d; want %d and %d (%+v)", tc.failed, r.Explained, r.Mismatches, tc.explained, tc.mismatch, r)
		}
	}

	// connect's address (a sockaddr, not a path) empty at enter: a
	// mismatch whatever the path counters say.
	conn := []syscalls.Event{
		ev(1, "connect", "enter", false, val("fd", int64(3)), val("addr", nil)),
		ev(1, "connect", "exit", false, val("res", int64(0)), val("tuple", nil), val("fd", int64(3))),
	}
	connM := []syscalls.Event{ev(1, "connect", "exit", true, val("res", int64(0)), val("tuple", nil), val("fd", int64(3)), val("addr", "127.0.0.1:80"))}
	r := CompareFidelityWith(tbl, conn, connM, probes.TOCTOUStash, map[string]uint64{"connect": 9})[0]
	if r.Explained != 0 || r.Mismatches != 1 {
		t.Errorf("connect addr empty at enter: explained %d, mismatches %d; want 0 and 1 (%+v)", r.Explained, r.Mismatches, r)
	}
}

// TestFidelityBounded: with a cap on the events held per probe set, the
// check holds no more than the cap, compares the calls up to the earliest
// set's cap (no mismatch from the cut), and says how many it left out.
func TestFidelityBounded(t *testing.T) {
	set := kernelFidelitySet(t)
	win := NewThreadWindow()
	o := FidelityOptions{Syscalls: set, TOCTOU: []probes.TOCTOU{probes.TOCTOUStash}, Window: win, MaxEvents: 40}
	dir := t.TempDir()
	rep, err := CheckFidelity(context.Background(), o, func(context.Context) error {
		return workloads.FidelityCalls(dir, win.Mark)
	})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Capped != 40 || rep.NotCompared["enter_exit"] == 0 {
		t.Fatalf("capped %d, not compared %v: want the cap of 40 reached by enter_exit", rep.Capped, rep.NotCompared)
	}
	pairs, calls, merged := 0, 0, 0
	for _, r := range rep.Rows[probes.TOCTOUStash] {
		pairs += r.Pairs
		calls += r.Calls
		merged += r.Merged
		if r.Mismatches != 0 {
			t.Errorf("%s: %+v", r.Syscall, r)
		}
	}
	if pairs == 0 || calls > 20 || merged > 40 {
		t.Errorf("compared %d pairs of %d calls and %d merged events: want some, at most the 20 calls 40 enter_exit events hold", pairs, calls, merged)
	}
	if !rep.OK() {
		t.Errorf("a bounded check with no mismatch is not OK: %+v", rep)
	}
}
