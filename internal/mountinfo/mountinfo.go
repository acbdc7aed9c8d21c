// Package mountinfo reads /proc/self/mountinfo: where the cgroup v2
// hierarchy is (internal/cgroupv2), where the v1 memory hierarchy is
// (internal/memcgv1), what the test cluster mounted (internal/kubecluster).
package mountinfo

import (
	"bufio"
	"fmt"
	"os"
	"strconv"
	"strings"
)

// A Mount is one line of /proc/self/mountinfo: its mount point
// (unescaped), file system type and super options (comma-separated,
// split).
type Mount struct {
	Point     string
	FSType    string
	SuperOpts []string
}

// All returns every mount of /proc/self/mountinfo, in its order.
func All() ([]Mount, error) {
	f, err := os.Open("/proc/self/mountinfo")
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var out []Mount
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
				m := Mount{Point: Unescape(fields[4]), FSType: fields[i+1]}
				if i+3 < len(fields) {
					m.SuperOpts = strings.Split(fields[i+3], ",")
				}
				out = append(out, m)
			}
			break
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("reading /proc/self/mountinfo: %w", err)
	}
	return out, nil
}

// Find returns the mount point of the first mount whose file system type
// and super options match; ok is false when none does.
func Find(match func(fstype string, superOpts []string) bool) (mountPoint string, ok bool, err error) {
	all, err := All()
	if err != nil {
		return "", false, err
	}
	for _, m := range all {
		if match(m.FSType, m.SuperOpts) {
			return m.Point, true, nil
		}
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
