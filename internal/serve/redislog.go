package serve

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"sync"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/ruqi/ruqi/internal/redisconn"
)

// redisTarget reads -redis-addr and -redis-password-file (internal/redisconn)
// and refuses what no dial could use ("localhost", a port that is no
// number, a URL of another scheme, an empty password file): a configuration
// error stops the start, where an outage is waited out (an operator's trial,
// 2026-12-05: the server started and answered UNAVAILABLE to every
// registration, logging "missing port in address" for ever). ok is false
// without -redis-addr (the in-process coordinator). -redis-ca-file gives
// the roots Redis's TLS certificate is checked against.
func redisTarget(cfg Config) (t redisconn.Target, ok bool, err error) {
	if cfg.RedisAddr == "" {
		switch {
		case cfg.RedisPasswordFile != "":
			return t, false, errors.New("-redis-password-file without -redis-addr: give the Redis's address too, or neither")
		case cfg.RedisCAFile != "":
			return t, false, errors.New("-redis-ca-file without -redis-addr: give the Redis's address too (rediss://host:port), or neither")
		}
		return t, false, nil
	}
	password := ""
	if cfg.RedisPasswordFile != "" {
		b, err := os.ReadFile(cfg.RedisPasswordFile)
		if err != nil {
			return t, false, fmt.Errorf("-redis-password-file: %w", err)
		}
		// The line's end is the file's, not the password's (echo, editors).
		password = strings.TrimRight(string(b), "\r\n")
		if password == "" {
			return t, false, fmt.Errorf("-redis-password-file %s is empty: write Redis's password in it, or leave the flag out for a Redis without one", cfg.RedisPasswordFile)
		}
	}
	t, err = redisconn.Parse(cfg.RedisAddr, password)
	if err != nil || cfg.RedisCAFile == "" {
		return t, err == nil, err
	}
	b, err := os.ReadFile(cfg.RedisCAFile)
	if err != nil {
		return t, false, fmt.Errorf("-redis-ca-file: %w", err)
	}
	roots := x509.NewCertPool()
	if !roots.AppendCertsFromPEM(b) {
		return t, false, fmt.Errorf("-redis-ca-file %s holds no PEM certificate (-----BEGIN CERTIFICATE-----): give the CA that signed Redis's certificate", cfg.RedisCAFile)
	}
	t, err = t.WithRootCAs(roots)
	return t, err == nil, err
}

// redisLogEvery is how often go-redis's own lines reach the log.
const redisLogEvery = 10 * time.Second

// redisLogger sends go-redis's own lines (a connection pool failing to
// dial…) to slog, in the server's format, at most one every redisLogEvery
// with the count of those left out: during an outage the client writes one
// per dial, 660 a second under load in the operator's trial, straight to
// stderr.
type redisLogger struct {
	mu      sync.Mutex
	last    time.Time
	dropped int
}

func (l *redisLogger) Printf(ctx context.Context, format string, v ...any) {
	l.mu.Lock()
	now := time.Now()
	if !l.last.IsZero() && now.Sub(l.last) < redisLogEvery {
		l.dropped++
		l.mu.Unlock()
		return
	}
	dropped := l.dropped
	l.last, l.dropped = now, 0
	l.mu.Unlock()
	msg := fmt.Sprintf(format, v...)
	if len(msg) > 500 {
		msg = msg[:500] + "…"
	}
	slog.WarnContext(ctx, "Redis client", "said", msg, "left_out_since_last", dropped)
}

var setRedisLogger sync.Once

// useSlogForRedis installs redisLogger as go-redis's logger (one for the
// process: go-redis has one).
func useSlogForRedis() {
	setRedisLogger.Do(func() { goredis.SetLogger(&redisLogger{}) })
}

// sameErrorEvery is how often an error a background job keeps meeting
// reaches the log again.
const sameErrorEvery = 10 * time.Minute

// quietRepeats logs a background job's error the first time, then the same
// error at most once every sameErrorEvery with how many times it came
// meanwhile; another error is logged at once. An idle log asks a missing
// witness every 10 s, and each failure was a line: 8,640 a day for one
// witness down overnight (a trial of the record, 2026-12-06).
type quietRepeats struct {
	msg  string // what is logged
	mu   sync.Mutex
	last string
	at   time.Time
	left int
}

func (q *quietRepeats) report(err error) {
	q.mu.Lock()
	now := time.Now()
	s := err.Error()
	if s == q.last && now.Sub(q.at) < sameErrorEvery {
		q.left++
		q.mu.Unlock()
		return
	}
	q.last = s
	left := q.left
	q.at, q.left = now, 0
	q.mu.Unlock()
	slog.Warn(q.msg, "err", err, "failures_left_out_since_last_line", left)
}
