package fleet

import (
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes/fake"

	"github.com/benchctl/benchctl/bench/results"
)

// A fakeKubelet plays the nodes of a fake cluster: for each pod fleet
// creates, it runs the behaviour of the pod's node, which sets the pod's
// status and writes its log.
type fakeKubelet struct {
	t       *testing.T
	client  *fake.Clientset
	mu      sync.Mutex
	logs    map[string]*io.PipeWriter // pod → its log's writing end
	readers map[string]*io.PipeReader
	seen    map[string]bool
	// behave is each node's pod's life.
	behave map[string]func(k *fakeKubelet, p *corev1.Pod)
}

func newFakeKubelet(t *testing.T, nodes ...string) *fakeKubelet {
	c := fake.NewClientset()
	for _, n := range nodes {
		node := &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: n, Labels: map[string]string{labelZone: "zone-" + n, "pool": "bench"}},
			Status: corev1.NodeStatus{NodeInfo: corev1.NodeSystemInfo{KernelVersion: "6.18.44-" + n},
				Conditions: []corev1.NodeCondition{{Type: corev1.NodeReady, Status: corev1.ConditionTrue}}}}
		if _, err := c.CoreV1().Nodes().Create(context.Background(), node, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	return &fakeKubelet{t: t, client: c, logs: map[string]*io.PipeWriter{}, readers: map[string]*io.PipeReader{}, seen: map[string]bool{}, behave: map[string]func(*fakeKubelet, *corev1.Pod){}}
}

// run watches for new pods until ctx ends.
func (k *fakeKubelet) run(ctx context.Context) {
	for ctx.Err() == nil {
		pl, _ := k.client.CoreV1().Pods("").List(ctx, metav1.ListOptions{})
		for i := range pl.Items {
			p := pl.Items[i]
			k.mu.Lock()
			if k.seen[p.Name] {
				k.mu.Unlock()
				continue
			}
			k.seen[p.Name] = true
			r, w := io.Pipe()
			k.logs[p.Name], k.readers[p.Name] = w, r
			k.mu.Unlock()
			go k.behave[p.Spec.NodeName](k, &p)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// logs opens a pod's log (Options.Logs).
func (k *fakeKubelet) openLogs(ctx context.Context, _, pod string) (io.ReadCloser, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	r := k.readers[pod]
	delete(k.readers, pod) // one stream per pod
	if r == nil {
		return io.NopCloser(strings.NewReader("")), nil
	}
	go func() { <-ctx.Done(); r.CloseWithError(ctx.Err()) }() // as a cancelled request's body
	return r, nil
}

func (k *fakeKubelet) write(p *corev1.Pod, f func(w io.Writer)) {
	k.mu.Lock()
	w := k.logs[p.Name]
	k.mu.Unlock()
	var b bytes.Buffer
	f(&b)
	w.Write(b.Bytes())
}

func (k *fakeKubelet) closeLog(p *corev1.Pod) {
	k.mu.Lock()
	k.logs[p.Name].Close()
	k.mu.Unlock()
}

// status sets the pod's phase and its container's state.
func (k *fakeKubelet) status(p *corev1.Pod, phase corev1.PodPhase, reason string, state corev1.ContainerState) {
	cur, err := k.client.CoreV1().Pods(p.Namespace).Get(context.Background(), p.Name, metav1.GetOptions{})
	if err != nil {
		return
	}
	cur.Status.Phase, cur.Status.Reason = phase, reason
	cur.Status.ContainerStatuses = []corev1.ContainerStatus{{Name: "benchctl", State: state}}
	k.client.CoreV1().Pods(p.Namespace).UpdateStatus(context.Background(), cur, metav1.UpdateOptions{})
}

func running() corev1.ContainerState {
	return corev1.ContainerState{Running: &corev1.ContainerStateRunning{}}
}

func exited(code int32, reason string) corev1.ContainerState {
	return corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{ExitCode: code, Reason: reason}}
}

// completeRun prints a complete results file and exits 0.
func completeRun(data []byte) func(k *fakeKubelet, p *corev1.Pod) {
	return func(k *fakeKubelet, p *corev1.Pod) {
		k.status(p, corev1.PodRunning, "", running())
		k.write(p, func(w io.Writer) {
			io.WriteString(w, linePrefix+"UNAME 6.18.44-pod\nscenario ci ...\n")
			writeBlock(w, 1, []byte(`{"runs":[{"round":1}],"scenario":{"repetitions":5,"warmup":1}}`), false)
			writeBlock(w, 2, data, true)
			io.WriteString(w, linePrefix+"EXIT 0\n")
		})
		k.closeLog(p)
		k.status(p, corev1.PodSucceeded, "", exited(0, "Completed"))
	}
}

func testOptions(t *testing.T, k *fakeKubelet) Options {
	dir := t.TempDir()
	sc := filepath.Join(dir, "ci.yaml")
	os.WriteFile(sc, []byte("name: ci\n"), 0o644)
	return Options{Client: k.client, Namespace: "bench", Image: "benchctl:test", Scenario: sc, RunArgs: []string{"--only", "a b"},
		OutDir: filepath.Join(dir, "out"), Poll: 10 * time.Millisecond, NodeGone: 100 * time.Millisecond, Logs: k.openLogs, RunID: "r1"}
}

// left lists the objects of fleet's still in the fake cluster.
func left(t *testing.T, k *fakeKubelet) []string {
	ctx := context.Background()
	var out []string
	pl, _ := k.client.CoreV1().Pods("bench").List(ctx, metav1.ListOptions{})
	for _, p := range pl.Items {
		out = append(out, "pod/"+p.Name)
	}
	cl, _ := k.client.CoreV1().ConfigMaps("bench").List(ctx, metav1.ListOptions{})
	for _, c := range cl.Items {
		out = append(out, "configmap/"+c.Name)
	}
	ll, _ := k.client.CoordinationV1().Leases("bench").List(ctx, metav1.ListOptions{})
	for _, l := range ll.Items {
		out = append(out, "lease/"+l.Name)
	}
	return out
}

// TestRunNodes: one node completes, one cannot pull the image, one's
// pod is deleted mid-run, one's node goes NotReady: each is its node's
// result, the others go on; the complete node's file is the pod's byte
// for byte; the partial ones keep their runs, marked incomplete; and no
// object of the run's is left.
func TestRunNodes(t *testing.T) {
	full, err := os.ReadFile("../bench/compare/testdata/base.json")
	if err != nil {
		t.Fatal(err)
	}
	partial := []byte(`{"complete":false,"runs":[{"round":0},{"round":1}],"scenario":{"repetitions":5,"warmup":1}}`)
	k := newFakeKubelet(t, "a-ok", "b-pull", "c-deleted", "d-gone")
	k.behave["a-ok"] = completeRun(full)
	k.behave["b-pull"] = func(k *fakeKubelet, p *corev1.Pod) {
		k.status(p, corev1.PodPending, "", corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{Reason: "ErrImageNeverPull", Message: "image not present"}})
	}
	k.behave["c-deleted"] = func(k *fakeKubelet, p *corev1.Pod) {
		k.status(p, corev1.PodRunning, "", running())
		k.write(p, func(w io.Writer) { writeBlock(w, 1, partial, false) })
		time.Sleep(50 * time.Millisecond)
		k.client.CoreV1().Pods(p.Namespace).Delete(context.Background(), p.Name, metav1.DeleteOptions{GracePeriodSeconds: ptr(int64(0))})
		k.closeLog(p)
	}
	k.behave["d-gone"] = func(k *fakeKubelet, p *corev1.Pod) {
		k.status(p, corev1.PodRunning, "", running())
		k.write(p, func(w io.Writer) { writeBlock(w, 1, partial, false) })
		n, _ := k.client.CoreV1().Nodes().Get(context.Background(), "d-gone", metav1.GetOptions{})
		n.Status.Conditions[0].Status = corev1.ConditionUnknown
		k.client.CoreV1().Nodes().UpdateStatus(context.Background(), n, metav1.UpdateOptions{})
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go k.run(ctx)
	o := testOptions(t, k)
	var progress bytes.Buffer
	o.Progress = &syncWriter{w: &progress}
	sum, err := Run(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	by := map[string]NodeResult{}
	for _, n := range sum.Nodes {
		by[n.Node.Name] = n
	}
	ok := by["a-ok"]
	if !ok.Complete || ok.Outcome != "complete" || ok.Node.Kernel != "6.18.44-a-ok" || ok.Node.Zone != "zone-a-ok" || ok.Uname != "6.18.44-pod" {
		t.Errorf("a-ok: %+v", ok)
	}
	if got, _ := os.ReadFile(ok.Path); !bytes.Equal(got, full) {
		t.Errorf("a-ok's results file is not the pod's")
	}
	if b := by["b-pull"]; b.Complete || !strings.HasPrefix(b.Outcome, "image not pullable (ErrImageNeverPull)") || b.Path != "" {
		t.Errorf("b-pull: %+v", b)
	}
	for _, name := range []string{"c-deleted", "d-gone"} {
		n := by[name]
		if n.Complete || !strings.Contains(n.Outcome, "; 2 runs kept, incomplete") {
			t.Errorf("%s: %+v", name, n)
		}
		if got, _ := os.ReadFile(n.Path); !bytes.Equal(got, partial) {
			t.Errorf("%s: the partial results are not the pod's last checkpoint", name)
		}
	}
	if !strings.HasPrefix(by["c-deleted"].Outcome, "pod deleted mid-run") || !strings.HasPrefix(by["d-gone"].Outcome, "node gone mid-run (NotReady") {
		t.Errorf("outcomes: %q, %q", by["c-deleted"].Outcome, by["d-gone"].Outcome)
	}
	if l := left(t, k); len(l) > 0 {
		t.Errorf("left in the cluster: %v", l)
	}
	// base.json: 1 warm-up round and 5 measured.
	if !strings.Contains(o.Progress.(*syncWriter).String(), "fleet: a-ok: running; 54 runs, round 6 of 6") {
		t.Errorf("progress lacks a-ok's run count:\n%s", o.Progress.(*syncWriter).String())
	}
	// The pods ran the agent with the run flags as arguments.
	if len(sum.Deleted) == 0 {
		t.Error("cleanup says it deleted nothing")
	}
}

// TestRunInterrupted: cancelling a fleet run mid-run deletes its pod,
// ConfigMap and Lease, and waits for the pod to be gone.
func TestRunInterrupted(t *testing.T) {
	k := newFakeKubelet(t, "n1")
	started := make(chan struct{})
	k.behave["n1"] = func(k *fakeKubelet, p *corev1.Pod) {
		k.status(p, corev1.PodRunning, "", running())
		close(started)
	}
	kctx, kcancel := context.WithCancel(context.Background())
	defer kcancel()
	go k.run(kctx)
	ctx, cancel := context.WithCancel(context.Background())
	go func() { <-started; cancel() }()
	sum, err := Run(ctx, testOptions(t, k))
	if err == nil || sum == nil {
		t.Fatalf("Run: %v, %v; want the context's error and a summary", sum, err)
	}
	if l := left(t, k); len(l) > 0 {
		t.Errorf("left in the cluster: %v", l)
	}
	want := []string{"configmap/benchctl-scenario-r1", "lease/" + leaseName("n1"), "pod/" + objectName("pod", "r1", "n1")}
	if strings.Join(sum.Deleted, " ") != strings.Join(want, " ") {
		t.Errorf("deleted %v, want %v", sum.Deleted, want)
	}
	if sum.Nodes[0].Outcome != "interrupted" {
		t.Errorf("outcome %q", sum.Nodes[0].Outcome)
	}
}

// TestLeaseWaits: a node whose Lease another run holds and renews is not
// run on until the lease expires; then it is taken over. Objects of
// another run are not deleted.
func TestLeaseWaits(t *testing.T) {
	k := newFakeKubelet(t, "n1")
	full, _ := os.ReadFile("../bench/compare/testdata/base.json")
	k.behave["n1"] = completeRun(full)
	other := lease("other", "bench", "n1", 1, metav1.NowMicro())
	if _, err := k.client.CoordinationV1().Leases("bench").Create(context.Background(), other, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	otherCM := scenarioConfigMap("other", "bench", "x.yaml", nil)
	k.client.CoreV1().ConfigMaps("bench").Create(context.Background(), otherCM, metav1.CreateOptions{})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go k.run(ctx)
	o := testOptions(t, k)
	var progress bytes.Buffer
	o.Progress = &syncWriter{w: &progress}
	start := time.Now()
	sum, err := Run(context.Background(), o)
	if err != nil || !sum.Nodes[0].Complete {
		t.Fatalf("Run: %v, %+v", err, sum)
	}
	if time.Since(start) < time.Second {
		t.Errorf("ran before the other run's lease (1 s) expired")
	}
	if !strings.Contains(o.Progress.(*syncWriter).String(), "waiting: run other holds the node's lease") {
		t.Errorf("progress does not say it waited:\n%s", o.Progress.(*syncWriter).String())
	}
	l := left(t, k)
	if strings.Join(l, " ") != "configmap/benchctl-scenario-other" {
		t.Errorf("left: %v; want only the other run's ConfigMap", l)
	}
}

// TestPodSpec: the pod is pinned to its node, privileged, host PID,
// restartPolicy Never, mounts the host paths and the scenario, runs the
// agent with the run flags as separate arguments, and describes its node.
func TestPodSpec(t *testing.T) {
	p := pod(PodSpec{Run: "r1", Namespace: "ns", Node: testNode(), Image: "img", ConfigMap: "cm", ScenarioKey: "ci.yaml",
		RunArgs: []string{"--set", "X=$(rm -rf /)"}, DeadlineSeconds: 60})
	c := p.Spec.Containers[0]
	if p.Spec.NodeName != "n1" || !p.Spec.HostPID || p.Spec.RestartPolicy != corev1.RestartPolicyNever || !*c.SecurityContext.Privileged || *p.Spec.ActiveDeadlineSeconds != 60 {
		t.Errorf("pod spec: %+v", p.Spec)
	}
	want := []string{"/benchctl", "fleet", "agent", "--results", resultsFile, "--", "/etc/benchctl/scenario/ci.yaml", "--set", "X=$(rm -rf /)"}
	if strings.Join(c.Command, "\x00") != strings.Join(want, "\x00") {
		t.Errorf("command %q, want %q", c.Command, want)
	}
	mounts := map[string]bool{}
	for _, m := range c.VolumeMounts {
		mounts[m.MountPath] = true
	}
	for _, h := range []string{"/sys/kernel/btf", "/sys/fs/bpf", "/sys/kernel/tracing", "/sys/fs/cgroup", scenarioDir} {
		if !mounts[h] {
			t.Errorf("no mount of %s", h)
		}
	}
	if p.Labels[LabelManagedBy] != ManagedBy || p.Labels[LabelRun] != "r1" {
		t.Errorf("labels %v", p.Labels)
	}
	if !strings.Contains(c.Env[0].Value, `"name":"n1"`) {
		t.Errorf("BENCHCTL_FLEET_NODE %q", c.Env[0].Value)
	}
	if n := objectName("pod", "r1", strings.Repeat("very-long-node-name.", 12)); len(n) > 63 {
		t.Errorf("object name %q is longer than a DNS label", n)
	}
}

func testNode() results.NodeInfo { return results.NodeInfo{Name: "n1", Kernel: "6.18"} }

// syncWriter serializes the progress lines of nodes run at once.
type syncWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (s *syncWriter) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.Write(p)
}

func (s *syncWriter) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.(*bytes.Buffer).String()
}
