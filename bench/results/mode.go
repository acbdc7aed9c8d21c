package results

import (
	"bytes"
	"os"
)

// fileMode is the mode of a results file holding data: readable by all
// (the user who reads reports when root ran the benchmark), unless a
// secret's value was redacted from it. Such a file holds no secret, but
// it ran with one, and a secret that a tracer printed transformed
// (encoded, split across lines) escapes redaction: then only its owner
// reads it (`sudo chown` it, as CI does, to read it as yourself).
func fileMode(data []byte) os.FileMode {
	if bytes.Contains(data, []byte(Redacted)) {
		return 0o600
	}
	return 0o644
}
