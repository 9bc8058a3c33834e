package cli

import (
	"fmt"
	"strings"

	"github.com/ruqi/ruqi/internal/domain"
	ruqiv1 "github.com/ruqi/ruqi/proto/ruqi/v1"
)

// Inspection plans (检查计划): one plan with its version history, and lists.

func (p *jsonPrinter) Plan(_ string, pl *ruqiv1.Plan)    { p.msg(pl) }
func (p *jsonPrinter) Plans(r *ruqiv1.ListPlansResponse) { p.msg(r) }

func planStateLabel(s ruqiv1.PlanState) string {
	switch s {
	case ruqiv1.PlanState_PLAN_STATE_FILED:
		return "已提交，待批准"
	case ruqiv1.PlanState_PLAN_STATE_APPROVED:
		return "已批准（已报司法局备案），待公示"
	case ruqiv1.PlanState_PLAN_STATE_PUBLISHED:
		return "已公示"
	}
	return unknownLabel(int32(s))
}

// versionStateLabel says a version's state; a filed version that needs no
// approval is in force as filed.
func versionStateLabel(v *ruqiv1.PlanVersion) string {
	if v.GetState() == ruqiv1.PlanState_PLAN_STATE_FILED && v.GetType() != ruqiv1.InspectionType_INSPECTION_TYPE_SPECIAL {
		return "已提交（无需审批）"
	}
	label := planStateLabel(v.GetState())
	if v.GetPublishedLate() {
		label += "（逾期公示）"
	}
	return label
}

func scopeLabel(sc *ruqiv1.PlanScope) string {
	if len(sc.GetEnterpriseUsccs()) > 0 {
		return fmt.Sprintf("%d家企业：%s", len(sc.GetEnterpriseUsccs()), strings.Join(sc.GetEnterpriseUsccs(), "、"))
	}
	s := "行政区划 " + sc.GetRegionCode() + " 内的企业"
	if sc.GetIndustry() != "" {
		s = "行政区划 " + sc.GetRegionCode() + " 内" + sc.GetIndustry() + "行业的企业"
	}
	return s
}

func planPeriod(v *ruqiv1.PlanVersion) string {
	return fmtTime(v.GetPeriodStart()) + " 至 " + fmtTime(v.GetPeriodEnd())
}

func (p *tablePrinter) Plan(headline string, pl *ruqiv1.Plan) {
	vs := pl.GetVersions()
	if len(vs) == 0 {
		p.printf("检查计划 %s 没有任何版本。\n", pl.GetId())
		return
	}
	n := vs[len(vs)-1]
	if headline != "" {
		p.printf("%s：%s（第%d版，%s）。\n\n", headline, pl.GetId(), n.GetVersion(), versionStateLabel(n))
	}
	fields(p.out,
		kv("计划编号", pl.GetId()),
		kv("执法部门", pl.GetAgencyId()),
		kv("名称", n.GetTitle()),
		kv("类型", inspectionTypeLabel(n.GetType())),
		kv("范围", scopeLabel(n.GetScope())),
		kv("检查事项", strings.Join(n.GetCheckItemIds(), "、")),
		kv("期限", planPeriod(n)),
		kv("最新版本", fmt.Sprintf("第%d版，%s", n.GetVersion(), versionStateLabel(n))),
		kv("公示期限", optTime(n.GetPublishBy() != nil, fmtTime(n.GetPublishBy()))),
	)
	if pl.GetOverdue() {
		p.println("⚠ 已批准的版本逾期未公示，司法局已收到提示。")
	}
	p.println()
	p.println("版本记录：")
	t := newTable("版本", "状态", "名称", "范围", "期限", "提交", "批准", "公示", "说明")
	for _, v := range vs {
		note := v.GetReason()
		if v.GetEmergency() {
			note = "【应急调整】" + note
		}
		t.add(fmt.Sprintf("第%d版", v.GetVersion()), versionStateLabel(v), v.GetTitle(), scopeLabel(v.GetScope()), planPeriod(v),
			fmtTime(v.GetFiledAt())+" "+domain.ActorLabel(v.GetFiledBy()),
			optTime(v.GetApprovedAt() != nil, fmtTime(v.GetApprovedAt())+" "+domain.ActorLabel(v.GetApprovedBy())),
			optTime(v.GetPublishedAt() != nil, fmtTime(v.GetPublishedAt())),
			orDash(note))
	}
	t.write(p.out)
}

func (p *tablePrinter) Plans(r *ruqiv1.ListPlansResponse) {
	if len(r.GetPlans()) == 0 {
		p.println("没有检查计划。")
		return
	}
	t := newTable("计划编号", "部门", "名称", "类型", "期限", "最新版本", "状态")
	for _, pl := range r.GetPlans() {
		vs := pl.GetVersions()
		if len(vs) == 0 {
			continue
		}
		n := vs[len(vs)-1]
		state := versionStateLabel(n)
		if pl.GetOverdue() {
			state += "；⚠ 逾期未公示"
		}
		t.add(pl.GetId(), pl.GetAgencyId(), n.GetTitle(), inspectionTypeLabel(n.GetType()), planPeriod(n), fmt.Sprintf("第%d版", n.GetVersion()), state)
	}
	t.write(p.out)
	p.printf("共 %d 份。\n", len(r.GetPlans()))
}
