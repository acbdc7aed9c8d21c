package probes

import (
	"fmt"
	"runtime"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/benchctl/benchctl/probes/syscalls"
)

// TestOrdererCountsLate: an event that reaches the orderer after an event
// stamped later than it was released (its program was descheduled between
// bpf_ktime_get_ns and the ring write for longer than the reorder window)
// is delivered out of order. The orderer must count it; events stamped
// after everything released so far are not late.
func TestOrdererCountsLate(t *testing.T) {
	ev := func(ts uint64) syscalls.Event { return syscalls.Event{Ts: ts, Dir: "exit", Syscall: "read"} }
	var o orderer
	var out []uint64
	emit := func(e syscalls.Event) { out = append(out, e.Ts) }
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
// caller's: while the caller burns CPU, what the consumer's figure grows
// by fits in what the process's other threads used (the process's CPU
// less the caller's burn), which holds however slow the machine is (a
// TCG guest makes the consumer's idle polling costly); and Stop's figure
// is at least the last reading.
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
	processCPU := func() time.Duration {
		var ru unix.Rusage
		if err := unix.Getrusage(unix.RUSAGE_SELF, &ru); err != nil {
			t.Fatal(err)
		}
		return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
	}
	runtime.LockOSThread()
	c0, p0, start := c.CPU(), processCPU(), threadCPU()
	for threadCPU()-start < 200*time.Millisecond {
	}
	burned := threadCPU() - start
	got, p1 := c.CPU(), processCPU()
	runtime.UnlockOSThread()
	others := p1 - p0 - burned
	// getrusage and the thread clocks tick apart: a few ms of slack.
	if got <= 0 || got-c0 > others+5*time.Millisecond {
		t.Errorf("consumer CPU grew by %v while the caller burned %v and the other threads used %v: want the consumer's own figure", got-c0, burned, others)
	}
	st, err := c.Stop()
	if err != nil {
		t.Fatal(err)
	}
	if st.CPUSeconds < got.Seconds() {
		t.Errorf("Stop's CPU %.6fs below an earlier reading %v", st.CPUSeconds, got)
	}
}
