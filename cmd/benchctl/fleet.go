package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"golang.org/x/term"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/benchctl/benchctl/bench/results"
	"github.com/benchctl/benchctl/fleet"
	"github.com/benchctl/benchctl/internal/atomicfile"
	"github.com/benchctl/benchctl/reports"
	"github.com/benchctl/benchctl/reports/multifile"
)

func init() {
	commands["fleet"] = command{summary: "run a scenario on the nodes of a Kubernetes cluster, one privileged pod per node, and write one report", run: fleetCmd}
}

const fleetUsage = `usage: benchctl fleet decode < POD.log > RESULTS.json   # the last results file a fleet pod printed (deploy/kubernetes)
       benchctl fleet run [--kubeconfig FILE] [--context NAME] [--namespace NS] [--nodes SELECTOR | --node NAME...] [--image IMAGE] [--image-pull-policy P] [-o DIR] [--force] [--serial] [--timeout D] [RUN FLAGS] SCENARIO.yaml [-- MORE RUN FLAGS]

Runs SCENARIO with 'benchctl run' on each selected node of the cluster, in a
privileged pod pinned to the node (one benchctl pod per node at a time,
across fleet runs too), and writes DIR/NODE.json per node (the pod's
results file, its sha256 checked), DIR/fleet.md and DIR/fleet.html (one
report over the nodes) and DIR/fleet.json (what became of each node).
Ctrl-C, or any end, deletes every object the run created. The run flags
(--repetitions, --warmup, --only, --set, --seed, --strict, and anything
after --) go to every pod's 'benchctl run' as arguments, never through a
shell. See docs/fleet.md.
Exit codes: 0 every node produced a complete results file; 1 some did not
(each node's outcome is in the report); 2 bad usage or input (also: no
node selected, an output file exists); 3 the cluster cannot run it (not
reachable, the account may not); 130 interrupted. Flags:`

func fleetCmd(args []string) error {
	if len(args) > 0 && args[0] == "agent" {
		return fleetAgentCmd(args[1:])
	}
	if len(args) > 0 && args[0] == "decode" {
		return fleetDecodeCmd(args[1:])
	}
	if len(args) == 0 || args[0] != "run" {
		fmt.Fprintln(os.Stderr, fleetUsage)
		if len(args) > 0 && (args[0] == "-h" || args[0] == "--help") {
			return nil
		}
		return usageError("fleet: want 'fleet run'")
	}
	args = args[1:]
	var extra []string
	for i, a := range args {
		if a == "--" {
			args, extra = args[:i], args[i+1:]
			break
		}
	}
	fs := flag.NewFlagSet("fleet run", flag.ContinueOnError)
	kubeconfig := fs.String("kubeconfig", "", "the kubeconfig `FILE` (default: $KUBECONFIG, else ~/.kube/config)")
	kctx := fs.String("context", "", "the kubeconfig context (default: its current one)")
	ns := fs.String("namespace", "", "the namespace of fleet's pods, ConfigMap and Leases (default: the context's, else default)")
	selector := fs.String("nodes", "", "run on the nodes this label `SELECTOR` selects (default: every node)")
	var nodes stringList
	fs.Var(&nodes, "node", "run on the node `NAME` (repeatable; instead of --nodes)")
	image := fs.String("image", "benchctl:"+Version, "the benchctl `IMAGE` of the pods (make image)")
	pull := fs.String("image-pull-policy", "", "the pods' imagePullPolicy: Always, IfNotPresent or Never (default: Kubernetes')")
	out := fs.String("o", "results/fleet", "write the results files and reports to `DIR`")
	force := fs.Bool("force", false, "replace files of the names fleet writes in DIR")
	serial := fs.Bool("serial", false, "run one node at a time (default: all at once)")
	timeout := fs.Duration("timeout", 0, "stop each node's pod after this long (its activeDeadlineSeconds; default none)")
	var sf scenarioFlags
	sf.register(fs)
	seed := fs.String("seed", "", "the seed of every pod's run (default: each from its clock)")
	strict := fs.Bool("strict", false, "run's --strict on every node")
	fs.Usage = func() {
		fmt.Fprintln(os.Stderr, fleetUsage)
		fs.SetOutput(os.Stderr)
		fs.PrintDefaults()
	}
	pos, err := parseCommandLine(fs, args)
	if errors.Is(err, flag.ErrHelp) {
		return nil
	} else if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usageError("fleet run takes one scenario file, got %s", argCount(len(pos)))
	}
	if len(nodes) > 0 && *selector != "" {
		return usageError("fleet run: --node and --nodes exclude each other")
	}
	switch p := corev1.PullPolicy(*pull); p {
	case "", corev1.PullAlways, corev1.PullIfNotPresent, corev1.PullNever:
	default:
		return usageError("fleet run: --image-pull-policy %q: want Always, IfNotPresent or Never", p)
	}
	// The scenario and the run flags are checked here, before the cluster.
	if _, err := sf.load(pos[0]); err != nil {
		return err
	}
	runArgs := fleetRunArgs(sf, *seed, *strict)
	runArgs = append(runArgs, extra...)

	rules := clientcmd.NewDefaultClientConfigLoadingRules()
	rules.ExplicitPath = *kubeconfig
	cc := clientcmd.NewNonInteractiveDeferredLoadingClientConfig(rules, &clientcmd.ConfigOverrides{CurrentContext: *kctx})
	cfg, err := cc.ClientConfig()
	if err != nil {
		return envError(fmt.Errorf("fleet: the cluster's configuration: %w", err))
	}
	namespace := *ns
	if namespace == "" {
		if namespace, _, err = cc.Namespace(); err != nil || namespace == "" {
			namespace = "default"
		}
	}
	client, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return envError(fmt.Errorf("fleet: %w", err))
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	start := time.Now()
	sum, err := fleet.Run(ctx, fleet.Options{Client: client, Namespace: namespace, Nodes: nodes, Selector: *selector,
		Image: *image, PullPolicy: corev1.PullPolicy(*pull), Scenario: pos[0], RunArgs: runArgs,
		OutDir: *out, Force: *force, Serial: *serial, Timeout: *timeout, Progress: os.Stderr, TTY: term.IsTerminal(int(os.Stderr.Fd()))})
	switch {
	case errors.Is(err, fleet.ErrNoNodes), errors.Is(err, fleet.ErrExists):
		return usageError("fleet: %v", err)
	case sum == nil && err != nil:
		return envError(fmt.Errorf("fleet: %w", err))
	}
	if sum.Nodes != nil {
		if werr := writeFleetReports(*out, sum); werr != nil {
			return werr
		}
	}
	fmt.Fprintf(os.Stderr, "fleet: run %s took %s; deleted %d objects\n", sum.RunID, time.Since(start).Round(time.Second), len(sum.Deleted))
	if len(sum.Left) > 0 {
		return envError(fmt.Errorf("fleet: could not delete: %s", strings.Join(sum.Left, "; ")))
	}
	if ctx.Err() != nil {
		return &exitError{code: 130, err: errors.New("fleet: interrupted")}
	}
	if err != nil {
		return envError(fmt.Errorf("fleet: %w", err))
	}
	bad := 0
	for _, n := range sum.Nodes {
		if !n.Complete {
			bad++
		}
	}
	if bad > 0 {
		return &exitError{code: 1, err: fmt.Errorf("fleet: %d of %d nodes produced no complete results (see %s)", bad, len(sum.Nodes), filepath.Join(*out, fleet.MarkdownFile))}
	}
	return nil
}

// fleetRunArgs are the run flags given to fleet run, as the pods'
// benchctl run takes them.
func fleetRunArgs(sf scenarioFlags, seed string, strict bool) []string {
	var out []string
	if sf.repetitions > 0 {
		out = append(out, "--repetitions", strconv.Itoa(sf.repetitions))
	}
	if sf.warmup.set {
		out = append(out, "--warmup", strconv.Itoa(sf.warmup.n))
	}
	for _, o := range sf.only {
		out = append(out, "--only", o)
	}
	for _, s := range sf.sets {
		out = append(out, "--set", s)
	}
	if seed != "" {
		out = append(out, "--seed", seed)
	}
	if strict {
		out = append(out, "--strict")
	}
	return out
}

// writeFleetReports writes fleet.json, fleet.md and fleet.html into dir.
func writeFleetReports(dir string, sum *fleet.Summary) error {
	if err := fleet.WriteSummary(dir, sum); err != nil {
		return err
	}
	var nodes []multifile.FleetNode
	name := ""
	for _, n := range sum.Nodes {
		fn := multifile.FleetNode{Name: n.Node.Name, Kernel: n.Node.Kernel, InstanceType: n.Node.InstanceType, Zone: n.Node.Zone, Outcome: n.Outcome}
		if n.Path != "" {
			if r, err := results.ReadResults(n.Path); err == nil {
				fn.Path, fn.Results = filepath.Base(n.Path), r
				name = r.Scenario.Name
			} else {
				fn.Outcome += "; its results file cannot be read: " + err.Error()
			}
		}
		nodes = append(nodes, fn)
	}
	for _, f := range []struct{ file, format string }{{fleet.MarkdownFile, reports.FormatMarkdown}, {fleet.HTMLFile, reports.FormatHTML}} {
		var buf bytes.Buffer
		if err := multifile.Fleet(&buf, name, nodes, f.format, reports.Options{}); err != nil {
			return err
		}
		if err := atomicfile.Write(filepath.Join(dir, f.file), buf.Bytes(), 0o644); err != nil {
			return err
		}
	}
	fmt.Fprintf(os.Stderr, "fleet: wrote %s, %s and %s\n", filepath.Join(dir, fleet.MarkdownFile), filepath.Join(dir, fleet.HTMLFile), filepath.Join(dir, fleet.SummaryFile))
	return nil
}

// fleetAgentCmd is what a fleet pod runs: benchctl run, its results file
// printed into the pod's log at each checkpoint.
func fleetAgentCmd(args []string) error {
	fs := flag.NewFlagSet("fleet agent", flag.ContinueOnError)
	resultsPath := fs.String("results", "/work/results.json", "where benchctl run writes its results `FILE`")
	if err := fs.Parse(args); err != nil {
		return &exitError{code: 2, err: errSilent}
	}
	exe, err := os.Executable()
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	code, err := fleet.Agent(ctx, fleet.AgentOptions{Exe: exe, RunArgs: fs.Args(), Results: *resultsPath, Out: os.Stdout})
	if err != nil {
		return err
	}
	if code != 0 {
		return &exitError{code: code, err: errSilent}
	}
	return nil
}

// fleetDecodeCmd writes the last results file a fleet pod printed into
// its log (standard input) to standard output, its sha256 checked.
func fleetDecodeCmd(args []string) error {
	if len(args) > 0 {
		return usageError("fleet decode reads a pod's log on standard input and takes no arguments")
	}
	var last *fleet.Checkpoint
	lr := fleet.LogReader{OnCheckpoint: func(c fleet.Checkpoint) { last = &c }}
	if err := lr.Read(os.Stdin); err != nil {
		return err
	}
	if last == nil {
		msg := "no results in the log"
		if lr.Err != nil {
			msg += ": " + lr.Err.Error()
		}
		return usageError("fleet decode: %s", msg)
	}
	state := "final"
	if !last.Final {
		state = "partial: benchctl run had not ended"
	}
	fmt.Fprintf(os.Stderr, "fleet decode: results block %d (%s), sha256 %s\n", last.Seq, state, last.SHA256)
	_, err := os.Stdout.Write(last.Data)
	return err
}
