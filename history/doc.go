// Package history keeps every measured run of every results file in a
// database, and finds where a figure's series changed.
//
// The store (Store) is SQLite by default, a file (modernc.org/sqlite,
// pure Go), or PostgreSQL through a postgres:// URL (jackc/pgx); both
// have one schema, migrated on open, and a schema newer than this code
// knows is refused. A results file is recorded once, keyed by the
// SHA-256 of its content: its scenario (name and sha256), environment
// (host, kernel, CPU model, guest), build, each variant's tracer
// provenance, and every gated figure (bench/results' gate measures) of
// every measured run, with the run's noise flag; plus one point per file,
// variant and figure (the median of its clean runs), which the series
// are read from.
//
// A series is one figure of one variant of one scenario on one
// environment (Group): runs of another host, kernel, CPU model or guest
// are another series unless merged. Analyze runs bench/changepoint over
// it and describes each change point (medians before and after with
// their intervals, p-value, the last run before and the first after), or
// the drift; Check is the nightly gate over them.
//
// Only cmd/benchctl imports this package: reports and the pull-request
// gate read results files, never the store.
package history
