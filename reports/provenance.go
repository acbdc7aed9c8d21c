package reports

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/benchctl/benchctl/bench/results"
	"github.com/benchctl/benchctl/reports/page"
)

// provenanceSection says what exactly was measured: benchctl's build,
// the --set values and every external tracer's command and executable;
// nil for files without provenance (schema 1).
func provenanceSection(r *results.Results) *page.Section {
	p := r.Provenance
	if p == nil {
		return nil
	}
	s := &page.Section{ID: "provenance", Title: "Provenance"}
	b := p.Build
	build := "benchctl build: " + orNone(b.Module)
	if b.Version != "" {
		build += " " + b.Version
	}
	if b.Revision != "" {
		build += ", revision " + b.Revision
		if b.Modified {
			build += " (modified work tree)"
		}
	}
	if b.GoVersion != "" {
		build += ", " + b.GoVersion
	}
	if b.SHA256 != "" {
		build += fmt.Sprintf(", executable `%s` sha256 %s", page.SanitizeCode(b.Executable), b.SHA256)
	}
	s.Paras = append(s.Paras, build+".")
	if len(p.Set) > 0 {
		var kv []string
		for _, n := range slices.Sorted(maps.Keys(p.Set)) {
			kv = append(kv, fmt.Sprintf("`%s=%s`", page.SanitizeCode(n), page.SanitizeCode(p.Set[n])))
		}
		s.Paras = append(s.Paras, "Set with --set: "+strings.Join(kv, ", ")+".")
	}
	if len(p.Tracers) > 0 {
		t := page.NewTable("tracer", "command", "executable", "sha256").AsCode(0, 1, 2)
		for _, tp := range p.Tracers {
			hash := tp.SHA256
			if hash == "" {
				hash = "— (" + tp.Error + ")"
			}
			t.Add(tp.Name, strings.Join(tp.Argv, " "), orNone(tp.Executable), hash)
		}
		s.Tables = append(s.Tables, t)
		s.Paras = append(s.Paras, "The command of each external tracer as it ran (${VAR} expanded; values of variables named like secret, token or password redacted), before its per-set arguments, and the SHA-256 of the executable it started.")
	}
	return s
}

func orNone(s string) string {
	if s == "" {
		return page.None
	}
	return s
}
