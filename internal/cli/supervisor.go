package cli

import (
	"context"
	"strings"

	"github.com/spf13/cobra"
	"google.golang.org/grpc"

	"github.com/ruqi/ruqi/internal/domain"
	ruqiv1 "github.com/ruqi/ruqi/proto/ruqi/v1"
)

// The 司法局's side (行政执法监督): the leads (问题线索) that refusals,
// complaints, late registrations and invalid codes open, and the
// enterprises' evaluations with who gave them.

func (a *app) supervisorCommand() *cobra.Command {
	cmd := groupCommand("supervisor", "司法局（行政执法监督）：处理问题线索、查看企业评价")
	lead := groupCommand("lead", "问题线索的处理")
	lead.AddCommand(a.supervisorLeadUpdateCommand())
	cmd.AddCommand(a.supervisorLeadsCommand(), lead, a.supervisorEvaluationsCommand(), a.supervisorReportCommand(), a.supervisorAccompanyCommand())
	return cmd
}

func (a *app) supervisorLeadsCommand() *cobra.Command {
	var status, region, agency string
	cmd := &cobra.Command{
		Use:   "leads",
		Short: "列出本辖区的问题线索",
		Long: `列出本辖区的问题线索。线索来自企业拒绝检查、企业投诉、事后补录报备和扫描到的无效入企码。

--status 只看某一状态的线索：received（已接收）、checking（核查中）、rectified（已整改）、
transferred（已移交纪委）、unfounded（查无实据）。--region 只看辖区内某一区划（如 510104）的线索，
--agency 只看涉及某一执法部门的线索。-o json 还给出每条线索的处理经过。`,
		Example: `  ruqi supervisor leads --status received
  ruqi supervisor leads --region 510104 --agency AG-01
  ruqi -o json supervisor leads`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			req := &ruqiv1.ListLeadsRequest{PageSize: listPageSize, RegionCode: domain.NormalizeID(region), AgencyId: domain.NormalizeID(agency)}
			if cmd.Flags().Changed("status") {
				st, err := parseLeadStatus(status, false)
				if err != nil {
					return usagef("--status：%v", err)
				}
				req.Status = st
			}
			return a.call(cmd, func(ctx context.Context, cc *grpc.ClientConn) error {
				all := &ruqiv1.ListLeadsResponse{}
				err := allPages(func(token string) (string, error) {
					req.PageToken = token
					resp, err := ruqiv1.NewSupervisionServiceClient(cc).ListLeads(ctx, req)
					all.Leads = append(all.Leads, resp.GetLeads()...)
					return resp.GetNextPageToken(), err
				})
				if err != nil {
					return err
				}
				a.printer().Leads(all)
				return nil
			})
		},
	}
	cmd.Flags().StringVar(&status, "status", "", "只看此状态的线索 `STATUS`")
	cmd.Flags().StringVar(&region, "region", "", "只看此行政区划的线索 `CODE`（6 位区划代码）")
	cmd.Flags().StringVar(&agency, "agency", "", "只看涉及此执法部门的线索 `AGENCY`")
	return cmd
}

func (a *app) supervisorLeadUpdateCommand() *cobra.Command {
	var id, status, note, reply string
	cmd := &cobra.Command{
		Use:   "update",
		Short: "推进问题线索的处理：核查、整改、移交、查无实据",
		Long: `把一条问题线索推进到新的状态，并写明处理情况。每一步都记下处理人和时间。

--status 可写：checking（核查中）、rectified（已整改）、transferred（已移交纪委）、
unfounded（查无实据），中文亦可。

--note 是司法局内部的处理说明，企业看不到；--reply 是给企业的答复，企业在
ruqi company leads 和网页“问题线索”中看到（仅限企业拒绝检查、投诉和扫描到
无效入企码生成的线索）。只给 --reply、不给 --status 时，只答复企业、不改状态
（已办结的线索也可以补充答复）。`,
		Example: `  ruqi supervisor lead update --lead L-3F9A0C21D47B8E65 --status checking --note 已联系执法部门调取记录
  ruqi supervisor lead update --lead L-3F9A0C21D47B8E65 --status rectified --note 已责令改正 \
    --reply 经核查，该局执法人员未出示入企码，已责令改正并通报
  ruqi supervisor lead update --lead L-3F9A0C21D47B8E65 --reply 补充：该局已书面道歉`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			// A reply without a status is a reply alone, at the lead's
			// status; anything else moves the lead and needs its note.
			replyOnly := !cmd.Flags().Changed("status") && strings.TrimSpace(reply) != ""
			need := []string{"lead", "status", "note"}
			if replyOnly {
				need = []string{"lead", "reply"}
			}
			if err := requireFlags(cmd, need...); err != nil {
				return err
			}
			req := &ruqiv1.UpdateLeadRequest{
				LeadId: strings.TrimSpace(id),
				Note:   strings.TrimSpace(note),
				Reply:  strings.TrimSpace(reply),
			}
			if !replyOnly {
				st, err := parseLeadStatus(status, true)
				if err != nil {
					return usagef("--status：%v", err)
				}
				req.Status = st
				if req.GetNote() == "" {
					return usagef("--note 不能为空：请写明处理情况")
				}
			}
			if req.GetLeadId() == "" {
				return usagef("--lead 不能为空")
			}
			return a.call(cmd, func(ctx context.Context, cc *grpc.ClientConn) error {
				resp, err := ruqiv1.NewSupervisionServiceClient(cc).UpdateLead(ctx, req)
				if err != nil {
					return err
				}
				a.printer().LeadUpdated(resp)
				return nil
			})
		},
	}
	f := cmd.Flags()
	f.StringVar(&id, "lead", "", "线索编号 `ID`（必填）")
	f.StringVar(&status, "status", "", "新状态 `STATUS`（只答复企业时不填）")
	f.StringVar(&note, "note", "", "处理情况 `TEXT`（改状态时必填，企业看不到）")
	f.StringVar(&reply, "reply", "", "给企业的答复 `TEXT`（企业可见）")
	return cmd
}

func (a *app) supervisorEvaluationsCommand() *cobra.Command {
	var agency string
	cmd := &cobra.Command{
		Use:   "evaluations",
		Short: "查看企业对检查的评价明细（含评价企业）",
		Long: `查看企业对检查的评价明细，包括是哪家企业作的评价。
执法部门只能看到匿名汇总（ruqi officer evaluations）；评价企业只向监督机关显示。`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return a.call(cmd, func(ctx context.Context, cc *grpc.ClientConn) error {
				req := &ruqiv1.ListEvaluationsRequest{AgencyId: strings.TrimSpace(agency), PageSize: listPageSize}
				all := &ruqiv1.ListEvaluationsResponse{}
				err := allPages(func(token string) (string, error) {
					req.PageToken = token
					resp, err := ruqiv1.NewSupervisionServiceClient(cc).ListEvaluations(ctx, req)
					all.Evaluations = append(all.Evaluations, resp.GetEvaluations()...)
					return resp.GetNextPageToken(), err
				})
				if err != nil {
					return err
				}
				a.printer().Evaluations(all)
				return nil
			})
		},
	}
	cmd.Flags().StringVar(&agency, "agency", "", "只看此执法部门的评价 `ID`")
	return cmd
}
