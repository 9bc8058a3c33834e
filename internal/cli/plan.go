package cli

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"google.golang.org/grpc"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/ruqi/ruqi/internal/domain"
	ruqiv1 "github.com/ruqi/ruqi/proto/ruqi/v1"
)

// Inspection plans (检查计划): the agency files them ahead of a period; a
// special campaign (专项) needs its head's approval, is then filed with the
// 司法局 and must be published within the region's deadline.

func (a *app) planCommand() *cobra.Command {
	cmd := groupCommand("plan", "检查计划：提交、调整、审批、公示、查看")
	cmd.AddCommand(a.planFileCommand(), a.planAmendCommand(), a.planApproveCommand(), a.planPublishCommand(),
		a.planListCommand(), a.planShowCommand())
	return cmd
}

// planContent is what file and amend share: the contents of a version.
type planContent struct {
	title, reason, from, to, region, industry string
	items, enterprises                        []string
}

func (o *planContent) addFlags(f *pflag.FlagSet) {
	f.StringVar(&o.title, "title", "", "计划名称 `TEXT`")
	f.StringSliceVar(&o.items, "items", nil, "检查事项编号 `IDS`，逗号分隔")
	f.StringSliceVar(&o.enterprises, "enterprises", nil, "计划检查的企业（统一社会信用代码）`USCCS`，逗号分隔（与 --region 二选一）")
	f.StringVar(&o.region, "region", "", "计划覆盖的行政区划 `CODE`（6位），其中的企业都在计划内（与 --enterprises 二选一）")
	f.StringVar(&o.industry, "industry", "", "只覆盖该行政区划中这一行业的企业 `TEXT`")
	f.StringVar(&o.from, "from", "", "计划开始 `DATE`，如 2026-12-01（北京时间当日零时）")
	f.StringVar(&o.to, "to", "", "计划结束 `DATE`（不含），如 2027-01-01")
}

// parsePlanTime reads a plan's period bound: a date (midnight, Beijing
// time) or any time parseTime reads.
func parsePlanTime(s string, now time.Time) (time.Time, error) {
	if t, err := time.ParseInLocation("2006-01-02", domain.NormalizeWidth(s), shanghai); err == nil {
		return t, nil
	}
	return parseTime(s, now)
}

// scope builds the plan's scope from the flags (nil when none is given).
func (o *planContent) scope() (*ruqiv1.PlanScope, error) {
	ents := splitIDs(o.enterprises)
	for i, u := range ents {
		ents[i] = domain.NormalizeID(u)
		if err := domain.ValidateUSCC(ents[i]); err != nil {
			return nil, usagef("--enterprises：%v", err)
		}
	}
	region := domain.NormalizeID(o.region)
	if len(ents) > 0 && (region != "" || o.industry != "") {
		return nil, usagef("--enterprises 与 --region/--industry 只能二选一")
	}
	if o.industry != "" && region == "" {
		return nil, usagef("--industry 须与 --region 一起使用")
	}
	if len(ents) == 0 && region == "" {
		return nil, nil
	}
	return &ruqiv1.PlanScope{EnterpriseUsccs: ents, RegionCode: region, Industry: strings.TrimSpace(o.industry)}, nil
}

func (o *planContent) period(cmd *cobra.Command, now time.Time) (start, end *timestamppb.Timestamp, err error) {
	if cmd.Flags().Changed("from") {
		t, err := parsePlanTime(o.from, now)
		if err != nil {
			return nil, nil, usagef("--from：%v", err)
		}
		start = timestamppb.New(t)
	}
	if cmd.Flags().Changed("to") {
		t, err := parsePlanTime(o.to, now)
		if err != nil {
			return nil, nil, usagef("--to：%v", err)
		}
		end = timestamppb.New(t)
	}
	return start, end, nil
}

func (a *app) planFileCommand() *cobra.Command {
	var (
		o         planContent
		typ       string
		agency    string
		requestID string
		quiet     bool
	)
	cmd := &cobra.Command{
		Use:   "file",
		Short: "提交一份检查计划（第1版）",
		Long: `提交本部门一个时期（一个月或一次专项行动）的检查计划：检查哪些企业（逐一列出，或按
行政区划和行业划定范围）、哪些事项、什么类型、大致何时。

专项检查计划（--type special）须经部门负责人批准（ruqi plan approve）才生效，批准即报司法局
备案，并须在本地区规定的期限内公示（ruqi plan publish）。专项检查报备时须用 --plan 注明
所依据的已批准计划。日常、双随机检查计划无需审批。`,
		Example: `  ruqi plan file --type special --title 燃气安全专项检查 --region 510100 --industry 燃气 \
    --items CI-0001,CI-0002 --from 2026-12-01 --to 2027-01-01 --reason 冬季燃气安全
  ruqi plan file --type routine --title 12月日常检查 --enterprises 91510100MA6123456W \
    --items CI-0001 --from 2026-12-01 --to 2027-01-01`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := requireFlags(cmd, "title", "type", "items", "from", "to"); err != nil {
				return err
			}
			t, err := parseInspectionType(typ)
			if err != nil {
				return usagef("--type：%v", err)
			}
			sc, err := o.scope()
			if err != nil {
				return err
			}
			if sc == nil {
				return usagef("请用 --enterprises 列出企业，或用 --region（可加 --industry）划定范围")
			}
			start, end, err := o.period(cmd, a.now())
			if err != nil {
				return err
			}
			if requestID == "" {
				requestID = newRequestID()
			}
			req := &ruqiv1.FilePlanRequest{AgencyId: agency, Title: strings.TrimSpace(o.title), Type: t, Scope: sc,
				CheckItemIds: splitIDs(o.items), PeriodStart: start, PeriodEnd: end, Reason: strings.TrimSpace(o.reason),
				RequestId: requestID}
			return a.call(cmd, func(ctx context.Context, cc *grpc.ClientConn) error {
				resp, err := ruqiv1.NewPlanServiceClient(cc).FilePlan(ctx, req)
				if err != nil {
					if mayHaveSucceeded(err) {
						a.hint = retryHint("计划可能已经提交", "提交", requestID, start.AsTime(), end.AsTime())
					}
					return err
				}
				if quiet {
					fmt.Fprintln(a.stdout, resp.GetPlan().GetId())
					return nil
				}
				a.printer().Plan("已提交检查计划", resp.GetPlan())
				return nil
			})
		},
	}
	o.addFlags(cmd.Flags())
	cmd.Flags().StringVar(&typ, "type", "", "检查类型 `TYPE`：special（专项）、routine（日常）、random（双随机）")
	cmd.Flags().StringVar(&o.reason, "reason", "", "计划说明 `TEXT`")
	cmd.Flags().StringVar(&agency, "agency", "", "执法部门编号 `ID`（默认为本人所在部门）")
	cmd.Flags().BoolVarP(&quiet, "quiet", "q", false, "只输出计划编号")
	cmd.Flags().StringVar(&requestID, "request-id", "", "请求编号 `ID`，同一编号重试不会重复提交（默认随机生成）")
	return cmd
}

func (a *app) planAmendCommand() *cobra.Command {
	var (
		o         planContent
		emergency bool
	)
	cmd := &cobra.Command{
		Use:   "amend PLAN-ID",
		Short: "调整检查计划（形成新版本，保留各历史版本）",
		Long: `调整检查计划：提交一个新版本，未给出的内容沿用最新版本。各版本都保留，可用 ruqi plan show
查看调整经过。专项检查计划的新版本须再经部门负责人批准；批准前，之前批准的版本继续有效。
因应急专项行动调整的，加 --emergency。`,
		Example: `  ruqi plan amend PLAN-202612-ABCDEFGH --emergency --reason 发生燃气事故，扩大到全市 \
    --region 510100 --industry 燃气`,
		Args: exactArgs(1, "计划编号"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := requireFlags(cmd, "reason"); err != nil {
				return err
			}
			sc, err := o.scope()
			if err != nil {
				return err
			}
			start, end, err := o.period(cmd, a.now())
			if err != nil {
				return err
			}
			req := &ruqiv1.AmendPlanRequest{PlanId: domain.NormalizeID(args[0]), Title: strings.TrimSpace(o.title), Scope: sc,
				CheckItemIds: splitIDs(o.items), PeriodStart: start, PeriodEnd: end, Reason: strings.TrimSpace(o.reason), Emergency: emergency}
			return a.call(cmd, func(ctx context.Context, cc *grpc.ClientConn) error {
				resp, err := ruqiv1.NewPlanServiceClient(cc).AmendPlan(ctx, req)
				if err != nil {
					return err
				}
				a.printer().Plan("已调整检查计划", resp.GetPlan())
				return nil
			})
		},
	}
	o.addFlags(cmd.Flags())
	cmd.Flags().StringVar(&o.reason, "reason", "", "调整原因 `TEXT`（必填）")
	cmd.Flags().BoolVar(&emergency, "emergency", false, "因应急专项行动而调整")
	return cmd
}

func (a *app) planApproveCommand() *cobra.Command {
	var version int32
	cmd := &cobra.Command{
		Use:   "approve PLAN-ID",
		Short: "批准专项检查计划的最新版本（部门负责人），批准即报司法局备案",
		Long: `批准专项检查计划的最新版本。只有本部门负责人（agency-head 令牌）可以批准。批准即报司法局
备案，并起算公示期限（本地区政策规定，默认批准后30天内公示）。--version 必填，写明所审阅的
版本（ruqi plan show 显示），防止批准了未看过的新版本。`,
		Example: `  ruqi plan approve PLAN-202612-ABCDEFGH --version 2`,
		Args:    exactArgs(1, "计划编号"),
		RunE: func(cmd *cobra.Command, args []string) error {
			req := &ruqiv1.ApprovePlanRequest{PlanId: domain.NormalizeID(args[0]), Version: version}
			return a.call(cmd, func(ctx context.Context, cc *grpc.ClientConn) error {
				resp, err := ruqiv1.NewPlanServiceClient(cc).ApprovePlan(ctx, req)
				if err != nil {
					return err
				}
				if resp.GetAlreadyApproved() {
					// A retry after a lost answer lands here: what was
					// asked has happened, so it is no error (exit 0).
					a.printer().Plan("检查计划此版此前已批准，本次未重复批准", resp.GetPlan())
					return nil
				}
				a.printer().Plan("已批准检查计划，并报司法局备案", resp.GetPlan())
				return nil
			})
		},
	}
	cmd.Flags().Int32Var(&version, "version", 0, "所审阅的版本号 `N`（必填）")
	return cmd
}

func (a *app) planPublishCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "publish PLAN-ID",
		Short: "公示检查计划的最新版本（专项计划须先经批准）",
		Args:  exactArgs(1, "计划编号"),
		RunE: func(cmd *cobra.Command, args []string) error {
			req := &ruqiv1.PublishPlanRequest{PlanId: domain.NormalizeID(args[0])}
			return a.call(cmd, func(ctx context.Context, cc *grpc.ClientConn) error {
				resp, err := ruqiv1.NewPlanServiceClient(cc).PublishPlan(ctx, req)
				if err != nil {
					return err
				}
				if resp.GetAlreadyPublished() {
					// A retry after a lost answer lands here: what was
					// asked has happened, so it is no error (exit 0).
					head := "检查计划此前已公示，本次未重复公示"
					// The version in force was published; an amendment filed
					// since waits for approval and is not what was published.
					if f, n := domain.InForce(resp.GetPlan()), domain.Newest(resp.GetPlan()); f != nil && n != nil && n.GetVersion() != f.GetVersion() {
						head = fmt.Sprintf("检查计划第%d版此前已公示，本次未重复公示；第%d版尚待部门负责人批准，批准后方可公示", f.GetVersion(), n.GetVersion())
					}
					a.printer().Plan(head, resp.GetPlan())
					return nil
				}
				a.printer().Plan("已公示检查计划", resp.GetPlan())
				return nil
			})
		},
	}
}

func (a *app) planListCommand() *cobra.Command {
	var (
		agency, region     string
		overdue, published bool
	)
	cmd := &cobra.Command{
		Use:   "list",
		Short: "列出检查计划：本部门的，或司法局辖区内各部门的；--published 列出已公示的计划（无需登录）",
		Long: `列出检查计划。执法人员、部门管理员和部门负责人看到本部门的计划；司法局看到辖区内各部门的
计划，--overdue 只看已批准但逾期未公示的计划。--published 列出向社会公示的计划（只含已公示的
版本），无需令牌，--region 可限定行政区划。`,
		Example: `  ruqi plan list
  ruqi plan list --overdue
  ruqi plan list --published --region 510100`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if published && (overdue || agency != "") {
				return usagef("--published 不能与 --overdue、--agency 同用")
			}
			if !published && region != "" {
				return usagef("--region 只用于 --published")
			}
			return a.call(cmd, func(ctx context.Context, cc *grpc.ClientConn) error {
				c := ruqiv1.NewPlanServiceClient(cc)
				var plans []*ruqiv1.Plan
				err := allPages(func(token string) (string, error) {
					if published {
						resp, err := c.ListPublishedPlans(ctx, &ruqiv1.ListPublishedPlansRequest{RegionCode: domain.NormalizeID(region), PageSize: listPageSize, PageToken: token})
						plans = append(plans, resp.GetPlans()...)
						return resp.GetNextPageToken(), err
					}
					resp, err := c.ListPlans(ctx, &ruqiv1.ListPlansRequest{AgencyId: domain.NormalizeID(agency), OverdueOnly: overdue, PageSize: listPageSize, PageToken: token})
					plans = append(plans, resp.GetPlans()...)
					return resp.GetNextPageToken(), err
				})
				if err != nil {
					return err
				}
				a.printer().Plans(&ruqiv1.ListPlansResponse{Plans: plans})
				return nil
			})
		},
	}
	cmd.Flags().StringVar(&agency, "agency", "", "只看这一部门的计划 `ID`（司法局、管理员）")
	cmd.Flags().BoolVar(&overdue, "overdue", false, "只看已批准但逾期未公示的计划")
	cmd.Flags().BoolVar(&published, "published", false, "列出已公示的计划（公开，无需令牌）")
	cmd.Flags().StringVar(&region, "region", "", "与 --published 同用：只看这一行政区划 `CODE`")
	return cmd
}

func (a *app) planShowCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "show PLAN-ID",
		Short: "查看检查计划及其各版本（调整经过）",
		Args:  exactArgs(1, "计划编号"),
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.call(cmd, func(ctx context.Context, cc *grpc.ClientConn) error {
				resp, err := ruqiv1.NewPlanServiceClient(cc).GetPlan(ctx, &ruqiv1.GetPlanRequest{PlanId: domain.NormalizeID(args[0])})
				if err != nil {
					return err
				}
				a.printer().Plan("", resp.GetPlan())
				return nil
			})
		},
	}
}
