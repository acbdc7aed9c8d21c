package workloads

import (
	"regexp"
	"testing"
)

func TestParseTexts(t *testing.T) {
	out := "-- Activated (3) ppm sc names in kernel using `x` enforcement: close, open_by_handle_at, sched_process_exit\r\n" +
		"Retrieved events: 12\n"
	res := []*regexp.Regexp{
		regexp.MustCompile(`Activated \((?P<kernel_sc>\d+)\) ppm sc names in kernel using .* enforcement: (?P<kernel_set_text>[^\r\n]*)`),
		regexp.MustCompile(`Retrieved events: (?P<events>\d+)`),
	}
	texts := ParseTexts(out, res)
	if got := texts["kernel_set_text"]; got != "close, open_by_handle_at, sched_process_exit" || len(texts) != 1 {
		t.Errorf("texts %q", texts)
	}
	c, err := ParseCounters(out, res)
	if err != nil || c["kernel_sc"] != 3 || c["events"] != 12 {
		t.Errorf("counters %v (%v)", c, err)
	}
	if _, ok := c["kernel_set_text"]; ok {
		t.Errorf("a text group became a counter: %v", c)
	}
	if ParseTexts("nothing", res) != nil {
		t.Error("texts without a match")
	}
}
