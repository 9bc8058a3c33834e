package domain

import (
	"slices"
	"strings"

	ruqiv1 "github.com/ruqi/ruqi/proto/ruqi/v1"
)

// leadNext is the lifecycle of a lead (问题线索): received → checking →
// rectified, transferred to the discipline commission (移交纪委) or unfounded;
// a lead may also be found unfounded straight away. The last three are final.
var leadNext = map[ruqiv1.LeadStatus][]ruqiv1.LeadStatus{
	ruqiv1.LeadStatus_LEAD_STATUS_RECEIVED: {ruqiv1.LeadStatus_LEAD_STATUS_CHECKING, ruqiv1.LeadStatus_LEAD_STATUS_UNFOUNDED},
	ruqiv1.LeadStatus_LEAD_STATUS_CHECKING: {ruqiv1.LeadStatus_LEAD_STATUS_RECTIFIED, ruqiv1.LeadStatus_LEAD_STATUS_TRANSFERRED, ruqiv1.LeadStatus_LEAD_STATUS_UNFOUNDED},
}

// LeadNextStatuses are the statuses a lead of status from may move to, in
// the lifecycle's order; none for a final one (已整改, 已移交纪委, 查无实据).
func LeadNextStatuses(from ruqiv1.LeadStatus) []ruqiv1.LeadStatus {
	return slices.Clone(leadNext[from])
}

// LeadStatusName is each lead status in the supervisor's words.
var LeadStatusName = map[ruqiv1.LeadStatus]string{
	ruqiv1.LeadStatus_LEAD_STATUS_RECEIVED:    "已接收",
	ruqiv1.LeadStatus_LEAD_STATUS_CHECKING:    "核查中",
	ruqiv1.LeadStatus_LEAD_STATUS_RECTIFIED:   "已整改",
	ruqiv1.LeadStatus_LEAD_STATUS_TRANSFERRED: "已移交纪委",
	ruqiv1.LeadStatus_LEAD_STATUS_UNFOUNDED:   "查无实据",
}

// CheckLeadTransition says whether a lead may move from one status to
// another, and in the supervisor's words why not.
func CheckLeadTransition(leadID string, from, to ruqiv1.LeadStatus) error {
	for _, n := range leadNext[from] {
		if n == to {
			return nil
		}
	}
	// Where it may go, said: the refusal named only where it may not (an
	// officer's trial of the CLI, 2026-12-07).
	var next []string
	for _, n := range leadNext[from] {
		next = append(next, "“"+LeadStatusName[n]+"”")
	}
	if len(next) == 0 {
		return FailedPreconditionf("LEAD_TRANSITION", "问题线索 %s 当前状态为“%s”，处理已结束，不能再改", leadID, LeadStatusName[from])
	}
	// "“核查中”或“查无实据”", "“已整改”、“已移交纪委”或“查无实据”".
	choices := next[len(next)-1]
	if len(next) > 1 {
		choices = strings.Join(next[:len(next)-1], "、") + "或" + choices
	}
	return FailedPreconditionf("LEAD_TRANSITION", "问题线索 %s 当前状态为“%s”，不能改为“%s”；可改为%s", leadID, LeadStatusName[from], LeadStatusName[to], choices)
}

// EnterpriseFollows says whether the enterprise a lead names opened it by
// its own step, and so follows it (EnterpriseService.ListOwnLeads) and
// reads the 司法局's replies (答复): a refusal, a complaint, a code it
// scanned that was not valid. Late registrations and a supervisor's
// findings are the 司法局's.
func EnterpriseFollows(l *ruqiv1.Lead) bool {
	if l.GetEnterpriseUscc() == "" {
		return false
	}
	switch l.GetKind() {
	case ruqiv1.LeadKind_LEAD_KIND_REFUSAL, ruqiv1.LeadKind_LEAD_KIND_COMPLAINT, ruqiv1.LeadKind_LEAD_KIND_INVALID_CODE:
		return true
	}
	return false
}

// LeadKindLabel names a lead's kind as the supervisor reads it, on the
// dashboard and in the CLI alike ("" for a kind it does not know).
func LeadKindLabel(k ruqiv1.LeadKind) string {
	switch k {
	case ruqiv1.LeadKind_LEAD_KIND_REFUSAL:
		return "企业拒绝检查"
	case ruqiv1.LeadKind_LEAD_KIND_COMPLAINT:
		return "企业投诉"
	case ruqiv1.LeadKind_LEAD_KIND_LATE_REGISTRATION:
		return "事后补录报备"
	case ruqiv1.LeadKind_LEAD_KIND_INVALID_CODE:
		return "扫描到无效入企码"
	case ruqiv1.LeadKind_LEAD_KIND_ACCOMPANIMENT_FINDING:
		return "伴随监督发现问题"
	}
	return ""
}

// LeadStatusLabel names a lead's status ("" for one it does not know).
func LeadStatusLabel(s ruqiv1.LeadStatus) string {
	switch s {
	case ruqiv1.LeadStatus_LEAD_STATUS_RECEIVED:
		return "已接收"
	case ruqiv1.LeadStatus_LEAD_STATUS_CHECKING:
		return "核查中"
	case ruqiv1.LeadStatus_LEAD_STATUS_RECTIFIED:
		return "已整改"
	case ruqiv1.LeadStatus_LEAD_STATUS_TRANSFERRED:
		return "已移交纪委"
	case ruqiv1.LeadStatus_LEAD_STATUS_UNFOUNDED:
		return "查无实据"
	}
	return ""
}

// actorWords name the roles of a principal as records write it
// ("enterprise:9151…", auth.Principal.String).
var actorWords = map[string]string{
	"officer": "执法人员", "agency_admin": "部门管理员", "agency_head": "部门负责人",
	"enterprise": "企业", "supervisor": "司法局监督人员", "admin": "系统管理员",
}

// ActorLabel says who acted in people's words: "supervisor:510104" is
// "司法局监督人员 510104". Anything else is shown as it is.
func ActorLabel(actor string) string {
	role, subject, ok := strings.Cut(actor, ":")
	if w := actorWords[role]; ok && w != "" {
		return w + " " + subject
	}
	return actor
}

// ruleWords name the frequency rules (coord.Counter.Rule) as the officer and
// the 司法局 read them.
var ruleWords = map[string]string{
	"agency_per_year":  "本部门对该企业的年度检查",
	"visits_per_year":  "各部门对该企业的年度入企次数",
	"visits_per_month": "该企业本月被入企检查次数",
	"visits_per_week":  "该企业本周被入企检查次数",
	"visits_per_day":   "该企业当日被入企检查次数",
	// Entries of every kind: inspections and visits that are not.
	"entries_per_year":  "该企业年度入企总次数（含日常巡查、政策宣传、走访调研、服务等非检查入企）",
	"entries_per_month": "该企业本月入企总次数（含非检查入企）",
	"entries_per_week":  "该企业本周入企总次数（含非检查入企）",
	"entries_per_day":   "该企业当日入企总次数（含非检查入企）",
}

// RuleLabel names a frequency rule: "visits_per_day" is 该企业当日被入企检查次数,
// "grade_A_per_year" the year's proactive inspections of a grade A
// enterprise; "" for a word that is no rule.
func RuleLabel(rule string) string {
	if w := ruleWords[rule]; w != "" {
		return w
	}
	if g, ok := strings.CutPrefix(rule, "grade_"); ok && len(g) > 1 && strings.HasSuffix(g, "_per_year") {
		return "该企业（信用等级" + strings.TrimSuffix(g, "_per_year") + "）的年度主动检查"
	}
	return ""
}
