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

// TestTerminalOutcome: what ended a pod that ended, as a node's outcome.
func TestTerminalOutcome(t *testing.T) {
	term := func(reason string) []corev1.ContainerStatus {
		return []corev1.ContainerStatus{{State: corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{Reason: reason}}}}
	}
	for _, c := range []struct {
		status corev1.PodStatus
		want   string
	}{
		{corev1.PodStatus{Phase: corev1.PodSucceeded, ContainerStatuses: term("Completed")}, ""},
		{corev1.PodStatus{Phase: corev1.PodFailed, ContainerStatuses: term("Error")}, ""},
		{corev1.PodStatus{Phase: corev1.PodFailed, Reason: "Evicted", Message: "low on memory"}, "evicted: low on memory"},
		{corev1.PodStatus{Phase: corev1.PodFailed, Reason: "DeadlineExceeded", Message: "too long"}, "timed out (--timeout): too long"},
		{corev1.PodStatus{Phase: corev1.PodFailed, ContainerStatuses: term("OOMKilled")}, "OOM-killed"},
		{corev1.PodStatus{Phase: corev1.PodFailed, Reason: "NodeShutdown", Message: "bye"}, "NodeShutdown: bye"},
	} {
		if got := terminalOutcome(&corev1.Pod{Status: c.status}); got != c.want {
			t.Errorf("%+v: %q, want %q", c.status, got, c.want)
		}
	}
	waiting := &corev1.Pod{Status: corev1.PodStatus{ContainerStatuses: []corev1.ContainerStatus{{State: corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{Reason: "ContainerCreating"}}}}}}
	if _, gone := imageFailure(waiting); gone {
		t.Error("ContainerCreating taken for an image that will not come")
	}
	waiting.Status.ContainerStatuses[0].State.Waiting.Reason = "ImagePullBackOff"
	if why, gone := imageFailure(waiting); !gone || !strings.HasPrefix(why, "image not pullable (ImagePullBackOff)") {
		t.Errorf("ImagePullBackOff: %q, %v", why, gone)
	}
}
