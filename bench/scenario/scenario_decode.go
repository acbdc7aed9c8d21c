package scenario

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// parser decodes the YAML node tree section by section and collects
// errors with positions.
type parser struct {
	file string
	errs Errors
	vars map[string]string
}

func (p *parser) errAt(line int, hint, format string, args ...any) {
	p.errs = append(p.errs, &Error{File: p.file, Line: line, Msg: fmt.Sprintf(format, args...), Hint: hint})
}

// errIf is errAt when bad.
func (p *parser) errIf(bad bool, line int, hint, format string, args ...any) {
	if bad {
		p.errAt(line, hint, format, args...)
	}
}

func (p *parser) errorf(n *yaml.Node, hint, format string, args ...any) {
	line := 0
	if n != nil {
		line = n.Line
	}
	p.errAt(line, hint, format, args...)
}

func (p *parser) document(data []byte) *yaml.Node {
	if len(bytes.TrimSpace(data)) == 0 {
		p.errAt(1, "a scenario needs at least a workload section", "empty scenario file")
		return nil
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); errors.Is(err, io.EOF) {
		p.errAt(1, "a scenario is a mapping of keys such as workload, sets and modes", "empty scenario file")
		return nil
	} else if err != nil {
		p.yamlError(err)
		return nil
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); err == nil {
		p.errorf(&extra, "put the whole scenario in one document, without a second ---", "more than one YAML document")
		return nil
	} else if !errors.Is(err, io.EOF) {
		p.yamlError(err)
		return nil
	}
	if doc.Kind == yaml.DocumentNode && len(doc.Content) == 1 {
		return deref(doc.Content[0])
	}
	p.errAt(1, "a scenario is a mapping of keys such as workload, sets and modes", "empty scenario file")
	return nil
}

var yamlLine = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)

func (p *parser) yamlError(err error) {
	msg := err.Error()
	if m := yamlLine.FindStringSubmatch(msg); m != nil {
		line, _ := strconv.Atoi(m[1])
		p.errAt(line, "check the indentation and quoting around this line", "invalid YAML: %s", m[2])
		return
	}
	p.errAt(0, "check the file is YAML", "invalid YAML: %s", strings.TrimPrefix(msg, "yaml: "))
}

func deref(n *yaml.Node) *yaml.Node {
	for n != nil && n.Kind == yaml.AliasNode {
		n = n.Alias
	}
	return n
}

// field is one key of a mapping and its value, with the name messages
// give it ("workload requests"). A key not given has nil nodes, and the
// helpers below skip it silently.
type field struct {
	key  string
	k, v *yaml.Node
	what string
}

func (f field) set() bool { return f.v != nil }

// pos is where a section is: its key, or its node when it has none (the
// whole file, a list item).
func (f field) pos() *yaml.Node {
	if f.k != nil {
		return f.k
	}
	return f.v
}

// entries checks f is a mapping whose keys are all in known (any key
// when known is nil) and returns its fields in file order. Unknown and
// duplicate keys are errors.
func (p *parser) entries(f field, known []string) ([]field, bool) {
	n, what := f.v, f.what
	if n.Kind != yaml.MappingNode {
		p.errorf(n, "write it as `key: value` lines indented under it", "%s must be a mapping, not %s", what, kindName(n))
		return nil, false
	}
	var out []field
	seen := map[string]*yaml.Node{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		kn, vn := deref(n.Content[i]), deref(n.Content[i+1])
		switch key := kn.Value; {
		case kn.Kind != yaml.ScalarNode:
			p.errorf(kn, "keys are plain words", "%s has a key that is not a scalar", what)
		case kn.Tag == "!!merge":
			p.errorf(kn, "spell the keys out instead of merging with <<", "merge keys are not supported in %s", what)
		case seen[key] != nil:
			p.errorf(kn, fmt.Sprintf("the first one is on line %d; remove one", seen[key].Line), "%s: key %q given twice", what, key)
		case known != nil && !slices.Contains(known, key):
			p.errorf(kn, suggestHint(key, known), "%s: unknown key %q", what, key)
		default:
			seen[key] = kn
			// The scenario's own keys are named alone: "warmup".
			out = append(out, field{key, kn, vn, strings.TrimPrefix(what+" "+key, "scenario ")})
		}
	}
	return out, true
}

// key is one key of a section and how it is read. A valid value is
// stored in dst, checked by its type: *string, *bool, *int from lo to
// hi, *time.Duration, or *float64 unless bad says it is out of range
// (then the error is msg, of the key's name in messages and the number
// as written, with hint). A func(field) dst reads the key itself;
// a nil one leaves it to the caller. A key with need is required: when
// it is missing, "OWNER has no KEY" with need as hint.
type key struct {
	name      string
	dst       any
	lo, hi    int64
	need      string
	bad       func(float64) bool
	hint, msg string
}

// section checks f is a mapping of the keys given and reads them in the
// order given, so that errors sharing a line come in the order of the
// checks. It returns the fields by key.
func (p *parser) section(f field, keys ...key) (map[string]field, bool) {
	m, ok := p.fields(f, keys...)
	if ok {
		p.read(f, m, keys...)
	}
	return m, ok
}

// fields checks f is a mapping of the keys given and returns its fields
// by key, unread.
func (p *parser) fields(f field, keys ...key) (map[string]field, bool) {
	fs, ok := p.entries(f, keyNames(keys...))
	return byKey(fs), ok
}

func byKey(fs []field) map[string]field {
	m := map[string]field{}
	for _, f := range fs {
		m[f.key] = f
	}
	return m
}

// read reads the given keys of m, the fields of section owner.
func (p *parser) read(owner field, m map[string]field, keys ...key) {
	for _, k := range keys {
		f, given := m[k.name]
		if !given {
			if k.need != "" {
				p.errorf(owner.pos(), k.need, "%s has no %s", owner.what, k.name)
			}
			continue
		}
		switch d := k.dst.(type) {
		case *string:
			if v, ok := p.str(f); ok {
				*d = v
			}
		case *bool:
			p.boolean(d, f)
		case *int:
			integer(p, d, f, k.lo, k.hi)
		case *time.Duration:
			p.duration(d, f)
		case *float64:
			p.numberIn(k, f)
		case func(field):
			d(f)
		}
	}
}

// keyNames lists a section's keys.
func keyNames(keys ...key) []string {
	out := make([]string, len(keys))
	for i, k := range keys {
		out[i] = k.name
	}
	return out
}

func kindName(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		if n.Tag == "!!null" {
			return "empty"
		}
		return fmt.Sprintf("%q", n.Value)
	}
	return "something else"
}

func (p *parser) scalar(f field, hint string) bool {
	if f.v.Kind != yaml.ScalarNode || f.v.Tag == "!!null" {
		p.errorf(f.v, hint, "%s must be a single value, not %s", f.what, kindName(f.v))
		return false
	}
	return true
}

func (p *parser) str(f field) (string, bool) {
	if !f.set() || !p.scalar(f, "write a plain word or a quoted string") {
		return "", false
	}
	if f.v.Tag != "!!str" {
		p.errorf(f.v, "quote it if you mean the text", "%s must be a string, not %s", f.what, f.v.Value)
		return "", false
	}
	if strings.TrimSpace(f.v.Value) == "" {
		p.errorf(f.v, "remove the key or give it a value", "%s is empty", f.what)
		return "", false
	}
	return f.v.Value, true
}

// boolean, integer and duration store f's value in *dst when f is
// given and valid.
func (p *parser) boolean(dst *bool, f field) bool {
	if !f.set() || !p.scalar(f, "write true or false") {
		return false
	}
	if f.v.Tag != "!!bool" {
		p.errorf(f.v, "write true or false", "%s must be true or false, not %q", f.what, f.v.Value)
		return false
	}
	*dst = strings.EqualFold(f.v.Value, "true") || strings.EqualFold(f.v.Value, "yes") || strings.EqualFold(f.v.Value, "on")
	return true
}

func integer[T int | int64](p *parser, dst *T, f field, lo, hi int64) {
	hint := fmt.Sprintf("write a whole number from %d to %d", lo, hi)
	if !f.set() || !p.scalar(f, hint) {
		return
	}
	v, err := strconv.ParseInt(strings.ReplaceAll(f.v.Value, "_", ""), 0, 64)
	if f.v.Tag != "!!int" || err != nil {
		p.errorf(f.v, hint, "%s must be a whole number, not %q", f.what, f.v.Value)
	} else if v < lo || v > hi {
		p.errorf(f.v, fmt.Sprintf("it must be from %d to %d", lo, hi), "%s %d is out of range", f.what, v)
	} else {
		*dst = T(v)
	}
}

func (p *parser) duration(dst *time.Duration, f field) {
	if !f.set() || !p.scalar(f, "write a duration such as 10s or 1m30s") {
		return
	}
	d, err := time.ParseDuration(f.v.Value)
	if err != nil || f.v.Tag != "!!str" {
		p.errorf(f.v, "write a duration with a unit, such as 10s or 1m30s", "%s must be a duration, not %q", f.what, f.v.Value)
	} else if d <= 0 {
		p.errorf(f.v, "give a positive duration", "%s must be positive, not %s", f.what, f.v.Value)
	} else {
		*dst = d
	}
}

func (p *parser) number(f field) (float64, bool) {
	if !f.set() || !p.scalar(f, "write a number") {
		return 0, false
	}
	v, err := strconv.ParseFloat(f.v.Value, 64)
	if (f.v.Tag != "!!int" && f.v.Tag != "!!float") || err != nil {
		p.errorf(f.v, "write a number, such as 5 or 2.5", "%s must be a number, not %q", f.what, f.v.Value)
		return 0, false
	}
	return v, true
}

// numberIn stores f's number in k's dst unless k.bad says it is out of
// range; k.msg then takes f.what and the number as written.
func (p *parser) numberIn(k key, f field) bool {
	v, ok := p.number(f)
	if ok && k.bad(v) {
		p.errorf(f.v, k.hint, k.msg, f.what, f.v.Value)
		return false
	} else if ok {
		*k.dst.(*float64) = v
	}
	return ok
}

// named reports whether name matches re, and makes it an error of
// format (which takes name) when not.
func (p *parser) named(re *regexp.Regexp, n *yaml.Node, name, hint, format string) bool {
	if !re.MatchString(name) {
		p.errorf(n, hint, format, name)
		return false
	}
	return true
}

// regex compiles s; when it does not compile, that is an error: what,
// then the compiler's message.
func (p *parser) regex(n *yaml.Node, s, hint, what string) (*regexp.Regexp, bool) {
	re, err := regexp.Compile(s)
	if err != nil {
		p.errorf(n, hint, "%s: %v", what, err)
	}
	return re, err == nil
}

// mapping reads a mapping of any keys, in file order; an empty one is
// an error with emptyHint.
func (p *parser) mapping(f field, emptyHint string) []field {
	fs, ok := p.entries(f, nil)
	if ok && len(fs) == 0 {
		p.errorf(f.v, emptyHint, "%s is empty", f.what)
	}
	return fs
}

// strList reads a list of strings: the good items and their nodes, and
// whether f is a list of nothing else; with emptyHint, an empty list is
// an error.
func (p *parser) strList(f field, emptyHint string) ([]string, []*yaml.Node, bool) {
	if f.v.Kind != yaml.SequenceNode {
		hint := "write a list: [a, b] or one `- a` line per item"
		if f.v.Kind == yaml.ScalarNode && strings.Contains(f.v.Value, ",") {
			hint = "write [" + f.v.Value + "] with brackets"
		}
		p.errorf(f.v, hint, "%s must be a list, not %s", f.what, kindName(f.v))
		return nil, nil, false
	}
	var out []string
	var nodes []*yaml.Node
	ok := true
	for _, it := range f.v.Content {
		it = deref(it)
		if s, good := p.str(field{v: it, what: f.what + " item"}); good {
			out, nodes = append(out, s), append(nodes, it)
		} else {
			ok = false
		}
	}
	if ok && len(out) == 0 && emptyHint != "" {
		p.errorf(f.v, emptyHint, "%s is empty", f.what)
	}
	return out, nodes, ok
}

// oneOf reports whether name is in valid, and calls it an unknown noun
// when not.
func (p *parser) oneOf(n *yaml.Node, noun, name string, valid []string) bool {
	if slices.Contains(valid, name) {
		return true
	}
	p.errorf(n, suggestHint(name, valid), "unknown %s %q", noun, name)
	return false
}

// enums returns the names that are in valid (any name when it is nil),
// each once, with their nodes; noun names one in messages.
func (p *parser) enums(names []string, nodes []*yaml.Node, noun string, valid []string) (out []string, at []*yaml.Node) {
	for i, name := range names {
		switch {
		case valid != nil && !p.oneOf(nodes[i], noun, name, valid):
		case slices.Contains(out, name):
			p.errorf(nodes[i], "remove the second one", "%s %q listed twice", noun, name)
		default:
			out, at = append(out, name), append(at, nodes[i])
		}
	}
	return out, at
}
