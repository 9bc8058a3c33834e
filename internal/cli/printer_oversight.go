package cli

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/ruqi/ruqi/internal/domain"
	ruqiv1 "github.com/ruqi/ruqi/proto/ruqi/v1"
)

// Printers for what happens after the visit (results, evaluations,
// complaints) and for oversight (leads, token revocation, certificates).

// ---- json ----

func (p *jsonPrinter) ResultRecorded(r *ruqiv1.RecordResultResponse)            { p.msg(r) }
func (p *jsonPrinter) PriorResults(r *ruqiv1.ListPriorResultsResponse)          { p.msg(r) }
func (p *jsonPrinter) EvaluationSummary(r *ruqiv1.GetEvaluationSummaryResponse) { p.msg(r) }
func (p *jsonPrinter) Complained(r *ruqiv1.ComplainResponse)                    { p.msg(r) }
func (p *jsonPrinter) Leads(r *ruqiv1.ListLeadsResponse)                        { p.msg(r) }
func (p *jsonPrinter) OwnLeads(r *ruqiv1.ListOwnLeadsResponse)                  { p.msg(r) }
func (p *jsonPrinter) LeadUpdated(r *ruqiv1.UpdateLeadResponse)                 { p.msg(r) }
func (p *jsonPrinter) Evaluations(r *ruqiv1.ListEvaluationsResponse)            { p.msg(r) }

func (p *jsonPrinter) Evaluated(_ *ruqiv1.EvaluateInspectionRequest, r *ruqiv1.EvaluateInspectionResponse) {
	p.msg(r)
}

func (p *jsonPrinter) TokenRevoked(_ *ruqiv1.RevokeAccessTokenRequest, r *ruqiv1.RevokeAccessTokenResponse) {
	p.msg(r)
}

func (p *jsonPrinter) CertificateChanged(_ *ruqiv1.SetCertificateStatusRequest, r *ruqiv1.SetCertificateStatusResponse) {
	p.msg(r)
}

// ---- table ----

// advisoryBanner frames the trial-phase notice of a refusal.
var advisoryBanner = strings.Repeat("=", 60)

// defaultAdvisory is said when the server marks a refusal advisory without
// a message of its own.
const defaultAdvisory = "试运行阶段：拒绝已记录并转司法局，但目前仅作提示，企业尚不能据此拒绝检查。"

func advisoryMessage(r *ruqiv1.RefuseInspectionResponse) string {
	if m := r.GetMessage(); m != "" {
		return m
	}
	return defaultAdvisory
}

func yesNo(b bool) string {
	if b {
		return "是"
	}
	return "否"
}

// itemName shows a check item as "CI-0001 食品经营许可情况检查" when its name
// is known.
func itemName(id string, names map[string]string) string { return named(id, names[id]) }

// resultItems prints the per-item outcomes of one result.
func (p *tablePrinter) resultItems(items []*ruqiv1.ItemResult, names map[string]string) {
	if len(items) == 0 {
		p.println("（未逐项记录）")
		return
	}
	t := newTable("事项", "结果", "整改期限", "备注")
	for _, it := range items {
		t.add(itemName(it.GetCheckItemId(), names), itemOutcomeLabel(it.GetOutcome()),
			fmtTime(it.GetRectificationDeadline()), orDash(it.GetNote()))
	}
	t.write(p.out)
}

// result prints one inspection's result: who recorded it and when, the
// items, the summary.
func (p *tablePrinter) result(res *ruqiv1.InspectionResult, names map[string]string) {
	var meta []string
	if res.GetRecordedAt() != nil {
		meta = append(meta, "记录于 "+fmtTime(res.GetRecordedAt()))
	}
	if by := res.GetRecordedBy(); by != "" {
		meta = append(meta, "记录人 "+domain.ActorLabel(by))
	}
	if len(meta) > 0 {
		p.printf("检查结果（%s）：\n", strings.Join(meta, "，"))
	} else {
		p.println("检查结果：")
	}
	p.resultItems(res.GetItems(), names)
	if s := res.GetSummary(); s != "" {
		p.printf("总体情况：%s\n", s)
	}
}

// historyResults prints the results of an enterprise's inspections in one
// table, item names and agency names taken from the views.
func (p *tablePrinter) historyResults(views []*ruqiv1.InspectionView) {
	t := newTable("报备编号", "执法部门", "事项", "结果", "整改期限", "备注")
	var summaries []string
	// Each view of a joint visit carries every plan's results: each is
	// printed once (a trial of a county's 综合查一次, 2026-12-06: four
	// agencies' visit printed every result four times).
	printed := map[string]bool{}
	for _, v := range views {
		names := domain.ItemNames(v.GetCheckItems())
		agencies := map[string]string{}
		for _, a := range v.GetAgencies() {
			agencies[a.GetId()] = a.GetName()
		}
		for _, res := range v.GetResults() {
			id := res.GetInspectionId()
			if id == "" {
				id = v.GetInspectionId()
			}
			if printed[id] {
				continue
			}
			printed[id] = true
			agency := agencies[res.GetAgencyId()]
			if agency == "" {
				agency = orDash(res.GetAgencyId())
			}
			if len(res.GetItems()) == 0 {
				t.add(id, agency, "-", "（未逐项记录）", "-", "-")
			}
			for _, it := range res.GetItems() {
				t.add(id, agency, itemName(it.GetCheckItemId(), names), itemOutcomeLabel(it.GetOutcome()),
					fmtTime(it.GetRectificationDeadline()), orDash(it.GetNote()))
			}
			if s := res.GetSummary(); s != "" {
				summaries = append(summaries, id+"（"+agency+"）总体情况："+s)
			}
		}
	}
	if len(t.rows) == 0 {
		return
	}
	p.println()
	p.println("检查结果：")
	t.write(p.out)
	for _, s := range summaries {
		p.println(s)
	}
}

func (p *tablePrinter) ResultRecorded(r *ruqiv1.RecordResultResponse) {
	if r.GetInspection().GetState() == ruqiv1.InspectionState_INSPECTION_STATE_COMPLETED {
		p.println("已记录检查结果，本次检查已办结。企业现在可以对本次检查进行评价。")
		if held := r.GetStreakHeldOfficerIds(); len(held) > 0 {
			p.printf("提示：执法人员 %s 近一年在企业 %s 连续三次检查均未发现问题；再次检查该企业时，报备须说明理由（--streak-reason）。\n",
				strings.Join(held, "、"), r.GetInspection().GetEnterpriseUscc())
		}
	} else {
		p.println("已记录检查结果。办结时请加 --close。")
	}
	p.println()
	p.inspection(r.GetInspection())
}

func (p *tablePrinter) PriorResults(r *ruqiv1.ListPriorResultsResponse) {
	if len(r.GetResults()) == 0 {
		p.println("没有以往的检查结果。")
		return
	}
	t := newTable("报备编号", "执法部门", "记录时间", "事项", "结果", "整改期限", "备注")
	for _, res := range r.GetResults() {
		id, agency, at := orDash(res.GetInspectionId()), orDash(res.GetAgencyId()), fmtTime(res.GetRecordedAt())
		if len(res.GetItems()) == 0 {
			t.add(id, agency, at, "-", "（未逐项记录）", "-", "-")
		}
		for _, it := range res.GetItems() {
			t.add(id, agency, at, orDash(it.GetCheckItemId()), itemOutcomeLabel(it.GetOutcome()),
				fmtTime(it.GetRectificationDeadline()), orDash(it.GetNote()))
		}
	}
	t.write(p.out)
	// The summary (总体情况) is the officer's words on the visit as a
	// whole, which -o json held and the table left out (an officer's trial,
	// 2026-12-06): under the table, one line per result that has one.
	for _, res := range r.GetResults() {
		if sum := strings.TrimSpace(res.GetSummary()); sum != "" {
			p.printf("%s 总体情况：%s\n", orDash(res.GetInspectionId()), sum)
		}
	}
	p.printf("共 %d 次检查结果。\n", len(r.GetResults()))
}

// fmtShare shows a share in [0, 1] as a percentage.
func fmtShare(x float64) string { return strconv.FormatFloat(x*100, 'f', 1, 64) + "%" }

func (p *tablePrinter) EvaluationSummary(r *ruqiv1.GetEvaluationSummaryResponse) {
	s := r.GetSummary()
	n, minCount := s.GetEvaluations(), s.GetMinCount()
	count := "评价条数（已结束的月份）"
	if s.GetLive() {
		count = "评价条数（截至目前）"
	}
	fields(p.out,
		kv("执法部门", s.GetAgencyId()),
		kv(count, strconv.Itoa(int(n))),
	)
	switch {
	case n == 0 && s.GetLive():
		p.println("暂无企业评价。")
		return
	case minCount > 0 && n < minCount && !s.GetLive():
		p.printf("已公开的评价不足%d条（评价在月份结束一天后成批计入，且须仍有至少同样多家可评价的企业未评价），为保护企业匿名不显示明细。\n", minCount)
		return
	case n == 0:
		p.println("暂无企业评价。")
		return
	}
	fields(p.out,
		kv("出示执法证", fmtShare(s.GetCertificateShownShare())),
		kv("告知权利", fmtShare(s.GetRightsExplainedShare())),
		kv("规范检查", fmtShare(s.GetConductedProperlyShare())),
		kv("总体评分", fmt.Sprintf("%.1f / %d", s.GetOverallAverage(), domain.MaxOverall)),
	)
	if s.GetLive() {
		p.println("以上为截至目前全部评价的汇总；执法部门只能看到按已结束月份成批公开的匿名汇总。")
		return
	}
	p.println("以上为匿名汇总，不显示是哪家企业作的评价。")
}

func (p *tablePrinter) Evaluated(req *ruqiv1.EvaluateInspectionRequest, _ *ruqiv1.EvaluateInspectionResponse) {
	p.println("已提交评价。执法部门只能看到匿名汇总，看不到是哪家企业作的评价。")
	fields(p.out,
		kv("报备编号", req.GetInspectionId()),
		kv("出示执法证", yesNo(req.GetCertificateShown())),
		kv("告知权利", yesNo(req.GetRightsExplained())),
		kv("规范检查", yesNo(req.GetConductedProperly())),
		kv("总体评分", fmt.Sprintf("%d / %d", req.GetOverall(), domain.MaxOverall)),
		kv("意见", req.GetComment()),
	)
}

func (p *tablePrinter) Complained(r *ruqiv1.ComplainResponse) {
	if r.GetAlreadyRecorded() {
		// The same words the same day are one complaint (the CLI's request
		// id): said, so that another incident is not taken as filed (an
		// operator's trial, 2026-12-06).
		p.println("此前已记录同一投诉，本次未重复记录。如是另一件事，请写明发生时间（--at）或换用 --request-id 后再提交。")
		fields(p.out, kv("线索编号", orDash(r.GetLeadId())))
		return
	}
	p.println("已提交投诉，作为问题线索转司法局核查。")
	fields(p.out, kv("线索编号", orDash(r.GetLeadId())))
	p.println("司法局的处理状态可用 ruqi company leads 查看。")
}

// named shows an id with its directory name, "AG-01 成都市市场监督管理局",
// or a dash for no id.
func named(id, name string) string {
	if id == "" {
		return "-"
	}
	return optNamed(id, name)
}

// optNamed is named for fields, which leave an empty id out.
func optNamed(id, name string) string {
	if id == "" || name == "" {
		return id
	}
	return id + " " + name
}

// leadNote is a lead's description, with the officer as the enterprise
// named them when there is no registered officer.
func leadNote(l *ruqiv1.Lead) string {
	d := l.GetDescription()
	if c := l.GetOfficerClaimed(); c != "" {
		d = strings.TrimSpace(d + "（对方自称：" + c + "）")
	}
	return orDash(d)
}

func (p *tablePrinter) Leads(r *ruqiv1.ListLeadsResponse) {
	if len(r.GetLeads()) == 0 {
		p.println("没有问题线索。")
		return
	}
	t := newTable("线索编号", "类型", "状态", "企业", "报备编号", "部门", "发生时间", "说明")
	for _, l := range r.GetLeads() {
		t.add(l.GetId(), leadKindLabel(l.GetKind()), leadStatusLabel(l.GetStatus()), named(l.GetEnterpriseUscc(), l.GetEnterpriseName()),
			orDash(l.GetInspectionId()), named(l.GetAgencyId(), l.GetAgencyName()), fmtTime(l.GetOccurredAt()), leadNote(l))
	}
	t.write(p.out)
	p.printf("共 %d 条。\n", len(r.GetLeads()))
}

// OwnLeads is an enterprise's own leads: where each stands and since when.
func (p *tablePrinter) OwnLeads(r *ruqiv1.ListOwnLeadsResponse) {
	if len(r.GetLeads()) == 0 {
		p.println("本企业没有问题线索（拒绝检查、投诉和扫描到的无效入企码会生成问题线索，转司法局核查）。")
		return
	}
	t := newTable("线索编号", "类型", "提交时间", "处理状态", "状态时间", "报备编号", "说明", "司法局答复")
	for _, l := range r.GetLeads() {
		since, reply := l.GetCreatedAt(), ""
		for _, s := range l.GetSteps() {
			since = s.GetAt()
			if s.GetReply() != "" {
				// The latest, with the step it came with: a later step
				// without one did not take it back.
				reply = s.GetReply() + "（" + leadStatusLabel(s.GetStatus()) + "时，" + fmtTime(s.GetAt()) + "）"
			}
		}
		t.add(l.GetId(), leadKindLabel(l.GetKind()), fmtTime(l.GetCreatedAt()), leadStatusLabel(l.GetStatus()), fmtTime(since),
			orDash(l.GetInspectionId()), leadNote(l), orDash(reply))
	}
	t.write(p.out)
	p.printf("共 %d 条。处理状态和答复由司法局核查后更新（每一步的答复见 -o json）。\n", len(r.GetLeads()))
}

func (p *tablePrinter) LeadUpdated(r *ruqiv1.UpdateLeadResponse) {
	l := r.GetLead()
	p.printf("线索 %s 已更新为：%s。\n\n", l.GetId(), leadStatusLabel(l.GetStatus()))
	fields(p.out,
		kv("线索编号", l.GetId()),
		kv("类型", leadKindLabel(l.GetKind())),
		kv("状态", leadStatusLabel(l.GetStatus())),
		kv("企业", optNamed(l.GetEnterpriseUscc(), l.GetEnterpriseName())),
		kv("报备编号", l.GetInspectionId()),
		kv("执法部门", optNamed(l.GetAgencyId(), l.GetAgencyName())),
		kv("执法人员", optNamed(l.GetOfficerId(), l.GetOfficerName())),
		kv("对方自称", l.GetOfficerClaimed()),
		kv("行政区划", l.GetRegionCode()),
		kv("发生时间", optTime(l.GetOccurredAt() != nil, fmtTime(l.GetOccurredAt()))),
		kv("生成时间", optTime(l.GetCreatedAt() != nil, fmtTime(l.GetCreatedAt()))),
		kv("说明", l.GetDescription()),
	)
	if len(l.GetSteps()) == 0 {
		return
	}
	p.println("\n处理经过：")
	t := newTable("时间", "状态", "处理人", "说明", "答复企业")
	for _, s := range l.GetSteps() {
		t.add(fmtTime(s.GetAt()), leadStatusLabel(s.GetStatus()), orDash(domain.ActorLabel(s.GetBy())), orDash(s.GetNote()), orDash(s.GetReply()))
	}
	t.write(p.out)
}

// optTime leaves an unset time out of a fields list.
func optTime(set bool, s string) string {
	if !set {
		return ""
	}
	return s
}

func (p *tablePrinter) Evaluations(r *ruqiv1.ListEvaluationsResponse) {
	if len(r.GetEvaluations()) == 0 {
		p.println("没有评价。")
		return
	}
	t := newTable("报备编号", "执法部门", "企业", "出示执法证", "告知权利", "规范检查", "总体评分", "评价时间", "意见")
	for _, e := range r.GetEvaluations() {
		t.add(e.GetInspectionId(), orDash(e.GetAgencyId()), orDash(e.GetEnterpriseUscc()),
			yesNo(e.GetCertificateShown()), yesNo(e.GetRightsExplained()), yesNo(e.GetConductedProperly()),
			strconv.Itoa(int(e.GetOverall())), fmtTime(e.GetAt()), orDash(e.GetComment()))
	}
	t.write(p.out)
	p.printf("共 %d 条。\n", len(r.GetEvaluations()))
}

func (p *tablePrinter) TokenRevoked(req *ruqiv1.RevokeAccessTokenRequest, r *ruqiv1.RevokeAccessTokenResponse) {
	p.printf("已吊销令牌 %s，该令牌下次使用时即被拒绝。\n", req.GetTokenId())
	if n := len(r.GetAlsoRevoked()); n > 0 {
		p.printf("同时吊销了由该令牌开始的网页登录、登记的设备或设备登记码 %d 个：%s。\n", n, strings.Join(r.GetAlsoRevoked(), "、"))
	}
}

func (p *tablePrinter) CertificateChanged(req *ruqiv1.SetCertificateStatusRequest, r *ruqiv1.SetCertificateStatusResponse) {
	o := r.GetOfficer()
	id := o.GetId()
	if id == "" {
		id = req.GetOfficerId()
	}
	switch req.GetStatus() {
	case ruqiv1.CertificateStatus_CERTIFICATE_STATUS_SUSPENDED:
		p.printf("已暂扣执法人员 %s 的执法证，其尚未过期的入企码随即不能通过核验。\n", id)
	case ruqiv1.CertificateStatus_CERTIFICATE_STATUS_REVOKED:
		p.printf("已注销执法人员 %s 的执法证，其尚未过期的入企码随即不能通过核验。\n", id)
	default:
		p.printf("已恢复执法人员 %s 的执法证。\n", id)
	}
	if o == nil {
		return
	}
	p.println()
	fields(p.out,
		kv("编号", o.GetId()),
		kv("姓名", o.GetName()),
		kv("执法部门", o.GetAgencyId()),
		kv("执法证号", o.GetCertificateNumber()),
		kv("执法证状态", officerCertificateLabel(o)),
		kv("有效期至", optTime(o.GetCertificateValidUntil() != nil, fmtDate(o.GetCertificateValidUntil()))),
		kv("原因", req.GetReason()),
	)
}
