package fleet

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"regexp"
	"strings"

	coordinationv1 "k8s.io/api/coordination/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/benchctl/benchctl/bench/results"
)

// Labels on every object fleet creates: cleanup deletes by them, and
// nothing without them.
const (
	LabelManagedBy = "app.kubernetes.io/managed-by"
	ManagedBy      = "benchctl"
	LabelRun       = "benchctl.dev/run"
	LabelNode      = "benchctl.dev/node" // a hash of the node's name: labels are 63 characters at most
	annotationNode = "benchctl.dev/node-name"
)

// Where the pod keeps things.
const (
	scenarioDir = "/etc/benchctl/scenario"
	workDir     = "/work"
	resultsFile = workDir + "/results.json"
)

// Well-known node labels recorded in the results.
const (
	labelInstanceType = "node.kubernetes.io/instance-type"
	labelZone         = "topology.kubernetes.io/zone"
)

// hostPaths are what the pod mounts from its node, read-write: the
// kernel's BTF, the BPF file system, tracefs, the cgroup hierarchies
// (benchctl puts the workload and tracers in cgroups of their own).
// Not debugfs: every kernel benchctl runs on (5.11 on) has tracefs at
// /sys/kernel/tracing, and the shipped scenarios ran in the image
// without it.
var hostPaths = []struct{ name, path string }{
	{"btf", "/sys/kernel/btf"},
	{"bpffs", "/sys/fs/bpf"},
	{"tracefs", "/sys/kernel/tracing"},
	{"cgroup", "/sys/fs/cgroup"},
}

// nodeHash names a node in labels and object names: the first 10 hex
// digits of its name's SHA-256.
func nodeHash(node string) string {
	s := sha256.Sum256([]byte(node))
	return hex.EncodeToString(s[:5])
}

var nonDNS = regexp.MustCompile(`[^a-z0-9-]+`)

// objectName is a name for an object of run about node: readable, and
// within the 63 characters of a DNS label.
func objectName(kind, run, node string) string {
	short := strings.Trim(nonDNS.ReplaceAllString(strings.ToLower(node), "-"), "-")
	if len(short) > 20 {
		short = strings.Trim(short[:20], "-")
	}
	return "benchctl-" + kind + "-" + run + "-" + short + "-" + nodeHash(node)
}

// leaseName is the per-node Lease every fleet run takes: the same name
// for the node whatever the run.
func leaseName(node string) string {
	short := strings.Trim(nonDNS.ReplaceAllString(strings.ToLower(node), "-"), "-")
	if len(short) > 30 {
		short = strings.Trim(short[:30], "-")
	}
	return "benchctl-node-" + short + "-" + nodeHash(node)
}

func labels(run string) map[string]string {
	return map[string]string{LabelManagedBy: ManagedBy, LabelRun: run}
}

// runSelector selects the objects of one run.
func runSelector(run string) string {
	return LabelManagedBy + "=" + ManagedBy + "," + LabelRun + "=" + run
}

// scenarioConfigMap holds the scenario file under key.
func scenarioConfigMap(run, namespace, key string, data []byte) *corev1.ConfigMap {
	return &corev1.ConfigMap{
		ObjectMeta: metav1.ObjectMeta{Name: "benchctl-scenario-" + run, Namespace: namespace, Labels: labels(run)},
		Data:       map[string]string{key: string(data)},
	}
}

// PodSpec is what one node's pod runs.
type PodSpec struct {
	Run, Namespace  string
	Node            results.NodeInfo
	Image           string
	PullPolicy      corev1.PullPolicy
	ConfigMap       string
	ScenarioKey     string
	RunArgs         []string // after the scenario file
	DeadlineSeconds int64
}

// pod is the privileged pod that measures one node, as `kubectl debug
// node/NAME` makes one: pinned with nodeName (no scheduler, no retries
// that would measure twice), host PID and network, tolerating every
// taint, restartPolicy Never (its phase is the node's result), the
// scenario from the ConfigMap, the host paths above. Its node's
// description travels in BENCHCTL_FLEET_NODE into the results.
func pod(s PodSpec) *corev1.Pod {
	nodeJSON, _ := json.Marshal(s.Node)
	l := labels(s.Run)
	l[LabelNode] = nodeHash(s.Node.Name)
	priv := true
	argv := append([]string{"/benchctl", "fleet", "agent", "--results", resultsFile, "--", scenarioDir + "/" + s.ScenarioKey}, s.RunArgs...)
	p := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: s.Node.Pod, Namespace: s.Namespace, Labels: l,
			Annotations: map[string]string{annotationNode: s.Node.Name}},
		Spec: corev1.PodSpec{
			NodeName:                      s.Node.Name,
			RestartPolicy:                 corev1.RestartPolicyNever,
			HostPID:                       true,
			HostNetwork:                   true,
			DNSPolicy:                     corev1.DNSClusterFirstWithHostNet,
			Tolerations:                   []corev1.Toleration{{Operator: corev1.TolerationOpExists}},
			TerminationGracePeriodSeconds: ptr(int64(60)),
			AutomountServiceAccountToken:  ptr(false),
			EnableServiceLinks:            ptr(false),
			Containers: []corev1.Container{{
				Name:            "benchctl",
				Image:           s.Image,
				ImagePullPolicy: s.PullPolicy,
				Command:         argv,
				WorkingDir:      workDir,
				Env: []corev1.EnvVar{
					{Name: "BENCHCTL_FLEET_NODE", Value: string(nodeJSON)},
					{Name: "TMPDIR", Value: workDir},
				},
				SecurityContext: &corev1.SecurityContext{Privileged: &priv},
				VolumeMounts: []corev1.VolumeMount{
					{Name: "scenario", MountPath: scenarioDir, ReadOnly: true},
					{Name: "work", MountPath: workDir},
				},
			}},
			Volumes: []corev1.Volume{
				{Name: "scenario", VolumeSource: corev1.VolumeSource{ConfigMap: &corev1.ConfigMapVolumeSource{LocalObjectReference: corev1.LocalObjectReference{Name: s.ConfigMap}}}},
				{Name: "work", VolumeSource: corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{}}},
			},
		},
	}
	if s.DeadlineSeconds > 0 {
		p.Spec.ActiveDeadlineSeconds = &s.DeadlineSeconds
	}
	c := &p.Spec.Containers[0]
	for _, h := range hostPaths {
		t := corev1.HostPathDirectory
		p.Spec.Volumes = append(p.Spec.Volumes, corev1.Volume{Name: h.name, VolumeSource: corev1.VolumeSource{HostPath: &corev1.HostPathVolumeSource{Path: h.path, Type: &t}}})
		c.VolumeMounts = append(c.VolumeMounts, corev1.VolumeMount{Name: h.name, MountPath: h.path})
	}
	return p
}

// lease is the node's Lease, held by run.
func lease(run, namespace, node string, seconds int32, now metav1.MicroTime) *coordinationv1.Lease {
	holder := run
	return &coordinationv1.Lease{
		ObjectMeta: metav1.ObjectMeta{Name: leaseName(node), Namespace: namespace, Labels: labels(run),
			Annotations: map[string]string{annotationNode: node}},
		Spec: coordinationv1.LeaseSpec{HolderIdentity: &holder, LeaseDurationSeconds: &seconds, AcquireTime: &now, RenewTime: &now},
	}
}

func ptr[T any](v T) *T { return &v }
