package probes

import (
	"regexp"
	"strings"

	"github.com/benchctl/benchctl/record"
)

// DefaultRefusedPattern finds, in an external tracer's output, the line
// with which libbpf reports a program the kernel would not load; its
// "program" group (else its first group) names the program. libbpf
// prints it, then the verifier's log between "-- BEGIN PROG LOAD LOG --"
// and "-- END PROG LOAD LOG --".
const DefaultRefusedPattern = `prog '(?P<program>[^']+)': BPF program load failed`

// DefaultRefused is DefaultRefusedPattern compiled.
var DefaultRefused = regexp.MustCompile(DefaultRefusedPattern)

// attachFailed and permissionDenied are libbpf's and the usual tools'
// words for the two other ways a tracer fails to start.
var (
	attachFailed     = regexp.MustCompile(`(?i)failed to attach|failed to create BPF link|Error attaching probe|could not attach`)
	permissionDenied = regexp.MustCompile(`(?i)operation not permitted|\bEPERM\b`)
)

// maxRefusalLog bounds the verifier log read after the refusal line when
// the tracer prints no end marker.
const maxRefusalLog = 5000

// ClassifyTracerOutput turns what an external tracer printed before it
// exited unready into a refusal; exitCode is its exit status, nil when it
// did not exit or was killed by a signal. re finds the refused program (nil:
// DefaultRefusedPattern); the last match counts, since a tracer may probe
// a program first and go on without it (Falco's libpman does so with
// dump_task) before the load that fails. Without a match it looks for an
// attach failure, missing kernel support and a permission error, in that
// order, and else says the tracer exited.
func ClassifyTracerOutput(output string, re *regexp.Regexp, exitCode *int) *record.Refusal {
	if re == nil {
		re = DefaultRefused
	}
	lines := strings.FieldsFunc(output, func(r rune) bool { return r == '\n' || r == '\r' })
	withExit := func(f *record.Refusal) *record.Refusal {
		if exitCode != nil {
			code := *exitCode
			f.ExitCode = &code
		}
		return f
	}
	last, program := -1, ""
	for i, l := range lines {
		m := re.FindStringSubmatch(l)
		if m == nil {
			continue
		}
		last, program = i, ""
		if k := re.SubexpIndex("program"); k > 0 {
			program = m[k]
		} else if len(m) > 1 {
			program = m[1]
		}
	}
	if last >= 0 {
		var log []string
		for _, l := range lines[last+1:] {
			if strings.Contains(l, "END PROG LOAD LOG") || len(log) == maxRefusalLog {
				break
			}
			log = append(log, strings.TrimPrefix(l, "libbpf: "))
		}
		f := ClassifyVerifierLog(log)
		f.Program = program
		if f.Line == "" {
			f.Line = strings.TrimSpace(lines[last])
		}
		return withExit(f)
	}
	for i := len(lines) - 1; i >= 0; i-- {
		if attachFailed.MatchString(lines[i]) {
			return withExit(&record.Refusal{Kind: record.RefusedAttach, Line: strings.TrimSpace(lines[i])})
		}
	}
	if f := ClassifyVerifierLog(lines); f.Kind == record.RefusedMissing {
		f.Processed = 0
		return withExit(f)
	}
	for i := len(lines) - 1; i >= 0; i-- {
		if permissionDenied.MatchString(lines[i]) {
			return withExit(&record.Refusal{Kind: record.RefusedPermission, Line: strings.TrimSpace(lines[i])})
		}
	}
	f := &record.Refusal{Kind: record.RefusedExited}
	if n := len(lines); n > 0 {
		f.Line = strings.TrimSpace(lines[n-1])
	}
	return withExit(f)
}
