package domain

import (
	"fmt"
	"strings"
	"time"

	ruqiv1 "github.com/ruqi/ruqi/proto/ruqi/v1"
)

// Limits bound a registration. They come from the server's configuration.
type Limits struct {
	// MaxWindow is the longest planned visit window.
	MaxWindow time.Duration
	// MaxAdvance is how far ahead a visit may be registered.
	MaxAdvance time.Duration
	// ClockLeeway tolerates clocks that disagree a little: a window may start
	// this much in the past, and a code verifies this much outside its window.
	ClockLeeway time.Duration
	// MinOfficers is the number of officers an on-site inspection needs (2).
	MinOfficers int
	// LateDays is how long after an emergency inspection it may still be
	// registered (深圳: 10 days after a system outage).
	LateDays int
}

// DefaultLimits are the server's defaults.
func DefaultLimits() Limits {
	return Limits{MaxWindow: 7 * 24 * time.Hour, MaxAdvance: 90 * 24 * time.Hour, ClockLeeway: 2 * time.Minute, MinOfficers: 2, LateDays: 10}
}

// Shanghai is the default time zone of periods and displayed times.
var Shanghai = mustZone("Asia/Shanghai")

func mustZone(name string) *time.Location {
	loc, err := time.LoadLocation(name)
	if err != nil {
		// time/tzdata is imported by the binaries, so this only fails in a
		// broken build.
		panic(err)
	}
	return loc
}

// FormatDuration says a duration in Chinese units, to the minute:
// "1小时30分钟", "168小时（7天）" (whole days are named too); beyond a week
// in days, "8天8小时", "517天".
func FormatDuration(d time.Duration) string {
	d = d.Round(time.Minute)
	if d < time.Minute {
		return "不到1分钟"
	}
	h, m := int(d/time.Hour), int(d%time.Hour/time.Minute)
	if h > 7*24 {
		// Beyond a week, days: a plan's period of "12408小时（517天）"
		// read as a sum to work out (a planner's trial, 2026-12-06).
		s := fmt.Sprintf("%d天", h/24)
		if h%24 != 0 {
			s += fmt.Sprintf("%d小时", h%24)
		}
		if m != 0 {
			s += fmt.Sprintf("%d分钟", m)
		}
		return s
	}
	var s string
	switch {
	case h == 0:
		s = fmt.Sprintf("%d分钟", m)
	case m == 0:
		s = fmt.Sprintf("%d小时", h)
	default:
		s = fmt.Sprintf("%d小时%d分钟", h, m)
	}
	if m == 0 && h >= 24 && h%24 == 0 {
		s += fmt.Sprintf("（%d天）", h/24)
	}
	return s
}

// FormatSpan says how long it is from start to end: up to a year as
// FormatDuration does, longer as the two times and the days between them.
// end.Sub(start) saturates at about 292 years: a window mistyped to end in
// 9999 was said to last "2562047小时47分钟" (a trial of bad input,
// 2026-12-07), a number that is not its length and does not show the year
// the officer has to correct.
func FormatSpan(start, end time.Time) string {
	if d := end.Sub(start); d <= 366*24*time.Hour {
		return FormatDuration(d)
	}
	days := (end.Unix() - start.Unix()) / (24 * 60 * 60) // seconds of years 1–9999 fit in an int64
	s := fmt.Sprintf("%s至%s，共%d天", FormatTime(start), FormatTime(end), days)
	if years := days / 365; years >= 2 {
		s += fmt.Sprintf("（约%d年）", years)
	}
	return s
}

// FormatTime renders a time for people, in Beijing time.
func FormatTime(t time.Time) string { return t.In(Shanghai).Format("2006-01-02 15:04") }

// FormatTimesApart formats two times a message compares: to the minute, or
// to the second where the minutes are the same, so that "08:15 早于 08:15"
// is never said (an operator's trial, 2026-12-05).
func FormatTimesApart(a, b time.Time) (string, string) {
	if x, y := FormatTime(a), FormatTime(b); x != y {
		return x, y
	}
	const seconds = "2006-01-02 15:04:05"
	return a.In(Shanghai).Format(seconds), b.In(Shanghai).Format(seconds)
}

// ValidateRequestShape checks what can be checked without the directory: the
// enterprise code, the lists, the type, the reason and the window.
func ValidateRequestShape(r *ruqiv1.RegisterInspectionRequest, now time.Time, l Limits) error {
	if r.GetEnterpriseUscc() == "" {
		return Invalidf("ENTERPRISE_MISSING", "请填写被检查企业的统一社会信用代码")
	}
	if err := ValidateUSCC(r.GetEnterpriseUscc()); err != nil {
		return err
	}
	inspecting := IsInspection(r.GetVisitKind())
	if !inspecting {
		if err := validateVisitShape(r); err != nil {
			return err
		}
	} else if len(r.GetCheckItemIds()) == 0 {
		return Invalidf("ITEMS_EMPTY", "检查事项不能为空：请从本部门公布的检查事项清单中选择至少一项")
	}
	if len(r.GetCheckItemIds()) > MaxCheckItems {
		return Invalidf("TOO_MANY_ITEMS", "一次检查最多%d个检查事项，本次填写了%d个", MaxCheckItems, len(r.GetCheckItemIds()))
	}
	if err := ValidateOfficerCount(len(r.GetOfficerIds())); err != nil {
		return err
	}
	if dup := firstDuplicate(r.GetCheckItemIds()); dup != "" {
		return Invalidf("ITEM_REPEATED", "检查事项 %s 重复填写", dup)
	}
	if dup := firstDuplicate(r.GetOfficerIds()); dup != "" {
		return Invalidf("OFFICER_REPEATED", "执法人员 %s 重复填写", dup)
	}
	switch {
	case !inspecting && len(r.GetOfficerIds()) == 0:
		// Not an inspection: one person may visit, but each carries a code.
		return Invalidf("TOO_FEW_OFFICERS", "请填写入企人员（至少1名），每人一个入企码")
	case inspecting && len(r.GetOfficerIds()) < l.MinOfficers:
		return Invalidf("TOO_FEW_OFFICERS", "现场检查须有至少%d名执法人员，本次只填写了%d名", l.MinOfficers, len(r.GetOfficerIds()))
	}
	if inspecting {
		if err := validateType(r); err != nil {
			return err
		}
	}
	if Blank(r.GetReason()) {
		return Invalidf("REASON_MISSING", "请填写检查事由")
	}
	if len([]rune(r.GetReason())) > 500 {
		return Invalidf("REASON_TOO_LONG", "检查事由过长（最多500字）")
	}
	if err := ValidateText("触发依据", r.GetTriggerReference(), 200); err != nil {
		return err
	}
	if err := ValidateText("再次检查的理由", r.GetStreakReason(), 500); err != nil {
		return err
	}
	if err := ValidateText("补录原因", r.GetLateReason(), 500); err != nil {
		return err
	}
	if r.GetWindowStart() == nil || r.GetWindowEnd() == nil {
		return Invalidf("WINDOW_MISSING", "请填写计划检查的起止时间")
	}
	if IsLateRecord(r) {
		return ValidateLateWindow(r.GetWindowStart().AsTime(), r.GetWindowEnd().AsTime(), now, l)
	}
	return ValidateWindow(r.GetWindowStart().AsTime(), r.GetWindowEnd().AsTime(), now, l)
}

// IsLateRecord reports whether a registration is an emergency recorded
// after it began (先检查后补录): it gives a late reason that says something
// (Blank; one of invisible characters only made a late record whose lead
// told the 司法局 nothing).
func IsLateRecord(r *ruqiv1.RegisterInspectionRequest) bool {
	return !Blank(r.GetLateReason())
}

// ValidateLateWindow checks the window of an emergency inspection registered
// after it began (先检查后补录): it must have begun, within LateDays.
func ValidateLateWindow(start, end, now time.Time, l Limits) error {
	if !end.After(start) {
		return Invalidf("WINDOW_BACKWARDS", "检查结束时间（%s）须晚于开始时间（%s）", FormatTime(end), FormatTime(start))
	}
	if end.Sub(start) > l.MaxWindow {
		return Invalidf("WINDOW_TOO_LONG", "检查时段为%s，超过上限%s", Composed(FormatSpan(start, end)), FormatDuration(l.MaxWindow))
	}
	if start.After(now) {
		return Invalidf("LATE_NOT_STARTED", "事后补录只适用于已经开始的紧急检查；尚未开始的检查请正常报备")
	}
	if start.Before(now.AddDate(0, 0, -l.LateDays)) {
		return Invalidf("LATE_TOO_LATE", "检查开始于 %s，已超过%d天的补录期限", FormatTime(start), l.LateDays)
	}
	return nil
}

// LateRecordPast reports whether ins was recorded after the fact (事后补录)
// with a window that had already ended when it was registered: its codes
// were never valid at any door, and the enterprise opening one reads the
// record. A late record whose window went on past its registration had
// codes valid at the door; shown there after its window, one is an expired
// code like any other (a review, 2026-12-07).
func LateRecordPast(ins *ruqiv1.Inspection) bool {
	return ins.GetLate() && ins.GetWindowEnd() != nil && ins.GetRegisteredAt() != nil &&
		!ins.GetWindowEnd().AsTime().After(ins.GetRegisteredAt().AsTime())
}

func validateType(r *ruqiv1.RegisterInspectionRequest) error {
	if r.GetType() != ruqiv1.InspectionType_INSPECTION_TYPE_SPECIAL && strings.TrimSpace(r.GetPlanId()) != "" {
		return Invalidf("PLAN_FOR_OTHER_TYPE", "只有专项检查依据检查计划报备：本次检查类型不是专项，请不要填写计划编号")
	}
	if err := TriggerForType(r.GetType(), r.GetTriggerReference()); err != nil {
		return err
	}
	switch r.GetType() {
	case ruqiv1.InspectionType_INSPECTION_TYPE_ROUTINE, ruqiv1.InspectionType_INSPECTION_TYPE_RANDOM:
		return nil
	case ruqiv1.InspectionType_INSPECTION_TYPE_SPECIAL:
		if strings.TrimSpace(r.GetPlanId()) == "" {
			return Invalidf("PLAN_MISSING", "专项检查须依据经部门负责人批准的检查计划：请填写计划编号（ruqi plan list 可查看本部门的计划）")
		}
		return nil
	case ruqiv1.InspectionType_INSPECTION_TYPE_CASE:
		return nil
	}
	return Invalidf("TYPE_MISSING", "请选择检查类型：日常、双随机、专项或个案")
}

// TriggerForType checks the trigger reference (投诉举报、转办交办或事故的编号)
// of a registration or a plan's coverage: a 个案 check needs one, and no
// other type may name one, or a proactive check, counted against the caps,
// would read as one a complaint triggered (有事必到) (an agency's trial,
// 2026-12-06).
func TriggerForType(t ruqiv1.InspectionType, trigger string) error {
	has := !Blank(trigger)
	switch {
	case t == ruqiv1.InspectionType_INSPECTION_TYPE_CASE && !has:
		return Invalidf("TRIGGER_MISSING", "个案检查须填写触发依据（投诉举报、转办交办或事故的编号）")
	case t != ruqiv1.InspectionType_INSPECTION_TYPE_CASE && has:
		return Invalidf("TRIGGER_FOR_OTHER_TYPE", "只有个案检查填写触发依据（投诉举报、转办交办或事故的编号）：本次检查类型不是个案，请不要填写触发依据")
	}
	return nil
}

// ValidateWindow checks a planned visit window against now.
func ValidateWindow(start, end, now time.Time, l Limits) error {
	if !end.After(start) {
		return Invalidf("WINDOW_BACKWARDS", "检查结束时间（%s）须晚于开始时间（%s）", FormatTime(end), FormatTime(start))
	}
	if end.Sub(start) > l.MaxWindow {
		return Invalidf("WINDOW_TOO_LONG", "计划检查时段为%s，超过上限%s：请缩短时段或分次报备", Composed(FormatSpan(start, end)), FormatDuration(l.MaxWindow))
	}
	if start.Before(now.Add(-l.ClockLeeway)) {
		return Invalidf("WINDOW_IN_PAST", "开始时间 %s 已过：检查须在实施前报备；已实施的紧急检查请填写补录原因，事后补录", FormatTime(start))
	}
	// The leeway lets a window start a little in the past, never end there:
	// a plan whose window is already over can only be a late record.
	if !end.After(now) {
		return Invalidf("WINDOW_ENDED", "结束时间 %s 已过：检查须在实施前报备；已实施的紧急检查请填写补录原因，事后补录", FormatTime(end))
	}
	if start.After(now.Add(l.MaxAdvance)) {
		return Invalidf("WINDOW_TOO_FAR", "开始时间 %s 过远：最多可提前%d天报备", FormatTime(start), int(l.MaxAdvance.Hours()/24))
	}
	return nil
}

// CheckItemsForAgency checks that every item is on the agency's published,
// current catalogue (清单之外无检查).
func CheckItemsForAgency(agencyID string, items []*ruqiv1.CheckItem) error {
	for _, it := range items {
		if it.GetAgencyId() != agencyID {
			return FailedPreconditionf("ITEM_OF_OTHER_AGENCY", "检查事项 %s（%s）不在本部门公布的检查事项清单中，属于其他部门：清单之外无检查", it.GetId(), it.GetName()).With("check_item_id", it.GetId())
		}
		if it.GetRetired() {
			return FailedPreconditionf("ITEM_RETIRED", "检查事项 %s（%s）已从清单中取消，不能再报备", it.GetId(), it.GetName()).With("check_item_id", it.GetId())
		}
	}
	return nil
}

// CertificateValid reports whether an officer's certificate (执法证) is valid
// at t.
func CertificateValid(o *ruqiv1.Officer, t time.Time) bool {
	return o.GetCertificateStatus() == ruqiv1.CertificateStatus_CERTIFICATE_STATUS_ACTIVE &&
		o.GetCertificateValidUntil() != nil && t.Before(o.GetCertificateValidUntil().AsTime())
}

// OfficerMayAct is whether officer o may act as an officer at now at all
// (register, take codes, record results, read the agency's records): only
// while their certificate is valid. A suspended (暂扣), revoked (注销) or
// expired certificate makes them no enforcement officer, whatever token
// they hold; their agency's administrator acts for the agency meanwhile.
func OfficerMayAct(o *ruqiv1.Officer, now time.Time) error {
	if CertificateValid(o, now) {
		return nil
	}
	const then = "，不能以执法人员身份办理任何事项（报备、取码、录入结果、查阅），请联系本部门管理员"
	switch o.GetCertificateStatus() {
	case ruqiv1.CertificateStatus_CERTIFICATE_STATUS_SUSPENDED:
		return PermissionDeniedf("CERTIFICATE_SUSPENDED", "您的执法证 %s 已暂扣"+then, o.GetCertificateNumber())
	case ruqiv1.CertificateStatus_CERTIFICATE_STATUS_ACTIVE:
		if o.GetCertificateValidUntil() != nil {
			return PermissionDeniedf("CERTIFICATE_EXPIRED", "您的执法证 %s 已于 %s 过期"+then, o.GetCertificateNumber(), FormatTime(o.GetCertificateValidUntil().AsTime()))
		}
	}
	return PermissionDeniedf("CERTIFICATE_REVOKED", "您的执法证 %s 已注销或无效"+then, o.GetCertificateNumber())
}

// AcceptanceStands is whether an officer's acceptance of a 拼团 proposal
// for agency still stands when the proposal settles at now. The agency's
// part is registered as the officer who accepted, so that officer must
// still be one who may act for the agency (OfficerMayAct): an acceptance
// does not outlive its giver's certificate, as the giver's own token does
// not. o is the officer as the directory now has them, nil if no longer
// there; officerID is the one who accepted. The refusal is the agency's to
// read, in the words of the member's note: its part is not registered,
// and the agency may register it anew through someone who may act.
func AcceptanceStands(officerID string, o *ruqiv1.Officer, agency string, now time.Time) error {
	const then = "，其同意不再有效，本部门未按拼团报备；如仍需检查，请由本部门管理员或其他在岗执法人员按本部门计划另行报备"
	if o == nil {
		return FailedPreconditionf("ACCEPTANCE_LAPSED", "同意拼团的执法人员 %s 已不在执法人员名录中"+then, officerID).With("officer_id", officerID)
	}
	if o.GetAgencyId() != agency {
		return FailedPreconditionf("ACCEPTANCE_LAPSED", "同意拼团的执法人员 %s（%s）已不属于本部门"+then, o.GetId(), o.GetName()).With("officer_id", o.GetId())
	}
	if CertificateValid(o, now) {
		return nil
	}
	what := "已注销或无效"
	switch o.GetCertificateStatus() {
	case ruqiv1.CertificateStatus_CERTIFICATE_STATUS_SUSPENDED:
		what = "已暂扣"
	case ruqiv1.CertificateStatus_CERTIFICATE_STATUS_ACTIVE:
		if o.GetCertificateValidUntil() != nil {
			what = "已于 " + FormatTime(o.GetCertificateValidUntil().AsTime()) + " 过期"
		}
	}
	return FailedPreconditionf("ACCEPTANCE_LAPSED", "同意拼团的执法人员 %s（%s）的执法证 %s %s"+then, o.GetId(), o.GetName(), o.GetCertificateNumber(), what).With("officer_id", o.GetId())
}

// CheckOfficersForAgency checks that each officer belongs to the agency and
// holds a certificate valid for the whole window.
func CheckOfficersForAgency(agencyID string, officers []*ruqiv1.Officer, windowStart, windowEnd time.Time) error {
	for _, o := range officers {
		if o.GetAgencyId() != agencyID {
			// The id only: another agency's staff list is not the caller's
			// to read (ListOfficers refuses it), and neither are its names.
			return FailedPreconditionf("OFFICER_OF_OTHER_AGENCY", "执法人员 %s 不属于本部门，不能参加本部门的检查", o.GetId()).With("officer_id", o.GetId())
		}
		switch o.GetCertificateStatus() {
		case ruqiv1.CertificateStatus_CERTIFICATE_STATUS_ACTIVE:
		case ruqiv1.CertificateStatus_CERTIFICATE_STATUS_SUSPENDED:
			return FailedPreconditionf("CERTIFICATE_SUSPENDED", "执法人员 %s（%s）的执法证 %s 已暂扣，不能参加检查", o.GetId(), o.GetName(), o.GetCertificateNumber()).With("officer_id", o.GetId())
		default:
			return FailedPreconditionf("CERTIFICATE_REVOKED", "执法人员 %s（%s）的执法证 %s 已注销或无效，不能参加检查", o.GetId(), o.GetName(), o.GetCertificateNumber()).With("officer_id", o.GetId())
		}
		if !CertificateValid(o, windowStart) {
			// Expired before the visit begins, perhaps long ago: said so,
			// not as a window it fails to cover (an agency's trial,
			// 2026-12-06).
			return FailedPreconditionf("CERTIFICATE_EXPIRED", "执法人员 %s（%s）的执法证 %s 有效期至 %s，检查开始前已过期，不能参加检查", o.GetId(), o.GetName(), o.GetCertificateNumber(), FormatTime(o.GetCertificateValidUntil().AsTime())).With("officer_id", o.GetId())
		}
		if !CertificateValid(o, windowEnd) {
			return FailedPreconditionf("CERTIFICATE_EXPIRES", "执法人员 %s（%s）的执法证 %s 有效期至 %s，不覆盖整个检查时段", o.GetId(), o.GetName(), o.GetCertificateNumber(), FormatTime(o.GetCertificateValidUntil().AsTime())).With("officer_id", o.GetId())
		}
	}
	return nil
}

// ValidateID checks an identifier from outside (agency, officer, item):
// it becomes part of store and counter keys, so only a plain alphabet.
func ValidateID(what, id string) error {
	if len(id) == 0 || len(id) > 64 {
		return Invalidf("ID_MALFORMED", "%s长度应为1至64个字符：%q", what, id)
	}
	for _, c := range id {
		if !(c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.') {
			return Invalidf("ID_MALFORMED", "%s只能包含字母、数字和 - _ .：%q", what, id)
		}
	}
	return nil
}

// ValidateRegion checks a 6-digit administrative division code.
func ValidateRegion(code string) error {
	if len(code) != 6 || strings.Trim(code, "0123456789") != "" {
		return Invalidf("REGION_MALFORMED", "行政区划代码应为6位数字：%q", code)
	}
	// The first two digits name the province; none is 00. A supervisor
	// of "000000" covered no region by RegionCovers but every region in
	// the report's default, which read its empty prefix as "all": a
	// national override nobody meant to grant.
	if code[:2] == "00" {
		return Invalidf("REGION_MALFORMED", "行政区划代码的前两位是省级代码，不能为 00：%q", code)
	}
	// An unknown province ("999999", a typo in a directory) would be
	// stored and covered by no agency, its enterprises inspected by nobody
	// and counted in no province's report (an operator's import, 2026-12-07).
	if !provinces[code[:2]] {
		return Invalidf("REGION_MALFORMED", "行政区划代码%q的前两位%s不是任何省、自治区、直辖市或特别行政区的代码（GB/T 2260，如四川 51）", code, code[:2])
	}
	// A county-level code always has a city-level pair: counties directly
	// under a province use 90 (仙桃 429004), those of a 直辖市 01 or 02
	// (东城区 110101). "510004" names no division, and RegionCovers would
	// hold it under 510000 but under no city.
	if code[2:4] == "00" && code[4:] != "00" {
		return Invalidf("REGION_MALFORMED", "行政区划代码%q的市级两位为 00 时县级两位也应为 00（省直辖的县级行政区划，市级两位为 90）", code)
	}
	return nil
}

// provinces are the first two digits of the provincial-level divisions
// (省级行政区划代码, GB/T 2260): 34 provinces, autonomous regions,
// municipalities and special administrative regions.
var provinces = map[string]bool{
	"11": true, "12": true, "13": true, "14": true, "15": true,
	"21": true, "22": true, "23": true,
	"31": true, "32": true, "33": true, "34": true, "35": true, "36": true, "37": true,
	"41": true, "42": true, "43": true, "44": true, "45": true, "46": true,
	"50": true, "51": true, "52": true, "53": true, "54": true,
	"61": true, "62": true, "63": true, "64": true, "65": true,
	"71": true, "81": true, "82": true,
}

// What one inspection may name: each officer gets a signed code and each
// item a row of the checklist, so a request cannot ask for unbounded work.
// A team, even of a joint visit's agency, is a handful; an agency's whole
// checklist is some dozens of items.
const (
	MaxOfficers   = 30
	MaxCheckItems = 300
)

// ValidateOfficerCount bounds the officers one registration or one
// agency's answer to a proposed joint visit names.
func ValidateOfficerCount(n int) error {
	if n > MaxOfficers {
		return Invalidf("TOO_MANY_OFFICERS", "一次检查最多指派%d名执法人员，本次填写了%d名", MaxOfficers, n)
	}
	return nil
}

// Lengths of free texts, in runes: what a refusal's reason and a lead
// update's note may hold (a paragraph; a few), and a complaint's
// description and the officer it names.
const (
	MaxRefusalReason    = 500
	MaxLeadNote         = 1000
	MaxComplaint        = 2000
	MaxComplaintOfficer = 100
)

// MaxRequestID bounds a caller's request id (registration, plan, draw,
// complaint): it becomes part of a key.
const MaxRequestID = 128

// ValidateRequestID checks the length of a caller's request id.
func ValidateRequestID(rid string) error {
	if len(rid) > MaxRequestID {
		return Invalidf("REQUEST_ID_TOO_LONG", "请求编号过长（最多%d个字符）", MaxRequestID)
	}
	return nil
}

// ValidateText checks a free text from a user against a length, in runes.
func ValidateText(what, s string, max int) error {
	if n := len([]rune(s)); n > max {
		return Invalidf("TEXT_TOO_LONG", "%s过长：%d字，最多%d字", what, n, max)
	}
	return nil
}

// RegionCovers reports whether a supervisor's region covers another region.
// Division codes are hierarchical in pairs of digits: 510000 (province)
// covers 510100 (city), which covers 510104 (district).
func RegionCovers(supervisor, region string) bool {
	prefix := strings.TrimRight(supervisor, "0")
	if len(prefix)%2 == 1 {
		prefix += "0"
	}
	return prefix != "" && strings.HasPrefix(region, prefix)
}

// What an enterprise outside an agency's territory may not be put to, in
// the words of CheckJurisdiction's refusal.
const (
	ForRegistration = "不能报备对它的检查；请由企业所在地的执法部门报备"
	// ForPlan: an inspection plan's or a matching coverage's enterprises;
	// nothing is registered yet.
	ForPlan = "不能列入检查计划：检查计划只能覆盖本部门管辖区域内的企业"
	ForDraw = "不能列入抽取名单：只能从本部门管辖区域内的企业中抽取"
	// ForPriorResults: the enterprise's earlier results (of every agency),
	// read for a visit the agency could make.
	ForPriorResults = "不能查看它以往的检查结果：只能查看本部门管辖区域内企业的检查结果"
)

// CheckJurisdiction holds an agency to its territory (属地管辖): it inspects
// the enterprises of its own division and the divisions under it (a city's
// agency every district of the city, a district's its district only), as
// the division codes say (RegionCovers). Where an enterprise is elsewhere,
// the agency of that place inspects it, or joins this one's visit. refusal
// (ForRegistration, ForPlan, ForDraw) says what the enterprise was for.
func CheckJurisdiction(ag *ruqiv1.Agency, ent *ruqiv1.Enterprise, refusal string) error {
	if RegionCovers(ag.GetRegionCode(), ent.GetRegionCode()) {
		return nil
	}
	return PermissionDeniedf("OUTSIDE_JURISDICTION", "企业 %s 所在行政区划（%s）不在%s的管辖区域（%s）内，%s",
		ent.GetUscc(), ent.GetRegionCode(), ag.GetName(), ag.GetRegionCode(), refusal)
}

// InspectionID formats an inspection id: the day it was registered, in
// Beijing time, and a random suffix. Ids are made before the coordinator
// decides, by any replica, so they cannot come from one sequence.
func InspectionID(day time.Time, suffix string) string {
	return fmt.Sprintf("INS-%s-%s", day.In(Shanghai).Format("20060102"), suffix)
}

func firstDuplicate(ids []string) string {
	seen := make(map[string]bool, len(ids))
	for _, id := range ids {
		if seen[id] {
			return id
		}
		seen[id] = true
	}
	return ""
}

// ItemOutcomeLabel names what an agency found on a check item, as the
// enterprise and the officer read it ("" for an outcome it does not know).
func ItemOutcomeLabel(o ruqiv1.ItemOutcome) string {
	switch o {
	case ruqiv1.ItemOutcome_ITEM_OUTCOME_NO_PROBLEM:
		return "未发现问题"
	case ruqiv1.ItemOutcome_ITEM_OUTCOME_FIRST_VIOLATION_NO_PENALTY:
		return "首违不罚"
	case ruqiv1.ItemOutcome_ITEM_OUTCOME_MINOR_NO_PENALTY:
		return "轻微免罚"
	case ruqiv1.ItemOutcome_ITEM_OUTCOME_RECTIFICATION_ORDERED:
		return "责令整改"
	case ruqiv1.ItemOutcome_ITEM_OUTCOME_CASE_OPENED:
		return "立案"
	}
	return ""
}
