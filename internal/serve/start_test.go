package serve

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ruqi/ruqi/internal/domain"
	"github.com/ruqi/ruqi/internal/service"
	"github.com/ruqi/ruqi/internal/store/bolt"
)

// startConfig is the server's configuration as its flags' defaults give
// it, on a data directory that does not exist yet.
func startConfig(t *testing.T) Config {
	return Config{DataDir: filepath.Join(t.TempDir(), "data"), GRPCAddr: "127.0.0.1:0", HTTPAddr: "127.0.0.1:0",
		Limits: domain.DefaultLimits(), Bolt: bolt.DefaultOptions(), Lifetimes: service.DefaultLifetimes(),
		Server: DefaultLimits(), LogInterval: 2 * time.Second, ConfirmWithin: 30 * time.Second, PrincipalRates: "default"}
}

// runRefused runs the server on cfg and wants it to refuse to start, before
// it makes its data directory; it returns the refusal.
func runRefused(t *testing.T, cfg Config) error {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	err := Run(ctx, cfg)
	if err == nil {
		t.Fatalf("the server started (and stopped at the test's deadline), want it to refuse to start")
	}
	if _, serr := os.Stat(cfg.DataDir); serr == nil {
		t.Errorf("refused (%v) after making its data directory", err)
	}
	return err
}

// Listening on every interface (0.0.0.0, ::, no host: behind a load
// balancer) without -public-url put http://[::]:PORT in every code's QR,
// and named the Merkle log [::]:PORT/log for good (an operator's trial,
// 2026-12-06). The server refuses to start and says what to set.
func TestRun_EveryInterfaceWithoutPublicURL_Refused(t *testing.T) {
	for _, addr := range []string{"0.0.0.0:0", "[::]:0", ":0", "[0:0:0:0:0:0:0:0]:0"} {
		t.Run(addr, func(t *testing.T) {
			cfg := startConfig(t)
			cfg.HTTPAddr = addr
			err := runRefused(t, cfg)
			for _, want := range []string{"-http-addr", "every interface", "-public-url", "-log-origin"} {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("refusal %q does not say %q", err, want)
				}
			}
		})
	}
}

// A log's name is in its key and in every checkpoint its witnesses cosign:
// it cannot change. A -log-origin that differs from the name of the log in
// log.key was ignored without a word; it is refused, naming both.
func TestLogConfig_OriginDiffersFromTheLogs_Refused(t *testing.T) {
	cfg := startConfig(t)
	cfg.PublicURL = "https://ruqi.example.gov.cn"
	if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
		t.Fatal(err)
	}
	if _, err := logConfig(cfg); err != nil { // creates log.key, named ruqi.example.gov.cn/log
		t.Fatal(err)
	}
	cfg.LogOrigin = "ruqi.sft.example.gov.cn/log"
	_, err := logConfig(cfg)
	if err == nil {
		t.Fatal("a -log-origin other than the log's name was accepted")
	}
	for _, want := range []string{"-log-origin", "ruqi.sft.example.gov.cn/log", "ruqi.example.gov.cn/log", "cannot change"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("refusal %q does not say %q", err, want)
		}
	}
	// Its own name, or none (a new public URL does not rename the log), starts.
	for _, origin := range []string{"ruqi.example.gov.cn/log", ""} {
		cfg.LogOrigin = origin
		cfg.PublicURL = "https://ruqi.sft.example.gov.cn"
		if _, err := logConfig(cfg); err != nil {
			t.Errorf("-log-origin %q: %v", origin, err)
		}
	}
}

// The QR holds the whole URL in upper case (alphanumeric mode), so a
// -public-url with a path (https://host/ruqi) gave HTTPS://HOST/RUQI/V/…,
// which the server answered 404, and pages, cookies and the sign-in's
// callback are served at the root anyway. A path is refused at start; a
// bare trailing slash is no path.
func TestRun_PublicURLWithAPath_Refused(t *testing.T) {
	for _, u := range []string{"https://ruqi.example.gov.cn/ruqi", "https://ruqi.example.gov.cn/ruqi/", "http://10.0.0.7:7480/a/b"} {
		t.Run(u, func(t *testing.T) {
			cfg := startConfig(t)
			cfg.PublicURL = u
			err := runRefused(t, cfg)
			for _, want := range []string{"-public-url", "path", "root"} {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("refusal %q does not say %q", err, want)
				}
			}
		})
	}
	for _, u := range []string{"https://ruqi.example.gov.cn", "https://ruqi.example.gov.cn/", "http://10.0.0.7:7480"} {
		if err := checkPublicURL(Config{PublicURL: u, HTTPAddr: "0.0.0.0:7480"}); err != nil {
			t.Errorf("-public-url %s: %v", u, err)
		}
	}
}

// A -public-url without a scheme (ruqi.example.gov.cn) failed as "log
// origin: cannot derive it from public URL …; set -log-origin", and
// following that advice gave codes without a scheme, which phones do not
// open. The URL is checked first, and each way it cannot be a code's base
// is refused with its reason (and without a password it held).
func TestRun_PublicURLNotABase_Refused(t *testing.T) {
	for u, reason := range map[string]string{
		"ruqi.example.gov.cn":             "http:// or https://",
		"ruqi.example.gov.cn:8443":        "http:// or https://",
		"//ruqi.example.gov.cn":           "http:// or https://",
		"ftp://ruqi.example.gov.cn":       "http:// or https://",
		"https://":                        "no host",
		"https:ruqi.example.gov.cn":       "no host",
		"https://:8443":                   "no host",
		"https://ruqi:s3cret@example.cn":  "user",
		"https://ruqi.example.gov.cn?a=1": "query",
		"https://ruqi.example.gov.cn/?":   "query",
		"https://ruqi.example.gov.cn#top": "fragment",
		"http://0.0.0.0:7480":             "every interface",
		"http://[::]:7480":                "every interface",
		"https://ruqi example.cn":         "not a URL",
	} {
		t.Run(u, func(t *testing.T) {
			cfg := startConfig(t)
			cfg.PublicURL = u
			err := runRefused(t, cfg)
			for _, want := range []string{"-public-url", reason, "e.g. https://ruqi.example.gov.cn"} {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("refusal %q does not say %q", err, want)
				}
			}
			if strings.Contains(err.Error(), "s3cret") {
				t.Errorf("refusal %q shows the password", err)
			}
		})
	}
	for _, u := range []string{"HTTPS://ruqi.example.gov.cn", "http://127.0.0.1:7480", "http://[::1]:7480", "https://ruqi.example.gov.cn:8443/"} {
		if err := checkPublicURL(Config{PublicURL: u}); err != nil {
			t.Errorf("-public-url %s: %v", u, err)
		}
	}
}

// The "server ready" line names the build it runs and the layout of its
// store, so that a log tells which version served what (an operator's
// trial, 2026-12-06: neither was anywhere).
func TestRun_ReadyLine_NamesVersionAndStoreFormat(t *testing.T) {
	var buf syncBuffer
	was := slog.Default()
	slog.SetDefault(slog.New(slog.NewJSONHandler(&buf, nil)))
	t.Cleanup(func() { slog.SetDefault(was) })
	cfg := startConfig(t)
	cfg.ReadyFile = filepath.Join(t.TempDir(), "ready.json")
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- Run(ctx, cfg) }()
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		if _, err := os.Stat(cfg.ReadyFile); err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("not ready:\n%s", buf.String())
		}
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	var ready map[string]any
	for line := range strings.SplitSeq(buf.String(), "\n") {
		var m map[string]any
		if json.Unmarshal([]byte(line), &m) == nil && m["msg"] == "ruqi server ready" {
			ready = m
		}
	}
	if ready == nil {
		t.Fatalf("no ready line:\n%s", buf.String())
	}
	if v, _ := ready["version"].(string); v == "" {
		t.Errorf("ready line without the version: %v", ready)
	}
	if f, _ := ready["store_format"].(string); f != fmt.Sprintf("bbolt format %d", bolt.FileFormat) {
		t.Errorf("ready line's store_format %q, want bbolt format %d", ready["store_format"], bolt.FileFormat)
	}
}

// syncBuffer is a bytes.Buffer the server's goroutines may log to.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// docs/SECURITY.md: the lifetimes the server is started with "must lie
// between 1 minute and 366 days, or it does not start"; 0 (or less) was
// read as the default without a word (an operator's trial, 2026-12-06).
func TestRun_LifetimeZero_Refused(t *testing.T) {
	for flag, set := range map[string]func(*service.Lifetimes){
		"-token-ttl":   func(l *service.Lifetimes) { l.Token = 0 },
		"-session-ttl": func(l *service.Lifetimes) { l.Session = 0 },
		"-device-ttl":  func(l *service.Lifetimes) { l.Device = -time.Hour },
	} {
		t.Run(flag, func(t *testing.T) {
			cfg := startConfig(t)
			set(&cfg.Lifetimes)
			err := runRefused(t, cfg)
			for _, want := range []string{flag, "a lifetime from 1m to", "366 days"} {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("refusal %q does not say %q", err, want)
				}
			}
		})
	}
}

// A log key others may read (a copy put back from a backup with 0644)
// started without a word; its start warns, naming the file. One made by
// the server (0600) does not.
func TestLogConfig_KeyReadableByOthers_Warned(t *testing.T) {
	var logged bytes.Buffer
	was := slog.Default()
	slog.SetDefault(slog.New(slog.NewTextHandler(&logged, nil)))
	t.Cleanup(func() { slog.SetDefault(was) })
	cfg := startConfig(t)
	cfg.PublicURL = "https://ruqi.example.gov.cn"
	if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
		t.Fatal(err)
	}
	if _, err := logConfig(cfg); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(logged.String(), "chmod") {
		t.Fatalf("the key the server made is warned of:\n%s", logged.String())
	}
	key := filepath.Join(cfg.DataDir, "log.key")
	if err := os.Chmod(key, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := logConfig(cfg); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(logged.String(), "chmod 600") || !strings.Contains(logged.String(), key) {
		t.Errorf("a 0644 log key started without a warning naming it:\n%s", logged.String())
	}
}
