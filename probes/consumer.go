package probes

import (
	"errors"
	"fmt"
	"math"
	"os"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/cilium/ebpf/ringbuf"
	"golang.org/x/sys/unix"

	"github.com/benchctl/benchctl/probes/syscalls"
)

// ConsumerOptions configure the ring-buffer consumer.
type ConsumerOptions struct {
	// OnEvent, when set, receives every event decoded, in timestamp order
	// across all CPUs' rings (see ReorderWindow); it runs on the consumer
	// goroutine and must not keep ev.Raw. Without it events are only
	// counted, and nothing is held back.
	OnEvent func(ev syscalls.Event)
	// Idle is how long the consumer sleeps when every ring buffer was
	// empty (default 1ms). The programs submit with BPF_RB_NO_WAKEUP, as
	// Falco's driver does, so the consumer polls.
	Idle time.Duration
	// ReorderWindow bounds the time between a program stamping an event
	// and reserving its place in the ring (default 1ms, far above the few
	// hundred ns it takes unless an interrupt lands in between). A decoded
	// event is held until every ring is known to hold nothing older than
	// its timestamp plus this window. See orderer.
	ReorderWindow time.Duration
	// Cost is per-event work beside draining (see ConsumerCost): a
	// stateful cost decodes and orders every event, as OnEvent does.
	Cost ConsumerCost

	// afterDrain, for tests, runs after each ring is read to its end.
	afterDrain func(ring int)
}

// Consumer drains every CPU's ring buffer while a workload runs.
type Consumer struct {
	opts    ConsumerOptions
	readers []*ringbuf.Reader
	table   *syscalls.Table
	stop    chan struct{}
	done    chan struct{}
	mu      sync.Mutex
	stats   ConsumerStats
	perType []uint64
	spin    int       // rounds of spinWork per event
	state   *stateful // the stateful cost's tables, or nil
	err     error
	stopped bool
	// tid is the consumer thread's id, once its loop runs; cpu0 its CPU
	// time then, in ns.
	tid  atomic.Int32
	cpu0 atomic.Int64
	up   chan struct{}
}

// StartConsumer starts draining p's ring buffers.
func (p *Probes) StartConsumer(opts ConsumerOptions) (*Consumer, error) {
	if opts.Idle <= 0 {
		opts.Idle = time.Millisecond
	}
	if opts.ReorderWindow <= 0 {
		opts.ReorderWindow = time.Millisecond
	}
	c := &Consumer{
		opts:    opts,
		table:   syscalls.Native(),
		stop:    make(chan struct{}),
		done:    make(chan struct{}),
		perType: make([]uint64, syscalls.MaxSyscallNr*4),
		up:      make(chan struct{}),
	}
	if opts.Cost.Stateful {
		c.state = newStateful()
		user := opts.OnEvent
		c.opts.OnEvent = func(ev syscalls.Event) {
			c.state.event(ev)
			if user != nil {
				user(ev)
			}
		}
	}
	p.mu.Lock()
	for i, m := range p.rings {
		r, err := ringbuf.NewReader(m)
		if err != nil {
			p.mu.Unlock()
			c.closeReaders()
			return nil, fmt.Errorf("opening ring buffer of CPU %d: %w", i, err)
		}
		c.readers = append(c.readers, r)
	}
	p.mu.Unlock()
	go c.loop()
	<-c.up
	return c, nil
}

// CPU is the CPU time (user + system) the consumer's thread has used since
// it started, read from any thread: its CLOCK_THREAD_CPUTIME_ID, through
// the thread's CPU clock id. ConsumerStats.CPUSeconds is the same clock at
// Stop. It does not count the Go runtime's other threads (GC workers,
// sysmon).
func (c *Consumer) CPU() time.Duration {
	var ts unix.Timespec
	// MAKE_THREAD_CPUCLOCK(tid, CPUCLOCK_SCHED) of the kernel.
	clock := int32(^uint32(c.tid.Load())<<3) | 6
	if err := unix.ClockGettime(clock, &ts); err != nil {
		return 0 // the thread is gone: Stop's figure holds
	}
	return time.Duration(ts.Nano() - c.cpu0.Load())
}

func (c *Consumer) closeReaders() {
	for _, r := range c.readers {
		r.Close()
	}
}

// monotonicNs reads CLOCK_MONOTONIC, the clock of bpf_ktime_get_ns.
func monotonicNs() uint64 {
	var ts unix.Timespec
	if err := unix.ClockGettime(unix.CLOCK_MONOTONIC, &ts); err != nil {
		return 0
	}
	return uint64(ts.Nano())
}

// orderer delivers events from several per-CPU rings in timestamp order,
// the way perf orders its per-CPU buffers. Within one ring, events come in
// the order their places were reserved; across rings a thread that moved
// to another CPU inside a syscall leaves its enter event in one ring and
// its exit event in another, and the consumer can read the second ring
// after the exit was written but the first before the enter was. So the
// consumer keeps a mark per ring, a time before which that ring can yield
// nothing more (the start of its last visit that read it to its end, or
// the newest event read from it), and releases only the events older than
// every ring's mark, less the reorder window. Stop releases the rest.
type orderer struct {
	// queues[i][heads[i]:] are ring i's events not yet emitted, in
	// timestamp order.
	queues [][]syscalls.Event
	heads  []int
	// out is the timestamp of the newest event emitted; late counts the
	// events added with an older timestamp than out: they come out of
	// order (see ConsumerStats.Late).
	out  uint64
	late uint64
}

// add queues ev, read from ring.
func (o *orderer) add(ring int, ev syscalls.Event) {
	if ev.Ts < o.out {
		o.late++
	}
	for len(o.queues) <= ring {
		o.queues = append(o.queues, nil)
		o.heads = append(o.heads, 0)
	}
	q := append(o.queues[ring], ev)
	// A ring is in the order places were reserved, which is timestamp
	// order unless a program was preempted between the two; keep the
	// queue sorted all the same.
	for i := len(q) - 1; i > o.heads[ring] && q[i-1].Ts > q[i].Ts; i-- {
		q[i-1], q[i] = q[i], q[i-1]
	}
	o.queues[ring] = q
}

// release emits, oldest first, every queued event with a timestamp below
// below: a merge of the rings' queues, which are each in order already.
func (o *orderer) release(below uint64, emit func(syscalls.Event)) {
	for {
		// The ring with the oldest head, and the oldest head of the rest.
		best, bestTs, limit := -1, uint64(0), below
		for i, q := range o.queues {
			h := o.heads[i]
			if h == len(q) || q[h].Ts >= below {
				continue
			}
			switch ts := q[h].Ts; {
			case best < 0:
				best, bestTs = i, ts
			case ts < bestTs:
				limit = min(limit, bestTs)
				best, bestTs = i, ts
			default:
				limit = min(limit, ts)
			}
		}
		if best < 0 {
			break
		}
		// Emit from that ring until the others have something older.
		q, h := o.queues[best], o.heads[best]
		o.out = max(o.out, q[h].Ts)
		emit(q[h])
		q[h] = syscalls.Event{}
		for h++; h < len(q) && q[h].Ts < limit; h++ {
			o.out = max(o.out, q[h].Ts)
			emit(q[h])
			q[h] = syscalls.Event{}
		}
		o.heads[best] = h
	}
	for i, q := range o.queues {
		switch h := o.heads[i]; {
		case h == len(q):
			o.queues[i], o.heads[i] = q[:0], 0
		case h > len(q)/2:
			n := copy(q, q[h:])
			clear(q[n:])
			o.queues[i], o.heads[i] = q[:n], 0
		}
	}
}

// last is the timestamp of the newest event queued from ring i, 0 when
// none is queued.
func (o *orderer) last(ring int) uint64 {
	if ring >= len(o.queues) || o.heads[ring] == len(o.queues[ring]) {
		return 0
	}
	q := o.queues[ring]
	return q[len(q)-1].Ts
}

// held counts the events queued and not yet emitted.
func (o *orderer) held() int {
	n := 0
	for i, q := range o.queues {
		n += len(q) - o.heads[i]
	}
	return n
}

func threadCPU() time.Duration {
	var ts unix.Timespec
	if err := unix.ClockGettime(unix.CLOCK_THREAD_CPUTIME_ID, &ts); err != nil {
		return 0
	}
	return time.Duration(ts.Nano())
}

// orderBatch is how many records the consumer reads from one ring before
// it moves to the next when it delivers decoded events: short visits let
// it release events often, so few are held at a time.
const orderBatch = 1024

func (c *Consumer) loop() {
	defer close(c.done)
	// One OS thread, so its CPU time is the consumer's CPU time.
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	cpu0 := threadCPU()
	wait0, waitOK := threadWait()
	c.cpu0.Store(int64(cpu0))
	c.tid.Store(int32(unix.Gettid()))
	close(c.up)
	var (
		rec   ringbuf.Record
		order orderer
		// marks[i]: ring i can no longer yield an event stamped before
		// marks[i] (less the reorder window).
		marks = make([]uint64, len(c.readers))
	)
	ordered := c.opts.OnEvent != nil
	window := uint64(c.opts.ReorderWindow.Nanoseconds())
	for {
		stopping := false
		select {
		case <-c.stop:
			stopping = true
		default:
		}
		got := 0
		for i, r := range c.readers {
			limit := math.MaxInt
			if ordered && !stopping {
				limit = orderBatch
			}
			if !ordered {
				n, _ := c.drain(i, r, &rec, limit, &order)
				got += n
				continue
			}
			// Whatever the ring yields after a visit that reached its end
			// was reserved after the visit began.
			start := monotonicNs()
			n, atEnd := c.drain(i, r, &rec, limit, &order)
			got += n
			if atEnd {
				marks[i] = start
			} else if last := order.last(i); last > marks[i] {
				// The ring is in order: what it still holds is newer.
				marks[i] = last
			}
			if !stopping {
				if below := slices.Min(marks); below > window {
					order.release(below-window, c.opts.OnEvent)
				}
			}
			if c.opts.afterDrain != nil {
				c.opts.afterDrain(i)
			}
		}
		if stopping {
			if ordered {
				order.release(math.MaxUint64, c.opts.OnEvent)
			}
			break
		}
		if got == 0 {
			select {
			case <-c.stop:
			case <-time.After(c.opts.Idle):
			}
		}
	}
	c.stats.CPUSeconds = (threadCPU() - cpu0).Seconds()
	if wait1, ok := threadWait(); ok && waitOK {
		c.stats.WaitSeconds = (wait1 - wait0).Seconds()
	}
	c.stats.Late = order.late
}

// drain reads up to limit records from ring i, counts them and, when
// events are delivered, decodes and queues them. atEnd says it read
// everything the ring held.
func (c *Consumer) drain(i int, r *ringbuf.Reader, rec *ringbuf.Record, limit int, order *orderer) (n int, atEnd bool) {
	r.SetDeadline(time.Now())
	for ; n < limit; n++ {
		// An empty ring is known from its positions alone: ReadInto would
		// ask epoll first, a syscall per ring per pass (and a traced one
		// when epoll_pwait is traced, as benchctl's own).
		if r.AvailableBytes() == 0 {
			return n, true
		}
		err := r.ReadInto(rec)
		if err != nil {
			if !errors.Is(err, os.ErrDeadlineExceeded) {
				c.fail(err)
			}
			return n, true
		}
		raw := rec.RawSample
		c.stats.Events++
		c.stats.Bytes += uint64(len(raw))
		if c.opts.Cost.Spin > 0 {
			spin(c.opts.Cost.Spin)
		}
		if len(raw) >= syscalls.HeaderLen {
			if typ := int(syscalls.RawType(raw)); typ < len(c.perType) {
				c.perType[typ]++
			}
		}
		if c.opts.OnEvent != nil {
			ev, err := c.table.Decode(raw)
			if err != nil {
				c.stats.BadRecords++
				continue
			}
			ev.Raw = nil
			ev.Params = cloneParams(ev.Params)
			order.add(i, ev)
			c.stats.Decoded++
		}
	}
	return n, false
}

// cloneParams copies byte payloads out of the ring record, which is reused.
func cloneParams(ps []syscalls.Value) []syscalls.Value {
	for i, v := range ps {
		if b, ok := v.Val.([]byte); ok {
			ps[i].Val = append([]byte(nil), b...)
		}
	}
	return ps
}

func (c *Consumer) fail(err error) {
	if c.err == nil {
		c.err = fmt.Errorf("reading ring buffer: %w", err)
	}
}

// Stop drains what is left, stops, and returns what was received.
func (c *Consumer) Stop() (ConsumerStats, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.stopped {
		c.stopped = true
		close(c.stop)
		<-c.done
		c.closeReaders()
		c.stats.Cost = describeCost(c.opts.Cost)
		if s := c.state; s != nil {
			c.stats.TablePeak, c.stats.Joined, c.stats.Unmatched, c.stats.Replaced = uint64(s.peak), s.joined, s.unmatched, s.replaced
			c.stats.Threads, c.stats.Fds = uint64(len(s.threads)), uint64(len(s.fds))
		}
		c.stats.PerType = map[string]uint64{}
		for typ, n := range c.perType {
			if n > 0 {
				c.stats.PerType[c.table.TypeName(uint16(typ))] += n
			}
		}
	}
	return c.stats, c.err
}
