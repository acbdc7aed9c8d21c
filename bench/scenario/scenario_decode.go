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

// errIf is errAt when bad; it returns bad.
func (p *parser) errIf(bad bool, line int, hint, format string, args ...any) bool {
	if bad {
		p.errAt(line, hint, format, args...)
	}
	return bad
}

// document returns the root of the file's one YAML document.
func (p *parser) document(data []byte) *yaml.Node {
	if len(bytes.TrimSpace(data)) == 0 {
		p.errAt(1, "a scenario needs at least a workload section", "empty scenario file")
		return nil
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc, extra yaml.Node
	err := dec.Decode(&doc)
	if err == nil {
		err = dec.Decode(&extra)
	}
	switch {
	case err == nil:
		p.errAt(extra.Line, "put the whole scenario in one document, without a second ---", "more than one YAML document")
	case !errors.Is(err, io.EOF):
		p.yamlError(err)
	case len(doc.Content) == 1:
		return deref(doc.Content[0])
	default:
		p.errAt(1, "a scenario is a mapping of keys such as workload, sets and modes", "empty scenario file")
	}
	return nil
}

var yamlLine = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)

func (p *parser) yamlError(err error) {
	if m := yamlLine.FindStringSubmatch(err.Error()); m != nil {
		line, _ := strconv.Atoi(m[1])
		p.errAt(line, "check the indentation and quoting around this line", "invalid YAML: %s", m[2])
	} else {
		p.errAt(0, "check the file is YAML", "invalid YAML: %s", strings.TrimPrefix(err.Error(), "yaml: "))
	}
}

func deref(n *yaml.Node) *yaml.Node {
	for n != nil && n.Kind == yaml.AliasNode {
		n = n.Alias
	}
	return n
}

// field is one key of a mapping and its value, with the name messages
// give it ("workload requests"). A key not given has nil nodes. A
// section that is not under a key (the whole file, a list item) has its
// own node as k, where errors about it go.
type field struct {
	key  string
	k, v *yaml.Node
	what string
}

func (f field) set() bool { return f.v != nil }

// entries checks f is a mapping whose keys are all in known (any key
// when known is nil) and returns its fields in file order. Unknown and
// duplicate keys are errors.
func (p *parser) entries(f field, known []string) ([]field, bool) {
	n, what := f.v, f.what
	if p.errIf(n.Kind != yaml.MappingNode, n.Line, "write it as `key: value` lines indented under it", "%s must be a mapping, not %s", what, kindName(n)) {
		return nil, false
	}
	var out []field
	seen := map[string]*yaml.Node{}
	for kv := range slices.Chunk(n.Content, 2) {
		kn, vn := deref(kv[0]), deref(kv[1])
		switch key := kn.Value; {
		case kn.Kind != yaml.ScalarNode:
			p.errAt(kn.Line, "keys are plain words", "%s has a key that is not a scalar", what)
		case kn.Tag == "!!merge":
			p.errAt(kn.Line, "spell the keys out instead of merging with <<", "merge keys are not supported in %s", what)
		case seen[key] != nil:
			p.errAt(kn.Line, fmt.Sprintf("the first one is on line %d; remove one", seen[key].Line), "%s: key %q given twice", what, key)
		case known != nil && !slices.Contains(known, key):
			p.errAt(kn.Line, suggestHint(key, known), "%s: unknown key %q", what, key)
		default:
			seen[key] = kn
			// The scenario's own keys are named alone: "warmup".
			out = append(out, field{key, kn, vn, strings.TrimPrefix(what+" "+key, "scenario ")})
		}
	}
	return out, true
}

// key is one key of a section and how it is read. A valid value is
// stored in dst, checked by its type: *string (and by check when set),
// *bool, *int from lo to hi, *time.Duration, or *float64 unless bad
// says it is out of range (then the error is msg, of the key's name in
// messages and the number as written, with hint). A func(field) dst
// reads the key itself; a nil one leaves it to a check. A key with need
// is required: when it is missing, "OWNER has no KEY" with need as hint.
// A key without a name is a check of the keys before it, given by
// name (unset fields for keys not given): its dst is a
// func(map[string]field), always called.
type key struct {
	name      string
	dst       any
	lo, hi    int64
	need      string
	check     func(n *yaml.Node, v string) bool
	bad       func(float64) bool
	hint, msg string
}

// section checks f is a mapping of the keys given and reads them in the
// order given, so that errors sharing a line come in the order of the
// checks.
func (p *parser) section(f field, keys ...key) {
	if fs, ok := p.entries(f, keyNames(keys)); ok {
		p.read(f, fs, keys...)
	}
}

// keyNames lists a section's keys.
func keyNames(keys []key) (names []string) {
	for _, k := range keys {
		if k.name != "" {
			names = append(names, k.name)
		}
	}
	return names
}

// read reads the given keys of fs, the fields of section owner.
func (p *parser) read(owner field, fs []field, keys ...key) {
	m := map[string]field{}
	for _, f := range fs {
		m[f.key] = f
	}
	for _, k := range keys {
		knownDst(k)
		f, given := m[k.name]
		if check, ok := k.dst.(func(map[string]field)); ok {
			check(m)
			continue
		}
		if !given {
			p.errIf(k.need != "", owner.k.Line, k.need, "%s has no %s", owner.what, k.name)
			continue
		}
		switch d := k.dst.(type) {
		case *string:
			if v, ok := p.str(f); ok && (k.check == nil || k.check(f.v, v)) {
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

// knownDst panics when the table gives key k a destination that read has
// no reader for: a mistake in the key tables, which would otherwise drop
// the key's value without a word. Every parse checks every key, given or
// not, so any test that parses a scenario finds it.
func knownDst(k key) {
	switch k.dst.(type) {
	case nil: // named here, read by a later entry's func(map[string]field)
	case *string, *bool, *int, *time.Duration, *float64, func(field), func(map[string]field):
	default:
		panic(fmt.Sprintf("scenario key table: key %q has a destination of type %T, which read does not know", k.name, k.dst))
	}
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

// scalar and the readers of one value below report whether f holds a
// valid one, and make it an error when not.
func (p *parser) scalar(f field, hint string) bool {
	return !p.errIf(f.v.Kind != yaml.ScalarNode || f.v.Tag == "!!null", f.v.Line, hint, "%s must be a single value, not %s", f.what, kindName(f.v))
}

func (p *parser) str(f field) (string, bool) {
	switch {
	case !p.scalar(f, "write a plain word or a quoted string"):
	case f.v.Tag != "!!str":
		p.errAt(f.v.Line, "quote it if you mean the text", "%s must be a string, not %s", f.what, f.v.Value)
	case strings.TrimSpace(f.v.Value) == "":
		p.errAt(f.v.Line, "remove the key or give it a value", "%s is empty", f.what)
	default:
		return f.v.Value, true
	}
	return "", false
}

// boolean, integer and duration store f's value in *dst when it is
// valid.
func (p *parser) boolean(dst *bool, f field) bool {
	if !p.scalar(f, "write true or false") || p.errIf(f.v.Tag != "!!bool", f.v.Line, "write true or false", "%s must be true or false, not %q", f.what, f.v.Value) {
		return false
	}
	*dst = strings.EqualFold(f.v.Value, "true") || strings.EqualFold(f.v.Value, "yes") || strings.EqualFold(f.v.Value, "on")
	return true
}

func integer[T int | int64](p *parser, dst *T, f field, lo, hi int64) {
	hint := fmt.Sprintf("write a whole number from %d to %d", lo, hi)
	v, err := strconv.ParseInt(strings.ReplaceAll(f.v.Value, "_", ""), 0, 64)
	switch {
	case !p.scalar(f, hint):
	case f.v.Tag != "!!int" || err != nil:
		p.errAt(f.v.Line, hint, "%s must be a whole number, not %q", f.what, f.v.Value)
	case v < lo || v > hi:
		p.errAt(f.v.Line, fmt.Sprintf("it must be from %d to %d", lo, hi), "%s %d is out of range", f.what, v)
	default:
		*dst = T(v)
	}
}

func (p *parser) duration(dst *time.Duration, f field) {
	d, err := time.ParseDuration(f.v.Value)
	switch {
	case !p.scalar(f, "write a duration such as 10s or 1m30s"):
	case err != nil || f.v.Tag != "!!str":
		p.errAt(f.v.Line, "write a duration with a unit, such as 10s or 1m30s", "%s must be a duration, not %q", f.what, f.v.Value)
	case d <= 0:
		p.errAt(f.v.Line, "give a positive duration", "%s must be positive, not %s", f.what, f.v.Value)
	default:
		*dst = d
	}
}

func (p *parser) number(f field) (float64, bool) {
	v, err := strconv.ParseFloat(f.v.Value, 64)
	ok := p.scalar(f, "write a number") && !p.errIf((f.v.Tag != "!!int" && f.v.Tag != "!!float") || err != nil, f.v.Line,
		"write a number, such as 5 or 2.5", "%s must be a number, not %q", f.what, f.v.Value)
	return v, ok
}

// numberIn stores f's number in k's dst unless k.bad says it is out of
// range; k.msg then takes f.what and the number as written.
func (p *parser) numberIn(k key, f field) bool {
	v, ok := p.number(f)
	if !ok || p.errIf(k.bad(v), f.v.Line, k.hint, k.msg, f.what, f.v.Value) {
		return false
	}
	*k.dst.(*float64) = v
	return true
}

// named checks a name against re; format takes the name.
func (p *parser) named(re *regexp.Regexp, hint, format string) func(*yaml.Node, string) bool {
	return func(n *yaml.Node, name string) bool {
		return !p.errIf(!re.MatchString(name), n.Line, hint, format, name)
	}
}

// regex compiles s; when it does not compile, that is an error: what,
// then the compiler's message.
func (p *parser) regex(n *yaml.Node, s, hint, what string) (*regexp.Regexp, bool) {
	re, err := regexp.Compile(s)
	if err != nil {
		p.errAt(n.Line, hint, "%s: %v", what, err)
	}
	return re, err == nil
}

// mapping reads a mapping of any keys, in file order; an empty one is
// an error with emptyHint.
func (p *parser) mapping(f field, emptyHint string) []field {
	fs, ok := p.entries(f, nil)
	p.errIf(ok && len(fs) == 0, f.v.Line, emptyHint, "%s is empty", f.what)
	return fs
}

// strList reads a list of strings: the good items and their nodes, and
// whether f is a list of nothing else; with emptyHint, an empty list is
// an error.
func (p *parser) strList(f field, emptyHint string) (out []string, nodes []*yaml.Node, ok bool) {
	hint := "write a list: [a, b] or one `- a` line per item"
	if f.v.Kind == yaml.ScalarNode && strings.Contains(f.v.Value, ",") {
		hint = "write [" + f.v.Value + "] with brackets"
	}
	if p.errIf(f.v.Kind != yaml.SequenceNode, f.v.Line, hint, "%s must be a list, not %s", f.what, kindName(f.v)) {
		return nil, nil, false
	}
	ok = true
	for _, it := range f.v.Content {
		it = deref(it)
		s, good := p.str(field{v: it, what: f.what + " item"})
		if good {
			out, nodes = append(out, s), append(nodes, it)
		}
		ok = ok && good
	}
	p.errIf(ok && len(out) == 0 && emptyHint != "", f.v.Line, emptyHint, "%s is empty", f.what)
	return out, nodes, ok
}

// oneOf reports whether name is in valid, and calls it an unknown noun
// when not.
func (p *parser) oneOf(n *yaml.Node, noun, name string, valid []string) bool {
	return !p.errIf(!slices.Contains(valid, name), n.Line, suggestHint(name, valid), "unknown %s %q", noun, name)
}

// in is oneOf as a check of a key or of the names of a list.
func (p *parser) in(noun string, valid []string) func(*yaml.Node, string) bool {
	return func(n *yaml.Node, name string) bool { return p.oneOf(n, noun, name, valid) }
}

// enums returns the names that pass check, each once; noun names one in
// messages.
func (p *parser) enums(names []string, nodes []*yaml.Node, noun string, check func(*yaml.Node, string) bool) (out []string) {
	for i, name := range names {
		switch {
		case !check(nodes[i], name):
		case slices.Contains(out, name):
			p.errAt(nodes[i].Line, "remove the second one", "%s %q listed twice", noun, name)
		default:
			out = append(out, name)
		}
	}
	return out
}

// list reads a list of names that pass check, each once.
func list[T ~string](p *parser, f field, noun, emptyHint string, check func(*yaml.Node, string) bool) (out []T) {
	if names, nodes, ok := p.strList(f, emptyHint); ok {
		for _, name := range p.enums(names, nodes, noun, check) {
			out = append(out, T(name))
		}
	}
	return out
}
