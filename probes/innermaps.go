package probes

import (
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/cilium/ebpf"
	"golang.org/x/sys/unix"
)

// InnerMaps finds the maps held only through the maps-of-maps among ids
// (array or hash of maps: a tracer that creates per-CPU ring buffers,
// puts them in an array of maps and closes their fds, as Falco's libpman
// does, holds them only there): their ids, not already in ids, and the
// sum of their memlock. Each map is opened by id only as long as it takes
// to read it: call it while the tracer runs, never while it exits. A map
// gone meanwhile is skipped.
func InnerMaps(ids []uint32) (inner []uint32, memlock uint64, err error) {
	known := map[uint32]bool{}
	for _, id := range ids {
		known[id] = true
	}
	for _, id := range ids {
		m, err := ebpf.NewMapFromID(ebpf.MapID(id))
		if errors.Is(err, unix.ENOENT) || errors.Is(err, os.ErrNotExist) {
			continue
		}
		if err != nil {
			return inner, memlock, fmt.Errorf("opening map %d: %w", id, err)
		}
		if t := m.Type(); t != ebpf.ArrayOfMaps && t != ebpf.HashOfMaps {
			m.Close()
			continue
		}
		var (
			key   = make([]byte, m.KeySize())
			value uint32
		)
		it := m.Iterate()
		for it.Next(&key, &value) {
			if value == 0 || known[value] {
				continue
			}
			known[value] = true
			im, err := ebpf.NewMapFromID(ebpf.MapID(value))
			if err != nil {
				continue // freed meanwhile
			}
			if info, err := im.Info(); err == nil {
				if b, ok := info.Memlock(); ok {
					memlock += b
				}
			}
			im.Close()
			inner = append(inner, value)
		}
		ierr := it.Err()
		m.Close()
		if ierr != nil {
			return inner, memlock, fmt.Errorf("reading map of maps %d: %w", id, ierr)
		}
	}
	return inner, memlock, nil
}

// KernelMemory is what a process tree holds in the kernel through BPF,
// as one figure (Bytes) and its parts.
type KernelMemory struct {
	// Memlock is the fdinfo memlock of the programs and maps it holds by
	// file descriptor (TreeBPF.MemlockBytes): a BPF ring buffer's data
	// pages included (Linux 6.4+).
	Memlock uint64
	// Inner lists the maps held only inside its maps-of-maps (Falco's
	// per-CPU rings), InnerMemlock the sum of their memlock.
	Inner        []uint32
	InnerMemlock uint64
	// PerfBuffers is the size of the perf event ring buffers it mapped
	// (TreeBPF.PerfBufferBytes).
	PerfBuffers uint64
}

// Bytes is the one figure: programs, maps, the maps inside maps of maps
// and the perf buffers.
func (k KernelMemory) Bytes() uint64 { return k.Memlock + k.InnerMemlock + k.PerfBuffers }

// ReadKernelMemory completes what FindBPF read of a process tree with the
// maps held only inside its maps-of-maps (InnerMaps). Call it while the
// tracer is ready, never while it exits: those maps are opened by id.
func ReadKernelMemory(tb TreeBPF) (KernelMemory, error) {
	inner, mem, err := InnerMaps(tb.Maps)
	return KernelMemory{Memlock: tb.MemlockBytes, Inner: inner, InnerMemlock: mem, PerfBuffers: tb.PerfBufferBytes}, err
}

// MemlockIsEstimate tells whether this kernel's memlock figures (fdinfo
// and bpf_map_info) are estimates: before Linux 6.4 a map's memlock was
// computed from its declared sizes rather than counted (a ring buffer's
// showed 0), so they are not compared.
func MemlockIsEstimate() bool {
	var u unix.Utsname
	if err := unix.Uname(&u); err != nil {
		return false
	}
	return releaseBefore(unix.ByteSliceToString(u.Release[:]), 6, 4)
}

// releaseBefore tells whether a kernel release ("6.1.0-57-cloud-amd64")
// is older than major.minor.
func releaseBefore(release string, major, minor int) bool {
	var ma, mi int
	if _, err := fmt.Sscanf(strings.TrimSpace(release), "%d.%d", &ma, &mi); err != nil {
		return false
	}
	return ma < major || ma == major && mi < minor
}
