package cli

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"

	"github.com/spf13/cobra"
	"google.golang.org/grpc"

	ruqiv1 "github.com/ruqi/ruqi/proto/ruqi/v1"
)

// logoutCommand ends the session `ruqi login` saved. There was none: a
// sign-in could not be ended from the command line, and deleting the file
// left its token valid for its 12 hours (a trial of sign-in, 2026-12-07).
func (a *app) logoutCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "logout",
		Short: "退出政务服务账号的登录：吊销登录得到的访问令牌，删除令牌文件",
		Long: `吊销本次登录（ruqi login）得到的访问令牌，并删除保存它的文件（--token-file 或
RUQI_TOKEN_FILE 指定的）。管理员签发的令牌不因退出而失效，也不删除其文件：请管理员用
ruqi admin token revoke 吊销。`,
		Example: `  ruqi --token-file ~/.config/ruqi/token logout`,
		Args:    noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return a.call(cmd, func(ctx context.Context, cc *grpc.ClientConn) error {
				resp, err := ruqiv1.NewSessionServiceClient(cc).SignOut(ctx, &ruqiv1.SignOutRequest{})
				if err != nil {
					return err
				}
				if !resp.GetEnded() {
					return errors.New("此令牌不是登录得到的会话（是管理员签发的令牌），退出登录不会使它失效，文件也未删除：如需停用，请管理员用 ruqi admin token revoke 吊销")
				}
				// The file whose token was revoked: the one read, as
				// resolveToken chose (a flag beats the environment; then
				// --token beats --token-file).
				if a.tokenFromFile() {
					if err := os.Remove(a.tokenFile); err != nil && !errors.Is(err, fs.ErrNotExist) {
						return fmt.Errorf("已退出登录（令牌已吊销），但删除令牌文件 %s 失败：%w", a.tokenFile, err)
					}
					fmt.Fprintf(a.stdout, "已退出登录：访问令牌已吊销，令牌文件 %s 已删除。\n", a.tokenFile)
					return nil
				}
				fmt.Fprintln(a.stdout, "已退出登录：访问令牌已吊销。")
				return nil
			})
		},
	}
}
