// Package pgtest runs a real PostgreSQL server for tests: one cluster per
// call to Start, made by Debian's initdb in a fresh temporary directory,
// listening on a free loopback port and on a unix socket in that directory
// (never the machine's own PostgreSQL), stopped and removed when the test
// ends. NewDatabase gives each subtest its own empty database in it.
//
// initdb refuses to run as root, so as root the cluster belongs to the
// unprivileged "postgres" user that Debian's package creates (or "nobody").
//
// Kill and Restart are for fault tests: an immediate shutdown (clients see
// their connections end and new ones refused), then a start on the same port
// with the data kept.
//
// Without the PostgreSQL binaries the test is skipped, except with CI=true,
// where a missing engine fails the test: CI must never pass by skipping what
// it was meant to check.
package pgtest

import (
	"context"
	"fmt"
	"net"
	"net/url"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// Server is one PostgreSQL cluster owned by a test.
type Server struct {
	t    testing.TB
	bin  string // directory of initdb, pg_ctl, postgres
	dir  string // owned by the server's user: data/, the socket, the log
	port int
	cred *syscall.Credential // nil unless the test runs as root

	fsync bool

	mu  sync.Mutex
	dbs atomic.Int64
}

// Option changes a cluster's settings.
type Option func(*Server)

// WithFsync keeps fsync on, for measurements meant to compare with a store
// that syncs its commits to disk.
func WithFsync() Option { return func(s *Server) { s.fsync = true } }

// Start makes a cluster and starts it; it is stopped and removed in
// t.Cleanup. It takes about a second, so start one per top-level test and
// give subtests their own database with NewDatabase.
func Start(t testing.TB, opts ...Option) *Server {
	t.Helper()
	bin, err := binDir()
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("PostgreSQL not found (CI=true, so this fails instead of skipping): %v", err)
		}
		t.Skipf("PostgreSQL not found: %v (install it, e.g. apt-get install postgresql)", err)
	}
	// Not t.TempDir: its parents are private to this user, and as root the
	// server runs as another one.
	dir, err := os.MkdirTemp("", "pgtest-")
	if err != nil {
		t.Fatalf("pgtest: %v", err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	s := &Server{t: t, bin: bin, dir: dir}
	for _, o := range opts {
		o(s)
	}
	if os.Geteuid() == 0 {
		if s.cred, err = unprivileged(); err != nil {
			t.Fatalf("pgtest: running as root and %v", err)
		}
		if err := os.Chown(dir, int(s.cred.Uid), int(s.cred.Gid)); err != nil {
			t.Fatalf("pgtest: %v", err)
		}
	}
	if out, err := s.run("initdb", "-D", s.data(), "-U", "postgres", "--auth=trust", "-E", "UTF8", "--locale=C", "--no-sync"); err != nil {
		t.Fatalf("pgtest: initdb: %v\n%s", err, out)
	}
	t.Cleanup(s.stop)
	var lastErr error
	for range 5 {
		if s.port, err = freePort(); err != nil {
			t.Fatalf("pgtest: free port: %v", err)
		}
		if lastErr = s.configure(); lastErr != nil {
			t.Fatalf("pgtest: %v", lastErr)
		}
		if lastErr = s.start(); lastErr == nil {
			return s
		}
	}
	t.Fatalf("pgtest: %v", lastErr)
	return nil
}

// URL is a connection URL for database db ("postgres" is always there).
func (s *Server) URL(db string) string {
	u := url.URL{Scheme: "postgres", User: url.User("postgres"), Host: net.JoinHostPort("127.0.0.1", strconv.Itoa(s.port)), Path: "/" + db, RawQuery: "sslmode=disable"}
	return u.String()
}

// NewDatabase creates an empty database and returns its URL.
func (s *Server) NewDatabase(t testing.TB) string {
	t.Helper()
	name := fmt.Sprintf("t%d", s.dbs.Add(1))
	s.Exec(t, "postgres", "CREATE DATABASE "+name)
	return s.URL(name)
}

// Exec runs one statement in database db as the superuser.
func (s *Server) Exec(t testing.TB, db, sql string, args ...any) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, s.URL(db))
	if err != nil {
		t.Fatalf("pgtest: connect: %v", err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, sql, args...); err != nil {
		t.Fatalf("pgtest: %s: %v", sql, err)
	}
}

// Kill shuts the server down at once (pg_ctl stop -m immediate), as a crash
// would: sessions end, their transactions roll back, new connections are
// refused.
func (s *Server) Kill() {
	s.t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	if out, err := s.run("pg_ctl", "stop", "-D", s.data(), "-m", "immediate", "-w"); err != nil {
		s.t.Fatalf("pgtest: stop: %v\n%s", err, out)
	}
}

// Restart starts the server again on the same port with its data.
func (s *Server) Restart() {
	s.t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.start(); err != nil {
		s.t.Fatalf("pgtest: restart: %v", err)
	}
}

func (s *Server) data() string { return filepath.Join(s.dir, "data") }

// configure writes the settings: loopback and a socket in our directory
// only; unless WithFsync, no fsync (it matters only when the machine loses
// power, which no test does) but synchronous commits, so that what a client
// saw committed survives Kill.
func (s *Server) configure() error {
	fsync := "off"
	if s.fsync {
		fsync = "on"
	}
	conf := fmt.Sprintf(`
port = %d
listen_addresses = '127.0.0.1'
unix_socket_directories = '%s'
fsync = %s
full_page_writes = %s
max_connections = 200
log_min_messages = warning
`, s.port, s.dir, fsync, fsync)
	return os.WriteFile(filepath.Join(s.data(), "postgresql.auto.conf"), []byte(conf), 0o600)
}

func (s *Server) start() error {
	out, err := s.run("pg_ctl", "start", "-D", s.data(), "-l", filepath.Join(s.dir, "log"), "-w", "-t", "60")
	if err != nil {
		log, _ := os.ReadFile(filepath.Join(s.dir, "log"))
		return fmt.Errorf("pg_ctl start on port %d: %v\n%s\n%s", s.port, err, out, log)
	}
	return nil
}

func (s *Server) stop() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.t.Failed() {
		if log, err := os.ReadFile(filepath.Join(s.dir, "log")); err == nil {
			s.t.Logf("PostgreSQL log:\n%s", log)
		}
	}
	// Immediate: nothing in a test cluster needs a checkpoint.
	_, _ = s.run("pg_ctl", "stop", "-D", s.data(), "-m", "immediate", "-w")
}

// run runs one of the cluster's programs as the cluster's user.
func (s *Server) run(prog string, args ...string) ([]byte, error) {
	cmd := exec.Command(filepath.Join(s.bin, prog), args...)
	cmd.Dir = s.dir // the test's working directory may be closed to that user
	if s.cred != nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: s.cred}
		cmd.Env = append(os.Environ(), "HOME="+s.dir)
	}
	return cmd.CombinedOutput()
}

// binDir finds Debian's versioned binaries (the newest), else initdb on PATH.
func binDir() (string, error) {
	found, _ := filepath.Glob("/usr/lib/postgresql/*/bin/initdb")
	sort.Slice(found, func(i, j int) bool { return version(found[i]) < version(found[j]) })
	if len(found) > 0 {
		return filepath.Dir(found[len(found)-1]), nil
	}
	p, err := exec.LookPath("initdb")
	if err != nil {
		return "", fmt.Errorf("no /usr/lib/postgresql/*/bin/initdb and %w", err)
	}
	return filepath.Dir(p), nil
}

func version(initdb string) int {
	n, _ := strconv.Atoi(filepath.Base(filepath.Dir(filepath.Dir(initdb))))
	return n
}

func unprivileged() (*syscall.Credential, error) {
	for _, name := range []string{"postgres", "nobody"} {
		u, err := user.Lookup(name)
		if err != nil {
			continue
		}
		uid, err1 := strconv.Atoi(u.Uid)
		gid, err2 := strconv.Atoi(u.Gid)
		if err1 == nil && err2 == nil {
			return &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}, nil
		}
	}
	return nil, fmt.Errorf("neither a postgres nor a nobody user exists to run initdb as")
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}
