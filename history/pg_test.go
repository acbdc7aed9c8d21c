package history

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
)

// A throwaway PostgreSQL for the tests: started on first use by this test
// binary, on a unix socket in a temporary folder (no TCP), and stopped
// by TestMain when the tests end. initdb refuses to run as root, so as
// root the server runs as the postgres system user, which owns the
// folder. Without the binaries (Debian's postgresql package) the
// PostgreSQL tests skip and say so, except with CI set, where they fail:
// CI must never skip them.

// pgBinDirs are where Debian's postgresql package puts its binaries.
var pgBinDirs = []string{"/usr/lib/postgresql/17/bin", "/usr/lib/postgresql/16/bin", "/usr/lib/postgresql/15/bin", "/usr/lib/postgresql/14/bin"}

var pg struct {
	once    sync.Once
	dir     string // the temporary folder: data/ and the socket
	bin     string
	cred    *syscall.Credential
	err     error
	started bool
	dbs     atomic.Int64
}

func TestMain(m *testing.M) {
	code := m.Run()
	stopPostgres()
	os.Exit(code)
}

func pgCommand(name string, args ...string) *exec.Cmd {
	cmd := exec.Command(filepath.Join(pg.bin, name), args...)
	if pg.cred != nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: pg.cred}
	}
	cmd.Dir = pg.dir
	return cmd
}

func startPostgres() error {
	for _, d := range pgBinDirs {
		if _, err := os.Stat(filepath.Join(d, "initdb")); err == nil {
			pg.bin = d
			break
		}
	}
	if pg.bin == "" {
		return fmt.Errorf("no PostgreSQL binaries in %v (make deps installs Debian's postgresql package)", pgBinDirs)
	}
	// As root the server runs as postgres, who must reach the folder:
	// /tmp, not a $TMPDIR that may sit under root's home. /tmp also keeps
	// the socket's path under the 107 bytes a unix socket may have.
	base := ""
	if os.Geteuid() == 0 {
		base = "/tmp"
	}
	dir, err := os.MkdirTemp(base, "benchctl-pg-")
	if err != nil {
		return err
	}
	pg.dir = dir
	if os.Geteuid() == 0 {
		u, err := user.Lookup("postgres")
		if err != nil {
			return fmt.Errorf("running as root, and no postgres user to run initdb as: %w", err)
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		if err := os.Chown(dir, uid, gid); err != nil {
			return err
		}
		pg.cred = &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}
	}
	if out, err := pgCommand("initdb", "-D", filepath.Join(dir, "data"), "-U", "postgres", "-A", "trust", "--no-sync", "-E", "UTF8", "--no-locale").CombinedOutput(); err != nil {
		return fmt.Errorf("initdb: %v\n%s", err, out)
	}
	opts := fmt.Sprintf("-k %s -c listen_addresses='' -F -c full_page_writes=off -c synchronous_commit=off", dir)
	if out, err := pgCommand("pg_ctl", "-D", filepath.Join(dir, "data"), "-o", opts, "-l", filepath.Join(dir, "log"), "-w", "start").CombinedOutput(); err != nil {
		log, _ := os.ReadFile(filepath.Join(dir, "log"))
		return fmt.Errorf("pg_ctl start: %v\n%s\n%s", err, out, log)
	}
	pg.started = true
	return nil
}

func stopPostgres() {
	if pg.started {
		if out, err := pgCommand("pg_ctl", "-D", filepath.Join(pg.dir, "data"), "-m", "fast", "-w", "stop").CombinedOutput(); err != nil {
			fmt.Fprintf(os.Stderr, "pg_ctl stop: %v\n%s", err, out)
		}
	}
	if pg.dir != "" {
		os.RemoveAll(pg.dir)
	}
}

// postgresURL returns the URL of a new, empty database of the throwaway
// server, starting it on first use.
func postgresURL(tb testing.TB) string {
	tb.Helper()
	pg.once.Do(func() { pg.err = startPostgres() })
	if pg.err != nil {
		if os.Getenv("CI") != "" {
			tb.Fatalf("PostgreSQL tests cannot run, and CI must not skip them: %v", pg.err)
		}
		tb.Skipf("skipping the PostgreSQL tests: %v", pg.err)
	}
	admin := fmt.Sprintf("postgres:///postgres?host=%s&user=postgres&sslmode=disable", pg.dir)
	db, err := sql.Open("pgx", admin)
	if err != nil {
		tb.Fatal(err)
	}
	defer db.Close()
	name := fmt.Sprintf("t%d", pg.dbs.Add(1))
	if _, err := db.ExecContext(context.Background(), "CREATE DATABASE "+name); err != nil {
		tb.Fatalf("creating database %s: %v", name, err)
	}
	return fmt.Sprintf("postgres:///%s?host=%s&user=postgres&sslmode=disable", name, pg.dir)
}

// backends are the stores every store test runs against.
var backends = []struct {
	name string
	url  func(testing.TB) string
}{
	{"sqlite", func(tb testing.TB) string { return filepath.Join(tb.TempDir(), "history.db") }},
	{"postgres", postgresURL},
}

// forEachStore runs f against a fresh store of each backend.
func forEachStore(t *testing.T, f func(t *testing.T, s Store)) {
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			s, err := Open(context.Background(), b.url(t))
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			f(t, s)
		})
	}
}
