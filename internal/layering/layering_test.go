package layering

import (
	"os/exec"
	"slices"
	"strings"
	"testing"
)

const module = "github.com/benchctl/benchctl/"

// allowed lists, for each package under rule, the project packages it may
// import directly or indirectly; nil means none. Every arrow points down
// the data flow: statistics, then the results file, then what reads it.
// None of them links a BPF library: they read results files, or (the
// syscall table and the event decoder) describe what the probes send
// without loading them.
var allowed = map[string][]string{
	"probes/syscalls":         nil,
	"internal/atomicfile":     nil,
	"internal/numfmt":         nil,
	"bench/stats":             nil,
	"bench/results":           {"bench/stats", "internal/atomicfile", "record"},
	"bench/compare":           {"bench/stats", "bench/results", "internal/atomicfile", "record"},
	"reports/page":            {"bench/stats", "bench/results", "internal/atomicfile", "internal/numfmt", "record"},
	"reports/internal/golden": {"bench/stats", "bench/results", "internal/atomicfile", "record"},
	"reports":                 {"bench/stats", "bench/results", "internal/atomicfile", "internal/numfmt", "record", "reports/page"},
	"reports/comparison":      {"bench/stats", "bench/results", "bench/compare", "internal/atomicfile", "internal/numfmt", "record", "reports/page"},
	"reports/multifile":       {"bench/stats", "bench/results", "internal/atomicfile", "internal/numfmt", "record", "reports", "reports/page"},
	// The change-point detector is plain statistics, like bench/stats;
	// the history store reads results files and runs it. No reporting
	// package and not the pull-request gate links the store (above: none
	// lists history) or a database driver (dbDrivers below).
	"bench/changepoint": nil,
	"history":           {"bench/changepoint", "bench/results", "bench/stats", "internal/atomicfile", "internal/numfmt", "record", "reports/page", "reports/trend"},
	// The trend chart of a series knows nothing of where it comes from.
	"reports/trend": nil,
}

// dbDrivers are the history store's database drivers: only history and
// cmd/benchctl link them.
var dbDrivers = []string{"modernc.org/sqlite", "github.com/jackc/pgx"}

// kubeClient is the Kubernetes client: only fleet (benchctl fleet run)
// and cmd/benchctl link it (and the test cluster, internal/kubecluster). Reports and the gate read results files, never
// a cluster.
var kubeClient = []string{"k8s.io/client-go", "k8s.io/api", "k8s.io/apimachinery"}

// kubeClientUsers are the packages that may link kubeClient.
var kubeClientUsers = []string{"fleet", "cmd/benchctl", "internal/kubecluster"}

// deps returns the dependencies of every package of the module, from go list.
func deps(t *testing.T) map[string][]string { return goList(t, "Deps") }

// goList returns, for every package of the module, the packages go list
// gives in field (Deps, Imports).
func goList(t *testing.T, field string) map[string][]string {
	t.Helper()
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go command on PATH: cannot list the packages' dependencies")
	}
	cmd := exec.Command(goTool, "list", "-f", `{{.ImportPath}} {{join .`+field+` " "}}`, module+"...")
	cmd.Dir = "../.."
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	m := map[string][]string{}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		f := strings.Fields(line)
		m[strings.TrimPrefix(f[0], module)] = f[1:]
	}
	return m
}

func TestImportRules(t *testing.T) {
	all := deps(t)
	// Every package of the reporting tree is under a rule, new ones too.
	for pkg := range all {
		if _, ruled := allowed[pkg]; !ruled && (pkg == "reports" || strings.HasPrefix(pkg, "reports/") || strings.HasPrefix(pkg, "history/")) {
			t.Errorf("package %s has no import rule: add it to allowed", pkg)
		}
	}
	// The history store is the CLI's: nothing else links it.
	for pkg, ds := range all {
		if pkg != "cmd/benchctl" && slices.Contains(ds, module+"history") {
			t.Errorf("%s depends on history: only cmd/benchctl may", pkg)
		}
	}
	// The Kubernetes client: fleet's, and the CLI's that wires it.
	for pkg, ds := range all {
		if slices.Contains(kubeClientUsers, pkg) || strings.HasSuffix(pkg, ".test") {
			continue
		}
		for _, d := range ds {
			for _, k := range kubeClient {
				if d == k || strings.HasPrefix(d, k+"/") {
					t.Errorf("%s links %s: only %v may link the Kubernetes client", pkg, d, kubeClientUsers)
					break
				}
			}
		}
	}
	for pkg, may := range allowed {
		ds, ok := all[pkg]
		if !ok {
			t.Errorf("package %s not found", pkg)
			continue
		}
		for _, d := range ds {
			if strings.HasPrefix(d, "github.com/cilium/ebpf") {
				t.Errorf("%s links %s: it must not link a BPF library", pkg, d)
			}
			for _, drv := range dbDrivers {
				if pkg != "history" && strings.HasPrefix(d, drv) {
					t.Errorf("%s links %s: only history and cmd/benchctl may link a database driver", pkg, d)
				}
			}
			if p, own := strings.CutPrefix(d, module); own && !slices.Contains(may, p) {
				t.Errorf("%s depends on %s; it may depend only on %v", pkg, p, may)
			}
		}
	}
}

// benchParts lists, for each package under bench/ beside the runner that
// the rules above do not cover, the project packages it may import
// directly. The runner (bench) drives them; none of them imports it.
var benchParts = map[string][]string{
	// The /proc noise meter and the capacity search need no BPF library:
	// noBPF below keeps it so.
	"bench/noise":    {"bench/results", "workloads"},
	"bench/capacity": {"bench/results", "workloads"},
	// The fidelity check loads probes; an external tracer's life reads
	// the kernel through probes and runs the process through workloads.
	"bench/fidelity": {"probes", "probes/syscalls"},
	"bench/external": {"bench/results", "bench/scenario", "probes", "workloads"},
}

// noBPF are the packages of benchParts that link no BPF library.
var noBPF = []string{"bench/noise", "bench/capacity"}

// imports returns the project packages each package of the module
// imports directly, from go list.
func imports(t *testing.T) map[string][]string {
	t.Helper()
	m := goList(t, "Imports")
	for pkg, imps := range m {
		var own []string
		for _, imp := range imps {
			if p, ok := strings.CutPrefix(imp, module); ok {
				own = append(own, p)
			}
		}
		m[pkg] = own
	}
	return m
}

func TestBenchParts(t *testing.T) {
	all := imports(t)
	for pkg, imps := range all {
		if !strings.HasPrefix(pkg, "bench/") {
			continue
		}
		if slices.Contains(imps, "bench") {
			t.Errorf("%s imports the runner (bench): the runner drives it, not the other way", pkg)
		}
		_, part := benchParts[pkg]
		if _, ruled := allowed[pkg]; !ruled && !part && pkg != "bench/scenario" {
			t.Errorf("package %s has no import rule: add it to benchParts", pkg)
		}
	}
	for pkg, may := range benchParts {
		imps, ok := all[pkg]
		if !ok {
			t.Errorf("package %s not found", pkg)
			continue
		}
		for _, imp := range imps {
			if !slices.Contains(may, imp) {
				t.Errorf("%s imports %s; it may import only %v", pkg, imp, may)
			}
		}
	}
	linked := deps(t)
	for _, pkg := range noBPF {
		for _, d := range linked[pkg] {
			if strings.HasPrefix(d, "github.com/cilium/ebpf") {
				t.Errorf("%s links %s: it must not link a BPF library", pkg, d)
				break
			}
		}
	}
}

// statsModules are the statistics modules: the reading side's (bench/stats,
// reports), never the measuring side's.
var statsModules = []string{"golang.org/x/perf", "github.com/montanaflynn/stats", "github.com/aclements/go-moremath", "gonum.org/v1/gonum"}

// kernelLayer is the bottom of the measuring side: what touches the kernel
// (probes) and what generates syscalls (workloads), each with the
// packages below it. They may depend on package record (the records they
// fill), on internal/ and on their own tree, and on nothing above: not
// the runner, scenarios, the results file or reports.
var kernelLayer = []string{"probes", "workloads"}

// mayImportDown tells whether pkg, of the tree rooted at root, may depend
// on the project's package dep.
func mayImportDown(root, dep string) bool {
	return dep == "record" || strings.HasPrefix(dep, "internal/") || dep == root || strings.HasPrefix(dep, root+"/")
}

func TestKernelLayerImportsOnlyDown(t *testing.T) {
	all := deps(t)
	checked := 0
	for pkg, ds := range all {
		for _, root := range kernelLayer {
			if pkg != root && !strings.HasPrefix(pkg, root+"/") {
				continue
			}
			checked++
			for _, d := range ds {
				if p, own := strings.CutPrefix(d, module); own && !mayImportDown(root, p) {
					t.Errorf("%s depends on %s: the kernel layer may depend only on record, internal/ and %s/...", pkg, p, root)
				}
				for _, m := range statsModules {
					if d == m || strings.HasPrefix(d, m+"/") {
						t.Errorf("%s links %s: statistics belong to the reading side", pkg, d)
					}
				}
			}
		}
	}
	if checked < len(kernelLayer) {
		t.Fatalf("checked %d packages of %v, want every one", checked, kernelLayer)
	}
}

// TestRecordIsALeaf: the records and their names import the standard
// library only, so every side can use them and link nothing else.
func TestRecordIsALeaf(t *testing.T) {
	ds, ok := deps(t)["record"]
	if !ok {
		t.Fatal("package record not found")
	}
	for _, d := range ds {
		if first, _, _ := strings.Cut(d, "/"); strings.Contains(first, ".") {
			t.Errorf("record depends on %s: it may import the standard library only", d)
		}
	}
}

// TestScenarioLinksNoBPF: parsing and expanding a scenario (benchctl
// validate) loads nothing, so it links no BPF library; the names and
// limits it checks are record's.
func TestScenarioLinksNoBPF(t *testing.T) {
	ds, ok := deps(t)["bench/scenario"]
	if !ok {
		t.Fatal("package bench/scenario not found")
	}
	for _, d := range ds {
		if strings.HasPrefix(d, "github.com/cilium/ebpf") || d == module+"probes" {
			t.Errorf("bench/scenario links %s: a scenario is read without the BPF library", d)
		}
	}
}
