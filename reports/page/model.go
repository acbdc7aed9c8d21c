package page

import (
	"strings"

	"github.com/benchctl/benchctl/bench/results"
	"github.com/benchctl/benchctl/bench/stats"
)

// A Document is what the markdown, text and HTML writers share: the
// same sections and tables, each writer only spells them differently.
// Paragraphs may hold `code` spans (backquotes); nothing else is markup.
// Strings of a scenario, a tracer or a results file are put in them
// through SanitizeCode, which takes their backquotes out; the writers
// escape everything else, wherever it is.
type Document struct {
	Title string
	// Headline, when set, comes right after the title (a single file's
	// report puts its headline there).
	Headline *Section
	Paras    []string
	Sections []*Section
}

// A Section is a titled part of a document: paragraphs, tables, charts
// and sub-sections.
type Section struct {
	ID    string // anchor, and the chart slot in HTML
	Title string
	Paras []string
	// Tables follow the paragraphs.
	Tables []*Table
	// Charts are chart names shown after the tables: markdown and text
	// link those the writer is given a Link for, HTML inlines those it is
	// given an HTMLChart for.
	Charts []string
	// Collapsed sections are folded by default where the format can
	// (markdown and HTML <details>).
	Collapsed bool
	Sub       []*Section
}

// A Table is a table of a section: a header, rows of cells and
// footnotes.
type Table struct {
	Caption string
	Header  []string
	// Right marks right-aligned (numeric) columns; Code marks columns of
	// identifiers (variant and syscall names).
	Right []bool
	Code  []bool
	Rows  [][]string
	// Notes are footnotes; cells refer to them with superscript numbers.
	Notes []string
}

// NewTable returns an empty table with header, every column left-aligned
// and not code.
func NewTable(header ...string) *Table {
	return &Table{Header: header, Right: make([]bool, len(header)), Code: make([]bool, len(header))}
}

// AlignRight right-aligns the columns cols.
func (t *Table) AlignRight(cols ...int) *Table {
	for _, c := range cols {
		t.Right[c] = true
	}
	return t
}

// AsCode marks the columns cols as identifiers, spelled as code.
func (t *Table) AsCode(cols ...int) *Table {
	for _, c := range cols {
		t.Code[c] = true
	}
	return t
}

// Add appends a row.
func (t *Table) Add(cells ...string) { t.Rows = append(t.Rows, cells) }

// None is what an empty cell shows.
const None = "—"

// Cells formats summaries for one table: "median ±CI" with footnote
// marks for their warnings. When no summary of the report has a CI (every
// variant has fewer than stats.MinSamplesCI runs) the "±∞" is left out of
// every cell and the table says so once.
type Cells struct {
	// Notes are the table's footnotes, which cells refer to.
	Notes  Notes
	ShowCI bool
}

// NewCells returns the cells of one table, with intervals when showCI.
func NewCells(showCI bool) *Cells { return &Cells{ShowCI: showCI} }

// Summary formats s, a summary of a measure of kind k.
func (c *Cells) Summary(k results.Kind, unit string, s stats.Summary) string {
	v := FormatValue(k, unit, s.Median)
	if !c.ShowCI {
		return v
	}
	return v + " " + FormatCI(k, s) + c.Notes.Marks(s.Warnings)
}

// Get formats measure key of vs; None when the variant has no such figure.
func (c *Cells) Get(vs results.VariantStats, key string) string {
	ms, ok := vs.Get(key)
	if !ok {
		return None
	}
	return c.Summary(ms.Measure.Kind, vs.Unit, ms.Summary)
}

// Footnotes returns the table's footnotes. That no variant has enough
// runs for an interval is said once, at the top of the report.
func (c *Cells) Footnotes() []string { return c.Notes.Numbered() }

// AnyCI tells whether any measure of any variant has a finite CI.
func AnyCI(vss []results.VariantStats) bool {
	for _, vs := range vss {
		for _, ms := range vs.Measures {
			if ms.HasCI() {
				return true
			}
		}
	}
	return false
}

// ModeLabel names a variant's mode: its probe mode, or the external
// tracer and its design, with the TOCTOU option and "stats off".
func ModeLabel(v results.Variant) string {
	m := string(v.Mode)
	if v.External() {
		m = "tracer " + SanitizeCode(v.Tracer)
		if v.Design != "" {
			m += " (" + SanitizeCode(string(v.Design)) + ")"
		}
	}
	if v.Mode == results.ModeExitOnly && v.TOCTOU != "" && v.TOCTOU != results.TOCTOUNone {
		m += " (" + string(v.TOCTOU) + ")"
	}
	if !v.Stats {
		m += ", stats off"
	}
	return m
}

// Slug turns a variant name into an anchor or file name part.
func Slug(s string) string {
	var b strings.Builder
	for _, c := range strings.ToLower(s) {
		switch {
		case c >= 'a' && c <= 'z', c >= '0' && c <= '9', c == '-', c == '_':
			b.WriteRune(c)
		default:
			b.WriteByte('-')
		}
	}
	return b.String()
}
