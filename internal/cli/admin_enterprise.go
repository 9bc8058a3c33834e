package cli

import (
	"context"
	"strings"

	"github.com/spf13/cobra"
	"google.golang.org/grpc"

	ruqiv1 "github.com/ruqi/ruqi/proto/ruqi/v1"
)

// adminEnterpriseCommand reads an enterprise back as the store holds it:
// after an import an operator had no way to check one record but a report
// or a registration (an operator's import, 2026-12-07).
func (a *app) adminEnterpriseCommand() *cobra.Command {
	cmd := groupCommand("enterprise", "名录中的企业：查看")
	var uscc string
	show := &cobra.Command{
		Use:   "show",
		Short: "查看名录中的一家企业（名称、行政区划、行业、信用等级）",
		Long: `按统一社会信用代码查看名录中的一家企业，即服务器现存的记录：导入后可用它核对某条记录。
管理员和司法局可查看任何企业；执法人员只能查看其管辖区域内的企业，企业只能查看本企业。`,
		Example: "  ruqi admin enterprise show --uscc 91510104CY4C7RGWMR",
		Args:    noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := requireFlags(cmd, "uscc"); err != nil {
				return err
			}
			req := &ruqiv1.GetEnterpriseRequest{Uscc: strings.TrimSpace(uscc)}
			if req.GetUscc() == "" {
				return usagef("--uscc 不能为空")
			}
			return a.call(cmd, func(ctx context.Context, cc *grpc.ClientConn) error {
				resp, err := ruqiv1.NewDirectoryServiceClient(cc).GetEnterprise(ctx, req)
				if err != nil {
					return err
				}
				a.printer().Enterprise(resp)
				return nil
			})
		},
	}
	show.Flags().StringVar(&uscc, "uscc", "", "企业的统一社会信用代码 `USCC`（必填）")
	cmd.AddCommand(show)
	return cmd
}

// creditGradeLabel is a credit grade as the directory writes it.
func creditGradeLabel(g ruqiv1.CreditGrade) string {
	if g == ruqiv1.CreditGrade_CREDIT_GRADE_UNSPECIFIED {
		return "未评定"
	}
	return strings.TrimPrefix(g.String(), "CREDIT_GRADE_") + " 级"
}

func (p *jsonPrinter) Enterprise(r *ruqiv1.GetEnterpriseResponse) { p.msg(r) }

func (p *tablePrinter) Enterprise(r *ruqiv1.GetEnterpriseResponse) {
	e := r.GetEnterprise()
	fields(p.out,
		kv("统一社会信用代码", e.GetUscc()),
		kv("名称", e.GetName()),
		kv("行政区划", e.GetRegionCode()),
		kv("行业", e.GetIndustry()),
		kv("信用等级", creditGradeLabel(e.GetCreditGrade())),
	)
}
