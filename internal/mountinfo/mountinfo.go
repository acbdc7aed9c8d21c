// Package mountinfo finds a mount in /proc/self/mountinfo: where the
// cgroup v2 hierarchy is (internal/cgroupv2), where the v1 memory
// hierarchy is (internal/memcgv1).
package mountinfo

import (
	"bufio"
	"fmt"
	"os"
	"strconv"
	"strings"
)

// Find returns the mount point of the first mount whose file system type
// and super options (comma-separated, split) match, unescaped; ok is
// false when none does.
func Find(match func(fstype string, superOpts []string) bool) (mountPoint string, ok bool, err error) {
	f, err := os.Open("/proc/self/mountinfo")
	if err != nil {
		return "", false, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	for sc.Scan() {
		// id parent major:minor root mount-point options [optional...] - fstype source super-options
		fields := strings.Fields(sc.Text())
		for i, fld := range fields {
			if fld != "-" {
				continue
			}
			if i+1 < len(fields) && len(fields) > 4 {
				var opts []string
				if i+3 < len(fields) {
					opts = strings.Split(fields[i+3], ",")
				}
				if match(fields[i+1], opts) {
					return Unescape(fields[4]), true, nil
				}
			}
			break
		}
	}
	if err := sc.Err(); err != nil {
		return "", false, fmt.Errorf("reading /proc/self/mountinfo: %w", err)
	}
	return "", false, nil
}

// Unescape undoes the octal escapes (\040 for a space, ...) of a
// mountinfo path.
func Unescape(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+4 <= len(s) {
			if v, err := strconv.ParseUint(s[i+1:i+4], 8, 8); err == nil {
				b.WriteByte(byte(v))
				i += 3
				continue
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}
