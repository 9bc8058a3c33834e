package cli

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/ruqi/ruqi/internal/domain"
	ruqiv1 "github.com/ruqi/ruqi/proto/ruqi/v1"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
)

// Every value of the enums the commands show has a Chinese label: a value
// added to the API without one would show as 未知（N）.
func TestLabels_EveryEnumValue(t *testing.T) {
	check := func(kind string, names map[int32]string, label func(int32) string) {
		t.Helper()
		for n, name := range names {
			if n == 0 {
				continue
			}
			if got := label(n); got == "" || strings.HasPrefix(got, "未知") {
				t.Errorf("%s %s has no label: %q", kind, name, got)
			}
		}
	}
	check("EventType", ruqiv1.EventType_name, func(n int32) string { return domain.EventTypeLabel(ruqiv1.EventType(n)) })
	check("InspectionState", ruqiv1.InspectionState_name, func(n int32) string { return inspectionStateLabel(ruqiv1.InspectionState(n)) })
	check("ItemOutcome", ruqiv1.ItemOutcome_name, func(n int32) string { return itemOutcomeLabel(ruqiv1.ItemOutcome(n)) })
	check("LeadKind", ruqiv1.LeadKind_name, func(n int32) string { return leadKindLabel(ruqiv1.LeadKind(n)) })
	check("LeadStatus", ruqiv1.LeadStatus_name, func(n int32) string { return leadStatusLabel(ruqiv1.LeadStatus(n)) })
	check("Role", ruqiv1.Role_name, func(n int32) string { return roleLabel(ruqiv1.Role(n)) })

	for typ, want := range map[ruqiv1.EventType]string{
		ruqiv1.EventType_EVENT_TYPE_RESULT_RECORDED:     "记录检查结果",
		ruqiv1.EventType_EVENT_TYPE_COMPLETED:           "办结",
		ruqiv1.EventType_EVENT_TYPE_EVALUATED:           "企业评价",
		ruqiv1.EventType_EVENT_TYPE_COMPLAINED:          "企业投诉",
		ruqiv1.EventType_EVENT_TYPE_LEAD_OPENED:         "生成问题线索",
		ruqiv1.EventType_EVENT_TYPE_LEAD_UPDATED:        "线索处理",
		ruqiv1.EventType_EVENT_TYPE_LATE_REGISTERED:     "事后补录报备",
		ruqiv1.EventType_EVENT_TYPE_TOKEN_REVOKED:       "吊销令牌",
		ruqiv1.EventType_EVENT_TYPE_CERTIFICATE_CHANGED: "执法证状态变更",
	} {
		if got := domain.EventTypeLabel(typ); got != want {
			t.Errorf("domain.EventTypeLabel(%v) = %q, want %q", typ, got, want)
		}
	}
	if got := inspectionStateLabel(ruqiv1.InspectionState_INSPECTION_STATE_COMPLETED); got != "已办结" {
		t.Errorf("COMPLETED label %q", got)
	}
}

func TestParseLeadStatus(t *testing.T) {
	for in, want := range map[string]ruqiv1.LeadStatus{
		"received":    ruqiv1.LeadStatus_LEAD_STATUS_RECEIVED,
		"Checking":    ruqiv1.LeadStatus_LEAD_STATUS_CHECKING,
		"rectified":   ruqiv1.LeadStatus_LEAD_STATUS_RECTIFIED,
		"transferred": ruqiv1.LeadStatus_LEAD_STATUS_TRANSFERRED,
		" unfounded ": ruqiv1.LeadStatus_LEAD_STATUS_UNFOUNDED,
		"查无实据":        ruqiv1.LeadStatus_LEAD_STATUS_UNFOUNDED,
		"已移交纪委":       ruqiv1.LeadStatus_LEAD_STATUS_TRANSFERRED,
	} {
		if got, err := parseLeadStatus(in, false); err != nil || got != want {
			t.Errorf("parseLeadStatus(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	if _, err := parseLeadStatus("received", true); err == nil {
		t.Error("received is no step to update a lead to")
	}
	if got, err := parseLeadStatus("checking", true); err != nil || got != ruqiv1.LeadStatus_LEAD_STATUS_CHECKING {
		t.Errorf("update to checking: %v, %v", got, err)
	}
	for _, in := range []string{"", "open", "LEAD_STATUS_CHECKING", "2"} {
		if _, err := parseLeadStatus(in, false); err == nil {
			t.Errorf("parseLeadStatus(%q): want an error", in)
		}
	}
}

func TestParseRole_AgencyAdmin(t *testing.T) {
	if got, err := parseRole("agency-admin"); err != nil || got != ruqiv1.Role_ROLE_AGENCY_ADMIN {
		t.Errorf("parseRole(agency-admin) = %v, %v", got, err)
	}
}

func sampleResult() *ruqiv1.InspectionResult {
	return &ruqiv1.InspectionResult{
		InspectionId:   "INS-0001",
		AgencyId:       "A-SCJG",
		EnterpriseUscc: ourUSCC,
		Items: []*ruqiv1.ItemResult{
			{CheckItemId: "CI-0001", Outcome: ruqiv1.ItemOutcome_ITEM_OUTCOME_NO_PROBLEM},
			{CheckItemId: "CI-0002", Outcome: ruqiv1.ItemOutcome_ITEM_OUTCOME_RECTIFICATION_ORDERED,
				RectificationDeadline: tspb(time.Date(2026, 12, 31, 23, 59, 59, 0, shanghai)), Note: "消防通道堆放杂物"},
			{CheckItemId: "CI-0003", Outcome: ruqiv1.ItemOutcome_ITEM_OUTCOME_FIRST_VIOLATION_NO_PENALTY},
		},
		Summary:    "总体良好",
		RecordedAt: tspb(windowStart.Add(3 * time.Hour)),
		RecordedBy: "officer:O-0001",
	}
}

func sampleRecordResultResponse() *ruqiv1.RecordResultResponse {
	in := proto.Clone(sampleRegisterResponse().GetInspection()).(*ruqiv1.Inspection)
	in.State = ruqiv1.InspectionState_INSPECTION_STATE_COMPLETED
	in.Result = sampleResult()
	in.CompletedAt = tspb(windowStart.Add(3 * time.Hour))
	in.Late = true
	in.LateReason = "夜间紧急处置"
	return &ruqiv1.RecordResultResponse{Inspection: in}
}

func sampleHistory() *ruqiv1.ListInspectionsResponse {
	done := proto.Clone(sampleScanResponse().GetInspection()).(*ruqiv1.InspectionView)
	done.State = ruqiv1.InspectionState_INSPECTION_STATE_COMPLETED
	done.Results = []*ruqiv1.InspectionResult{sampleResult()}
	evaluated := proto.Clone(done).(*ruqiv1.InspectionView)
	evaluated.InspectionId = "INS-0002"
	evaluated.Results = nil
	evaluated.Evaluated = true
	evaluated.Late = true
	return &ruqiv1.ListInspectionsResponse{
		Inspections: []*ruqiv1.InspectionView{done, evaluated},
		ThisYear:    2,
		LastYear:    5,
	}
}

func sampleLead() *ruqiv1.Lead {
	return &ruqiv1.Lead{
		Id: "L-0001", Kind: ruqiv1.LeadKind_LEAD_KIND_COMPLAINT, Status: ruqiv1.LeadStatus_LEAD_STATUS_CHECKING,
		EnterpriseUscc: ourUSCC, InspectionId: "INS-0001", AgencyId: "A-SCJG", OfficerClaimed: "张某",
		Description: "未出示入企码强行检查", OccurredAt: tspb(windowStart), CreatedAt: tspb(windowStart.Add(time.Hour)),
		RegionCode: "510100",
		Steps: []*ruqiv1.LeadStep{
			{Status: ruqiv1.LeadStatus_LEAD_STATUS_RECEIVED, At: tspb(windowStart.Add(time.Hour)), By: "enterprise:" + ourUSCC},
			{Status: ruqiv1.LeadStatus_LEAD_STATUS_CHECKING, At: tspb(windowStart.Add(25 * time.Hour)), By: "supervisor:510100", Note: "已调取执法记录"},
		},
	}
}

func sampleEvaluation() *ruqiv1.Evaluation {
	return &ruqiv1.Evaluation{
		InspectionId: "INS-0001", AgencyId: "A-SCJG", EnterpriseUscc: ourUSCC,
		CertificateShown: true, RightsExplained: false, ConductedProperly: true, Overall: 4,
		Comment: "未告知申辩权利", At: tspb(windowStart.Add(48 * time.Hour)),
	}
}

func tableOf(print func(printer)) string {
	var out bytes.Buffer
	print(newPrinter("table", &out, &out))
	return out.String()
}

func TestTablePrinter_ResultRecorded(t *testing.T) {
	got := tableOf(func(p printer) { p.ResultRecorded(sampleRecordResultResponse()) })
	assertContains(t, got, "已记录检查结果", "已办结", "企业现在可以对本次检查进行评价",
		"检查结果（记录于 2026-03-02 12:00，记录人 执法人员 O-0001）", "事项", "结果", "整改期限",
		"未发现问题", "责令整改", "2026-12-31 23:59", "首违不罚", "消防通道堆放杂物", "总体情况：总体良好",
		"办结时间", "事后补录", "夜间紧急处置")

	if strings.Contains(got, "--streak-reason") {
		t.Errorf("a close holding nobody tells of a hold:\n%s", got)
	}
	held := sampleRecordResultResponse()
	held.StreakHeldOfficerIds = []string{"O-0001", "O-0010"}
	assertContains(t, tableOf(func(p printer) { p.ResultRecorded(held) }),
		"O-0001、O-0010", "连续三次检查均未发现问题", "--streak-reason")

	open := sampleRecordResultResponse()
	open.Inspection.State = ruqiv1.InspectionState_INSPECTION_STATE_REGISTERED
	assertContains(t, tableOf(func(p printer) { p.ResultRecorded(open) }), "办结时请加 --close")
}

func TestTablePrinter_PriorResults(t *testing.T) {
	got := tableOf(func(p printer) {
		p.PriorResults(&ruqiv1.ListPriorResultsResponse{Results: []*ruqiv1.InspectionResult{sampleResult()}})
	})
	assertContains(t, got, "报备编号", "执法部门", "记录时间", "事项", "结果",
		"INS-0001", "A-SCJG", "2026-03-02 12:00", "CI-0002", "责令整改", "首违不罚", "共 1 次检查结果")
	assertContains(t, tableOf(func(p printer) { p.PriorResults(&ruqiv1.ListPriorResultsResponse{}) }), "没有以往的检查结果")
}

func TestTablePrinter_EvaluationSummary(t *testing.T) {
	few := &ruqiv1.GetEvaluationSummaryResponse{Summary: &ruqiv1.EvaluationSummary{AgencyId: "A-SCJG", Evaluations: 3, MinCount: 5}}
	got := tableOf(func(p printer) { p.EvaluationSummary(few) })
	assertContains(t, got, "评价条数", "3", "已公开的评价不足5条（评价在月份结束一天后成批计入")
	if strings.Contains(got, "出示执法证") {
		t.Errorf("shares shown below the minimum:\n%s", got)
	}

	enough := &ruqiv1.GetEvaluationSummaryResponse{Summary: &ruqiv1.EvaluationSummary{
		AgencyId: "A-SCJG", Evaluations: 12, MinCount: 5,
		CertificateShownShare: 0.9167, RightsExplainedShare: 0.75, ConductedProperlyShare: 1, OverallAverage: 4.25,
	}}
	assertContains(t, tableOf(func(p printer) { p.EvaluationSummary(enough) }),
		"出示执法证", "91.7%", "告知权利", "75.0%", "规范检查", "100.0%", "总体评分", "4.2 / 5", "匿名汇总")

	none := &ruqiv1.GetEvaluationSummaryResponse{Summary: &ruqiv1.EvaluationSummary{AgencyId: "A-SCJG"}}
	assertContains(t, tableOf(func(p printer) { p.EvaluationSummary(none) }), "暂无企业评价")

	// A supervisor's live figures: below the agency's floor, shown.
	live := &ruqiv1.GetEvaluationSummaryResponse{Summary: &ruqiv1.EvaluationSummary{
		AgencyId: "A-SCJG", Evaluations: 1, MinCount: 5, Live: true,
		CertificateShownShare: 1, RightsExplainedShare: 1, ConductedProperlyShare: 1, OverallAverage: 4,
	}}
	got = tableOf(func(p printer) { p.EvaluationSummary(live) })
	assertContains(t, got, "评价条数（截至目前）", "出示执法证", "100.0%", "4.0 / 5", "截至目前全部评价的汇总")
	if strings.Contains(got, "已结束的月份）") || strings.Contains(got, "不足") {
		t.Errorf("a supervisor's live figures read as the agency's:\n%s", got)
	}
	liveNone := &ruqiv1.GetEvaluationSummaryResponse{Summary: &ruqiv1.EvaluationSummary{AgencyId: "A-SCJG", MinCount: 5, Live: true}}
	assertContains(t, tableOf(func(p printer) { p.EvaluationSummary(liveNone) }), "暂无企业评价")
}

func TestTablePrinter_History(t *testing.T) {
	got := tableOf(func(p printer) { p.History(sampleHistory()) })
	assertContains(t, got, "今年被检查2次，去年5次", "共 2 次", "评价", "待评价", "已评价", "已办结（事后补录）",
		"检查结果：", "INS-0001", "市场监督管理局", "CI-0001 食品经营许可情况检查", "未发现问题", "责令整改",
		"2026-12-31 23:59", "总体情况：总体良好", "有 1 次已办结的检查待评价", "ruqi company evaluate")

	empty := tableOf(func(p printer) { p.History(&ruqiv1.ListInspectionsResponse{LastYear: 1}) })
	assertContains(t, empty, "没有检查记录", "今年被检查0次，去年1次")
}

func TestTablePrinter_Refused(t *testing.T) {
	got := tableOf(func(p printer) {
		p.Refused(&ruqiv1.RefuseInspectionResponse{EventSeq: 9, LeadId: "L-0007", Advisory: true, Message: "试运行阶段：仅作提示"})
	})
	assertContains(t, got, "事件序号 9", "问题线索编号：L-0007", "⚠ 请注意：试运行阶段：仅作提示", advisoryBanner)

	got = tableOf(func(p printer) { p.Refused(&ruqiv1.RefuseInspectionResponse{EventSeq: 9, Advisory: true}) })
	assertContains(t, got, defaultAdvisory)

	// On PostgreSQL the event has no number yet when the refusal answers.
	got = tableOf(func(p printer) { p.Refused(&ruqiv1.RefuseInspectionResponse{LeadId: "L-0007"}) })
	assertContains(t, got, "已记录拒绝检查", "ruqi receipt get")
	if strings.Contains(got, "序号 0") {
		t.Errorf("a refusal on PostgreSQL printed event number 0:\n%s", got)
	}

	got = tableOf(func(p printer) { p.Refused(&ruqiv1.RefuseInspectionResponse{EventSeq: 9, LeadId: "L-0007"}) })
	if strings.Contains(got, "试运行") {
		t.Errorf("no advisory outside the trial phase:\n%s", got)
	}
}

func TestJSONPrinter_AdvisoryAlsoOnStderr(t *testing.T) {
	var out, errOut bytes.Buffer
	r := &ruqiv1.RefuseInspectionResponse{EventSeq: 9, LeadId: "L-0007", Advisory: true, Message: "试运行阶段：仅作提示"}
	newPrinter("json", &out, &errOut).Refused(r)
	var back ruqiv1.RefuseInspectionResponse
	if err := protojson.Unmarshal(out.Bytes(), &back); err != nil || !proto.Equal(&back, r) {
		t.Errorf("stdout is not the response: %v\n%s", err, out.String())
	}
	assertContains(t, errOut.String(), "试运行阶段：仅作提示")
}

func TestTablePrinter_Leads(t *testing.T) {
	got := tableOf(func(p printer) { p.Leads(&ruqiv1.ListLeadsResponse{Leads: []*ruqiv1.Lead{sampleLead()}}) })
	assertContains(t, got, "线索编号", "类型", "状态", "企业", "报备编号", "部门", "发生时间", "说明",
		"L-0001", "企业投诉", "核查中", ourUSCC, "INS-0001", "A-SCJG", "2026-03-02 09:00", "未出示入企码强行检查", "张某", "共 1 条")
	assertContains(t, tableOf(func(p printer) { p.Leads(&ruqiv1.ListLeadsResponse{}) }), "没有问题线索")

	got = tableOf(func(p printer) { p.LeadUpdated(&ruqiv1.UpdateLeadResponse{Lead: sampleLead()}) })
	assertContains(t, got, "线索 L-0001 已更新为：核查中", "处理经过", "已接收", "司法局监督人员 510100", "已调取执法记录", "行政区划")
}

func TestTablePrinter_EvaluationsAndFeedback(t *testing.T) {
	got := tableOf(func(p printer) {
		p.Evaluations(&ruqiv1.ListEvaluationsResponse{Evaluations: []*ruqiv1.Evaluation{sampleEvaluation()}})
	})
	assertContains(t, got, "企业", ourUSCC, "出示执法证", "告知权利", "规范检查", "总体评分", "是", "否", "未告知申辩权利")

	got = tableOf(func(p printer) {
		p.Evaluated(&ruqiv1.EvaluateInspectionRequest{InspectionId: "INS-0001", CertificateShown: true, Overall: 4},
			&ruqiv1.EvaluateInspectionResponse{})
	})
	assertContains(t, got, "已提交评价", "看不到是哪家企业", "INS-0001", "4 / 5")

	assertContains(t, tableOf(func(p printer) { p.Complained(&ruqiv1.ComplainResponse{LeadId: "L-0009"}) }),
		"已提交投诉", "司法局", "线索编号", "L-0009")
	assertContains(t, tableOf(func(p printer) {
		p.TokenRevoked(&ruqiv1.RevokeAccessTokenRequest{TokenId: "T-1"}, &ruqiv1.RevokeAccessTokenResponse{})
	}), "已吊销令牌 T-1")

	officer := &ruqiv1.Officer{Id: "O-0001", Name: "张三", AgencyId: "A-SCJG", CertificateNumber: "51010020240001",
		CertificateStatus: ruqiv1.CertificateStatus_CERTIFICATE_STATUS_SUSPENDED}
	got = tableOf(func(p printer) {
		p.CertificateChanged(&ruqiv1.SetCertificateStatusRequest{OfficerId: "O-0001", Status: officer.CertificateStatus, Reason: "停职审查"},
			&ruqiv1.SetCertificateStatusResponse{Officer: officer})
	})
	assertContains(t, got, "已暂扣执法人员 O-0001 的执法证", "入企码随即不能通过核验", "张三", "执法证状态", "暂扣", "停职审查")
}

// TestJSONPrinter_NewResultsRoundTrip checks that json output of the new
// commands is the response itself.
func TestJSONPrinter_NewResultsRoundTrip(t *testing.T) {
	summary := &ruqiv1.GetEvaluationSummaryResponse{Summary: &ruqiv1.EvaluationSummary{
		AgencyId: "A-SCJG", Evaluations: 12, MinCount: 5, CertificateShownShare: 0.5, OverallAverage: 3.5}}
	officer := &ruqiv1.SetCertificateStatusResponse{Officer: &ruqiv1.Officer{Id: "O-0001",
		CertificateStatus: ruqiv1.CertificateStatus_CERTIFICATE_STATUS_ACTIVE}}
	tests := []struct {
		name  string
		print func(printer)
		want  proto.Message
	}{
		{"result", func(p printer) { p.ResultRecorded(sampleRecordResultResponse()) }, sampleRecordResultResponse()},
		{"prior", func(p printer) {
			p.PriorResults(&ruqiv1.ListPriorResultsResponse{Results: []*ruqiv1.InspectionResult{sampleResult()}})
		}, &ruqiv1.ListPriorResultsResponse{Results: []*ruqiv1.InspectionResult{sampleResult()}}},
		{"summary", func(p printer) { p.EvaluationSummary(summary) }, summary},
		{"history", func(p printer) { p.History(sampleHistory()) }, sampleHistory()},
		{"evaluated", func(p printer) {
			p.Evaluated(&ruqiv1.EvaluateInspectionRequest{}, &ruqiv1.EvaluateInspectionResponse{})
		}, &ruqiv1.EvaluateInspectionResponse{}},
		{"complained", func(p printer) { p.Complained(&ruqiv1.ComplainResponse{LeadId: "L-1"}) }, &ruqiv1.ComplainResponse{LeadId: "L-1"}},
		{"leads", func(p printer) { p.Leads(&ruqiv1.ListLeadsResponse{Leads: []*ruqiv1.Lead{sampleLead()}}) },
			&ruqiv1.ListLeadsResponse{Leads: []*ruqiv1.Lead{sampleLead()}}},
		{"lead", func(p printer) { p.LeadUpdated(&ruqiv1.UpdateLeadResponse{Lead: sampleLead()}) },
			&ruqiv1.UpdateLeadResponse{Lead: sampleLead()}},
		{"evaluations", func(p printer) {
			p.Evaluations(&ruqiv1.ListEvaluationsResponse{Evaluations: []*ruqiv1.Evaluation{sampleEvaluation()}})
		}, &ruqiv1.ListEvaluationsResponse{Evaluations: []*ruqiv1.Evaluation{sampleEvaluation()}}},
		{"revoked", func(p printer) {
			p.TokenRevoked(&ruqiv1.RevokeAccessTokenRequest{TokenId: "T-1"}, &ruqiv1.RevokeAccessTokenResponse{})
		}, &ruqiv1.RevokeAccessTokenResponse{}},
		{"certificate", func(p printer) {
			p.CertificateChanged(&ruqiv1.SetCertificateStatusRequest{OfficerId: "O-0001"}, officer)
		}, officer},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out, errOut bytes.Buffer
			tt.print(newPrinter("json", &out, &errOut))
			into := tt.want.ProtoReflect().New().Interface()
			if err := protojson.Unmarshal(out.Bytes(), into); err != nil {
				t.Fatalf("output is not protojson: %v\n%s", err, out.String())
			}
			if !proto.Equal(into, tt.want) {
				t.Errorf("round trip differs:\n got %v\nwant %v", into, tt.want)
			}
		})
	}
}

// A 司法局 trial (2026-12-06): a region none of whose inspections had begun
// read 亮码率 and 两码互核率 0.0% above rows that say "—", and a report of no
// inspection 并入的占检查次数 0.0%.
func TestPrintReport_NothingBegun_NoRate(t *testing.T) {
	var out bytes.Buffer
	printReport(&out, &ruqiv1.GetFrequencyReportResponse{FromMonth: "2026-12", ToMonth: "2026-12", RegionCode: "510107", Totals: &ruqiv1.ReportTotals{}})
	got := out.String()
	assertContains(t, got, "亮码率                    —（0 次检查扫码核验", "两码互核率                —（0 次", "并入的占检查次数 —")
	if strings.Contains(got, "0.0%") {
		t.Errorf("a report of nothing begun shows a rate of 0.0%%:\n%s", got)
	}
}

// A 司法局 trial of the report (2026-12-07): "频次预警 4（同一人员连续三次未
// 发现问题 2）" read as four warnings of which two were streaks, where the
// log held four frequency warnings and two streaks besides (the dashboard
// shows them apart).
func TestPrintReport_StreaksBesideFrequencyWarnings(t *testing.T) {
	var out bytes.Buffer
	printReport(&out, &ruqiv1.GetFrequencyReportResponse{FromMonth: "2026-12", ToMonth: "2026-12", RegionCode: "510100",
		Totals: &ruqiv1.ReportTotals{FrequencyWarnings: 4, NoFindingStreaks: 2}})
	got := out.String()
	assertContains(t, got, "频次预警                  4（超过日、周、月提醒线）", "连续三次未发现问题        2（同一人员在同一企业）")
	if strings.Contains(got, "4（同一人员") {
		t.Errorf("the streaks read as part of the frequency warnings:\n%s", got)
	}
}

// The 双随机 registrations that name no draw are said with the registrations
// they are part of, and why the 司法局 would look at them.
func TestPrintReport_RandomWithoutDraw(t *testing.T) {
	var out bytes.Buffer
	printReport(&out, &ruqiv1.GetFrequencyReportResponse{FromMonth: "2026-12", ToMonth: "2026-12", RegionCode: "510100",
		Totals: &ruqiv1.ReportTotals{RandomRegistrations: 7, RandomWithoutDraw: 3}})
	assertContains(t, out.String(), "双随机未注明抽取          3（双随机报备 7 次中未注明抽取编号的")
}

// A period that ends in a month not over says what its 同比 compares; one
// that is over says nothing of it.
func TestPrintReport_UnfinishedMonthSaid(t *testing.T) {
	for _, unfinished := range []bool{true, false} {
		var out bytes.Buffer
		printReport(&out, &ruqiv1.GetFrequencyReportResponse{FromMonth: "2026-01", ToMonth: "2026-12", ToMonthUnfinished: unfinished, Totals: &ruqiv1.ReportTotals{}})
		said := strings.Contains(out.String(), "注意：截止月份 2026-12 尚未结束：其数字截至目前，上年同期为 2025-12 的整月，同比因此可能偏低。")
		if said != unfinished {
			t.Errorf("to_month_unfinished %v, note said %v:\n%s", unfinished, said, out.String())
		}
	}
}
