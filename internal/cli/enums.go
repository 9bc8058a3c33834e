package cli

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/ruqi/ruqi/internal/domain"
	ruqiv1 "github.com/ruqi/ruqi/proto/ruqi/v1"
)

// inspectionTypes maps the words accepted by --type to the enum. The
// Chinese names are accepted too, since that is how officers say them.
var inspectionTypes = map[string]ruqiv1.InspectionType{
	"routine": ruqiv1.InspectionType_INSPECTION_TYPE_ROUTINE,
	"random":  ruqiv1.InspectionType_INSPECTION_TYPE_RANDOM,
	"special": ruqiv1.InspectionType_INSPECTION_TYPE_SPECIAL,
	"case":    ruqiv1.InspectionType_INSPECTION_TYPE_CASE,
	"日常":      ruqiv1.InspectionType_INSPECTION_TYPE_ROUTINE,
	"双随机":     ruqiv1.InspectionType_INSPECTION_TYPE_RANDOM,
	"专项":      ruqiv1.InspectionType_INSPECTION_TYPE_SPECIAL,
	"个案":      ruqiv1.InspectionType_INSPECTION_TYPE_CASE,
}

// parseInspectionType reads --type.
func parseInspectionType(s string) (ruqiv1.InspectionType, error) {
	if t, ok := inspectionTypes[strings.ToLower(strings.TrimSpace(s))]; ok {
		return t, nil
	}
	return 0, fmt.Errorf("不支持的检查类型 %q：请用 routine（日常）、random（双随机）、special（专项）或 case（个案）", s)
}

// visitKinds maps the words accepted by --kind to the enum, in English and
// in Chinese.
var visitKinds = map[string]ruqiv1.VisitKind{
	"inspection": ruqiv1.VisitKind_VISIT_KIND_INSPECTION,
	"patrol":     ruqiv1.VisitKind_VISIT_KIND_PATROL,
	"publicity":  ruqiv1.VisitKind_VISIT_KIND_PUBLICITY,
	"survey":     ruqiv1.VisitKind_VISIT_KIND_SURVEY,
	"service":    ruqiv1.VisitKind_VISIT_KIND_SERVICE,
	"行政检查":       ruqiv1.VisitKind_VISIT_KIND_INSPECTION,
	"日常巡查":       ruqiv1.VisitKind_VISIT_KIND_PATROL,
	"政策宣传":       ruqiv1.VisitKind_VISIT_KIND_PUBLICITY,
	"走访调研":       ruqiv1.VisitKind_VISIT_KIND_SURVEY,
	"服务":         ruqiv1.VisitKind_VISIT_KIND_SERVICE,
}

// parseVisitKind reads --kind.
func parseVisitKind(s string) (ruqiv1.VisitKind, error) {
	if k, ok := visitKinds[strings.ToLower(strings.TrimSpace(s))]; ok {
		return k, nil
	}
	return 0, fmt.Errorf("不支持的入企类型 %q：请用 inspection（行政检查）、patrol（日常巡查）、publicity（政策宣传）、survey（走访调研）或 service（服务）", s)
}

var roles = map[string]ruqiv1.Role{
	"officer":      ruqiv1.Role_ROLE_OFFICER,
	"enterprise":   ruqiv1.Role_ROLE_ENTERPRISE,
	"supervisor":   ruqiv1.Role_ROLE_SUPERVISOR,
	"admin":        ruqiv1.Role_ROLE_ADMIN,
	"agency-admin": ruqiv1.Role_ROLE_AGENCY_ADMIN,
	"agency-head":  ruqiv1.Role_ROLE_AGENCY_HEAD,
}

// parseRole reads --role.
func parseRole(s string) (ruqiv1.Role, error) {
	if r, ok := roles[strings.ToLower(strings.TrimSpace(s))]; ok {
		return r, nil
	}
	return 0, fmt.Errorf("不支持的角色 %q：请用 officer、enterprise、supervisor、admin、agency-admin 或 agency-head", s)
}

func inspectionTypeLabel(t ruqiv1.InspectionType) string {
	switch t {
	case ruqiv1.InspectionType_INSPECTION_TYPE_ROUTINE:
		return "日常检查"
	case ruqiv1.InspectionType_INSPECTION_TYPE_RANDOM:
		return "双随机抽查"
	case ruqiv1.InspectionType_INSPECTION_TYPE_SPECIAL:
		return "专项检查"
	case ruqiv1.InspectionType_INSPECTION_TYPE_CASE:
		return "个案检查"
	}
	return unknownLabel(int32(t))
}

func inspectionStateLabel(s ruqiv1.InspectionState) string {
	switch s {
	case ruqiv1.InspectionState_INSPECTION_STATE_REGISTERED:
		return "已报备"
	case ruqiv1.InspectionState_INSPECTION_STATE_CANCELLED:
		return "已撤销"
	case ruqiv1.InspectionState_INSPECTION_STATE_COMPLETED:
		return "已办结"
	}
	return unknownLabel(int32(s))
}

// officerCertificateLabel is an officer's certificate as it stands now: an
// active one past its date is 已过期, as a scan judges it (a trial of an
// agency's month, 2026-12-06: the list to assign officers from said 有效).
func officerCertificateLabel(o *ruqiv1.Officer) string {
	return certificateStanding(o.GetCertificateStatus(), domain.CertificateValid(o, time.Now()))
}

// certificateStanding is a certificate's status, an active one that is not
// valid (past its date) being 已过期.
func certificateStanding(s ruqiv1.CertificateStatus, valid bool) string {
	if s == ruqiv1.CertificateStatus_CERTIFICATE_STATUS_ACTIVE && !valid {
		return "已过期"
	}
	return certificateStatusLabel(s)
}

func certificateStatusLabel(s ruqiv1.CertificateStatus) string {
	switch s {
	case ruqiv1.CertificateStatus_CERTIFICATE_STATUS_ACTIVE:
		return "有效"
	case ruqiv1.CertificateStatus_CERTIFICATE_STATUS_SUSPENDED:
		return "暂扣"
	case ruqiv1.CertificateStatus_CERTIFICATE_STATUS_REVOKED:
		return "注销"
	}
	return unknownLabel(int32(s))
}

func agencyLevelLabel(l ruqiv1.AgencyLevel) string {
	switch l {
	case ruqiv1.AgencyLevel_AGENCY_LEVEL_PROVINCE:
		return "省级"
	case ruqiv1.AgencyLevel_AGENCY_LEVEL_CITY:
		return "市级"
	case ruqiv1.AgencyLevel_AGENCY_LEVEL_COUNTY:
		return "县级"
	case ruqiv1.AgencyLevel_AGENCY_LEVEL_TOWNSHIP:
		return "乡镇"
	}
	return unknownLabel(int32(l))
}

func roleLabel(r ruqiv1.Role) string {
	switch r {
	case ruqiv1.Role_ROLE_OFFICER:
		return "执法人员"
	case ruqiv1.Role_ROLE_ENTERPRISE:
		return "企业"
	case ruqiv1.Role_ROLE_SUPERVISOR:
		return "监督机关（司法局）"
	case ruqiv1.Role_ROLE_ADMIN:
		return "管理员"
	case ruqiv1.Role_ROLE_AGENCY_ADMIN:
		return "执法部门管理员"
	case ruqiv1.Role_ROLE_AGENCY_HEAD:
		return "执法部门负责人"
	}
	return unknownLabel(int32(r))
}

func keyStatusLabel(s ruqiv1.KeyStatus) string {
	switch s {
	case ruqiv1.KeyStatus_KEY_STATUS_ACTIVE:
		return "签发中"
	case ruqiv1.KeyStatus_KEY_STATUS_RETIRED:
		return "已退役（仅用于核验）"
	}
	return unknownLabel(int32(s))
}

// verdictLabel is the verdict in the enterprise's words.
func verdictLabel(v ruqiv1.Verdict) string {
	if l := domain.VerdictLabel(v); l != "" {
		return l
	}
	return unknownLabel(int32(v))
}

// unknownLabel names an enum value this client does not know, e.g. one
// added to the API after it was built.
func unknownLabel(n int32) string {
	if n == 0 {
		return "-"
	}
	return fmt.Sprintf("未知（%d）", n)
}

// itemOutcomes maps the outcome words of `officer result --item` to the
// enum. 责令整改 is not here: it needs a deadline (rectify:DATE), see
// parseItemResult.
var itemOutcomes = map[string]ruqiv1.ItemOutcome{
	"no-problem":      ruqiv1.ItemOutcome_ITEM_OUTCOME_NO_PROBLEM,
	"first-violation": ruqiv1.ItemOutcome_ITEM_OUTCOME_FIRST_VIOLATION_NO_PENALTY,
	"minor":           ruqiv1.ItemOutcome_ITEM_OUTCOME_MINOR_NO_PENALTY,
	"case":            ruqiv1.ItemOutcome_ITEM_OUTCOME_CASE_OPENED,
	"未发现问题":           ruqiv1.ItemOutcome_ITEM_OUTCOME_NO_PROBLEM,
	"首违不罚":            ruqiv1.ItemOutcome_ITEM_OUTCOME_FIRST_VIOLATION_NO_PENALTY,
	"轻微免罚":            ruqiv1.ItemOutcome_ITEM_OUTCOME_MINOR_NO_PENALTY,
	"立案":              ruqiv1.ItemOutcome_ITEM_OUTCOME_CASE_OPENED,
}

// rectifyWords name 责令整改, which is written WORD:DATE.
var rectifyWords = []string{"rectify", "责令整改"}

func itemOutcomeLabel(o ruqiv1.ItemOutcome) string {
	if l := domain.ItemOutcomeLabel(o); l != "" {
		return l
	}
	return unknownLabel(int32(o))
}

func leadKindLabel(k ruqiv1.LeadKind) string {
	if l := domain.LeadKindLabel(k); l != "" {
		return l
	}
	return unknownLabel(int32(k))
}

func leadStatusLabel(s ruqiv1.LeadStatus) string {
	if l := domain.LeadStatusLabel(s); l != "" {
		return l
	}
	return unknownLabel(int32(s))
}

// leadStatuses maps the words of --status to the enum, English and Chinese.
var leadStatuses = map[string]ruqiv1.LeadStatus{
	"received":    ruqiv1.LeadStatus_LEAD_STATUS_RECEIVED,
	"checking":    ruqiv1.LeadStatus_LEAD_STATUS_CHECKING,
	"rectified":   ruqiv1.LeadStatus_LEAD_STATUS_RECTIFIED,
	"transferred": ruqiv1.LeadStatus_LEAD_STATUS_TRANSFERRED,
	"unfounded":   ruqiv1.LeadStatus_LEAD_STATUS_UNFOUNDED,
	"已接收":         ruqiv1.LeadStatus_LEAD_STATUS_RECEIVED,
	"核查中":         ruqiv1.LeadStatus_LEAD_STATUS_CHECKING,
	"已整改":         ruqiv1.LeadStatus_LEAD_STATUS_RECTIFIED,
	"已移交纪委":       ruqiv1.LeadStatus_LEAD_STATUS_TRANSFERRED,
	"查无实据":        ruqiv1.LeadStatus_LEAD_STATUS_UNFOUNDED,
}

// parseLeadStatus reads --status. A lead is received when it is opened, so
// received is no step a supervisor can take: with update set, it is refused.
func parseLeadStatus(s string, update bool) (ruqiv1.LeadStatus, error) {
	st, ok := leadStatuses[strings.ToLower(strings.TrimSpace(s))]
	if ok && !(update && st == ruqiv1.LeadStatus_LEAD_STATUS_RECEIVED) {
		return st, nil
	}
	if update {
		return 0, fmt.Errorf("不支持的线索状态 %q：请用 checking（核查中）、rectified（已整改）、transferred（已移交纪委）或 unfounded（查无实据）", s)
	}
	return 0, fmt.Errorf("不支持的线索状态 %q：请用 received（已接收）、checking（核查中）、rectified（已整改）、transferred（已移交纪委）或 unfounded（查无实据）", s)
}

// detailWords are the words of event details that are not enum names.
var detailWords = map[string]string{
	"check-in":                       "首次签到",
	"repeat":                         "重复扫码",
	"officer":                        "执法人员",
	"joint":                          "联合检查",
	"registered":                     "报备成功",
	domain.WarnResultWithoutCheckIn:  "不扫码预警：",
	domain.WarnCheckInWithoutArrival: "虚假扫码预警：",
	domain.WarnArrivalOutsideWindow:  "虚假扫码预警：到场远离时段",
	domain.WarnOverlappingCheckIns:   "虚假扫码预警：",
	// The warning of a close that completes a no-finding streak, recorded
	// as "no_finding_streak count=3 previous=…" (inspection.warnNoFindingStreak).
	"no_finding_streak": "同一执法人员连续未发现问题",

	// A code's signing key, a joint inspection's lead agency and size, what
	// a check-in came through (auth.Principal.Via), a 拼团 proposal closed
	// without a joint visit: the words of the events a 司法局 reads most (a
	// trial, 2026-12-06).
	"key":     "签名密钥",
	"lead":    "牵头部门",
	"members": "参加部门数",
	"token":   "令牌",
	"account": "政务服务账号",
	"device":  "前台设备",
	"failed":  "未成团",

	// The administrator's events: tokens issued, rotated and revoked,
	// sessions and devices, keys, a coverage filed for 拼团 (a 司法局
	// trial, 2026-12-06, read them in English).
	"session":     "会话",
	"sub":         "身份",
	"from":        "源自",
	"rotates":     "替换",
	"enrolment":   "设备登记码",
	"enterprises": "家企业",
	"plan":        "检查计划",
}

// contentKeys name the fields of what a registration, a result and an
// evaluation event say was decided (inspection.RegistrationDetail, …).
var contentKeys = map[string]string{
	"agency": "部门", "officers": "执法人员", "items": "事项", "window": "时段", "reason": "事由",
	"trigger": "案件来源", "plan": "检查计划", "draw": "双随机抽取", "summary": "总体情况",
	"late": "事后补录原因", "streak": "再次检查理由",
	"certificate": "出示执法证", "rights": "告知权利", "proper": "检查规范", "overall": "总体满意度", "comment": "意见",
}

// contentWordLabel shows one name=value word of such a detail: the name in
// Chinese, instants (Unix seconds in the record) in Beijing time, true and
// false as 是 and 否. Other words give "".
func contentWordLabel(w string) string {
	key, value, ok := strings.Cut(w, "=")
	if !ok {
		return ""
	}
	instant := func(s string) string {
		sec, _, _ := strings.Cut(s, ".")
		n, err := strconv.ParseInt(sec, 10, 64)
		if err != nil {
			return s
		}
		return time.Unix(n, 0).In(shanghai).Format("2006-01-02 15:04")
	}
	if item, ok := strings.CutSuffix(key, ".deadline"); ok {
		return item + "整改期限=" + instant(value)
	}
	if item, ok := strings.CutSuffix(key, ".note"); ok {
		return item + "备注=" + value
	}
	name, ok := contentKeys[key]
	if !ok {
		return ""
	}
	switch {
	case key == "window":
		if a, b, ok := strings.Cut(value, "-"); ok {
			value = instant(a) + "至" + instant(b)
		}
	case value == "true":
		value = "是"
	case value == "false":
		value = "否"
	}
	return name + "=" + value
}

// detailPhrases are the English phrases event details were recorded with,
// in the supervisor's words (an agency's trial, 2026-12-06, read them in
// the event list).
var detailPhrases = strings.NewReplacer(
	"no code of this inspection was scanned", "本次检查的入企码均未扫码即录入结果",
	"checked in without arrival", "扫码签到但未登记到场",
	"also checked in at another enterprise at", "同一时段另在其他企业签到，时间",
	"duplicate of", "重复于",
	"a copy of the whole store, signing keys included", "整库备份（含签名密钥）",
	"first key", "首个签名密钥",
	"new key", "新签名密钥",
	"rotated to", "已替换为",
	"made by", "签发自",
	"enrolled with", "登记凭证",
)

// eventDetailLabel shows an event's detail in Chinese output: enum names in
// it (VERDICT_WRONG_ENTERPRISE, INSPECTION_TYPE_ROUTINE, …) become their
// labels. The detail itself stays as recorded: it is part of the hash chain,
// and JSON output shows it unchanged.
func eventDetailLabel(t ruqiv1.EventType, detail string) string {
	if freeText[t] {
		return detail
	}
	// A warning begins with the sentence the dashboard shows
	// (domain.WarningText): it read "上限=2 次数=3 期间=2026年", and named
	// the 预警线 of a warning 上限 (an officer's trial of the CLI,
	// 2026-12-07). The detail follows, for what the sentence leaves out
	// (the period, the other check-in's time, the window; a review).
	if slices.Contains(domain.WarningTypes, t) {
		if s := domain.WarningText(t, detail); s != "" && s != detail {
			labelled := labelDetailWords(detail)
			if t == ruqiv1.EventType_EVENT_TYPE_FREQUENCY_WARNING {
				labelled = strings.ReplaceAll(labelled, "上限=", "预警线=")
			}
			return s + "（" + labelled + "）"
		}
	}
	// A certificate change is "OLD → NEW: reason": the statuses in
	// Chinese, the reason as it was typed.
	if t == ruqiv1.EventType_EVENT_TYPE_CERTIFICATE_CHANGED {
		if head, reason, ok := strings.Cut(detail, ": "); ok {
			return labelDetailWords(head) + "：" + reason
		}
	}
	return labelDetailWords(detail)
}

// labelDetailWords is eventDetailLabel's labelling of a detail's words.
func labelDetailWords(detail string) string {
	phrased := detailPhrases.Replace(detail)
	words := strings.Fields(phrased)
	changed := phrased != detail
	// What a registration, result or evaluation decided: its names too.
	d := " " + detail
	content := strings.Contains(d, " agency=") || strings.Contains(d, " summary=") || strings.Contains(d, " overall=")
	quoted := false // within a quoted value someone typed: reason="…"
	for i, w := range words {
		inside := quoted
		if strings.Count(w, `"`)%2 == 1 {
			quoted = !quoted
		}
		if inside {
			continue
		}
		// A word before its punctuation: "有效 → CERTIFICATE_STATUS_SUSPENDED:
		// 原因" left the status in English (a trial of sign-in, 2026-12-07).
		core := strings.TrimRight(w, ":,;")
		l := detailWordLabel(core)
		if content && l == "" {
			l = contentWordLabel(core)
		}
		if l != "" {
			words[i], changed = l+w[len(core):], true
		}
	}
	if !changed {
		return detail
	}
	return strings.Join(words, " ")
}

// freeText are the events whose detail is what someone typed (a complaint,
// a refusal's or a cancellation's reason, a late record's reason): shown as
// written, not read for words to label (a review, 2026-12-06: "from" or
// "plan" in an English sentence would have been changed).
var freeText = map[ruqiv1.EventType]bool{
	ruqiv1.EventType_EVENT_TYPE_COMPLAINED:      true,
	ruqiv1.EventType_EVENT_TYPE_REFUSED:         true,
	ruqiv1.EventType_EVENT_TYPE_CANCELLED:       true,
	ruqiv1.EventType_EVENT_TYPE_LATE_REGISTERED: true,
}

func detailWordLabel(w string) string {
	if l, ok := detailWords[w]; ok {
		return l
	}
	// Who a token or a session is for: "officer:O-0001" (the role as
	// service.roleWord writes it).
	if l := domain.ActorLabel(w); l != w {
		return l
	}
	// A frequency warning or refusal: the rule, its limit, the count and
	// the period (a trial of the dashboard, 2026-12-06, read them in
	// English), and instants in Beijing time, not UTC.
	if l := domain.RuleLabel(w); l != "" {
		return l
	}
	if t, err := time.Parse(time.RFC3339, w); err == nil {
		return t.In(shanghai).Format("2006-01-02 15:04:05")
	}
	if v, ok := strings.CutPrefix(w, "window="); ok {
		// A refused registration's window start.
		if t, err := time.Parse(time.RFC3339, v); err == nil {
			return "检查时段起=" + t.In(shanghai).Format("2006-01-02 15:04")
		}
	}
	for _, k := range [...][2]string{{"limit=", "上限="}, {"count=", "次数="}, {"period=", "期间="}, {"previous=", "此前两次检查="},
		{"generation=", "企业码版本="}, {"key=", "签名密钥="},
		// A directory import (service.ImportDirectory).
		{"agencies=", "部门="}, {"officers=", "执法人员="}, {"enterprises=", "企业="}, {"check_items=", "检查事项="},
		{"sample=true", "样例数据"}, {"sample=false", "正式名录"}} {
		if v, ok := strings.CutPrefix(w, k[0]); ok {
			return k[1] + v
		}
	}
	if item, outcome, ok := strings.Cut(w, "="); ok {
		// A result's item: CI-0001=NO_PROBLEM.
		if v, ok := ruqiv1.ItemOutcome_value["ITEM_OUTCOME_"+outcome]; ok {
			if l := domain.ItemOutcomeLabel(ruqiv1.ItemOutcome(v)); l != "" {
				return item + "=" + l
			}
		}
		return ""
	}
	enum := func(prefix string, values map[string]int32) (int32, bool) {
		if !strings.HasPrefix(w, prefix) {
			return 0, false
		}
		v, ok := values[w]
		return v, ok
	}
	if v, ok := enum("VERDICT_", ruqiv1.Verdict_value); ok {
		return verdictLabel(ruqiv1.Verdict(v))
	}
	if v, ok := enum("INSPECTION_TYPE_", ruqiv1.InspectionType_value); ok {
		return inspectionTypeLabel(ruqiv1.InspectionType(v))
	}
	if v, ok := enum("VISIT_KIND_", ruqiv1.VisitKind_value); ok {
		// A visit that is not an inspection is registered with its kind
		// where an inspection names its type.
		return domain.VisitKindLabel(ruqiv1.VisitKind(v))
	}
	if v, ok := enum("LEAD_KIND_", ruqiv1.LeadKind_value); ok {
		return leadKindLabel(ruqiv1.LeadKind(v))
	}
	if v, ok := enum("LEAD_STATUS_", ruqiv1.LeadStatus_value); ok {
		return leadStatusLabel(ruqiv1.LeadStatus(v))
	}
	if v, ok := enum("CERTIFICATE_STATUS_", ruqiv1.CertificateStatus_value); ok {
		return certificateStatusLabel(ruqiv1.CertificateStatus(v))
	}
	if v, ok := enum("PROPOSAL_ANSWER_", ruqiv1.ProposalAnswer_value); ok {
		return proposalAnswerLabel(ruqiv1.ProposalAnswer(v))
	}
	if v, ok := enum("PROPOSAL_STATE_", ruqiv1.ProposalState_value); ok {
		return proposalStateLabel(ruqiv1.ProposalState(v))
	}
	return ""
}
