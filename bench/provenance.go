package bench

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"maps"
	"os"
	"os/exec"
	"regexp"
	"runtime/debug"
	"slices"
	"strings"

	"github.com/benchctl/benchctl/bench/results"
	"github.com/benchctl/benchctl/bench/scenario"
)

// secretName matches variable and flag names whose values are not to be
// recorded.
var secretName = regexp.MustCompile(`(?i)secret|token|passw(or)?d|credential|api_?key`)

// redactor replaces the values of secrets: the values of --set variables
// and environment variables with secret names (wherever they appear,
// since ${VAR} is expanded before argv is recorded), the value of
// NAME=VALUE and --name=value arguments with secret names, and the
// argument after a --name flag with a secret name.
type redactor struct{ values []string }

func newRedactor(set map[string]string, environ []string) redactor {
	var r redactor
	add := func(name, value string) {
		if secretName.MatchString(name) && len(value) >= 3 {
			r.values = append(r.values, value)
		}
	}
	for n, v := range set {
		add(n, v)
	}
	for _, kv := range environ {
		if n, v, ok := strings.Cut(kv, "="); ok {
			add(n, v)
		}
	}
	// Longest first, so a secret containing another is replaced whole.
	slices.SortFunc(r.values, func(a, b string) int { return len(b) - len(a) })
	return r
}

func (r redactor) value(s string) string {
	for _, v := range r.values {
		s = strings.ReplaceAll(s, v, results.Redacted)
	}
	return s
}

// args redacts an argument list (or an environment, KEY=VALUE each).
func (r redactor) args(argv []string) []string {
	out := make([]string, len(argv))
	for i, a := range argv {
		if name, _, ok := strings.Cut(a, "="); ok && secretName.MatchString(name) {
			a = name + "=" + results.Redacted
		} else if i > 0 && strings.HasPrefix(argv[i-1], "-") && !strings.Contains(argv[i-1], "=") && secretName.MatchString(argv[i-1]) {
			a = results.Redacted
		}
		out[i] = r.value(a)
	}
	return out
}

// collectProvenance describes what the run measures: set (the --set
// values), this binary's build, and each external tracer that the
// variants use.
func collectProvenance(sc *scenario.Scenario, variants []results.Variant, set map[string]string) *results.Provenance {
	red := newRedactor(set, os.Environ())
	p := &results.Provenance{Build: currentBuild()}
	if len(set) > 0 {
		p.Set = map[string]string{}
		for n, v := range set {
			if secretName.MatchString(n) {
				v = results.Redacted
			}
			p.Set[n] = v
		}
	}
	used := map[string]bool{}
	for _, v := range variants {
		if v.External() {
			used[v.Tracer] = true
		}
	}
	for _, t := range sc.Tracers {
		if !used[t.Name] {
			continue
		}
		tp := results.TracerProvenance{Name: t.Name, Argv: red.args(t.Argv), Env: red.args(t.Env), Shell: t.Shell}
		for _, set := range slices.Sorted(maps.Keys(t.SetArgs)) {
			if tp.SetArgs == nil {
				tp.SetArgs = map[string][]string{}
			}
			tp.SetArgs[set] = red.args(t.SetArgs[set])
		}
		switch {
		case t.Shell:
			tp.Error = "a shell command: no single executable"
		case len(t.Argv) == 0:
			tp.Error = "no command"
		default:
			path, err := exec.LookPath(t.Argv[0])
			if err != nil {
				tp.Error = err.Error()
				break
			}
			tp.Executable = path
			if tp.SHA256, err = fileSHA256(path); err != nil {
				tp.Error = err.Error()
			}
		}
		p.Tracers = append(p.Tracers, tp)
	}
	return p
}

// currentBuild is this binary's build, from runtime/debug.ReadBuildInfo
// and its executable.
func currentBuild() results.Build {
	var b results.Build
	if info, ok := debug.ReadBuildInfo(); ok {
		b.Module, b.Version, b.GoVersion = info.Main.Path, info.Main.Version, info.GoVersion
		for _, s := range info.Settings {
			switch s.Key {
			case "vcs.revision":
				b.Revision = s.Value
			case "vcs.time":
				b.Time = s.Value
			case "vcs.modified":
				b.Modified = s.Value == "true"
			}
		}
	}
	if exe, err := os.Executable(); err == nil {
		b.Executable = exe
		b.SHA256, _ = fileSHA256(exe)
	}
	return b
}

// fileSHA256 is the hex SHA-256 of the file at path.
func fileSHA256(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", fmt.Errorf("hashing %s: %w", path, err)
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", fmt.Errorf("hashing %s: %w", path, err)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}
