package cli

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/ruqi/ruqi/internal/domain"
	ruqiv1 "github.com/ruqi/ruqi/proto/ruqi/v1"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"google.golang.org/grpc"
	"google.golang.org/protobuf/types/known/timestamppb"
)

// The enterprise's voice after (or instead of) a visit: an evaluation of a
// completed inspection, which the agency only ever sees in aggregate, and a
// complaint, which goes to the 司法局 as a lead (问题线索).

type evaluateOptions struct {
	inspection        string
	certificateShown  bool
	rightsExplained   bool
	conductedProperly bool
	overall           int32
	comment           string
}

func (a *app) companyEvaluateCommand() *cobra.Command {
	var o evaluateOptions
	cmd := &cobra.Command{
		Use:   "evaluate",
		Short: "评价一次已办结的检查（执法部门看不到是谁评价的）",
		Long: `评价一次已办结的检查。每次检查只能评价一次。

执法部门只能看到匿名的汇总，看不到是哪家企业作的评价；司法局可以看到评价明细，
用于行政执法监督。

三个问题都须明确回答，写成 --问题=true 或 --问题=false（注意用等号）：
  --certificate-shown    执法人员是否出示执法证
  --rights-explained     是否告知企业的权利（陈述、申辩、申请回避等）
  --conducted-properly   检查是否规范
--overall 是总体评分，1（很不满意）到 5（很满意）。`,
		Example: `  ruqi company evaluate --inspection INS-20260301-7QKZ3M2A --certificate-shown=true \
    --rights-explained=false --conducted-properly=true --overall 4 --comment 未告知申辩权利`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			req, err := o.request(cmd)
			if err != nil {
				return err
			}
			return a.call(cmd, func(ctx context.Context, cc *grpc.ClientConn) error {
				resp, err := ruqiv1.NewEnterpriseServiceClient(cc).EvaluateInspection(ctx, req)
				if err != nil {
					return err
				}
				a.printer().Evaluated(req, resp)
				return nil
			})
		},
	}
	o.addFlags(cmd.Flags())
	return cmd
}

func (o *evaluateOptions) addFlags(f *pflag.FlagSet) {
	f.StringVar(&o.inspection, "inspection", "", "报备编号 `ID`（必填）")
	f.BoolVar(&o.certificateShown, "certificate-shown", false, "执法人员是否出示执法证：=true 或 =false（必填）")
	f.BoolVar(&o.rightsExplained, "rights-explained", false, "是否告知企业权利：=true 或 =false（必填）")
	f.BoolVar(&o.conductedProperly, "conducted-properly", false, "检查是否规范：=true 或 =false（必填）")
	f.Int32Var(&o.overall, "overall", 0, "总体评分 `N`，1 到 5（必填）")
	f.StringVar(&o.comment, "comment", "", "意见 `TEXT`")
}

// request checks the flags and builds the EvaluateInspection request. The
// three questions must be answered explicitly: an unanswered one would be
// sent as "no".
func (o *evaluateOptions) request(cmd *cobra.Command) (*ruqiv1.EvaluateInspectionRequest, error) {
	if err := requireFlags(cmd, "inspection", "certificate-shown", "rights-explained", "conducted-properly", "overall"); err != nil {
		return nil, err
	}
	inspection := strings.TrimSpace(o.inspection)
	if inspection == "" {
		return nil, usagef("--inspection 不能为空")
	}
	// The rule is the core's (domain.ValidateOverall), checked here too so
	// that a mistyped score is a usage error before any call.
	if err := domain.ValidateOverall(int32(o.overall)); err != nil {
		return nil, usagef("--overall：%s", err.Error())
	}
	return &ruqiv1.EvaluateInspectionRequest{
		InspectionId:      inspection,
		CertificateShown:  o.certificateShown,
		RightsExplained:   o.rightsExplained,
		ConductedProperly: o.conductedProperly,
		Overall:           o.overall,
		Comment:           strings.TrimSpace(o.comment),
	}, nil
}

type complainOptions struct {
	inspection  string
	officer     string
	at          string
	description string
	requestID   string
}

func (a *app) companyComplainCommand() *cobra.Command {
	var o complainOptions
	var quiet bool
	cmd := &cobra.Command{
		Use:   "complain",
		Short: "投诉一次检查或未报备的入企，转司法局核查",
		Long: `投诉一次检查，或投诉没有出示有效入企码的入企行为。投诉作为问题线索转给司法局
（行政执法监督机关）核查处理，并给出线索编号；处理状态用 ruqi company leads 查看。

已报备的检查用 --inspection 指明；没有报备的，用 --officer 写下对方自称的姓名或
出示的执法证号，用 --at 写下发生的时间。

时间可写成 "2026-03-01 09:30"（北京时间）、RFC 3339，或 now、now-2h。`,
		Example: `  ruqi company complain --inspection INS-20260301-7QKZ3M2A --description 检查中索要财物
  ruqi company complain --officer 张某 --at "2026-03-01 15:00" --description 未出示入企码强行检查`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			req, err := o.request(cmd, a.now())
			if err != nil {
				return err
			}
			return a.call(cmd, func(ctx context.Context, cc *grpc.ClientConn) error {
				resp, err := ruqiv1.NewEnterpriseServiceClient(cc).Complain(ctx, req)
				if err != nil {
					return err
				}
				if quiet {
					fmt.Fprintln(a.stdout, resp.GetLeadId())
					return nil
				}
				a.printer().Complained(resp)
				return nil
			})
		},
	}
	o.addFlags(cmd.Flags())
	cmd.Flags().BoolVarP(&quiet, "quiet", "q", false, "只输出问题线索编号")
	return cmd
}

func (o *complainOptions) addFlags(f *pflag.FlagSet) {
	f.StringVar(&o.inspection, "inspection", "", "被投诉检查的报备编号 `ID`")
	f.StringVar(&o.officer, "officer", "", "对方自称的姓名或出示的执法证号 `NAME_OR_CERT`")
	f.StringVar(&o.at, "at", "", "发生时间 `TIME`")
	f.StringVar(&o.description, "description", "", "投诉内容 `TEXT`（必填）")
	f.StringVar(&o.requestID, "request-id", "", "请求编号 `ID`：同一编号只记录一次（默认由内容和日期生成，当天重试不会重复投诉）")
}

// request checks the flags and builds the Complain request.
func (o *complainOptions) request(cmd *cobra.Command, now time.Time) (*ruqiv1.ComplainRequest, error) {
	if err := requireFlags(cmd, "description"); err != nil {
		return nil, err
	}
	description := strings.TrimSpace(o.description)
	if description == "" {
		return nil, usagef("--description 不能为空：请写明投诉内容")
	}
	req := &ruqiv1.ComplainRequest{
		InspectionId:   strings.TrimSpace(o.inspection),
		OfficerClaimed: strings.TrimSpace(o.officer),
		Description:    description,
	}
	if cmd.Flags().Changed("at") {
		at, err := parseTime(o.at, now)
		if err != nil {
			return nil, usagef("--at：%v", err)
		}
		if err := domain.ValidateOccurred(at, now, domain.DefaultLimits().ClockLeeway); err != nil {
			return nil, usagef("--at：%s：请写下已发生的时间", err.Error())
		}
		req.OccurredAt = timestamppb.New(at)
	}
	req.RequestId = o.requestID
	if req.RequestId == "" {
		// Run again after a lost answer, the complaint is one lead (an
		// agency's trial, 2026-12-06: two). --at as typed: "now" moves.
		req.RequestId = sameDayRequestID("complain", now, req.InspectionId, req.OfficerClaimed, o.at, description)
	}
	return req, nil
}
