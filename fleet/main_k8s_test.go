//go:build k8s

package fleet_test

import (
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"testing"

	"github.com/benchctl/benchctl/internal/kubecluster"
)

// clusters are the test binary's test clusters, for TestMain's signal
// handler.
var clusters = &kubecluster.Clusters{}

// TestMain stops every test cluster on SIGINT or SIGTERM, so that a
// Ctrl-C during go test leaves no cluster behind (fleet's own objects go
// with the cluster).
func TestMain(m *testing.M) {
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, syscall.SIGINT, syscall.SIGTERM)
	go func() {
		sig := <-sigs
		fmt.Fprintf(os.Stderr, "fleet: %v: stopping the test clusters\n", sig)
		if err := clusters.StopAll(); err != nil {
			fmt.Fprintln(os.Stderr, "fleet:", err)
		}
		os.Exit(1)
	}()
	os.Exit(m.Run())
}
