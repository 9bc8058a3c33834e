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

// After the visit: the officer records what was found on each item
// (检查结果), looks up the enterprise's earlier results before deciding
// (首违不罚 needs to know what came first), and reads the anonymous summary
// of the enterprises' evaluations of the agency.

type resultOptions struct {
	inspection string
	items      []string
	notes      []string
	summary    string
	close      bool
}

func (a *app) officerResultCommand() *cobra.Command {
	var o resultOptions
	cmd := &cobra.Command{
		Use:   "result",
		Short: "记录检查结果（逐项），可同时办结",
		Long: `检查结束后，逐项记录检查结果。每个事项用一次 --item 事项编号=结果，结果可写：

  no-problem        未发现问题
  first-violation   首违不罚
  minor             轻微免罚
  rectify:期限      责令整改，须给出整改期限
  case              立案

中文写法同样可以，例如 CI-0001=未发现问题、CI-0002=责令整改:2026-12-31。

整改期限可写成日期 "2026-12-31"（表示北京时间当天 23:59:59 止），或与 --from 相同的
时间写法："2026-12-31 18:00"（北京时间）、RFC 3339、now+72h。

办结前可以重新记录，每次记录都以本次给出的事项为准（此前的记录被替换）。
--close 同时办结本次检查：须为本次报备的全部检查事项给出结果；办结后结果不能再修改，
企业可以对本次检查进行评价。`,
		Example: `  ruqi officer result --inspection INS-20260301-7QKZ3M2A \
    --item CI-0001=no-problem --item CI-0002=rectify:2026-12-31 --item CI-0003=first-violation \
    --note CI-0002="消防通道堆放杂物，已当场告知" --summary 总体良好 --close`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			req, err := o.request(cmd, a.now())
			if err != nil {
				return err
			}
			return a.call(cmd, func(ctx context.Context, cc *grpc.ClientConn) error {
				resp, err := ruqiv1.NewInspectionServiceClient(cc).RecordResult(ctx, req)
				if err != nil {
					return err
				}
				a.printer().ResultRecorded(resp)
				return nil
			})
		},
	}
	o.addFlags(cmd.Flags())
	return cmd
}

func (o *resultOptions) addFlags(f *pflag.FlagSet) {
	f.StringVar(&o.inspection, "inspection", "", "报备编号 `ID`（必填）")
	f.StringArrayVar(&o.items, "item", nil, "一个事项的结果 `ID=OUTCOME`，可重复（至少一个）")
	f.StringArrayVar(&o.notes, "note", nil, "一个事项的备注 `ID=TEXT`，可重复")
	f.StringVar(&o.summary, "summary", "", "总体情况 `TEXT`")
	f.BoolVar(&o.close, "close", false, "同时办结本次检查")
}

// request checks the flags and builds the RecordResult request.
func (o *resultOptions) request(cmd *cobra.Command, now time.Time) (*ruqiv1.RecordResultRequest, error) {
	if err := requireFlags(cmd, "inspection", "item"); err != nil {
		return nil, err
	}
	inspection := strings.TrimSpace(o.inspection)
	if inspection == "" {
		return nil, usagef("--inspection 不能为空")
	}
	items, err := parseItemResults(o.items, o.notes, now)
	if err != nil {
		return nil, err
	}
	return &ruqiv1.RecordResultRequest{
		InspectionId: inspection,
		Items:        items,
		Summary:      strings.TrimSpace(o.summary),
		Close:        o.close,
	}, nil
}

// parseItemResults reads the --item and --note flags, in the order given.
// An item may be named once; a note must belong to a named item.
func parseItemResults(items, notes []string, now time.Time) ([]*ruqiv1.ItemResult, error) {
	var out []*ruqiv1.ItemResult
	byID := map[string]*ruqiv1.ItemResult{}
	for _, s := range items {
		r, err := parseItemResult(s, now)
		if err != nil {
			return nil, usagef("--item %s：%v", s, err)
		}
		if byID[r.GetCheckItemId()] != nil {
			return nil, usagef("--item：事项 %s 给了不止一次", r.GetCheckItemId())
		}
		byID[r.GetCheckItemId()] = r
		out = append(out, r)
	}
	for _, s := range notes {
		id, text, ok := cutAssign(s)
		if !ok {
			return nil, usagef("--note %s：请写成 事项编号=备注，例如 CI-0001=已当场整改", s)
		}
		r := byID[id]
		if r == nil {
			return nil, usagef("--note：事项 %s 没有用 --item 给出结果", id)
		}
		if text == "" {
			return nil, usagef("--note：事项 %s 的备注是空的", id)
		}
		if r.GetNote() != "" {
			return nil, usagef("--note：事项 %s 的备注给了不止一次", id)
		}
		r.Note = text
	}
	return out, nil
}

// cutAssign splits "ID=VALUE" at the first "=" (or full-width "＝"),
// trimming both sides. ok is false when there is no "=" or no id.
func cutAssign(s string) (id, value string, ok bool) {
	i := strings.IndexAny(s, "=＝")
	if i < 0 {
		return "", "", false
	}
	sep := 1
	if s[i] != '=' {
		sep = len("＝")
	}
	id, value = strings.TrimSpace(s[:i]), strings.TrimSpace(s[i+sep:])
	return id, value, id != ""
}

// parseItemResult reads one --item: "CI-0001=no-problem",
// "CI-0002=rectify:2026-12-31", or the same in Chinese.
func parseItemResult(s string, now time.Time) (*ruqiv1.ItemResult, error) {
	id, outcome, ok := cutAssign(s)
	if !ok || outcome == "" {
		return nil, fmt.Errorf("请写成 事项编号=结果，例如 CI-0001=no-problem")
	}
	word, date, hasDate := cutColon(outcome)
	word = strings.ToLower(word)
	for _, w := range rectifyWords {
		if word != w {
			continue
		}
		if !hasDate || date == "" {
			return nil, fmt.Errorf("责令整改须给出整改期限，例如 %s=rectify:2026-12-31", id)
		}
		deadline, err := parseDeadline(date, now)
		if err != nil {
			return nil, fmt.Errorf("整改期限：%w", err)
		}
		return &ruqiv1.ItemResult{
			CheckItemId:           id,
			Outcome:               ruqiv1.ItemOutcome_ITEM_OUTCOME_RECTIFICATION_ORDERED,
			RectificationDeadline: timestamppb.New(deadline),
		}, nil
	}
	o, known := itemOutcomes[word]
	switch {
	case !known:
		return nil, fmt.Errorf("不支持的检查结果 %q：请用 no-problem（未发现问题）、first-violation（首违不罚）、minor（轻微免罚）、rectify:期限（责令整改）或 case（立案）", outcome)
	case hasDate:
		return nil, fmt.Errorf("%s不带期限：只有责令整改（rectify）须给出期限", itemOutcomeLabel(o))
	}
	return &ruqiv1.ItemResult{CheckItemId: id, Outcome: o}, nil
}

// cutColon splits "rectify:2026-12-31 18:00" at the first ":" or "：".
func cutColon(s string) (before, after string, found bool) {
	i := strings.IndexAny(s, ":：")
	if i < 0 {
		return strings.TrimSpace(s), "", false
	}
	sep := 1
	if s[i] != ':' {
		sep = len("：")
	}
	return strings.TrimSpace(s[:i]), strings.TrimSpace(s[i+sep:]), true
}

// parseDeadline reads a rectification deadline: a bare date means the end
// of that day in Beijing time (23:59:59); anything else is read as parseTime
// reads it.
func parseDeadline(s string, now time.Time) (time.Time, error) {
	// Full-width first, as --from is read: an input method's full-width
	// mode gives "２０２６－１２－３１".
	s = strings.TrimSpace(domain.NormalizeWidth(s))
	if d, err := time.ParseInLocation("2006-01-02", s, shanghai); err == nil {
		return time.Date(d.Year(), d.Month(), d.Day(), 23, 59, 59, 0, shanghai), nil
	}
	t, err := parseTime(s, now)
	if err != nil {
		return time.Time{}, fmt.Errorf("无法识别的期限 %q：请用日期 \"2026-12-31\"（当天 23:59:59 止）、\"2026-12-31 18:00\"（北京时间）、RFC 3339 或 now+72h", s)
	}
	return t, nil
}

func (a *app) officerPriorCommand() *cobra.Command {
	var enterprise string
	cmd := &cobra.Command{
		Use:   "prior",
		Short: "查看企业以往的检查结果（各部门），供首违不罚等判断",
		Long: `查看一家企业以往的检查结果，包括其他执法部门记录的结果。
决定是否适用首违不罚、轻微免罚之前，先看该企业是否已有同类违法记录。`,
		Example: `  ruqi officer prior --enterprise 91510100MA6123456W`,
		Args:    noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := requireFlags(cmd, "enterprise"); err != nil {
				return err
			}
			uscc := domain.NormalizeID(enterprise)
			if err := domain.ValidateUSCC(uscc); err != nil {
				return usagef("--enterprise：%v", err)
			}
			return a.call(cmd, func(ctx context.Context, cc *grpc.ClientConn) error {
				resp, err := ruqiv1.NewInspectionServiceClient(cc).ListPriorResults(ctx,
					&ruqiv1.ListPriorResultsRequest{EnterpriseUscc: uscc})
				if err != nil {
					return err
				}
				a.printer().PriorResults(resp)
				return nil
			})
		},
	}
	cmd.Flags().StringVar(&enterprise, "enterprise", "", "企业的统一社会信用代码 `USCC`（必填）")
	return cmd
}

func (a *app) officerEvaluationsCommand() *cobra.Command {
	var agency string
	cmd := &cobra.Command{
		Use:   "evaluations",
		Short: "查看企业对本部门检查的评价汇总（匿名）",
		Long: `查看企业对执法部门检查的评价汇总：出示执法证、告知权利、规范检查的比例和总体评分。

汇总是匿名的：不显示哪家企业作了什么评价；评价条数不足服务器规定的最少条数时，
只显示条数，不显示明细，以免从中推断出某一家企业的评价。`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return a.call(cmd, func(ctx context.Context, cc *grpc.ClientConn) error {
				resp, err := ruqiv1.NewInspectionServiceClient(cc).GetEvaluationSummary(ctx,
					&ruqiv1.GetEvaluationSummaryRequest{AgencyId: strings.TrimSpace(agency)})
				if err != nil {
					return err
				}
				a.printer().EvaluationSummary(resp)
				return nil
			})
		},
	}
	cmd.Flags().StringVar(&agency, "agency", "", "执法部门编号 `ID`（默认为本人所在部门）")
	return cmd
}
