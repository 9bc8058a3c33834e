package cli

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"
	"google.golang.org/grpc"

	ruqiv1 "github.com/ruqi/ruqi/proto/ruqi/v1"
)

func (a *app) adminCompactCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "compact",
		Short: "压缩服务器的数据文件，收回空闲空间",
		Long: `把内置存储（bbolt）的数据文件整页重写到新文件，再替换旧文件，收回半空页面占用的空间。
压缩期间服务器的健康检查报告 NOT_SERVING，写入排队等待，查询照常；数据文件越大用时越长，
请在业务低峰进行，并确保磁盘上另有与数据文件同样大的空间。不受默认 10 秒超时限制，只受明确给出的 --timeout 限制。
使用 PostgreSQL 存储时无需此命令：空间由 VACUUM 回收（见 README 与 docs/ARCHITECTURE.md）。`,
		Example: `  ruqi --token-file ruqi-data/admin.token admin compact`,
		Args:    noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return a.callLong(cmd, func(ctx context.Context, cc *grpc.ClientConn) error {
				resp, err := ruqiv1.NewAdminServiceClient(cc).CompactStore(ctx, &ruqiv1.CompactStoreRequest{})
				if err != nil {
					return err
				}
				a.printer().Compacted(resp)
				return nil
			})
		},
	}
}

func (p *jsonPrinter) Compacted(r *ruqiv1.CompactStoreResponse) { p.msg(r) }

func (p *tablePrinter) Compacted(r *ruqiv1.CompactStoreResponse) {
	perPlan := func(b int64) string {
		if r.GetPlans() == 0 {
			return "-"
		}
		return fmtBytes(b / r.GetPlans())
	}
	fields(p.out,
		kv("压缩前", fmtBytes(r.GetBytesBefore())),
		kv("压缩后", fmtBytes(r.GetBytesAfter())),
		kv("检查数", fmt.Sprint(r.GetPlans())),
		kv("每项检查（压缩前）", perPlan(r.GetBytesBefore())),
		kv("每项检查（压缩后）", perPlan(r.GetBytesAfter())),
		kv("用时", fmt.Sprintf("%.1f 秒", r.GetTook().AsDuration().Seconds())),
	)
}

// fmtBytes shows a size in B, KiB, MiB or GiB.
func fmtBytes(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	v, i := float64(n)/unit, 0
	for v >= unit && i < 2 {
		v /= unit
		i++
	}
	return fmt.Sprintf("%.1f %ciB", v, "KMG"[i])
}
