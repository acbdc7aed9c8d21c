//go:build k8s

package kubecluster

import (
	"bufio"
	"context"
	"crypto/rand"
	_ "embed"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
	authenticationv1 "k8s.io/api/authentication/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/benchctl/benchctl/internal/shell"
)

//go:embed VERSION
var versionFile string

// Version is the Kubernetes release of the cluster's binaries, e.g.
// "v1.37.2"; client-go must be the matching v0.37.2.
func Version() string { return strings.TrimSpace(versionFile) }

// NodeName is the only node's name. The kubelet takes an IP given as its
// hostname for the node's address without resolving anything, and the
// address must be 127.0.0.1: that is where it listens.
const NodeName = "127.0.0.1"

// PauseImage is the pods' sandbox image, built from the pause binary and
// imported by Start.
const PauseImage = "benchctl.test/pause:1"

// Options configure Start.
type Options struct {
	// CacheDir holds the binaries in k8s/VERSION/ (kube and pause, as
	// make test-k8s builds them). Empty: the .cache directory of the
	// benchctl checkout that holds the working directory.
	CacheDir string
	// Parent is where the state directory is made. Empty: os.TempDir().
	// Unix socket paths must fit in 108 bytes: keep it short.
	Parent string
	// Timeout bounds each wait of Start (etcd, apiserver, containerd,
	// node Ready). Zero: 3 minutes, for a loaded two-core machine.
	Timeout time.Duration
	// Logf, when set, is told of Start's progress (e.g. t.Logf).
	Logf func(format string, args ...any)
	// Track, when set, holds the cluster from Start to Stop, so that a
	// signal handler can stop it (Clusters.StopAll).
	Track *Clusters
}

// Cluster is a running test cluster.
type Cluster struct {
	AdminKubeconfig string // a cluster-admin kubeconfig
	NodeName        string // the only node's name
	Server          string // the apiserver's URL, https://127.0.0.1:PORT
	Dir             string // the state directory, removed by Stop
	LogDir          string // each process's output, NAME.log

	ctrSocket string
	track     *Clusters
	rec       *record
	client    kubernetes.Interface

	mu       sync.Mutex
	procs    map[string]*process
	stopOnce sync.Once
	stopErr  error
}

type process struct {
	name string
	cmd  *exec.Cmd
	done chan struct{}
	err  error
}

// Clusters are the clusters a process started and has not stopped, for
// a signal handler: a test binary's TestMain holds one, each Start given
// it in Options.Track adds its cluster, and Stop removes it. The zero
// value is ready.
type Clusters struct {
	mu   sync.Mutex
	live map[*Cluster]bool
}

func (s *Clusters) add(c *Cluster) {
	if s == nil {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.live == nil {
		s.live = map[*Cluster]bool{}
	}
	s.live[c] = true
}

func (s *Clusters) remove(c *Cluster) {
	if s == nil {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.live, c)
}

// StopAll stops every cluster of s that has not stopped.
func (s *Clusters) StopAll() error {
	s.mu.Lock()
	cs := make([]*Cluster, 0, len(s.live))
	for c := range s.live {
		cs = append(cs, c)
	}
	s.mu.Unlock()
	var errs []error
	for _, c := range cs {
		errs = append(errs, c.Stop())
	}
	return errors.Join(errs...)
}

// spawn runs every fork of this package on one OS thread that never
// exits: the processes are started with a parent-death signal, which
// Linux sends when the forking thread ends, not the process.
var spawn = func() chan func() {
	ch := make(chan func())
	go func() {
		runtime.LockOSThread()
		for f := range ch {
			f()
		}
	}()
	return ch
}()

// Start brings the cluster up and returns once its node is Ready and the
// default namespace has its ServiceAccount. On error, everything it
// started is undone.
func Start(ctx context.Context, opts Options) (*Cluster, error) {
	if opts.Timeout == 0 {
		opts.Timeout = 3 * time.Minute
	}
	if opts.Logf == nil {
		opts.Logf = func(string, ...any) {}
	}
	if opts.Parent == "" {
		opts.Parent = os.TempDir()
	}
	if opts.CacheDir == "" {
		d, err := defaultCacheDir()
		if err != nil {
			return nil, err
		}
		opts.CacheDir = d
	}
	binDir := filepath.Join(opts.CacheDir, "k8s", Version())
	kube := filepath.Join(binDir, "kube")
	pause := filepath.Join(binDir, "pause")
	for _, f := range []string{kube, pause} {
		if _, err := os.Stat(f); err != nil {
			return nil, fmt.Errorf("%w (make test-k8s, or make k8s-bin, builds it)", err)
		}
	}
	for _, cmd := range []string{"etcd", "containerd", "containerd-shim-runc-v2", "runc", "ctr", "ip", "unshare", "mount"} {
		if _, err := exec.LookPath(cmd); err != nil {
			return nil, fmt.Errorf("%s: %w (make test-k8s installs the Debian packages)", cmd, err)
		}
	}
	if _, err := os.Stat("/usr/lib/cni/bridge"); err != nil {
		return nil, fmt.Errorf("%w (Debian's containernetworking-plugins)", err)
	}
	// A stale cluster that cannot be undone (something still mounted in
	// it) must not stop this one: it is reported and tried again next time.
	if err := sweep(opts.Parent); err != nil {
		opts.Logf("test cluster: %v", err)
	}

	idb := make([]byte, 3)
	if _, err := rand.Read(idb); err != nil {
		return nil, err
	}
	id := hex.EncodeToString(idb)
	dir, err := filepath.Abs(filepath.Join(opts.Parent, dirPrefix+id))
	if err != nil {
		return nil, err
	}
	if err := os.Mkdir(dir, 0o700); err != nil {
		return nil, err
	}
	self, err := procStart(os.Getpid())
	if err != nil {
		return nil, err
	}
	c := &Cluster{
		NodeName:  NodeName,
		Dir:       dir,
		LogDir:    filepath.Join(dir, "logs"),
		ctrSocket: filepath.Join(dir, "containerd", "containerd.sock"),
		procs:     map[string]*process{},
	}
	c.rec = &record{
		Owner:      proc{Name: "owner", Pid: os.Getpid(), Start: self},
		CgroupRoot: "/" + dirPrefix + id,
		Bridge:     "bck-" + id,
		Socket:     c.ctrSocket,
		Network:    "benchctl-" + id,
	}
	if err := writeRecord(dir, c.rec); err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	c.track = opts.Track
	c.track.add(c)
	if err := c.start(ctx, opts, kube, pause); err != nil {
		if stopErr := c.Stop(); stopErr != nil {
			err = errors.Join(err, fmt.Errorf("undoing the failed start: %w", stopErr))
		}
		return nil, err
	}
	return c, nil
}

// defaultCacheDir finds the .cache of the benchctl checkout holding the
// working directory (tests run in their package's directory).
func defaultCacheDir() (string, error) {
	wd, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for d := wd; ; d = filepath.Dir(d) {
		b, err := os.ReadFile(filepath.Join(d, "go.mod"))
		if err == nil && strings.HasPrefix(string(b), "module github.com/benchctl/benchctl\n") {
			return filepath.Join(d, ".cache"), nil
		}
		if filepath.Dir(d) == d {
			return "", fmt.Errorf("no benchctl checkout holds %s: set Options.CacheDir", wd)
		}
	}
}

// startup is what the steps of start hand on to each other: the options,
// the binaries, the ports, and the files the first step writes.
type startup struct {
	opts        Options
	kube, pause string

	etcdPort, peerPort, apiPort, kubeletPort, healthzPort, cmPort int
	etcdURL                                                       string

	p                             *pki
	apiCert, apiKey               string
	apiKubeletCert, apiKubeletKey string
	kubeletCert, kubeletKey       string
	saKey, saPub                  string
	kubeletKubeconfig             string
	cmKubeconfig                  string
}

// start runs the steps that bring the cluster up, in order; on an error
// it stops and Start undoes what was started.
func (c *Cluster) start(ctx context.Context, opts Options, kube, pause string) error {
	s := &startup{opts: opts, kube: kube, pause: pause}
	for _, step := range []func(context.Context, *startup) error{
		c.startState,
		c.startEtcd,
		c.startAPIServer,
		c.startControllerManager,
		c.startContainerd,
		c.startKubelet,
		c.waitReady,
	} {
		if err := step(ctx, s); err != nil {
			return err
		}
	}
	opts.Logf("test cluster: ready (%s)", c.Server)
	return nil
}

// startState makes the state directory's tree, picks the ports, and
// writes the certificates and the kubeconfigs.
func (c *Cluster) startState(_ context.Context, s *startup) error {
	dir := c.Dir
	for _, d := range []string{"logs", "pki", "etcd", "containerd", "cni/net.d", "cni/ipam", "kubelet", "pod-logs", "controller-manager", "images"} {
		if err := os.MkdirAll(filepath.Join(dir, d), 0o700); err != nil {
			return err
		}
	}
	ports, err := freePorts(6)
	if err != nil {
		return err
	}
	s.etcdPort, s.peerPort, s.apiPort, s.kubeletPort, s.healthzPort, s.cmPort = ports[0], ports[1], ports[2], ports[3], ports[4], ports[5]
	c.Server = "https://127.0.0.1:" + strconv.Itoa(s.apiPort)

	s.opts.Logf("test cluster: certificates in %s", dir)
	p, err := newPKI(filepath.Join(dir, "pki"))
	if err != nil {
		return err
	}
	s.p = p
	loop := []net.IP{net.IPv4(127, 0, 0, 1)}
	s.apiCert, s.apiKey, err = p.issue("apiserver", "kube-apiserver", nil,
		append(loop, net.IPv4(10, 96, 0, 1)),
		[]string{"localhost", "kubernetes", "kubernetes.default", "kubernetes.default.svc", "kubernetes.default.svc.cluster.local"}, false, true)
	if err != nil {
		return err
	}
	s.apiKubeletCert, s.apiKubeletKey, err = p.issue("apiserver-kubelet-client", "kube-apiserver-kubelet-client", []string{"system:masters"}, nil, nil, true, false)
	if err != nil {
		return err
	}
	s.kubeletCert, s.kubeletKey, err = p.issue("kubelet", "system:node:"+NodeName, []string{"system:nodes"}, loop, []string{"localhost"}, true, true)
	if err != nil {
		return err
	}
	adminCert, adminKey, err := p.issue("admin", "benchctl-test-admin", []string{"system:masters"}, nil, nil, true, false)
	if err != nil {
		return err
	}
	cmCert, cmKey, err := p.issue("controller-manager", "system:kube-controller-manager", nil, nil, nil, true, false)
	if err != nil {
		return err
	}
	s.saKey, s.saPub, err = p.serviceAccountKey()
	if err != nil {
		return err
	}
	c.AdminKubeconfig = filepath.Join(dir, "admin.kubeconfig")
	s.kubeletKubeconfig = filepath.Join(dir, "kubelet.kubeconfig")
	s.cmKubeconfig = filepath.Join(dir, "controller-manager.kubeconfig")
	for _, k := range []struct{ path, user, cert, key string }{
		{c.AdminKubeconfig, "admin", adminCert, adminKey},
		{s.kubeletKubeconfig, "kubelet", s.kubeletCert, s.kubeletKey},
		{s.cmKubeconfig, "controller-manager", cmCert, cmKey},
	} {
		if err := writeKubeconfig(k.path, c.Server, p.caFile(), k.user, k.cert, k.key, "", ""); err != nil {
			return err
		}
	}
	return nil
}

// startEtcd starts etcd and waits until it is healthy.
func (c *Cluster) startEtcd(ctx context.Context, s *startup) error {
	s.etcdURL = "http://127.0.0.1:" + strconv.Itoa(s.etcdPort)
	peerURL := "http://127.0.0.1:" + strconv.Itoa(s.peerPort)
	if err := c.run("etcd", "etcd", nil,
		"--name=default",
		"--data-dir="+filepath.Join(c.Dir, "etcd"),
		"--listen-client-urls="+s.etcdURL,
		"--advertise-client-urls="+s.etcdURL,
		"--listen-peer-urls="+peerURL,
		"--initial-advertise-peer-urls="+peerURL,
		"--initial-cluster=default="+peerURL,
		"--initial-cluster-state=new",
		"--logger=zap",
		"--log-outputs=stderr",
	); err != nil {
		return err
	}
	s.opts.Logf("test cluster: waiting for etcd on %s", s.etcdURL)
	return c.waitFor(ctx, s.opts.Timeout, "etcd", func(ctx context.Context) error {
		return httpHealthy(ctx, s.etcdURL+"/health", `"health":"true"`)
	})
}

// startAPIServer starts kube-apiserver, makes the cluster's admin client,
// and waits until the apiserver is ready.
func (c *Cluster) startAPIServer(ctx context.Context, s *startup) error {
	if err := c.run("kube-apiserver", s.kube, nil, "kube-apiserver",
		"--etcd-servers="+s.etcdURL,
		"--bind-address=127.0.0.1",
		"--advertise-address=127.0.0.1",
		"--secure-port="+strconv.Itoa(s.apiPort),
		"--tls-cert-file="+s.apiCert,
		"--tls-private-key-file="+s.apiKey,
		"--client-ca-file="+s.p.caFile(),
		"--kubelet-client-certificate="+s.apiKubeletCert,
		"--kubelet-client-key="+s.apiKubeletKey,
		"--kubelet-certificate-authority="+s.p.caFile(),
		"--kubelet-preferred-address-types=InternalIP",
		"--service-cluster-ip-range=10.96.0.0/24",
		"--service-account-issuer=https://kubernetes.default.svc.cluster.local",
		"--service-account-key-file="+s.saPub,
		"--service-account-signing-key-file="+s.saKey,
		"--authorization-mode=Node,RBAC",
		"--enable-admission-plugins=NodeRestriction",
		"--allow-privileged=true",
		"--endpoint-reconciler-type=none",
		"--profiling=false",
		"--cert-dir="+filepath.Join(c.Dir, "pki", "apiserver"),
	); err != nil {
		return err
	}
	cfg, err := clientcmd.BuildConfigFromFlags("", c.AdminKubeconfig)
	if err != nil {
		return err
	}
	cs, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return err
	}
	c.client = cs
	s.opts.Logf("test cluster: waiting for kube-apiserver on %s", c.Server)
	return c.waitFor(ctx, s.opts.Timeout, "kube-apiserver", func(ctx context.Context) error {
		body, err := cs.Discovery().RESTClient().Get().AbsPath("/readyz").DoRaw(ctx)
		if err != nil {
			return fmt.Errorf("%w: %s", err, body)
		}
		return nil
	})
}

// startControllerManager starts kube-controller-manager: default
// ServiceAccounts, kube-root-ca.crt, namespace deletion, garbage
// collection. waitReady waits for its first work.
func (c *Cluster) startControllerManager(_ context.Context, s *startup) error {
	return c.run("kube-controller-manager", s.kube, nil, "kube-controller-manager",
		"--kubeconfig="+s.cmKubeconfig,
		"--authentication-kubeconfig="+s.cmKubeconfig,
		"--authorization-kubeconfig="+s.cmKubeconfig,
		"--bind-address=127.0.0.1",
		"--secure-port="+strconv.Itoa(s.cmPort),
		"--cert-dir="+filepath.Join(c.Dir, "controller-manager"),
		"--leader-elect=false",
		"--service-account-private-key-file="+s.saKey,
		"--root-ca-file="+s.p.caFile(),
		"--use-service-account-credentials=true",
		"--profiling=false",
	)
}

// startContainerd prepares the pods' network and cgroups, starts
// containerd, waits until it answers, and imports the pause image.
func (c *Cluster) startContainerd(ctx context.Context, s *startup) error {
	if err := c.prepareNode(); err != nil {
		return err
	}
	ctrConfig := filepath.Join(c.Dir, "containerd", "config.toml")
	if err := os.WriteFile(ctrConfig, []byte(containerdConfig(c.Dir, c.ctrSocket)), 0o600); err != nil {
		return err
	}
	if err := c.run("containerd", "containerd", nil, "--config", ctrConfig); err != nil {
		return err
	}
	s.opts.Logf("test cluster: waiting for containerd on %s", c.ctrSocket)
	if err := c.waitFor(ctx, s.opts.Timeout, "containerd", func(ctx context.Context) error {
		out, err := exec.CommandContext(ctx, "ctr", "--address", c.ctrSocket, "version").CombinedOutput()
		if err != nil {
			return fmt.Errorf("ctr version: %v: %s", err, out)
		}
		return nil
	}); err != nil {
		return err
	}
	pauseBin, err := os.ReadFile(s.pause)
	if err != nil {
		return err
	}
	pauseTar := filepath.Join(c.Dir, "images", "pause.tar")
	if err := WriteImage(pauseTar, PauseImage, []string{"/pause"}, []ImageFile{{Path: "/pause", Mode: 0o755, Data: pauseBin}}); err != nil {
		return err
	}
	return c.ImportImage(ctx, pauseTar)
}

// startKubelet writes the kubelet's configuration and starts it in its
// own mount namespace (kubeletNamespace).
func (c *Cluster) startKubelet(_ context.Context, s *startup) error {
	kubeletConfig := filepath.Join(c.Dir, "kubelet.yaml")
	if err := os.WriteFile(kubeletConfig, []byte(kubeletConfiguration(c.Dir, c.rec.CgroupRoot, c.ctrSocket, s.p.caFile(), s.kubeletCert, s.kubeletKey, s.kubeletPort, s.healthzPort)), 0o600); err != nil {
		return err
	}
	kubeletRoot := filepath.Join(c.Dir, "kubelet")
	unshare, err := c.kubeletNamespace(kubeletRoot)
	if err != nil {
		return err
	}
	// No /usr/sbin in its PATH: the kubelet then finds no iptables and
	// adds no rule to the host's tables (the test pods need none).
	return c.run("kubelet", unshare[0], []string{"PATH=/usr/local/bin:/usr/bin:/bin"}, append(unshare[1:], s.kube, "kubelet",
		"--config="+kubeletConfig,
		"--kubeconfig="+s.kubeletKubeconfig,
		"--root-dir="+kubeletRoot,
		"--hostname-override="+NodeName,
		"--v=2",
	)...)
}

// waitReady waits for the node to be Ready, then for the controller
// manager to have made the default namespace's ServiceAccount.
func (c *Cluster) waitReady(ctx context.Context, s *startup) error {
	cs := c.client
	s.opts.Logf("test cluster: waiting for node %s to be Ready", NodeName)
	if err := c.waitFor(ctx, s.opts.Timeout, "kubelet", func(ctx context.Context) error {
		n, err := cs.CoreV1().Nodes().Get(ctx, NodeName, metav1.GetOptions{})
		if err != nil {
			return err
		}
		for _, cond := range n.Status.Conditions {
			if cond.Type == corev1.NodeReady {
				if cond.Status == corev1.ConditionTrue {
					return nil
				}
				return fmt.Errorf("node %s: Ready is %s: %s", NodeName, cond.Status, cond.Message)
			}
		}
		return fmt.Errorf("node %s: no Ready condition yet", NodeName)
	}); err != nil {
		return err
	}
	return c.waitFor(ctx, s.opts.Timeout, "kube-controller-manager", func(ctx context.Context) error {
		_, err := cs.CoreV1().ServiceAccounts("default").Get(ctx, "default", metav1.GetOptions{})
		return err
	})
}

// kubeletSysctls are the kernel settings the kubelet wants (the values of
// its setupKernelTunables). It writes them to /proc/sys where they
// differ, or with protectKernelDefaults refuses to start; neither is the
// test cluster's to do on a developer's or CI's machine (kernel.panic_on_oops
// among them). So the kubelet runs in a mount namespace of its own where
// these files of /proc/sys are bind mounts of files holding those values:
// it reads what it wants and, protectKernelDefaults on, writes nothing.
var kubeletSysctls = []struct{ path, value string }{
	{"vm/overcommit_memory", "1"},
	{"vm/panic_on_oom", "0"},
	{"kernel/panic", "10"},
	{"kernel/panic_on_oops", "1"},
	{"kernel/keys/root_maxkeys", "1000000"},
	{"kernel/keys/root_maxbytes", "25000000"},
}

// kubeletNamespace returns the command that starts the kubelet (appended
// to it) in that mount namespace. The kubelet's root directory is made a
// shared mount first, so that the volumes the kubelet mounts there (a
// pod's service account token, its ConfigMaps) reach the host's namespace,
// where containerd and runc bind them into containers; /proc is made
// private in the new namespace before anything is mounted on it, so that
// nothing mounted there reaches the host's.
func (c *Cluster) kubeletNamespace(kubeletRoot string) ([]string, error) {
	if err := unix.Mount(kubeletRoot, kubeletRoot, "", unix.MS_BIND, ""); err != nil {
		return nil, fmt.Errorf("bind mount %s: %w", kubeletRoot, err)
	}
	if err := unix.Mount("", kubeletRoot, "", unix.MS_SHARED, ""); err != nil {
		return nil, fmt.Errorf("make %s a shared mount: %w", kubeletRoot, err)
	}
	sysctlDir := filepath.Join(c.Dir, "kubelet-sysctl")
	if err := os.MkdirAll(sysctlDir, 0o700); err != nil {
		return nil, err
	}
	script := "set -e; mount --make-rprivate /proc"
	for i, s := range kubeletSysctls {
		f := filepath.Join(sysctlDir, strconv.Itoa(i))
		if err := os.WriteFile(f, []byte(s.value+"\n"), 0o444); err != nil {
			return nil, err
		}
		script += "; mount --bind " + shell.Quote(f) + " " + shell.Quote("/proc/sys/"+s.path)
	}
	script += `; exec "$0" "$@"`
	return []string{"unshare", "--mount", "--propagation", "unchanged", "--", "/bin/sh", "-c", script}, nil
}

// prepareNode makes the pods' parent cgroup in every hierarchy (the
// kubelet wants its cgroupRoot to exist) and writes the CNI config: a
// bridge of the cluster's own with no gateway and no masquerading, so that
// pods reach each other and nothing else.
func (c *Cluster) prepareNode() error {
	for _, h := range cgroupHierarchies() {
		d := filepath.Join(h, c.rec.CgroupRoot)
		if err := os.Mkdir(d, 0o755); err != nil && !errors.Is(err, os.ErrExist) {
			return err
		}
		// A new cpuset cgroup has no CPUs and no memory nodes.
		for _, f := range []string{"cpuset.cpus", "cpuset.mems"} {
			if b, err := os.ReadFile(filepath.Join(h, f)); err == nil {
				if err := os.WriteFile(filepath.Join(d, f), b, 0o644); err != nil {
					return err
				}
			}
		}
	}
	subnet, err := freeSubnet()
	if err != nil {
		return err
	}
	conf := fmt.Sprintf(`{
  "cniVersion": "0.4.0",
  "name": %q,
  "plugins": [{
    "type": "bridge",
    "bridge": %q,
    "isGateway": false,
    "ipMasq": false,
    "ipam": {"type": "host-local", "ranges": [[{"subnet": %q}]], "dataDir": %q}
  }]
}
`, c.rec.Network, c.rec.Bridge, subnet, filepath.Join(c.Dir, "cni", "ipam"))
	return os.WriteFile(filepath.Join(c.Dir, "cni", "net.d", "10-benchctl.conflist"), []byte(conf), 0o644)
}

// freeSubnet picks a /24 in 10.250.0.0/16 that no interface of the host
// has, for the pods' bridge.
func freeSubnet() (string, error) {
	addrs, err := net.InterfaceAddrs()
	if err != nil {
		return "", err
	}
	for i := 0; i < 64; i++ {
		b := make([]byte, 1)
		if _, err := rand.Read(b); err != nil {
			return "", err
		}
		_, n, _ := net.ParseCIDR(fmt.Sprintf("10.250.%d.0/24", b[0]))
		used := false
		for _, a := range addrs {
			if ipn, ok := a.(*net.IPNet); ok && (n.Contains(ipn.IP) || ipn.Contains(n.IP)) {
				used = true
			}
		}
		if !used {
			return n.String(), nil
		}
	}
	return "", errors.New("no free /24 in 10.250.0.0/16 for the pods")
}

func containerdConfig(dir, socket string) string {
	q := strconv.Quote
	return `version = 2
root = ` + q(filepath.Join(dir, "containerd", "root")) + `
state = ` + q(containerdState(dir)) + `
# Plugins that would write outside the state directory, or are not needed.
disabled_plugins = ["io.containerd.internal.v1.opt", "io.containerd.snapshotter.v1.aufs", "io.containerd.snapshotter.v1.btrfs", "io.containerd.snapshotter.v1.zfs", "io.containerd.snapshotter.v1.devmapper", "io.containerd.tracing.processor.v1.otlp", "io.containerd.internal.v1.tracing"]

[grpc]
  address = ` + q(socket) + `

[ttrpc]
  address = ` + q(socket+".ttrpc") + `

[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = ` + q(PauseImage) + `
  stream_server_address = "127.0.0.1"
  stream_server_port = "0"
  netns_mounts_under_state_dir = true
  enable_selinux = false
  disable_apparmor = true
  # Never below containerd's own: lowering a process's oom_score_adj needs
  # CAP_SYS_RESOURCE, which root may lack (it does on this project's
  # machines), and then runc fails to create the pods' sandboxes.
  restrict_oom_score_adj = true
  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "overlayfs"
    default_runtime_name = "runc"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
        SystemdCgroup = false
        Root = ` + q(filepath.Join(dir, "containerd", "runc")) + `
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "/usr/lib/cni"
    conf_dir = ` + q(filepath.Join(dir, "cni", "net.d")) + `
`
}

func kubeletConfiguration(dir, cgroupRoot, socket, ca, cert, key string, port, healthz int) string {
	q := strconv.Quote
	return `apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
address: 127.0.0.1
port: ` + strconv.Itoa(port) + `
readOnlyPort: 0
healthzBindAddress: 127.0.0.1
healthzPort: ` + strconv.Itoa(healthz) + `
tlsCertFile: ` + q(cert) + `
tlsPrivateKeyFile: ` + q(key) + `
authentication:
  anonymous: {enabled: false}
  webhook: {enabled: true}
  x509: {clientCAFile: ` + q(ca) + `}
authorization: {mode: Webhook}
containerRuntimeEndpoint: ` + q("unix://"+socket) + `
cgroupDriver: cgroupfs
cgroupRoot: ` + q(cgroupRoot) + `
cgroupsPerQOS: true
# This host has cgroup v1 only: kubelets from 1.35 on refuse it unless told.
failCgroupV1: false
failSwapOn: false
# Its kernel settings are read from files of the test's (kubeletNamespace):
# with this, a mismatch stops it instead of being written to the host.
protectKernelDefaults: true
podLogsDir: ` + q(filepath.Join(dir, "pod-logs")) + `
clusterDomain: cluster.local
resolvConf: /etc/resolv.conf
registerNode: true
rotateCertificates: false
serverTLSBootstrap: false
serializeImagePulls: false
# Evict nothing and collect no image for a busy shared machine's sake:
# the cluster lives for one test.
evictionHard: {memory.available: "1Mi", nodefs.available: "1%", nodefs.inodesFree: "1%", imagefs.available: "1%", imagefs.inodesFree: "1%"}
imageGCHighThresholdPercent: 100
imageGCLowThresholdPercent: 99
`
}

// writeKubeconfig writes a kubeconfig for server with either a client
// certificate or a token.
func writeKubeconfig(path, server, ca, user, cert, key, token, namespace string) error {
	q := strconv.Quote
	var b strings.Builder
	b.WriteString("apiVersion: v1\nkind: Config\nclusters:\n- name: benchctl-test\n  cluster:\n")
	b.WriteString("    server: " + q(server) + "\n    certificate-authority: " + q(ca) + "\n")
	b.WriteString("users:\n- name: " + q(user) + "\n  user:\n")
	if token != "" {
		b.WriteString("    token: " + q(token) + "\n")
	} else {
		b.WriteString("    client-certificate: " + q(cert) + "\n    client-key: " + q(key) + "\n")
	}
	b.WriteString("contexts:\n- name: benchctl-test\n  context:\n    cluster: benchctl-test\n    user: " + q(user) + "\n")
	if namespace != "" {
		b.WriteString("    namespace: " + q(namespace) + "\n")
	}
	b.WriteString("current-context: benchctl-test\n")
	return os.WriteFile(path, []byte(b.String()), 0o600)
}

func freePorts(n int) ([]int, error) {
	var ls []net.Listener
	defer func() {
		for _, l := range ls {
			l.Close()
		}
	}()
	var ports []int
	for i := 0; i < n; i++ {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, err
		}
		ls = append(ls, l)
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	return ports, nil
}

func httpHealthy(ctx context.Context, url, want string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	var body strings.Builder
	for sc.Scan() {
		body.WriteString(sc.Text())
	}
	if resp.StatusCode != http.StatusOK || !strings.Contains(body.String(), want) {
		return fmt.Errorf("%s: %s %s", url, resp.Status, body.String())
	}
	return nil
}

// run starts one of the cluster's processes in its own process group (a
// Ctrl-C at the terminal reaches the test, whose Stop then ends them in
// order), with a parent-death signal (a killed test takes them along), its
// output in LogDir/NAME.log, and records it for Stop and the next sweep.
func (c *Cluster) run(name, bin string, env []string, args ...string) error {
	logf, err := os.OpenFile(filepath.Join(c.LogDir, name+".log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return err
	}
	cmd := exec.Command(bin, args...)
	cmd.Stdout = logf
	cmd.Stderr = logf
	cmd.Env = append(os.Environ(), env...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	errc := make(chan error, 1)
	spawn <- func() { errc <- cmd.Start() }
	if err := <-errc; err != nil {
		logf.Close()
		return fmt.Errorf("%s: %w", name, err)
	}
	pr := &process{name: name, cmd: cmd, done: make(chan struct{})}
	start, err := procStart(cmd.Process.Pid)
	c.mu.Lock()
	c.procs[name] = pr
	if err == nil {
		c.rec.Procs = append(c.rec.Procs, proc{Name: name, Pid: cmd.Process.Pid, Start: start})
	}
	werr := writeRecord(c.Dir, c.rec)
	c.mu.Unlock()
	go func() {
		pr.err = cmd.Wait()
		logf.Close()
		close(pr.done)
	}()
	if err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	return werr
}

// waitFor polls check until it succeeds, the process name exits, or the
// timeout passes; its error then ends with the process's last log lines.
func (c *Cluster) waitFor(ctx context.Context, timeout time.Duration, name string, check func(context.Context) error) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	c.mu.Lock()
	pr := c.procs[name]
	c.mu.Unlock()
	var last error
	for {
		cctx, ccancel := context.WithTimeout(ctx, 10*time.Second)
		last = check(cctx)
		ccancel()
		if last == nil {
			return nil
		}
		select {
		case <-pr.done:
			return fmt.Errorf("%s exited (%v) before it was ready: %v\n%s", name, pr.err, last, c.logTail(name, 30))
		case <-ctx.Done():
			return fmt.Errorf("%s not ready after %s: %v\n%s", name, timeout, last, c.logTail(name, 30))
		case <-time.After(250 * time.Millisecond):
		}
	}
}

// logTail is the last n lines of a process's output.
func (c *Cluster) logTail(name string, n int) string {
	b, err := os.ReadFile(filepath.Join(c.LogDir, name+".log"))
	if err != nil {
		return err.Error()
	}
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return "--- last lines of " + name + ".log:\n" + strings.Join(lines, "\n")
}

// LogTail is the last n lines of a component's output (etcd,
// kube-apiserver, kube-controller-manager, containerd, kubelet), e.g. for a
// failing test to print before Stop removes them.
func (c *Cluster) LogTail(component string, n int) string { return c.logTail(component, n) }

// Stop kills every process the cluster started (its containers and their
// shims too), unmounts what is mounted in its state directory, removes its
// cgroups, its bridge and the directory. It is safe to call more than once
// and from several goroutines; later calls return the first one's error.
func (c *Cluster) Stop() error {
	c.stopOnce.Do(func() {
		c.mu.Lock()
		rec := *c.rec
		procs := c.procs
		c.mu.Unlock()
		c.stopErr = teardown(c.Dir, &rec)
		for _, pr := range procs {
			select {
			case <-pr.done: // reaped: no zombie left
			case <-time.After(10 * time.Second):
				c.stopErr = errors.Join(c.stopErr, fmt.Errorf("%s did not exit", pr.name))
			}
		}
		c.track.remove(c)
	})
	return c.stopErr
}

// ImportImage imports an OCI or docker image archive into the node's
// containerd, where the kubelet finds it (namespace k8s.io). The image is
// named by the archive: an OCI index entry's io.containerd.image.name
// annotation (as WriteImage writes it), or a docker archive's RepoTags.
func (c *Cluster) ImportImage(ctx context.Context, archive string) error {
	out, err := exec.CommandContext(ctx, "ctr", "--address", c.ctrSocket, "--namespace", "k8s.io", "images", "import", archive).CombinedOutput()
	if err != nil {
		return fmt.Errorf("ctr images import %s: %v: %s", archive, err, out)
	}
	return nil
}

var dnsName = regexp.MustCompile(`^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$`)

// ServiceAccountKubeconfig writes a kubeconfig whose credential is a
// one-hour token of the ServiceAccount namespace/account (which must
// exist), from the TokenRequest API, with namespace as its default, and
// returns its path (in the state directory).
func (c *Cluster) ServiceAccountKubeconfig(ctx context.Context, namespace, account string) (string, error) {
	if !dnsName.MatchString(namespace) || !dnsName.MatchString(account) {
		return "", fmt.Errorf("service account %q/%q: not a valid name", namespace, account)
	}
	expiry := int64(3600)
	tr, err := c.client.CoreV1().ServiceAccounts(namespace).CreateToken(ctx, account, &authenticationv1.TokenRequest{
		Spec: authenticationv1.TokenRequestSpec{ExpirationSeconds: &expiry},
	}, metav1.CreateOptions{})
	if err != nil {
		return "", fmt.Errorf("token of service account %s/%s: %w", namespace, account, err)
	}
	path := filepath.Join(c.Dir, "sa-"+namespace+"-"+account+".kubeconfig")
	user := "system:serviceaccount:" + namespace + ":" + account
	if err := writeKubeconfig(path, c.Server, filepath.Join(c.Dir, "pki", "ca.crt"), user, "", "", tr.Status.Token, namespace); err != nil {
		return "", err
	}
	return path, nil
}
