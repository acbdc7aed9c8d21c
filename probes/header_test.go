package probes

import (
	"encoding/binary"
	"errors"
	"os"
	"runtime"
	"testing"
	"time"

	"github.com/cilium/ebpf/ringbuf"
	"golang.org/x/sys/unix"
)

// TestHeaderOnTheWire reads raw records straight from the rings (no
// decoder) after this thread made getppid calls with exit_only tracing
// it, and checks every header field at the decoder's offsets against a
// second source: ts between two CLOCK_MONOTONIC readings taken around the
// calls, tid and tgid from gettid and getpid, len the record's own
// length, type getppid's merged type, nparams 2 (res and the raw args of
// the generic filler), and the parameter lengths adding up to len.
func TestHeaderOnTheWire(t *testing.T) {
	requireKernel(t)
	p, err := Load(Config{Mode: ModeExitOnly, Syscalls: []string{"getppid"}})
	if err != nil {
		t.Fatalf("loading: %+v", err)
	}
	defer p.Close()
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	tid, pid := unix.Gettid(), unix.Getpid()
	t0 := monotonicNs()
	const calls = 5
	for range calls {
		unix.Getppid()
	}
	t1 := monotonicNs()
	if err := p.Detach(); err != nil {
		t.Fatal(err)
	}
	found := 0
	for cpu, m := range p.rings {
		r, err := ringbuf.NewReader(m)
		if err != nil {
			t.Fatalf("ring of CPU %d: %v", cpu, err)
		}
		r.SetDeadline(time.Now())
		for {
			rec, err := r.Read()
			if errors.Is(err, os.ErrDeadlineExceeded) {
				break
			}
			if err != nil {
				t.Fatal(err)
			}
			raw := rec.RawSample
			le := binary.LittleEndian
			if len(raw) < HeaderLen || le.Uint32(raw[8:]) != uint32(tid) {
				continue
			}
			found++
			if ts := le.Uint64(raw[0:]); ts < t0 || ts > t1 {
				t.Errorf("ts %d outside the calls' window %d..%d", ts, t0, t1)
			}
			if tgid := le.Uint32(raw[12:]); tgid != uint32(pid) {
				t.Errorf("tgid %d, want %d", tgid, pid)
			}
			if n := le.Uint32(raw[16:]); n != uint32(len(raw)) {
				t.Errorf("len field %d, record of %d bytes", n, len(raw))
			}
			if typ := le.Uint16(raw[20:]); typ != EventType(nr(t, "getppid"), KindMerged) {
				t.Errorf("type %d, want getppid's merged type %d", typ, EventType(nr(t, "getppid"), KindMerged))
			}
			nparams := le.Uint32(raw[22:])
			if nparams != 2 {
				t.Fatalf("nparams %d, want 2 (res, args)", nparams)
			}
			sum := HeaderLen + 2*int(nparams)
			for i := range int(nparams) {
				sum += int(le.Uint16(raw[HeaderLen+2*i:]))
			}
			if sum != len(raw) {
				t.Errorf("header + lengths + payloads = %d, record of %d bytes", sum, len(raw))
			}
		}
		r.Close()
	}
	if found != calls {
		t.Errorf("%d records of this thread, want %d", found, calls)
	}
}
