package probes

import (
	"errors"
	"fmt"
	"unsafe"

	"golang.org/x/sys/unix"
)

// ErrNoPMU is returned (wrapped) by CheckPMU on a machine whose CPUs
// expose no hardware performance counters (most VMs, this reference
// machine among them): instructions retired cannot be counted.
var ErrNoPMU = errors.New("no hardware PMU: instructions retired cannot be counted")

// CheckPMU tries to open a hardware instructions counter for this
// thread (perf_event_open, PERF_COUNT_HW_INSTRUCTIONS, user and kernel)
// and closes it at once. It says whether instructions retired could be
// counted here; the error wraps ErrNoPMU when the kernel has no
// hardware PMU (ENOENT, EOPNOTSUPP) and says what else refused.
func CheckPMU() error {
	attr := unix.PerfEventAttr{
		Type:   unix.PERF_TYPE_HARDWARE,
		Config: unix.PERF_COUNT_HW_INSTRUCTIONS,
		Size:   uint32(unsafe.Sizeof(unix.PerfEventAttr{})),
		Bits:   unix.PerfBitDisabled,
	}
	fd, err := unix.PerfEventOpen(&attr, 0, -1, -1, unix.PERF_FLAG_FD_CLOEXEC)
	switch {
	case err == nil:
		unix.Close(fd)
		return nil
	case errors.Is(err, unix.ENOENT) || errors.Is(err, unix.EOPNOTSUPP) || errors.Is(err, unix.ENODEV):
		return fmt.Errorf("%w (perf_event_open: %w)", ErrNoPMU, err)
	}
	return fmt.Errorf("opening an instructions counter: %w", err)
}
