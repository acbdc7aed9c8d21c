//go:build k8s

package fleet_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/cilium/ebpf"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/benchctl/benchctl/bench/results"
	"github.com/benchctl/benchctl/fleet"
	"github.com/benchctl/benchctl/internal/imagebuild"
	"github.com/benchctl/benchctl/internal/kubecluster"
)

const (
	e2eImage  = "docker.io/library/benchctl:e2e"
	namespace = "benchctl"
)

// TestK8sFleet runs fleet on the test cluster's one node (this host)
// through the shipped RBAC: a run to its end, a run whose pod is killed,
// a run interrupted with SIGINT; after each, no object of fleet's is
// left, and after the last no BPF program of benchctl's.
func TestK8sFleet(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root: the cluster's kubelet and the pods' BPF programs")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Minute)
	defer cancel()
	dir := t.TempDir()
	c, exe := clusterWithImage(t, ctx, dir)
	defer c.Stop()
	admin := clientFor(t, c.AdminKubeconfig)
	applyManifests(t, ctx, admin, "../deploy/kubernetes/rbac.yaml")
	sa, err := c.ServiceAccountKubeconfig(ctx, namespace, "benchctl-fleet")
	if err != nil {
		t.Fatal(err)
	}
	uname := unameRelease(t)
	fleetRun := func(out string, extra ...string) *exec.Cmd {
		args := append([]string{"fleet", "run", "--kubeconfig", sa, "--namespace", namespace, "--image", e2eImage,
			"--image-pull-policy", "Never", "-o", out, "../scenarios/ci.yaml"}, extra...)
		cmd := exec.Command(exe, args...)
		cmd.Env = append(os.Environ(), "KUBECONFIG=")
		return cmd
	}

	t.Run("complete", func(t *testing.T) {
		out := filepath.Join(dir, "complete")
		cmd := fleetRun(out, "--repetitions", "2", "--warmup", "0")
		var stderr bytes.Buffer
		cmd.Stderr = io.MultiWriter(&stderr, testWriter{t})
		if err := cmd.Run(); err != nil {
			t.Fatalf("fleet run: %v", err)
		}
		sum := readSummary(t, out)
		n := sum.Nodes[0]
		if len(sum.Nodes) != 1 || !n.Complete || n.Node.Name != c.NodeName || n.Uname != uname {
			t.Fatalf("summary %+v", sum)
		}
		data, err := os.ReadFile(n.Path)
		if err != nil {
			t.Fatal(err)
		}
		if s := sha256.Sum256(data); hex.EncodeToString(s[:]) != n.SHA256 {
			t.Errorf("results file sha256 %x, the pod's %s", s, n.SHA256)
		}
		r, err := results.ReadResults(n.Path)
		if err != nil || r.Environment.Node == nil || r.Environment.Node.Name != c.NodeName || r.Environment.Kernel != uname {
			t.Errorf("results' environment: %v, %+v", err, r.Environment)
		}
		md, _ := os.ReadFile(filepath.Join(out, fleet.MarkdownFile))
		for _, want := range []string{c.NodeName, uname, "## Node × variant", "| complete |"} {
			if !strings.Contains(string(md), want) {
				t.Errorf("fleet.md lacks %q", want)
			}
		}
		noObjects(t, admin)
	})

	t.Run("pod killed", func(t *testing.T) {
		out := filepath.Join(dir, "killed")
		cmd := fleetRun(out, "--repetitions", "20")
		progress := startWatched(t, cmd)
		progress.waitFor(t, "runs, round") // a checkpoint came back
		pods, err := admin.CoreV1().Pods(namespace).List(ctx, metav1.ListOptions{LabelSelector: fleet.LabelManagedBy + "=" + fleet.ManagedBy})
		if err != nil || len(pods.Items) != 1 {
			t.Fatalf("fleet's pods: %v, %v", pods, err)
		}
		if err := admin.CoreV1().Pods(namespace).Delete(ctx, pods.Items[0].Name, metav1.DeleteOptions{GracePeriodSeconds: ptrTo(int64(0))}); err != nil {
			t.Fatal(err)
		}
		err = cmd.Wait()
		var ee *exec.ExitError
		if !errors.As(err, &ee) || ee.ExitCode() != 1 {
			t.Errorf("fleet run after its pod was killed: %v, want exit 1", err)
		}
		n := readSummary(t, out).Nodes[0]
		if n.Complete || !strings.Contains(n.Outcome, "pod deleted mid-run") || !strings.Contains(n.Outcome, "kept, incomplete") {
			t.Errorf("outcome %q", n.Outcome)
		}
		r, err := results.ReadResults(n.Path)
		if err != nil || r.Complete || len(r.Runs) == 0 {
			t.Errorf("the partial results: %v; complete %v, %d runs", err, r != nil && r.Complete, len(r.Runs))
		}
		noObjects(t, admin)
	})

	t.Run("SIGINT", func(t *testing.T) {
		before := benchctlPrograms(t)
		out := filepath.Join(dir, "sigint")
		cmd := fleetRun(out, "--repetitions", "20")
		progress := startWatched(t, cmd)
		progress.waitFor(t, "runs, round")
		cmd.Process.Signal(syscall.SIGINT)
		err := cmd.Wait()
		var ee *exec.ExitError
		if !errors.As(err, &ee) || ee.ExitCode() != 130 {
			t.Errorf("fleet run after SIGINT: %v, want exit 130", err)
		}
		if !strings.Contains(progress.String(), "fleet: deleted pod/") {
			t.Errorf("fleet did not say it deleted its pod:\n%s", progress.String())
		}
		noObjects(t, admin)
		// The kernel frees a program after its last reference goes, a
		// little after its process exits: wait for that, at most a minute.
		var left []string
		for deadline := time.Now().Add(time.Minute); time.Now().Before(deadline); time.Sleep(time.Second) {
			left = nil
			for id, name := range benchctlPrograms(t) {
				if _, old := before[id]; !old {
					left = append(left, name)
				}
			}
			if len(left) == 0 {
				break
			}
		}
		if len(left) > 0 {
			t.Errorf("BPF programs of benchctl's still loaded after the fleet run ended: %v", left)
		}
	})
}

// clusterWithImage builds a static benchctl and its image into dir,
// starts the test cluster and imports the image there. It returns the
// cluster, which the caller stops, and the benchctl binary.
func clusterWithImage(t *testing.T, ctx context.Context, dir string) (*kubecluster.Cluster, string) {
	t.Helper()
	exe := filepath.Join(dir, "benchctl")
	build := exec.Command("go", "build", "-trimpath", "-buildvcs=false", "-o", exe, "../cmd/benchctl")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("building benchctl: %v: %s", err, out)
	}
	archive := buildImage(t, exe, dir)
	c, err := kubecluster.Start(ctx, kubecluster.Options{Logf: t.Logf, Track: clusters})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.ImportImage(ctx, archive); err != nil {
		c.Stop()
		t.Fatal(err)
	}
	return c, exe
}

func buildImage(t *testing.T, exe, dir string) string {
	t.Helper()
	data, err := os.ReadFile(exe)
	if err != nil {
		t.Fatal(err)
	}
	files, err := imagebuild.Programs(filepath.Join(dir, "debs"), []string{"/usr/bin/redis-server", "/usr/bin/redis-benchmark"})
	if err != nil {
		t.Fatal(err)
	}
	files = append(files, imagebuild.File{Path: "/benchctl", Mode: 0o755, Data: data})
	when := time.Unix(0, 0)
	img, err := imagebuild.Image(imagebuild.Options{Files: files, Name: e2eImage, Time: when})
	if err != nil {
		t.Fatal(err)
	}
	archive := filepath.Join(dir, "image.tar")
	f, err := os.Create(archive)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := imagebuild.WriteArchive(f, img, e2eImage, when); err != nil {
		t.Fatal(err)
	}
	return archive
}

func clientFor(t *testing.T, kubeconfig string) kubernetes.Interface {
	cfg, err := clientcmd.BuildConfigFromFlags("", kubeconfig)
	if err != nil {
		t.Fatal(err)
	}
	c, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// applyManifests creates the objects of a multi-document YAML file.
func applyManifests(t *testing.T, ctx context.Context, c kubernetes.Interface, path string) {
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	dec := utilyaml.NewYAMLOrJSONDecoder(f, 4096)
	for {
		var raw runtime.RawExtension
		if err := dec.Decode(&raw); errors.Is(err, io.EOF) {
			return
		} else if err != nil {
			t.Fatal(err)
		}
		if len(bytes.TrimSpace(raw.Raw)) == 0 {
			continue
		}
		obj, _, err := scheme.Codecs.UniversalDeserializer().Decode(raw.Raw, nil, nil)
		if err != nil {
			t.Fatal(err)
		}
		co := metav1.CreateOptions{}
		switch o := obj.(type) {
		case *corev1.Namespace:
			_, err = c.CoreV1().Namespaces().Create(ctx, o, co)
		case *corev1.ServiceAccount:
			_, err = c.CoreV1().ServiceAccounts(o.Namespace).Create(ctx, o, co)
		case *rbacv1.Role:
			_, err = c.RbacV1().Roles(o.Namespace).Create(ctx, o, co)
		case *rbacv1.RoleBinding:
			_, err = c.RbacV1().RoleBindings(o.Namespace).Create(ctx, o, co)
		case *rbacv1.ClusterRole:
			_, err = c.RbacV1().ClusterRoles().Create(ctx, o, co)
		case *rbacv1.ClusterRoleBinding:
			_, err = c.RbacV1().ClusterRoleBindings().Create(ctx, o, co)
		default:
			t.Fatalf("%s: an object of kind %T", path, obj)
		}
		if err != nil {
			t.Fatal(err)
		}
	}
}

// noObjects fails when an object fleet labels is left in the namespace.
func noObjects(t *testing.T, c kubernetes.Interface) {
	t.Helper()
	ctx := context.Background()
	sel := metav1.ListOptions{LabelSelector: fleet.LabelManagedBy + "=" + fleet.ManagedBy}
	pl, err1 := c.CoreV1().Pods(namespace).List(ctx, sel)
	cl, err2 := c.CoreV1().ConfigMaps(namespace).List(ctx, sel)
	ll, err3 := c.CoordinationV1().Leases(namespace).List(ctx, sel)
	if err := errors.Join(err1, err2, err3); err != nil {
		t.Fatal(err)
	}
	if n := len(pl.Items) + len(cl.Items) + len(ll.Items); n > 0 {
		t.Errorf("%d objects of fleet's left: %d pods, %d configmaps, %d leases", n, len(pl.Items), len(cl.Items), len(ll.Items))
	}
}

func readSummary(t *testing.T, dir string) fleet.Summary {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(dir, fleet.SummaryFile))
	if err != nil {
		t.Fatal(err)
	}
	var s fleet.Summary
	if err := json.Unmarshal(data, &s); err != nil {
		t.Fatal(err)
	}
	if len(s.Nodes) == 0 {
		t.Fatalf("summary without nodes: %s", data)
	}
	return s
}

func unameRelease(t *testing.T) string {
	var u syscall.Utsname
	if err := syscall.Uname(&u); err != nil {
		t.Fatal(err)
	}
	var b []byte
	for _, c := range u.Release {
		if c == 0 {
			break
		}
		b = append(b, byte(c))
	}
	return string(b)
}

// benchctlPrograms lists the loaded BPF programs named like benchctl's
// dispatchers.
func benchctlPrograms(t *testing.T) map[ebpf.ProgramID]string {
	out := map[ebpf.ProgramID]string{}
	for id := ebpf.ProgramID(0); ; {
		next, err := ebpf.ProgramGetNextID(id)
		if err != nil {
			return out
		}
		id = next
		p, err := ebpf.NewProgramFromID(id)
		if err != nil {
			continue
		}
		info, err := p.Info()
		p.Close()
		if err == nil {
			switch info.Name {
			case "sys_enter", "sys_exit", "floor_enter", "floor_exit":
				out[id] = info.Name
			}
		}
	}
}

// watched is a command's standard error, seen as it comes.
type watched struct {
	mu  chan struct{}
	buf bytes.Buffer
}

func (w *watched) Write(p []byte) (int, error) {
	w.mu <- struct{}{}
	defer func() { <-w.mu }()
	return w.buf.Write(p)
}

func (w *watched) String() string {
	w.mu <- struct{}{}
	defer func() { <-w.mu }()
	return w.buf.String()
}

// waitFor waits until the output holds s, at most 10 minutes.
func (w *watched) waitFor(t *testing.T, s string) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Minute); time.Now().Before(deadline); time.Sleep(200 * time.Millisecond) {
		if strings.Contains(w.String(), s) {
			return
		}
	}
	t.Fatalf("no %q in fleet's output:\n%s", s, w.String())
}

func startWatched(t *testing.T, cmd *exec.Cmd) *watched {
	w := &watched{mu: make(chan struct{}, 1)}
	cmd.Stderr = io.MultiWriter(w, testWriter{t})
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	return w
}

type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

func ptrTo[T any](v T) *T { return &v }
