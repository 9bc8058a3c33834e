package sim

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/ruqi/ruqi/internal/domain"
	"github.com/ruqi/ruqi/internal/sample"
	ruqiv1 "github.com/ruqi/ruqi/proto/ruqi/v1"
)

// Config is one simulation.
type Config struct {
	Seed int64
	// Directory scale, as internal/sample takes it (at least 9 agencies and
	// 4 officers per agency).
	Enterprises, Officers, Agencies int
	Region                          string
	// Inspections is the number of registration attempts in the period.
	Inspections int
	// Concurrency is the number of enterprises served at once.
	Concurrency int
	Shares      Shares
	// SkipImport assumes the directory of these options is already on the
	// server (a second run with the same scale and seed).
	SkipImport bool
	// RPCTimeout bounds each call (imports get at least two minutes).
	RPCTimeout time.Duration
	Progress   Progress
}

// DefaultConfig is `ruqi simulate` without flags: the scale of the shipped
// sample directory (9 agencies, 60 officers, 500 enterprises in 成都) and 1,000
// registration attempts.
func DefaultConfig() Config {
	d := sample.DefaultOptions()
	return Config{
		Seed: d.Seed, Enterprises: d.Enterprises, Officers: d.Officers, Agencies: d.Agencies, Region: d.RegionCode,
		Inspections: 1000, Concurrency: 8, Shares: DefaultShares(), RPCTimeout: 10 * time.Second,
	}
}

// Validate checks the configuration before anything is sent.
func (c Config) Validate() error {
	switch {
	case c.Enterprises < 2:
		return fmt.Errorf("企业数应至少为 2，收到 %d", c.Enterprises)
	case c.Inspections < 1:
		return fmt.Errorf("检查次数应至少为 1，收到 %d", c.Inspections)
	case c.Concurrency < 1:
		return fmt.Errorf("并发数应至少为 1，收到 %d", c.Concurrency)
	case c.Officers < 0 || c.Agencies < 0:
		return errors.New("执法人员数和执法部门数不能为负")
	}
	if err := domain.ValidateRegion(c.Region); err != nil {
		return err
	}
	return c.Shares.validate()
}

// Window lengths. Each visit gets a window of visitLength starting at least
// visitLead ahead of the server's clock; one enterprise's next visit starts
// where the last ended, and waits if that is more than maxAhead away, so
// that its codes scan as valid at once within the server's clock leeway
// (default 2 minutes) before a window.
const (
	visitLead   = time.Second
	visitLength = 2 * time.Second
	maxAhead    = 60 * time.Second
)

// Summary is what a simulation did. Counts are of calls made and answers
// received; Expected is what the plan set expects of a server with the
// default policy and no earlier plans for these enterprises this year.
type Summary struct {
	Seed        int64   `json:"seed"`
	Enterprises int     `json:"enterprises"`
	Officers    int     `json:"officers"`
	Agencies    int     `json:"agencies"`
	CheckItems  int     `json:"checkItems"`
	Region      string  `json:"region"`
	Planned     int     `json:"planned"`
	Concurrency int     `json:"concurrency"`
	Shares      Shares  `json:"shares"`
	Calendar    string  `json:"calendar"`
	Import      *Import `json:"import,omitempty"`

	TokensOfficers    int `json:"tokensOfficers"`
	TokensEnterprises int `json:"tokensEnterprises"`

	// Registration (报备).
	Attempted         int `json:"attempted"`
	Registered        int `json:"registered"`
	Alone             int `json:"alone"`
	Joined            int `json:"joined"`
	JointInspections  int `json:"jointInspections"`
	VisitsAvoided     int `json:"visitsAvoided"`
	DuplicatesRefused int `json:"duplicatesRefused"`
	// RateLimitedWaits counts calls the server held back for their
	// principal's rate (-principal-rates), each waited for and made again.
	RateLimitedWaits int64 `json:"rateLimitedWaits,omitempty"`
	CapsRefused      int   `json:"capsRefused"`
	// StreakReasons counts registrations held for an officer's no-finding
	// streak (成都) and made again with the reason.
	StreakReasons  int            `json:"streakReasons,omitempty"`
	CapsByRule     map[string]int `json:"capsByRule,omitempty"`
	Warnings       int            `json:"warnings"`
	WarningsByRule map[string]int `json:"warningsByRule,omitempty"`
	ByType         map[string]int `json:"registeredByType,omitempty"`
	Expected       Expected       `json:"expected"`

	// Codes (入企码).
	RegisteredWithCodes int `json:"registeredWithCodes"`
	CodesIssued         int `json:"codesIssued"`

	// Scans (扫码核验) and refusals.
	Scans                int            `json:"scans"`
	ScansValid           int            `json:"scansValid"`
	ScansInvalid         int            `json:"scansInvalid"`
	Verdicts             map[string]int `json:"verdicts,omitempty"`
	TamperedShown        int            `json:"tamperedShown"`
	WrongEnterpriseShown int            `json:"wrongEnterpriseShown"`
	Refusals             int            `json:"refusals"`

	// Results and evaluations; NotAvailable counts those the server
	// answered Unimplemented (or that were then not tried).
	ResultsRecorded         int `json:"resultsRecorded"`
	ResultsNotAvailable     int `json:"resultsNotAvailable"`
	Evaluations             int `json:"evaluations"`
	EvaluationsNotAvailable int `json:"evaluationsNotAvailable"`

	Errors      map[string]int `json:"errorsByCode,omitempty"`
	ErrorDetail []ErrorCount   `json:"errors,omitempty"`

	RPCs        int64   `json:"rpcs"`
	WallSeconds float64 `json:"wallSeconds"`
	SimSeconds  float64 `json:"simulationSeconds"`
	// PlansPerSecond and RPCsPerSecond are over the simulation phase.
	PlansPerSecond float64 `json:"plansPerSecond"`
	RPCsPerSecond  float64 `json:"rpcsPerSecond"`
	Interrupted    bool    `json:"interrupted,omitempty"`
}

// Import is what the directory import did.
type Import struct {
	Chunks  int     `json:"chunks"`
	Seconds float64 `json:"seconds"`
}

// CalendarNote explains how a period is simulated on a real clock.
const CalendarNote = "服务器时钟是真实的：模拟期按其检查量模拟，而不是按日期。所有检查都发生在“现在”：" +
	"同一企业先后几次检查被压缩为相邻、互不重叠的几秒钟时段（自当前时刻之后开始），有意重叠的计划共用同一时段；" +
	"年度上限照常生效，而日、周、月频次预警按真实日历计算，同一企业当天的第二次检查即触发预警；" +
	"同一执法人员几十秒后又在另一企业签到，短于一次入企的时长（默认30分钟），也会触发“同一人员同时段在两家企业签到”预警。"

// counters are the counts a run adds to under its lock.
type counters struct {
	mu  sync.Mutex
	s   *Summary
	jnt map[string]bool
}

func (c *counters) do(f func(s *Summary)) {
	c.mu.Lock()
	defer c.mu.Unlock()
	f(c.s)
}

type runner struct {
	cfg    Config
	c      *client
	tok    *tokens
	cnt    *counters
	errs   *errorCounts
	prog   Progress
	fatal  atomic.Pointer[error]
	cancel context.CancelFunc
	// plans holds each agency's approved 专项 plan.
	plans *specialPlans

	resultsGone, evalsGone atomic.Bool
}

// Run imports the directory (unless cfg.SkipImport) and simulates the period
// against the server at cc, with adminToken issuing every other token. Once
// the simulation has begun it returns the summary even with an error (then
// partial).
func Run(ctx context.Context, cc grpc.ClientConnInterface, adminToken string, cfg Config) (*Summary, error) {
	started := time.Now()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	// The directory's enterprises are generated a range at a time, to import
	// and to plan, never held whole: a province has millions.
	so := sample.Options{Seed: cfg.Seed, Agencies: cfg.Agencies, Officers: cfg.Officers, Enterprises: cfg.Enterprises, RegionCode: cfg.Region}
	dir := sample.DirectoryWithoutEnterprises(so)
	ents := Enterprises{N: sample.Enterprises(so), Range: func(lo, hi int) []*ruqiv1.Enterprise { return sample.EnterpriseRange(so, lo, hi) }}
	sum := &Summary{
		Seed: cfg.Seed, Enterprises: ents.N, Officers: len(dir.GetOfficers()), Agencies: len(dir.GetAgencies()),
		CheckItems: len(dir.GetCheckItems()), Region: cfg.Region, Planned: cfg.Inspections, Concurrency: cfg.Concurrency,
		Shares: cfg.Shares, Calendar: CalendarNote,
		CapsByRule: map[string]int{}, WarningsByRule: map[string]int{}, ByType: map[string]int{}, Verdicts: map[string]int{},
	}
	// The plans are made block by block, twice: once to count what the
	// whole set expects, once to run it, so that no more than a block of
	// plans is held at a time (a province's year is a million).
	po := PlanOptions{Seed: uint64(cfg.Seed), Inspections: cfg.Inspections, Shares: cfg.Shares, ValidAt: started.Add(30 * 24 * time.Hour)}
	err := GenerateBlocks(dir, ents, po, func(ps *PlanSet) error {
		e := ps.Expected()
		sum.Expected.Alone += e.Alone
		sum.Expected.Joined += e.Joined
		sum.Expected.Duplicates += e.Duplicates
		sum.Expected.Capped += e.Capped
		return nil
	})
	if err != nil {
		return nil, err
	}

	c := newClient(cc, cfg.RPCTimeout)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	r := &runner{cfg: cfg, c: c, tok: newTokens(c, adminToken), cnt: &counters{s: sum, jnt: map[string]bool{}},
		errs: newErrorCounts(), prog: orNoProgress(cfg.Progress), cancel: cancel, plans: newSpecialPlans(dir)}

	finish := func(simStart time.Time) {
		sum.TokensOfficers, sum.TokensEnterprises = int(r.tok.officers.Load()), int(r.tok.enterprises.Load())
		sum.JointInspections = len(r.cnt.jnt)
		sum.VisitsAvoided = sum.Joined
		sum.Errors, sum.ErrorDetail = r.errs.snapshot()
		sum.RPCs = c.rpcs.Load()
		sum.RateLimitedWaits = c.paced.waits.Load()
		sum.WallSeconds = time.Since(started).Seconds()
		if !simStart.IsZero() {
			sum.SimSeconds = time.Since(simStart).Seconds()
			if sum.SimSeconds > 0 {
				sum.PlansPerSecond = float64(sum.Attempted) / sum.SimSeconds
				sum.RPCsPerSecond = float64(sum.RPCs-int64(sumImportRPCs(sum))) / sum.SimSeconds
			}
		}
	}

	if cfg.SkipImport {
		if err := directoryOnServer(ctx, c, adminToken, ents, cfg.Seed); err != nil {
			return nil, err // nothing simulated: no summary
		}
	} else {
		t := time.Now()
		n, err := importDirectory(ctx, c, adminToken, dir, ents, r.prog)
		sum.Import = &Import{Chunks: n, Seconds: time.Since(t).Seconds()}
		if err != nil {
			return nil, err // nothing simulated: no summary
		}
	}

	simStart := time.Now()
	r.prog.Start("模拟检查", cfg.Inspections)
	work := make(chan *Schedule)
	var wg sync.WaitGroup
	for range cfg.Concurrency {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for s := range work {
				r.schedule(ctx, s)
			}
		}()
	}
	err = GenerateBlocks(dir, ents, po, func(ps *PlanSet) error {
		for _, s := range ps.Schedules {
			select {
			case work <- s:
			case <-ctx.Done():
				return ctx.Err()
			}
		}
		return nil
	})
	close(work)
	wg.Wait()
	r.prog.Done()
	finish(simStart)
	if p := r.fatal.Load(); p != nil {
		return sum, *p
	}
	if err != nil && ctx.Err() == nil {
		return sum, err // the plans of a later block could not be made
	}
	if err := ctx.Err(); err != nil {
		sum.Interrupted = true
		return sum, fmt.Errorf("模拟已中断，以上为中断前的统计：%w", err)
	}
	return sum, nil
}

func sumImportRPCs(s *Summary) int {
	if s.Import == nil {
		return 0
	}
	return s.Import.Chunks
}

// stop ends the run with err (the first one wins).
func (r *runner) stop(err error) {
	r.fatal.CompareAndSwap(nil, &err)
	r.cancel()
}

// token returns a principal's token; an administrator's refusal ends the run.
func (r *runner) token(ctx context.Context, role ruqiv1.Role, subject string) (string, bool) {
	t, err := r.tok.get(ctx, role, subject)
	if err == nil {
		return t, true
	}
	if ctx.Err() != nil {
		return "", false
	}
	if adminRefused(err) {
		r.stop(fmt.Errorf("%w（%s）", ErrNotAdmin, status.Convert(err).Message()))
		return "", false
	}
	r.errs.add("IssueAccessToken", err)
	return "", false
}

// schedule serves one enterprise's visits in order, each in its own window.
func (r *runner) schedule(ctx context.Context, s *Schedule) {
	var prevEnd time.Time
	for _, v := range s.Visits {
		if ctx.Err() != nil {
			return
		}
		r.prepare(ctx, v)
		now := time.Now()
		start := now.Add(visitLead)
		if start.Before(prevEnd) {
			start = prevEnd
		}
		if ahead := start.Sub(now); ahead > maxAhead {
			select {
			case <-time.After(ahead - maxAhead):
			case <-ctx.Done():
				return
			}
		}
		end := start.Add(visitLength)
		prevEnd = end
		r.visit(ctx, v, start, end)
		r.prog.Add(len(v.Plans))
	}
}

// prepare gets what the visit's registrations need before its window is
// fixed: the officers' tokens and, for 专项, the agency's approved plan.
// Got within the window's few seconds on a loaded machine, they left the
// window begun before the plan's approval, or over, and the server rightly
// refused the registration (an operator's trial, 2026-12-05). Errors are
// left for register, which counts them.
func (r *runner) prepare(ctx context.Context, v *Visit) {
	for _, p := range v.Plans {
		_, _ = r.tok.get(ctx, ruqiv1.Role_ROLE_OFFICER, p.Officers[0])
		if p.Type == ruqiv1.InspectionType_INSPECTION_TYPE_SPECIAL {
			_, _ = r.plans.get(ctx, r, p.Agency)
		}
	}
}

// registered is a plan the server accepted.
type registered struct {
	p       *Plan
	resp    *ruqiv1.RegisterInspectionResponse
	refused bool // the enterprise refused the visit (a code that failed)
}

// visit registers a visit's plans, shows and scans their codes, records
// the results and has the enterprise evaluate them.
func (r *runner) visit(ctx context.Context, v *Visit, start, end time.Time) {
	var regs []*registered
	for _, p := range v.Plans {
		if reg := r.register(ctx, p, start, end); reg != nil {
			regs = append(regs, reg)
		}
	}
	for _, reg := range regs {
		r.show(ctx, reg)
	}
	for _, reg := range regs {
		if reg.refused {
			continue
		}
		if r.record(ctx, reg) {
			if reg.p.Evaluate {
				r.evaluate(ctx, reg)
			}
		}
	}
}

func (r *runner) register(ctx context.Context, p *Plan, start, end time.Time) *registered {
	tok, ok := r.token(ctx, ruqiv1.Role_ROLE_OFFICER, p.Officers[0])
	if !ok {
		return nil
	}
	var planID string
	if p.Type == ruqiv1.InspectionType_INSPECTION_TYPE_SPECIAL {
		id, err := r.plans.get(ctx, r, p.Agency)
		if err != nil {
			if ctx.Err() == nil {
				r.errs.add("FilePlan", err)
			}
			return nil
		}
		planID = id
	}
	r.cnt.do(func(s *Summary) { s.Attempted++ })
	cctx, cancel := r.c.as(ctx, tok)
	defer cancel()
	req := &ruqiv1.RegisterInspectionRequest{
		PlanId:           planID,
		EnterpriseUscc:   p.Enterprise,
		CheckItemIds:     p.Items,
		OfficerIds:       p.Officers,
		WindowStart:      timestamppb.New(start),
		WindowEnd:        timestamppb.New(end),
		Type:             p.Type,
		Reason:           p.Reason,
		TriggerReference: p.Trigger,
	}
	resp, err := r.c.ins.RegisterInspection(cctx, req)
	if errorReason(err) == "NO_FINDING_STREAK" {
		// An officer of the plan found nothing here three times in a row
		// (成都): the officer gives the reason the server asks for.
		r.cnt.do(func(s *Summary) { s.StreakReasons++ })
		req.StreakReason = "连续三次未发现问题后再次检查：" + p.Reason
		resp, err = r.c.ins.RegisterInspection(cctx, req)
	}
	switch status.Code(err) {
	case codes.OK:
	case codes.AlreadyExists:
		r.cnt.do(func(s *Summary) { s.DuplicatesRefused++ })
		return nil
	case codes.ResourceExhausted:
		rule := errorMetadata(err, "rule")
		r.cnt.do(func(s *Summary) {
			s.CapsRefused++
			if rule == "" {
				rule = "unknown"
			}
			s.CapsByRule[rule]++
		})
		return nil
	default:
		if ctx.Err() == nil {
			r.errs.add("RegisterInspection", err)
		}
		return nil
	}
	j := resp.GetJointInspection()
	r.cnt.do(func(s *Summary) {
		s.Registered++
		if j != nil {
			s.Joined++
			r.cnt.jnt[j.GetId()] = true
		} else {
			s.Alone++
		}
		s.ByType[typeLabel(p.Type)]++
		for _, w := range resp.GetWarnings() {
			s.Warnings++
			s.WarningsByRule[w.GetRule()]++
		}
		s.CodesIssued += len(resp.GetCodes())
		if len(resp.GetCodes()) == len(p.Officers) {
			s.RegisteredWithCodes++
		}
	})
	return &registered{p: p, resp: resp}
}

// errorInfo is the google.rpc.ErrorInfo of a refusal (the server sends
// one), nil if none.
func errorInfo(err error) *errdetails.ErrorInfo {
	for _, d := range status.Convert(err).Details() {
		if info, ok := d.(*errdetails.ErrorInfo); ok {
			return info
		}
	}
	return nil
}

// errorReason is a refusal's reason, "" if none.
func errorReason(err error) string { return errorInfo(err).GetReason() }

// errorMetadata reads a key of the google.rpc.ErrorInfo of err.
func errorMetadata(err error, key string) string { return errorInfo(err).GetMetadata()[key] }

// show has the officers show their codes: at a wrong enterprise first, or one
// code tampered with, as the plan says; every code that fails is refused by
// the enterprise it was shown to.
func (r *runner) show(ctx context.Context, reg *registered) {
	p := reg.p
	codes := reg.resp.GetCodes()
	if len(codes) == 0 {
		return
	}
	switch p.Scan {
	case ScanTampered:
		bad := Tamper(codes[0].GetUrl(), p.TamperFromEnd, p.TamperWith)
		r.cnt.do(func(s *Summary) { s.TamperedShown++ })
		if valid, ok := r.scan(ctx, p.Enterprise, bad); ok && !valid {
			r.refuse(ctx, p.Enterprise, bad, "入企码核验未通过（疑似篡改），拒绝检查（模拟）")
			reg.refused = true
			return
		}
		codes = codes[1:]
	case ScanWrongEnterprise:
		r.cnt.do(func(s *Summary) { s.WrongEnterpriseShown++ })
		if valid, ok := r.scan(ctx, p.Foreign, codes[0].GetUrl()); ok && !valid {
			r.refuse(ctx, p.Foreign, codes[0].GetUrl(), "出示的入企码不是为本企业签发的，拒绝检查（模拟）")
		}
	}
	for _, c := range codes {
		valid, ok := r.scan(ctx, p.Enterprise, c.GetUrl())
		if ok && !valid {
			r.refuse(ctx, p.Enterprise, c.GetUrl(), "入企码核验未通过，拒绝检查（模拟）")
			reg.refused = true
			return
		}
	}
}

// scan scans code as the enterprise; ok is false if the call failed.
func (r *runner) scan(ctx context.Context, uscc, code string) (valid, ok bool) {
	tok, ok := r.token(ctx, ruqiv1.Role_ROLE_ENTERPRISE, uscc)
	if !ok {
		return false, false
	}
	r.cnt.do(func(s *Summary) { s.Scans++ })
	cctx, cancel := r.c.as(ctx, tok)
	defer cancel()
	resp, err := r.c.ent.ScanCode(cctx, &ruqiv1.ScanCodeRequest{Code: code})
	if err != nil {
		if ctx.Err() == nil {
			r.errs.add("ScanCode", err)
		}
		return false, false
	}
	valid = resp.GetVerdict() == ruqiv1.Verdict_VERDICT_VALID
	r.cnt.do(func(s *Summary) {
		if valid {
			s.ScansValid++
		} else {
			s.ScansInvalid++
		}
		s.Verdicts[strings.TrimPrefix(resp.GetVerdict().String(), "VERDICT_")]++
	})
	return valid, true
}

func (r *runner) refuse(ctx context.Context, uscc, code, reason string) {
	tok, ok := r.token(ctx, ruqiv1.Role_ROLE_ENTERPRISE, uscc)
	if !ok {
		return
	}
	cctx, cancel := r.c.as(ctx, tok)
	defer cancel()
	if _, err := r.c.ent.RefuseInspection(cctx, &ruqiv1.RefuseInspectionRequest{Code: code, Reason: reason}); err != nil {
		if ctx.Err() == nil {
			r.errs.add("RefuseInspection", err)
		}
		return
	}
	r.cnt.do(func(s *Summary) { s.Refusals++ })
}

// record has the registering officer record a result per item and close the
// inspection; it reports whether the inspection is now completed.
func (r *runner) record(ctx context.Context, reg *registered) bool {
	p := reg.p
	if r.resultsGone.Load() {
		r.cnt.do(func(s *Summary) { s.ResultsNotAvailable++ })
		return false
	}
	tok, ok := r.token(ctx, ruqiv1.Role_ROLE_OFFICER, p.Officers[0])
	if !ok {
		return false
	}
	now := time.Now()
	items := make([]*ruqiv1.ItemResult, len(p.Items))
	for i, id := range p.Items {
		it := &ruqiv1.ItemResult{CheckItemId: id, Outcome: p.Outcomes[i]}
		switch p.Outcomes[i] {
		case ruqiv1.ItemOutcome_ITEM_OUTCOME_RECTIFICATION_ORDERED:
			it.RectificationDeadline = timestamppb.New(now.Add(30 * 24 * time.Hour))
			it.Note = "限期整改（模拟）"
		case ruqiv1.ItemOutcome_ITEM_OUTCOME_CASE_OPENED:
			it.Note = "移送立案（模拟）"
		}
		items[i] = it
	}
	cctx, cancel := r.c.as(ctx, tok)
	defer cancel()
	_, err := r.c.ins.RecordResult(cctx, &ruqiv1.RecordResultRequest{
		InspectionId: reg.resp.GetInspection().GetId(), Items: items, Summary: "检查结果（模拟）", Close: true,
	})
	switch {
	case err == nil:
		r.cnt.do(func(s *Summary) { s.ResultsRecorded++ })
		return true
	case status.Code(err) == codes.Unimplemented:
		r.resultsGone.Store(true)
		r.cnt.do(func(s *Summary) { s.ResultsNotAvailable++ })
	case ctx.Err() == nil:
		r.errs.add("RecordResult", err)
	}
	return false
}

func (r *runner) evaluate(ctx context.Context, reg *registered) {
	p := reg.p
	if r.evalsGone.Load() {
		r.cnt.do(func(s *Summary) { s.EvaluationsNotAvailable++ })
		return
	}
	tok, ok := r.token(ctx, ruqiv1.Role_ROLE_ENTERPRISE, p.Enterprise)
	if !ok {
		return
	}
	cctx, cancel := r.c.as(ctx, tok)
	defer cancel()
	_, err := r.c.ent.EvaluateInspection(cctx, &ruqiv1.EvaluateInspectionRequest{
		InspectionId:      reg.resp.GetInspection().GetId(),
		CertificateShown:  p.Eval.CertificateShown,
		RightsExplained:   p.Eval.RightsExplained,
		ConductedProperly: p.Eval.ConductedProperly,
		Overall:           p.Eval.Overall,
		Comment:           "模拟评价",
	})
	switch {
	case err == nil:
		r.cnt.do(func(s *Summary) { s.Evaluations++ })
	case status.Code(err) == codes.Unimplemented:
		r.evalsGone.Store(true)
		r.cnt.do(func(s *Summary) { s.EvaluationsNotAvailable++ })
	case ctx.Err() == nil:
		r.errs.add("EvaluateInspection", err)
	}
}

func typeLabel(t ruqiv1.InspectionType) string {
	switch t {
	case ruqiv1.InspectionType_INSPECTION_TYPE_ROUTINE:
		return "日常"
	case ruqiv1.InspectionType_INSPECTION_TYPE_RANDOM:
		return "双随机"
	case ruqiv1.InspectionType_INSPECTION_TYPE_SPECIAL:
		return "专项"
	case ruqiv1.InspectionType_INSPECTION_TYPE_CASE:
		return "个案"
	}
	return t.String()
}

// sortedKeys returns m's keys in order.
func sortedKeys(m map[string]int) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
