//go:build k8s

package fleet_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/benchctl/benchctl/fleet"
)

// TestK8sPodVersusHost measures the same scenario in a fleet pod on the test
// cluster's node (this host) and with benchctl run on the host,
// interleaved: pod, host, pod, host, ... It writes the results files
// into $BENCHCTL_PODHOST_DIR (pod-N.json, host-N.json) for
// docs/measurements/fleet.md; it runs only when that is set.
// BENCHCTL_PODHOST_PAIRS sets the number of pairs (default 3).
func TestK8sPodVersusHost(t *testing.T) {
	out := os.Getenv("BENCHCTL_PODHOST_DIR")
	if out == "" {
		t.Skip("a measurement: set BENCHCTL_PODHOST_DIR to run it")
	}
	if os.Geteuid() != 0 {
		t.Skip("needs root")
	}
	pairs := 3
	if s := os.Getenv("BENCHCTL_PODHOST_PAIRS"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 {
			t.Fatalf("BENCHCTL_PODHOST_PAIRS=%q", s)
		}
		pairs = n
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Hour)
	defer cancel()
	dir := t.TempDir()
	c, exe := clusterWithImage(t, ctx, dir)
	defer c.Stop()
	if err := os.MkdirAll(out, 0o755); err != nil {
		t.Fatal(err)
	}
	scenario := "../scenarios/ci.yaml"
	for i := 1; i <= pairs; i++ {
		podDir := filepath.Join(dir, fmt.Sprintf("pod-%d", i))
		fl := exec.CommandContext(ctx, exe, "fleet", "run", "--kubeconfig", c.AdminKubeconfig, "--namespace", "default", "--image", e2eImage,
			"--image-pull-policy", "Never", "-o", podDir, "--seed", strconv.Itoa(i), scenario)
		fl.Stderr = testWriter{t}
		if err := fl.Run(); err != nil {
			t.Fatalf("pair %d: fleet run: %v", i, err)
		}
		data, err := os.ReadFile(fleet.ResultsPath(podDir, c.NodeName))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(out, fmt.Sprintf("pod-%d.json", i)), data, 0o644); err != nil {
			t.Fatal(err)
		}
		host := exec.CommandContext(ctx, exe, "run", scenario, "--seed", strconv.Itoa(i), "-o", filepath.Join(out, fmt.Sprintf("host-%d.json", i)), "--force")
		host.Stderr = testWriter{t}
		if err := host.Run(); err != nil {
			t.Fatalf("pair %d: run on the host: %v", i, err)
		}
	}
}
