package probes

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/cilium/ebpf"
	"golang.org/x/sys/unix"

	"github.com/benchctl/benchctl/probes/syscalls"
)

func TestStepConfigErrors(t *testing.T) {
	for _, tc := range []struct {
		cfg  Config
		want string
	}{
		{Config{Mode: ModeFloor, Step: StepDispatch}, `step "dispatch" applies to modes enter_exit and exit_only, not floor`},
		{Config{Mode: ModeExitOnly, Step: StepExitSide}, "step exit_side applies to mode enter_exit only, not exit_only"},
		{Config{Mode: ModeExitOnly, Step: StepHeader, TOCTOU: TOCTOUStash}, `step "header" runs no fillers: it takes toctou none, not stash`},
		{Config{Mode: ModeEnterExit, Step: "fast"}, `unknown step "fast"`},
	} {
		if err := tc.cfg.fill(); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%+v: error %v, want %q", tc.cfg, err, tc.want)
		}
	}
	if s, err := ParseStep("full"); err != nil || s != StepFull {
		t.Errorf(`ParseStep("full") = %q, %v`, s, err)
	}
}

// TestAnatomySteps loads every step of both modes, makes n calls of
// open_by_handle_at (which nothing else on the machine calls) and checks
// what each step attaches, what its tail-call tables hold and what it
// sends: nothing before the header step, a header-only event (26 bytes)
// per side at it, full events after it.
func TestAnatomySteps(t *testing.T) {
	requireKernel(t)
	closeStats, _, err := EnableStats()
	if err != nil {
		t.Fatal(err)
	}
	defer closeStats.Close()
	mountFd, handle := fileHandle(t)
	const n = 500
	nr := func() uint32 {
		s, err := syscalls.Lookup("open_by_handle_at")
		if err != nil {
			t.Fatal(err)
		}
		return uint32(s.Nr)
	}()
	type want struct {
		attached     []string
		enter, exit  string // the programs in the tail-call tables ("" none)
		events       uint64 // per call
		headerOnly   bool
		enterPerType bool
	}
	for _, tc := range []struct {
		mode Mode
		step Step
		want want
	}{
		{ModeEnterExit, StepFloor, want{attached: []string{"floor_enter", "floor_exit"}}},
		{ModeExitOnly, StepFloor, want{attached: []string{"floor_exit"}}},
		{ModeEnterExit, StepDispatch, want{attached: []string{"sys_enter", "sys_exit"}}},
		{ModeExitOnly, StepDispatch, want{attached: []string{"sys_exit"}}},
		{ModeEnterExit, StepTailCall, want{attached: []string{"sys_enter", "sys_exit"}, enter: "empty_e", exit: "empty_x"}},
		{ModeExitOnly, StepTailCall, want{attached: []string{"sys_exit"}, exit: "empty_x"}},
		{ModeEnterExit, StepStamp, want{attached: []string{"sys_enter", "sys_exit"}, enter: "header_e", exit: "header_x"}},
		{ModeExitOnly, StepStamp, want{attached: []string{"sys_exit"}, exit: "header_xm"}},
		{ModeEnterExit, StepHeader, want{attached: []string{"sys_enter", "sys_exit"}, enter: "header_e", exit: "header_x", events: 2, headerOnly: true, enterPerType: true}},
		{ModeExitOnly, StepHeader, want{attached: []string{"sys_exit"}, exit: "header_xm", events: 1, headerOnly: true}},
		{ModeEnterExit, StepFull, want{attached: []string{"sys_enter", "sys_exit"}, enter: "open_by_handle_at_e", exit: "open_by_handle_at_x", events: 2, enterPerType: true}},
		{ModeExitOnly, StepFull, want{attached: []string{"sys_exit"}, exit: "open_by_handle_at_xm", events: 1}},
		{ModeEnterExit, StepExitSide, want{attached: []string{"sys_exit"}, exit: "open_by_handle_at_x", events: 1}},
	} {
		name := string(tc.mode) + "/" + string(tc.step)
		if tc.step == StepFull {
			name += "full"
		}
		t.Run(name, func(t *testing.T) {
			p, err := Load(Config{Mode: tc.mode, Step: tc.step, Syscalls: []string{"open_by_handle_at"}})
			if err != nil {
				t.Fatalf("loading: %+v", err)
			}
			defer p.Close()
			var attached []string
			for _, a := range p.attached {
				attached = append(attached, a.name)
			}
			if !slices.Equal(attached, tc.want.attached) {
				t.Errorf("attached %v, want %v", attached, tc.want.attached)
			}
			for table, want := range map[string]string{"enter_fillers": tc.want.enter, "exit_fillers": tc.want.exit} {
				got := ""
				var id ebpf.ProgramID
				if err := p.coll.Maps[table].Lookup(nr, &id); err == nil {
					for name, prog := range p.coll.Programs {
						if info, err := prog.Info(); err == nil {
							if pid, ok := info.ID(); ok && pid == id {
								got = name
							}
						}
					}
				}
				if got != want {
					t.Errorf("%s[open_by_handle_at] = %q, want %q", table, got, want)
				}
			}
			c, err := p.StartConsumer(ConsumerOptions{})
			if err != nil {
				t.Fatal(err)
			}
			openByHandle(t, mountFd, handle, n)
			if err := p.Detach(); err != nil {
				t.Fatal(err)
			}
			snap, err := p.Snapshot()
			if err != nil {
				t.Fatal(err)
			}
			user, err := c.Stop()
			if err != nil {
				t.Fatal(err)
			}
			k := snap.Counters
			if k.Attempted != tc.want.events*n || user.Events != k.Attempted || k.Drops() != 0 {
				t.Errorf("attempted %d, received %d, dropped %d; want %d each received", k.Attempted, user.Events, k.Drops(), tc.want.events*n)
			}
			if tc.want.headerOnly && user.Bytes != 26*user.Events {
				t.Errorf("%d bytes for %d header-only events, want 26 each", user.Bytes, user.Events)
			}
			if !tc.want.headerOnly && user.Events > 0 && user.Bytes <= 26*user.Events {
				t.Errorf("%d bytes for %d full events: no parameters?", user.Bytes, user.Events)
			}
			if got := user.PerType["open_by_handle_at_enter"] > 0; got != tc.want.enterPerType {
				t.Errorf("enter events %v, want %v (per type %v)", got, tc.want.enterPerType, user.PerType)
			}
			for _, ps := range snap.Programs {
				if ps.RunCount < n {
					t.Errorf("%s ran %d times for %d calls", ps.Name, ps.RunCount, n)
				}
			}
		})
	}
}

// TestReserveEvents: with Reserve, generic events (getppid has no filler
// of its own) are written straight into the ring; they must decode to the
// same events, of the same size, as the ones built in the scratch buffer.
// The header step's events stay 26 bytes.
func TestReserveEvents(t *testing.T) {
	requireKernel(t)
	const n = 200
	calls := func() {
		for i := 0; i < n; i++ {
			unix.Getppid()
		}
	}
	for _, mode := range []Mode{ModeEnterExit, ModeExitOnly} {
		t.Run(string(mode), func(t *testing.T) {
			plain := capture(t, Config{Mode: mode, Syscalls: []string{"getppid"}}, calls)
			fast := capture(t, Config{Mode: mode, Syscalls: []string{"getppid"}, Reserve: true}, calls)
			perCall := 1
			if mode == ModeEnterExit {
				perCall = 2
			}
			if len(plain.events) != perCall*n || len(fast.events) != len(plain.events) {
				t.Fatalf("%d events from the scratch buffer, %d reserved; want %d each", len(plain.events), len(fast.events), perCall*n)
			}
			for i := range plain.events {
				a, b := plain.events[i], fast.events[i]
				if a.Syscall != b.Syscall || a.Dir != b.Dir || a.Merged != b.Merged || fmt.Sprint(a.Params) != fmt.Sprint(b.Params) {
					t.Fatalf("event %d: scratch %+v, reserved %+v", i, a, b)
				}
			}
			if a, b := plain.user.Bytes/plain.user.Events, fast.user.Bytes/fast.user.Events; a != b {
				t.Errorf("average event size %d B from the scratch buffer, %d B reserved", a, b)
			}
			if fast.user.BadRecords != 0 {
				t.Errorf("%d malformed reserved records", fast.user.BadRecords)
			}
		})
	}
	mountFd, handle := fileHandle(t)
	p, err := Load(Config{Mode: ModeEnterExit, Step: StepHeader, Reserve: true, Syscalls: []string{"open_by_handle_at"}})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	c, err := p.StartConsumer(ConsumerOptions{})
	if err != nil {
		t.Fatal(err)
	}
	openByHandle(t, mountFd, handle, n)
	p.Detach()
	user, err := c.Stop()
	if err != nil {
		t.Fatal(err)
	}
	if user.Events != 2*n || user.Bytes != 26*2*n || user.PerType["open_by_handle_at_enter"] != n {
		t.Errorf("reserved header-only events: %d events, %d bytes, per type %v; want %d events of 26 bytes", user.Events, user.Bytes, user.PerType, 2*n)
	}
}

// openByHandle opens (and closes) the file of handle n times.
func openByHandle(t *testing.T, mountFd int, handle unix.FileHandle, n int) {
	t.Helper()
	for i := 0; i < n; i++ {
		fd, err := unix.OpenByHandleAt(mountFd, handle, unix.O_RDONLY)
		if err != nil {
			t.Fatal(err)
		}
		unix.Close(fd)
	}
}
