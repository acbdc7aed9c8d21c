package page

import (
	"bytes"
	"strings"
	"testing"

	"github.com/benchctl/benchctl/reports/internal/golden"
)

// escapeDocument is a document whose every string is s(i): titles,
// paragraphs in and out of code spans, captions, cells of text and of
// code, footnotes, a collapsed section's title.
func escapeDocument(s func(int) string) *Document {
	return escapeDocumentWith(s, SanitizeCode)
}

// escapeDocumentWith is escapeDocument with data put in paragraphs
// through para.
func escapeDocumentWith(s func(int) string, para func(string) string) *Document {
	t := NewTable(s(1), s(2), s(3)).AsCode(0).AlignRight(2)
	t.Caption = s(4)
	t.Add(s(5), s(6), s(7))
	t.Add(strings.ReplaceAll(s(8), " ", "_"), "~", "~¹ "+s(9)) // a code cell; a lone tilde
	t.Notes = []string{s(10), s(11)}
	return &Document{
		Title:    s(12),
		Headline: &Section{Title: s(13), Paras: []string{para(s(14))}},
		Paras:    []string{para(s(15)), "Scenario `" + SanitizeCode(s(16)) + "`: " + para(s(17)) + ".", para(s(18)) + " `" + SanitizeCode(s(19)) + "` " + para(s(20))},
		Sections: []*Section{
			{Title: s(21), Tables: []*Table{t}, Sub: []*Section{{Title: s(22), Paras: []string{para(s(23))}}}},
			{Title: s(24), Collapsed: true, Paras: []string{para(s(25))}, Sub: []*Section{{Title: s(26), Collapsed: true, Paras: []string{para(s(27))}}}},
		},
	}
}

func markdownOf(t *testing.T, doc *Document) string {
	t.Helper()
	var buf bytes.Buffer
	if err := WriteMarkdown(&buf, doc, nil); err != nil {
		t.Fatal(err)
	}
	return buf.String()
}

// TestMarkdownInert renders a document made of hostile strings through a
// CommonMark parser: it must have the elements of the same document made
// of benign strings, no more.
func TestMarkdownInert(t *testing.T) {
	for i := range golden.Hostile {
		t.Run(strings.Fields(golden.Hostile[i])[0], func(t *testing.T) {
			hostile := func(n int) string { return golden.HostileString(i + n*len(golden.Hostile)) }
			benign := func(n int) string { return golden.Benign(i + n*len(golden.Hostile)) }
			md := markdownOf(t, escapeDocument(hostile))
			golden.Inert(t, md, markdownOf(t, escapeDocument(benign)))
			golden.TablesWellFormed(t, md)
			if t.Failed() {
				t.Logf("markdown:\n%s", md)
			}
			// A string put in a paragraph without SanitizeCode can at
			// worst move a code span: the rest stays text.
			raw := func(s string) string { return s }
			h := golden.RenderMarkdown(t, markdownOf(t, escapeDocumentWith(hostile, raw)))
			b := golden.RenderMarkdown(t, markdownOf(t, escapeDocumentWith(benign, raw)))
			if he, be := noCode(golden.Elements(h)), noCode(golden.Elements(b)); strings.Join(he, " ") != strings.Join(be, " ") {
				t.Errorf("unsanitized paragraphs: elements other than code differ:\n%s", h)
			}
		})
	}
}

// TestMDParaBackquotes: backquotes a paragraph does not pair, or pairs
// around nothing, open no code span and no fence.
func TestMDParaBackquotes(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"a `b` c", "a `b` c"},
		{"reason ``` x", "reason \\`\\`\\` x"},
		{"a `b` c `d", "a `b` c \\`d"},
		{"```", "\\`\\`\\`"},
		{"`x\n# y`", "`x # y`"},
	} {
		if got := MDPara(tc.in); got != tc.want {
			t.Errorf("MDPara(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func noCode(elems []string) []string {
	var out []string
	for _, e := range elems {
		if e != "code" && e != "/code" {
			out = append(out, e)
		}
	}
	return out
}
