// Package serve assembles and runs the ruqi server: the store, the service,
// gRPC with its interceptors, health and reflection, and HTTP; and stops it
// gracefully.
package serve

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"net/netip"
	"net/url"
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"
	"sync/atomic"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/reflection"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"

	"github.com/ruqi/ruqi/internal/auth"
	"github.com/ruqi/ruqi/internal/buildinfo"
	"github.com/ruqi/ruqi/internal/coord"
	"github.com/ruqi/ruqi/internal/coord/local"
	coordredis "github.com/ruqi/ruqi/internal/coord/redis"
	"github.com/ruqi/ruqi/internal/domain"
	"github.com/ruqi/ruqi/internal/durable"
	"github.com/ruqi/ruqi/internal/identity"
	"github.com/ruqi/ruqi/internal/redisconn"
	"github.com/ruqi/ruqi/internal/service"
	"github.com/ruqi/ruqi/internal/store"
	"github.com/ruqi/ruqi/internal/store/bolt"
	"github.com/ruqi/ruqi/internal/store/cache"
	"github.com/ruqi/ruqi/internal/tlog"
	"github.com/ruqi/ruqi/internal/web"
	ruqiv1 "github.com/ruqi/ruqi/proto/ruqi/v1"
)

// Config is everything the server is told by flags and environment.
type Config struct {
	DataDir   string
	GRPCAddr  string
	HTTPAddr  string
	PublicURL string // base of the QR URL; derived from HTTPAddr when empty
	Limits    domain.Limits
	// Server bounds connections, calls and messages (zero: DefaultLimits).
	Server Limits
	// TLSCert and TLSKey, when both set, serve gRPC and HTTP over TLS.
	TLSCert, TLSKey string
	// RedisAddr selects the Redis coordinator, shared by replicas: host:port
	// or a redis:// or rediss:// URL (internal/redisconn); empty for the
	// in-process one.
	RedisAddr string
	// RedisPasswordFile holds Redis's password, so that it need not be on
	// the command line (ps) in a URL; empty for none or the URL's.
	RedisPasswordFile string
	// RedisCAFile holds the PEM certificates of the CAs that Redis's TLS
	// certificate is checked against, in place of the system's roots
	// (rediss:// only); empty for the system's.
	RedisCAFile string
	// ConfirmWithin is how long a registration's decision is held pending
	// for its store write (0: the service's default).
	ConfirmWithin time.Duration
	// WorkingSet bounds the in-process coordinator's memory (zero: every
	// enterprise seen is held); see DefaultWorkingSet.
	WorkingSet local.Bound
	// Cache bounds the read cache of tokens and directory records
	// (internal/store/cache); zero for its defaults.
	Cache cache.Options
	// PolicyFile holds the frequency policies by region (JSON); empty for
	// the defaults.
	PolicyFile string
	Bolt       bolt.Options
	// Store is a bbolt file's path or a postgres:// URL (several replicas
	// share one PostgreSQL); empty for <DataDir>/ruqi.db.
	Store string
	// OIDCConfig is the identity provider's configuration file (JSON, see
	// internal/identity); empty for tokens issued by an administrator only.
	OIDCConfig string
	// Lifetimes of tokens, as the flags give them: each from 1 minute to
	// 366 days (service.Lifetimes.Check), 0 refused, not a default.
	Lifetimes service.Lifetimes
	// ReadyFile, if set, receives the bound addresses as JSON once both
	// listen, so that scripts and tests can use port 0.
	ReadyFile string
	// LogKeyFile holds the Merkle log's note signer key; created in the data
	// directory on first start when empty. Replicas share one key file.
	LogKeyFile string
	// LogOrigin names a new log (the key's name); default "<public host>/log".
	LogOrigin string
	// WitnessPolicyFile lists the witnesses asked to cosign (Sigsum format).
	WitnessPolicyFile string
	// LogInterval is how often new events are integrated and a checkpoint
	// published.
	LogInterval time.Duration
	// DebugAddr, if set, serves Go's profiler (net/http/pprof) on its own
	// listener, apart from the public HTTP port: profiles show request
	// data, so bind it to loopback.
	DebugAddr string
	// MetricsAddr, if set, serves the Prometheus metrics (GET /metrics) on
	// their own listener. They take no authentication and say how busy
	// the province is, so they are not on the public HTTP port; bind this
	// to loopback or to the monitoring network.
	MetricsAddr string
	// PrincipalRates bounds each principal's calls by its role
	// (ratelimit.ParsePolicy: "", "default", "off", or per role); shared
	// through Redis when RedisAddr is set.
	PrincipalRates string
}

// DefaultWorkingSet is the server's default bound on the in-process
// coordinator: at about 1.4 KB per enterprise with a plan
// (docs/BENCHMARKS.md), 100,000 enterprises are some 140 MB of heap, and an
// enterprise idle for an hour is read again from the store (one small read)
// when next registered.
func DefaultWorkingSet() local.Bound {
	return local.Bound{MaxEnterprises: 100_000, IdleAfter: time.Hour}
}

// AdminTokenFile is where the first administrator's token is kept, readable
// only by the server's user.
const AdminTokenFile = "admin.token"

// Run serves until ctx is cancelled, then stops gracefully.
func Run(ctx context.Context, cfg Config) error {
	if cfg.Server == (Limits{}) {
		cfg.Server = DefaultLimits()
	}
	target, useRedis, err := redisTarget(cfg)
	if err != nil {
		return err
	}
	if err := checkPublicURL(cfg); err != nil {
		return err
	}
	if err := cfg.Lifetimes.Check(); err != nil {
		return err
	}
	if err := cfg.Server.Check(); err != nil {
		return err
	}
	if u, err := url.Parse(cfg.PublicURL); err == nil && cfg.PublicURL != "" {
		cfg.PublicURL = u.String() // the scheme in lower case, as the pages compare it
	}
	var redis *redisconn.Target // nil: coordinate and limit in process
	if useRedis {
		redis = &target
		useSlogForRedis()
	}
	if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
		return fmt.Errorf("data directory: %w", err)
	}
	db, err := openStore(ctx, cfg)
	if err != nil {
		return err
	}
	// A ready file from an earlier start named ports nobody listens on: a
	// script waiting for it (the README's `until [ -s …/ready.json ]`) went
	// on at once after a restart (an operator's trial, 2026-12-07). It goes
	// once the store is ours (a second server on the same data directory
	// stops before, and leaves the running one's file), and again at stop.
	if cfg.ReadyFile != "" {
		if err := os.Remove(cfg.ReadyFile); err != nil && !errors.Is(err, fs.ErrNotExist) {
			db.Close()
			return fmt.Errorf("ready file: %w", err)
		}
	}
	// Tokens and directory records are read through a cache, invalidated
	// on change here and, on PostgreSQL, at every replica.
	cached := cache.New(db, cfg.Cache)
	st := newStoreHealth(cached, db)
	defer func() {
		// A stop on a full disk could not end the write-ahead log with a
		// checkpoint: the log said "stopped" as after a clean stop, and
		// the next start "recovered after a crash" (an operator's trial,
		// 2026-12-06). Nothing is lost; the operator is told why.
		if err := st.Close(); err != nil {
			slog.Warn("store: not closed cleanly; the next start replays what it must", "err", err)
		}
	}()

	glis, err := net.Listen("tcp", cfg.GRPCAddr)
	if err != nil {
		return fmt.Errorf("gRPC listen: %w", err)
	}
	hlis, err := net.Listen("tcp", cfg.HTTPAddr)
	if err != nil {
		glis.Close()
		return fmt.Errorf("HTTP listen: %w", err)
	}
	if cfg.PublicURL == "" {
		scheme := "http://"
		if cfg.TLSCert != "" {
			scheme = "https://"
		}
		cfg.PublicURL = scheme + hlis.Addr().String()
	}

	policies, err := coord.LoadPolicies(cfg.PolicyFile)
	if err != nil {
		return err
	}
	var idp *identity.Provider
	if cfg.OIDCConfig != "" {
		ic, err := identity.Load(cfg.OIDCConfig)
		if err != nil {
			return err
		}
		idp = identity.New(*ic)
		slog.Info("sign-in through the identity provider", "issuer", ic.Issuer)
	}
	if err := logKeyNotLost(ctx, cfg, db); err != nil {
		return err
	}
	logCfg, err := logConfig(cfg)
	if err != nil {
		return err
	}
	// Health says NOT_SERVING while store writes fail (healthStore) and
	// while the store is compacted (ruqi admin compact), as etcd does
	// during a defragmentation.
	hs := health.NewServer()
	var compacting atomic.Bool
	servingStatus := func(healthy bool) {
		if healthy && !compacting.Load() {
			hs.SetServingStatus("", healthpb.HealthCheckResponse_SERVING)
		} else {
			hs.SetServingStatus("", healthpb.HealthCheckResponse_NOT_SERVING)
		}
	}
	maintenance := func(active bool) {
		compacting.Store(active)
		servingStatus(st.Err() == nil)
	}
	var (
		held *local.Coordinator // the in-process coordinator, for /metrics
		rc   *reconnectingRedis // the Redis one, which follows the store's head
	)
	svc, err := service.New(ctx, st, service.Config{Limits: cfg.Limits, PublicURL: cfg.PublicURL, Policies: policies, Identity: idp, Lifetimes: cfg.Lifetimes, Log: logCfg, ConfirmWithin: cfg.ConfirmWithin, Maintenance: maintenance}, newCoordinator(cfg, redis, &held, &rc))
	if err != nil {
		return err
	}
	defer svc.Close()
	if rc != nil {
		// Before any decision: states of plans a restored store no longer
		// holds are dropped (coordredis.Coordinator.FollowStore).
		// A log with no event yet is not reported (it names no log): on
		// PostgreSQL the events this start wrote are sequenced by another
		// goroutine, so wait for them, or a second store started meanwhile
		// would take the Redis first.
		awaitFirstEvent(ctx, st, 10*time.Second)
		if err := followStore(ctx, rc, st, nil); errors.Is(err, coord.ErrAnotherStore) {
			return fmt.Errorf("%w: %s", err, anotherStoreAdvice(redis.String()))
		}
		defer followStore(context.WithoutCancel(ctx), rc, st, nil) // the head at a clean stop
	}
	// A cancellation interrupted between its two writes is finished before
	// serving; if the store cannot do it now, a retried cancellation or the
	// next start will.
	if err := svc.FinishWithdrawals(ctx); err != nil {
		slog.ErrorContext(ctx, "finish interrupted cancellations", "err", err)
	}
	tokenPath, err := ensureAdminToken(ctx, svc, cfg.DataDir)
	if err != nil {
		return err
	}

	var tlsOpts []grpc.ServerOption
	if cfg.TLSCert != "" || cfg.TLSKey != "" {
		creds, err := credentials.NewServerTLSFromFile(cfg.TLSCert, cfg.TLSKey)
		if err != nil {
			return fmt.Errorf("TLS: %w", err)
		}
		tlsOpts = append(tlsOpts, grpc.Creds(creds))
	}
	// Metrics come first in the chain so that they see the status the
	// caller sees, including refusals by auth and recovered panics.
	metrics := web.NewMetrics()
	if st, ok := store.As[interface{ Stats() store.Stats }](db); ok {
		_, oneWriter := store.As[*bolt.Store](db)
		metrics.ObserveStore(st.Stats, oneWriter)
	}
	if seq, ok := store.As[interface{ Sequencing() bool }](db); ok {
		metrics.ObserveSequencing(seq.Sequencing)
	}
	metrics.ObserveStoreHealth(st.Metrics)
	metrics.ObserveCache(func() (uint64, uint64, uint64, int) {
		c := cached.Stats()
		return c.Hits, c.Misses, c.Invalidations, c.Entries
	})
	if held != nil {
		metrics.ObserveWorkingSet(func() (int, uint64) {
			s := held.Stats()
			return s.Enterprises, s.Evictions
		})
	}
	if rc != nil {
		metrics.ObserveRedis(rc.Reachable)
	}
	// Admission comes before authentication: an overloaded server refuses
	// at once rather than spending a token lookup on a call it will shed.
	// The principal's rate comes after it: it needs the principal.
	adm := newAdmission(cfg.Server.MaxInFlight, cfg.Server.QueueWait)
	rates, closeRates, err := newPrincipalRates(cfg, redis)
	if err != nil {
		return err
	}
	defer closeRates()
	metrics.ObserveRates(func() (uint64, uint64) { return rates.refused.Load(), rates.unchecked.Load() })
	grpcOpts := append(grpcLimitOptions(cfg.Server),
		grpc.ForceServerCodecV2(newRequestCodec()),
		grpc.ChainUnaryInterceptor(metrics.UnaryServerInterceptor, refuseNotUTF8Unary, recoverUnary, adm.unary, logUnary, auth.UnaryInterceptor(svc.LookupToken), rates.unary, normalizeUnary),
		grpc.ChainStreamInterceptor(metrics.StreamServerInterceptor, refuseNotUTF8Stream, recoverStream, adm.stream, auth.StreamInterceptor(svc.LookupToken), rates.stream),
	)
	gs := grpc.NewServer(append(tlsOpts, grpcOpts...)...)
	svc.Register(gs)
	healthpb.RegisterHealthServer(gs, hs)
	st.notify(servingStatus)
	servingStatus(st.Err() == nil)
	reflection.Register(gs)

	// The web pages call the same API in process, through the same
	// interceptors, with the signed-in user's token (no TLS: nothing
	// leaves the process). Stopped after the HTTP server, by the defer.
	webAPI, stopWebAPI, err := web.InProcess(svc.Register, grpcOpts...)
	if err != nil {
		return err
	}
	defer stopWebAPI()
	httpSrv := &http.Server{Handler: web.Handler(web.Config{Keys: svc.PublicKeys, API: webAPI, ClockLeeway: cfg.Limits.ClockLeeway,
		LogKey: logCfg.Key, WitnessPolicy: string(logCfg.WitnessPolicy), Identity: idp, PublicURL: cfg.PublicURL, Health: httpHealth(st.Err, &compacting), Notice: notices(svc.Notice, rc)}),
		// Slow or idle clients must not hold connections forever.
		ReadHeaderTimeout: 5 * time.Second, ReadTimeout: 30 * time.Second, WriteTimeout: 60 * time.Second,
		IdleTimeout: httpIdleTimeout(cfg.Server.IdleTimeout), MaxHeaderBytes: 64 << 10}

	logCtx, stopLog := context.WithCancel(ctx)
	defer stopLog()
	logFailed := &quietRepeats{msg: "Merkle log: integration or witnessing failed"}
	go svc.RunLog(logCtx, cfg.LogInterval, logFailed.report)
	// Replicas share the key ring through the store: a rotation at one is
	// used and published by the others within this interval.
	// A 拼团 proposal whose last answer was taken by a server that stopped
	// before registering it is settled at start and then hourly.
	go svc.RunProposalSettling(logCtx, time.Hour, func(err error) { slog.Warn("settling answered 拼团 proposals failed", "err", err) })
	go svc.RunStartPruning(logCtx, time.Hour, func(err error) { slog.Warn("pruning the report's start counts failed", "err", err) })
	go svc.RunTokenPruning(logCtx, 24*time.Hour, func(err error) { slog.Warn("deleting the records of ended sign-ins failed", "err", err) })
	go svc.RunKeyRefresh(logCtx, 5*time.Second, func(err error) { slog.Warn("reloading the signing keys from the store failed", "err", err) })
	if rc != nil {
		go func() {
			t := time.NewTicker(followStoreEvery)
			defer t.Stop()
			var last error
			for {
				select {
				case <-logCtx.Done():
					return
				case <-t.C:
					last = followStore(logCtx, rc, st, last)
					// Whether Redis answers, for /healthz and /metrics
					// while no registration asks it.
					pingCtx, cancel := context.WithTimeout(logCtx, 5*time.Second)
					_ = rc.Ping(pingCtx)
					cancel()
				}
			}
		}()
	}

	errc := make(chan error, 2)
	if cfg.DebugAddr != "" {
		dlis, err := net.Listen("tcp", cfg.DebugAddr)
		if err != nil {
			return fmt.Errorf("debug listener: %w", err)
		}
		if ap, err := netip.ParseAddrPort(dlis.Addr().String()); err != nil || !ap.Addr().IsLoopback() {
			slog.Warn("the profiler is reachable beyond this host and takes no authentication: bind -debug-addr to 127.0.0.1", "debug_addr", dlis.Addr().String())
		}
		dsrv := &http.Server{Handler: debugHandler(), ReadHeaderTimeout: 5 * time.Second}
		defer dsrv.Close()
		slog.Info("profiler listening", "debug_addr", dlis.Addr().String())
		go func() {
			if err := dsrv.Serve(dlis); !errors.Is(err, http.ErrServerClosed) {
				slog.Warn("the profiler's listener stopped", "err", err)
			}
		}()
	}
	metricsAddr := ""
	if cfg.MetricsAddr != "" {
		mlis, err := net.Listen("tcp", cfg.MetricsAddr)
		if err != nil {
			return fmt.Errorf("metrics listener: %w", err)
		}
		mux := http.NewServeMux()
		mux.Handle("GET /metrics", metrics.Handler())
		msrv := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
		defer msrv.Close()
		metricsAddr = mlis.Addr().String()
		go func() {
			if err := msrv.Serve(mlis); !errors.Is(err, http.ErrServerClosed) {
				slog.Warn("the metrics listener stopped", "err", err)
			}
		}()
	}
	go func() { errc <- gs.Serve(glis) }()
	go func() {
		serveHTTP := func() error { return httpSrv.Serve(hlis) }
		if len(tlsOpts) > 0 {
			serveHTTP = func() error { return httpSrv.ServeTLS(hlis, cfg.TLSCert, cfg.TLSKey) }
		}
		if err := serveHTTP(); !errors.Is(err, http.ErrServerClosed) {
			errc <- err
		}
	}()
	slog.Info("ruqi server ready", "grpc", glis.Addr().String(), "http", hlis.Addr().String(), "metrics", metricsAddr,
		"data_dir", cfg.DataDir, "public_url", cfg.PublicURL, "admin_token_file", tokenPath,
		"version", buildinfo.Short(), "store_format", storeFormat(db))
	if cfg.ReadyFile != "" {
		if err := writeReadyFile(cfg.ReadyFile, Ready{GRPCAddr: glis.Addr().String(), HTTPAddr: hlis.Addr().String(), MetricsAddr: metricsAddr, AdminTokenFile: tokenPath}); err != nil {
			gs.Stop()
			return err
		}
		defer os.Remove(cfg.ReadyFile)
	}

	select {
	case <-ctx.Done():
	case err := <-errc:
		gs.Stop()
		return err
	}
	slog.Info("stopping: finishing calls in flight")
	hs.Shutdown()
	stopped := make(chan struct{})
	go func() { gs.GracefulStop(); close(stopped) }()
	select {
	case <-stopped:
	case <-time.After(10 * time.Second):
		gs.Stop()
	}
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = httpSrv.Shutdown(shutdownCtx)
	stopLog()
	if err := svc.FinishLog(shutdownCtx); err != nil {
		slog.Warn("Merkle log: the last integration before stopping failed; the next start integrates what is left", "err", err)
	}
	slog.Info("stopped")
	return nil
}

// notices joins the lines /healthz adds to its "ok": the service's, and
// the Redis coordinator's when there is one.
func notices(service func() string, rc *reconnectingRedis) func() string {
	return func() string {
		var lines []string
		for _, n := range []string{service(), rc.notice()} {
			if n != "" {
				lines = append(lines, n)
			}
		}
		return strings.Join(lines, "\n")
	}
}

// followStoreEvery is how often a replica tells Redis how far the store's
// log reaches: a restore is found at the next start, whatever the replicas
// last reported, unless the backup was taken within this interval of their
// stop (and then at a clean stop, which reports too, it lost nothing).
const followStoreEvery = 5 * time.Second

// followStore reports the store's head to Redis, which drops the
// enterprises' states if the store's log is not the one it followed (a
// restore); an error is logged: Redis down is waited out, and the next
// report tries again. A Redis that follows another store's log is logged
// as an error when first found (last is what the previous report
// returned) and registration refuses until it is this store's again.
func followStore(ctx context.Context, rc *reconnectingRedis, st store.Store, last error) error {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	n, err := rc.FollowStore(ctx, storeLog{st})
	switch {
	case errors.Is(err, coord.ErrAnotherStore):
		if !errors.Is(last, coord.ErrAnotherStore) {
			slog.ErrorContext(ctx, "Redis follows another store's event log: registration refuses (REDIS_OF_ANOTHER_STORE) until it is this store's alone", "err", err)
		}
	case errors.Is(err, coord.ErrUnavailable):
		// Said once at each change by the coordinator (reconnectingRedis),
		// not every 5 s (an operator's trial, 2026-12-07).
	case err != nil:
		slog.WarnContext(ctx, "tell Redis the store's head", "err", err)
	case errors.Is(last, coord.ErrAnotherStore):
		slog.InfoContext(ctx, "Redis follows this store's event log again: registration resumes")
	}
	if n > 0 {
		slog.WarnContext(ctx, "the store's event log is not the one Redis followed (restored from a backup?): the coordinator's states were dropped, and each enterprise is seeded again from the store", "keys", n)
	}
	return err
}

// anotherStoreAdvice says what an operator does about a Redis that
// coordinates another store.
func anotherStoreAdvice(addr string) string {
	return fmt.Sprintf("the Redis at %s coordinates another store (its first event differs from this store's): "+
		"give each store a Redis of its own; if the other store is gone for good, remove its keys "+
		"(redis-cli -h HOST -p PORT --scan --pattern 'ruqi:*' | xargs -r redis-cli -h HOST -p PORT unlink; "+
		"with --askpass, or --user USER --askpass, for a Redis with a password, and --tls for rediss://) and start again", addr)
}

// awaitFirstEvent waits, at most for limit, until the store's log holds an
// event.
func awaitFirstEvent(ctx context.Context, st store.Store, limit time.Duration) {
	ctx, cancel := context.WithTimeout(ctx, limit)
	defer cancel()
	for {
		if seq, _, err := (storeLog{st}).Head(ctx); err == nil && seq > 0 {
			return
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// storeLog is coordredis.StoreLog over the store.
type storeLog struct{ st store.Store }

func (l storeLog) Head(ctx context.Context) (seq uint64, hash []byte, err error) {
	err = l.st.View(ctx, func(r store.Reader) error {
		seq, hash, err = r.Head()
		return err
	})
	return seq, hash, err
}

func (l storeLog) HashAt(ctx context.Context, seq uint64) (hash []byte, err error) {
	if seq == 0 {
		return nil, nil
	}
	err = l.st.View(ctx, func(r store.Reader) error {
		hash = nil
		return r.Events(seq-1, func(e *ruqiv1.Event) error {
			if e.GetSeq() == seq {
				hash = e.GetHash()
			}
			return store.ErrStop
		})
	})
	return hash, err
}

// debugHandler is net/http/pprof's handlers on a mux of their own, so that
// nothing else is served on the debug listener and the profiler is never
// reachable through the public one. Not /debug/pprof/cmdline: the command
// line can hold a PostgreSQL URL with its password.
func debugHandler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	return mux
}

// ensureAdminToken creates the administrator token file on a new data
// directory and registers its hash; on later starts it re-registers the
// file's token, so a lost database does not lock the administrator out. A
// file that exists but is empty or unreadable (a crash before its data
// reached the disk, a wrong owner) stops the start: registering the hash of
// an empty token would make a blank bearer token an administrator.
func ensureAdminToken(ctx context.Context, svc *service.Service, dataDir string) (string, error) {
	path := filepath.Join(dataDir, AdminTokenFile)
	raw, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		tok, _, _, err := auth.NewToken()
		if err != nil {
			return "", err
		}
		if err := durable.WriteFile(path, []byte(tok+"\n"), 0o600); err != nil {
			return "", fmt.Errorf("write admin token: %w", err)
		}
		raw = []byte(tok)
	} else if err != nil {
		return "", fmt.Errorf("read admin token %s: %w (fix its permissions, or remove it to have a new token created)", path, err)
	}
	tok := strings.TrimSpace(string(raw))
	if tok == "" {
		return "", fmt.Errorf("admin token file %s is empty (a crash while it was written?): remove it to have a new token created; the server will not start with an empty administrator token", path)
	}
	where, err := filepath.Abs(dataDir)
	if err != nil {
		where = dataDir
	}
	host, _ := os.Hostname()
	return path, svc.EnsureAdminTokenDescribed(ctx, tok, fmt.Sprintf("数据目录 %s 的管理员令牌（主机 %s）", where, host))
}

// newCoordinator chooses the coordinator: Redis when redis is given, in
// process on the embedded default. A Redis that is down at start is
// reported, not fatal: scanning works without it, and registration resumes
// when it answers. A Redis that answers but refuses the server's login (no
// password, a wrong one) stops the start: that is the configuration, which
// no waiting mends, and a server started on it was ready and answered every
// registration COORDINATOR_UNAVAILABLE (an operator's trial). The
// in-process one is also stored in *held.
func newCoordinator(cfg Config, redis *redisconn.Target, held **local.Coordinator, rc **reconnectingRedis) func(coord.Seeder) (coord.Coordinator, error) {
	return func(seed coord.Seeder) (coord.Coordinator, error) {
		if redis == nil {
			ws := cfg.WorkingSet
			if isPostgresURL(cfg.Store) {
				// Other servers may share this store: every seed raises
				// its fence (local.Bound.SharedStore).
				ws.SharedStore = true
				slog.Warn("coordinator: in process on a PostgreSQL store, which is right for one server only: replicas sharing this store must each be given the same -redis-addr (one without it beside them is kept from breaking caps by the store's fence, at the cost of decisions taken again)")
			}
			*held = local.NewBounded(seed, ws)
			return *held, nil
		}
		c := newReconnectingRedis(func() *coordredis.Coordinator { return coordredis.Open(*redis, seed) })
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		// The address logged is redis's String: never the password.
		if err := c.Ping(ctx); redis.Refusal(err) != nil {
			_ = c.Close()
			return nil, redis.Refusal(err)
		} else if err == nil {
			slog.Info("Redis coordinator", "addr", redis.String(), "password", redis.HasPassword(), "tls", redis.TLS())
		}
		*rc = c
		return c, nil
	}
}

// Ready is the content of the ready file.
type Ready struct {
	GRPCAddr       string `json:"grpc_addr"`
	HTTPAddr       string `json:"http_addr"`
	MetricsAddr    string `json:"metrics_addr,omitempty"`
	AdminTokenFile string `json:"admin_token_file"`
}

// writeReadyFile writes atomically, so a reader never sees half a file.
func writeReadyFile(path string, r Ready) error {
	b, err := json.Marshal(r)
	if err != nil {
		return err
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, b, 0o600); err != nil {
		return fmt.Errorf("ready file: %w", err)
	}
	return os.Rename(tmp, path)
}

// httpHealth is what /healthz answers: 503 while store writes fail and
// while the store is compacted, as gRPC health says NOT_SERVING then. It
// said 200 during a compaction, whose writes wait (2.3 s in a trial), so a
// load balancer checking HTTP kept sending traffic (an operator's trial,
// 2026-12-07).
func httpHealth(storeErr func() error, compacting *atomic.Bool) func() error {
	return func() error {
		// The store's error first: a compaction that left the store
		// unusable is still "compacting" (a review, 2026-12-07).
		if err := storeErr(); err != nil {
			return err
		}
		if compacting.Load() {
			return errors.New("the store is being compacted (ruqi admin compact); writes wait until it ends")
		}
		return nil
	}
}

// normalizeUnary reads identifiers the way people type them (trimmed,
// half-width, upper-case) before any handler sees them: the rule is
// domain.NormalizeRequest, applied here once for every method. A request
// holding what no client should send (a NUL, a time out of range, a number
// no enumeration value has) is refused first (domain.ValidateRequest).
func normalizeUnary(ctx context.Context, req any, info *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
	if m, ok := req.(proto.Message); ok {
		if err := domain.ValidateRequest(m); err != nil {
			return nil, service.Status(ctx, err)
		}
		domain.NormalizeRequest(m)
	}
	return handler(ctx, req)
}

// recoverUnary turns a panic into Internal and logs the stack, so that one bad
// request does not take the server down.
func recoverUnary(ctx context.Context, req any, info *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (resp any, err error) {
	defer func() {
		if r := recover(); r != nil {
			slog.ErrorContext(ctx, "panic in handler", "method", info.FullMethod, "panic", r, "stack", string(debug.Stack()))
			err = status.Error(codes.Internal, "服务器内部错误，已记录，请稍后重试或联系管理员")
		}
	}()
	return handler(ctx, req)
}

// recoverStream is recoverUnary for the streaming calls (the directory's
// import, the backup): they had none, so a panic in one, or in a store
// function the writer raises again in its caller, took the server down (a
// trial of bad input, 2026-12-07, found no such panic, only no recovery).
func recoverStream(srv any, ss grpc.ServerStream, info *grpc.StreamServerInfo, handler grpc.StreamHandler) (err error) {
	defer func() {
		if r := recover(); r != nil {
			slog.ErrorContext(ss.Context(), "panic in handler", "method", info.FullMethod, "panic", r, "stack", string(debug.Stack()))
			err = status.Error(codes.Internal, "服务器内部错误，已记录，请稍后重试或联系管理员")
		}
	}()
	return handler(srv, ss)
}

func logUnary(ctx context.Context, req any, info *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
	start := time.Now()
	ctx, caller := auth.WithCallerSlot(ctx)
	resp, err := handler(ctx, req)
	code := status.Code(err)
	level := slog.LevelDebug
	if code != codes.OK {
		level = slog.LevelInfo
	}
	if code == codes.Internal || code == codes.Unknown {
		level = slog.LevelError
	}
	attrs := []any{"method", info.FullMethod, "code", code.String(), "took", time.Since(start)}
	if p, ok := caller(); ok {
		attrs = append(attrs, "caller", p.String())
	}
	slog.Log(ctx, level, "rpc", attrs...)
	return resp, err
}

// logKeyFile is where the log's key is read from, or created.
func logKeyFile(cfg Config) string {
	if cfg.LogKeyFile != "" {
		return cfg.LogKeyFile
	}
	return filepath.Join(cfg.DataDir, "log.key")
}

// logKeyNotLost refuses to start when the log key file is missing and the
// store's log already has a signed checkpoint: logConfig would make a new
// key there, which the checkpoints then refuse, and the new file stayed,
// so that every later start refused alike without a word of the key that
// was missing (an operator's trial, 2026-12-06).
func logKeyNotLost(ctx context.Context, cfg Config, st store.Store) error {
	path := logKeyFile(cfg)
	if _, err := os.Stat(path); !errors.Is(err, fs.ErrNotExist) {
		return nil // there, or unreadable: logConfig says which
	}
	return st.View(ctx, func(r store.Reader) error {
		size, signed, err := r.LatestCheckpoint()
		if err != nil || signed == nil {
			return err
		}
		origin, _, _ := strings.Cut(string(signed), "\n")
		return fmt.Errorf("the Merkle log key file %s is missing, but the store's log %s has a signed checkpoint (size %d): "+
			"copy that log's log.key back from where it was kept (README, \"Backup and restore\"); a new key would start another log, which the store's checkpoints refuse", path, origin, size)
	})
}

// logConfig loads (or, on a new data directory, creates) the log's key and
// reads the witness policy.
func logConfig(cfg Config) (service.LogConfig, error) {
	path := logKeyFile(cfg)
	origin := cfg.LogOrigin
	if origin == "" {
		u, err := url.Parse(cfg.PublicURL)
		if err != nil || u.Host == "" {
			return service.LogConfig{}, fmt.Errorf("log origin: cannot derive it from public URL %q; set -log-origin", cfg.PublicURL)
		}
		origin = u.Host + "/log"
	}
	skey, vkey, err := tlog.LoadOrCreateKey(path, origin)
	if err != nil {
		return service.LogConfig{}, fmt.Errorf("the Merkle log key: %w", err)
	}
	if fi, err := os.Stat(path); err == nil && fi.Mode().Perm()&0o077 != 0 {
		// Whoever reads the key signs checkpoints as the log (a split
		// view for the enterprises' receipts): like ssh with a private
		// key, say so, though the start goes on, as a copy put back
		// from a backup often has the wrong mode (an operator's trial,
		// 2026-12-06: a 0644 key started without a word).
		slog.Warn("the Merkle log key file is open to others than the server's user (its group or everyone has a permission on it): chmod 600 it", "file", path, "mode", fi.Mode().Perm().String())
	}
	// The key names the log (a verifier key is "name+hash+key"), and every
	// checkpoint and witness cosignature carries the name: it cannot change.
	// A -log-origin other than the name of the log in the key file was
	// ignored without a word.
	if name, _, _ := strings.Cut(vkey, "+"); cfg.LogOrigin != "" && cfg.LogOrigin != name {
		return service.LogConfig{}, fmt.Errorf("-log-origin %s: the log in %s is named %s, and a log's name cannot change "+
			"(its checkpoints, receipts and witnesses carry it): leave -log-origin out, or give %s", cfg.LogOrigin, path, name, name)
	}
	l, err := tlog.New(skey)
	if err != nil {
		return service.LogConfig{}, err
	}
	out := service.LogConfig{Log: l, Key: vkey}
	if cfg.WitnessPolicyFile != "" {
		if out.WitnessPolicy, err = os.ReadFile(cfg.WitnessPolicyFile); err != nil {
			return service.LogConfig{}, fmt.Errorf("witness policy: %w", err)
		}
	}
	if cfg.LogInterval <= 0 {
		return service.LogConfig{}, errors.New("-log-interval must be positive")
	}
	return out, nil
}
