package cli

import (
	"context"
	"fmt"
	"strings"

	"github.com/spf13/cobra"
	"google.golang.org/grpc"

	ruqiv1 "github.com/ruqi/ruqi/proto/ruqi/v1"
)

// 伴随式执法监督 from the command line: the 司法局's supervisor attaches to
// an inspection, records the checklist; the agency may read the record.

func (a *app) supervisorAccompanyCommand() *cobra.Command {
	cmd := groupCommand("accompany", "伴随式执法监督：随同检查、记录亮证、告知、取样和文明执法情况")
	cmd.AddCommand(a.accompanyAttachCommand(), a.accompanyRecordCommand(), a.accompanyShowCommand())
	return cmd
}

func (a *app) accompanyAttachCommand() *cobra.Command {
	var inspection, name string
	cmd := &cobra.Command{
		Use:     "attach",
		Short:   "登记随同一项检查的伴随监督人员；企业扫码时会看到（不作为执法人员）",
		Example: `  ruqi supervisor accompany attach --inspection INS-20260301-7QKZ3M2A --name 王监督`,
		Args:    noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := requireFlags(cmd, "inspection", "name"); err != nil {
				return err
			}
			return a.call(cmd, func(ctx context.Context, cc *grpc.ClientConn) error {
				resp, err := ruqiv1.NewSupervisionServiceClient(cc).AttachSupervisor(ctx, &ruqiv1.AttachSupervisorRequest{InspectionId: inspection, SupervisorName: name})
				if err != nil {
					return err
				}
				a.printAccompaniments([]*ruqiv1.Accompaniment{resp.GetAccompaniment()})
				return nil
			})
		},
	}
	cmd.Flags().StringVar(&inspection, "inspection", "", "检查编号 `ID`（必填）")
	cmd.Flags().StringVar(&name, "name", "", "伴随监督人员姓名 `NAME`（必填）")
	return cmd
}

// parseAnswer reads 是/否/不适用 (yes/no/na).
func parseAnswer(s string) (ruqiv1.ChecklistAnswer, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "是", "yes", "y":
		return ruqiv1.ChecklistAnswer_CHECKLIST_ANSWER_YES, nil
	case "否", "no", "n":
		return ruqiv1.ChecklistAnswer_CHECKLIST_ANSWER_NO, nil
	case "不适用", "na", "n/a":
		return ruqiv1.ChecklistAnswer_CHECKLIST_ANSWER_NOT_APPLICABLE, nil
	}
	return 0, fmt.Errorf("%q 不是 是、否 或 不适用（yes、no、na）", s)
}

func answerLabel(v ruqiv1.ChecklistAnswer) string {
	switch v {
	case ruqiv1.ChecklistAnswer_CHECKLIST_ANSWER_YES:
		return "是"
	case ruqiv1.ChecklistAnswer_CHECKLIST_ANSWER_NO:
		return "否"
	case ruqiv1.ChecklistAnswer_CHECKLIST_ANSWER_NOT_APPLICABLE:
		return "不适用"
	}
	return "-"
}

func (a *app) accompanyRecordCommand() *cobra.Command {
	var inspection, name, notes string
	var answers [4]string
	var openLead bool
	flags := [4]struct{ name, label string }{{"certificate", "亮证"}, {"rights", "告知权利义务"}, {"sampling", "规范取样"}, {"conduct", "文明执法"}}
	cmd := &cobra.Command{
		Use:   "record",
		Short: "提交伴随监督记录（只能提交一次）；有“否”或 --open-lead 时转为问题线索",
		Long: `提交伴随监督记录：亮证、告知权利义务、规范取样、文明执法，各答 是、否 或 不适用，另可写监督记录。
记录提交后不能修改，执法部门只能查看。任何一项为“否”，或给出 --open-lead，即生成问题线索。`,
		Example: `  ruqi supervisor accompany record --inspection INS-20260301-7QKZ3M2A --name 王监督 \
    --certificate 是 --rights 否 --sampling 不适用 --conduct 是 --notes 未告知陈述申辩权利`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := requireFlags(cmd, "inspection", "name", "certificate", "rights", "sampling", "conduct"); err != nil {
				return err
			}
			var got [4]ruqiv1.ChecklistAnswer
			for i, s := range answers {
				v, err := parseAnswer(s)
				if err != nil {
					return usagef("--%s：%v", flags[i].name, err)
				}
				got[i] = v
			}
			req := &ruqiv1.RecordAccompanimentRequest{InspectionId: inspection, SupervisorName: name, CertificateShown: got[0], RightsExplained: got[1],
				SamplingProper: got[2], ConductCivil: got[3], Notes: notes, OpenLead: openLead}
			return a.call(cmd, func(ctx context.Context, cc *grpc.ClientConn) error {
				resp, err := ruqiv1.NewSupervisionServiceClient(cc).RecordAccompaniment(ctx, req)
				if err != nil {
					return err
				}
				if a.output == "json" {
					a.jsonPrinter().msg(resp)
					return nil
				}
				a.printAccompaniments([]*ruqiv1.Accompaniment{resp.GetAccompaniment()})
				if l := resp.GetLead(); l != nil {
					fmt.Fprintf(a.stdout, "已生成问题线索：%s\n", l.GetId())
				}
				return nil
			})
		},
	}
	f := cmd.Flags()
	f.StringVar(&inspection, "inspection", "", "检查编号 `ID`（必填）")
	f.StringVar(&name, "name", "", "伴随监督人员姓名 `NAME`（必填，与登记时相同）")
	for i, fl := range flags {
		f.StringVar(&answers[i], fl.name, "", fl.label+"：是、否或不适用 `ANSWER`（必填）")
	}
	f.StringVar(&notes, "notes", "", "监督记录 `TEXT`")
	f.BoolVar(&openLead, "open-lead", false, "把记录的问题转为问题线索")
	return cmd
}

func (a *app) accompanyShowCommand() *cobra.Command {
	var inspection string
	cmd := &cobra.Command{
		Use:   "show",
		Short: "查看一项检查的伴随监督人员和监督记录（司法局；执法部门只读）",
		Args:  noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := requireFlags(cmd, "inspection"); err != nil {
				return err
			}
			return a.call(cmd, func(ctx context.Context, cc *grpc.ClientConn) error {
				resp, err := ruqiv1.NewSupervisionServiceClient(cc).ListAccompaniments(ctx, &ruqiv1.ListAccompanimentsRequest{InspectionId: inspection})
				if err != nil {
					return err
				}
				if a.output == "json" {
					a.jsonPrinter().msg(resp)
					return nil
				}
				if len(resp.GetAccompaniments()) == 0 {
					fmt.Fprintln(a.stdout, "这项检查没有伴随监督。")
					return nil
				}
				a.printAccompaniments(resp.GetAccompaniments())
				return nil
			})
		},
	}
	cmd.Flags().StringVar(&inspection, "inspection", "", "检查编号 `ID`（必填）")
	return cmd
}

func (a *app) printAccompaniments(list []*ruqiv1.Accompaniment) {
	if a.output == "json" {
		a.jsonPrinter().msg(&ruqiv1.ListAccompanimentsResponse{Accompaniments: list})
		return
	}
	t := newTable("伴随监督人员", "司法局", "检查", "登记时间", "亮证", "告知权利义务", "规范取样", "文明执法", "记录时间", "问题线索")
	for _, m := range list {
		t.add(m.GetSupervisorName(), m.GetRegionCode(), m.GetInspectionId(), fmtTime(m.GetAttachedAt()),
			answerLabel(m.GetCertificateShown()), answerLabel(m.GetRightsExplained()), answerLabel(m.GetSamplingProper()), answerLabel(m.GetConductCivil()),
			fmtTime(m.GetRecordedAt()), orDash(m.GetLeadId()))
	}
	t.write(a.stdout)
	for _, m := range list {
		if m.GetNotes() != "" {
			fmt.Fprintf(a.stdout, "%s 的监督记录：%s\n", m.GetSupervisorName(), m.GetNotes())
		}
	}
}
