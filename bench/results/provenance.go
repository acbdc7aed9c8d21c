package results

// Provenance says what exactly a results file measured, beyond the
// scenario file's hash: the values given with --set, benchctl's own
// build, and for every external tracer the command that ran and the
// executable behind it. Values of variables whose names say secret,
// token, password (or passwd, credential, apikey) are recorded as
// Redacted.
type Provenance struct {
	// Set holds the --set NAME=VALUE values by name.
	Set map[string]string `json:"set,omitempty"`
	// Build is benchctl's build (runtime/debug.ReadBuildInfo).
	Build Build `json:"build"`
	// Tracers are the external tracers the run started, in scenario
	// order.
	Tracers []TracerProvenance `json:"tracers,omitempty"`
}

// Redacted replaces a secret's value.
const Redacted = "[redacted]"

// Build is a Go binary's build: its main module's version, the VCS
// revision and state it was built from, the Go toolchain, and the
// executable's path and SHA-256.
type Build struct {
	Module    string `json:"module,omitempty"`
	Version   string `json:"version,omitempty"`
	Revision  string `json:"vcs_revision,omitempty"`
	Time      string `json:"vcs_time,omitempty"`
	Modified  bool   `json:"vcs_modified,omitempty"`
	GoVersion string `json:"go_version,omitempty"`
	// Executable is the binary's path and SHA256 its hash.
	Executable string `json:"executable,omitempty"`
	SHA256     string `json:"sha256,omitempty"`
}

// TracerProvenance is one external tracer as it ran.
type TracerProvenance struct {
	Name string `json:"name"`
	// Argv is the resolved command (${VAR} expanded, secrets redacted)
	// before the per-set arguments, SetArgs those by set.
	Argv    []string            `json:"argv"`
	SetArgs map[string][]string `json:"set_args,omitempty"`
	Env     []string            `json:"env,omitempty"`
	Shell   bool                `json:"shell,omitempty"`
	// Executable is the file argv[0] resolved to (through PATH), SHA256
	// its SHA-256; Error says why there is none (e.g. a shell command).
	Executable string `json:"executable,omitempty"`
	SHA256     string `json:"sha256,omitempty"`
	Error      string `json:"error,omitempty"`
}

// Tracer returns the provenance of the tracer named name.
func (p *Provenance) Tracer(name string) (TracerProvenance, bool) {
	if p == nil {
		return TracerProvenance{}, false
	}
	for _, t := range p.Tracers {
		if t.Name == name {
			return t, true
		}
	}
	return TracerProvenance{}, false
}
