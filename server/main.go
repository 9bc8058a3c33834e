// Command server runs ruqi: the gRPC service for 扫码入企 and its web pages.
// On a fresh machine `go run ./server` starts it on the embedded default: a
// bbolt file under ./ruqi-data, no other service needed.
package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"
	_ "time/tzdata" // Asia/Shanghai must resolve on minimal machines too

	"github.com/ruqi/ruqi/internal/buildinfo"
	"github.com/ruqi/ruqi/internal/domain"
	"github.com/ruqi/ruqi/internal/serve"
	"github.com/ruqi/ruqi/internal/service"
	"github.com/ruqi/ruqi/internal/store/bolt"
)

func main() {
	if err := run(); err != nil {
		slog.Error("server failed", "err", err)
		os.Exit(1)
	}
}

func run() error {
	fs := flag.NewFlagSet("server", flag.ExitOnError)
	cfg := serve.Config{Limits: domain.DefaultLimits(), Bolt: bolt.DefaultOptions(), Lifetimes: service.DefaultLifetimes(), Server: serve.DefaultLimits()}
	fs.StringVar(&cfg.DataDir, "data-dir", env("RUQI_DATA_DIR", "ruqi-data"), "data directory: bbolt file and admin token (RUQI_DATA_DIR)")
	// The store's and Redis's URLs may hold a password: the environment's
	// value is applied after parsing, not made the flag's default, which
	// the usage (-h, a mistyped flag) prints (a review).
	fs.StringVar(&cfg.Store, "store", "", "the record: a bbolt file, or a postgres://user@host:port/db URL that several replicas share (RUQI_STORE; default <data-dir>/ruqi.db)")
	fs.StringVar(&cfg.GRPCAddr, "grpc-addr", env("RUQI_GRPC_ADDR", "127.0.0.1:7400"), "gRPC listen address (RUQI_GRPC_ADDR)")
	fs.StringVar(&cfg.HTTPAddr, "http-addr", env("RUQI_HTTP_ADDR", "127.0.0.1:7480"), "HTTP listen address (RUQI_HTTP_ADDR)")
	fs.StringVar(&cfg.PublicURL, "public-url", env("RUQI_PUBLIC_URL", ""), "base URL that codes' QR images point to, e.g. https://ruqi.example.gov.cn, a host served at its root (no path); required when -http-addr listens on every interface (RUQI_PUBLIC_URL; default http://<http-addr>)")
	fs.StringVar(&cfg.TLSCert, "tls-cert", env("RUQI_TLS_CERT", ""), "PEM certificate: serve gRPC and HTTP over TLS (RUQI_TLS_CERT, with -tls-key)")
	fs.StringVar(&cfg.TLSKey, "tls-key", env("RUQI_TLS_KEY", ""), "PEM private key for -tls-cert (RUQI_TLS_KEY)")
	fs.StringVar(&cfg.RedisAddr, "redis-addr", "", "Redis for coordination when several replicas run: host:port, or a URL redis://[[user]:password@]host:port[/db], rediss://… for TLS (RUQI_REDIS_ADDR; default: in process)")
	fs.StringVar(&cfg.RedisPasswordFile, "redis-password-file", env("RUQI_REDIS_PASSWORD_FILE", ""), "file holding Redis's password, so that it is on no command line; with -redis-addr host:port or a URL without one (RUQI_REDIS_PASSWORD_FILE)")
	fs.StringVar(&cfg.RedisCAFile, "redis-ca-file", env("RUQI_REDIS_CA_FILE", ""), "PEM file of the CAs that Redis's TLS certificate is checked against, in place of the system's roots, for a rediss:// address whose certificate a province's own CA signed (RUQI_REDIS_CA_FILE)")
	fs.DurationVar(&cfg.ConfirmWithin, "confirm-within", envDuration("RUQI_CONFIRM_WITHIN", 30*time.Second), "how long the coordinator holds a registration's decision for its write to commit before it checks the store (RUQI_CONFIRM_WITHIN)")
	cfg.WorkingSet = serve.DefaultWorkingSet()
	fs.IntVar(&cfg.WorkingSet.MaxEnterprises, "coord-max-enterprises", envInt("RUQI_COORD_MAX_ENTERPRISES", cfg.WorkingSet.MaxEnterprises), "enterprises the in-process coordinator holds at most, beyond those with a decision pending; the least recently used are forgotten and read again from the store when needed; 0: no limit (RUQI_COORD_MAX_ENTERPRISES)")
	fs.DurationVar(&cfg.WorkingSet.IdleAfter, "coord-idle", envDuration("RUQI_COORD_IDLE", cfg.WorkingSet.IdleAfter), "the in-process coordinator forgets an enterprise not registered for this long; 0: never (RUQI_COORD_IDLE)")
	fs.DurationVar(&cfg.Cache.TTL, "cache-ttl", envDuration("RUQI_CACHE_TTL", 5*time.Second), "longest a token or directory record is served from memory after it was read; changes are seen at once in process and through PostgreSQL notifications at other replicas, this bounds staleness if one is lost (RUQI_CACHE_TTL)")
	fs.IntVar(&cfg.Cache.Size, "cache-size", envInt("RUQI_CACHE_SIZE", 100_000), "tokens and directory records held in memory at most (RUQI_CACHE_SIZE)")
	fs.StringVar(&cfg.PolicyFile, "policy-file", env("RUQI_POLICY_FILE", ""), "frequency policies by region, JSON (RUQI_POLICY_FILE; default: 2 per agency per year, no proactive check of grade A, warnings at 1/day 2/week 3/month)")
	fs.DurationVar(&cfg.Limits.MaxWindow, "max-window", envDuration("RUQI_MAX_WINDOW", cfg.Limits.MaxWindow), "longest inspection window (RUQI_MAX_WINDOW)")
	fs.DurationVar(&cfg.Limits.MaxAdvance, "max-advance", envDuration("RUQI_MAX_ADVANCE", cfg.Limits.MaxAdvance), "how far ahead an inspection may be registered (RUQI_MAX_ADVANCE)")
	fs.DurationVar(&cfg.Limits.ClockLeeway, "clock-leeway", envDuration("RUQI_CLOCK_LEEWAY", cfg.Limits.ClockLeeway), "tolerated clock difference at the edges of a window (RUQI_CLOCK_LEEWAY)")
	fs.DurationVar(&cfg.Bolt.LockTimeout, "lock-timeout", envDuration("RUQI_LOCK_TIMEOUT", cfg.Bolt.LockTimeout), "how long to wait for the database file lock (RUQI_LOCK_TIMEOUT)")
	fs.StringVar(&cfg.LogKeyFile, "log-key-file", env("RUQI_LOG_KEY_FILE", ""), "the Merkle log's signing key (a note signer key); replicas share one (RUQI_LOG_KEY_FILE; default <data-dir>/log.key, created on first start)")
	fs.StringVar(&cfg.LogOrigin, "log-origin", env("RUQI_LOG_ORIGIN", ""), "name of a new log, the first line of its checkpoints; an existing log keeps its name (RUQI_LOG_ORIGIN; default <public host>/log)")
	fs.StringVar(&cfg.WitnessPolicyFile, "witness-policy", env("RUQI_WITNESS_POLICY", ""), "witnesses asked to cosign each checkpoint, Sigsum policy format (RUQI_WITNESS_POLICY)")
	fs.DurationVar(&cfg.LogInterval, "log-interval", envDuration("RUQI_LOG_INTERVAL", 2*time.Second), "how often new events are added to the Merkle log and a checkpoint published (RUQI_LOG_INTERVAL)")
	fs.StringVar(&cfg.OIDCConfig, "oidc-config", env("RUQI_OIDC_CONFIG", ""), "identity provider (OpenID Connect) and claim mapping, JSON (RUQI_OIDC_CONFIG; default: none, tokens issued by an administrator only)")
	fs.DurationVar(&cfg.Lifetimes.Token, "token-ttl", envDuration("RUQI_TOKEN_TTL", cfg.Lifetimes.Token), "default lifetime of an administrator-issued token, from 1m to 366 days (RUQI_TOKEN_TTL)")
	fs.DurationVar(&cfg.Lifetimes.Session, "session-ttl", envDuration("RUQI_SESSION_TTL", cfg.Lifetimes.Session), "lifetime of a sign-in through the identity provider, from 1m to 366 days (RUQI_SESSION_TTL)")
	fs.DurationVar(&cfg.Lifetimes.Device, "device-ttl", envDuration("RUQI_DEVICE_TTL", cfg.Lifetimes.Device), "lifetime of an enrolled staff device, from 1m to 366 days (RUQI_DEVICE_TTL)")
	fs.IntVar(&cfg.Server.MaxInFlight, "max-in-flight", envInt("RUQI_MAX_IN_FLIGHT", cfg.Server.MaxInFlight), "calls handled at once; more wait up to -queue-wait, then get RESOURCE_EXHAUSTED (RUQI_MAX_IN_FLIGHT)")
	fs.DurationVar(&cfg.Server.QueueWait, "queue-wait", envDuration("RUQI_QUEUE_WAIT", cfg.Server.QueueWait), "how long a call waits for a free slot before it is shed (RUQI_QUEUE_WAIT)")
	fs.DurationVar(&cfg.Server.IdleTimeout, "idle-timeout", envDuration("RUQI_IDLE_TIMEOUT", cfg.Server.IdleTimeout), "close connections idle this long (RUQI_IDLE_TIMEOUT)")
	fs.StringVar(&cfg.DebugAddr, "debug-addr", env("RUQI_DEBUG_ADDR", ""), "serve Go's profiler (/debug/pprof/) on this address, e.g. 127.0.0.1:6060; off when empty (RUQI_DEBUG_ADDR)")
	fs.StringVar(&cfg.PrincipalRates, "principal-rates", env("RUQI_PRINCIPAL_RATES", "default"), "calls each principal may make, by role: default (enterprise 60/min:120, officer, agency_admin and agency_head 120/min:240, supervisor 600/min:600, admin unlimited), off, or changes such as enterprise=30/min:60,supervisor=off; shared through Redis with -redis-addr (RUQI_PRINCIPAL_RATES)")
	fs.StringVar(&cfg.MetricsAddr, "metrics-addr", env("RUQI_METRICS_ADDR", ""), "serve Prometheus metrics (/metrics) on this address, e.g. 127.0.0.1:7481; off when empty. No authentication: bind to loopback or the monitoring network (RUQI_METRICS_ADDR)")
	fs.StringVar(&cfg.ReadyFile, "ready-file", env("RUQI_READY_FILE", ""), "write the bound addresses as JSON here once listening, for scripts and tests (RUQI_READY_FILE)")
	logLevel := fs.String("log-level", env("RUQI_LOG_LEVEL", "info"), "debug, info, warn or error (RUQI_LOG_LEVEL)")
	logFormat := fs.String("log-format", env("RUQI_LOG_FORMAT", "text"), "text or json (RUQI_LOG_FORMAT)")
	version := fs.Bool("version", false, "print the version (module version, VCS revision, Go version) and exit")
	_ = fs.Parse(os.Args[1:])
	if *version {
		fmt.Println(buildinfo.Line("ruqi-server"))
		return nil
	}
	if cfg.Store == "" {
		cfg.Store = env("RUQI_STORE", "")
	}
	if cfg.RedisAddr == "" {
		cfg.RedisAddr = env("RUQI_REDIS_ADDR", "")
	}
	if cfg.Cache.TTL <= 0 || cfg.Cache.Size <= 0 {
		return fmt.Errorf("-cache-ttl and -cache-size must be positive")
	}
	if cfg.ConfirmWithin <= 0 {
		// 0 or less was read as the default without a word (an operator's
		// trial, 2026-12-05).
		return fmt.Errorf("-confirm-within must be positive, e.g. 30s")
	}
	if cfg.WorkingSet.MaxEnterprises < 0 || cfg.WorkingSet.IdleAfter < 0 {
		return fmt.Errorf("-coord-max-enterprises and -coord-idle cannot be negative (0: no limit)")
	}

	var level slog.Level
	if err := level.UnmarshalText([]byte(*logLevel)); err != nil {
		return fmt.Errorf("-log-level: %w", err)
	}
	opts := &slog.HandlerOptions{Level: level}
	if strings.EqualFold(*logFormat, "json") {
		slog.SetDefault(slog.New(slog.NewJSONHandler(os.Stderr, opts)))
	} else {
		slog.SetDefault(slog.New(slog.NewTextHandler(os.Stderr, opts)))
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	return serve.Run(ctx, cfg)
}

func env(key, def string) string {
	if v, ok := os.LookupEnv(key); ok && v != "" {
		return v
	}
	return def
}

func envInt(key string, def int) int {
	if v, ok := os.LookupEnv(key); ok && v != "" {
		// 0 is taken as the flag's 0 is (-coord-max-enterprises: no
		// limit); where it means nothing, the checks after parsing refuse
		// it, naming the flag.
		if n, err := strconv.Atoi(v); err == nil && n >= 0 {
			return n
		}
		fmt.Fprintf(os.Stderr, "%s=%q is not a number (0 or more)\n", key, v)
		os.Exit(2)
	}
	return def
}

func envDuration(key string, def time.Duration) time.Duration {
	if v, ok := os.LookupEnv(key); ok && v != "" {
		if d, err := time.ParseDuration(v); err == nil {
			return d
		}
		// A typo in the environment must not silently become the default.
		fmt.Fprintf(os.Stderr, "%s=%q is not a duration (e.g. 2m, 168h)\n", key, v)
		os.Exit(2)
	}
	return def
}
