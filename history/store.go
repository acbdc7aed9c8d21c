package history

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	// The two database drivers: SQLite in pure Go, PostgreSQL.
	_ "github.com/jackc/pgx/v5/stdlib"
	_ "modernc.org/sqlite"
)

// Store is where the runs are kept.
type Store interface {
	// Add records one results file. added is false, and nothing is
	// written, when a file with the same content hash is already there.
	Add(ctx context.Context, f File) (added bool, err error)
	// Points returns the points of the figure q.Metric matching q, in
	// time order (then by file hash and variant).
	Points(ctx context.Context, q Query) ([]Point, error)
	// Files returns how many results files the store holds.
	Files(ctx context.Context) (int, error)
	Close() error
}

// Query selects the points of one figure.
type Query struct {
	Metric string
	// Variant and Scenario, when set, keep only that variant and that
	// scenario.
	Variant, Scenario string
}

// ErrNewerSchema is returned (wrapped) when the database was migrated by
// a newer benchctl: its tables may mean something else.
var ErrNewerSchema = errors.New("history database schema is newer than this benchctl knows")

// migrations are the schema's versions, in order: migrations[i] takes a
// database from version i to i+1. Never edit one that has shipped; add
// the next. The SQL is the common subset of SQLite and PostgreSQL:
// times are Unix nanoseconds, booleans 0 or 1, and every key is text,
// so neither needs its own sequences.
var migrations = []string{
	// 1: files, their variants, every gated figure of every measured
	// run, and one point per file, variant and figure.
	`CREATE TABLE files (
		sha256          TEXT PRIMARY KEY,
		path            TEXT NOT NULL,
		imported_ns     BIGINT NOT NULL,
		scenario        TEXT NOT NULL,
		scenario_sha256 TEXT NOT NULL,
		started_ns      BIGINT NOT NULL,
		complete        INTEGER NOT NULL,
		host            TEXT NOT NULL,
		kernel          TEXT NOT NULL,
		cpu_model       TEXT NOT NULL,
		guest           TEXT NOT NULL,
		arch            TEXT NOT NULL,
		build_version   TEXT NOT NULL,
		build_commit    TEXT NOT NULL,
		build_modified  INTEGER NOT NULL,
		gate            TEXT NOT NULL
	);
	CREATE INDEX files_started ON files (started_ns);
	CREATE TABLE variants (
		file_sha256       TEXT NOT NULL REFERENCES files (sha256),
		name              TEXT NOT NULL,
		tracer            TEXT NOT NULL,
		tracer_executable TEXT NOT NULL,
		tracer_sha256     TEXT NOT NULL,
		tracer_argv       TEXT NOT NULL,
		PRIMARY KEY (file_sha256, name)
	);
	CREATE TABLE run_values (
		file_sha256 TEXT NOT NULL REFERENCES files (sha256),
		variant     TEXT NOT NULL,
		metric      TEXT NOT NULL,
		seq         INTEGER NOT NULL,
		round_no    INTEGER NOT NULL,
		value       DOUBLE PRECISION NOT NULL,
		noisy       INTEGER NOT NULL,
		PRIMARY KEY (file_sha256, variant, metric, seq)
	);
	CREATE TABLE points (
		file_sha256 TEXT NOT NULL REFERENCES files (sha256),
		variant     TEXT NOT NULL,
		metric      TEXT NOT NULL,
		median      DOUBLE PRECISION NOT NULL,
		min_value   DOUBLE PRECISION NOT NULL,
		max_value   DOUBLE PRECISION NOT NULL,
		n           INTEGER NOT NULL,
		noisy       INTEGER NOT NULL,
		PRIMARY KEY (file_sha256, variant, metric)
	);
	CREATE INDEX points_metric ON points (metric, variant)`,
}

// SchemaVersion is the schema this code writes.
var SchemaVersion = len(migrations)

// DefaultURL is the store when neither --history nor BENCHCTL_HISTORY
// names one: an SQLite file in the current folder.
const DefaultURL = "benchctl-history.db"

// Open opens the store at url: postgres://… or postgresql://… is
// PostgreSQL, anything else an SQLite file (a path, or sqlite:PATH). It
// migrates the schema to SchemaVersion and refuses a newer one.
func Open(ctx context.Context, url string) (Store, error) {
	s := &sqlStore{}
	var err error
	switch {
	case strings.HasPrefix(url, "postgres://"), strings.HasPrefix(url, "postgresql://"):
		s.postgres = true
		s.db, err = sql.Open("pgx", url)
	default:
		path := strings.TrimPrefix(strings.TrimPrefix(url, "sqlite://"), "sqlite:")
		if path == "" {
			return nil, fmt.Errorf("opening history: no SQLite file in %q", url)
		}
		// Transactions take the write lock when they begin (_txlock), so
		// two processes never both read a schema version and migrate;
		// journal_mode is set in migrate, where a busy file is retried.
		s.db, err = sql.Open("sqlite", "file:"+path+"?_pragma=busy_timeout(10000)&_pragma=synchronous(NORMAL)&_pragma=mmap_size(268435456)&_pragma=cache_size(-32768)&_txlock=immediate")
	}
	if err != nil {
		return nil, fmt.Errorf("opening history %s: %w", redactURL(url), err)
	}
	if !s.postgres {
		// One writer at a time is all SQLite has.
		s.db.SetMaxOpenConns(1)
	}
	if err := s.migrate(ctx); err != nil {
		s.db.Close()
		return nil, fmt.Errorf("opening history %s: %w", redactURL(url), err)
	}
	return s, nil
}

// redactURL drops a password from a URL before it is printed.
func redactURL(url string) string {
	scheme, rest, ok := strings.Cut(url, "://")
	if !ok {
		return url
	}
	userinfo, host, ok := strings.Cut(rest, "@")
	if !ok {
		return url
	}
	if user, _, hasPw := strings.Cut(userinfo, ":"); hasPw {
		return scheme + "://" + user + ":xxxxx@" + host
	}
	return url
}

type sqlStore struct {
	db       *sql.DB
	postgres bool
}

// bind rewrites the ? placeholders of query as PostgreSQL's $1, $2, ….
func (s *sqlStore) bind(query string) string {
	if !s.postgres {
		return query
	}
	var b strings.Builder
	n := 0
	for _, c := range query {
		if c == '?' {
			n++
			b.WriteString("$" + strconv.Itoa(n))
			continue
		}
		b.WriteRune(c)
	}
	return b.String()
}

// migrationLock is the PostgreSQL advisory lock that serialises
// migrations: several CI jobs may open a new store at once.
const migrationLock = 0x62656e6368 // "bench"

func (s *sqlStore) migrate(ctx context.Context) error {
	// One connection throughout, so that PostgreSQL's session lock holds
	// for every statement.
	conn, err := s.db.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	if s.postgres {
		if _, err := conn.ExecContext(ctx, `SELECT pg_advisory_lock($1)`, migrationLock); err != nil {
			return fmt.Errorf("locking the schema for migration: %w", err)
		}
		defer conn.ExecContext(context.Background(), `SELECT pg_advisory_unlock($1)`, migrationLock)
	}
	if !s.postgres {
		// WAL lets readers read while a run is recorded. Switching to it
		// needs the file to itself, which the busy timeout does not wait
		// for: retry while another process holds it.
		for try := 0; ; try++ {
			_, err := conn.ExecContext(ctx, `PRAGMA journal_mode=WAL`)
			if err == nil {
				break
			}
			if try == 100 || !strings.Contains(err.Error(), "SQLITE_BUSY") {
				return fmt.Errorf("setting the journal mode: %w", err)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	// One transaction reads the version and migrates: with SQLite's
	// immediate transactions and PostgreSQL's lock, one opener at a time.
	tx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_ns BIGINT NOT NULL)`); err != nil {
		return fmt.Errorf("creating schema_migrations: %w", err)
	}
	var v sql.NullInt64
	if err := tx.QueryRowContext(ctx, `SELECT MAX(version) FROM schema_migrations`).Scan(&v); err != nil {
		return fmt.Errorf("reading the schema version: %w", err)
	}
	have := int(v.Int64)
	if have > SchemaVersion {
		return fmt.Errorf("%w: version %d, this benchctl knows up to %d; use a benchctl at least as new as the one that last wrote it", ErrNewerSchema, have, SchemaVersion)
	}
	for i := have; i < SchemaVersion; i++ {
		for _, stmt := range strings.Split(migrations[i], ";") {
			if strings.TrimSpace(stmt) == "" {
				continue
			}
			if _, err := tx.ExecContext(ctx, stmt); err != nil {
				return fmt.Errorf("migrating to schema %d: %w", i+1, err)
			}
		}
		if _, err := tx.ExecContext(ctx, s.bind(`INSERT INTO schema_migrations (version, applied_ns) VALUES (?, ?)`), i+1, time.Now().UnixNano()); err != nil {
			return fmt.Errorf("migrating to schema %d: %w", i+1, err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("migrating to schema %d: %w", SchemaVersion, err)
	}
	return nil
}

func (s *sqlStore) Close() error { return s.db.Close() }

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

func (s *sqlStore) Add(ctx context.Context, f File) (bool, error) {
	gate, err := json.Marshal(f.Gate)
	if err != nil {
		return false, err
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return false, fmt.Errorf("recording %s: %w", f.Path, err)
	}
	defer tx.Rollback()
	res, err := tx.ExecContext(ctx, s.bind(`INSERT INTO files (sha256, path, imported_ns, scenario, scenario_sha256, started_ns, complete,
		host, kernel, cpu_model, guest, arch, build_version, build_commit, build_modified, gate)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (sha256) DO NOTHING`),
		f.SHA256, f.Path, time.Now().UnixNano(), f.Scenario, f.ScenarioSHA256, f.Started.UnixNano(), b2i(f.Complete),
		f.Env.Host, f.Env.Kernel, f.Env.CPUModel, f.Env.Guest, f.Env.Arch, f.Build.Version, f.Build.Commit, b2i(f.Build.Modified), string(gate))
	if err != nil {
		return false, fmt.Errorf("recording %s: %w", f.Path, err)
	}
	if n, err := res.RowsAffected(); err != nil || n == 0 {
		return false, err
	}
	var vrows, rrows, prows [][]any
	for _, v := range f.Variants {
		vrows = append(vrows, []any{f.SHA256, v.Name, v.Tracer.Name, v.Tracer.Executable, v.Tracer.SHA256, strings.Join(v.Tracer.Argv, " ")})
		for _, m := range v.Metrics {
			for i, r := range m.Runs {
				rrows = append(rrows, []any{f.SHA256, v.Name, m.Metric, i, r.Round, r.Value, b2i(r.Noisy)})
			}
			p := m.Point()
			prows = append(prows, []any{f.SHA256, v.Name, m.Metric, p.Median, p.Min, p.Max, p.N, b2i(p.Noisy)})
		}
	}
	for _, ins := range []struct {
		head string
		rows [][]any
	}{
		{"INSERT INTO variants (file_sha256, name, tracer, tracer_executable, tracer_sha256, tracer_argv) VALUES ", vrows},
		{"INSERT INTO run_values (file_sha256, variant, metric, seq, round_no, value, noisy) VALUES ", rrows},
		{"INSERT INTO points (file_sha256, variant, metric, median, min_value, max_value, n, noisy) VALUES ", prows},
	} {
		if err := s.insertRows(ctx, tx, ins.head, ins.rows); err != nil {
			return false, fmt.Errorf("recording %s: %w", f.Path, err)
		}
	}
	if err := tx.Commit(); err != nil {
		return false, fmt.Errorf("recording %s: %w", f.Path, err)
	}
	return true, nil
}

// insertRows inserts rows in statements of up to 200 rows each: one round
// trip per batch, not per row.
func (s *sqlStore) insertRows(ctx context.Context, tx *sql.Tx, head string, rows [][]any) error {
	const batch = 200
	for len(rows) > 0 {
		n := min(batch, len(rows))
		var b strings.Builder
		b.WriteString(head)
		args := make([]any, 0, n*len(rows[0]))
		for i, r := range rows[:n] {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString("(" + strings.TrimSuffix(strings.Repeat("?, ", len(r)), ", ") + ")")
			args = append(args, r...)
		}
		if _, err := tx.ExecContext(ctx, s.bind(b.String()), args...); err != nil {
			return err
		}
		rows = rows[n:]
	}
	return nil
}

func (s *sqlStore) Files(ctx context.Context) (int, error) {
	var n int
	err := s.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM files`).Scan(&n)
	return n, err
}

func (s *sqlStore) Points(ctx context.Context, q Query) ([]Point, error) {
	query := `SELECT f.sha256, f.path, f.scenario, f.scenario_sha256, f.started_ns, f.host, f.kernel, f.cpu_model, f.guest,
		f.build_version, f.build_commit, f.build_modified, f.gate, p.variant, p.median, p.min_value, p.max_value, p.n, p.noisy
		FROM points p JOIN files f ON f.sha256 = p.file_sha256 WHERE p.metric = ?`
	args := []any{q.Metric}
	if q.Variant != "" {
		query += ` AND p.variant = ?`
		args = append(args, q.Variant)
	}
	if q.Scenario != "" {
		query += ` AND f.scenario = ?`
		args = append(args, q.Scenario)
	}
	query += ` ORDER BY f.started_ns, f.sha256, p.variant`
	rows, err := s.db.QueryContext(ctx, s.bind(query), args...)
	if err != nil {
		return nil, fmt.Errorf("reading the series of %s: %w", q.Metric, err)
	}
	defer rows.Close()
	var out []Point
	gates := map[string]map[string]float64{}
	for rows.Next() {
		var p Point
		var started int64
		var modified, noisy int
		var gate string
		if err := rows.Scan(&p.Run.SHA256, &p.Run.Path, &p.Scenario, &p.Run.ScenarioSHA256, &started, &p.Env.Host, &p.Env.Kernel, &p.Env.CPUModel, &p.Env.Guest,
			&p.Run.Build.Version, &p.Run.Build.Commit, &modified, &gate, &p.Variant, &p.Median, &p.Min, &p.Max, &p.N, &noisy); err != nil {
			return nil, fmt.Errorf("reading the series of %s: %w", q.Metric, err)
		}
		p.Metric = q.Metric
		p.Run.Started = time.Unix(0, started).UTC()
		p.Run.Build.Modified = modified != 0
		p.Noisy = noisy != 0
		g, ok := gates[gate]
		if !ok {
			if err := json.Unmarshal([]byte(gate), &g); err != nil {
				return nil, fmt.Errorf("reading the gate of %s: %w", p.Run.Path, err)
			}
			gates[gate] = g
		}
		p.Gate = g
		out = append(out, p)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("reading the series of %s: %w", q.Metric, err)
	}
	return out, nil
}
