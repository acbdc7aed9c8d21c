package probes

import (
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
