package doclinks

import (
	"fmt"
	"html"
	"io/fs"
	"maps"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"unicode"
)

// skipDirs are folders that hold no documentation of the repository:
// git's, caches, results of runs, build output.
var skipDirs = []string{".git", ".cache", "results", "bin"}

// TestMarkdownLinks checks every relative link of every markdown file of
// the repository.
func TestMarkdownLinks(t *testing.T) {
	root := repoRoot(t)
	files, err := markdownFiles(root)
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatalf("no markdown files under %s", root)
	}
	problems, err := checkLinks(root, files)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range problems {
		t.Error(p)
	}
	n := 0
	for _, f := range files {
		data, err := os.ReadFile(filepath.Join(root, filepath.FromSlash(f)))
		if err != nil {
			t.Fatal(err)
		}
		n += len(findLinks(string(data)))
	}
	t.Logf("%d links in %d markdown files checked", n, len(files))
}

// TestCheckerFindsBrokenLinks plants broken links in a scratch
// repository and checks each one is reported, and that good ones are not.
func TestCheckerFindsBrokenLinks(t *testing.T) {
	root := t.TempDir()
	write := func(name, text string) {
		t.Helper()
		p := filepath.Join(root, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("README.md", strings.Join([]string{
		"# Top",
		"[ok](docs/a.md) [ok anchor](docs/a.md#the-gate-and-noise) [ok dir](docs)",
		"[ok self](#top) [web](https://example.com/x.md) [mail](mailto:a@b.c)",
		"[missing file](docs/nope.md)",
		"[missing anchor](docs/a.md#no-such-heading)",
		"[outside](../elsewhere.md)",
		"`[in code](docs/nope2.md)`",
		"```",
		"[in a fence](docs/nope3.md)",
		"```",
		"[ref link][r]",
		"",
		"[r]: docs/nope4.md",
	}, "\n"))
	write("docs/a.md", "# A\n\n## The gate, and `noise`\n")
	write("results/skipped.md", "[broken but skipped](nope.md)\n")

	files, err := markdownFiles(root)
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"README.md", "docs/a.md"}; !slices.Equal(files, want) {
		t.Fatalf("files %q, want %q", files, want)
	}
	problems, err := checkLinks(root, files)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"README.md:4: link to docs/nope.md: no such file",
		"README.md:5: link to docs/a.md#no-such-heading: no heading with anchor #no-such-heading in docs/a.md",
		"README.md:6: link to ../elsewhere.md: outside the repository",
		"README.md:13: link to docs/nope4.md: no such file",
	}
	if !slices.Equal(problems, want) {
		t.Errorf("problems:\n%s\nwant:\n%s", strings.Join(problems, "\n"), strings.Join(want, "\n"))
	}
}

// TestSlug checks the anchor rule on headings of this repository's
// documentation, as GitHub renders them.
func TestSlug(t *testing.T) {
	for _, c := range []struct{ heading, want string }{
		{"benchctl", "benchctl"},
		{"Path reads: counted, and retried by the stash", "path-reads-counted-and-retried-by-the-stash"},
		{"Noise: what else the machine did", "noise-what-else-the-machine-did"},
		{"`benchctl compare` and the gate", "benchctl-compare-and-the-gate"},
		{"`benchctl trace` and `benchctl verify`", "benchctl-trace-and-benchctl-verify"},
		{"benchctl's own calls", "benchctls-own-calls"},
		{"External tracers: Falco's driver, bpftrace, any eBPF tracer", "external-tracers-falcos-driver-bpftrace-any-ebpf-tracer"},
		{"big: enter_exit → exit_only (stash)", "big-enter_exit--exit_only-stash"},
		{"benchctl — architecture", "benchctl--architecture"},
		{"Probe modes (the heart)", "probe-modes-the-heart"},
		{"`workload`", "workload"},
		{"`variants[]`", "variants"},
		{"Measured here: `benchctl verify` on the built-in workload", "measured-here-benchctl-verify-on-the-built-in-workload"},
		{"A [link](x.md) and **bold** &amp; more", "a-link-and-bold--more"},
		{"Données 2026-11-27", "données-2026-11-27"},
	} {
		if got := slug(c.heading); got != c.want {
			t.Errorf("slug(%q) = %q, want %q", c.heading, got, c.want)
		}
	}
	got := headingAnchors("# Statistics ##\n\nText\n\n## Notes\n\n## Notes\n\nSetext\n---\n\n```\n# not a heading\n```\n<a name=\"Here\"></a>\n")
	want := map[string]bool{"statistics": true, "notes": true, "notes-1": true, "setext": true, "here": true}
	if !maps.Equal(got, want) {
		t.Errorf("headingAnchors = %v, want %v", got, want)
	}
}

// repoRoot is the folder holding go.mod, above this package.
func repoRoot(t *testing.T) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("no go.mod above the test's folder")
		}
		dir = parent
	}
}

// markdownFiles lists the *.md files under root, slash-separated and
// relative to it, in lexical order.
func markdownFiles(root string) ([]string, error) {
	var out []string
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if p != root && slices.Contains(skipDirs, d.Name()) {
				return filepath.SkipDir
			}
			return nil
		}
		if strings.HasSuffix(d.Name(), ".md") {
			rel, err := filepath.Rel(root, p)
			if err != nil {
				return err
			}
			out = append(out, filepath.ToSlash(rel))
		}
		return nil
	})
	return out, err
}

// link is one link found in a markdown file.
type link struct {
	line   int
	target string
}

// checkLinks returns one line per broken link of files, as
// "file:line: link to TARGET: why".
func checkLinks(root string, files []string) ([]string, error) {
	anchors := map[string]map[string]bool{} // by file, relative to root
	anchorsOf := func(rel string) (map[string]bool, error) {
		if a, ok := anchors[rel]; ok {
			return a, nil
		}
		data, err := os.ReadFile(filepath.Join(root, filepath.FromSlash(rel)))
		if err != nil {
			return nil, err
		}
		a := headingAnchors(string(data))
		anchors[rel] = a
		return a, nil
	}
	var problems []string
	for _, file := range files {
		data, err := os.ReadFile(filepath.Join(root, filepath.FromSlash(file)))
		if err != nil {
			return nil, err
		}
		for _, l := range findLinks(string(data)) {
			if why := checkLink(root, file, l.target, anchorsOf); why != "" {
				problems = append(problems, fmt.Sprintf("%s:%d: link to %s: %s", file, l.line, l.target, why))
			}
		}
	}
	return problems, nil
}

var schemeRE = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9+.-]*:`)

// checkLink says what is wrong with target, a link of file, or "".
func checkLink(root, file, target string, anchorsOf func(string) (map[string]bool, error)) string {
	if schemeRE.MatchString(target) || strings.HasPrefix(target, "//") {
		return "" // http(s), mailto and other addresses are not followed
	}
	pathPart, anchor, _ := strings.Cut(target, "#")
	if q := strings.IndexByte(pathPart, '?'); q >= 0 {
		pathPart = pathPart[:q]
	}
	p, err := url.PathUnescape(pathPart)
	if err != nil {
		return "bad escape in path"
	}
	rel := file // a bare #anchor points into the file itself
	if p != "" {
		if strings.HasPrefix(p, "/") {
			rel = filepath.ToSlash(filepath.Clean(strings.TrimPrefix(p, "/")))
		} else {
			rel = filepath.ToSlash(filepath.Join(filepath.Dir(filepath.FromSlash(file)), filepath.FromSlash(p)))
		}
		if rel == ".." || strings.HasPrefix(rel, "../") {
			return "outside the repository"
		}
		st, err := os.Stat(filepath.Join(root, filepath.FromSlash(rel)))
		if err != nil {
			return "no such file"
		}
		if st.IsDir() {
			if anchor != "" {
				return "an anchor into a folder"
			}
			return ""
		}
	}
	if anchor == "" || !strings.HasSuffix(rel, ".md") {
		return "" // only markdown headings are checked
	}
	a, err := anchorsOf(rel)
	if err != nil {
		return err.Error()
	}
	if dec, err := url.PathUnescape(anchor); err == nil {
		anchor = dec
	}
	if !a[strings.ToLower(anchor)] {
		return fmt.Sprintf("no heading with anchor #%s in %s", anchor, rel)
	}
	return ""
}

var (
	fenceRE   = regexp.MustCompile("^ {0,3}(`{3,}|~{3,})")
	inlineRE  = regexp.MustCompile(`!?\[[^\]\n]*\]\(\s*(<[^>\n]*>|[^)\s]+)(?:\s+(?:"[^"]*"|'[^']*'|\([^)]*\)))?\s*\)`)
	refDefRE  = regexp.MustCompile(`^ {0,3}\[[^\]]+\]:\s*(<[^>]*>|\S+)`)
	atxRE     = regexp.MustCompile(`^ {0,3}(#{1,6})(?:[ \t]+(.*?))?(?:[ \t]+#+)?[ \t]*$`)
	setextRE  = regexp.MustCompile(`^ {0,3}(=+|-+)[ \t]*$`)
	htmlIDRE  = regexp.MustCompile(`<a\s[^>]*(?:name|id)="([^"]+)"`)
	htmlTagRE = regexp.MustCompile(`<[^>]+>`)
	mdLinkRE  = regexp.MustCompile(`!?\[([^\]]*)\]\([^)]*\)`)
)

// proseLines returns the lines of a markdown text with fenced code blocks
// blanked and inline code spans replaced by spaces, so that neither is
// read as links or headings. Line numbers stay those of the text.
func proseLines(text string) []string {
	lines := strings.Split(text, "\n")
	out := make([]string, len(lines))
	fence := ""
	var para []int // indexes of the current paragraph's lines
	flush := func() {
		if len(para) == 0 {
			return
		}
		joined := make([]string, len(para))
		for i, n := range para {
			joined[i] = lines[n]
		}
		blanked := strings.Split(blankCodeSpans(strings.Join(joined, "\n")), "\n")
		for i, n := range para {
			out[n] = blanked[i]
		}
		para = nil
	}
	for i, l := range lines {
		if fence != "" {
			if m := fenceRE.FindStringSubmatch(l); m != nil && m[1][0] == fence[0] && len(m[1]) >= len(fence) && strings.TrimSpace(strings.TrimLeft(strings.TrimSpace(l), fence[:1])) == "" {
				fence = ""
			}
			continue
		}
		if m := fenceRE.FindStringSubmatch(l); m != nil {
			flush()
			fence = m[1]
			continue
		}
		if strings.TrimSpace(l) == "" {
			flush()
			continue
		}
		para = append(para, i)
	}
	flush()
	return out
}

// blankCodeSpans replaces every code span of a paragraph (a run of n
// backticks up to the next run of exactly n) with spaces, newlines kept.
func blankCodeSpans(s string) string {
	b := []byte(s)
	run := func(i int) int {
		j := i
		for j < len(b) && b[j] == '`' {
			j++
		}
		return j - i
	}
	for i := 0; i < len(b); {
		if b[i] != '`' {
			i++
			continue
		}
		n := run(i)
		end := -1
		for j := i + n; j < len(b); {
			if b[j] != '`' {
				j++
				continue
			}
			m := run(j)
			if m == n {
				end = j + m
				break
			}
			j += m
		}
		if end < 0 {
			i += n // no closing run: the backticks are literal
			continue
		}
		for k := i; k < end; k++ {
			if b[k] != '\n' {
				b[k] = ' '
			}
		}
		i = end
	}
	return string(b)
}

// findLinks returns the inline links and reference definitions of a
// markdown text, outside code.
func findLinks(text string) []link {
	var out []link
	for i, l := range proseLines(text) {
		for _, m := range inlineRE.FindAllStringSubmatch(l, -1) {
			out = append(out, link{i + 1, strings.Trim(m[1], "<>")})
		}
		if m := refDefRE.FindStringSubmatch(l); m != nil {
			out = append(out, link{i + 1, strings.Trim(m[1], "<>")})
		}
	}
	return out
}

// headingAnchors returns the anchors GitHub gives the headings of a
// markdown text (a repeated heading gets -1, -2, ...), and the names and
// ids of its <a> tags.
func headingAnchors(text string) map[string]bool {
	out := map[string]bool{}
	seen := map[string]int{}
	add := func(heading string) {
		s := slug(heading)
		if n, dup := seen[s]; dup {
			seen[s] = n + 1
			s = fmt.Sprintf("%s-%d", s, n+1)
		} else {
			seen[s] = 0
		}
		out[s] = true
	}
	raw := strings.Split(text, "\n")
	prose := proseLines(text)
	for i, l := range prose {
		if m := atxRE.FindStringSubmatch(raw[i]); m != nil && l != "" {
			add(m[2])
			continue
		}
		// A setext underline turns the paragraph line above into a heading.
		if setextRE.MatchString(l) && i > 0 && strings.TrimSpace(prose[i-1]) != "" && !atxRE.MatchString(raw[i-1]) &&
			!strings.HasPrefix(strings.TrimSpace(raw[i-1]), "|") && !strings.HasPrefix(strings.TrimSpace(raw[i-1]), "- ") {
			add(raw[i-1])
		}
	}
	for _, m := range htmlIDRE.FindAllStringSubmatch(text, -1) {
		out[strings.ToLower(m[1])] = true
	}
	return out
}

// slug is GitHub's anchor for a heading: its text as rendered (links
// become their text, tags and entities are resolved), lowercased, with
// every character that is not a letter, digit, mark, '-', '_' or space
// dropped and each space turned into '-'.
func slug(heading string) string {
	s := mdLinkRE.ReplaceAllString(heading, "$1")
	s = htmlTagRE.ReplaceAllString(s, "")
	s = html.UnescapeString(s)
	s = strings.ToLower(strings.TrimSpace(s))
	var b strings.Builder
	for _, r := range s {
		switch {
		case r == ' ':
			b.WriteByte('-')
		case r == '-' || r == '_' || unicode.IsLetter(r) || unicode.IsNumber(r) || unicode.IsMark(r):
			b.WriteRune(r)
		}
	}
	return b.String()
}
