package probes

import (
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"runtime"
	"sort"
	"sync"
	"time"

	"github.com/cilium/ebpf/ringbuf"
	"golang.org/x/sys/unix"
)

// ConsumerOptions configure the ring-buffer consumer.
type ConsumerOptions struct {
	// OnEvent, when set, receives every event decoded, in timestamp order
	// within each drain pass; it runs on the consumer goroutine and must
	// not keep ev.Raw. Without it events are only counted.
	OnEvent func(ev Event)
	// Idle is how long the consumer sleeps when every ring buffer was
	// empty (default 1ms). The programs submit with BPF_RB_NO_WAKEUP, as
	// Falco's driver does, so the consumer polls.
	Idle time.Duration
}

// Consumer drains every CPU's ring buffer while a workload runs.
type Consumer struct {
	opts    ConsumerOptions
	readers []*ringbuf.Reader
	table   *Table
	stop    chan struct{}
	done    chan struct{}
	mu      sync.Mutex
	stats   ConsumerStats
	perType []uint64
	err     error
	stopped bool
}

// StartConsumer starts draining p's ring buffers.
func (p *Probes) StartConsumer(opts ConsumerOptions) (*Consumer, error) {
	if opts.Idle <= 0 {
		opts.Idle = time.Millisecond
	}
	c := &Consumer{
		opts:    opts,
		table:   Native(),
		stop:    make(chan struct{}),
		done:    make(chan struct{}),
		perType: make([]uint64, MaxSyscallNr*4),
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
	return c, nil
}

func (c *Consumer) closeReaders() {
	for _, r := range c.readers {
		r.Close()
	}
}

func threadCPU() time.Duration {
	var ts unix.Timespec
	if err := unix.ClockGettime(unix.CLOCK_THREAD_CPUTIME_ID, &ts); err != nil {
		return 0
	}
	return time.Duration(ts.Nano())
}

func (c *Consumer) loop() {
	defer close(c.done)
	// One OS thread, so its CPU time is the consumer's CPU time.
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	cpu0 := threadCPU()
	var (
		rec     ringbuf.Record
		pending []Event
	)
	for {
		stopping := false
		select {
		case <-c.stop:
			stopping = true
		default:
		}
		got := 0
		for _, r := range c.readers {
			r.SetDeadline(time.Now())
			for {
				err := r.ReadInto(&rec)
				if err != nil {
					if !errors.Is(err, os.ErrDeadlineExceeded) {
						c.fail(err)
					}
					break
				}
				got++
				raw := rec.RawSample
				c.stats.Events++
				c.stats.Bytes += uint64(len(raw))
				if len(raw) >= HeaderLen {
					if typ := int(binary.LittleEndian.Uint16(raw[offType:])); typ < len(c.perType) {
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
					pending = append(pending, ev)
					c.stats.Decoded++
				}
			}
		}
		if len(pending) > 0 {
			sort.SliceStable(pending, func(i, j int) bool { return pending[i].Ts < pending[j].Ts })
			for _, ev := range pending {
				c.opts.OnEvent(ev)
			}
			pending = pending[:0]
		}
		if stopping {
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
}

// cloneParams copies byte payloads out of the ring record, which is reused.
func cloneParams(ps []Value) []Value {
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
		c.stats.PerType = map[string]uint64{}
		for typ, n := range c.perType {
			if n > 0 {
				c.stats.PerType[c.table.TypeName(uint16(typ))] += n
			}
		}
	}
	return c.stats, c.err
}
