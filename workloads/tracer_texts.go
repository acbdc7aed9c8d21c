package workloads

import (
	"regexp"
	"strings"
)

// TextSuffix ends the name of a counter regex's group that captures text
// rather than a number (e.g. the syscalls a tracer says it activated).
const TextSuffix = "_text"

// ParseTexts returns, per group whose name ends in TextSuffix, the text
// the last match of res captured in output, trimmed. ParseCounters
// leaves these groups out.
func ParseTexts(output string, res []*regexp.Regexp) map[string]string {
	var texts map[string]string
	for _, re := range res {
		if re == nil {
			continue
		}
		names := re.SubexpNames()
		for _, m := range re.FindAllStringSubmatchIndex(output, -1) {
			for g, name := range names {
				if !strings.HasSuffix(name, TextSuffix) || m[2*g] < 0 {
					continue
				}
				if texts == nil {
					texts = map[string]string{}
				}
				texts[name] = strings.TrimSpace(output[m[2*g]:m[2*g+1]])
			}
		}
	}
	return texts
}
