package probes

import (
	"fmt"
	"runtime"
	"testing"
	"time"
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

// TestConsumerCPU: Consumer.CPU reads the consumer thread's clock, not the
// caller's: while the caller burns CPU and no event comes, the consumer's
// figure stays small, and Stop's figure is at least the last reading.
func TestConsumerCPU(t *testing.T) {
	requireKernel(t)
	p, err := Load(Config{Mode: ModeExitOnly, Syscalls: []string{"getppid"}})
	if err != nil {
		t.Fatalf("loading: %+v", err)
	}
	defer p.Close()
	c, err := p.StartConsumer(ConsumerOptions{})
	if err != nil {
		t.Fatal(err)
	}
	runtime.LockOSThread()
	start := threadCPU()
	for threadCPU()-start < 200*time.Millisecond {
	}
	runtime.UnlockOSThread()
	got := c.CPU()
	if got <= 0 || got >= 100*time.Millisecond {
		t.Errorf("consumer CPU %v while the caller burned 200ms and no event came: want the consumer's own, small figure", got)
	}
	st, err := c.Stop()
	if err != nil {
		t.Fatal(err)
	}
	if st.CPUSeconds < got.Seconds() {
		t.Errorf("Stop's CPU %.6fs below an earlier reading %v", st.CPUSeconds, got)
	}
}
