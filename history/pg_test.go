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
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// A throwaway PostgreSQL for the tests: started on first use by this test
// binary (the postmaster is its child), on a unix socket in a temporary
// folder (no TCP), and stopped by TestMain when the tests end, or killed
// with the test binary if it dies first. initdb refuses to run as root, so as
// root the server runs as the postgres system user, which owns the
// folder. Without the binaries (Debian's postgresql package) the
// PostgreSQL tests skip and say so, except with CI set, where they fail:
// CI must never skip them.

// pgBinDirs are where Debian's postgresql package puts its binaries.
var pgBinDirs = []string{"/usr/lib/postgresql/17/bin", "/usr/lib/postgresql/16/bin", "/usr/lib/postgresql/15/bin", "/usr/lib/postgresql/14/bin"}

var pg struct {
	once   sync.Once
	dir    string // the temporary folder: data/ and the socket
	bin    string
	cred   *syscall.Credential
	err    error
	server *exec.Cmd // the postmaster, this test binary's child
	exited chan error
	dbs    atomic.Int64
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
	removeStale(base)
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
	// The postmaster is started directly, not through pg_ctl, so that it
	// is this process's child and dies with it (Pdeathsig) even when a
	// test panics and TestMain never stops it.
	logf, err := os.Create(filepath.Join(dir, "log"))
	if err != nil {
		return err
	}
	defer logf.Close()
	srv := pgCommand("postgres", "-D", filepath.Join(dir, "data"), "-k", dir, "-c", "listen_addresses=", "-F", "-c", "full_page_writes=off", "-c", "synchronous_commit=off")
	if srv.SysProcAttr == nil {
		srv.SysProcAttr = &syscall.SysProcAttr{}
	}
	srv.SysProcAttr.Pdeathsig = syscall.SIGQUIT
	srv.Stdout, srv.Stderr = logf, logf
	if err := srv.Start(); err != nil {
		return fmt.Errorf("starting postgres: %w", err)
	}
	pg.server = srv
	exited := make(chan error, 1)
	go func() { exited <- srv.Wait() }()
	db, err := sql.Open("pgx", fmt.Sprintf("postgres:///postgres?host=%s&user=postgres&sslmode=disable", dir))
	if err != nil {
		return err
	}
	defer db.Close()
	for deadline := time.Now().Add(30 * time.Second); ; {
		if err := db.Ping(); err == nil {
			break
		} else if time.Now().After(deadline) {
			return fmt.Errorf("postgres did not answer within 30 s: %v", err)
		}
		select {
		case err := <-exited:
			log, _ := os.ReadFile(filepath.Join(dir, "log"))
			pg.server = nil
			return fmt.Errorf("postgres exited: %v\n%s", err, log)
		case <-time.After(100 * time.Millisecond):
		}
	}
	pg.exited = exited
	return nil
}

// removeStale removes the folders of throwaway servers that a test
// binary killed before TestMain ran left behind: older than an hour, and
// no live postmaster in them.
func removeStale(base string) {
	if base == "" {
		base = os.TempDir()
	}
	dirs, _ := filepath.Glob(filepath.Join(base, "benchctl-pg-*"))
	for _, d := range dirs {
		info, err := os.Stat(d)
		if err != nil || time.Since(info.ModTime()) < time.Hour {
			continue
		}
		if pid, err := os.ReadFile(filepath.Join(d, "data", "postmaster.pid")); err == nil {
			if n, err := strconv.Atoi(strings.SplitN(string(pid), "\n", 2)[0]); err == nil && syscall.Kill(n, 0) == nil {
				continue
			}
		}
		os.RemoveAll(d)
	}
}

func stopPostgres() {
	if pg.server != nil {
		// SIGINT: PostgreSQL's fast shutdown.
		pg.server.Process.Signal(os.Interrupt)
		select {
		case <-pg.exited:
		case <-time.After(30 * time.Second):
			fmt.Fprintln(os.Stderr, "postgres did not stop within 30 s: killing it")
			pg.server.Process.Kill()
			<-pg.exited
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
