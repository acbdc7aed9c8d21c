package fleet

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/benchctl/benchctl/bench/results"
	"github.com/benchctl/benchctl/internal/atomicfile"
)

// Options are a fleet run's settings.
type Options struct {
	Client    kubernetes.Interface
	Namespace string
	// Nodes names the nodes to run on; else Selector selects them by
	// label (empty: every node).
	Nodes    []string
	Selector string
	Image    string
	// PullPolicy is the pod's imagePullPolicy ("" leaves Kubernetes'
	// default).
	PullPolicy corev1.PullPolicy
	// Scenario is the scenario file's path; RunArgs the flags of every
	// pod's benchctl run.
	Scenario string
	RunArgs  []string
	// OutDir gets one results file per node and the reports; Force lets
	// fleet replace files of those names.
	OutDir string
	Force  bool
	// Serial runs one node at a time.
	Serial bool
	// Timeout bounds each node's pod (its activeDeadlineSeconds); 0:
	// none.
	Timeout time.Duration
	// Progress gets a line whenever a node's phase, run count or rounds
	// change; with TTY set, one line per node redrawn in place.
	Progress io.Writer
	TTY      bool
	// RunID labels this run's objects (default: random).
	RunID string
	// Poll is how often pods and nodes are looked at (default 2 s).
	Poll time.Duration
	// NodeGone is how long a node may be NotReady before its run counts
	// as lost (default 60 s).
	NodeGone time.Duration
	// Logs opens a pod's log, followed (default: the API server's
	// pods/log).
	Logs func(ctx context.Context, namespace, pod string) (io.ReadCloser, error)
}

// Errors of a fleet run that are not a node's.
var (
	// ErrNoNodes: the selection matched no node.
	ErrNoNodes = errors.New("no node selected")
	// ErrExists: an output file exists and Force is not set.
	ErrExists = errors.New("output file exists")
)

// NodeResult is what became of one node.
type NodeResult struct {
	Node results.NodeInfo `json:"node"`
	// Outcome says what happened, in a few words; Complete is set when
	// the node's results file is complete and benchctl run exited 0.
	Outcome  string `json:"outcome"`
	Complete bool   `json:"complete"`
	// Path is the results file written (the last checkpoint the pod
	// printed, byte for byte), "" when it printed none; SHA256 is its
	// digest as the pod computed it and fleet checked it.
	Path   string `json:"path,omitempty"`
	SHA256 string `json:"sha256,omitempty"`
	// ExitCode is benchctl run's in the pod, when it said.
	ExitCode *int `json:"exit_code,omitempty"`
	// Uname is the kernel release the pod saw.
	Uname string `json:"uname,omitempty"`
	// Tail holds the last lines benchctl run printed, for the failure.
	Tail []string `json:"tail,omitempty"`
}

// Summary is a fleet run.
type Summary struct {
	RunID    string       `json:"run_id"`
	Scenario string       `json:"scenario"`
	Image    string       `json:"image"`
	Nodes    []NodeResult `json:"nodes"`
	// Deleted lists the objects cleanup deleted, as kind/name.
	Deleted []string `json:"deleted"`
	// Left lists what cleanup could not delete or did not see gone.
	Left []string `json:"left,omitempty"`
}

// NewRunID returns a random run id: 8 hex digits.
func NewRunID() string {
	var b [4]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

var unsafeFile = regexp.MustCompile(`[^A-Za-z0-9._-]`)

// ResultsPath is where node's results file goes in dir.
func ResultsPath(dir, node string) string {
	name := unsafeFile.ReplaceAllString(node, "_")
	if strings.Trim(name, ".") == "" || strings.HasPrefix(name, "fleet.") {
		name = "node-" + name
	}
	return filepath.Join(dir, name+".json")
}

// Report paths in the output folder.
const (
	SummaryFile  = "fleet.json"
	MarkdownFile = "fleet.md"
	HTMLFile     = "fleet.html"
)

// Run runs the scenario on the selected nodes and returns what became
// of each, having deleted every object it created, also when ctx is
// cancelled (it returns ctx's error then, with the summary). Its error is
// the run's as a whole (the cluster refused, no node selected); a node
// that fails is a NodeResult.
func Run(ctx context.Context, o Options) (*Summary, error) {
	if o.RunID == "" {
		o.RunID = NewRunID()
	}
	if o.Poll <= 0 {
		o.Poll = 2 * time.Second
	}
	if o.NodeGone <= 0 {
		o.NodeGone = 60 * time.Second
	}
	if o.Progress == nil {
		o.Progress = io.Discard
	}
	if o.Logs == nil {
		o.Logs = func(ctx context.Context, namespace, pod string) (io.ReadCloser, error) {
			return o.Client.CoreV1().Pods(namespace).GetLogs(pod, &corev1.PodLogOptions{Follow: true}).Stream(ctx)
		}
	}
	data, err := os.ReadFile(o.Scenario)
	if err != nil {
		return nil, err
	}
	nodes, err := selectNodes(ctx, o)
	if err != nil {
		return nil, err
	}
	if len(nodes) == 0 {
		return nil, ErrNoNodes
	}
	if err := os.MkdirAll(o.OutDir, 0o755); err != nil {
		return nil, err
	}
	var outs []string
	for _, n := range nodes {
		outs = append(outs, ResultsPath(o.OutDir, n.Name))
	}
	outs = append(outs, filepath.Join(o.OutDir, SummaryFile), filepath.Join(o.OutDir, MarkdownFile), filepath.Join(o.OutDir, HTMLFile))
	for _, p := range outs {
		exists, err := atomicfile.Check(p)
		if err != nil {
			return nil, err
		}
		if exists && !o.Force {
			return nil, fmt.Errorf("%w: %s (--force replaces it)", ErrExists, p)
		}
	}

	sum := &Summary{RunID: o.RunID, Scenario: o.Scenario, Image: o.Image}
	key := unsafeFile.ReplaceAllString(filepath.Base(o.Scenario), "_")
	cm := scenarioConfigMap(o.RunID, o.Namespace, key, data)
	pr := &progress{w: o.Progress, tty: o.TTY}
	rec := &recorder{pr: pr}
	defer func() {
		// A fresh context: the run's may be cancelled (Ctrl-C).
		cctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
		defer cancel()
		deleted, left := Cleanup(cctx, o.Client, o.Namespace, o.RunID, o.Progress)
		sum.Deleted, sum.Left = append(rec.deleted, deleted...), left
		sort.Strings(sum.Deleted)
	}()
	if _, err := o.Client.CoreV1().ConfigMaps(o.Namespace).Create(ctx, cm, metav1.CreateOptions{}); err != nil {
		return sum, fmt.Errorf("creating the scenario's ConfigMap: %w", err)
	}

	sum.Nodes = make([]NodeResult, len(nodes))
	var wg sync.WaitGroup
	sem := make(chan struct{}, len(nodes))
	if o.Serial {
		sem = make(chan struct{}, 1)
	}
	for i, n := range nodes {
		n.Pod = objectName("pod", o.RunID, n.Name)
		n.Image = o.Image
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			nr := &nodeRun{o: o, node: n, cm: cm.Name, key: key, pr: pr, rec: rec}
			sum.Nodes[i] = nr.run(ctx)
		}()
	}
	wg.Wait()
	return sum, ctx.Err()
}

// selectNodes returns the nodes of o: those named, or those its selector
// selects, each with its kernel and well-known labels. A named node the
// cluster does not have is an error.
func selectNodes(ctx context.Context, o Options) ([]results.NodeInfo, error) {
	var list []corev1.Node
	if len(o.Nodes) > 0 {
		for _, name := range o.Nodes {
			n, err := o.Client.CoreV1().Nodes().Get(ctx, name, metav1.GetOptions{})
			if err != nil {
				return nil, fmt.Errorf("node %s: %w", name, err)
			}
			list = append(list, *n)
		}
	} else {
		nl, err := o.Client.CoreV1().Nodes().List(ctx, metav1.ListOptions{LabelSelector: o.Selector})
		if err != nil {
			return nil, fmt.Errorf("listing nodes: %w", err)
		}
		list = nl.Items
		sort.Slice(list, func(i, j int) bool { return list[i].Name < list[j].Name })
	}
	var out []results.NodeInfo
	seen := map[string]bool{}
	for _, n := range list {
		if seen[n.Name] {
			continue
		}
		seen[n.Name] = true
		out = append(out, nodeInfo(&n))
	}
	return out, nil
}

func nodeInfo(n *corev1.Node) results.NodeInfo {
	return results.NodeInfo{Name: n.Name, Kernel: n.Status.NodeInfo.KernelVersion,
		InstanceType: n.Labels[labelInstanceType], Zone: n.Labels[labelZone]}
}

// WriteSummary writes the summary as JSON into dir.
func WriteSummary(dir string, s *Summary) error {
	data, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return err
	}
	return atomicfile.Write(filepath.Join(dir, SummaryFile), append(data, '\n'), 0o644)
}

// Cleanup deletes every pod, ConfigMap and Lease labelled as run's in
// namespace, waits until the pods are gone (their benchctl has detached
// its probes by then: a pod's containers are stopped before it goes),
// and returns what it deleted and what is left, as kind/name. It says
// each on w. Each node's run deletes its pod and lease as it ends: this
// is for what is left when a run is cut short.
func Cleanup(ctx context.Context, c kubernetes.Interface, namespace, run string, w io.Writer) (deleted, left []string) {
	sel := metav1.ListOptions{LabelSelector: runSelector(run)}
	core := c.CoreV1()
	var pods []string
	if pl, err := core.Pods(namespace).List(ctx, sel); err != nil {
		left = append(left, fmt.Sprintf("pods (listing: %v)", err))
	} else {
		for _, p := range pl.Items {
			if err := core.Pods(namespace).Delete(ctx, p.Name, metav1.DeleteOptions{}); err != nil && !apierrors.IsNotFound(err) {
				left = append(left, "pod/"+p.Name+" ("+err.Error()+")")
				continue
			}
			pods = append(pods, p.Name)
		}
	}
	if cl, err := core.ConfigMaps(namespace).List(ctx, sel); err != nil {
		left = append(left, fmt.Sprintf("configmaps (listing: %v)", err))
	} else {
		for _, m := range cl.Items {
			if err := core.ConfigMaps(namespace).Delete(ctx, m.Name, metav1.DeleteOptions{}); err != nil && !apierrors.IsNotFound(err) {
				left = append(left, "configmap/"+m.Name+" ("+err.Error()+")")
				continue
			}
			deleted = append(deleted, "configmap/"+m.Name)
		}
	}
	leases := c.CoordinationV1().Leases(namespace)
	if ll, err := leases.List(ctx, sel); err != nil {
		left = append(left, fmt.Sprintf("leases (listing: %v)", err))
	} else {
		for _, l := range ll.Items {
			if l.Spec.HolderIdentity == nil || *l.Spec.HolderIdentity != run {
				continue // another run took it over
			}
			pre := metav1.DeleteOptions{Preconditions: &metav1.Preconditions{ResourceVersion: &l.ResourceVersion}}
			if err := leases.Delete(ctx, l.Name, pre); err != nil && !apierrors.IsNotFound(err) && !apierrors.IsConflict(err) {
				left = append(left, "lease/"+l.Name+" ("+err.Error()+")")
				continue
			}
			deleted = append(deleted, "lease/"+l.Name)
		}
	}
	for _, p := range pods {
		if err := waitGone(ctx, func(ctx context.Context) error {
			_, err := core.Pods(namespace).Get(ctx, p, metav1.GetOptions{})
			return err
		}); err != nil {
			left = append(left, "pod/"+p+" (not gone: "+err.Error()+")")
			continue
		}
		deleted = append(deleted, "pod/"+p)
	}
	sort.Strings(deleted)
	for _, d := range deleted {
		fmt.Fprintf(w, "fleet: deleted %s\n", d)
	}
	for _, l := range left {
		fmt.Fprintf(w, "fleet: could not delete %s\n", l)
	}
	return deleted, left
}

// waitGone polls get until it says NotFound, or ctx ends.
func waitGone(ctx context.Context, get func(context.Context) error) error {
	for {
		err := get(ctx)
		if apierrors.IsNotFound(err) {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(500 * time.Millisecond):
		}
	}
}
