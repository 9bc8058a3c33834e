package cli

import (
	"context"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/spf13/cobra"
	"google.golang.org/grpc"
	"google.golang.org/protobuf/encoding/protojson"

	"github.com/ruqi/ruqi/internal/domain"
	"github.com/ruqi/ruqi/internal/report"
	ruqiv1 "github.com/ruqi/ruqi/proto/ruqi/v1"
)

var groupByNames = map[string]ruqiv1.GroupBy{
	"enterprise": ruqiv1.GroupBy_GROUP_BY_ENTERPRISE, "企业": ruqiv1.GroupBy_GROUP_BY_ENTERPRISE,
	"agency": ruqiv1.GroupBy_GROUP_BY_AGENCY, "部门": ruqiv1.GroupBy_GROUP_BY_AGENCY,
	"region": ruqiv1.GroupBy_GROUP_BY_REGION, "地区": ruqiv1.GroupBy_GROUP_BY_REGION,
	"month": ruqiv1.GroupBy_GROUP_BY_MONTH, "月": ruqiv1.GroupBy_GROUP_BY_MONTH,
	"year": ruqiv1.GroupBy_GROUP_BY_YEAR, "年": ruqiv1.GroupBy_GROUP_BY_YEAR,
}

func (a *app) supervisorReportCommand() *cobra.Command {
	var req ruqiv1.GetFrequencyReportRequest
	var groupBy string
	var top int32
	cmd := &cobra.Command{
		Annotations: map[string]string{csvAnnotation: "yes"},
		Use:         "report",
		Short:       "检查频次报表（同比、亮码率、联合检查、预警、线索、评价）",
		Long: `司法局的检查频次报表：按企业（被检查最多的前 N 家）、执法部门、地区、月份或年份分组，
给出期间内的检查次数和上年同期（同比），入企次数、联合检查减少的入企次数、亮码率、
拒绝检查、投诉、事后补录、频次预警、超上限和重复报备被拒次数，各部门评价均值，
以及各状态的问题线索数。

期间用 --from、--to 给出月份（含），默认今年 1 月至本月。监督人员默认看本辖区，
--region 只能缩小到辖区内。-o csv 输出表格行（UTF-8，带 BOM，Excel 可直接打开）。`,
		Example: `  ruqi supervisor report --from 2026-01 --to 2026-11 --group-by agency
  ruqi supervisor report --group-by enterprise --top 10 -o csv > top10.csv`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			g, ok := groupByNames[strings.TrimSpace(groupBy)]
			if !ok {
				return usagef("--group-by 应为 enterprise、agency、region、month 或 year，收到 %q", groupBy)
			}
			req.GroupBy, req.Top = g, top
			return a.call(cmd, func(ctx context.Context, cc *grpc.ClientConn) error {
				resp, err := ruqiv1.NewReportServiceClient(cc).GetFrequencyReport(ctx, &req)
				if err != nil {
					return err
				}
				switch a.output {
				case "csv":
					return report.WriteCSV(a.stdout, resp)
				case "json":
					b, err := protojson.MarshalOptions{Multiline: true}.Marshal(resp)
					if err != nil {
						return err
					}
					_, err = fmt.Fprintln(a.stdout, string(b))
					return err
				}
				printReport(a.stdout, resp)
				return nil
			})
		},
	}
	f := cmd.Flags()
	f.StringVar(&req.FromMonth, "from", "", "起始月份 `YYYY-MM`（含）")
	f.StringVar(&req.ToMonth, "to", "", "结束月份 `YYYY-MM`（含）")
	f.StringVar(&groupBy, "group-by", "agency", "分组 `DIM`：enterprise、agency、region、month、year")
	f.StringVar(&req.RegionCode, "region", "", "行政区划代码 `CODE`（含下级）")
	f.StringVar(&req.AgencyId, "agency", "", "只看此执法部门 `ID`")
	f.Int32Var(&top, "top", 20, "按企业分组时列出的企业数 `N`（被检查最多的前 N 家）")
	return cmd
}

// rateBase says what 亮码率 and 两码互核率 are divided by: the inspections
// whose window has begun, which alone can have been scanned (a 司法局
// trial of the reports, 2026-12-06, read a month's first week as 5.9%
// when every inspection was counted).
func rateBase(t *ruqiv1.ReportTotals) string {
	return fmt.Sprintf("分母为时段已开始的检查 %d 次", t.GetBegun())
}

func printReport(w io.Writer, r *ruqiv1.GetFrequencyReportResponse) {
	t := r.GetTotals()
	region := r.GetRegionCode()
	if region == "" {
		region = "全部"
	}
	fmt.Fprintf(w, "检查频次报表  %s 至 %s  行政区划：%s\n", r.GetFromMonth(), r.GetToMonth(), region)
	if note := report.UnfinishedNote(r); note != "" {
		fmt.Fprintf(w, "注意：%s。\n", note)
	}
	fmt.Fprintln(w)
	fields(w,
		kv("检查次数", fmt.Sprintf("%d（上年同期 %d，同比 %s）", t.GetInspections(), t.GetPreviousYear(), report.ChangeText(t.GetChange(), t.GetHasChange()))),
		kv("入企次数", fmt.Sprint(t.GetVisits())),
		kv("综合查一次", fmt.Sprintf("%d 项检查并入其他部门的入企（联合检查），减少入企 %d 次；并入的占检查次数 %s", t.GetJoinedPlans(), t.GetVisitsAvoided(), report.RateText(t.GetJointShare(), t.GetInspections()))),
		kv("其中", fmt.Sprintf("拼团撮合减少 %d 次，报备时合并减少 %d 次", t.GetVisitsAvoidedByMatching(), t.GetVisitsAvoidedAtRegistration())),
		kv("亮码率", fmt.Sprintf("%s（%d 次检查扫码核验；%s）", report.RateText(t.GetScanRate(), t.GetBegun()), t.GetScanned(), rateBase(t))),
		kv("两码互核率", fmt.Sprintf("%s（%d 次检查两码互核；%s）", report.RateText(t.GetMutualRate(), t.GetBegun()), t.GetMutuallyVerified(), rateBase(t))),
		kv("拒绝检查", fmt.Sprint(t.GetRefusals())),
		kv("企业投诉", fmt.Sprint(t.GetComplaints())),
		kv("事后补录", fmt.Sprint(t.GetLateRegistrations())),
		kv("双随机未注明抽取", fmt.Sprintf("%d（双随机报备 %d 次中未注明抽取编号的：抽取无从核验，又不列入检查预告；2026-12-08 起统计）", t.GetRandomWithoutDraw(), t.GetRandomRegistrations())),
		// Two counts, not one and its part: frequency_warnings does not
		// include the streaks, which the dashboard shows apart too.
		kv("频次预警", fmt.Sprintf("%d（超过日、周、月提醒线）", t.GetFrequencyWarnings())),
		kv("连续三次未发现问题", fmt.Sprintf("%d（同一人员在同一企业）", t.GetNoFindingStreaks())),
		kv("超上限被拒", fmt.Sprint(t.GetCapsRefused())),
		kv("重复报备被拒", fmt.Sprint(t.GetDuplicatesRefused())),
		kv("按入企类型", visitsByKind(t.GetVisitsByKind())),
		kv("不扫码预警", fmt.Sprintf("%d（未扫码即录入结果）", t.GetResultsWithoutCheckIn())),
		kv("虚假扫码预警", fmt.Sprintf("签到无到场登记 %d，到场远离报备时段 %d，同一人员同时段在两家企业签到 %d", t.GetCheckInsWithoutArrival(), t.GetArrivalsOutsideWindow(), t.GetOverlappingCheckIns())),
		kv("检查计划：提交/批准/公示", fmt.Sprintf("%d / %d / %d", t.GetPlansFiled(), t.GetPlansApproved(), t.GetPlansPublished())),
		kv("逾期公示的计划", fmt.Sprint(t.GetPlansPublishedLate())),
	)
	if len(r.GetRows()) > 0 {
		fmt.Fprintln(w)
		tb := newTable("分组（"+report.GroupLabel(r.GetGroupBy())+"）", "名称", "检查次数", "上年同期", "同比", "入企次数", "扫码核验次数", "亮码率")
		for _, row := range r.GetRows() {
			tb.add(row.GetKey(), row.GetLabel(), fmt.Sprint(row.GetInspections()), fmt.Sprint(row.GetPreviousYear()), report.ChangeText(row.GetChange(), row.GetHasChange()),
				fmt.Sprint(row.GetVisits()), fmt.Sprint(row.GetScanned()), report.Share(row.GetScanned(), row.GetBegun()))
		}
		tb.write(w)
	}
	if len(r.GetEvaluations()) > 0 {
		fmt.Fprintln(w, "\n企业评价：")
		tb := newTable("部门", "名称", "评价数", "总体满意度", "出示执法证", "告知权利", "规范检查")
		for _, e := range r.GetEvaluations() {
			tb.add(e.GetAgencyId(), e.GetAgencyName(), fmt.Sprint(e.GetEvaluations()), strconv.FormatFloat(e.GetOverallAverage(), 'f', 2, 64),
				report.Percent(e.GetCertificateShownShare()), report.Percent(e.GetRightsExplainedShare()), report.Percent(e.GetConductedProperlyShare()))
		}
		tb.write(w)
	}
	var leads []string
	for _, l := range r.GetLeads() {
		leads = append(leads, fmt.Sprintf("%s %d", leadStatusLabel(l.GetStatus()), l.GetCount()))
	}
	fmt.Fprintf(w, "\n问题线索（本区划全部，不随部门和时段筛选）：%s\n", strings.Join(leads, "，"))
}

// visitsByKind says the period's entries by kind: "行政检查 5，走访调研 1，…";
// kinds with none are left out.
func visitsByKind(list []*ruqiv1.VisitKindCount) string {
	var parts []string
	for _, k := range list {
		if k.GetCount() > 0 {
			parts = append(parts, fmt.Sprintf("%s %d", domain.VisitKindLabel(k.GetVisitKind()), k.GetCount()))
		}
	}
	return strings.Join(parts, "，")
}
