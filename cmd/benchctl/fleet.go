package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"
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

func newFleetCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "fleet",
		Short: "run a scenario on the nodes of a Kubernetes cluster, one privileged pod per node, and write one report",
		Long: `Usage: benchctl fleet run [--kubeconfig FILE] [--context NAME] [--namespace NS] [--nodes SELECTOR | --node NAME...] [--image IMAGE] [--image-pull-policy P] [-o DIR] [--force] [--serial] [--timeout D] [RUN FLAGS] SCENARIO.yaml [-- MORE RUN FLAGS]
       benchctl fleet decode < POD.log > RESULTS.json   # the last results file a fleet pod printed (deploy/kubernetes)

Runs SCENARIO with 'benchctl run' on each selected node of the cluster, in a
privileged pod pinned to the node (one benchctl pod per node at a time,
across fleet runs too). See docs/fleet.md.`,
		Annotations: map[string]string{footer: "Run 'benchctl fleet SUBCOMMAND -h' for its flags."},
		RunE:        needsSubcommand,
	}
	cmd.AddCommand(newFleetRunCmd(), newFleetDecodeCmd(), newFleetAgentCmd())
	return cmd
}

// fleetRunFlags are fleet run's flags.
type fleetRunFlags struct {
	kubeconfig, context, namespace string
	selector                       string
	nodes                          stringList
	image, pull, output            string
	force, serial, strict          bool
	timeout                        time.Duration
	scenario                       scenarioFlags
	seed                           string
}

func newFleetRunCmd() *cobra.Command {
	var f fleetRunFlags
	cmd := &cobra.Command{
		Use:   "run SCENARIO.yaml [-- MORE RUN FLAGS]",
		Short: "run the scenario on each selected node and write the per-node results and one report",
		Long: `Usage: benchctl fleet run [--kubeconfig FILE] [--context NAME] [--namespace NS] [--nodes SELECTOR | --node NAME...] [--image IMAGE] [--image-pull-policy P] [-o DIR] [--force] [--serial] [--timeout D] [RUN FLAGS] SCENARIO.yaml [-- MORE RUN FLAGS]

Runs SCENARIO with 'benchctl run' on each selected node of the cluster, in a
privileged pod pinned to the node (one benchctl pod per node at a time,
across fleet runs too), and writes DIR/NODE.json per node (the pod's
results file, its sha256 checked), DIR/fleet.md and DIR/fleet.html (one
report over the nodes) and DIR/fleet.json (what became of each node).
Ctrl-C, or any end, deletes every object the run created. The run flags
(--repetitions, --warmup, --only, --set, --seed, --strict, and anything
after --) go to every pod's 'benchctl run' as arguments, never through a
shell. See docs/fleet.md.`,
		Annotations: map[string]string{footer: "Exit codes: 0 every node produced a complete results file; 1 some did not\n" +
			"(each node's outcome is in the report); 2 bad usage or input (also: no\n" +
			"node selected, an output file exists); 3 the cluster cannot run it (not\n" +
			"reachable, the account may not); 130 interrupted."},
		RunE: func(cmd *cobra.Command, args []string) error { return f.run(cmd, args) },
	}
	fs := cmd.Flags()
	fs.StringVar(&f.kubeconfig, "kubeconfig", "", "the kubeconfig `FILE` (default: $KUBECONFIG, else ~/.kube/config)")
	fs.StringVar(&f.context, "context", "", "the kubeconfig context (default: its current one)")
	fs.StringVar(&f.namespace, "namespace", "", "the namespace of fleet's pods, ConfigMap and Leases (default: the context's, else default)")
	fs.StringVar(&f.selector, "nodes", "", "run on the nodes this label `SELECTOR` selects (default: every node)")
	fs.Var(&f.nodes, "node", "run on the node `NAME` (repeatable; instead of --nodes)")
	fs.StringVar(&f.image, "image", "benchctl:"+Version, "the benchctl `IMAGE` of the pods (make image)")
	fs.StringVar(&f.pull, "image-pull-policy", "", "the pods' imagePullPolicy: Always, IfNotPresent or Never (default: Kubernetes')")
	fs.StringVarP(&f.output, "output", "o", "results/fleet", "write the results files and reports to `DIR`")
	fs.BoolVar(&f.force, "force", false, "replace files of the names fleet writes in DIR")
	fs.BoolVar(&f.serial, "serial", false, "run one node at a time (default: all at once)")
	fs.DurationVar(&f.timeout, "timeout", 0, "stop each node's pod after this long (its activeDeadlineSeconds; default none)")
	f.scenario.register(fs)
	fs.StringVar(&f.seed, "seed", "", "the seed of every pod's run (default: each from its clock)")
	fs.BoolVar(&f.strict, "strict", false, "run's --strict on every node")
	return cmd
}

func (f *fleetRunFlags) run(cmd *cobra.Command, args []string) error {
	scenarioPath, runArgs, err := f.check(cmd, args)
	if err != nil {
		return err
	}
	client, namespace, err := f.client()
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	start := time.Now()
	sum, err := fleet.Run(ctx, fleet.Options{Client: client, Namespace: namespace, Nodes: f.nodes, Selector: f.selector,
		Image: f.image, PullPolicy: corev1.PullPolicy(f.pull), Scenario: scenarioPath, RunArgs: runArgs,
		OutDir: f.output, Force: f.force, Serial: f.serial, Timeout: f.timeout, Progress: os.Stderr, TTY: term.IsTerminal(int(os.Stderr.Fd()))})
	switch {
	case errors.Is(err, fleet.ErrNoNodes), errors.Is(err, fleet.ErrExists):
		return usageError("fleet: %v", err)
	case sum == nil && err != nil:
		return envError(fmt.Errorf("fleet: %w", err))
	}
	if sum.Nodes != nil {
		if werr := writeFleetReports(f.output, sum); werr != nil {
			return werr
		}
	}
	fmt.Fprintf(os.Stderr, "fleet: run %s took %s; deleted %d objects\n", sum.RunID, time.Since(start).Round(time.Second), len(sum.Deleted))
	return fleetOutcome(ctx, sum, err, f.output)
}

// check checks fleet run's arguments, the scenario and the run flags
// before the cluster is asked anything, and returns the scenario's path
// and the arguments of every pod's benchctl run.
func (f *fleetRunFlags) check(cmd *cobra.Command, args []string) (string, []string, error) {
	pos, extra := args, []string(nil)
	if at := cmd.ArgsLenAtDash(); at >= 0 {
		pos, extra = args[:at], args[at:]
	}
	if len(pos) != 1 {
		cmd.Usage()
		return "", nil, usageError("fleet run takes one scenario file, got %s", argCount(len(pos)))
	}
	if len(f.nodes) > 0 && f.selector != "" {
		return "", nil, usageError("fleet run: --node and --nodes exclude each other")
	}
	switch p := corev1.PullPolicy(f.pull); p {
	case "", corev1.PullAlways, corev1.PullIfNotPresent, corev1.PullNever:
	default:
		return "", nil, usageError("fleet run: --image-pull-policy %q: want Always, IfNotPresent or Never", p)
	}
	if _, err := f.scenario.load(pos[0]); err != nil {
		return "", nil, err
	}
	return pos[0], append(fleetRunArgs(f.scenario, f.seed, f.strict), extra...), nil
}

// client connects to the cluster the kubeconfig names, and returns the
// namespace of fleet's objects.
func (f *fleetRunFlags) client() (*kubernetes.Clientset, string, error) {
	rules := clientcmd.NewDefaultClientConfigLoadingRules()
	rules.ExplicitPath = f.kubeconfig
	cc := clientcmd.NewNonInteractiveDeferredLoadingClientConfig(rules, &clientcmd.ConfigOverrides{CurrentContext: f.context})
	cfg, err := cc.ClientConfig()
	if err != nil {
		return nil, "", envError(fmt.Errorf("fleet: the cluster's configuration: %w", err))
	}
	namespace := f.namespace
	if namespace == "" {
		if namespace, _, err = cc.Namespace(); err != nil || namespace == "" {
			namespace = "default"
		}
	}
	client, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return nil, "", envError(fmt.Errorf("fleet: %w", err))
	}
	return client, namespace, nil
}

// fleetOutcome is fleet run's exit: what could not be deleted first,
// then an interruption, an error of the run, and nodes without complete
// results.
func fleetOutcome(ctx context.Context, sum *fleet.Summary, err error, out string) error {
	if len(sum.Left) > 0 {
		return envError(fmt.Errorf("fleet: could not delete: %s", strings.Join(sum.Left, "; ")))
	}
	if ctx.Err() != nil {
		return interruptedError(errors.New("fleet: interrupted"))
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
		return failedError(fmt.Errorf("fleet: %d of %d nodes produced no complete results (see %s)", bad, len(sum.Nodes), filepath.Join(out, fleet.MarkdownFile)))
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

// newFleetAgentCmd is what a fleet pod runs: benchctl run, its results
// file printed into the pod's log at each checkpoint.
func newFleetAgentCmd() *cobra.Command {
	var resultsPath string
	cmd := &cobra.Command{
		Use:    "agent [--results FILE] -- SCENARIO.yaml [RUN FLAGS]",
		Short:  "what a fleet pod runs: benchctl run, its results file printed into the log at each checkpoint",
		Long:   "Usage: benchctl fleet agent [--results FILE] -- SCENARIO.yaml [RUN FLAGS]\n\nWhat a fleet pod runs: benchctl run with the arguments after --, its results file printed into the pod's log at each checkpoint.",
		Hidden: true,
		RunE: func(cmd *cobra.Command, args []string) error {
			exe, err := os.Executable()
			if err != nil {
				return err
			}
			ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			code, err := fleet.Agent(ctx, fleet.AgentOptions{Exe: exe, RunArgs: args, Results: resultsPath, Out: os.Stdout})
			if err != nil {
				return err
			}
			if code != 0 {
				return statusError(code)
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&resultsPath, "results", "/work/results.json", "where benchctl run writes its results `FILE`")
	return passesArgsOn(cmd)
}

// newFleetDecodeCmd writes the last results file a fleet pod printed
// into its log (standard input) to standard output, its sha256 checked.
func newFleetDecodeCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "decode < POD.log > RESULTS.json",
		Short: "write the last results file a fleet pod printed into its log, its sha256 checked",
		Long:  "Usage: benchctl fleet decode < POD.log > RESULTS.json\n\nReads a fleet pod's log on standard input and writes the last results file it printed, its sha256 checked (deploy/kubernetes).",
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) > 0 {
				return usageError("fleet decode reads a pod's log on standard input and takes no arguments")
			}
			return fleetDecode()
		},
	}
}

func fleetDecode() error {
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
