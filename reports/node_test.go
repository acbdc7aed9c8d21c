package reports

import (
	"strings"
	"testing"

	"github.com/benchctl/benchctl/bench/results"
	"github.com/benchctl/benchctl/reports/internal/golden"
)

// TestEnvironmentNode: a file a fleet pod wrote names its Kubernetes
// node in the environment, with what is known of it; a file from a host
// has no such row.
func TestEnvironmentNode(t *testing.T) {
	r := golden.Handmade()
	if md := string(render(t, r, FormatMarkdown, Options{})); strings.Contains(md, "Kubernetes node") {
		t.Error("a host's file names a Kubernetes node")
	}
	r.Environment.Node = &results.NodeInfo{Name: "worker-1", Kernel: "6.1.0-28-cloud-amd64", Zone: "eu-1a", Pod: "benchctl-pod-x"}
	md := string(render(t, r, FormatMarkdown, Options{}))
	if want := "| Kubernetes node | worker-1 (kernel 6.1.0-28-cloud-amd64, zone eu-1a, pod benchctl-pod-x) |"; !strings.Contains(md, want) {
		t.Errorf("report lacks %q", want)
	}
}
