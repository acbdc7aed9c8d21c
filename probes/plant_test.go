package probes

import (
	"errors"
	"os"
	"testing"
)

// TestPlantLoads: the planted regression's bpf_loop passes the verifier
// in both modes, and the knob reaches the loaded object (the constant is
// set before load; 0 prunes it away).
func TestPlantLoads(t *testing.T) {
	requireKernel(t)
	for _, m := range []Mode{ModeEnterExit, ModeExitOnly} {
		p, err := Load(Config{Mode: m, Syscalls: []string{"getpid"}, Plant: 1000})
		if err != nil {
			t.Fatalf("%s with --plant 1000: %v", m, err)
		}
		p.Close()
	}
}

// TestCheckPMU: the check gives a definite answer: a counter opened, or
// an error; on a machine without a PMU (most VMs) it wraps ErrNoPMU.
func TestCheckPMU(t *testing.T) {
	requireKernel(t)
	err := CheckPMU()
	if _, statErr := os.Stat("/sys/bus/event_source/devices/cpu"); statErr != nil {
		// No "cpu" PMU driver registered: there is no hardware PMU.
		if !errors.Is(err, ErrNoPMU) {
			t.Errorf("no cpu PMU device, CheckPMU: %v, want ErrNoPMU", err)
		}
		return
	}
	t.Logf("a cpu PMU device is registered; CheckPMU: %v", err)
}
