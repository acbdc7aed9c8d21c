package probes

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/cilium/ebpf"
	"golang.org/x/sys/unix"
)

const statsSysctl = "/proc/sys/kernel/bpf_stats_enabled"

// Stats methods, as recorded in results files.
const (
	StatsEnableStats = "BPF_ENABLE_STATS"
	StatsSysctl      = "sysctl"
)

// EnableStats turns on BPF program run-time statistics until the returned
// closer is closed. It uses the fd-scoped BPF_ENABLE_STATS command, which
// the kernel undoes when the fd closes (even if benchctl is killed), and
// falls back to the kernel.bpf_stats_enabled sysctl only where that command
// is missing, restoring the sysctl's old value on Close.
func EnableStats() (closer io.Closer, method string, err error) {
	c, err := ebpf.EnableStats(uint32(unix.BPF_STATS_RUN_TIME))
	if err == nil {
		return c, StatsEnableStats, nil
	}
	if errors.Is(err, unix.EPERM) || errors.Is(err, unix.EACCES) {
		return nil, "", fmt.Errorf("enabling BPF stats: %w (%v)", ErrPermission, err)
	}
	old, rerr := os.ReadFile(statsSysctl)
	if rerr != nil {
		return nil, "", fmt.Errorf("enabling BPF stats: %w (and no sysctl fallback: %v)", err, rerr)
	}
	if werr := os.WriteFile(statsSysctl, []byte("1\n"), 0); werr != nil {
		return nil, "", fmt.Errorf("enabling BPF stats: %w (sysctl fallback: %v)", err, werr)
	}
	return sysctlRestorer(strings.TrimSpace(string(old))), StatsSysctl, nil
}

type sysctlRestorer string

func (s sysctlRestorer) Close() error {
	return os.WriteFile(statsSysctl, []byte(string(s)+"\n"), 0)
}

// StatsEnabled reports whether the kernel is collecting program stats now.
func StatsEnabled() bool {
	b, err := os.ReadFile(statsSysctl)
	return err == nil && strings.TrimSpace(string(b)) != "0"
}

// now is time.Now; snapshots use it.
var now = time.Now
