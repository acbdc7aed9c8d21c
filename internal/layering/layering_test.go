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
	"bench/stats":             nil,
	"bench/results":           {"bench/stats", "internal/atomicfile"},
	"bench/compare":           {"bench/stats", "bench/results", "internal/atomicfile"},
	"reports/page":            {"bench/stats", "bench/results", "internal/atomicfile"},
	"reports/internal/golden": {"bench/stats", "bench/results", "internal/atomicfile"},
	"reports":                 {"bench/stats", "bench/results", "internal/atomicfile", "reports/page"},
	"reports/comparison":      {"bench/stats", "bench/results", "bench/compare", "internal/atomicfile", "reports/page"},
	"reports/multifile":       {"bench/stats", "bench/results", "internal/atomicfile", "reports", "reports/page"},
	// The change-point detector is plain statistics, like bench/stats;
	// the history store reads results files and runs it. No reporting
	// package and not the pull-request gate links the store (above: none
	// lists history) or a database driver (dbDrivers below).
	"bench/changepoint": nil,
	"history":           {"bench/changepoint", "bench/results", "bench/stats", "internal/atomicfile", "reports/page", "reports/trend"},
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
func deps(t *testing.T) map[string][]string {
	t.Helper()
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go command on PATH: cannot list the packages' dependencies")
	}
	cmd := exec.Command(goTool, "list", "-f", `{{.ImportPath}} {{join .Deps " "}}`, module+"...")
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
