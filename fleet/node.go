package fleet

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/benchctl/benchctl/bench/results"
	"github.com/benchctl/benchctl/internal/atomicfile"
)

// leaseSeconds is how long a node's Lease holds without renewal; fleet
// renews it every third of that.
const leaseSeconds = 45

// tailLines is how many of benchctl run's last lines a failed node keeps.
const tailLines = 20

// imageErrors are the waiting reasons of a container whose image will not
// come: the pod is deleted and the node's result says why.
// recorder collects what the nodes deleted.
type recorder struct {
	mu      sync.Mutex
	pr      *progress
	deleted []string
}

func (r *recorder) add(what string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.deleted = append(r.deleted, what)
	r.pr.note("fleet: deleted " + what)
}

var imageErrors = map[string]bool{"ErrImagePull": true, "ImagePullBackOff": true, "ErrImageNeverPull": true, "InvalidImageName": true}

// nodeRun is one node's run.
type nodeRun struct {
	o        Options
	node     results.NodeInfo
	cm, key  string
	pr       *progress
	rec      *recorder
	mu       sync.Mutex
	last     *Checkpoint
	tail     []string
	uname    string
	exit     *int
	logsDone chan struct{}
}

func (n *nodeRun) say(phase string) { n.pr.node(n.node.Name, phase, n.lastCheckpoint()) }

func (n *nodeRun) lastCheckpoint() *Checkpoint {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.last
}

func (n *nodeRun) run(ctx context.Context) NodeResult {
	r := NodeResult{Node: n.node}
	n.say("waiting for the node's lease")
	release, err := acquireLease(ctx, n.o, n.node.Name, n.o.Poll, func(holder string) { n.say("waiting: run " + holder + " holds the node's lease") })
	if err != nil {
		r.Outcome = "not run: " + err.Error()
		n.say(r.Outcome)
		return r
	}
	defer func() {
		if release() {
			n.rec.add("lease/" + leaseName(n.node.Name))
		}
	}()
	// The log is read on its own context: when ctx is cancelled (Ctrl-C)
	// the pod is deleted, its benchctl stops and prints what it has, and
	// that last block is still read, until the pod is gone.
	logCtx, stopLogs := context.WithCancel(context.Background())
	defer stopLogs()
	outcome := n.runPod(ctx, logCtx)
	// The pod goes before the lease does: no other run's pod may start
	// on the node while this one's benchctl still detaches its probes.
	n.removePod()
	stopLogs()
	n.waitLogs()
	return n.finish(r, outcome)
}

// removePod deletes the node's pod, giving its benchctl its grace period
// to stop and detach, and waits until it is gone.
func (n *nodeRun) removePod() {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	pods := n.o.Client.CoreV1().Pods(n.o.Namespace)
	err := pods.Delete(ctx, n.node.Pod, metav1.DeleteOptions{})
	if apierrors.IsNotFound(err) {
		return
	}
	if err == nil {
		err = waitGone(ctx, func(ctx context.Context) error {
			_, err := pods.Get(ctx, n.node.Pod, metav1.GetOptions{})
			return err
		})
	}
	if err != nil {
		n.say("pod not deleted: " + err.Error()) // cleanup tries again
		return
	}
	n.rec.add("pod/" + n.node.Pod)
}

// runPod creates the pod, follows it to its end and returns what became
// of it, in a few words ("" when it ran to its end).
func (n *nodeRun) runPod(ctx, logCtx context.Context) string {
	pods := n.o.Client.CoreV1().Pods(n.o.Namespace)
	spec := PodSpec{Run: n.o.RunID, Namespace: n.o.Namespace, Node: n.node, Image: n.o.Image, PullPolicy: n.o.PullPolicy,
		ConfigMap: n.cm, ScenarioKey: n.key, RunArgs: n.o.RunArgs, DeadlineSeconds: int64(n.o.Timeout / time.Second)}
	if _, err := pods.Create(ctx, pod(spec), metav1.CreateOptions{}); err != nil {
		return "pod not created: " + err.Error()
	}
	n.say("pod created")
	logsStarted := false
	notReadySince := time.Time{}
	lastPhase := ""
	for {
		p, err := pods.Get(ctx, n.node.Pod, metav1.GetOptions{})
		switch {
		case ctx.Err() != nil:
			return "interrupted"
		case apierrors.IsNotFound(err):
			n.waitLogs()
			return "pod deleted mid-run"
		case err != nil:
			n.say("looking at the pod: " + err.Error())
		default:
			if why, gone := imageFailure(p); gone {
				pods.Delete(context.Background(), p.Name, metav1.DeleteOptions{GracePeriodSeconds: ptr(int64(0))})
				return why
			}
			if !logsStarted && started(p) {
				logsStarted = true
				n.logsDone = make(chan struct{})
				go n.followLogs(logCtx, p.Name)
			}
			if phase := podPhase(p); phase != lastPhase {
				lastPhase = phase
				n.say(phase)
			}
			if p.Status.Phase == corev1.PodSucceeded || p.Status.Phase == corev1.PodFailed {
				if logsStarted {
					n.waitLogs()
				}
				return terminalOutcome(p)
			}
		}
		// The node: gone, or NotReady for too long.
		if node, err := n.o.Client.CoreV1().Nodes().Get(ctx, n.node.Name, metav1.GetOptions{}); apierrors.IsNotFound(err) {
			n.deletePod(p)
			return "node gone mid-run (deleted)"
		} else if err == nil && !nodeReady(node) {
			if notReadySince.IsZero() {
				notReadySince = time.Now()
			} else if time.Since(notReadySince) > n.o.NodeGone {
				n.deletePod(p)
				return fmt.Sprintf("node gone mid-run (NotReady for %s)", n.o.NodeGone)
			}
		} else {
			notReadySince = time.Time{}
		}
		select {
		case <-ctx.Done():
		case <-time.After(n.o.Poll):
		}
	}
}

func (n *nodeRun) deletePod(p *corev1.Pod) {
	if p != nil {
		n.o.Client.CoreV1().Pods(n.o.Namespace).Delete(context.Background(), p.Name, metav1.DeleteOptions{GracePeriodSeconds: ptr(int64(0))})
	}
}

// waitLogs waits a while for the log stream, if it was opened, to be
// read to its end.
func (n *nodeRun) waitLogs() {
	if n.logsDone == nil {
		return
	}
	select {
	case <-n.logsDone:
	case <-time.After(30 * time.Second):
	}
}

// followLogs reads the pod's log as it is written; when the stream
// breaks while the pod runs, it reads it again from the start (the
// checkpoints already had are not given twice).
func (n *nodeRun) followLogs(ctx context.Context, pod string) {
	defer close(n.logsDone)
	lr := &LogReader{
		OnCheckpoint: func(c Checkpoint) {
			n.mu.Lock()
			n.last = &c
			n.mu.Unlock()
			n.say("running")
		},
		OnLine: func(l string) {
			n.mu.Lock()
			n.tail = append(n.tail, l)
			if len(n.tail) > tailLines {
				n.tail = n.tail[len(n.tail)-tailLines:]
			}
			n.mu.Unlock()
		},
	}
	pods := n.o.Client.CoreV1().Pods(n.o.Namespace)
	for ctx.Err() == nil {
		stream, err := n.o.Logs(ctx, n.o.Namespace, pod)
		if err == nil {
			n.mu.Lock()
			n.tail = nil
			n.mu.Unlock()
			lr.Read(stream)
			stream.Close()
			n.mu.Lock()
			n.uname, n.exit = lr.Uname, lr.Exit
			n.mu.Unlock()
		}
		p, gerr := pods.Get(ctx, pod, metav1.GetOptions{})
		if apierrors.IsNotFound(gerr) || gerr == nil && (p.Status.Phase == corev1.PodSucceeded || p.Status.Phase == corev1.PodFailed) || lr.Exit != nil {
			return
		}
		select {
		case <-ctx.Done():
		case <-time.After(time.Second):
		}
	}
}

// finish writes the node's last checkpoint and says what became of it.
func (n *nodeRun) finish(r NodeResult, outcome string) NodeResult {
	n.mu.Lock()
	last, tail, uname, exit := n.last, n.tail, n.uname, n.exit
	n.mu.Unlock()
	r.Uname, r.ExitCode, r.Tail = uname, exit, tail
	complete := false
	if last != nil {
		r.Path, r.SHA256 = ResultsPath(n.o.OutDir, n.node.Name), last.SHA256
		if err := atomicfile.Write(r.Path, last.Data, 0o644); err != nil {
			r.Path = ""
			outcome = strings.TrimPrefix(outcome+"; ", "; ") + "results not written: " + err.Error()
		} else if res, err := results.ReadResults(r.Path); err == nil {
			complete = res.Complete && last.Final
		}
	}
	switch {
	case outcome != "":
	case exit == nil:
		outcome = "the pod ended without benchctl's exit code"
	case *exit != 0:
		outcome = fmt.Sprintf("benchctl run exited %d%s", *exit, lastLine(tail))
	case !complete:
		outcome = "benchctl run exited 0 without a complete results file"
	default:
		outcome = "complete"
		r.Complete = true
	}
	if !r.Complete && last != nil {
		outcome += fmt.Sprintf("; %s kept, incomplete", countRuns(last))
	}
	r.Outcome = outcome
	n.say(outcome)
	return r
}

func lastLine(tail []string) string {
	for i := len(tail) - 1; i >= 0; i-- {
		if l := strings.TrimSpace(tail[i]); l != "" {
			return ": " + l
		}
	}
	return ""
}

// countRuns says how many runs a checkpoint holds.
func countRuns(c *Checkpoint) string {
	var r struct {
		Runs []struct{} `json:"runs"`
	}
	if err := json.Unmarshal(c.Data, &r); err != nil {
		return "its results"
	}
	return fmt.Sprintf("%d runs", len(r.Runs))
}

// started tells whether the pod's container has started (or ended):
// its log can be read.
func started(p *corev1.Pod) bool {
	for _, s := range p.Status.ContainerStatuses {
		if s.State.Running != nil || s.State.Terminated != nil {
			return true
		}
	}
	return false
}

// imageFailure says why the pod's image will not come, if it will not.
func imageFailure(p *corev1.Pod) (string, bool) {
	for _, s := range p.Status.ContainerStatuses {
		if w := s.State.Waiting; w != nil && imageErrors[w.Reason] {
			return fmt.Sprintf("image not pullable (%s): %s", w.Reason, w.Message), true
		}
	}
	return "", false
}

// podPhase says where the pod is, for the progress lines.
func podPhase(p *corev1.Pod) string {
	for _, s := range p.Status.ContainerStatuses {
		if w := s.State.Waiting; w != nil && w.Reason != "" {
			return string(p.Status.Phase) + " (" + w.Reason + ")"
		}
	}
	return string(p.Status.Phase)
}

// terminalOutcome says what ended a pod that ended: "" when its
// container exited on its own (the exit code says the rest), else why it
// was stopped.
func terminalOutcome(p *corev1.Pod) string {
	switch p.Status.Reason {
	case "Evicted":
		return "evicted: " + p.Status.Message
	case "DeadlineExceeded":
		return "timed out (--timeout): " + p.Status.Message
	case "":
	default:
		return p.Status.Reason + ": " + p.Status.Message
	}
	for _, s := range p.Status.ContainerStatuses {
		if t := s.State.Terminated; t != nil && t.Reason == "OOMKilled" {
			return "OOM-killed"
		}
	}
	return ""
}

func nodeReady(n *corev1.Node) bool {
	for _, c := range n.Status.Conditions {
		if c.Type == corev1.NodeReady {
			return c.Status == corev1.ConditionTrue
		}
	}
	return false
}

// progress shows each node's state: on a terminal a block of one line
// per node, redrawn in place; elsewhere one plain line per change.
type progress struct {
	mu    sync.Mutex
	w     io.Writer
	tty   bool
	last  map[string]string
	order []string // nodes in the order first seen (terminal)
	drawn int      // lines of the block on screen (terminal)
}

func (p *progress) node(name, phase string, c *Checkpoint) {
	line := fmt.Sprintf("fleet: %s: %s", name, phase)
	if c != nil {
		var r struct {
			Runs     []struct{ Round int } `json:"runs"`
			Scenario struct {
				Repetitions, Warmup int
			} `json:"scenario"`
		}
		if json.Unmarshal(c.Data, &r) == nil {
			// Measured rounds count from 0, warm-up ones from -Warmup.
			round := -r.Scenario.Warmup
			for _, run := range r.Runs {
				round = max(round, run.Round)
			}
			line += fmt.Sprintf("; %d runs, round %d of %d", len(r.Runs), round+r.Scenario.Warmup+1, r.Scenario.Repetitions+r.Scenario.Warmup)
		}
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.last == nil {
		p.last = map[string]string{}
	}
	if p.last[name] == line {
		return
	}
	if _, seen := p.last[name]; !seen {
		p.order = append(p.order, name)
	}
	p.last[name] = line
	if !p.tty {
		fmt.Fprintln(p.w, line)
		return
	}
	p.redraw("")
}

// note prints a line that is not a node's state: on a terminal above the
// block of nodes.
func (p *progress) note(line string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.tty {
		fmt.Fprintln(p.w, line)
		return
	}
	p.redraw(line)
}

// redraw writes note (if any) where the block of nodes was, then the
// block.
func (p *progress) redraw(note string) {
	var b strings.Builder
	if p.drawn > 0 {
		fmt.Fprintf(&b, "\x1b[%dA", p.drawn) // back to the block's first line
	}
	if note != "" {
		b.WriteString("\x1b[2K" + note + "\n")
	}
	for _, n := range p.order {
		b.WriteString("\x1b[2K" + p.last[n] + "\n")
	}
	p.drawn = len(p.order)
	io.WriteString(p.w, b.String())
}
