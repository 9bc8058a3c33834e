package web

import (
	"context"
	"net/http"
	"regexp"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/ruqi/ruqi/internal/store"
	ruqiv1 "github.com/ruqi/ruqi/proto/ruqi/v1"
)

// Metrics counts what the server does, for Prometheus at GET /metrics.
//
// Everything is counted by gRPC interceptors that look only at the method,
// the response and the status code. The service stays untouched, and a
// registration made from the CLI, a scan made from the verify page and a
// refusal made through the API are counted alike, because the web pages
// call the same API in process (see InProcess).
//
// The metrics live in their own registry rather than Prometheus' global
// one, so that several servers in one test process do not collide.
type Metrics struct {
	reg *prometheus.Registry

	requests      *prometheus.CounterVec   // service, method, code
	latency       *prometheus.HistogramVec // service, method
	registrations *prometheus.CounterVec   // outcome
	warnings      prometheus.Counter
	scans         *prometheus.CounterVec // verdict
	refusals      *prometheus.CounterVec // phase
}

// Registration outcomes as the API reports them.
const (
	outcomeAccepted  = "accepted"  // registered as a visit of its own
	outcomeJoined    = "joined"    // merged into a joint inspection (综合查一次)
	outcomeDuplicate = "duplicate" // AlreadyExists: same agency, overlapping its own plan
	outcomeCapped    = "capped"    // ResourceExhausted: over a frequency cap (无事不扰)
	// outcomeUnavailable is Unavailable: the coordinator (Redis) or the
	// store could not be reached, or replicas or Redis are not in step
	// (POLICY_DIFFERS, REDIS_OF_ANOTHER_STORE), which an administrator
	// mends. It was counted as rejected, so that an outage showed on a
	// dashboard as a surge of bad requests (an operator's trial,
	// 2026-12-07).
	outcomeUnavailable = "unavailable"
	outcomeRejected    = "rejected" // any other error: invalid, not allowed
)

// NewMetrics creates the collectors, with Go runtime and process metrics.
func NewMetrics() *Metrics {
	m := &Metrics{reg: prometheus.NewRegistry()}
	m.requests = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "ruqi_grpc_requests_total",
		Help: "gRPC calls handled, by service, method and status code.",
	}, []string{"service", "method", "code"})
	m.latency = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name: "ruqi_grpc_request_duration_seconds",
		Help: "Time to handle a gRPC call, by service and method.",
		// From a cached read (~0.1 ms) to a slow batch commit under load.
		Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5},
	}, []string{"service", "method"})
	m.registrations = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "ruqi_registrations_total",
		Help: "Inspection registrations (报备) by outcome: accepted, joined (综合查一次), duplicate, capped (无事不扰), unavailable (UNAVAILABLE: Redis or the store not reached, or replicas or Redis not in step; /healthz and the log say which), rejected. A retry with the same request_id counts again.",
	}, []string{"outcome"})
	m.warnings = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "ruqi_frequency_warnings_total",
		Help: "Frequency warnings returned with accepted registrations.",
	})
	m.scans = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "ruqi_scans_total",
		Help: "Codes scanned by enterprises (扫码核验), by verdict; malformed for text that is not a code.",
	}, []string{"verdict"})
	m.refusals = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "ruqi_refusals_total",
		Help: "Inspections refused by enterprises, by phase: enforced, or advisory in a region's trial phase (试运行).",
	}, []string{"phase"})
	m.reg.MustRegister(m.requests, m.latency, m.registrations, m.warnings, m.scans, m.refusals,
		// The Go heap from runtime/metrics beside the usual go_memstats_*:
		// the live heap after the last GC (go_gc_heap_live_bytes), the heap
		// objects now (go_memory_classes_heap_objects_bytes) and the
		// GOMEMLIMIT in force (go_gc_gomemlimit_bytes), for the server's
		// memory budget (docs/ARCHITECTURE.md, "Memory").
		collectors.NewGoCollector(collectors.WithGoCollectorRuntimeMetrics(collectors.GoRuntimeMetricsRule{
			Matcher: regexp.MustCompile(`^/gc/heap/live:bytes$|^/memory/classes/heap/objects:bytes$|^/gc/gomemlimit:bytes$`)})),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))

	// Every label value exists from the start, so that rate() and alerts
	// see a zero rather than no series before the first event.
	for _, o := range []string{outcomeAccepted, outcomeJoined, outcomeDuplicate, outcomeCapped, outcomeUnavailable, outcomeRejected} {
		m.registrations.WithLabelValues(o)
	}
	for v := range ruqiv1.Verdict_name {
		if v != 0 {
			m.scans.WithLabelValues(verdictLabel(ruqiv1.Verdict(v)))
		}
	}
	m.scans.WithLabelValues("malformed")
	m.refusals.WithLabelValues("enforced")
	m.refusals.WithLabelValues("advisory")
	return m
}

// ObserveStore publishes the store's counters, read at each scrape:
// commits, the writes they carried and fsyncs, so that writes per commit
// and registrations per fsync are
//
//	rate(ruqi_store_writes_total[1m]) / rate(ruqi_store_commits_total[1m])
//	sum(rate(ruqi_registrations_total[1m])) / rate(ruqi_store_fsyncs_total[1m])
//
// and the file's size per registered plan (登记的检查), which tells when a
// compaction (ruqi admin compact) is worth it. The one writer's, the log's
// and the pages' counters are bbolt's (oneWriter): on PostgreSQL they were
// exported as 0, which read as a store that never synced (a trial of the
// replicas, 2026-12-07).
func (m *Metrics) ObserveStore(read func() store.Stats, oneWriter bool) {
	counter := func(name, help string, v func(store.Stats) uint64) prometheus.Collector {
		return prometheus.NewCounterFunc(prometheus.CounterOpts{Name: name, Help: help}, func() float64 { return float64(v(read())) })
	}
	gauge := func(name, help string, v func(store.Stats) float64) prometheus.Collector {
		return prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: name, Help: help}, func() float64 { return v(read()) })
	}
	m.reg.MustRegister(
		counter("ruqi_store_commits_total", "Store transactions committed.", func(s store.Stats) uint64 { return s.Commits }),
		counter("ruqi_store_writes_total", "Store writes (one per service call that writes) carried by the committed transactions.", func(s store.Stats) uint64 { return s.Writes }),
		counter("ruqi_store_rollbacks_total", "Store transactions rolled back because one write failed; the others are retried without it.", func(s store.Stats) uint64 { return s.Rollbacks }),
		gauge("ruqi_store_file_bytes", "Size of the store: the bbolt file, or on PostgreSQL ruqi's tables with their indexes (measured at most every 30 s).", func(s store.Stats) float64 { return float64(s.FileBytes) }),
		gauge("ruqi_store_plans", "Inspections (plans) registered in the store, cancelled ones included (on PostgreSQL, above 100,000, its estimate of the rows: measured at most every 30 s).", func(s store.Stats) float64 { return float64(s.Plans) }),
		gauge("ruqi_store_bytes_per_plan", "Size of the store (ruqi_store_file_bytes) divided by the plans in it (0 before the first).", func(s store.Stats) float64 {
			if s.Plans == 0 {
				return 0
			}
			return float64(s.FileBytes) / float64(s.Plans)
		}),
	)
	if !oneWriter {
		return
	}
	m.reg.MustRegister(
		counter("ruqi_store_fsyncs_total", "fsyncs of the store (bbolt with its write-ahead log: one per commit, two per checkpoint; in the direct mode two per commit, one more when the file grows).", func(s store.Stats) uint64 { return s.Syncs }),
		counter("ruqi_store_checkpoints_total", "Checkpoints of bbolt's write-ahead log: the file synced and its state recorded, after which older log segments are deleted.", func(s store.Stats) uint64 { return s.Checkpoints }),
		counter("ruqi_store_wal_bytes_total", "Bytes appended to bbolt's write-ahead log (each commit's changes, and the checkpoints).", func(s store.Stats) uint64 { return uint64(s.WALBytes) }),
		prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "ruqi_store_writer_busy_seconds_total",
			Help: "Time the store's one writer (bbolt) spent committing, fsyncs included; its rate near 1 means every write waits for it."},
			func() float64 { return read().WriterBusy.Seconds() }),
		prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "ruqi_store_writer_commit_seconds_total",
			Help: "The part of ruqi_store_writer_busy_seconds_total spent in the commit proper, after the writes' functions ran (bbolt: splitting nodes, writing pages, fsyncs)."},
			func() float64 { return read().WriterCommit.Seconds() }),
		counter("ruqi_store_pages_written_total", "Page writes of the store's commits (bbolt: one per page with its overflow pages, and one for the meta page); per write, what a write costs the disk.", func(s store.Stats) uint64 { return s.PagesWritten }),
	)
}

// ObserveSequencing exports whether this replica sequences the shared
// store's event log (holds the sequencer's lock on PostgreSQL): which
// replica did could be found only from pg_locks (a trial of the replicas,
// 2026-12-07).
func (m *Metrics) ObserveSequencing(sequencing func() bool) {
	m.reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "ruqi_log_sequencing",
		Help: "1 while this replica sequences the shared store's event log and builds its Merkle log (holds the sequencer's lock on PostgreSQL), 0 otherwise; exactly one replica should say 1."},
		func() float64 {
			if sequencing() {
				return 1
			}
			return 0
		}))
}

// ObserveWorkingSet publishes the in-process coordinator's working set, read
// at each scrape: the enterprises it holds and how many its bound has
// forgotten (each is read again from the store at its next registration),
// so that an eviction rate close to the registration rate says the bound
// (-coord-max-enterprises, -coord-idle) is too small for the load.
// ObserveStoreHealth exports whether storage accepts writes (the server's
// health apart from the network) and the commits that failed on storage:
// a full disk or a database out of reach shows here, not only as
// UNAVAILABLE answers.
func (m *Metrics) ObserveStoreHealth(read func() (writable bool, failures uint64)) {
	m.reg.MustRegister(
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "ruqi_store_writable", Help: "1 while storage accepts writes, 0 while commits fail on it (disk full, read-only, database out of reach): the server is NOT_SERVING meanwhile."}, func() float64 {
			if ok, _ := read(); ok {
				return 1
			}
			return 0
		}),
		prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "ruqi_store_write_failures_total", Help: "Commits that failed on storage, not on a refusal of the call itself."}, func() float64 {
			_, n := read()
			return float64(n)
		}),
	)
}

// ObserveRedis exports whether the Redis coordinator answers and whether
// it follows this store's log: while either is 0 registration answers
// UNAVAILABLE and the rest goes on, so health stays SERVING and only these
// (and /healthz's line) say why no plan is registered.
func (m *Metrics) ObserveRedis(read func() (reachable, ownStore bool)) {
	gauge := func(name, help string, v func(reachable, own bool) bool) prometheus.Collector {
		return prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: name, Help: help}, func() float64 {
			if v(read()) {
				return 1
			}
			return 0
		})
	}
	m.reg.MustRegister(
		gauge("ruqi_redis_reachable", "1 while the Redis coordinator answers (as of the last call, at most 5 s old), 0 while registration answers UNAVAILABLE for want of it.",
			func(reachable, _ bool) bool { return reachable }),
		gauge("ruqi_redis_follows_this_store", "1 while the Redis coordinator follows this store's event log, 0 while it follows another store's and registration refuses (REDIS_OF_ANOTHER_STORE).",
			func(_, own bool) bool { return own }),
	)
}

func (m *Metrics) ObserveWorkingSet(read func() (enterprises int, evictions uint64)) {
	m.reg.MustRegister(
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "ruqi_coord_enterprises", Help: "Enterprises the in-process coordinator holds in memory."}, func() float64 {
			n, _ := read()
			return float64(n)
		}),
		prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "ruqi_coord_evictions_total", Help: "Enterprises the in-process coordinator forgot to stay within its bound; each is seeded again from the store when next needed."}, func() float64 {
			_, e := read()
			return float64(e)
		}),
	)
}

// ObserveCache publishes the read cache's counters (internal/store/cache),
// read at each scrape: hits against misses say whether -cache-size holds
// the working set; invalidations count records dropped because they changed.
func (m *Metrics) ObserveCache(read func() (hits, misses, invalidations uint64, entries int)) {
	counter := func(name, help string, v func() float64) prometheus.Collector {
		return prometheus.NewCounterFunc(prometheus.CounterOpts{Name: name, Help: help}, v)
	}
	m.reg.MustRegister(
		counter("ruqi_cache_hits_total", "Reads of tokens and directory records served from the read cache.", func() float64 { h, _, _, _ := read(); return float64(h) }),
		counter("ruqi_cache_misses_total", "Reads of tokens and directory records the read cache sent to the store.", func() float64 { _, ms, _, _ := read(); return float64(ms) }),
		counter("ruqi_cache_invalidations_total", "Records dropped from the read cache because they changed (here or at another replica).", func() float64 { _, _, i, _ := read(); return float64(i) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "ruqi_cache_entries", Help: "Records held by the read cache."}, func() float64 { _, _, _, n := read(); return float64(n) }),
	)
}

// ObserveRates publishes the principal rate limit's counters: calls it
// refused (RESOURCE_EXHAUSTED, RATE_LIMITED) and calls it let through
// unchecked because the limiter (Redis) did not answer.
func (m *Metrics) ObserveRates(read func() (refused, unchecked uint64)) {
	m.reg.MustRegister(
		prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "ruqi_rate_limited_total", Help: "Calls refused because their principal went over its role's rate (-principal-rates)."}, func() float64 {
			r, _ := read()
			return float64(r)
		}),
		prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "ruqi_rate_unchecked_total", Help: "Calls let through without a rate check because the limiter did not answer."}, func() float64 {
			_, u := read()
			return float64(u)
		}),
	)
}

// Handler serves the metrics in the Prometheus text format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{})
}

// UnaryServerInterceptor counts every unary call. It belongs first in the
// chain, so that it sees the status the caller sees, including calls the
// auth interceptor refuses and panics the recovery turns into Internal.
func (m *Metrics) UnaryServerInterceptor(ctx context.Context, req any, info *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
	start := time.Now()
	resp, err := handler(ctx, req)
	m.observe(info.FullMethod, status.Code(err), time.Since(start))
	m.domain(info.FullMethod, resp, err)
	return resp, err
}

// StreamServerInterceptor counts streams (health Watch, reflection) by
// method and code.
func (m *Metrics) StreamServerInterceptor(srv any, ss grpc.ServerStream, info *grpc.StreamServerInfo, handler grpc.StreamHandler) error {
	start := time.Now()
	err := handler(srv, ss)
	m.observe(info.FullMethod, status.Code(err), time.Since(start))
	return err
}

func (m *Metrics) observe(fullMethod string, code codes.Code, took time.Duration) {
	svc, method := splitMethod(fullMethod)
	m.requests.WithLabelValues(svc, method, code.String()).Inc()
	m.latency.WithLabelValues(svc, method).Observe(took.Seconds())
}

// domain reads the domain outcome off a response. Only three methods say
// something the counters above cannot: how a registration ended, the
// verdict of a scan, and a refusal.
func (m *Metrics) domain(fullMethod string, resp any, err error) {
	switch fullMethod {
	case ruqiv1.InspectionService_RegisterInspection_FullMethodName:
		m.registrations.WithLabelValues(registrationOutcome(resp, err)).Inc()
		if r, ok := resp.(*ruqiv1.RegisterInspectionResponse); ok && err == nil {
			m.warnings.Add(float64(len(r.GetWarnings())))
		}
	case ruqiv1.EnterpriseService_ScanCode_FullMethodName:
		if r, ok := resp.(*ruqiv1.ScanCodeResponse); ok && err == nil {
			m.scans.WithLabelValues(verdictLabel(r.GetVerdict())).Inc()
		} else if status.Code(err) == codes.InvalidArgument {
			m.scans.WithLabelValues("malformed").Inc()
		}
	case ruqiv1.EnterpriseService_RefuseInspection_FullMethodName:
		if r, ok := resp.(*ruqiv1.RefuseInspectionResponse); ok && err == nil {
			phase := "enforced"
			if r.GetAdvisory() {
				phase = "advisory"
			}
			m.refusals.WithLabelValues(phase).Inc()
		}
	}
}

func registrationOutcome(resp any, err error) string {
	switch status.Code(err) {
	case codes.OK:
		if r, ok := resp.(*ruqiv1.RegisterInspectionResponse); ok && r.GetJointInspection() != nil {
			return outcomeJoined
		}
		return outcomeAccepted
	case codes.AlreadyExists:
		return outcomeDuplicate
	case codes.ResourceExhausted:
		return outcomeCapped
	case codes.Unavailable:
		return outcomeUnavailable
	}
	return outcomeRejected
}

// verdictLabel is "valid", "expired", … : the enum name without its prefix.
func verdictLabel(v ruqiv1.Verdict) string {
	return strings.ToLower(strings.TrimPrefix(v.String(), "VERDICT_"))
}

// splitMethod turns "/ruqi.v1.EnterpriseService/ScanCode" into its service
// and method. gRPC runs interceptors only for registered methods, so the
// label values are bounded by the API.
func splitMethod(full string) (string, string) {
	full = strings.TrimPrefix(full, "/")
	if i := strings.LastIndex(full, "/"); i >= 0 {
		return full[:i], full[i+1:]
	}
	return "unknown", full
}
