package fleet

import (
	"os"
	"slices"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/client-go/kubernetes/scheme"

	"github.com/benchctl/benchctl/bench/results"
)

// TestManifestPod: deploy/kubernetes/pod.yaml, the pod for doing one node
// by hand, is the pod fleet makes: the same privileges, host paths,
// mounts and agent command.
func TestManifestPod(t *testing.T) {
	data, err := os.ReadFile("../deploy/kubernetes/pod.yaml")
	if err != nil {
		t.Fatal(err)
	}
	obj, _, err := scheme.Codecs.UniversalDeserializer().Decode(data, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	hand, ok := obj.(*corev1.Pod)
	if !ok {
		t.Fatalf("pod.yaml holds a %T", obj)
	}
	ours := pod(PodSpec{Run: "by-hand", Namespace: "benchctl", Node: results.NodeInfo{Name: "NODE", Pod: "benchctl-NODE"}, Image: "IMAGE",
		ConfigMap: "benchctl-scenario", ScenarioKey: "scenario.yaml"})
	hs, ps := hand.Spec, ours.Spec
	if hs.HostPID != ps.HostPID || hs.HostNetwork != ps.HostNetwork || hs.RestartPolicy != ps.RestartPolicy || hs.NodeName != ps.NodeName ||
		*hs.Containers[0].SecurityContext.Privileged != *ps.Containers[0].SecurityContext.Privileged || hs.DNSPolicy != ps.DNSPolicy {
		t.Errorf("pod.yaml's spec differs from fleet's")
	}
	if !slices.Equal(hs.Containers[0].Command, ps.Containers[0].Command) {
		t.Errorf("command %q, fleet's %q", hs.Containers[0].Command, ps.Containers[0].Command)
	}
	paths := func(p corev1.PodSpec) string {
		var out []string
		for _, v := range p.Volumes {
			if v.HostPath != nil {
				out = append(out, v.HostPath.Path)
			}
		}
		for _, m := range p.Containers[0].VolumeMounts {
			out = append(out, m.Name+"@"+m.MountPath)
		}
		slices.Sort(out)
		return strings.Join(out, " ")
	}
	if paths(hs) != paths(ps) {
		t.Errorf("host paths and mounts:\n%s\nfleet's:\n%s", paths(hs), paths(ps))
	}
	for _, l := range []string{LabelManagedBy, LabelRun} {
		if hand.Labels[l] != ours.Labels[l] {
			t.Errorf("label %s: %q, fleet's %q", l, hand.Labels[l], ours.Labels[l])
		}
	}
}
