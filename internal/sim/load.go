package sim

import (
	"bufio"
	"context"
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	mrand "math/rand/v2"
	"runtime"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	hdrhistogram "github.com/HdrHistogram/hdrhistogram-go"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/ruqi/ruqi/internal/code"
	"github.com/ruqi/ruqi/internal/domain"
	"github.com/ruqi/ruqi/internal/sample"
	ruqiv1 "github.com/ruqi/ruqi/proto/ruqi/v1"
)

// Load operations. report asks for the 司法局's frequency report, cycling
// through its groupings, as an administrator.
const (
	OpRegister = "register"
	OpScan     = "scan"
	OpReport   = "report"
)

// LoadConfig is one load run.
type LoadConfig struct {
	Op      string
	Clients int
	// Duration or N ends the run, whichever comes first; at least one is set.
	Duration time.Duration
	N        int64
	// Codes is how many inspections are registered beforehand for -op scan;
	// their codes are scanned round robin.
	Codes int
	// The sample directory imported if the server does not have it yet.
	Seed                            int64
	Enterprises, Officers, Agencies int
	Region                          string
	RPCTimeout                      time.Duration
	Progress                        Progress
	// Ed25519 is how long raw Ed25519 verification is measured before and
	// after a scan run, the limit beside the scan rate (0: not measured).
	Ed25519 time.Duration
	// MetricsURL is the server's /metrics, read before and after the run
	// for the server's CPU time (process_cpu_seconds_total); "" for none.
	MetricsURL string
	// Acked, for -op register, is given the id of every registration the
	// server acknowledged, a line each, as it is acknowledged: what
	// CheckAcked later holds the store to, after replicas were killed or
	// the database restarted under the load (an operator's trial,
	// 2026-12-07: the load tool could not say whether every acknowledged
	// write was kept).
	Acked io.Writer
}

// DefaultLoadConfig is the load tool without flags.
func DefaultLoadConfig() LoadConfig {
	d := sample.DefaultOptions()
	return LoadConfig{Op: OpScan, Clients: 32, Duration: 10 * time.Second, Codes: 256,
		Seed: d.Seed, Enterprises: 2000, Officers: d.Officers, Agencies: d.Agencies, Region: d.RegionCode, RPCTimeout: 10 * time.Second,
		Ed25519: 3 * time.Second}
}

// Validate checks the configuration.
func (c LoadConfig) Validate() error {
	switch c.Op {
	case OpRegister, OpScan, OpReport:
	default:
		return fmt.Errorf("不支持的操作 %q：请用 register、scan 或 report", c.Op)
	}
	switch {
	case c.Clients < 1:
		return fmt.Errorf("-clients 应至少为 1，收到 %d", c.Clients)
	case c.Duration <= 0 && c.N <= 0:
		return errors.New("请用 -duration 或 -n 给出压测的长度")
	case c.Op == OpScan && c.Codes < 1:
		return fmt.Errorf("-codes 应至少为 1，收到 %d", c.Codes)
	case c.Enterprises < 2:
		return fmt.Errorf("-enterprises 应至少为 2，收到 %d", c.Enterprises)
	case c.Op == OpScan && c.Codes > c.Enterprises:
		return fmt.Errorf("-codes（%d）不能多于企业数（%d）：每家企业一次检查", c.Codes, c.Enterprises)
	}
	return nil
}

// LoadReport is what a load run measured.
type LoadReport struct {
	Op       string  `json:"op"`
	Clients  int     `json:"clients"`
	Requests uint64  `json:"requests"`
	OK       uint64  `json:"ok"`
	Seconds  float64 `json:"seconds"`
	// Throughput is completed requests (ok or not) per second.
	Throughput float64 `json:"throughput"`
	// Latencies in milliseconds, of every completed request.
	MinMs  float64 `json:"minMs"`
	MeanMs float64 `json:"meanMs"`
	P50Ms  float64 `json:"p50Ms"`
	P90Ms  float64 `json:"p90Ms"`
	P99Ms  float64 `json:"p99Ms"`
	P999Ms float64 `json:"p999Ms"`
	MaxMs  float64 `json:"maxMs"`
	// Outcomes: verdicts for scan; ALONE, JOINED or the error code for register.
	Outcomes map[string]uint64 `json:"outcomes"`
	Errors   map[string]uint64 `json:"errorsByCode,omitempty"`
	// RateLimitedWaits counts calls the server held back for their
	// principal's rate (-principal-rates), which the tool waited out: the
	// figures then measure the limit, not the server.
	RateLimitedWaits int64 `json:"rateLimitedWaits,omitempty"`
	// Prepared says what was set up before the measured run.
	Prepared string `json:"prepared"`
	// For -op scan: raw Ed25519 verifications per second on this
	// process's cores, measured just before and just after the run, and
	// the scan rate over their mean (the issue asks for at least 0.5).
	Ed25519Before float64 `json:"ed25519PerSecBefore,omitempty"`
	Ed25519After  float64 `json:"ed25519PerSecAfter,omitempty"`
	ScanRatio     float64 `json:"scansPerEd25519,omitempty"`
	Cores         int     `json:"cores,omitempty"`
	// The same per CPU-second, steadier on a shared machine: scans per
	// second of the server's CPU (from -metrics) against verifications per
	// CPU-second of the load tool's Ed25519 measurement.
	ServerCPUSeconds    float64 `json:"serverCpuSeconds,omitempty"`
	ScansPerServerCPU   float64 `json:"scansPerServerCpuSecond,omitempty"`
	Ed25519PerCPUSecond float64 `json:"ed25519PerCpuSecond,omitempty"`
	CPURatio            float64 `json:"scanCpuRatio,omitempty"`
	// The same against the signature check the server makes
	// (code.Ed25519Verify, faster than crypto/ed25519): how many of its
	// own verifications a scan costs.
	ServerEd25519PerCPUSecond float64 `json:"serverEd25519PerCpuSecond,omitempty"`
	ServerCPURatio            float64 `json:"scanCpuRatioServerVerify,omitempty"`
}

// loadState is what the preparation gives the clients.
type loadState struct {
	c        *client
	tok      *tokens
	dir      *ruqiv1.Directory
	agencies []agencyPool
	// scan: codes and their enterprises' tokens.
	codes    []string
	entToken []string
	// register: the registering officer's token per agency, the time base.
	regToken []string
	base     time.Time
	lane     int
	admin    string
	// acked takes each acknowledged registration's id (LoadConfig.Acked).
	acked func(id string)
}

// Load prepares the server (imports the sample directory if it is missing,
// issues tokens, registers inspections to scan) and then drives it with
// cfg.Clients concurrent clients.
func Load(ctx context.Context, cc grpc.ClientConnInterface, adminToken string, cfg LoadConfig) (*LoadReport, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	prog := orNoProgress(cfg.Progress)
	c := newClient(cc, cfg.RPCTimeout)
	st := &loadState{c: c, tok: newTokens(c, adminToken), admin: adminToken, acked: func(string) {}}
	var ackErr error
	if cfg.Acked != nil {
		var mu sync.Mutex
		st.acked = func(id string) {
			mu.Lock()
			defer mu.Unlock()
			if _, err := io.WriteString(cfg.Acked, id+"\n"); err != nil && ackErr == nil {
				ackErr = err
			}
		}
	}
	st.dir = sample.Directory(sample.Options{Seed: cfg.Seed, Agencies: cfg.Agencies, Officers: cfg.Officers, Enterprises: cfg.Enterprises, RegionCode: cfg.Region})
	prepared, err := st.prepare(ctx, cfg, adminToken, prog)
	if err != nil {
		return nil, err
	}

	rep := &LoadReport{Op: cfg.Op, Clients: cfg.Clients, Outcomes: map[string]uint64{}, Errors: map[string]uint64{}, Prepared: prepared}
	measureEd := cfg.Op == OpScan && cfg.Ed25519 > 0
	if measureEd {
		rep.Cores = runtime.GOMAXPROCS(0)
		var perCPU float64
		rep.Ed25519Before, perCPU = Ed25519PerSecond(cfg.Ed25519, ed25519.Verify)
		rep.Ed25519PerCPUSecond = perCPU / 2
		_, perCPU = Ed25519PerSecond(cfg.Ed25519, code.Ed25519Verify)
		rep.ServerEd25519PerCPUSecond = perCPU / 2
	}
	var cpu0 float64
	if measureEd && cfg.MetricsURL != "" {
		if cpu0, err = serverCPUSeconds(ctx, cfg.MetricsURL); err != nil {
			return nil, fmt.Errorf("读取服务器 /metrics 失败：%w", err)
		}
	}
	total := int(cfg.N)
	if total <= 0 {
		total = int(cfg.Duration / time.Second) // the bar counts seconds
	}
	prog.Start("压测 "+cfg.Op, total)
	var next atomic.Int64
	var mu sync.Mutex
	hist := newLatencyHistogram()
	start := time.Now()
	var wg sync.WaitGroup
	stopTick := make(chan struct{})
	if cfg.N <= 0 {
		go func() {
			t := time.NewTicker(time.Second)
			defer t.Stop()
			for {
				select {
				case <-t.C:
					prog.Add(1)
				case <-stopTick:
					return
				}
			}
		}()
	}
	for range cfg.Clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			h := newLatencyHistogram()
			outcomes := map[string]uint64{}
			errs := map[string]uint64{}
			var ok uint64
			unavailable := 0 // UNAVAILABLE answers in a row, for the pause after each
			// No request starts after the duration; those under way finish
			// and count.
			for ctx.Err() == nil && (cfg.Duration <= 0 || time.Since(start) < cfg.Duration) {
				i := next.Add(1) - 1
				if cfg.N > 0 && i >= cfg.N {
					break
				}
				t0 := time.Now()
				outcome, err := st.one(ctx, cfg.Op, i)
				d := time.Since(t0)
				if err != nil && ctx.Err() != nil {
					break // interrupted: not a result
				}
				recordLatency(h, d)
				if err != nil {
					code := status.Code(err).String()
					errs[code]++
					outcomes[code]++
					if status.Code(err) == codes.Unavailable {
						// A server down or restarting answers at once:
						// without a pause each client spun, 433,061
						// answers in 10 s that took the CPU from the
						// servers still up and drowned the latencies (a
						// trial of the replicas, 2026-12-07).
						unavailable++
						select {
						case <-ctx.Done():
						case <-time.After(min(time.Duration(unavailable)*10*time.Millisecond, time.Second)):
						}
					}
				} else {
					unavailable = 0
					ok++
					outcomes[outcome]++
				}
				if cfg.N > 0 {
					prog.Add(1)
				}
			}
			mu.Lock()
			defer mu.Unlock()
			hist.Merge(h)
			rep.OK += ok
			for k, v := range outcomes {
				rep.Outcomes[k] += v
			}
			for k, v := range errs {
				rep.Errors[k] += v
			}
		}()
	}
	wg.Wait()
	close(stopTick)
	prog.Done()
	elapsed := time.Since(start)

	ms := func(us int64) float64 { return float64(us) / 1000 }
	rep.Requests = uint64(hist.TotalCount())
	rep.Seconds = elapsed.Seconds()
	rep.RateLimitedWaits = c.paced.waits.Load()
	if rep.Seconds > 0 {
		rep.Throughput = float64(rep.Requests) / rep.Seconds
	}
	rep.MinMs, rep.MeanMs, rep.MaxMs = ms(hist.Min()), hist.Mean()/1000, ms(hist.Max())
	rep.P50Ms, rep.P90Ms = ms(hist.ValueAtQuantile(50)), ms(hist.ValueAtQuantile(90))
	rep.P99Ms, rep.P999Ms = ms(hist.ValueAtQuantile(99)), ms(hist.ValueAtQuantile(99.9))
	if ackErr != nil {
		return rep, fmt.Errorf("记录已确认的报备失败：%w", ackErr)
	}
	if ctx.Err() != nil {
		return rep, fmt.Errorf("压测已中断：%w", ctx.Err())
	}
	if measureEd && cfg.MetricsURL != "" {
		cpu1, err := serverCPUSeconds(ctx, cfg.MetricsURL)
		if err != nil {
			return nil, fmt.Errorf("读取服务器 /metrics 失败：%w", err)
		}
		rep.ServerCPUSeconds = cpu1 - cpu0
	}
	if measureEd {
		var perCPU float64
		rep.Ed25519After, perCPU = Ed25519PerSecond(cfg.Ed25519, ed25519.Verify)
		rep.Ed25519PerCPUSecond += perCPU / 2
		_, perCPU = Ed25519PerSecond(cfg.Ed25519, code.Ed25519Verify)
		rep.ServerEd25519PerCPUSecond += perCPU / 2
		if rep.ServerCPUSeconds > 0 && rep.Ed25519PerCPUSecond > 0 {
			rep.ScansPerServerCPU = float64(rep.Requests) / rep.ServerCPUSeconds
			rep.CPURatio = rep.ScansPerServerCPU / rep.Ed25519PerCPUSecond
			rep.ServerCPURatio = rep.ScansPerServerCPU / rep.ServerEd25519PerCPUSecond
		}
		if mean := (rep.Ed25519Before + rep.Ed25519After) / 2; mean > 0 {
			rep.ScanRatio = rep.Throughput / mean
		}
	}
	return rep, nil
}

// Latencies are recorded in microseconds from 1 µs to a minute with three
// significant digits (HdrHistogram): a percentile is off by under 0.1% of
// its value. One histogram per client, merged at the end.
const maxLatency = time.Minute

func newLatencyHistogram() *hdrhistogram.Histogram {
	return hdrhistogram.New(1, int64(maxLatency/time.Microsecond), 3)
}

// recordLatency records d, a call slower than maxLatency as maxLatency
// (the call's own timeout is far shorter).
func recordLatency(h *hdrhistogram.Histogram, d time.Duration) {
	_ = h.RecordValue(int64(min(max(d, time.Microsecond), maxLatency) / time.Microsecond))
}

// prepare gets the server ready for the operation and says what it did.
func (st *loadState) prepare(ctx context.Context, cfg LoadConfig, admin string, prog Progress) (string, error) {
	var notes []string
	ents := st.dir.GetEnterprises()
	// The last enterprise of the directory is there only if the directory
	// was imported whole.
	cctx, cancel := st.c.as(ctx, admin)
	_, err := st.c.dir.GetEnterprise(cctx, &ruqiv1.GetEnterpriseRequest{Uscc: ents[len(ents)-1].GetUscc()})
	cancel()
	switch status.Code(err) {
	case codes.OK:
		notes = append(notes, fmt.Sprintf("名录已在服务器上（%d 家企业）", len(ents)))
	case codes.NotFound:
		n, err := importDirectory(ctx, st.c, admin, st.dir, Enterprises{}, prog)
		if err != nil {
			return "", err
		}
		notes = append(notes, fmt.Sprintf("导入样例名录 %d 家企业（%d 批）", len(ents), n))
	default:
		if adminRefused(err) {
			return "", fmt.Errorf("%w（%s）", ErrNotAdmin, status.Convert(err).Message())
		}
		return "", fmt.Errorf("无法查询名录：%w", err)
	}

	// Agencies with officers whose certificates stay valid, and their items.
	st.agencies = agencyPools(st.dir, time.Now().Add(30*24*time.Hour))
	if len(st.agencies) == 0 {
		return "", errors.New("名录中没有可用的执法部门：每个部门须有至少 2 名执法证有效的执法人员和至少 1 项在用的检查事项")
	}
	st.regToken = make([]string, len(st.agencies))
	for i, a := range st.agencies {
		t, err := st.tok.get(ctx, ruqiv1.Role_ROLE_OFFICER, a.officers[0])
		if err != nil {
			return "", tokenError(err)
		}
		st.regToken[i] = t
	}
	st.base = time.Now()
	st.lane = mrand.IntN(registerLanes)

	if cfg.Op == OpScan {
		if err := st.prepareScan(ctx, cfg, prog); err != nil {
			return "", err
		}
		notes = append(notes, fmt.Sprintf("报备 %d 次个案检查并签发 %d 个企业令牌，扫描其 %d 个入企码（每次扫码都是一次有效核验）", cfg.Codes, cfg.Codes, len(st.codes)))
	} else {
		notes = append(notes, fmt.Sprintf("每次报备一次个案检查（不受频次上限约束）：第 i 次为第 i mod %d 家企业，每轮换一个部门，同一企业的各次检查相隔 25 小时、8 天以后开始，互不重叠", len(ents)))
	}
	return strings.Join(notes, "；"), nil
}

func tokenError(err error) error {
	if adminRefused(err) {
		return fmt.Errorf("%w（%s）", ErrNotAdmin, status.Convert(err).Message())
	}
	return fmt.Errorf("签发令牌失败：%w", err)
}

// prepareScan registers cfg.Codes 个案 inspections, one per enterprise, with
// windows that cover the run, and issues the enterprises' tokens.
func (st *loadState) prepareScan(ctx context.Context, cfg LoadConfig, prog Progress) error {
	ents := st.dir.GetEnterprises()
	window := max(cfg.Duration+30*time.Minute, time.Hour)
	window = min(window, 7*24*time.Hour)
	start := time.Now().Add(visitLead)
	st.codes = make([]string, cfg.Codes)
	st.entToken = make([]string, cfg.Codes)
	prog.Start("准备入企码", cfg.Codes)
	defer prog.Done()
	var next atomic.Int64
	var first atomic.Pointer[error]
	var wg sync.WaitGroup
	for range min(cfg.Clients, 16) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1) - 1)
				if i >= cfg.Codes || ctx.Err() != nil || first.Load() != nil {
					return
				}
				err := st.prepareOne(ctx, i, ents[i], start, start.Add(window))
				if err != nil {
					first.CompareAndSwap(nil, &err)
					return
				}
				prog.Add(1)
			}
		}()
	}
	wg.Wait()
	if p := first.Load(); p != nil {
		return *p
	}
	return ctx.Err()
}

func (st *loadState) prepareOne(ctx context.Context, i int, ent *ruqiv1.Enterprise, start, end time.Time) error {
	// An open plan of an earlier run may overlap: another agency then joins
	// it; if every agency already has one, its code is scanned instead.
	// Only agencies whose territory holds the enterprise register it.
	uscc := ent.GetUscc()
	var code, existing string
	for k := 0; k < len(st.agencies) && code == ""; k++ {
		ai := (i + k) % len(st.agencies)
		a := st.agencies[ai]
		if !domain.RegionCovers(a.region, ent.GetRegionCode()) {
			continue
		}
		cctx, cancel := st.c.as(ctx, st.regToken[ai])
		resp, err := st.c.ins.RegisterInspection(cctx, &ruqiv1.RegisterInspectionRequest{
			EnterpriseUscc: uscc, CheckItemIds: a.items[:1], OfficerIds: a.officers[:2],
			WindowStart: timestamppb.New(start), WindowEnd: timestamppb.New(end),
			Type: ruqiv1.InspectionType_INSPECTION_TYPE_CASE, Reason: "压测准备：个案检查（模拟）",
			TriggerReference: fmt.Sprintf("压测-%06d", i+1),
		})
		cancel()
		switch status.Code(err) {
		case codes.OK:
			code = resp.GetCodes()[0].GetUrl()
		case codes.AlreadyExists:
			if existing == "" {
				existing = errorMetadata(err, "existing_inspection_id")
			}
		default:
			return fmt.Errorf("准备入企码：报备失败：%w", err)
		}
	}
	if code == "" && existing == "" {
		return fmt.Errorf("准备入企码：企业 %s 所在行政区划（%s）不在任何执法部门的管辖区域内", uscc, ent.GetRegionCode())
	}
	if code == "" {
		ai := i % len(st.agencies)
		cctx, cancel := st.c.as(ctx, st.regToken[ai])
		cr, err := st.c.ins.GetInspectionCodes(cctx, &ruqiv1.GetInspectionCodesRequest{InspectionId: existing})
		cancel()
		if err != nil || len(cr.GetCodes()) == 0 {
			return fmt.Errorf("准备入企码：取已有检查 %s 的入企码失败：%v", existing, err)
		}
		code = cr.GetCodes()[0].GetUrl()
	}
	t, err := st.tok.get(ctx, ruqiv1.Role_ROLE_ENTERPRISE, uscc)
	if err != nil {
		return tokenError(err)
	}
	st.codes[i], st.entToken[i] = code, t
	return nil
}

// Windows of -op register: registerWindow long, in one of registerLanes
// lanes of a 25-hour day, from 8 days ahead (past any window -op scan
// prepares) to the 90 days one may register ahead. Round r of the
// enterprises takes day r mod registerDays; a run starts in a random lane
// and moves to the next one after every registerDays rounds, so that neither
// its own plans nor, most likely, an earlier run's overlap.
const (
	registerWindow = 10 * time.Minute
	registerLanes  = 149
	registerDays   = 78
)

func (st *loadState) registerStart(round int64) time.Time {
	lane := (int64(st.lane) + round/registerDays) % registerLanes
	day := round % registerDays
	return st.base.Add(8*24*time.Hour + time.Duration(day)*25*time.Hour + time.Duration(lane)*registerWindow)
}

// one makes the i-th request of the run.
func (st *loadState) one(ctx context.Context, op string, i int64) (string, error) {
	switch op {
	case OpReport:
		groups := []ruqiv1.GroupBy{ruqiv1.GroupBy_GROUP_BY_AGENCY, ruqiv1.GroupBy_GROUP_BY_REGION, ruqiv1.GroupBy_GROUP_BY_MONTH, ruqiv1.GroupBy_GROUP_BY_ENTERPRISE}
		g := groups[i%int64(len(groups))]
		cctx, cancel := st.c.as(ctx, st.admin)
		defer cancel()
		if _, err := st.c.rep.GetFrequencyReport(cctx, &ruqiv1.GetFrequencyReportRequest{GroupBy: g}); err != nil {
			return "", err
		}
		return strings.TrimPrefix(g.String(), "GROUP_BY_"), nil
	case OpScan:
		k := int(i % int64(len(st.codes)))
		cctx, cancel := st.c.as(ctx, st.entToken[k])
		defer cancel()
		resp, err := st.c.ent.ScanCode(cctx, &ruqiv1.ScanCodeRequest{Code: st.codes[k]})
		if err != nil {
			return "", err
		}
		return strings.TrimPrefix(resp.GetVerdict().String(), "VERDICT_"), nil
	default:
		ents := st.dir.GetEnterprises()
		e := i % int64(len(ents))
		round := i / int64(len(ents))
		// The round's agency, or the next whose territory holds the
		// enterprise.
		ai := int(round % int64(len(st.agencies)))
		for k := 0; k < len(st.agencies) && !domain.RegionCovers(st.agencies[ai].region, ents[e].GetRegionCode()); k++ {
			ai = (ai + 1) % len(st.agencies)
		}
		a := st.agencies[ai]
		if !domain.RegionCovers(a.region, ents[e].GetRegionCode()) {
			return "", fmt.Errorf("企业 %s 所在行政区划（%s）不在任何执法部门的管辖区域内", ents[e].GetUscc(), ents[e].GetRegionCode())
		}
		start := st.registerStart(round)
		cctx, cancel := st.c.as(ctx, st.regToken[ai])
		defer cancel()
		resp, err := st.c.ins.RegisterInspection(cctx, &ruqiv1.RegisterInspectionRequest{
			EnterpriseUscc: ents[e].GetUscc(), CheckItemIds: a.items[:1], OfficerIds: a.officers[:2],
			WindowStart: timestamppb.New(start), WindowEnd: timestamppb.New(start.Add(registerWindow)),
			Type: ruqiv1.InspectionType_INSPECTION_TYPE_CASE, Reason: "压测：个案检查（模拟）",
			TriggerReference: fmt.Sprintf("压测-R%08d", i+1),
		})
		if err != nil {
			return "", err
		}
		st.acked(resp.GetInspection().GetId())
		if resp.GetJointInspection() != nil {
			return "JOINED", nil
		}
		return "ALONE", nil
	}
}

// WriteTable writes the report for people.
func (r *LoadReport) WriteTable(w io.Writer) error {
	var b strings.Builder
	b.WriteString("压测结果（样例数据，虚构）\n\n")
	writeFields(&b, [][2]string{
		{"准备", r.Prepared},
		{"操作", r.Op},
		{"并发客户端", itoa(r.Clients)},
		{"完成请求", fmt.Sprintf("%d（成功 %d，出错 %d）", r.Requests, r.OK, r.Requests-r.OK)},
		{"用时", fmt.Sprintf("%.2f 秒", r.Seconds)},
		{"吞吐量", fmt.Sprintf("%.1f 次/秒", r.Throughput)},
	})
	if r.ScanRatio > 0 {
		writeFields(&b, [][2]string{
			{"Ed25519 验签（对照）", fmt.Sprintf("压测前 %.0f 次/秒，压测后 %.0f 次/秒（%d 核，纯验签）", r.Ed25519Before, r.Ed25519After, r.Cores)},
			{"扫码 / 验签", fmt.Sprintf("%.2f", r.ScanRatio)},
		})
	}
	if r.CPURatio > 0 {
		writeFields(&b, [][2]string{
			{"按 CPU 时间", fmt.Sprintf("服务器每 CPU 秒扫码 %.0f 次（用 %.1f CPU 秒），每 CPU 秒验签 %.0f 次：%.2f", r.ScansPerServerCPU, r.ServerCPUSeconds, r.Ed25519PerCPUSecond, r.CPURatio)},
			{"与服务器所用验签比", fmt.Sprintf("服务器所用验签（curve25519-voi，公钥预展开）每 CPU 秒 %.0f 次：%.2f", r.ServerEd25519PerCPUSecond, r.ServerCPURatio)},
		})
	}
	if r.RateLimitedWaits > 0 {
		fmt.Fprintf(&b, "\n注意：服务器按主体限速，压测工具等待了 %d 次，以上数字衡量的是限速而非服务器。"+
			"压测请以 RUQI_PRINCIPAL_RATES=off 启动服务器（见 README 的 -principal-rates）。\n", r.RateLimitedWaits)
	}
	b.WriteString("\n延迟（毫秒）：\n")
	t := &table{header: []string{"  最小", "平均", "p50", "p90", "p99", "p99.9", "最大"}}
	f := func(x float64) string { return fmt.Sprintf("%.2f", x) }
	t.add("  "+f(r.MinMs), f(r.MeanMs), f(r.P50Ms), f(r.P90Ms), f(r.P99Ms), f(r.P999Ms), f(r.MaxMs))
	t.write(&b)
	b.WriteString("\n结果分布：\n")
	keys := make([]string, 0, len(r.Outcomes))
	for k := range r.Outcomes {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		return r.Outcomes[keys[i]] > r.Outcomes[keys[j]] || r.Outcomes[keys[i]] == r.Outcomes[keys[j]] && keys[i] < keys[j]
	})
	ot := &table{header: []string{"  结果", "次数"}}
	for _, k := range keys {
		ot.add("  "+k, fmt.Sprint(r.Outcomes[k]))
	}
	ot.write(&b)
	b.WriteString("\n延迟按 HdrHistogram 统计（三位有效数字，误差小于 0.1%），含客户端与网络开销。\n")
	_, err := io.WriteString(w, b.String())
	return err
}

// WriteJSON writes the report as JSON.
func (r *LoadReport) WriteJSON(w io.Writer) error {
	b, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return err
	}
	_, err = w.Write(append(b, '\n'))
	return err
}

// AckedCheck is what CheckAcked found of the registrations a load run was
// acknowledged.
type AckedCheck struct {
	Acked   int      `json:"acked"`
	Found   int      `json:"found"`
	Missing []string `json:"missing,omitempty"`
}

// CheckAcked asks the server, as the administrator, for every inspection id
// in r (one a line, as LoadConfig.Acked wrote them): each acknowledged
// registration must be in the store, whichever replica answered it and
// whatever was killed since. A call that fails otherwise than NOT_FOUND is
// an error: nothing is known of that id.
func CheckAcked(ctx context.Context, cc grpc.ClientConnInterface, adminToken string, r io.Reader, timeout time.Duration) (*AckedCheck, error) {
	c := newClient(cc, timeout)
	out := &AckedCheck{}
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		id := strings.TrimSpace(sc.Text())
		if id == "" {
			continue
		}
		out.Acked++
		cctx, cancel := c.as(ctx, adminToken)
		_, err := c.ins.GetInspection(cctx, &ruqiv1.GetInspectionRequest{InspectionId: id})
		cancel()
		switch status.Code(err) {
		case codes.OK:
			out.Found++
		case codes.NotFound:
			out.Missing = append(out.Missing, id)
		default:
			return out, fmt.Errorf("查询检查 %s 失败：%w", id, err)
		}
	}
	return out, sc.Err()
}
