// Package pgtest runs a real PostgreSQL server for tests: one cluster per
// call to Start, made by Debian's initdb in a fresh temporary directory and
// run by its postgres binary as a child of the test (it dies with the test
// binary, also one killed or timed out), listening on a free loopback port
// and on a unix socket in that directory (never the machine's own
// PostgreSQL), stopped and removed when the test ends. NewDatabase gives
// each subtest its own empty database in it.
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
	bin  string // directory of initdb and postgres
	dir  string // owned by the server's user: data/, the socket, the log
	port int
	cred *syscall.Credential // nil unless the test runs as root

	fsync bool

	mu   sync.Mutex
	cmd  *exec.Cmd     // the postmaster, nil while stopped
	done chan struct{} // closed when cmd has exited
	dbs  atomic.Int64
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
	if out, err := s.command("initdb", "-D", s.data(), "-U", "postgres", "--auth=trust", "-E", "UTF8", "--locale=C", "--no-sync").CombinedOutput(); err != nil {
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

// Kill shuts the server down at once (an immediate shutdown, SIGQUIT), as a
// crash would: sessions end, their transactions roll back, new connections
// are refused.
func (s *Server) Kill() {
	s.t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	s.kill()
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

// start runs the postmaster as a child of the test (not daemonized by
// pg_ctl) with a parent-death signal, so that a test binary killed or timed
// out takes its clusters with it; then waits until it accepts connections.
func (s *Server) start() error {
	log, err := os.OpenFile(filepath.Join(s.dir, "log"), os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600)
	if err != nil {
		return err
	}
	defer log.Close()
	cmd := s.command("postgres", "-D", s.data())
	cmd.Stdout, cmd.Stderr = log, log
	// SIGQUIT is PostgreSQL's immediate shutdown.
	cmd.SysProcAttr.Pdeathsig = syscall.SIGQUIT
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start postgres: %w", err)
	}
	done := make(chan struct{})
	go func() {
		_ = cmd.Wait()
		close(done)
	}()
	s.cmd, s.done = cmd, done
	deadline := time.Now().Add(60 * time.Second)
	for {
		select {
		case <-done:
			s.cmd = nil
			out, _ := os.ReadFile(filepath.Join(s.dir, "log"))
			return fmt.Errorf("postgres on port %d exited at start:\n%s", s.port, out)
		default:
		}
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		conn, err := pgx.Connect(ctx, s.URL("postgres"))
		if err == nil {
			conn.Close(ctx)
			cancel()
			return nil
		}
		cancel()
		if time.Now().After(deadline) {
			s.kill()
			return fmt.Errorf("postgres on port %d does not accept connections after 60s: %v", s.port, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// kill shuts the postmaster down at once, if running, and waits; s.mu is
// held.
func (s *Server) kill() {
	if s.cmd == nil {
		return
	}
	_ = s.cmd.Process.Signal(syscall.SIGQUIT)
	<-s.done
	s.cmd = nil
}

func (s *Server) stop() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.t.Failed() {
		if log, err := os.ReadFile(filepath.Join(s.dir, "log")); err == nil {
			s.t.Logf("PostgreSQL log:\n%s", log)
		}
	}
	s.kill() // immediate: nothing in a test cluster needs a checkpoint
}

// command prepares one of the cluster's programs to run as the cluster's
// user.
func (s *Server) command(prog string, args ...string) *exec.Cmd {
	cmd := exec.Command(filepath.Join(s.bin, prog), args...)
	cmd.Dir = s.dir // the test's working directory may be closed to that user
	cmd.SysProcAttr = &syscall.SysProcAttr{}
	if s.cred != nil {
		cmd.SysProcAttr.Credential = s.cred
		cmd.Env = append(os.Environ(), "HOME="+s.dir)
	}
	return cmd
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
