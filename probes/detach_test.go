package probes

import (
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// TestDetachWhileBusy detaches while threads on every CPU keep making the
// traced syscall, three times in each mode, and checks that what the
// consumer received plus what was dropped is exactly what the programs
// attempted: no run that started before the detach may count or send
// after the last snapshot or the last drain.
func TestDetachWhileBusy(t *testing.T) {
	requireKernel(t)
	for _, mode := range []Mode{ModeEnterExit, ModeExitOnly} {
		for i := range 3 {
			p, err := Load(Config{Mode: mode, Syscalls: []string{"getppid"}, RingSize: 1 << 16})
			if err != nil {
				t.Fatalf("loading: %+v", err)
			}
			c, err := p.StartConsumer(ConsumerOptions{})
			if err != nil {
				p.Close()
				t.Fatal(err)
			}
			var stop atomic.Bool
			var wg sync.WaitGroup
			for range 2 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for !stop.Load() {
						unix.Getppid()
					}
				}()
			}
			time.Sleep(20 * time.Millisecond)
			err = p.Detach()
			stop.Store(true)
			wg.Wait()
			if err != nil {
				t.Fatal(err)
			}
			snap, err := p.Snapshot()
			if err != nil {
				t.Fatal(err)
			}
			user, err := c.Stop()
			p.Close()
			if err != nil {
				t.Fatal(err)
			}
			k := snap.Counters
			if user.Events+k.Drops() != k.Attempted {
				t.Fatalf("%s #%d: received %d + dropped %d != attempted %d", mode, i, user.Events, k.Drops(), k.Attempted)
			}
		}
	}
}
