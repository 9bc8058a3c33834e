package cli

import (
	"context"
	"fmt"
	"os"
	"strings"

	"github.com/spf13/cobra"
	"google.golang.org/grpc"
	"google.golang.org/protobuf/proto"

	ruqiv1 "github.com/ruqi/ruqi/proto/ruqi/v1"
)

// mutualLabels say 两码互核 in the officer's and enterprise's words.
var mutualLabels = map[ruqiv1.MutualVerification]string{
	ruqiv1.MutualVerification_MUTUAL_VERIFICATION_VERIFIED: "两码互核完成",
	ruqiv1.MutualVerification_MUTUAL_VERIFICATION_PENDING:  "待互核（尚缺一方扫码）",
	ruqiv1.MutualVerification_MUTUAL_VERIFICATION_APART:    "未通过（两次扫码相隔过久）",
}

// printDoor prints a door response: protobuf JSON with -o json, else the
// fields given.
func (a *app) printDoor(m proto.Message, pairs ...[2]string) {
	if a.output == "json" {
		a.jsonPrinter().msg(m)
		return
	}
	fields(a.stdout, pairs...)
}

func (a *app) companyCodeCommand() *cobra.Command {
	var png, pdf, qr string
	var reissue bool
	var reason string
	cmd := &cobra.Command{
		Use:   "code",
		Short: "本企业的企业码：查看、打印海报（PNG/PDF）、重新生成",
		Long: `本企业的企业码（张贴在经营场所，执法人员到达时扫描登记到场，用于两码互核）。

--png / --pdf 写出 A4 海报；--qr 只写出二维码图片。企业码泄露时用 --reissue 重新生成：
旧码立即失效，执法人员扫旧码登记到场会被拒绝。`,
		Example: `  ruqi company code --png poster.png --pdf poster.pdf
  ruqi company code --reissue --reason "海报被拍照外传"`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if cmd.Flags().Changed("reason") && !reissue {
				return usagef("--reason 只用于 --reissue")
			}
			return a.call(cmd, func(ctx context.Context, cc *grpc.ClientConn) error {
				c := ruqiv1.NewDoorServiceClient(cc)
				var written []string
				if reissue {
					if _, err := c.ReissueEnterpriseCode(ctx, &ruqiv1.ReissueEnterpriseCodeRequest{Reason: reason}); err != nil {
						return err
					}
				}
				var code *ruqiv1.EnterpriseCode
				for _, out := range []struct {
					path   string
					format ruqiv1.PosterFormat
				}{{png, ruqiv1.PosterFormat_POSTER_FORMAT_PNG}, {pdf, ruqiv1.PosterFormat_POSTER_FORMAT_PDF}, {"", ruqiv1.PosterFormat_POSTER_FORMAT_UNSPECIFIED}} {
					if out.path == "" && out.format != ruqiv1.PosterFormat_POSTER_FORMAT_UNSPECIFIED {
						continue
					}
					r, err := c.GetEnterpriseCode(ctx, &ruqiv1.GetEnterpriseCodeRequest{Poster: out.format})
					if err != nil {
						return err
					}
					code = r.GetCode()
					if out.path != "" {
						if err := os.WriteFile(out.path, r.GetPoster(), 0o644); err != nil {
							return fmt.Errorf("写入海报失败：%w", err)
						}
						written = append(written, out.path)
					}
				}
				if qr != "" {
					if err := os.WriteFile(qr, code.GetQrPng(), 0o644); err != nil {
						return fmt.Errorf("写入二维码图片失败：%w", err)
					}
					written = append(written, qr)
				}
				shown := proto.CloneOf(code)
				shown.QrPng = nil
				a.printDoor(shown,
					kv("企业", code.GetEnterpriseName()+"（"+code.GetEnterpriseUscc()+"）"),
					kv("企业码版本", fmt.Sprintf("第 %d 版（%s 生成）", code.GetGeneration(), fmtTime(code.GetIssuedAt()))),
					kv("链接", code.GetUrl()),
					kv("用法", "张贴在经营场所入口；执法人员到达时扫描此码登记到场"),
				)
				if len(written) > 0 {
					w := a.stdout
					if a.output == "json" {
						w = a.stderr
					}
					fmt.Fprintf(w, "已写入：%s\n", strings.Join(written, "、"))
				}
				return nil
			})
		},
	}
	f := cmd.Flags()
	f.StringVar(&png, "png", "", "写出 A4 海报 PNG `FILE`")
	f.StringVar(&pdf, "pdf", "", "写出 A4 海报 PDF `FILE`")
	f.StringVar(&qr, "qr", "", "只写出二维码图片 PNG `FILE`")
	f.BoolVar(&reissue, "reissue", false, "重新生成企业码（旧码立即失效）")
	f.StringVar(&reason, "reason", "", "重新生成的原因 `TEXT`（与 --reissue 同用）")
	return cmd
}

func (a *app) officerArriveCommand() *cobra.Command {
	var png, inspectionID string
	cmd := &cobra.Command{
		Use:   "arrive [企业码]",
		Short: "到达企业时扫描企业码，登记到场（两码互核）",
		Long: `到达被检查企业时扫描其张贴的企业码，为已报备的检查登记本人到场。企业码可以是令牌、
二维码里的链接，或用 --png 给出二维码图片。

企业随后扫描您的入企码（或已扫描过），两次扫码在本地区规定的时间内即完成两码互核。
扫描的是另一家企业的码、企业已重新生成的旧码，或您不在此次检查的报备人员中，都会被拒绝并说明原因。`,
		Example: `  ruqi officer arrive --inspection INS-20260301-7QKZ3M2A --png enterprise-code.png
  ruqi officer arrive --inspection INS-20260301-7QKZ3M2A HTTPS://RUQI.EXAMPLE/E/2DCQ...`,
		Args: maxArgs(1, "企业码"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if strings.TrimSpace(inspectionID) == "" {
				return usagef("请用 --inspection 给出检查编号")
			}
			scanned, err := scannedText(args, png, "企业码")
			if err != nil {
				return err
			}
			return a.call(cmd, func(ctx context.Context, cc *grpc.ClientConn) error {
				r, err := ruqiv1.NewDoorServiceClient(cc).RecordArrival(ctx, &ruqiv1.RecordArrivalRequest{InspectionId: inspectionID, Code: scanned})
				if err != nil {
					return err
				}
				arrival := "到场 " + fmtTime(r.GetArrivedAt())
				if !r.GetFirstArrival() {
					arrival = "重复扫码（已于 " + fmtTime(r.GetArrivedAt()) + " 登记到场）"
				}
				a.printDoor(r,
					kv("检查", r.GetInspectionId()),
					kv("企业", r.GetEnterpriseName()+"（"+r.GetEnterpriseUscc()+"）"),
					kv("登记", arrival),
					kv("两码互核", mutualLabels[r.GetMutual()]),
					kv("说明", r.GetMessage()),
				)
				return nil
			})
		},
	}
	f := cmd.Flags()
	f.StringVar(&inspectionID, "inspection", "", "检查编号 `ID`")
	f.StringVar(&png, "png", "", "从二维码图片读取企业码 `FILE`")
	return cmd
}
