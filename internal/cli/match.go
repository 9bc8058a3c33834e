package cli

import (
	"context"
	"fmt"
	"strings"

	"github.com/spf13/cobra"
	"google.golang.org/grpc"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/ruqi/ruqi/internal/domain"
	ruqiv1 "github.com/ruqi/ruqi/proto/ruqi/v1"
)

// matchCommand is 拼团 (联合入企 撮合): agencies submit their plans'
// coverage, the 司法局 runs the matching, each agency accepts or declines.
func (a *app) matchCommand() *cobra.Command {
	cmd := groupCommand("match", "拼团（联合入企撮合）：提交检查计划覆盖范围、撮合、同意或拒绝拼团提议")
	cmd.AddCommand(a.matchCoverCommand(), a.matchRunCommand(), a.matchListCommand(), a.matchShowCommand(), a.matchAnswerCommand(true), a.matchAnswerCommand(false))
	return cmd
}

func (a *app) matchCoverCommand() *cobra.Command {
	var (
		plan, typ, from, to, trigger, agency string
		items, enterprises                   []string
	)
	cmd := &cobra.Command{
		Use:   "cover",
		Short: "提交本部门一项检查计划覆盖的企业、期间和检查事项，供拼团撮合",
		Long: `提交本部门一项检查计划的覆盖范围：计划期间、检查类型、检查事项和覆盖的企业。
同一计划编号再次提交即替换原有内容。已在系统中备案的检查计划（列明企业的）无须再提交。`,
		Example: `  ruqi match cover --plan-id M-2026-12 --type routine --from "2026-12-01 00:00" --to "2027-01-01 00:00" \
    --items CI-0001,CI-0002 --enterprises 91510100MA6123456W,91510104CY4C7RGWMR`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := requireFlags(cmd, "plan-id", "type", "from", "to", "items", "enterprises"); err != nil {
				return err
			}
			t, err := parseInspectionType(typ)
			if err != nil {
				return usagef("--type：%v", err)
			}
			now := a.now()
			start, err := parsePlanTime(from, now)
			if err != nil {
				return usagef("--from：%v", err)
			}
			end, err := parsePlanTime(to, now)
			if err != nil {
				return usagef("--to：%v", err)
			}
			usccs := splitIDs(enterprises)
			for i, u := range usccs {
				usccs[i] = domain.NormalizeID(u)
			}
			req := &ruqiv1.SubmitPlanCoverageRequest{Coverage: &ruqiv1.PlanCoverage{
				PlanId: strings.TrimSpace(plan), AgencyId: agency, Type: t, PeriodStart: timestamppb.New(start), PeriodEnd: timestamppb.New(end),
				CheckItemIds: splitIDs(items), EnterpriseUsccs: usccs, TriggerReference: strings.TrimSpace(trigger)}}
			return a.call(cmd, func(ctx context.Context, cc *grpc.ClientConn) error {
				resp, err := ruqiv1.NewMatchingServiceClient(cc).SubmitPlanCoverage(ctx, req)
				if err != nil {
					return err
				}
				a.printer().CoverageSubmitted(resp)
				return nil
			})
		},
	}
	f := cmd.Flags()
	f.StringVar(&plan, "plan-id", "", "本部门的检查计划编号 `ID`（必填）")
	f.StringVar(&typ, "type", "", "检查类型 `TYPE`：routine（日常）、random（双随机）、special（专项）、case（个案）（必填）")
	f.StringVar(&from, "from", "", "计划期间开始 `TIME`（必填）")
	f.StringVar(&to, "to", "", "计划期间结束 `TIME`（必填）")
	f.StringSliceVar(&items, "items", nil, "检查事项编号 `IDS`，逗号分隔（必填）")
	f.StringSliceVar(&enterprises, "enterprises", nil, "覆盖企业的统一社会信用代码 `USCCS`，逗号分隔（必填）")
	f.StringVar(&trigger, "trigger", "", "个案检查计划的来源编号 `REF`")
	f.StringVar(&agency, "agency", "", "执法部门编号 `ID`（默认为本人所在部门）")
	return cmd
}

func (a *app) matchRunCommand() *cobra.Command {
	var from, to string
	cmd := &cobra.Command{
		Use:   "run",
		Short: "撮合一个期间内各部门的检查计划，生成拼团提议（司法局、管理员）",
		Long: `撮合期间内各部门的检查计划：同一企业在同一期间被两个以上部门的计划覆盖的，
生成一个拼团提议（共同检查时段、牵头部门、一表通查的合并检查清单）。已达频次上限的部门不参加。
同一批计划再次撮合不会重复生成提议。`,
		Example: `  ruqi match run --from "2026-12-01 00:00" --to "2027-01-01 00:00"`,
		Args:    noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := requireFlags(cmd, "from", "to"); err != nil {
				return err
			}
			now := a.now()
			start, err := parsePlanTime(from, now)
			if err != nil {
				return usagef("--from：%v", err)
			}
			end, err := parsePlanTime(to, now)
			if err != nil {
				return usagef("--to：%v", err)
			}
			return a.call(cmd, func(ctx context.Context, cc *grpc.ClientConn) error {
				resp, err := ruqiv1.NewMatchingServiceClient(cc).RunMatching(ctx, &ruqiv1.RunMatchingRequest{PeriodStart: timestamppb.New(start), PeriodEnd: timestamppb.New(end)})
				if err != nil {
					return err
				}
				a.printer().Matched(resp)
				return nil
			})
		},
	}
	cmd.Flags().StringVar(&from, "from", "", "撮合期间开始 `TIME`（必填）")
	cmd.Flags().StringVar(&to, "to", "", "撮合期间结束 `TIME`（必填）")
	return cmd
}

var proposalStates = map[string]ruqiv1.ProposalState{
	"open": ruqiv1.ProposalState_PROPOSAL_STATE_OPEN, "registered": ruqiv1.ProposalState_PROPOSAL_STATE_REGISTERED, "failed": ruqiv1.ProposalState_PROPOSAL_STATE_FAILED,
	"待响应": ruqiv1.ProposalState_PROPOSAL_STATE_OPEN, "已成团": ruqiv1.ProposalState_PROPOSAL_STATE_REGISTERED, "未成团": ruqiv1.ProposalState_PROPOSAL_STATE_FAILED,
}

func (a *app) matchListCommand() *cobra.Command {
	var state, agency string
	cmd := &cobra.Command{
		Use:     "list",
		Short:   "列出拼团提议：本部门参与的；司法局为本辖区的",
		Example: `  ruqi match list --state open`,
		Args:    noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			req := &ruqiv1.ListProposalsRequest{AgencyId: agency}
			if state != "" {
				s, ok := proposalStates[strings.ToLower(strings.TrimSpace(state))]
				if !ok {
					return usagef("--state 应为 open（待响应）、registered（已成团）或 failed（未成团），收到 %q", state)
				}
				req.State = s
			}
			return a.call(cmd, func(ctx context.Context, cc *grpc.ClientConn) error {
				c := ruqiv1.NewMatchingServiceClient(cc)
				all := &ruqiv1.ListProposalsResponse{}
				err := allPages(func(token string) (string, error) {
					req.PageSize, req.PageToken = listPageSize, token
					resp, err := c.ListProposals(ctx, req)
					all.Proposals = append(all.Proposals, resp.GetProposals()...)
					return resp.GetNextPageToken(), err
				})
				if err != nil {
					return err
				}
				a.printer().Proposals(all)
				return nil
			})
		},
	}
	cmd.Flags().StringVar(&state, "state", "", "只列出此状态 `STATE`：open、registered、failed")
	cmd.Flags().StringVar(&agency, "agency", "", "执法部门编号 `ID`（默认为本人所在部门）")
	return cmd
}

// matchShowCommand prints one proposal whole: the list gives a line each,
// and an agency whose part was 报备未通过, or that answered before others
// did, read why, the outcome and the 一表通查 nowhere but in -o json.
func (a *app) matchShowCommand() *cobra.Command {
	var agency string
	cmd := &cobra.Command{
		Use:   "show PROPOSAL",
		Short: "查看一个拼团提议：各部门的答复和说明、报备结果、一表通查",
		Long: `查看一个拼团提议：共同检查时段、牵头部门、各部门的答复、指派的执法人员和说明，
成团后各部门的报备编号或报备未通过的原因，以及一表通查（合并检查清单）。
执法部门只能查看本部门参与的提议，司法局查看本辖区的。`,
		Example: `  ruqi match show MAT-ABCDEFGHIJKLMNOP`,
		Args:    exactArgs(1, "拼团提议编号"),
		RunE: func(cmd *cobra.Command, args []string) error {
			id := domain.NormalizeID(args[0])
			req := &ruqiv1.ListProposalsRequest{AgencyId: agency}
			return a.call(cmd, func(ctx context.Context, cc *grpc.ClientConn) error {
				c := ruqiv1.NewMatchingServiceClient(cc)
				var found *ruqiv1.JointVisitProposal
				err := allPages(func(token string) (string, error) {
					req.PageSize, req.PageToken = listPageSize, token
					resp, err := c.ListProposals(ctx, req)
					for _, pr := range resp.GetProposals() {
						if pr.GetId() == id {
							found = pr
						}
					}
					if found != nil {
						return "", err
					}
					return resp.GetNextPageToken(), err
				})
				if err != nil {
					return err
				}
				if found == nil {
					return fmt.Errorf("拼团提议 %s 不存在，或不涉及本部门（司法局：不在本辖区）：请用 ruqi match list 核对编号", id)
				}
				a.printer().ProposalShown(found)
				return nil
			})
		},
	}
	cmd.Flags().StringVar(&agency, "agency", "", "执法部门编号 `ID`（默认为本人所在部门）")
	return cmd
}

func (a *app) matchAnswerCommand(accept bool) *cobra.Command {
	var (
		agency, note string
		officers     []string
	)
	use, short := "decline PROPOSAL", "代表本部门拒绝拼团提议（其他部门仍可成团）"
	example := `  ruqi match decline MAT-ABCDEFGHIJKLMNOP --note 本月已安排专项检查`
	if accept {
		use, short = "accept PROPOSAL", "代表本部门同意拼团提议，并指派执法人员"
		example = `  ruqi match accept MAT-ABCDEFGHIJKLMNOP --officers O-0001,O-0010`
	}
	cmd := &cobra.Command{
		Use:     use,
		Short:   short,
		Long:    short + "。\n\n所有部门答复后，同意的部门不少于两个的，系统按正常报备流程（频次上限、入企码）登记为一次联合检查。",
		Example: example,
		Args:    exactArgs(1, "拼团提议编号"),
		RunE: func(cmd *cobra.Command, args []string) error {
			req := &ruqiv1.RespondToProposalRequest{ProposalId: domain.NormalizeID(args[0]), AgencyId: agency, Accept: accept, Note: strings.TrimSpace(note)}
			if accept {
				if err := requireFlags(cmd, "officers"); err != nil {
					return err
				}
				req.OfficerIds = splitIDs(officers)
			}
			return a.call(cmd, func(ctx context.Context, cc *grpc.ClientConn) error {
				resp, err := ruqiv1.NewMatchingServiceClient(cc).RespondToProposal(ctx, req)
				if err != nil {
					return err
				}
				a.printer().ProposalAnswered(resp)
				return nil
			})
		},
	}
	if accept {
		cmd.Flags().StringSliceVar(&officers, "officers", nil, "参加联合检查的执法人员编号 `IDS`，逗号分隔，至少两名（必填）")
	}
	cmd.Flags().StringVar(&note, "note", "", "说明 `TEXT`")
	cmd.Flags().StringVar(&agency, "agency", "", "执法部门编号 `ID`（默认为本人所在部门）")
	return cmd
}

// ---- printing ----

func proposalStateLabel(s ruqiv1.ProposalState) string {
	switch s {
	case ruqiv1.ProposalState_PROPOSAL_STATE_OPEN:
		return "待响应"
	case ruqiv1.ProposalState_PROPOSAL_STATE_REGISTERED:
		return "已成团"
	case ruqiv1.ProposalState_PROPOSAL_STATE_FAILED:
		return "未成团"
	}
	return unknownLabel(int32(s))
}

func proposalAnswerLabel(s ruqiv1.ProposalAnswer) string {
	switch s {
	case ruqiv1.ProposalAnswer_PROPOSAL_ANSWER_UNSPECIFIED:
		return "待响应"
	case ruqiv1.ProposalAnswer_PROPOSAL_ANSWER_ACCEPTED:
		return "同意"
	case ruqiv1.ProposalAnswer_PROPOSAL_ANSWER_DECLINED:
		return "拒绝"
	case ruqiv1.ProposalAnswer_PROPOSAL_ANSWER_REFUSED:
		return "报备未通过"
	}
	return unknownLabel(int32(s))
}

// members says each agency and its answer, the lead first: "AG-01（牵头，同意）、AG-02（拒绝）".
func members(p *ruqiv1.JointVisitProposal) string {
	var parts []string
	for _, m := range p.GetMembers() {
		what := proposalAnswerLabel(m.GetAnswer())
		if m.GetAgencyId() == p.GetLeadAgencyId() {
			what = "牵头，" + what
		}
		parts = append(parts, fmt.Sprintf("%s（%s）", m.GetAgencyId(), what))
	}
	return strings.Join(parts, "、")
}

func (p *jsonPrinter) CoverageSubmitted(r *ruqiv1.SubmitPlanCoverageResponse) { p.msg(r) }
func (p *jsonPrinter) Matched(r *ruqiv1.RunMatchingResponse)                  { p.msg(r) }
func (p *jsonPrinter) Proposals(r *ruqiv1.ListProposalsResponse)              { p.msg(r) }
func (p *jsonPrinter) ProposalAnswered(r *ruqiv1.RespondToProposalResponse)   { p.msg(r) }
func (p *jsonPrinter) ProposalShown(pr *ruqiv1.JointVisitProposal)            { p.msg(pr) }

func (p *tablePrinter) CoverageSubmitted(r *ruqiv1.SubmitPlanCoverageResponse) {
	c := r.GetCoverage()
	p.printf("已提交检查计划 %s 的覆盖范围，供拼团撮合。\n\n", c.GetPlanId())
	fields(p.out,
		kv("执法部门", c.GetAgencyId()),
		kv("检查类型", inspectionTypeLabel(c.GetType())),
		kv("计划期间", fmtTime(c.GetPeriodStart())+" 至 "+fmtTime(c.GetPeriodEnd())),
		kv("检查事项", joinIDs(c.GetCheckItemIds())),
		kv("覆盖企业", fmt.Sprintf("%d 家", len(c.GetEnterpriseUsccs()))),
	)
	p.println("\n下一步：司法局运行 ruqi match run 撮合后，用 ruqi match list 查看本部门的拼团提议并答复。")
}

func (p *tablePrinter) Matched(r *ruqiv1.RunMatchingResponse) {
	p.printf("撮合完成：计划覆盖企业 %d 家，新生成拼团提议 %d 个，因频次上限未参加的计划 %d 项。\n", r.GetEnterprisesCovered(), len(r.GetProposals()), r.GetPlansCappedOut())
	if len(r.GetProposals()) > 0 {
		p.println("")
		p.proposalTable(r.GetProposals())
		p.println(answerHint)
	}
	if capped := r.GetCappedOut(); len(capped) > 0 {
		p.println("")
		p.println("因频次上限未参加的计划：")
		t := newTable("企业", "执法部门", "检查计划", "原因")
		for _, c := range capped {
			t.add(c.GetEnterpriseUscc(), c.GetAgencyId(), c.GetPlanId(), c.GetMessage())
		}
		t.write(p.out)
		if n := int(r.GetPlansCappedOut()); n > len(capped) {
			p.printf("仅列出前 %d 项，共 %d 项（-o json 同样只含前 %d 项）。\n", len(capped), n, len(capped))
		}
	}
}

func (p *tablePrinter) Proposals(r *ruqiv1.ListProposalsResponse) {
	if len(r.GetProposals()) == 0 {
		p.println("没有拼团提议。")
		return
	}
	p.proposalTable(r.GetProposals())
	p.printf("共 %d 个。\n", len(r.GetProposals()))
}

func (p *tablePrinter) proposalTable(list []*ruqiv1.JointVisitProposal) {
	t := newTable("提议编号", "企业", "共同检查时段", "参与部门（答复）", "检查项", "状态")
	for _, pr := range list {
		state := proposalStateLabel(pr.GetState())
		if pr.GetSince() != "" {
			state += "（此后有部门撤销）"
		}
		t.add(pr.GetId(), pr.GetEnterpriseUscc(), fmtTime(pr.GetWindowStart())+" 至 "+fmtTime(pr.GetWindowEnd()), members(pr),
			fmt.Sprint(len(pr.GetChecklist())), state)
	}
	t.write(p.out)
}

func (p *tablePrinter) ProposalAnswered(r *ruqiv1.RespondToProposalResponse) {
	pr := r.GetProposal()
	switch pr.GetState() {
	case ruqiv1.ProposalState_PROPOSAL_STATE_REGISTERED:
		p.printf("拼团提议 %s 已成团。%s\n\n", pr.GetId(), pr.GetOutcome())
	case ruqiv1.ProposalState_PROPOSAL_STATE_FAILED:
		p.printf("拼团提议 %s 未成团。%s\n\n", pr.GetId(), pr.GetOutcome())
	default:
		p.printf("已答复拼团提议 %s，等待其他部门响应。\n\n", pr.GetId())
	}
	p.proposalDetail(pr, false)
}

// ProposalShown is match show: the proposal's state and outcome, each
// member's answer with its officers and note, and the 一表通查.
func (p *tablePrinter) ProposalShown(pr *ruqiv1.JointVisitProposal) {
	p.printf("拼团提议 %s：%s", pr.GetId(), proposalStateLabel(pr.GetState()))
	if o := pr.GetOutcome(); o != "" {
		p.printf("。%s", o)
	}
	if since := pr.GetSince(); since != "" {
		p.printf("\n注意：%s。", since)
	}
	p.printf("\n\n")
	p.proposalDetail(pr, true)
	if pr.GetState() == ruqiv1.ProposalState_PROPOSAL_STATE_OPEN {
		p.println("\n" + answerHint)
	}
}

// answerHint says how the agencies answer an open proposal: the outputs of
// match run and match show said nothing of it (a trial of agencies'
// planners, 2026-12-07).
const answerHint = "各部门用 ruqi match accept <提议编号> --officers <执法人员编号,…> 同意，或 ruqi match decline <提议编号> --note <说明> 拒绝；全部答复后，两个以上部门同意即报备为联合检查。"

// memberInspection is a member's registered inspection, said cancelled
// when it was since.
func memberInspection(m *ruqiv1.ProposalMember) string {
	if m.GetInspectionState() == ruqiv1.InspectionState_INSPECTION_STATE_CANCELLED {
		return m.GetInspectionId() + "（已撤销）"
	}
	return m.GetInspectionId()
}

// proposalDetail prints a proposal's window, lead and members, the
// registrations (with answers each member gave, when answers is set) and
// the 一表通查.
func (p *tablePrinter) proposalDetail(pr *ruqiv1.JointVisitProposal, answers bool) {
	fields(p.out,
		kv("企业", pr.GetEnterpriseUscc()),
		kv("共同检查时段", fmtTime(pr.GetWindowStart())+" 至 "+fmtTime(pr.GetWindowEnd())),
		kv("牵头部门", pr.GetLeadAgencyId()),
		kv("参与部门", members(pr)),
		kv("联合检查编号", pr.GetJointInspectionId()),
	)
	if answers {
		p.println("\n各部门答复：")
		t := newTable("部门", "答复", "答复时间", "执法人员", "报备编号", "说明")
		for _, m := range pr.GetMembers() {
			t.add(m.GetAgencyId(), proposalAnswerLabel(m.GetAnswer()), fmtTime(m.GetAnsweredAt()), orDash(joinIDs(m.GetOfficerIds())),
				orDash(memberInspection(m)), orDash(m.GetNote()))
		}
		t.write(p.out)
		// As a registration of its own answers them: the visit is
		// registered, and the 司法局 is told.
		for _, m := range pr.GetMembers() {
			for _, w := range m.GetWarnings() {
				p.printf("⚠ %s（%s）\n", w.GetMessage(), m.GetAgencyId())
			}
		}
	}
	var regs []string
	for _, m := range pr.GetMembers() {
		if answers {
			break // the answers say it
		}
		if m.GetInspectionId() != "" {
			regs = append(regs, m.GetAgencyId()+"："+memberInspection(m))
			for _, w := range m.GetWarnings() {
				regs = append(regs, "  ⚠ "+w.GetMessage())
			}
		}
		if m.GetAnswer() == ruqiv1.ProposalAnswer_PROPOSAL_ANSWER_REFUSED {
			regs = append(regs, m.GetAgencyId()+"：报备未通过（"+m.GetNote()+"）")
		}
	}
	if len(regs) > 0 {
		p.println("\n报备结果：")
		for _, r := range regs {
			p.println("  " + r)
		}
	}
	if len(pr.GetChecklist()) > 0 {
		p.println("\n一表通查（合并检查清单）：")
		t := newTable("检查事项", "名称", "部门")
		for _, c := range pr.GetChecklist() {
			t.add(c.GetCheckItemId(), c.GetName(), joinIDs(c.GetAgencyIds()))
		}
		t.write(p.out)
	}
}
