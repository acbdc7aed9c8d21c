package bench

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"
	"strconv"
	"strings"
	"time"

	"golang.org/x/sys/unix"

	"github.com/benchctl/benchctl/bench/results"
	"github.com/benchctl/benchctl/probes"
)

// Files the environment is read from; variables so tests can point them
// at fixtures.
var (
	osReleaseFile   = "/proc/sys/kernel/osrelease"
	cpuInfoFile     = "/proc/cpuinfo"
	memInfoFile     = "/proc/meminfo"
	cpuOnlineFile   = "/sys/devices/system/cpu/online"
	clockSourceFile = "/sys/devices/system/clocksource/clocksource0/current_clocksource"
)

// CollectEnvironment describes this machine and this benchctl. version
// and commit come from the binary (commit may be empty); StatsMethod is
// left for the runner, which learns it when it enables stats.
func CollectEnvironment(version, commit string) results.Environment {
	host, _ := os.Hostname()
	return results.Environment{
		Kernel:          readLine(osReleaseFile),
		Arch:            runtime.GOARCH,
		CPUModel:        cpuModel(),
		CPUs:            cpuCount(),
		MemoryBytes:     memTotal(),
		ClockSource:     readLine(clockSourceFile),
		Hostname:        host,
		BenchctlVersion: version,
		BenchctlCommit:  commit,
		GoVersion:       runtime.Version(),
		Time:            time.Now().UTC(),
		Guest:           os.Getenv("BENCHCTL_GUEST"),
		CPUAccounting:   CPUAccounting(),
		Instructions:    instructionsRetired(probes.CheckPMU()),
		Node:            fleetNode(os.Getenv("BENCHCTL_FLEET_NODE")),
	}
}

// fleetNode decodes the node a fleet pod describes in
// BENCHCTL_FLEET_NODE (JSON of results.NodeInfo); nil when unset or
// unreadable: a run is never refused for its description.
func fleetNode(v string) *results.NodeInfo {
	if v == "" {
		return nil
	}
	var n results.NodeInfo
	if err := json.Unmarshal([]byte(v), &n); err != nil || n.Name == "" {
		return nil
	}
	return &n
}

// instructionsRetired says whether instructions retired can be counted
// here, from CheckPMU's answer: "available", or "not available: " with
// the errno perf_event_open gave (ENOENT where there is no hardware PMU,
// as in most VMs) and what it means. benchctl only detects it: it counts
// no instructions yet.
func instructionsRetired(err error) string {
	if err == nil {
		return "available"
	}
	var errno unix.Errno
	switch {
	case errors.As(err, &errno) && errors.Is(err, probes.ErrNoPMU):
		return fmt.Sprintf("not available: %s (no hardware PMU)", unix.ErrnoName(errno))
	case errors.As(err, &errno):
		return fmt.Sprintf("not available: %s (%v)", unix.ErrnoName(errno), errno)
	}
	return "not available: " + err.Error()
}

func readLine(path string) string {
	data, err := os.ReadFile(path)
	if err != nil {
		return ""
	}
	line, _, _ := strings.Cut(string(data), "\n")
	return strings.TrimSpace(line)
}

// cpuModel is the first "model name" of /proc/cpuinfo (x86), or what
// other architectures put in its place.
func cpuModel() string {
	f, err := os.Open(cpuInfoFile)
	if err != nil {
		return ""
	}
	defer f.Close()
	found := map[string]string{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), ":")
		if !ok {
			continue
		}
		k, v = strings.TrimSpace(k), strings.TrimSpace(v)
		if _, seen := found[k]; !seen && v != "" {
			found[k] = v
		}
	}
	for _, k := range []string{"model name", "Model", "Hardware", "cpu model", "Processor"} {
		if v := found[k]; v != "" {
			return v
		}
	}
	if impl, part := found["CPU implementer"], found["CPU part"]; impl != "" {
		return "implementer " + impl + " part " + part
	}
	return ""
}

// cpuCount counts the online CPUs (not only those this process may use).
func cpuCount() int {
	n := 0
	for _, r := range strings.Split(readLine(cpuOnlineFile), ",") {
		lo, hi, isRange := strings.Cut(r, "-")
		a, err := strconv.Atoi(lo)
		if err != nil {
			return runtime.NumCPU()
		}
		b := a
		if isRange {
			if b, err = strconv.Atoi(hi); err != nil {
				return runtime.NumCPU()
			}
		}
		n += b - a + 1
	}
	if n <= 0 {
		return runtime.NumCPU()
	}
	return n
}

func memTotal() uint64 {
	f, err := os.Open(memInfoFile)
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) >= 2 && fields[0] == "MemTotal:" {
			kb, err := strconv.ParseUint(fields[1], 10, 64)
			if err != nil {
				return 0
			}
			return kb * 1024
		}
	}
	return 0
}

// Files the CPU accounting mode is read from; variables for tests.
var kernelConfigFiles = []string{"/proc/config.gz", "/boot/config-"}

// CPUAccounting says how this kernel accounts CPU time, which decides
// what /proc/stat's irq, softirq and steal mean: "tick" (irq and
// softirq ticks charged to the interrupted task too), "irq" (IRQ time
// accounting: irq and softirq charged to no task), "virt-gen" (context
// tracking), plus ", paravirt steal" when steal is taken from the
// hypervisor (and not charged to tasks). From the kernel's
// configuration (/proc/config.gz or /boot/config-RELEASE); "" when
// neither is readable.
func CPUAccounting() string {
	cfg := readKernelConfig()
	if cfg == "" {
		return ""
	}
	has := func(opt string) bool { return strings.Contains(cfg, "\n"+opt+"=y") }
	var mode string
	switch {
	case has("CONFIG_VIRT_CPU_ACCOUNTING_GEN"):
		mode = "virt-gen"
	default:
		mode = "tick"
	}
	if has("CONFIG_IRQ_TIME_ACCOUNTING") {
		mode += ", irq"
	}
	if has("CONFIG_PARAVIRT_TIME_ACCOUNTING") {
		mode += ", paravirt steal"
	}
	return mode
}

func readKernelConfig() string {
	for _, f := range kernelConfigFiles {
		if strings.HasSuffix(f, "-") {
			f += readLine(osReleaseFile)
		}
		data, err := os.ReadFile(f)
		if err != nil {
			continue
		}
		if strings.HasSuffix(f, ".gz") {
			zr, err := gzip.NewReader(bytes.NewReader(data))
			if err != nil {
				continue
			}
			if data, err = io.ReadAll(zr); err != nil {
				continue
			}
		}
		return "\n" + string(data)
	}
	return ""
}
