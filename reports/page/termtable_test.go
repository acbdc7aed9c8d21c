package page

import (
	"bytes"
	"testing"
)

// TestWriteTextTable pins the terminal table layout: two spaces between
// columns, a dashed rule under each header cell, cells as given, right
// alignment per column, the indent on every line and no trailing spaces.
func TestWriteTextTable(t *testing.T) {
	var b bytes.Buffer
	err := WriteTextTable(&b, "  ", []string{"variant", "time", "note"},
		[][]string{{"big/enter_exit", "2.98 s ±∞", ""}, {"floor", "—", "Mixed Case, kept"}},
		[]bool{false, true, false})
	if err != nil {
		t.Fatal(err)
	}
	want := "" +
		"  variant              time  note\n" +
		"  --------------  ---------  ----------------\n" +
		"  big/enter_exit  2.98 s ±∞\n" +
		"  floor                   —  Mixed Case, kept\n"
	if got := b.String(); got != want {
		t.Errorf("got:\n%s\nwant:\n%s", got, want)
	}
}
