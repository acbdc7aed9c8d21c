package shell

import (
	"os/exec"
	"testing"
)

func TestQuote(t *testing.T) {
	for in, want := range map[string]string{
		"plain":      "plain",
		"a/b.c:d=e":  "a/b.c:d=e",
		"":           "''",
		"two words":  "'two words'",
		"it's":       `'it'\''s'`,
		"$(id)":      "'$(id)'",
		"bang!":      "'bang!'",
		"tab\there":  "'tab\there'",
		"glob*":      "'glob*'",
		"semi;colon": "'semi;colon'",
	} {
		if got := Quote(in); got != want {
			t.Errorf("Quote(%q) = %s, want %s", in, got, want)
		}
	}
}

// TestQuoteRoundTrip hands quoted words to a real sh and checks that it
// sees each one unchanged, as one argument.
func TestQuoteRoundTrip(t *testing.T) {
	if _, err := exec.LookPath("sh"); err != nil {
		t.Skip("no sh on PATH")
	}
	words := []string{"", "a b", "it's", `"q"`, "$(echo no)", "`echo no`", "\\", "*", "x\ny", "~", "!x", "é"}
	out, err := exec.Command("sh", "-c", "set -- "+Join(words)+`; for a in "$@"; do printf '%s\0' "$a"; done`).Output()
	if err != nil {
		t.Fatal(err)
	}
	want := ""
	for _, w := range words {
		want += w + "\x00"
	}
	if string(out) != want {
		t.Errorf("sh saw %q, want %q", out, want)
	}
}
