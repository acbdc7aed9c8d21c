package probes

import (
	"bytes"
	"testing"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/benchctl/benchctl/probes/syscalls"
)

// TestSnaplen writes 5000 known bytes to a pipe under each snaplen and
// checks that the write's data parameter holds exactly the first snaplen
// bytes (80 by default; the most a scenario may set is 4096), in both
// modes, while res says all 5000 were written.
func TestSnaplen(t *testing.T) {
	requireKernel(t)
	msg := make([]byte, 5000)
	for i := range msg {
		msg[i] = byte('a' + i%26)
	}
	for _, tc := range []struct {
		snaplen, want int
	}{{0, DefaultSnaplen}, {16, 16}, {1, 1}, {MaxSnaplen, MaxSnaplen}} {
		for _, mode := range []Mode{ModeEnterExit, ModeExitOnly} {
			var p [2]int
			if err := unix.Pipe2(p[:], unix.O_CLOEXEC); err != nil {
				t.Fatal(err)
			}
			// A pipe holds 64 KiB: the write does not block.
			got := capture(t, Config{Mode: mode, Syscalls: []string{"write"}, Snaplen: tc.snaplen}, func() {
				raw(t, unix.SYS_WRITE, uintptr(p[1]), uintptr(unsafe.Pointer(&msg[0])), uintptr(len(msg)))
			})
			unix.Close(p[0])
			unix.Close(p[1])
			var exit *syscalls.Event
			for i := range got.events {
				if ev := &got.events[i]; ev.Syscall == "write" && ev.Dir == "exit" {
					exit = ev
				}
			}
			if exit == nil {
				t.Fatalf("snaplen %d, %s: no write exit event", tc.snaplen, mode)
			}
			res, _ := exit.Param("res")
			data, _ := exit.Param("data")
			b, _ := data.Val.([]byte)
			if res.Val != int64(len(msg)) || !bytes.Equal(b, msg[:tc.want]) {
				t.Errorf("snaplen %d, %s: res %v, %d data bytes %q..., want res %d and the first %d bytes",
					tc.snaplen, mode, res.Val, len(b), b[:min(len(b), 8)], len(msg), tc.want)
			}
		}
	}
}

// TestRingSizeBounded: a ring larger than MaxRingSize is refused, not
// wrapped to 0 in the map's uint32 size.
func TestRingSizeBounded(t *testing.T) {
	for size, ok := range map[int]bool{4096: true, MaxRingSize: true, MaxRingSize * 2: false, 1 << 32: false, 1<<32 + 4096: false, 3000: false} {
		c := Config{Mode: ModeExitOnly, Syscalls: []string{"write"}, RingSize: size}
		if err := c.fill(); (err == nil) != ok {
			t.Errorf("ring size %d: %v, want ok %v", size, err, ok)
		}
	}
}
