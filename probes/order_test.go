package probes

import (
	"fmt"
	"math/rand/v2"
	"os"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/benchctl/benchctl/probes/syscalls"
)

// TestOrdererRounds feeds the orderer what two rings yield over three
// drain passes when a thread moves from CPU 0 to CPU 1 inside a syscall,
// and checks what each release may emit. The expected lists are worked
// out from the rule (emit below the pass start minus the window), not
// from a run of the code.
func TestOrdererRounds(t *testing.T) {
	ev := func(ts uint64, dir string) syscalls.Event { return syscalls.Event{Ts: ts, Dir: dir, Syscall: "read"} }
	var o orderer
	var out []string
	emit := func(e syscalls.Event) { out = append(out, fmt.Sprintf("%d%s", e.Ts, e.Dir[:2])) }

	// Pass 1 starts at 1000: ring 0 is empty when read, then the thread
	// enters at 1100 on CPU 0, blocks, wakes on CPU 1 and exits at 2100;
	// ring 1, read last, yields an older event of another thread and the
	// exit.
	o.add(1, ev(900, "exit"))
	o.add(1, ev(2100, "exit"))
	o.release(1000-50, emit)
	if want := "[900ex]"; fmt.Sprint(out) != want {
		t.Fatalf("pass 1 emitted %v, want %v: only 900 is below 950, the exit at 2100 waits", out, want)
	}
	// Pass 2 starts at 2500 and reads the enter from ring 0, and more
	// from both rings.
	o.add(0, ev(1100, "enter"))
	o.add(0, ev(2200, "enter"))
	o.add(0, ev(2600, "enter"))
	o.add(1, ev(2150, "exit"))
	o.release(2500-50, emit)
	if want := "[900ex 1100en 2100ex 2150ex 2200en]"; fmt.Sprint(out) != want {
		t.Fatalf("pass 2 emitted %v, want %v", out, want)
	}
	if o.held() != 1 {
		t.Fatalf("%d events held after pass 2, want 1 (2600)", o.held())
	}
	// An event exactly at the bound waits for the next pass; one that a
	// ring yields out of order (a preempted program) is still put in
	// place; a flush (stop) releases everything.
	out = nil
	o.add(1, ev(3000, "exit"))
	o.add(1, ev(2950, "exit"))
	o.release(3000, emit)
	if want := "[2600en 2950ex]"; fmt.Sprint(out) != want {
		t.Fatalf("pass 3 emitted %v, want %v", out, want)
	}
	o.release(^uint64(0), emit)
	if want := "[2600en 2950ex 3000ex]"; fmt.Sprint(out) != want {
		t.Fatalf("flush emitted %v, want %v", out, want)
	}
	if o.held() != 0 {
		t.Fatalf("orderer still holds %d events after a flush", o.held())
	}
}

// inSyscall waits until thread tid of this process is blocked in syscall
// nr, as /proc/self/task/TID/syscall shows it.
func inSyscall(tid int, nr int) error {
	path := fmt.Sprintf("/proc/self/task/%d/syscall", tid)
	prefix := fmt.Sprintf("%d ", nr)
	deadline := time.Now().Add(5 * time.Second)
	for {
		b, err := os.ReadFile(path)
		if err == nil && strings.HasPrefix(string(b), prefix) {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("thread %d is not blocked in syscall %d after 5s: %q %v", tid, nr, b, err)
		}
		time.Sleep(50 * time.Microsecond)
	}
}

func cpuSet(cpu int) *unix.CPUSet {
	var s unix.CPUSet
	s.Set(cpu)
	return &s
}

// migrant is a locked thread that blocks in read(2) on a pipe on demand,
// and the means to move it to another CPU while it blocks.
type migrant struct {
	tid   int
	pipe  [2]int
	start chan struct{}
	done  chan int64
}

func newMigrant(t *testing.T, rounds int) *migrant {
	m := &migrant{start: make(chan struct{}), done: make(chan int64)}
	if err := unix.Pipe2(m.pipe[:], unix.O_CLOEXEC); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { unix.Close(m.pipe[0]); unix.Close(m.pipe[1]) })
	ready := make(chan int)
	go func() {
		// Never unlocked: the thread ends with the goroutine, so no other
		// goroutine's syscalls ever run on it and count as its own.
		runtime.LockOSThread()
		ready <- unix.Gettid()
		defer func() {
			for range m.start {
			}
		}()
		buf := make([]byte, 8)
		for range rounds {
			if _, ok := <-m.start; !ok {
				return
			}
			r, _, errno := unix.Syscall(unix.SYS_READ, uintptr(m.pipe[0]), uintptr(unsafe.Pointer(&buf[0])), uintptr(len(buf)))
			if errno != 0 {
				m.done <- -int64(errno)
				continue
			}
			m.done <- int64(r)
		}
	}()
	m.tid = <-ready
	return m
}

// once makes the thread block in read on CPU from, moves it to CPU to
// while it blocks, and wakes it: its enter event goes to ring from and
// its exit event to ring to. It may run off the test goroutine, so it
// returns its failure.
func (m *migrant) once(from, to int) error {
	if err := unix.SchedSetaffinity(m.tid, cpuSet(from)); err != nil {
		return fmt.Errorf("pinning thread %d to CPU %d: %w", m.tid, from, err)
	}
	m.start <- struct{}{}
	if err := inSyscall(m.tid, unix.SYS_READ); err != nil {
		return err
	}
	if err := unix.SchedSetaffinity(m.tid, cpuSet(to)); err != nil {
		return fmt.Errorf("moving thread %d to CPU %d: %w", m.tid, to, err)
	}
	if _, err := unix.Write(m.pipe[1], []byte{1}); err != nil {
		return err
	}
	select {
	case r := <-m.done:
		if r != 1 {
			return fmt.Errorf("read returned %d, want 1", r)
		}
		return nil
	case <-time.After(5 * time.Second):
		return fmt.Errorf("thread %d did not return from read", m.tid)
	}
}

// TestOrderAcrossCPUs makes a thread move between CPUs while it blocks in
// read(2), so that its enter and exit events land in different CPUs'
// rings, and checks that the consumer delivers each enter before its exit.
// "forced" makes the worst case happen every time: the thread enters
// right after the consumer read ring 0 and exits before it reads ring 1,
// so one drain pass sees the exit and only the next one the enter.
// "free" repeats the move without steering the consumer.
func TestOrderAcrossCPUs(t *testing.T) {
	requireKernel(t)
	if runtime.NumCPU() < 2 {
		t.Skip("moving a thread between CPUs needs two of them")
	}
	for _, forced := range []bool{true, false} {
		name := map[bool]string{true: "forced", false: "free"}[forced]
		t.Run(name, func(t *testing.T) {
			rounds := 40
			if forced {
				rounds = 5
			}
			m := newMigrant(t, rounds)
			defer close(m.start)
			p, err := Load(Config{Mode: ModeEnterExit, Syscalls: []string{"read"}})
			if err != nil {
				t.Fatalf("loading: %+v", err)
			}
			defer p.Close()

			var (
				mu      sync.Mutex
				events  []syscalls.Event
				armed   atomic.Int32 // rounds the hook still has to force
				hookErr = make(chan error, rounds)
			)
			opts := ConsumerOptions{OnEvent: func(ev syscalls.Event) {
				if int(ev.Tid) == m.tid && ev.Syscall == "read" {
					mu.Lock()
					events = append(events, ev)
					mu.Unlock()
				}
			}}
			if forced {
				opts.afterDrain = func(ring int) {
					if ring != 0 || armed.Load() == 0 {
						return
					}
					armed.Add(-1)
					hookErr <- m.once(0, 1)
				}
			}
			c, err := p.StartConsumer(opts)
			if err != nil {
				t.Fatal(err)
			}
			if forced {
				for range rounds {
					armed.Store(1)
					select {
					case err := <-hookErr:
						if err != nil {
							t.Fatal(err)
						}
					case <-time.After(10 * time.Second):
						t.Fatal("the consumer did not run the forced round")
					}
				}
			} else {
				for i := range rounds {
					if err := m.once(i%2, 1-i%2); err != nil {
						t.Fatal(err)
					}
				}
			}
			if err := p.Detach(); err != nil {
				t.Fatal(err)
			}
			if _, err := c.Stop(); err != nil {
				t.Fatal(err)
			}

			mu.Lock()
			defer mu.Unlock()
			// A signal that lands while the thread blocks (the Go runtime
			// sends some) makes the kernel restart the read: an exit with
			// -ERESTARTSYS and a second enter, still in order.
			restarts := map[int64]bool{-512: true, -513: true, -514: true, -516: true, -4: true}
			if len(events)%2 != 0 {
				t.Fatalf("got %d read events of thread %d, an odd number", len(events), m.tid)
			}
			done := 0
			for i := 0; i < len(events); i += 2 {
				e, x := events[i], events[i+1]
				if e.Dir != "enter" || x.Dir != "exit" {
					t.Fatalf("pair %d: got %s (ts %d) then %s (ts %d), want enter then exit", i/2, e.Dir, e.Ts, x.Dir, x.Ts)
				}
				if e.Ts >= x.Ts {
					t.Fatalf("pair %d: enter ts %d not before exit ts %d", i/2, e.Ts, x.Ts)
				}
				if v, _ := e.Param("fd"); v.Val != int64(m.pipe[0]) {
					t.Errorf("pair %d: enter fd = %v, want %d", i/2, v.Val, m.pipe[0])
				}
				switch res, _ := x.Param("res"); {
				case res.Val == int64(1):
					done++
				case !restarts[res.Val.(int64)]:
					t.Errorf("pair %d: read returned %v", i/2, res.Val)
				}
			}
			if done != rounds {
				t.Fatalf("%d reads of thread %d returned a byte, want %d (%d events)", done, m.tid, rounds, len(events))
			}
		})
	}
}

// TestOrdererRandom checks the merge against its definition on random
// input: eight rings, each in timestamp order, released at random bounds.
// Every release must emit exactly the queued events below its bound, and
// all emitted events must come out sorted, none lost or repeated.
func TestOrdererRandom(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for trial := range 200 {
		var o orderer
		var emitted []uint64
		last := make([]uint64, 8)
		queued := map[uint64]bool{}
		ts := uint64(0)
		for pass := range 20 {
			for range rng.IntN(50) {
				ring := rng.IntN(len(last))
				ts += uint64(1 + rng.IntN(5))
				// Unique timestamps, increasing within each ring.
				last[ring] = ts
				queued[ts] = true
				o.add(ring, syscalls.Event{Ts: ts})
			}
			below := uint64(rng.IntN(int(ts) + 10))
			if pass == 19 {
				below = ^uint64(0)
			}
			want := 0
			for q := range queued {
				if q < below {
					want++
				}
			}
			got := 0
			o.release(below, func(e syscalls.Event) {
				if e.Ts >= below || !queued[e.Ts] {
					t.Fatalf("trial %d: emitted %d (bound %d, queued %v)", trial, e.Ts, below, queued[e.Ts])
				}
				delete(queued, e.Ts)
				emitted = append(emitted, e.Ts)
				got++
			})
			if got != want {
				t.Fatalf("trial %d pass %d: emitted %d events below %d, want %d", trial, pass, got, below, want)
			}
		}
		if len(queued) != 0 || o.held() != 0 {
			t.Fatalf("trial %d: %d events never emitted", trial, len(queued))
		}
		if !slices.IsSorted(emitted) {
			t.Fatalf("trial %d: emitted out of order: %v", trial, emitted)
		}
	}
}
