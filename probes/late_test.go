package probes

import (
	"fmt"
	"testing"
)

// TestOrdererCountsLate: an event that reaches the orderer after an event
// stamped later than it was released (its program was descheduled between
// bpf_ktime_get_ns and the ring write for longer than the reorder window)
// is delivered out of order. The orderer must count it; events stamped
// after everything released so far are not late.
func TestOrdererCountsLate(t *testing.T) {
	ev := func(ts uint64) Event { return Event{Ts: ts, Dir: "exit", Syscall: "read"} }
	var o orderer
	var out []uint64
	emit := func(e Event) { out = append(out, e.Ts) }
	o.add(0, ev(900))
	o.add(1, ev(1200))
	o.release(1000, emit)
	if o.late != 0 {
		t.Fatalf("late = %d before anything came late", o.late)
	}
	o.add(1, ev(800)) // older than 900, already emitted: late
	o.add(0, ev(950)) // newer than everything emitted: in time
	o.add(0, ev(901))
	o.release(^uint64(0), emit)
	if o.late != 1 {
		t.Fatalf("late = %d, want 1 (only 800 came after 900 was emitted); emitted %v", o.late, out)
	}
	if want := "[900 800 901 950 1200]"; fmt.Sprint(out) != want {
		t.Fatalf("emitted %v, want %v", out, want)
	}
}
