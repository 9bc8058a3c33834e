package cli

import (
	"strings"
	"testing"

	ruqiv1 "github.com/ruqi/ruqi/proto/ruqi/v1"
)

// The event list (ruqi admin events list, which the 司法局 reads too) shows
// enum names in an event's detail by their Chinese labels
// (eventDetailLabel: VERDICT_…, INSPECTION_TYPE_…, LEAD_…). The details
// below are copied from a server's events after an ordinary month (an agency's trial, fixed since;
// 2026-12-06); each showed the English or the enum name to the
// supervisor: the answer to a 拼团 proposal, its closing state, a result's
// outcome, the 不扫码 warning's code and its English sentence, a duplicate
// refused.
func TestEventDetailLabel_EveryDetailInChinese(t *testing.T) {
	for _, c := range []struct{ detail, english string }{
		{"MAT-SP4PD2KI77KDRAZW AG-02 PROPOSAL_ANSWER_ACCEPTED", "PROPOSAL_ANSWER_ACCEPTED"},
		{"MAT-SP4PD2KI77KDRAZW PROPOSAL_STATE_REGISTERED joint JNT-20261206-MKYVQESB registered 2", "PROPOSAL_STATE_REGISTERED"},
		{"CI-0001=NO_PROBLEM", "NO_PROBLEM"},
		{"result_without_check_in no code of this inspection was scanned", "no code of this inspection was scanned"},
		{"AG-01 duplicate of INS-20261206-7LW5SFLF", "duplicate of"},
		{"AG-01 duplicate of INS-20261206-7LW5SFLF window=2026-12-06T01:00:00Z", "window="},
		// A late record's and a held officer's reasons (成都), found by a
		// review of the no-finding streak hold (2026-12-06).
		{`INSPECTION_TYPE_CASE agency=AG-01 officers=O-0001,O-0010 items=CI-0001 window=1796550690-1796554290 reason="投诉举报" late="夜间紧急处置"`, "late="},
		{`INSPECTION_TYPE_CASE agency=AG-01 officers=O-0001,O-0010 items=CI-0001 window=1796550690-1796554290 reason="投诉举报" streak="新收到投诉举报"`, "streak="},
	} {
		if got := eventDetailLabel(0, c.detail); strings.Contains(got, c.english) {
			t.Errorf("event detail %q is shown as %q: %q is not Chinese", c.detail, got, c.english)
		}
	}
}

// Found by an officer's trial of the new rules (2026-12-06): the warning a
// close that completes a no-finding streak records (成都's hold) read
// "no_finding_streak 次数=3 previous=INS-…,INS-…" in ruqi admin events list,
// the rule and the earlier visits named in English to the 司法局.
func TestEventDetailLabel_NoFindingStreakInChinese(t *testing.T) {
	detail := "no_finding_streak count=3 previous=INS-20261206-TKMYKDIB,INS-20261206-FI4XXOX6"
	got := eventDetailLabel(0, detail)
	for _, english := range []string{"no_finding_streak", "previous="} {
		if strings.Contains(got, english) {
			t.Errorf("event detail %q is shown as %q: %q is not Chinese", detail, got, english)
		}
	}
	if !strings.Contains(got, "INS-20261206-TKMYKDIB,INS-20261206-FI4XXOX6") {
		t.Errorf("event detail %q is shown as %q: the earlier visits are gone", detail, got)
	}
}

// Found by an officer's trial of the new rules (2026-12-06): a visit that is
// not an inspection (--kind survey, which the no-finding hold leaves alone)
// was registered as "VISIT_KIND_SURVEY agency=… items= …", and ruqi admin
// events list showed the enum name where an inspection shows its type.
func TestEventDetailLabel_VisitKindInChinese(t *testing.T) {
	detail := `VISIT_KIND_SURVEY agency=AG-03 officers=O-0003 items= window=1796550690-1796554290 reason="走访"`
	got := eventDetailLabel(0, detail)
	if strings.Contains(got, "VISIT_KIND_") || !strings.Contains(got, "走访调研") {
		t.Errorf("event detail %q is shown as %q: want the kind as 走访调研", detail, got)
	}
}

// A 司法局 trial (2026-12-06): 510104's supervisor, reading its region's
// events (ruqi admin events list), read English words in the details of
// the most common events: each code issued ("key …"), each plan merged
// into or leaving a joint inspection ("joint … lead … members 3"), each
// check-in ("check-in token tok-…", by an account or a front-desk device),
// a 拼团 proposal's record, and an arrival refused ("generation=2 key=…").
func TestEventDetailLabel_SupervisorsEventsInChinese(t *testing.T) {
	for _, c := range []struct{ detail, english string }{
		{"key 2c54b28b1c88478c", "key"},
		{"joint JNT-20261206-PRNXVGTX lead AG-02 members 3", "lead"},
		{"joint JNT-20261206-PRNXVGTX lead AG-02 members 3", "members"},
		{"check-in token tok-9d98f1c8df53", "token"},
		{"repeat token tok-9d98f1c8df53", "token"},
		{"check-in account tok-9d98f1c8df53", "account"},
		{"check-in device 前台 tok-9d98f1c8df53", "device"},
		{"MAT-SP4PD2KI77KDRAZW lead AG-02 members 2", "members"},
		{"MAT-SP4PD2KI77KDRAZW failed", "failed"},
		{"generation=2 key=2c54b28b1c88478c 企业码已重新签发", "generation"},
	} {
		if got := eventDetailLabel(0, c.detail); strings.Contains(got, c.english) {
			t.Errorf("event detail %q is shown as %q: %q is not Chinese", c.detail, got, c.english)
		}
	}
}

// The administrator's events, in the formats the service records them
// (service.ImportDirectory, IssueAccessToken, RotateAccessToken, sessions,
// devices, keys, backups, coverages): read in English by a 司法局 trial,
// 2026-12-06.
func TestEventDetailLabel_AdministratorsEventsInChinese(t *testing.T) {
	for _, c := range []struct{ detail, want string }{
		{"agencies=9 officers=60 enterprises=500 check_items=49 sample=true", "部门=9 执法人员=60 企业=500 检查事项=49 样例数据"},
		{"officer:O-0001 tok-9d98f1c8df53", "执法人员 O-0001 tok-9d98f1c8df53"},
		{"admin:bootstrap tok-9d98f1c8df53", "系统管理员 bootstrap tok-9d98f1c8df53"},
		{"officer:O-0001 tok-2 rotates tok-1", "执法人员 O-0001 tok-2 替换 tok-1"},
		{"tok-1 officer:O-0001 rotated to tok-2", "tok-1 执法人员 O-0001 已替换为 tok-2"},
		{"session enterprise:91510104CY4C7RGWMR tok-2 from tok-1", "会话 企业 91510104CY4C7RGWMR tok-2 源自 tok-1"},
		{"tok-3 enterprise:91510104CY4C7RGWMR device made by tok-2", "tok-3 企业 91510104CY4C7RGWMR 前台设备 签发自 tok-2"},
		{"device enterprise:91510104CY4C7RGWMR tok-4 enrolled with enr-1", "前台设备 企业 91510104CY4C7RGWMR tok-4 登记凭证 enr-1"},
		{"first key 2c54b28b1c88478c", "首个签名密钥 2c54b28b1c88478c"},
		{"new key 2c54b28b1c88478c", "新签名密钥 2c54b28b1c88478c"},
		{"a copy of the whole store, signing keys included", "整库备份（含签名密钥）"},
		{"plan AG-01|PLAN-1 INSPECTION_TYPE_ROUTINE 12 enterprises", "检查计划 AG-01|PLAN-1 日常检查 12 家企业"},
	} {
		if got := eventDetailLabel(0, c.detail); got != c.want {
			t.Errorf("event detail %q is shown as %q, want %q", c.detail, got, c.want)
		}
	}
}

// A certificate change read "有效 → CERTIFICATE_STATUS_SUSPENDED: …": the
// word before a colon was not labelled (a trial of sign-in, 2026-12-07).
// Both statuses are in Chinese, the reason as typed.
func TestEventDetailLabel_CertificateChangeInChinese(t *testing.T) {
	got := eventDetailLabel(ruqiv1.EventType_EVENT_TYPE_CERTIFICATE_CHANGED, "CERTIFICATE_STATUS_ACTIVE → CERTIFICATE_STATUS_SUSPENDED: key plan 调查")
	if strings.Contains(got, "CERTIFICATE_STATUS") || !strings.HasSuffix(got, "：key plan 调查") {
		t.Errorf("a certificate change shown as %q", got)
	}
}

// What someone typed is shown as written: a whole detail that is a
// complaint or a reason, and a quoted value of a decision (a review,
// 2026-12-06: "from", "plan", "key" in it would have been changed).
func TestEventDetailLabel_TypedTextAsWritten(t *testing.T) {
	const typed = "officer from the plan showed no key"
	for _, typ := range []ruqiv1.EventType{ruqiv1.EventType_EVENT_TYPE_COMPLAINED, ruqiv1.EventType_EVENT_TYPE_REFUSED,
		ruqiv1.EventType_EVENT_TYPE_CANCELLED, ruqiv1.EventType_EVENT_TYPE_LATE_REGISTERED} {
		if got := eventDetailLabel(typ, typed); got != typed {
			t.Errorf("%v: %q shown as %q", typ, typed, got)
		}
	}
	detail := `INSPECTION_TYPE_CASE agency=AG-01 officers=O-0001 items=CI-0001 window=1765069200-1765076400 reason="officer from the plan" trigger="JB-1"`
	got := eventDetailLabel(ruqiv1.EventType_EVENT_TYPE_REGISTERED, detail)
	if !strings.Contains(got, `事由="officer from the plan"`) || !strings.Contains(got, "部门=AG-01") {
		t.Errorf("a registration's detail is shown as %q: want its names labelled and the reason as written", got)
	}
}

// A warning in the event list reads as the dashboard's sentence: it was
// "该企业年度入企次数 上限=2 次数=3 期间=2026年 …", a warning line called 上限
// (cap) beside registrations that were not refused (an officer's trial of
// the CLI, 2026-12-07).
func TestEventDetailLabel_WarningsAsSentences(t *testing.T) {
	// The detail follows, for the period the sentence leaves out (a
	// review, 2026-12-07), its limit as the warning line it is.
	got := eventDetailLabel(ruqiv1.EventType_EVENT_TYPE_FREQUENCY_WARNING, "visits_per_day limit=1 count=2 period=2026-12-01")
	if !strings.HasPrefix(got, "该企业当日被入企检查次数达2次，超过预警线1次（") || !strings.Contains(got, "2026-12-01") || strings.Contains(got, "上限") {
		t.Errorf("a frequency warning reads %q", got)
	}
}
