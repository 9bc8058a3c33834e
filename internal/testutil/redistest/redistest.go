package redistest

import (
	"bufio"
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// Server is one redis-server process owned by a test.
type Server struct {
	t        testing.TB
	bin      string
	dir      string
	port     int
	password string // requirepass; empty for none
	tls      bool   // also serve TLS on tlsPort (WithTLS)
	tlsPort  int
	caFile   string // the CA that signed the server's certificate

	mu   sync.Mutex
	cmd  *exec.Cmd
	done chan struct{} // closed when cmd has exited
	out  *lockedBuffer // the server's stdout and stderr, for failure messages
}

// Option configures a server before it starts.
type Option func(*Server)

// WithPassword starts the server with requirepass, as managed Redis is run:
// clients must AUTH with password (no spaces: the helper's own commands are
// inline). Addr alone then reaches a Redis that refuses every command;
// URL holds the password.
func WithPassword(password string) Option { return func(s *Server) { s.password = password } }

// WithTLS also serves TLS, as a province's Redis on another host does, on
// a second free port (TLSAddr), with a certificate for 127.0.0.1 signed by
// a CA of the test's own (CAFile): a client trusting only the system's
// roots refuses it. Clients need no certificate of their own. The plain
// port stays, for the helper's own commands.
func WithTLS() Option { return func(s *Server) { s.tls = true } }

// Start starts redis-server on a free loopback port and returns once it
// answers PING. It stops in t.Cleanup.
func Start(t testing.TB, opts ...Option) *Server {
	t.Helper()
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("redis-server not found on PATH (CI=true, so this fails instead of skipping): %v", err)
		}
		t.Skipf("redis-server not found on PATH: %v (install it, e.g. apt-get install redis-server)", err)
	}
	s := &Server{t: t, bin: bin, dir: t.TempDir()}
	for _, o := range opts {
		o(s)
	}
	t.Cleanup(s.stop)
	if s.tls {
		if err := s.writeCertificates(); err != nil {
			t.Fatalf("redistest: TLS certificates: %v", err)
		}
	}
	// A free port can be taken by someone else between probing and binding:
	// try a few.
	var lastErr error
	for range 5 {
		s.port, err = freePort()
		if err != nil {
			t.Fatalf("redistest: free port: %v", err)
		}
		if s.tls {
			if s.tlsPort, err = freePort(); err != nil {
				t.Fatalf("redistest: free port: %v", err)
			}
		}
		if lastErr = s.start(); lastErr == nil {
			return s
		}
	}
	t.Fatalf("redistest: %v", lastErr)
	return nil
}

// Addr is the server's host:port.
func (s *Server) Addr() string { return net.JoinHostPort("127.0.0.1", strconv.Itoa(s.port)) }

// URL is the server's redis:// URL, with its password if it has one.
func (s *Server) URL() string {
	u := url.URL{Scheme: "redis", Host: s.Addr()}
	if s.password != "" {
		u.User = url.UserPassword("", s.password)
	}
	return u.String()
}

// TLSAddr is the host:port where the server speaks TLS (WithTLS).
func (s *Server) TLSAddr() string {
	if !s.tls {
		s.t.Fatalf("redistest: TLSAddr of a server started without WithTLS")
	}
	return net.JoinHostPort("127.0.0.1", strconv.Itoa(s.tlsPort))
}

// TLSURL is the server's rediss:// URL, with its password if it has one.
func (s *Server) TLSURL() string {
	u := url.URL{Scheme: "rediss", Host: s.TLSAddr()}
	if s.password != "" {
		u.User = url.UserPassword("", s.password)
	}
	return u.String()
}

// CAFile is a PEM file of the CA that signed the server's TLS certificate
// (WithTLS).
func (s *Server) CAFile() string {
	if !s.tls {
		s.t.Fatalf("redistest: CAFile of a server started without WithTLS")
	}
	return s.caFile
}

// Password is the server's requirepass, empty for none.
func (s *Server) Password() string { return s.password }

// Kill stops the server at once with SIGKILL, as a crash would, and waits
// until the process is gone. Clients see refused connections from then on.
func (s *Server) Kill() {
	s.t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	s.kill()
}

// Restart starts the server again on the same port and waits until it
// answers PING. A running server is killed first. The server comes back
// empty, or with what the last Save wrote: nothing else is persisted.
func (s *Server) Restart() {
	s.t.Helper()
	s.mu.Lock()
	s.kill()
	s.mu.Unlock()
	if err := s.start(); err != nil {
		s.t.Fatalf("redistest: restart: %v", err)
	}
}

// Pause stops the server with SIGSTOP, as a long stall (a swapped-out
// host, a stopped VM) would: connections stay open, nothing is answered, and
// commands already sent run once it resumes. Resume undoes it; Cleanup
// resumes a paused server before killing it.
func (s *Server) Pause() { s.signal(syscall.SIGSTOP) }

// Resume continues a paused server (SIGCONT).
func (s *Server) Resume() { s.signal(syscall.SIGCONT) }

func (s *Server) signal(sig syscall.Signal) {
	s.t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cmd == nil {
		s.t.Fatalf("redistest: %v: the server is not running", sig)
	}
	if err := s.cmd.Process.Signal(sig); err != nil {
		s.t.Fatalf("redistest: %v: %v", sig, err)
	}
}

// FlushAll empties the server (FLUSHALL), as a failover to an empty replica
// or an operator's mistake would.
func (s *Server) FlushAll() {
	s.t.Helper()
	if reply, err := s.command("FLUSHALL"); err != nil || reply != "+OK" {
		s.t.Fatalf("redistest: FLUSHALL: %q %v", reply, err)
	}
}

// Save writes a snapshot of the data (SAVE) that the next Restart loads, as
// a Redis with its default configuration (RDB snapshots) comes back after a
// crash, or a replica promoted by a failover takes over: with the data as it
// was a while ago, not empty.
func (s *Server) Save() {
	s.t.Helper()
	if reply, err := s.command("SAVE"); err != nil || reply != "+OK" {
		s.t.Fatalf("redistest: SAVE: %q %v", reply, err)
	}
}

func (s *Server) start() error {
	out := &lockedBuffer{}
	args := []string{
		"--port", strconv.Itoa(s.port),
		"--bind", "127.0.0.1",
		"--save", "",
		"--appendonly", "no",
		"--dir", s.dir,
	}
	if s.password != "" {
		args = append(args, "--requirepass", s.password)
	}
	if s.tls {
		args = append(args, "--tls-port", strconv.Itoa(s.tlsPort),
			"--tls-cert-file", filepath.Join(s.dir, "server.crt"),
			"--tls-key-file", filepath.Join(s.dir, "server.key"),
			"--tls-auth-clients", "no")
	}
	cmd := exec.Command(s.bin, args...)
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start %s: %w", s.bin, err)
	}
	done := make(chan struct{})
	go func() {
		_ = cmd.Wait()
		close(done)
	}()
	s.mu.Lock()
	s.cmd, s.done, s.out = cmd, done, out
	s.mu.Unlock()

	deadline := time.Now().Add(10 * time.Second)
	for {
		select {
		case <-done:
			return fmt.Errorf("redis-server on port %d exited at start: %s", s.port, out.String())
		default:
		}
		if reply, err := s.command("PING"); err == nil && reply == "+PONG" {
			return nil
		}
		if time.Now().After(deadline) {
			s.mu.Lock()
			s.kill()
			s.mu.Unlock()
			return fmt.Errorf("redis-server on port %d does not answer PING after 10s: %s", s.port, out.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// kill ends the process, if running, and waits for it; s.mu is held.
func (s *Server) kill() {
	if s.cmd == nil {
		return
	}
	_ = s.cmd.Process.Signal(syscall.SIGKILL)
	_ = s.cmd.Process.Signal(syscall.SIGCONT) // a paused process dies only once continued
	<-s.done
	s.cmd = nil
}

func (s *Server) stop() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cmd != nil && s.t.Failed() {
		s.t.Logf("redis-server output:\n%s", s.out.String())
	}
	s.kill()
}

// command sends one inline command, after AUTH when the server has a
// password, and returns the first line of the reply.
func (s *Server) command(name string) (string, error) {
	conn, err := net.DialTimeout("tcp", s.Addr(), time.Second)
	if err != nil {
		return "", err
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(5 * time.Second))
	r := bufio.NewReader(conn)
	if s.password != "" {
		if _, err := conn.Write([]byte("AUTH " + s.password + "\r\n")); err != nil {
			return "", err
		}
		if line, err := r.ReadString('\n'); err != nil || strings.TrimRight(line, "\r\n") != "+OK" {
			return "", fmt.Errorf("AUTH: %q %v", strings.TrimRight(line, "\r\n"), err)
		}
	}
	if _, err := conn.Write([]byte(name + "\r\n")); err != nil {
		return "", err
	}
	line, err := r.ReadString('\n')
	return strings.TrimRight(line, "\r\n"), err
}

// writeCertificates writes a CA (ca.crt) and a certificate for 127.0.0.1
// it signed (server.crt, server.key) in the server's directory.
func (s *Server) writeCertificates() error {
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return err
	}
	now := time.Now()
	caTmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "redistest CA"},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.Add(24 * time.Hour),
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageCertSign,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		return err
	}
	ca, err := x509.ParseCertificate(caDER)
	if err != nil {
		return err
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return err
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(2),
		Subject:      pkix.Name{CommonName: "127.0.0.1"},
		NotBefore:    now.Add(-time.Hour),
		NotAfter:     now.Add(24 * time.Hour),
		IPAddresses:  []net.IP{net.ParseIP("127.0.0.1")},
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, &key.PublicKey, caKey)
	if err != nil {
		return err
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return err
	}
	s.caFile = filepath.Join(s.dir, "ca.crt")
	for name, block := range map[string]*pem.Block{
		s.caFile:                           {Type: "CERTIFICATE", Bytes: caDER},
		filepath.Join(s.dir, "server.crt"): {Type: "CERTIFICATE", Bytes: der},
		filepath.Join(s.dir, "server.key"): {Type: "PRIVATE KEY", Bytes: keyDER},
	} {
		if err := os.WriteFile(name, pem.EncodeToMemory(block), 0o600); err != nil {
			return err
		}
	}
	return nil
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
