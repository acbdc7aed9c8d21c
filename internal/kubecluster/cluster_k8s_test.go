//go:build k8s

package kubecluster

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	"k8s.io/client-go/tools/remotecommand"
)

// clusters are the test binary's clusters, for TestMain's signal handler.
var clusters = &Clusters{}

// TestMain stops every cluster on SIGINT or SIGTERM, so that a Ctrl-C
// during go test leaves nothing behind.
func TestMain(m *testing.M) {
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, syscall.SIGINT, syscall.SIGTERM)
	go func() {
		sig := <-sigs
		fmt.Fprintf(os.Stderr, "kubecluster: %v: stopping the test clusters\n", sig)
		if err := clusters.StopAll(); err != nil {
			fmt.Fprintln(os.Stderr, "kubecluster:", err)
		}
		os.Exit(1)
	}()
	os.Exit(m.Run())
}

func clientFor(t *testing.T, kubeconfig string) (kubernetes.Interface, *rest.Config) {
	t.Helper()
	cfg, err := clientcmd.BuildConfigFromFlags("", kubeconfig)
	if err != nil {
		t.Fatal(err)
	}
	cs, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return cs, cfg
}

// tinyImage writes an image of Debian's static busybox (busybox-static).
func tinyImage(t *testing.T, name string) string {
	t.Helper()
	bb, err := os.ReadFile("/bin/busybox")
	if err != nil {
		t.Fatalf("%v (Debian's busybox-static; make test-k8s installs it)", err)
	}
	path := filepath.Join(t.TempDir(), "tiny.tar")
	if err := WriteImage(path, name, []string{"/bin/sh"}, []ImageFile{
		{Path: "/bin/busybox", Mode: 0o755, Data: bb},
		{Path: "/bin/sh", Link: "busybox"},
	}); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestK8sClusterRunsAPrivilegedPod is the cluster as fleet uses it: a
// privileged, host-PID pod pinned to the node with the host's BPF, BTF,
// tracing and cgroup directories, created, read (log and exec) and deleted
// through a ServiceAccount that may do only that. Stop must then leave no
// process, container, mount, cgroup or directory of the cluster.
func TestK8sClusterRunsAPrivilegedPod(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	t0 := time.Now()
	c, err := Start(ctx, Options{Logf: t.Logf, Track: clusters})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("cluster started in %s", time.Since(t0).Round(100*time.Millisecond))
	stopped := false
	defer func() {
		if !stopped {
			if t.Failed() {
				for _, n := range []string{"kubelet", "containerd", "kube-apiserver"} {
					t.Log(c.LogTail(n, 40))
				}
			}
			if err := c.Stop(); err != nil {
				t.Error(err)
			}
		}
	}()
	rec, err := readRecord(c.Dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(rec.Procs) != 5 {
		t.Fatalf("record names %d processes, want 5 (etcd, apiserver, controller manager, containerd, kubelet): %+v", len(rec.Procs), rec.Procs)
	}

	checkLoopbackOnly(t, rec)

	const image = "benchctl.test/tiny:1"
	if err := c.ImportImage(ctx, tinyImage(t, image)); err != nil {
		t.Fatal(err)
	}

	admin, _ := clientFor(t, c.AdminKubeconfig)
	const ns, sa = "kubecluster-test", "runner"
	if _, err := admin.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := admin.CoreV1().ServiceAccounts(ns).Create(ctx, &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: sa}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := admin.RbacV1().Roles(ns).Create(ctx, &rbacv1.Role{
		ObjectMeta: metav1.ObjectMeta{Name: sa},
		Rules: []rbacv1.PolicyRule{
			{APIGroups: []string{""}, Resources: []string{"pods"}, Verbs: []string{"create", "get", "list", "watch", "delete"}},
			{APIGroups: []string{""}, Resources: []string{"pods/log"}, Verbs: []string{"get"}},
			{APIGroups: []string{""}, Resources: []string{"pods/exec"}, Verbs: []string{"get", "create"}},
		},
	}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := admin.RbacV1().RoleBindings(ns).Create(ctx, &rbacv1.RoleBinding{
		ObjectMeta: metav1.ObjectMeta{Name: sa},
		RoleRef:    rbacv1.RoleRef{APIGroup: "rbac.authorization.k8s.io", Kind: "Role", Name: sa},
		Subjects:   []rbacv1.Subject{{Kind: "ServiceAccount", Name: sa, Namespace: ns}},
	}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	kc, err := c.ServiceAccountKubeconfig(ctx, ns, sa)
	if err != nil {
		t.Fatal(err)
	}
	cs, cfg := clientFor(t, kc)

	// The account may do what its Role says and nothing more.
	if _, err := cs.CoreV1().Nodes().List(ctx, metav1.ListOptions{}); !apierrors.IsForbidden(err) {
		t.Errorf("the service account listed nodes (err %v): want Forbidden", err)
	}
	if _, err := cs.CoreV1().Pods("default").List(ctx, metav1.ListOptions{}); !apierrors.IsForbidden(err) {
		t.Errorf("the service account listed pods of another namespace (err %v): want Forbidden", err)
	}

	hostPath := func(name, path string) (corev1.Volume, corev1.VolumeMount) {
		return corev1.Volume{Name: name, VolumeSource: corev1.VolumeSource{HostPath: &corev1.HostPathVolumeSource{Path: path}}},
			corev1.VolumeMount{Name: name, MountPath: "/host" + path, ReadOnly: true}
	}
	var vols []corev1.Volume
	var mounts []corev1.VolumeMount
	for _, hp := range []struct{ name, path string }{
		{"btf", "/sys/kernel/btf"}, {"bpffs", "/sys/fs/bpf"}, {"tracing", "/sys/kernel/tracing"}, {"cgroup", "/sys/fs/cgroup"},
	} {
		v, m := hostPath(hp.name, hp.path)
		vols = append(vols, v)
		mounts = append(mounts, m)
	}
	privileged := true
	zero := int64(0)
	pod := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: "probe"},
		Spec: corev1.PodSpec{
			NodeName:                      c.NodeName,
			ServiceAccountName:            sa, // "default" comes later, from the controller manager
			HostPID:                       true,
			RestartPolicy:                 corev1.RestartPolicyNever,
			TerminationGracePeriodSeconds: &zero,
			AutomountServiceAccountToken:  &privileged,
			Volumes:                       vols,
			Containers: []corev1.Container{{
				Name:            "probe",
				Image:           image,
				ImagePullPolicy: corev1.PullNever,
				// $$$$: the kubelet makes $$ of a command one $.
				Command: []string{"/bin/sh", "-c",
					`echo "pid $$$$"; echo "init $(cat /proc/1/comm)"; ` +
						`test -s /host/sys/kernel/btf/vmlinux && echo btf-ok; ` +
						`test -d /host/sys/kernel/tracing/events && echo tracing-ok; ` +
						`test -s /var/run/secrets/kubernetes.io/serviceaccount/token && echo token-ok; ` +
						`exec /bin/busybox sleep 3600`},
				SecurityContext: &corev1.SecurityContext{Privileged: &privileged},
				VolumeMounts:    mounts,
			}},
		},
	}
	if _, err := cs.CoreV1().Pods(ns).Create(ctx, pod, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	var logs string
	deadline := time.Now().Add(3 * time.Minute)
	for {
		p, err := cs.CoreV1().Pods(ns).Get(ctx, "probe", metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if p.Status.Phase == corev1.PodFailed || p.Status.Phase == corev1.PodSucceeded {
			t.Fatalf("pod ended: %s %+v", p.Status.Phase, p.Status.ContainerStatuses)
		}
		if p.Status.Phase == corev1.PodRunning {
			b, err := cs.CoreV1().Pods(ns).GetLogs("probe", &corev1.PodLogOptions{}).DoRaw(ctx)
			if err != nil {
				t.Fatalf("pod log: %v", err)
			}
			logs = string(b)
			if strings.Contains(logs, "token-ok") || strings.Count(logs, "\n") >= 5 {
				break
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("pod not running with its log after 3 minutes: phase %s, %+v; log %q", p.Status.Phase, p.Status.ContainerStatuses, logs)
		}
		time.Sleep(500 * time.Millisecond)
	}
	t.Logf("pod log:\n%s", logs)
	hostInit, err := os.ReadFile("/proc/1/comm")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"init " + strings.TrimSpace(string(hostInit)), "btf-ok", "tracing-ok", "token-ok"} {
		if !strings.Contains(logs, want+"\n") {
			t.Errorf("pod log lacks %q", want)
		}
	}
	var podPid int
	if _, err := fmt.Sscanf(logs, "pid %d\n", &podPid); err != nil || podPid <= 1 {
		t.Fatalf("no host pid in the pod's log: %v", err)
	}
	podProc := proc{Name: "probe", Pid: podPid}
	if podProc.Start, err = procStart(podPid); err != nil {
		t.Fatalf("the pod's process %d is not a host process: %v", podPid, err)
	}
	if cmd, _ := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", podPid)); !bytes.Equal(cmd, []byte("/bin/busybox\x00sleep\x003600\x00")) {
		t.Errorf("host pid %d runs %q, want the pod's sleep", podPid, cmd)
	}

	// exec, through the apiserver and the kubelet.
	req := cs.CoreV1().RESTClient().Post().Resource("pods").Namespace(ns).Name("probe").SubResource("exec").
		VersionedParams(&corev1.PodExecOptions{Container: "probe", Command: []string{"/bin/sh", "-c", "echo exec-ok $((6*7))"}, Stdout: true, Stderr: true}, scheme.ParameterCodec)
	executor, err := remotecommand.NewWebSocketExecutor(cfg, "GET", req.URL().String())
	if err != nil {
		t.Fatal(err)
	}
	var stdout, stderr bytes.Buffer
	if err := executor.StreamWithContext(ctx, remotecommand.StreamOptions{Stdout: &stdout, Stderr: &stderr}); err != nil {
		t.Fatalf("exec: %v (stderr %q)", err, stderr.String())
	}
	if got := strings.TrimSpace(stdout.String()); got != "exec-ok 42" {
		t.Errorf("exec printed %q, want %q", got, "exec-ok 42")
	}

	if err := cs.CoreV1().Pods(ns).Delete(ctx, "probe", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(2 * time.Minute); ; {
		_, err := cs.CoreV1().Pods(ns).Get(ctx, "probe", metav1.GetOptions{})
		if apierrors.IsNotFound(err) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("pod still there 2 minutes after its deletion (err %v)", err)
		}
		time.Sleep(250 * time.Millisecond)
	}
	// A grace period of 0 removes the object at once; the kubelet then
	// kills the container.
	for deadline := time.Now().Add(2 * time.Minute); podProc.alive() && !isZombie(podPid); time.Sleep(250 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("the pod's process %d still runs 2 minutes after the pod's deletion", podPid)
		}
	}

	// A second pod that Stop, not a deletion, must end.
	pod.Name = "left-running"
	if _, err := cs.CoreV1().Pods(ns).Create(ctx, pod, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	var left proc
	for deadline := time.Now().Add(3 * time.Minute); ; {
		b, err := cs.CoreV1().Pods(ns).GetLogs("left-running", &corev1.PodLogOptions{}).DoRaw(ctx)
		if err == nil {
			if _, err := fmt.Sscanf(string(b), "pid %d\n", &left.Pid); err == nil {
				if left.Start, err = procStart(left.Pid); err == nil {
					break
				}
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("second pod wrote no pid in 3 minutes (%v)", err)
		}
		time.Sleep(500 * time.Millisecond)
	}

	shimAddrs, _ := filepath.Glob(filepath.Join(containerdState(c.Dir), "io.containerd.runtime.v2.task", "*", "*", "address"))
	if len(shimAddrs) == 0 {
		t.Error("no shim address file in containerd's state: the check of their sockets below would check nothing")
	}
	sandboxes := sandboxIDs(c.Dir)
	loopbacks := 0
	for _, sb := range sandboxes {
		if _, err := os.Stat(filepath.Join("/var/lib/cni/results", "cni-loopback-"+sb+"-lo")); err == nil {
			loopbacks++
		}
	}
	if loopbacks == 0 {
		t.Errorf("no loopback CNI result of the sandboxes %v: the check after Stop would check nothing", sandboxes)
	}
	// What the checks after Stop look for must be there now.
	if results, _ := filepath.Glob(filepath.Join("/var/lib/cni/results", rec.Network+"-*")); len(results) == 0 {
		t.Error("no CNI result of the running pod's network: the check after Stop would check nothing")
	}
	if !linksInto("/var/log/containers", c.Dir) {
		t.Error("no kubelet log link into the state directory: the check after Stop would check nothing")
	}
	var shimSockets []string
	for _, f := range shimAddrs {
		b, _ := os.ReadFile(f)
		shimSockets = append(shimSockets, strings.TrimPrefix(strings.TrimSpace(string(b)), "unix://"))
	}

	stopped = true
	t1 := time.Now()
	if err := c.Stop(); err != nil {
		t.Fatal(err)
	}
	t.Logf("cluster stopped in %s", time.Since(t1).Round(100*time.Millisecond))
	if err := c.Stop(); err != nil {
		t.Errorf("second Stop: %v", err)
	}
	for _, p := range append(rec.Procs, left) {
		if p.alive() {
			t.Errorf("%s (pid %d) still runs after Stop", p.Name, p.Pid)
		}
	}
	if shims := shimsOf(rec.Socket); len(shims) > 0 {
		t.Errorf("containerd shims still run after Stop: %+v", shims)
	}
	if m := mountsUnder(c.Dir); len(m) > 0 {
		t.Errorf("still mounted after Stop: %v", m)
	}
	if _, err := os.Stat(c.Dir); !os.IsNotExist(err) {
		t.Errorf("state directory %s: %v, want it removed", c.Dir, err)
	}
	for _, h := range cgroupHierarchies() {
		if _, err := os.Stat(filepath.Join(h, rec.CgroupRoot)); !os.IsNotExist(err) {
			t.Errorf("cgroup %s%s: %v, want it removed", h, rec.CgroupRoot, err)
		}
	}
	if _, err := os.Stat("/sys/class/net/" + rec.Bridge); !os.IsNotExist(err) {
		t.Errorf("bridge %s: %v, want it deleted", rec.Bridge, err)
	}
	if out := processesNaming(c.Dir); out != "" {
		t.Errorf("processes naming %s after Stop:\n%s", c.Dir, out)
	}
	checkLeftOutside(t, c.Dir, rec, shimSockets, sandboxes)
}

// checkLeftOutside fails on what a cluster's daemons write outside its
// state directory and teardown must remove: shim sockets, the kubelet's
// links in /var/log/containers, libcni's cached results.
func checkLeftOutside(t *testing.T, dir string, rec *record, shimSockets, sandboxes []string) {
	t.Helper()
	for _, s := range shimSockets {
		if _, err := os.Lstat(s); !os.IsNotExist(err) {
			t.Errorf("shim socket %s: %v, want it removed", s, err)
		}
	}
	if linksInto("/var/log/containers", dir) {
		t.Errorf("/var/log/containers still links into the state directory %s", dir)
	}
	if left, _ := filepath.Glob(filepath.Join("/var/lib/cni/results", rec.Network+"-*")); len(left) > 0 {
		t.Errorf("CNI results of the cluster's network left: %v", left)
	}
	for _, sb := range sandboxes {
		if _, err := os.Stat(filepath.Join("/var/lib/cni/results", "cni-loopback-"+sb+"-lo")); !os.IsNotExist(err) {
			t.Errorf("containerd's loopback CNI result of sandbox %s: %v, want it removed", sb, err)
		}
	}
}

// processesNaming lists the processes whose command line names s.
func processesNaming(s string) string {
	ents, _ := os.ReadDir("/proc")
	var b strings.Builder
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		cmd, err := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
		if err == nil && bytes.Contains(cmd, []byte(s)) && !isZombie(pid) {
			fmt.Fprintf(&b, "%d %s\n", pid, bytes.ReplaceAll(cmd, []byte{0}, []byte{' '}))
		}
	}
	return b.String()
}

// TestK8sHelperKilledOwner is not a test: TestK8sSweepsAKilledTestsCluster
// runs the test binary with it to start a cluster and a pod, print the
// state directory and the pod's host pid, and wait to be killed.
func TestK8sHelperKilledOwner(t *testing.T) {
	if os.Getenv("KUBECLUSTER_HELPER") != "killed-owner" {
		t.Skip("helper process of TestK8sSweepsAKilledTestsCluster")
	}
	ctx := context.Background()
	c, err := Start(ctx, Options{Logf: t.Logf, Track: clusters})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.ImportImage(ctx, tinyImage(t, "benchctl.test/tiny:1")); err != nil {
		t.Fatal(err)
	}
	admin, _ := clientFor(t, c.AdminKubeconfig)
	zero := int64(0)
	pod := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: "orphan"},
		Spec: corev1.PodSpec{
			NodeName: c.NodeName, HostPID: true, TerminationGracePeriodSeconds: &zero,
			Containers: []corev1.Container{{Name: "orphan", Image: "benchctl.test/tiny:1", ImagePullPolicy: corev1.PullNever,
				Command: []string{"/bin/sh", "-c", `echo "pid $$$$"; exec /bin/busybox sleep 3600`}}},
		},
	}
	if _, err := admin.CoreV1().Pods("default").Create(ctx, pod, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(3 * time.Minute); time.Now().Before(deadline); time.Sleep(500 * time.Millisecond) {
		b, err := admin.CoreV1().Pods("default").GetLogs("orphan", &corev1.PodLogOptions{}).DoRaw(ctx)
		var pid int
		if err == nil {
			if _, err := fmt.Sscanf(string(b), "pid %d\n", &pid); err == nil {
				fmt.Printf("cluster %s pod %d\n", c.Dir, pid)
				select {} // until killed
			}
		}
	}
	t.Fatal("the pod wrote no pid in 3 minutes")
}

// TestK8sSweepsAKilledTestsCluster kills a test process that runs a
// cluster with a pod: its daemons die with it (parent-death signal), the
// pod's container and its shim do not, and the next Start's sweep must
// remove them and everything else of that cluster.
func TestK8sSweepsAKilledTestsCluster(t *testing.T) {
	cmd := exec.Command(os.Args[0], "-test.run=^TestK8sHelperKilledOwner$", "-test.v")
	cmd.Env = append(os.Environ(), "KUBECLUSTER_HELPER=killed-owner")
	var out bytes.Buffer
	pr, pw, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stdout = pw
	cmd.Stderr = &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	pw.Close()
	lines := make(chan string)
	go func() {
		sc := bufio.NewScanner(pr)
		for sc.Scan() {
			out.WriteString(sc.Text() + "\n")
			if strings.HasPrefix(sc.Text(), "cluster ") {
				lines <- sc.Text()
			}
		}
		close(lines)
	}()
	var dir string
	var pod proc
	select {
	case l, ok := <-lines:
		if !ok {
			cmd.Wait()
			t.Fatalf("the helper ended without a cluster:\n%s", out.String())
		}
		if _, err := fmt.Sscanf(l, "cluster %s pod %d", &dir, &pod.Pid); err != nil {
			t.Fatalf("%q: %v", l, err)
		}
	case <-time.After(8 * time.Minute):
		cmd.Process.Kill()
		cmd.Wait()
		t.Fatalf("the helper started no cluster in 8 minutes:\n%s", out.String())
	}
	rec, err := readRecord(dir)
	if err != nil {
		t.Fatal(err)
	}
	if pod.Start, err = procStart(pod.Pid); err != nil {
		t.Fatalf("the pod's process %d: %v", pod.Pid, err)
	}
	shims := shimsOf(rec.Socket)
	if len(shims) == 0 {
		t.Fatal("no shim of the helper's containerd found")
	}
	sandboxes := sandboxIDs(dir)
	var shimSockets []string
	addrs, _ := filepath.Glob(filepath.Join(containerdState(dir), "io.containerd.runtime.v2.task", "*", "*", "address"))
	for _, f := range addrs {
		b, _ := os.ReadFile(f)
		shimSockets = append(shimSockets, strings.TrimPrefix(strings.TrimSpace(string(b)), "unix://"))
	}
	if err := cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	cmd.Wait()
	for _, p := range rec.Procs {
		for i := 0; i < 100 && p.alive() && !isZombie(p.Pid); i++ {
			time.Sleep(100 * time.Millisecond)
		}
		if p.alive() && !isZombie(p.Pid) {
			t.Errorf("%s (pid %d) outlived its killed owner", p.Name, p.Pid)
		}
	}
	if !pod.alive() {
		t.Fatal("the pod's process died with the owner: nothing left for the sweep to do, the test proves nothing")
	}

	if err := sweep(filepath.Dir(dir)); err != nil {
		t.Fatal(err)
	}
	// A killed process is gone once its parent reaps it: give each a
	// moment, as above, on a busy machine.
	gone := func(p proc) bool {
		for i := 0; i < 100 && p.alive() && !isZombie(p.Pid); i++ {
			time.Sleep(100 * time.Millisecond)
		}
		return !p.alive() || isZombie(p.Pid)
	}
	if !gone(pod) {
		t.Errorf("the pod's process %d survived the sweep", pod.Pid)
	}
	for _, s := range shims {
		if !gone(s) {
			t.Errorf("shim %d survived the sweep", s.Pid)
		}
	}
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Errorf("%s: %v, want it removed by the sweep", dir, err)
	}
	for _, h := range cgroupHierarchies() {
		if _, err := os.Stat(filepath.Join(h, rec.CgroupRoot)); !os.IsNotExist(err) {
			t.Errorf("cgroup %s%s: %v, want it removed", h, rec.CgroupRoot, err)
		}
	}
	if _, err := os.Stat("/sys/class/net/" + rec.Bridge); !os.IsNotExist(err) {
		t.Errorf("bridge %s: %v, want it deleted", rec.Bridge, err)
	}
	if out := processesNaming(dir); out != "" {
		t.Errorf("processes naming %s after the sweep:\n%s", dir, out)
	}
	checkLeftOutside(t, dir, rec, shimSockets, sandboxes)
}

// linksInto tells whether a symbolic link in linkDir points below dir.
func linksInto(linkDir, dir string) bool {
	links, _ := os.ReadDir(linkDir)
	for _, l := range links {
		if target, err := os.Readlink(filepath.Join(linkDir, l.Name())); err == nil && strings.HasPrefix(target, dir+"/") {
			return true
		}
	}
	return false
}

// sandboxIDs are the ids of the pod sandboxes of a cluster's containerd.
func sandboxIDs(dir string) []string {
	ents, _ := os.ReadDir(filepath.Join(dir, "containerd", "root", "io.containerd.grpc.v1.cri", "sandboxes"))
	var ids []string
	for _, e := range ents {
		ids = append(ids, e.Name())
	}
	return ids
}

// checkLoopbackOnly fails when a process of the cluster listens on a TCP
// address other than 127.0.0.1 or ::1, and when none listens at all (then
// the check saw nothing).
func checkLoopbackOnly(t *testing.T, rec *record) {
	t.Helper()
	inodes := map[string]string{} // socket inode -> process name
	for _, p := range rec.Procs {
		fds, _ := os.ReadDir(fmt.Sprintf("/proc/%d/fd", p.Pid))
		for _, fd := range fds {
			l, err := os.Readlink(fmt.Sprintf("/proc/%d/fd/%s", p.Pid, fd.Name()))
			if err == nil && strings.HasPrefix(l, "socket:[") {
				inodes[strings.TrimSuffix(strings.TrimPrefix(l, "socket:["), "]")] = p.Name
			}
		}
	}
	listening := map[string]bool{}
	for _, f := range []string{"/proc/net/tcp", "/proc/net/tcp6"} {
		b, err := os.ReadFile(f)
		if err != nil {
			continue
		}
		for _, line := range strings.Split(string(b), "\n")[1:] {
			fields := strings.Fields(line)
			if len(fields) < 10 || fields[3] != "0A" { // LISTEN
				continue
			}
			name, ours := inodes[fields[9]]
			if !ours {
				continue
			}
			listening[name] = true
			addr := fields[1][:strings.IndexByte(fields[1], ':')]
			if addr != "0100007F" && addr != "00000000000000000000000001000000" {
				t.Errorf("%s listens on %s (hex, %s), not on loopback", name, fields[1], f)
			}
		}
	}
	for _, name := range []string{"etcd", "kube-apiserver", "kubelet", "containerd"} {
		if !listening[name] {
			t.Errorf("%s listens on no TCP port that this check found", name)
		}
	}
}
