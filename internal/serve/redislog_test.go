package serve

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestRedisTarget_HostPort(t *testing.T) {
	for addr, ok := range map[string]bool{
		"":                true, // in process
		"127.0.0.1:6379":  true,
		"redis.prov:6380": true,
		"[::1]:6379":      true,
		"localhost":       false,
		"127.0.0.1:":      false,
		"127.0.0.1:redis": false,
		":6379":           false,
		"127.0.0.1:70000": false,
	} {
		_, _, err := redisTarget(Config{RedisAddr: addr})
		if (err == nil) != ok {
			t.Errorf("redisTarget(%q) = %v, want ok %v", addr, err, ok)
		}
		if err != nil && !strings.Contains(err.Error(), "host:port") {
			t.Errorf("redisTarget(%q): %v, want it to say host:port", addr, err)
		}
	}
}

// The password file's line end is not the password's; a file that cannot
// be read, an empty one, one given without -redis-addr, or one beside a
// URL that holds a password too stop the start, naming the flag and never
// the password.
func TestRedisTarget_PasswordFile(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	pw := write("pw", "s3cret\r\n")
	target, ok, err := redisTarget(Config{RedisAddr: "127.0.0.1:6379", RedisPasswordFile: pw})
	if err != nil || !ok || target.Options().Password != "s3cret" || target.String() != "127.0.0.1:6379" {
		t.Fatalf("redisTarget with a password file: %v %v %q %q", ok, err, target.Options().Password, target)
	}
	for _, c := range []Config{
		{RedisAddr: "127.0.0.1:6379", RedisPasswordFile: write("empty", "\n")},
		{RedisAddr: "127.0.0.1:6379", RedisPasswordFile: filepath.Join(dir, "missing")},
		{RedisPasswordFile: pw},
		{RedisAddr: "redis://:0therPW@127.0.0.1:6379", RedisPasswordFile: pw},
	} {
		_, _, err := redisTarget(c)
		if err == nil || !strings.Contains(err.Error(), "-redis-password-file") || strings.Contains(err.Error(), "s3cret") || strings.Contains(err.Error(), "0therPW") {
			t.Errorf("redisTarget(%+v) = %v, want an error naming -redis-password-file without the password", c, err)
		}
	}
}

// go-redis's own lines reach the server's log in its format, one per
// redisLogEvery: an outage makes one per dial.
func TestRedisLogger_OneLineAWhile(t *testing.T) {
	var buf bytes.Buffer
	was := slog.Default()
	slog.SetDefault(slog.New(slog.NewJSONHandler(&buf, nil)))
	t.Cleanup(func() { slog.SetDefault(was) })
	l := &redisLogger{}
	for range 660 {
		l.Printf(context.Background(), "redis: connection pool: failed to dial after %d attempts: %v", 1, "connection refused")
	}
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if len(lines) != 1 || !strings.Contains(lines[0], `"msg":"Redis client"`) || !strings.Contains(lines[0], "connection refused") {
		t.Fatalf("660 lines in a burst logged as %d: %q", len(lines), lines)
	}
	l.last = l.last.Add(-redisLogEvery) // a while later
	l.Printf(context.Background(), "redis: again")
	if !strings.Contains(buf.String(), `"left_out_since_last":659`) {
		t.Fatalf("the next line does not count those left out:\n%s", buf.String())
	}
}

// A background job's error that repeats is logged once a while, with how
// many times it came meanwhile; another error is logged at once.
func TestQuietRepeats_OneLineAWhileForTheSameError(t *testing.T) {
	var buf bytes.Buffer
	was := slog.Default()
	slog.SetDefault(slog.New(slog.NewJSONHandler(&buf, nil)))
	t.Cleanup(func() { slog.SetDefault(was) })
	q := &quietRepeats{msg: "Merkle log: integration or witnessing failed"}
	down := errors.New("witness 127.0.0.1:1: connection refused")
	for range 100 {
		q.report(down)
	}
	if n := strings.Count(buf.String(), "\n"); n != 1 {
		t.Fatalf("100 repeats of one error logged as %d lines:\n%s", n, buf.String())
	}
	q.report(errors.New("store: disk full"))
	if n := strings.Count(buf.String(), "\n"); n != 2 || !strings.Contains(buf.String(), "disk full") || !strings.Contains(buf.String(), `"failures_left_out_since_last_line":99`) {
		t.Fatalf("another error is logged at once, counting the repeats left out:\n%s", buf.String())
	}
	q.at = q.at.Add(-sameErrorEvery) // a while later, the same error again
	q.report(errors.New("store: disk full"))
	if n := strings.Count(buf.String(), "\n"); n != 3 {
		t.Fatalf("the same error after %v is not logged again:\n%s", sameErrorEvery, buf.String())
	}
}

// -redis-ca-file needs a rediss:// address to check the certificate of,
// and a PEM certificate to check it with.
func TestRedisTarget_CAFile(t *testing.T) {
	notPEM := filepath.Join(t.TempDir(), "ca.txt")
	if err := os.WriteFile(notPEM, []byte("not a certificate\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		cfg  Config
		want string
	}{
		{Config{RedisCAFile: notPEM}, "without -redis-addr"},
		{Config{RedisAddr: "rediss://redis.prov:6380", RedisCAFile: filepath.Join(t.TempDir(), "missing")}, "no such file"},
		{Config{RedisAddr: "rediss://redis.prov:6380", RedisCAFile: notPEM}, "holds no PEM certificate"},
	} {
		if _, _, err := redisTarget(c.cfg); err == nil || !strings.Contains(err.Error(), "-redis-ca-file") || !strings.Contains(err.Error(), c.want) {
			t.Errorf("redisTarget(%+v) = %v, want an error naming -redis-ca-file saying %q", c.cfg, err, c.want)
		}
	}
}
