package web

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/ruqi/ruqi/internal/domain"
	"github.com/ruqi/ruqi/internal/report"
	ruqiv1 "github.com/ruqi/ruqi/proto/ruqi/v1"
)

// filter is the dashboard's GET form: the report's period, region, agency
// and grouping, and the leads' status.
type filter struct {
	From, To   string // "2026-01"; empty: the service's default
	Region     string
	Agency     string
	Group      ruqiv1.GroupBy
	Top        int32
	LeadStatus ruqiv1.LeadStatus
	LeadPage   int // 1-based page of the leads list
}

type groupOption struct {
	Key   string
	Group ruqiv1.GroupBy
	Label string
}

var groupOptions = []groupOption{
	{"agency", ruqiv1.GroupBy_GROUP_BY_AGENCY, "执法部门"},
	{"enterprise", ruqiv1.GroupBy_GROUP_BY_ENTERPRISE, "企业（检查最多的前 N 家）"},
	{"region", ruqiv1.GroupBy_GROUP_BY_REGION, "行政区划"},
	{"month", ruqiv1.GroupBy_GROUP_BY_MONTH, "月份"},
	{"year", ruqiv1.GroupBy_GROUP_BY_YEAR, "年份"},
}

var monthRE = regexp.MustCompile(`^\d{4}-(0[1-9]|1[0-2])$`)

// parseFilter reads the form; problems are in Chinese, one per field. Only
// the shape is checked here; whether the period makes sense and the region
// is the supervisor's is for the service to say.
func parseFilter(q url.Values) (filter, []string) {
	f := filter{Group: ruqiv1.GroupBy_GROUP_BY_AGENCY, LeadPage: 1}
	var problems []string
	// Typed in a Chinese input method's full-width mode, ５１０１００ and
	// ＡＧ－０１ are the service's 510100 and AG-01 (domain.NormalizeID), as
	// the service and the plans page read them (a trial of the pages,
	// 2026-12-05).
	if p := domain.NormalizeWidth(strings.TrimSpace(q.Get("page"))); p != "" {
		n, err := strconv.Atoi(p)
		if err != nil || n < 1 || n > 1_000_000 {
			problems = append(problems, "页码应为正整数")
		} else {
			f.LeadPage = n
		}
	}
	f.From, f.To = strings.TrimSpace(q.Get("from")), strings.TrimSpace(q.Get("to"))
	if f.From != "" && !monthRE.MatchString(f.From) {
		problems = append(problems, "起始月份格式应为 2026-01")
		f.From = ""
	}
	if f.To != "" && !monthRE.MatchString(f.To) {
		problems = append(problems, "截止月份格式应为 2026-12")
		f.To = ""
	}
	f.Region = domain.NormalizeID(q.Get("region"))
	if f.Region != "" {
		if err := domain.ValidateRegion(f.Region); err != nil {
			problems = append(problems, err.Error())
			f.Region = ""
		}
	}
	f.Agency = domain.NormalizeID(q.Get("agency"))
	if f.Agency != "" && domain.ValidateID("执法部门编号", f.Agency) != nil {
		problems = append(problems, "执法部门编号只能含字母、数字和 - _ .，如 AG-01")
		f.Agency = ""
	}
	if g := q.Get("group"); g != "" {
		found := false
		for _, o := range groupOptions {
			if o.Key == g {
				f.Group, found = o.Group, true
			}
		}
		if !found {
			problems = append(problems, "分组方式无效：应为执法部门、企业、行政区划、月份或年份")
		}
	}
	if t := domain.NormalizeWidth(strings.TrimSpace(q.Get("top"))); t != "" {
		n, err := strconv.Atoi(t)
		if err != nil || n < 1 || n > report.MaxTop {
			problems = append(problems, fmt.Sprintf("企业排名数应为 1 到 %d 之间的整数", report.MaxTop))
		} else {
			f.Top = int32(n)
		}
	}
	if st := q.Get("lead_status"); st != "" {
		v, ok := ruqiv1.LeadStatus_value[st]
		if !ok || v == 0 {
			problems = append(problems, "线索状态无效")
		} else {
			f.LeadStatus = ruqiv1.LeadStatus(v)
		}
	}
	return f, problems
}

// values is the canonical query of f, for links and the CSV export.
func (f filter) values() url.Values {
	v := url.Values{}
	set := func(k, s string) {
		if s != "" {
			v.Set(k, s)
		}
	}
	set("from", f.From)
	set("to", f.To)
	set("region", f.Region)
	set("agency", f.Agency)
	for _, o := range groupOptions {
		if o.Group == f.Group {
			set("group", o.Key)
		}
	}
	if f.Top > 0 {
		v.Set("top", strconv.Itoa(int(f.Top)))
	}
	if f.LeadStatus != 0 {
		v.Set("lead_status", f.LeadStatus.String())
	}
	if f.LeadPage > 1 {
		v.Set("page", strconv.Itoa(f.LeadPage))
	}
	return v
}

func (f filter) request(g ruqiv1.GroupBy) *ruqiv1.GetFrequencyReportRequest {
	return &ruqiv1.GetFrequencyReportRequest{FromMonth: f.From, ToMonth: f.To, GroupBy: g, RegionCode: f.Region, AgencyId: f.Agency, Top: f.Top}
}

func groupLabel(g ruqiv1.GroupBy) string {
	for _, o := range groupOptions {
		if o.Group == g {
			return o.Label
		}
	}
	return ""
}

// dashboardData is the dashboard page.
type dashboardData struct {
	SignedIn bool
	OIDC     bool // the provider's sign-in is offered
	SignIn   string
	CSRF     string
	Flash    string
	Problems []string
	// Kept is what a lead update sent with a session that had ended
	// carried: shown on the sign-in page, to paste once signed in again.
	Kept []string
	// Back is the dashboard's filter (filter.values) the sign-in form
	// returns to.
	Back string

	Filter     filter
	Groups     []optionData
	Statuses   []optionData // lead status filter
	Query      string       // the filter's canonical query, for forms and links
	CSVURL     string
	Unavail    bool // ReportService answers Unimplemented
	ReportErr  string
	Report     *reportData
	Leads      []leadData
	LeadsErr   string
	LeadsTotal int
	LeadPage   int
	LeadPages  int
	PrevPage   string // URL of the previous page of leads; empty on the first
	NextPage   string
	LeadFilter string
	// Warnings are the latest warning events of the supervisor's region
	// (recentWarnings), newest first.
	Warnings    []warningData
	WarningsErr string
	// WarningsCut says the warnings listed may not be the newest: the log
	// grew faster than the dashboard read it (recentWarnings).
	WarningsCut bool
}

// warningData is one warning of the dashboard's list.
type warningData struct {
	Time, Kind, Enterprise, EnterpriseName, Inspection, Officer, Text string
}

// warningsShown is how many of the latest warnings the dashboard lists.
const warningsShown = 30

// warningCalls bounds the ListEvents calls of one dashboard: a call with
// latest reads the log's last 50,000 events and answers at most 1,000, so
// 50 calls read a window that is all warnings, each going on where the last
// stopped (the reads are the window's, however many calls). Ten calls kept
// the newest of the window's first 10,000 warnings, older ones listed as
// the newest while a flood of refusals went on after them (a review).
const warningCalls = 60

// recentWarnings reads the warning events among the log's latest events
// (ListEvents, latest), a supervisor's region's, and keeps the newest
// warningsShown, newest first. The dashboard counted them and named no
// enterprise (a 司法局 trial, 2026-12-06). A window of many warnings is
// read in a few calls, each going on where the last stopped; cut says the
// calls ran out before the log's end (it grew meanwhile by more than a
// call answers), so that those listed may not be the newest.
func (s *server) recentWarnings(ctx context.Context) (_ []warningData, cut bool, _ error) {
	var events []*ruqiv1.Event
	req := &ruqiv1.ListEventsRequest{Types: domain.WarningTypes, Latest: true}
	cut = true
	for range warningCalls {
		resp, err := s.admin.ListEvents(ctx, req)
		if err != nil {
			return nil, false, err
		}
		events = append(events, resp.GetEvents()...)
		if len(events) > warningsShown {
			events = events[len(events)-warningsShown:]
		}
		if resp.GetNextAfterSeq() == 0 {
			cut = false
			break
		}
		req = &ruqiv1.ListEventsRequest{Types: domain.WarningTypes, AfterSeq: resp.GetNextAfterSeq()}
	}
	out := make([]warningData, 0, len(events))
	names := map[string]string{} // USCC → the directory's name, "" if unread
	for i := len(events) - 1; i >= 0; i-- {
		e := events[i]
		u := e.GetEnterpriseUscc()
		if _, ok := names[u]; !ok && u != "" {
			names[u] = s.enterpriseName(ctx, u)
		}
		out = append(out, warningData{Time: beijing(e.GetTime()), Kind: domain.EventTypeLabel(e.GetType()), Enterprise: u, EnterpriseName: names[u],
			Inspection: e.GetInspectionId(), Officer: e.GetOfficerId(), Text: domain.WarningText(e.GetType(), e.GetDetail())})
	}
	return out, cut, nil
}

// enterpriseName is the directory's name of an enterprise the caller may
// read, or "" (the USCC is shown alone then): the dashboard's warnings
// named enterprises by their USCC only (a trial of the pages, 2026-12-07).
// At most warningsShown reads, each served from the server's cache.
func (s *server) enterpriseName(ctx context.Context, uscc string) string {
	resp, err := s.dir.GetEnterprise(ctx, &ruqiv1.GetEnterpriseRequest{Uscc: uscc})
	if err != nil {
		return ""
	}
	return resp.GetEnterprise().GetName()
}

type optionData struct {
	Value, Label string
	Selected     bool
}

type reportData struct {
	Period string
	// Unfinished is report.UnfinishedNote: what 同比 compares when the
	// period ends in a month not over yet.
	Unfinished  string
	Region      string
	GroupLabel  string
	Stats       []statData
	Rows        []rowData
	Evaluations []evalData
	LeadCounts  []statData
	Bars        *barChart
	Months      *monthChart
}

type statData struct {
	Label, Value, Note string
}

type rowData struct {
	Key, Label, Inspections, Previous, Change, Visits, Scanned, ScanRate string
	Up, Down                                                             bool
}

type evalData struct {
	Agency, Count, Overall, Certificate, Rights, Proper string
}

type leadData struct {
	ID, Kind, Status, Enterprise, Inspection, Agency, Officer, Description, Occurred, Region string
	// EnterpriseName, AgencyName and OfficerName are the directory's names
	// (empty when unknown): the supervisor reads names, the ids beside them.
	EnterpriseName, AgencyName, OfficerName string
	Steps                                   []stepData
	Updated                                 bool
	// MoveTo are the statuses the lead may move to (the lifecycle's,
	// domain.LeadNextStatuses); none once it is final. Offering every
	// status had a lead just received moved to 已整改, and a final one
	// moved again, each refused with its note gone (a 司法局 trial of the
	// dashboard, 2026-12-07).
	MoveTo []optionData
	// Followed: the enterprise follows the lead and reads a step's reply
	// (答复); the form offers one for these only.
	Followed bool
}

type stepData struct {
	Status, At, By, Note, Reply string
}

// leadsPerPage keeps the page light: the leads are shown a page at a time.
const leadsPerPage = 50

// allLeads follows ListLeads' pages to the end: the dashboard shows how many
// leads there are and numbers its own pages of leadsPerPage.
func (s *server) allLeads(ctx context.Context, f filter) ([]*ruqiv1.Lead, error) {
	// The list under the report takes its region and agency filters (a
	// trial of the pages, 2026-12-05: asked for 510104, the page listed
	// another district's leads). The counts by status beside it are the
	// region's whatever the agency, and say so.
	req := &ruqiv1.ListLeadsRequest{Status: f.LeadStatus, PageSize: 500, RegionCode: f.Region, AgencyId: f.Agency}
	var all []*ruqiv1.Lead
	for {
		resp, err := s.sup.ListLeads(ctx, req)
		if err != nil {
			return nil, err
		}
		all = append(all, resp.GetLeads()...)
		if resp.GetNextPageToken() == "" || resp.GetNextPageToken() == req.GetPageToken() {
			return all, nil
		}
		req.PageToken = resp.GetNextPageToken()
	}
}

func (s *server) dashboard(w http.ResponseWriter, r *http.Request) {
	sess := sessionToken(r, supervisorCookie)
	if sess == "" {
		render(w, http.StatusOK, "dashboard", "司法局监督看板 · 登录", dashboardData{SignIn: signInProblems[r.URL.Query().Get("signin")], OIDC: s.cfg.Identity != nil, Back: backOf(r.URL.Query())})
		return
	}
	s.renderDashboard(w, r, sess, r.URL.Query(), "", http.StatusOK)
}

// renderDashboard shows the report and the leads for the query q. flash is
// an error from a lead update, shown above everything.
func (s *server) renderDashboard(w http.ResponseWriter, r *http.Request, sess string, q url.Values, flash string, code int) {
	f, problems := parseFilter(q)
	d := dashboardData{SignedIn: true, CSRF: csrfToken(sess), Filter: f, Problems: problems}
	d.Query = f.values().Encode()
	d.CSVURL = "/dashboard/report.csv?" + d.Query
	for _, o := range groupOptions {
		d.Groups = append(d.Groups, optionData{Value: o.Key, Label: o.Label, Selected: o.Group == f.Group})
	}
	d.Statuses = append(d.Statuses, optionData{Value: "", Label: "全部状态", Selected: f.LeadStatus == 0})
	for st := ruqiv1.LeadStatus_LEAD_STATUS_RECEIVED; st <= ruqiv1.LeadStatus_LEAD_STATUS_UNFOUNDED; st++ {
		d.Statuses = append(d.Statuses, optionData{Value: st.String(), Label: domain.LeadStatusLabel(st), Selected: st == f.LeadStatus})
	}
	if flash != "" {
		d.Problems = append([]string{flash}, d.Problems...)
	}

	ctx, cancel := s.callContext(r)
	defer cancel()
	ctx = as(ctx, sess)

	all, err := s.allLeads(ctx, f)
	// A region beyond the supervisor's own is refused as the report
	// refuses it (OTHER_REGION): a filter to change, not a session to end.
	switch code := status.Code(err); {
	case code == codes.OK:
	case code == codes.Unauthenticated, code == codes.PermissionDenied && errorReason(err) != "OTHER_REGION":
		clearSession(w, r, supervisorCookie)
		problem := "expired"
		if status.Code(err) == codes.PermissionDenied {
			problem = "not-supervisor"
		}
		render(w, http.StatusUnauthorized, "dashboard", "司法局监督看板 · 登录", dashboardData{SignIn: signInProblems[problem], OIDC: s.cfg.Identity != nil, Back: backOf(q)})
		return
	default:
		d.LeadsErr = apiMessage(err)
	}
	// Newest first: the service lists leads by id, a hash, so a new lead
	// landed on any page (a trial of the pages, 2026-12-05).
	slices.SortStableFunc(all, func(a, b *ruqiv1.Lead) int {
		return b.GetCreatedAt().AsTime().Compare(a.GetCreatedAt().AsTime())
	})
	updated := q.Get("updated")
	d.LeadsTotal = len(all)
	d.LeadPages = max(1, (len(all)+leadsPerPage-1)/leadsPerPage)
	d.LeadPage = min(f.LeadPage, d.LeadPages)
	pageQuery := func(n int) string {
		g := f
		g.LeadPage = n
		return "/dashboard?" + g.values().Encode() + "#leads"
	}
	if d.LeadPage > 1 {
		d.PrevPage = pageQuery(d.LeadPage - 1)
	}
	if d.LeadPage < d.LeadPages {
		d.NextPage = pageQuery(d.LeadPage + 1)
	}
	for _, l := range all[min(len(all), (d.LeadPage-1)*leadsPerPage):min(len(all), d.LeadPage*leadsPerPage)] {
		ld := leadOf(l)
		if updated != "" && l.GetId() == updated {
			ld.Updated = true
			d.Flash = fmt.Sprintf("问题线索 %s 已更新为“%s”。", l.GetId(), ld.Status)
			if q.Get("replied") == "1" {
				d.Flash = fmt.Sprintf("问题线索 %s 已答复企业（状态仍为“%s”）。", l.GetId(), ld.Status)
			}
		}
		d.Leads = append(d.Leads, ld)
	}
	if updated != "" && d.Flash == "" && domain.LeadIDShape.MatchString(updated) {
		// The lead left the list shown (filtered by its old status, or on
		// another page): say what was done all the same (a trial of the
		// pages, 2026-12-05). Only an id and a status are read from the URL.
		if to := domain.LeadStatusLabel(ruqiv1.LeadStatus(ruqiv1.LeadStatus_value[q.Get("moved")])); to != "" {
			d.Flash = fmt.Sprintf("问题线索 %s 已更新为“%s”。", updated, to)
		} else if q.Get("replied") == "1" {
			d.Flash = fmt.Sprintf("问题线索 %s 已答复企业。", updated)
		}
	}

	if d.Warnings, d.WarningsCut, err = s.recentWarnings(ctx); err != nil {
		d.WarningsErr = apiMessage(err)
	}

	if len(problems) == 0 {
		rep, err := s.rep.GetFrequencyReport(ctx, f.request(f.Group))
		switch status.Code(err) {
		case codes.OK:
			// Show the period the service chose for empty fields, and
			// export exactly that period.
			if d.Filter.From == "" && d.Filter.To == "" {
				d.Filter.From, d.Filter.To = rep.GetFromMonth(), rep.GetToMonth()
				d.Query = d.Filter.values().Encode()
				d.CSVURL = "/dashboard/report.csv?" + d.Query
			}
			d.Report = reportOf(rep)
			d.Report.Bars = newBarChart("本期与上年同期检查次数（按"+groupLabel(rep.GetGroupBy())+"）", barRows(rep))
			monthly := rep
			if rep.GetGroupBy() != ruqiv1.GroupBy_GROUP_BY_MONTH {
				monthly, err = s.rep.GetFrequencyReport(ctx, f.request(ruqiv1.GroupBy_GROUP_BY_MONTH))
			}
			if err == nil {
				d.Report.Months = newMonthChart("逐月检查次数（柱：本期；线：上年同期）", monthPoints(monthly))
			}
		case codes.Unimplemented:
			d.Unavail = true
		default:
			d.ReportErr = apiMessage(err)
		}
	}
	if code == http.StatusOK && len(problems) > 0 {
		code = http.StatusBadRequest
	}
	render(w, code, "dashboard", "司法局监督看板", d)
}

func reportOf(rep *ruqiv1.GetFrequencyReportResponse) *reportData {
	t := rep.GetTotals()
	d := &reportData{Period: rep.GetFromMonth() + " 至 " + rep.GetToMonth(), Region: rep.GetRegionCode(), GroupLabel: groupLabel(rep.GetGroupBy()), Unfinished: report.UnfinishedNote(rep)}
	if d.Region == "" {
		d.Region = "全部"
	}
	n := func(v int64) string { return strconv.FormatInt(v, 10) }
	d.Stats = []statData{
		{"检查次数", n(t.GetInspections()), fmt.Sprintf("上年同期 %d，同比 %s", t.GetPreviousYear(), report.ChangeText(t.GetChange(), t.GetHasChange()))},
		{"入企次数", n(t.GetVisits()), "联合检查按一次计"},
		{"非检查入企", n(nonInspections(t.GetVisitsByKind())), nonInspectionKinds(t.GetVisitsByKind())},
		{"减少入企", n(t.GetVisitsAvoided()), "综合查一次合并的报备"},
		{"并入联合检查占比", report.RateText(t.GetJointShare(), t.GetInspections()), fmt.Sprintf("并入其他部门入企的检查 %d 项 ÷ 检查次数", t.GetJoinedPlans())},
		{"亮码率", report.RateText(t.GetScanRate(), t.GetBegun()), fmt.Sprintf("扫码核验通过 %d 次 ÷ 已开始的检查 %d 次", t.GetScanned(), t.GetBegun())},
		{"两码互核率", report.RateText(t.GetMutualRate(), t.GetBegun()), fmt.Sprintf("两码互核 %d 次 ÷ 已开始的检查 %d 次", t.GetMutuallyVerified(), t.GetBegun())},
		{"企业拒绝检查", n(t.GetRefusals()), ""},
		{"企业投诉", n(t.GetComplaints()), ""},
		{"事后补录报备", n(t.GetLateRegistrations()), "紧急检查后补录"},
		{"双随机未注明抽取", n(t.GetRandomWithoutDraw()), fmt.Sprintf("双随机报备 %d 次中未注明抽取编号的（抽取无从核验，又不列入检查预告；2026-12-08 起统计）", t.GetRandomRegistrations())},
		{"频次预警", n(t.GetFrequencyWarnings()), "超过日、周、月提醒线"},
		{"连续无问题", n(t.GetNoFindingStreaks()), "同一人员连续三次未发现问题"},
		{"超频次拒绝", n(t.GetCapsRefused()), "无事不扰：超过检查上限"},
		{"重复报备拒绝", n(t.GetDuplicatesRefused()), "同一部门时段重叠"},
		{"不扫码预警", n(t.GetResultsWithoutCheckIn()), "未扫码即录入检查结果"},
		{"签到无到场", n(t.GetCheckInsWithoutArrival()), "虚假扫码：要求两码互核而执法人员未扫企业码"},
		{"到场远离时段", n(t.GetArrivalsOutsideWindow()), "虚假扫码：到场远在报备时段之外"},
		{"同时段两地签到", n(t.GetOverlappingCheckIns()), "虚假扫码：同一执法人员同时段在两家企业签到"},
		{"检查计划公示", n(t.GetPlansPublished()), fmt.Sprintf("提交 %d，批准 %d，逾期公示 %d", t.GetPlansFiled(), t.GetPlansApproved(), t.GetPlansPublishedLate())},
	}
	for _, r := range rep.GetRows() {
		label := r.GetLabel()
		if label == "" {
			label = r.GetKey()
		}
		d.Rows = append(d.Rows, rowData{Key: r.GetKey(), Label: label, Inspections: n(r.GetInspections()), Previous: n(r.GetPreviousYear()),
			Change: report.ChangeText(r.GetChange(), r.GetHasChange()), Up: r.GetHasChange() && r.GetChange() > 0, Down: r.GetHasChange() && r.GetChange() < 0,
			Visits: n(r.GetVisits()), Scanned: n(r.GetScanned()), ScanRate: report.Share(r.GetScanned(), r.GetBegun())})
	}
	for _, e := range rep.GetEvaluations() {
		name := e.GetAgencyName()
		if name == "" {
			name = e.GetAgencyId()
		}
		d.Evaluations = append(d.Evaluations, evalData{Agency: name, Count: n(e.GetEvaluations()), Overall: fmt.Sprintf("%.2f", e.GetOverallAverage()),
			Certificate: report.Percent(e.GetCertificateShownShare()), Rights: report.Percent(e.GetRightsExplainedShare()), Proper: report.Percent(e.GetConductedProperlyShare())})
	}
	for _, l := range rep.GetLeads() {
		d.LeadCounts = append(d.LeadCounts, statData{Label: domain.LeadStatusLabel(l.GetStatus()), Value: n(l.GetCount())})
	}
	return d
}

func barRows(rep *ruqiv1.GetFrequencyReportResponse) []chartRow {
	var out []chartRow
	for _, r := range rep.GetRows() {
		label := r.GetLabel()
		if label == "" {
			label = r.GetKey()
		}
		out = append(out, chartRow{Label: label, Cur: r.GetInspections(), Prev: r.GetPreviousYear()})
	}
	return out
}

// monthPoints lays every month of the period on the axis, with zeros for
// months without a row, so that a quiet month shows as a gap and not as
// nothing.
func monthPoints(rep *ruqiv1.GetFrequencyReportResponse) []monthPoint {
	byKey := map[string]*ruqiv1.ReportRow{}
	for _, r := range rep.GetRows() {
		byKey[strings.ReplaceAll(r.GetKey(), "-", "")] = r
	}
	var from, to, y, m int
	if _, err := fmt.Sscanf(rep.GetFromMonth(), "%d-%d", &y, &m); err != nil {
		return nil
	}
	from = y*12 + m - 1
	if _, err := fmt.Sscanf(rep.GetToMonth(), "%d-%d", &y, &m); err != nil {
		return nil
	}
	to = y*12 + m - 1
	if to < from || to-from > 240 {
		return nil
	}
	multiYear := from/12 != to/12
	var out []monthPoint
	for i := from; i <= to; i++ {
		y, m := i/12, i%12+1
		p := monthPoint{Name: fmt.Sprintf("%d-%02d", y, m), Label: fmt.Sprintf("%d月", m)}
		if multiYear {
			p.Label = fmt.Sprintf("%02d/%d", y%100, m)
		}
		if r := byKey[fmt.Sprintf("%d%02d", y, m)]; r != nil {
			p.Cur, p.Prev = r.GetInspections(), r.GetPreviousYear()
		}
		out = append(out, p)
	}
	return out
}

func leadOf(l *ruqiv1.Lead) leadData {
	d := leadData{ID: l.GetId(), Kind: domain.LeadKindLabel(l.GetKind()), Status: domain.LeadStatusLabel(l.GetStatus()), Enterprise: l.GetEnterpriseUscc(),
		Inspection: l.GetInspectionId(), Agency: l.GetAgencyId(), Officer: l.GetOfficerId(), Description: l.GetDescription(),
		Occurred: beijing(l.GetOccurredAt()), Region: l.GetRegionCode(),
		EnterpriseName: l.GetEnterpriseName(), AgencyName: l.GetAgencyName(), OfficerName: l.GetOfficerName()}
	if d.Officer == "" && l.GetOfficerClaimed() != "" {
		d.Officer = "自称：" + l.GetOfficerClaimed()
	}
	if d.Occurred == "" {
		d.Occurred = beijing(l.GetCreatedAt())
	}
	for _, st := range l.GetSteps() {
		by := domain.ActorLabel(st.GetBy())
		if d.EnterpriseName != "" && st.GetBy() == "enterprise:"+d.Enterprise {
			// The lead's own enterprise, by the name the row shows: it
			// read "已接收 · 企业 9151…" (a trial of the pages, 2026-12-07).
			by = d.EnterpriseName
		}
		d.Steps = append(d.Steps, stepData{Status: domain.LeadStatusLabel(st.GetStatus()), At: beijing(st.GetAt()), By: by, Note: st.GetNote(), Reply: st.GetReply()})
	}
	d.Followed = domain.EnterpriseFollows(l)
	for _, st := range domain.LeadNextStatuses(l.GetStatus()) {
		d.MoveTo = append(d.MoveTo, optionData{Value: st.String(), Label: domain.LeadStatusLabel(st)})
	}
	return d
}

// updateLead moves a lead (SupervisionService.UpdateLead) and returns to
// the dashboard as it was, or shows the service's refusal above it.
func (s *server) updateLead(w http.ResponseWriter, r *http.Request) {
	if !parseForm(w, r) {
		return
	}
	id := r.PathValue("id")
	note := strings.TrimSpace(r.PostFormValue("note"))
	reply := strings.TrimSpace(r.PostFormValue("reply"))
	st := ruqiv1.LeadStatus(ruqiv1.LeadStatus_value[r.PostFormValue("status")])
	// No status and a reply: a reply alone, at the lead's status (the
	// service's rule; the form offers it for the leads the enterprise
	// follows, a final one too).
	replyOnly := st == ruqiv1.LeadStatus_LEAD_STATUS_UNSPECIFIED && !domain.Blank(reply)
	sess := sessionToken(r, supervisorCookie)
	if sess == "" {
		s.leadNotTaken(w, r, id, st, note, reply)
		return
	}
	// back is the dashboard's query; reading it through parseFilter keeps
	// only known fields.
	backQ, _ := url.ParseQuery(r.PostFormValue("back"))
	bf, _ := parseFilter(backQ)
	back := bf.values()
	if !validCSRF(sess, r.PostFormValue("csrf")) {
		s.renderDashboard(w, r, sess, back, signInProblems["form"], http.StatusForbidden)
		return
	}
	// A refused update says what was typed, to copy into the form again:
	// the note was lost with the refusal (a 司法局 trial, 2026-12-06:
	// another supervisor had moved the lead first), and so was the reply
	// (a review, 2026-12-08).
	kept := func(msg string) string {
		if !domain.Blank(note) {
			msg += "。已填写的处理说明（可复制后重试）：" + note
		}
		if !domain.Blank(reply) {
			msg += "。已填写的答复企业（可复制后重试）：" + reply
		}
		return msg
	}
	switch {
	case !domain.LeadIDShape.MatchString(id):
		s.renderDashboard(w, r, sess, back, "问题线索编号无效", http.StatusBadRequest)
		return
	case domain.LeadStatusLabel(st) == "" && !replyOnly:
		s.renderDashboard(w, r, sess, back, kept("请选择线索的新状态"), http.StatusBadRequest)
		return
	case domain.Blank(note) && !replyOnly:
		s.renderDashboard(w, r, sess, back, kept("请填写处理说明（例如核查经过、整改情况或移交文号）"), http.StatusBadRequest)
		return
	case domain.ValidateText("处理说明", note, domain.MaxLeadNote) != nil:
		s.renderDashboard(w, r, sess, back, kept(fmt.Sprintf("处理说明最多 %d 个字", domain.MaxLeadNote)), http.StatusBadRequest)
		return
	case domain.ValidateText("答复企业", reply, domain.MaxLeadNote) != nil:
		s.renderDashboard(w, r, sess, back, kept(fmt.Sprintf("答复企业最多 %d 个字", domain.MaxLeadNote)), http.StatusBadRequest)
		return
	}
	ctx, cancel := s.callContext(r)
	defer cancel()
	_, err := s.sup.UpdateLead(as(ctx, sess), &ruqiv1.UpdateLeadRequest{LeadId: id, Status: st, Note: note, Reply: reply})
	if status.Code(err) == codes.Unauthenticated {
		clearSession(w, r, supervisorCookie)
		s.leadNotTaken(w, r, id, st, note, reply)
		return
	}
	if err != nil {
		s.renderDashboard(w, r, sess, back, kept("问题线索未更新："+apiMessage(err)), httpStatus(err))
		return
	}
	back.Set("updated", id)
	if replyOnly {
		back.Set("replied", "1")
	} else {
		back.Set("moved", st.String())
	}
	http.Redirect(w, r, "/dashboard?"+back.Encode()+"#leads", http.StatusSeeOther)
}

// backOf is the dashboard's own filter of q (parseFilter keeps the known
// fields only, in shape), for a sign-in to return to; "" for the default.
func backOf(q url.Values) string {
	f, _ := parseFilter(q)
	f.LeadPage = 1
	def, _ := parseFilter(url.Values{})
	if f == def {
		return ""
	}
	return f.values().Encode()
}

// leadNotTaken answers a lead update sent with a session that has ended
// (the cookie gone with its time, or the session expired or revoked on the
// server): the sign-in page, keeping the note typed, to paste once signed
// in again. A redirect to the sign-in lost it (a 司法局 trial of the
// dashboard, 2026-12-07), as the enterprise's forms once did
// (sessionEndedKeeping).
func (s *server) leadNotTaken(w http.ResponseWriter, r *http.Request, id string, st ruqiv1.LeadStatus, note, reply string) {
	backQ, _ := url.ParseQuery(r.PostFormValue("back"))
	d := dashboardData{SignIn: signInProblems["expired"], OIDC: s.cfg.Identity != nil, Back: backOf(backQ)}
	if note != "" || reply != "" {
		what := "问题线索未更新"
		if domain.LeadIDShape.MatchString(id) {
			what = "问题线索 " + id + " 未更新"
			if to := domain.LeadStatusLabel(st); to != "" {
				what += "（拟改为“" + to + "”）"
			}
		}
		typed := note
		if reply != "" {
			typed = strings.TrimSpace(typed + "\n答复企业：" + reply)
		}
		d.Kept = append([]string{what + "。"}, kept(typed)...)
	}
	render(w, http.StatusUnauthorized, "dashboard", "司法局监督看板 · 登录", d)
}

// dashboardSignIn signs a supervisor in. The token is tried on
// SupervisionService.ListLeads, which only supervisors and administrators
// may call, as the dashboard itself will; the cookie then holds a session
// started from it (startSession), not the token.
func (s *server) dashboardSignIn(w http.ResponseWriter, r *http.Request) {
	if !parseForm(w, r) {
		return
	}
	// back is the dashboard the sign-in was asked from (its filter only,
	// read through parseFilter): signing in again after a session ran out
	// went to the default dashboard, the district and grouping read to
	// choose again (a 司法局 trial, 2026-12-07).
	backQ, _ := url.ParseQuery(r.PostFormValue("back"))
	back := backOf(backQ)
	fail := func(problem string) {
		v, _ := url.ParseQuery(back)
		v.Set("signin", problem)
		http.Redirect(w, r, "/dashboard?"+v.Encode(), http.StatusSeeOther)
	}
	tok, problem := cleanToken(r.PostFormValue("token"))
	if problem != "" {
		fail(problem)
		return
	}
	ctx, cancel := s.callContext(r)
	defer cancel()
	_, err := s.sup.ListLeads(as(ctx, tok), &ruqiv1.ListLeadsRequest{Status: ruqiv1.LeadStatus_LEAD_STATUS_TRANSFERRED, PageSize: 1})
	switch status.Code(err) {
	case codes.OK:
		if err := s.startSession(ctx, w, r, supervisorCookie, tok); err != nil {
			fail(sessionProblem(err))
			return
		}
		to := "/dashboard"
		if back != "" {
			to += "?" + back
		}
		http.Redirect(w, r, to, http.StatusSeeOther)
	case codes.Unauthenticated:
		fail("invalid")
	case codes.PermissionDenied:
		fail("not-supervisor")
	default:
		fail("unavailable")
	}
}

func (s *server) dashboardSignOut(w http.ResponseWriter, r *http.Request) {
	if !parseForm(w, r) {
		return
	}
	if sess := sessionToken(r, supervisorCookie); sess != "" && !validCSRF(sess, r.PostFormValue("csrf")) {
		s.renderDashboard(w, r, sess, url.Values{}, signInProblems["form"], http.StatusForbidden)
		return
	}
	if err := s.endSession(r, supervisorCookie); err != nil {
		signOutFailed(w, err, "/dashboard")
		return
	}
	forgetPages(w)
	clearSession(w, r, supervisorCookie)
	http.Redirect(w, r, "/dashboard", http.StatusSeeOther)
}

// reportCSV exports the report the dashboard shows as CSV
// (report.WriteCSV, which the CLI's -o csv writes too).
func (s *server) reportCSV(w http.ResponseWriter, r *http.Request) {
	// The link is followed, not downloaded (no download attribute): a
	// refusal is shown. For want of a session it is the sign-in page; as a
	// download Chromium cancelled it and the page said nothing (a 司法局
	// trial of the dashboard, 2026-12-07).
	signIn := func() {
		render(w, http.StatusUnauthorized, "dashboard", "司法局监督看板 · 登录", dashboardData{SignIn: signInProblems["expired"], OIDC: s.cfg.Identity != nil, Back: backOf(r.URL.Query())})
	}
	sess := sessionToken(r, supervisorCookie)
	if sess == "" {
		signIn()
		return
	}
	f, problems := parseFilter(r.URL.Query())
	if len(problems) > 0 {
		http.Error(w, "筛选条件有误："+strings.Join(problems, "；"), http.StatusBadRequest)
		return
	}
	ctx, cancel := s.callContext(r)
	defer cancel()
	rep, err := s.rep.GetFrequencyReport(as(ctx, sess), f.request(f.Group))
	if status.Code(err) == codes.Unauthenticated {
		clearSession(w, r, supervisorCookie)
		signIn()
		return
	}
	if err != nil {
		msg := apiMessage(err)
		if status.Code(err) == codes.Unimplemented {
			msg = "报表服务暂不可用，暂时无法导出"
		}
		http.Error(w, msg, httpStatus(err))
		return
	}
	name := fmt.Sprintf("ruqi-report-%s_%s-%s.csv", rep.GetFromMonth(), rep.GetToMonth(), strings.ToLower(strings.TrimPrefix(rep.GetGroupBy().String(), "GROUP_BY_")))
	h := w.Header()
	h.Set("Content-Type", "text/csv; charset=utf-8")
	h.Set("Content-Disposition", `attachment; filename="`+name+`"`)
	h.Set("Cache-Control", "no-store")
	_ = report.WriteCSV(w, rep)
}

// nonInspections counts the period's entries that were not inspections
// (日常巡查, 政策宣传, 走访调研, 服务).
func nonInspections(list []*ruqiv1.VisitKindCount) int64 {
	var n int64
	for _, k := range list {
		if !domain.IsInspection(k.GetVisitKind()) {
			n += k.GetCount()
		}
	}
	return n
}

// nonInspectionKinds names them by kind: "走访调研 1，政策宣传 2".
func nonInspectionKinds(list []*ruqiv1.VisitKindCount) string {
	var parts []string
	for _, k := range list {
		if !domain.IsInspection(k.GetVisitKind()) && k.GetCount() > 0 {
			parts = append(parts, fmt.Sprintf("%s %d", domain.VisitKindLabel(k.GetVisitKind()), k.GetCount()))
		}
	}
	if len(parts) == 0 {
		return "日常巡查、政策宣传、走访调研、服务"
	}
	return strings.Join(parts, "，")
}
