package bench

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/benchctl/benchctl/bench/results"
	"github.com/benchctl/benchctl/probes"
)

func TestCollectEnvironmentFromFixtures(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	saved := []*string{&osReleaseFile, &cpuInfoFile, &memInfoFile, &cpuOnlineFile, &clockSourceFile}
	old := make([]string, len(saved))
	for i, p := range saved {
		old[i] = *p
	}
	oldConfig := kernelConfigFiles
	t.Cleanup(func() {
		for i, p := range saved {
			*p = old[i]
		}
		kernelConfigFiles = oldConfig
	})
	kernelConfigFiles = []string{write("config", "CONFIG_TICK_CPU_ACCOUNTING=y\nCONFIG_IRQ_TIME_ACCOUNTING=y\n")}
	osReleaseFile = write("osrelease", "6.18.0-test\n")
	cpuInfoFile = write("cpuinfo", "processor\t: 0\nvendor_id\t: AuthenticAMD\nmodel name\t: AMD EPYC 7B13\n\nprocessor\t: 1\nmodel name\t: AMD EPYC 7B13\n")
	memInfoFile = write("meminfo", "MemTotal:       24684084 kB\nMemFree:         1000 kB\n")
	cpuOnlineFile = write("online", "0-3,6,8-9\n")
	clockSourceFile = write("clocksource", "tsc\n")

	env := CollectEnvironment("1.2.3", "deadbeef")
	want := results.Environment{
		Kernel: "6.18.0-test", Arch: runtime.GOARCH, CPUModel: "AMD EPYC 7B13", CPUs: 7,
		MemoryBytes: 24684084 * 1024, ClockSource: "tsc", BenchctlVersion: "1.2.3", BenchctlCommit: "deadbeef",
		GoVersion: runtime.Version(), CPUAccounting: "tick, irq",
		// The machine's own answer, not a fixture's (TestInstructionsRetired
		// pins how it is worded).
		Instructions: instructionsRetired(probes.CheckPMU()),
	}
	if env.Instructions == "" {
		t.Error("the environment does not say whether instructions retired can be counted")
	}
	env.Hostname, env.Time = "", want.Time
	if env != want {
		t.Errorf("got  %+v\nwant %+v", env, want)
	}

	// arm64 has no "model name".
	cpuInfoFile = write("cpuinfo-arm", "processor\t: 0\nBogoMIPS\t: 50.00\nCPU implementer\t: 0x41\nCPU part\t: 0xd0c\n")
	if got := cpuModel(); got != "implementer 0x41 part 0xd0c" {
		t.Errorf("arm cpu model %q", got)
	}
	// Missing files give zero values, not failures.
	for _, p := range saved {
		*p = filepath.Join(dir, "missing")
	}
	env = CollectEnvironment("v", "")
	if env.Kernel != "" || env.CPUModel != "" || env.MemoryBytes != 0 || env.CPUs != runtime.NumCPU() {
		t.Errorf("with nothing to read: %+v", env)
	}
}

func TestCollectEnvironmentHere(t *testing.T) {
	env := CollectEnvironment("v", "")
	if runtime.GOOS != "linux" {
		t.Skip("reads /proc and /sys")
	}
	if env.Kernel == "" || env.CPUs < 1 || env.MemoryBytes == 0 || env.Time.IsZero() {
		t.Errorf("environment %+v", env)
	}
}

// TestInstructionsRetired: what the environment records of CheckPMU's
// answer names the errno, and says when it means there is no PMU.
func TestInstructionsRetired(t *testing.T) {
	for _, c := range []struct {
		err  error
		want string
	}{
		{nil, "available"},
		{fmt.Errorf("%w (perf_event_open: %w)", probes.ErrNoPMU, unix.ENOENT), "not available: ENOENT (no hardware PMU)"},
		{fmt.Errorf("opening an instructions counter: %w", unix.EACCES), "not available: EACCES (permission denied)"},
		{errors.New("odd"), "not available: odd"},
	} {
		if got := instructionsRetired(c.err); got != c.want {
			t.Errorf("instructionsRetired(%v) = %q, want %q", c.err, got, c.want)
		}
	}
}

func TestCPUAccounting(t *testing.T) {
	old := kernelConfigFiles
	defer func() { kernelConfigFiles = old }()
	dir := t.TempDir()
	for _, tc := range []struct{ config, want string }{
		{"CONFIG_TICK_CPU_ACCOUNTING=y\n# CONFIG_IRQ_TIME_ACCOUNTING is not set\nCONFIG_PARAVIRT_TIME_ACCOUNTING=y\n", "tick, paravirt steal"},
		{"CONFIG_VIRT_CPU_ACCOUNTING_GEN=y\nCONFIG_IRQ_TIME_ACCOUNTING=y\n", "virt-gen, irq"},
	} {
		f := filepath.Join(dir, "config")
		if err := os.WriteFile(f, []byte(tc.config), 0o644); err != nil {
			t.Fatal(err)
		}
		kernelConfigFiles = []string{f}
		if got := CPUAccounting(); got != tc.want {
			t.Errorf("%q: %q, want %q", tc.config, got, tc.want)
		}
	}
	kernelConfigFiles = []string{filepath.Join(dir, "none")}
	if got := CPUAccounting(); got != "" {
		t.Errorf("no config: %q", got)
	}
}
