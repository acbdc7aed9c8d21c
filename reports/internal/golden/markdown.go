package golden

import (
	"bytes"
	"fmt"
	stdhtml "html"
	"regexp"
	"strings"
	"testing"

	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/extension"
	"github.com/yuin/goldmark/renderer/html"

	"github.com/benchctl/benchctl/bench/results"
)

// Hostile are strings a scenario, a tracer or a results file could hold
// that markdown, or GitHub after rendering it, would turn into
// something else than text: a heading, list, quote, fence, table row,
// link, image, raw HTML, emphasis, an @mention, a #reference. Each
// holds a space (a name without one is spelled as code in a table).
var Hostile = []string{
	"x\n# heading",
	"@user and @org/team",
	"[x](http://e) ![i](http://e/i.png)",
	"<img src=x onerror=alert(1)>",
	"```\nfence\n```",
	"a | b \\| c \\",
	"_em_ *strong* __b__ ~~del~~ ~x~",
	"www.example.com http://e.example user@example.com #29",
	"  - item\n1. item\n> quote\n---\n    indented\n\nnew para",
	"`code` and `` two `` and ```",
	"&lt;img src=x&gt; &#64;user <!-- c -->",
	"x\r\n## heading\r| a | b |\n| --- | --- |",
	"- list item",
	"1) item",
	"# heading",
}

// Benign is the harmless counterpart of Hostile[i%len(Hostile)], for
// the i-th string a test plants: the same report made of benign
// strings is what a hostile one must render like, element for element.
func Benign(i int) string { return fmt.Sprintf("benign text %d", i) }

// HostileString is the i-th string a test plants: Hostile[i%len] with
// i, so that every planted string is distinct.
func HostileString(i int) string { return fmt.Sprintf("%s %d", Hostile[i%len(Hostile)], i) }

// RenderMarkdown renders md as GitHub would, as far as a CommonMark
// parser can: goldmark with the GitHub extensions (tables,
// strikethrough, bare links, task lists), raw HTML passed through.
func RenderMarkdown(t *testing.T, md string) string {
	t.Helper()
	gm := goldmark.New(goldmark.WithExtensions(extension.GFM), goldmark.WithRendererOptions(html.WithUnsafe()))
	var buf bytes.Buffer
	if err := gm.Convert([]byte(md), &buf); err != nil {
		t.Fatal(err)
	}
	return buf.String()
}

// goldmark escapes < in text and attributes, so every < of its output
// starts a tag (or an HTML comment, passed through).
var tagRe = regexp.MustCompile(`<!--|<(/?[a-zA-Z][a-zA-Z0-9]*)`)

// Elements lists the tags of rendered HTML, in order.
func Elements(html string) []string {
	var out []string
	for _, m := range tagRe.FindAllStringSubmatch(html, -1) {
		if m[0] == "<!--" {
			out = append(out, "!--")
		} else {
			out = append(out, strings.ToLower(m[1]))
		}
	}
	return out
}

// codeRe matches a code element and its contents.
var codeRe = regexp.MustCompile(`(?s)<code>.*?</code>`)

// gitHubLinks match what GitHub links in rendered text outside code
// after the markdown is rendered: @mentions, #references, URLs and
// e-mail addresses.
var gitHubLinks = regexp.MustCompile(`(?i)(^|[^a-z0-9_])@[a-z0-9]|#[0-9]|[a-z]+://|www\.|[a-z0-9]@[a-z0-9]`)

// Inert fails t unless hostile, markdown with strings of Hostile planted
// in it, renders to the elements of benign, the same markdown with
// Benign strings in their place, and its text outside code holds
// nothing GitHub would make a link or mention of.
func Inert(t *testing.T, hostile, benign string) {
	t.Helper()
	h, b := RenderMarkdown(t, hostile), RenderMarkdown(t, benign)
	he, be := Elements(h), Elements(b)
	if strings.Join(he, " ") != strings.Join(be, " ") {
		for i := range min(len(he), len(be)) {
			if he[i] != be[i] {
				t.Errorf("element %d of the hostile report is <%s>, the benign report's <%s>", i, he[i], be[i])
				break
			}
		}
		t.Errorf("hostile strings change the report's elements: %d elements, benign %d", len(he), len(be))
		t.Logf("hostile HTML:\n%s", h)
		return
	}
	text := stdhtml.UnescapeString(tagStrip.ReplaceAllString(codeRe.ReplaceAllString(h, ""), " "))
	for _, m := range gitHubLinks.FindAllStringIndex(text, -1) {
		lo, hi := max(0, m[0]-30), min(len(text), m[1]+30)
		t.Errorf("GitHub would link %q in %q", text[m[0]:m[1]], text[lo:hi])
	}
}

var tagStrip = regexp.MustCompile(`<[^>]*>`)

// Plant puts s(1), s(2), ... in every string of r that a scenario, a
// tracer or a results file decides: the scenario's name, file and
// workload, the environment's, the variants', sets', tracers' and
// syscalls' names, a failed run's error, the reason the run is
// incomplete, what the tracers printed.
func Plant(r *results.Results, s func(int) string) {
	n := 0
	next := func() string { n++; return s(n) }
	r.Scenario.Name, r.Scenario.File, r.Scenario.Workload = next(), next(), next()
	e := &r.Environment
	e.Kernel, e.Arch, e.CPUModel, e.Hostname, e.BenchctlVersion, e.GoVersion, e.StatsMethod, e.ClockSource = next(), next(), next(), next(), next(), next(), next(), next()
	e.Instructions = next()
	r.Complete, r.Reason = false, next()
	names, sets, tracers, syscalls := map[string]string{}, map[string]string{}, map[string]string{}, map[string]string{}
	rename := func(m map[string]string, old string) string {
		if old == "" {
			return ""
		}
		if _, ok := m[old]; !ok {
			m[old] = next()
		}
		return m[old]
	}
	for i := range r.Variants {
		v := &r.Variants[i]
		v.Name, v.Set, v.Tracer, v.Family = rename(names, v.Name), rename(sets, v.Set), rename(tracers, v.Tracer), rename(tracers, v.Family)
		for j, sc := range v.Syscalls {
			v.Syscalls[j] = rename(syscalls, sc)
		}
	}
	if fp := r.Fingerprint; fp != nil {
		m := map[string]uint64{}
		for k, c := range fp.Syscalls {
			m[rename(syscalls, k)] = c
		}
		fp.Syscalls = m
	}
	failed := map[string]bool{}
	for i := range r.Runs {
		run := &r.Runs[i]
		run.Variant = rename(names, run.Variant)
		if run.Error != "" || !failed[run.Variant] && run.Round == 0 {
			run.Error, failed[run.Variant] = next(), true
		}
		if t := run.Tracer; t != nil {
			t.Output = next()
			t.Texts = map[string]string{next(): next()}
			c := map[string]float64{}
			for k, x := range t.Counters {
				c[rename(syscalls, k)] = x
			}
			t.Counters = c
		}
	}
	if p := r.Provenance; p != nil {
		p.Set = map[string]string{next(): next()}
		for i := range p.Tracers {
			p.Tracers[i].Name = rename(tracers, p.Tracers[i].Name)
			p.Tracers[i].Argv = []string{next(), next()}
			p.Tracers[i].Executable = next()
		}
	}
	r.Environment.Node = &results.NodeInfo{Name: next(), Kernel: next(), InstanceType: next(), Zone: next(), Pod: next(), Image: next()}
}
