package cli

import (
	"context"
	"strings"

	ruqiv1 "github.com/ruqi/ruqi/proto/ruqi/v1"
	"github.com/spf13/cobra"
	"google.golang.org/grpc"
)

func (a *app) adminTokenRevokeCommand() *cobra.Command {
	var id string
	cmd := &cobra.Command{
		Use:   "revoke",
		Short: "吊销访问令牌",
		Long: `按令牌编号（签发时显示的"令牌编号"）吊销一个访问令牌。令牌下一次使用时即被拒绝。
吊销会记入事件日志。`,
		Example: `  ruqi admin token revoke --id tok-3f9a0c21d47b`,
		Args:    noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := requireFlags(cmd, "id"); err != nil {
				return err
			}
			req := &ruqiv1.RevokeAccessTokenRequest{TokenId: strings.TrimSpace(id)}
			if req.GetTokenId() == "" {
				return usagef("--id 不能为空")
			}
			return a.call(cmd, func(ctx context.Context, cc *grpc.ClientConn) error {
				resp, err := ruqiv1.NewAdminServiceClient(cc).RevokeAccessToken(ctx, req)
				if err != nil {
					return err
				}
				a.printer().TokenRevoked(req, resp)
				return nil
			})
		},
	}
	cmd.Flags().StringVar(&id, "id", "", "令牌编号 `TOKEN_ID`（必填）")
	return cmd
}

// certificateActions are the subcommands of `admin officer` and the
// certificate status each one sets.
var certificateActions = []struct {
	use, short, long string
	status           ruqiv1.CertificateStatus
}{
	{"suspend", "暂扣执法人员的执法证", "暂扣执法人员的执法证。该执法人员尚未过期的入企码随即不能通过核验，也不能再被报备为执法人员，直到恢复。",
		ruqiv1.CertificateStatus_CERTIFICATE_STATUS_SUSPENDED},
	{"revoke", "注销执法人员的执法证", "注销执法人员的执法证。该执法人员尚未过期的入企码随即不能通过核验，也不能再被报备为执法人员。",
		ruqiv1.CertificateStatus_CERTIFICATE_STATUS_REVOKED},
	{"restore", "恢复执法人员的执法证（恢复为有效）", "把暂扣或注销的执法证恢复为有效。",
		ruqiv1.CertificateStatus_CERTIFICATE_STATUS_ACTIVE},
}

func (a *app) adminOfficerCommand() *cobra.Command {
	cmd := groupCommand("officer", "执法人员的执法证：暂扣、注销、恢复")
	for _, act := range certificateActions {
		cmd.AddCommand(a.adminCertificateCommand(act.use, act.short, act.long, act.status))
	}
	return cmd
}

func (a *app) adminCertificateCommand(use, short, long string, status ruqiv1.CertificateStatus) *cobra.Command {
	var officer, reason string
	cmd := &cobra.Command{
		Use:     use,
		Short:   short,
		Long:    long + "\n\n须用 --reason 写明原因，原因记入事件日志。",
		Example: "  ruqi admin officer " + use + " --officer O-0001 --reason 依据处理决定",
		Args:    noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := requireFlags(cmd, "officer", "reason"); err != nil {
				return err
			}
			req := &ruqiv1.SetCertificateStatusRequest{
				OfficerId: strings.TrimSpace(officer),
				Status:    status,
				Reason:    strings.TrimSpace(reason),
			}
			if req.GetOfficerId() == "" {
				return usagef("--officer 不能为空")
			}
			if req.GetReason() == "" {
				return usagef("--reason 不能为空")
			}
			return a.call(cmd, func(ctx context.Context, cc *grpc.ClientConn) error {
				resp, err := ruqiv1.NewDirectoryServiceClient(cc).SetCertificateStatus(ctx, req)
				if err != nil {
					return err
				}
				a.printer().CertificateChanged(req, resp)
				return nil
			})
		},
	}
	cmd.Flags().StringVar(&officer, "officer", "", "执法人员编号 `ID`（必填）")
	cmd.Flags().StringVar(&reason, "reason", "", "原因 `TEXT`（必填）")
	return cmd
}
